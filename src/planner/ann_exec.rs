//! `AnnSearchExec`: approximate nearest-neighbour search over one table snapshot, in place of its
//! full scan (see `ann_rule`). Per sealed segment it either searches the segment's vector index
//! with a row mask (live rows passing the `WHERE` clause) or, when the mask is selective or the
//! index is not built yet, ranks the allowed rows exactly; the growing segment and the
//! transaction's own rows are always ranked exactly. It emits at most `k` candidate rows per part
//! for the sort above to merge or, when it replaces that sort (`AnnQuery::order`), the `k` nearest
//! of all parts in order; either way the query returns `min(k, matching rows)` rows at any filter
//! selectivity.

use std::fmt;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, BooleanBufferBuilder, FixedSizeListArray, RecordBatch,
    UInt64Array,
};
use arrow::datatypes::{DataType, Float16Type, Float32Type, SchemaRef};
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::error::{DataFusionError, Result as DfResult};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_plan::memory::MemoryStream;
use datafusion::physical_plan::metrics::{ExecutionPlanMetricsSet, MetricBuilder, MetricsSet};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties};
use futures::StreamExt;
use half::f16;

use crate::error::{QuiverError, Result};
use crate::index::flat::{self, TopK};
use crate::index::{IndexKind, Metric, Neighbor, RowMask, SearchParams, SearchStats};
use crate::storage::row_ids;
use crate::storage::scan::{scan_properties, ScanSource};
use crate::storage::vindex::{evaluate_each, VectorIndexSpec};
use crate::storage::TableSnapshot;
use crate::types::SqlType;

/// What to search for.
#[derive(Debug, Clone)]
pub struct AnnQuery {
    pub spec: VectorIndexSpec,
    /// What the index orders by, over the table's columns (user columns + `__row_id`): the
    /// column, or the index expression (`embedding::halfvec(3)`), evaluated per batch for the
    /// rows searched exactly and for re-ranking.
    pub key: Arc<dyn PhysicalExpr>,
    /// The query vector: a column-free expression (a literal, or a parameter of a cached plan),
    /// evaluated when the search runs.
    pub query: Arc<dyn PhysicalExpr>,
    /// SQL type of the indexed values (how a text query vector is read).
    pub key_type: SqlType,
    /// Rows wanted (LIMIT + OFFSET).
    pub k: usize,
    pub params: SearchParams,
    /// Conjuncts of the `WHERE` clause over the scan's output schema.
    pub filter: Option<Arc<dyn PhysicalExpr>>,
    /// `Some(key)` when the search stands in for the `ORDER BY key LIMIT k` above it (see
    /// `ann_rule`): it then emits the `k` nearest rows of all parts in ascending distance order,
    /// instead of up to `k` candidates per part for a sort to merge. `key` is the ordering's
    /// distance expression over the scan's output schema; it orders the rows when the query
    /// vector cannot be searched with (NULL, another dimension), so that such a query behaves —
    /// and fails — exactly as the sort would.
    pub order: Option<Arc<dyn PhysicalExpr>>,
}

/// Below this many allowed rows in a segment, rank them exactly instead of walking the index: a
/// graph walk under a very selective mask visits most of the graph anyway.
fn exact_threshold(rows: usize, params: &SearchParams) -> usize {
    (rows / 50)
        .max(params.ef_search.max(params.k) * 8)
        .max(1_000)
}

pub struct AnnSearchExec {
    source: ScanSource,
    projection: Vec<usize>,
    ann: Arc<AnnQuery>,
    schema: SchemaRef,
    properties: Arc<PlanProperties>,
    metrics: ExecutionPlanMetricsSet,
}

impl AnnSearchExec {
    pub fn try_new(source: ScanSource, projection: Vec<usize>, ann: AnnQuery) -> DfResult<Self> {
        let schema = Arc::new(source.full_schema.project(&projection)?);
        let properties = Arc::new(scan_properties(schema.clone()));
        Ok(AnnSearchExec {
            source,
            projection,
            ann: Arc::new(ann),
            schema,
            properties,
            metrics: ExecutionPlanMetricsSet::new(),
        })
    }

    /// This search over a fresh snapshot of its table, with fresh metrics.
    pub fn refreshed(&self) -> Result<AnnSearchExec> {
        Ok(AnnSearchExec {
            source: self.source.refresh()?,
            projection: self.projection.clone(),
            ann: self.ann.clone(),
            schema: self.schema.clone(),
            properties: self.properties.clone(),
            metrics: ExecutionPlanMetricsSet::new(),
        })
    }
}

impl fmt::Debug for AnnSearchExec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "AnnSearchExec({}, {})",
            self.source.table_name(),
            self.ann.spec.name
        )
    }
}

pub(crate) fn metric_name(m: Metric) -> &'static str {
    match m {
        Metric::L2 => "l2",
        Metric::InnerProduct => "inner_product",
        Metric::Cosine => "cosine",
        Metric::L1 => "l1",
        Metric::Hamming => "hamming",
        Metric::Jaccard => "jaccard",
    }
}

impl DisplayAs for AnnSearchExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        let a = &self.ann;
        write!(
            f,
            "AnnSearchExec: table={}, index={}, kind={}, metric={}, k={}",
            self.source.table_name(),
            a.spec.name,
            a.spec.kind().name(),
            metric_name(a.spec.metric),
            a.k
        )?;
        match a.spec.kind() {
            IndexKind::Hnsw => write!(f, ", ef_search={}", a.params.ef_search)?,
            IndexKind::IvfFlat => {
                write!(f, ", probes={}", a.params.probes)?;
                if a.params.max_probes != a.params.probes {
                    if a.params.max_probes == usize::MAX {
                        write!(f, ", max_probes=all")?;
                    } else {
                        write!(f, ", max_probes={}", a.params.max_probes)?;
                    }
                }
            }
        }
        if let Some(filter) = &a.filter {
            write!(f, ", filter={filter}")?;
        }
        if let Some(order) = &a.order {
            write!(f, ", order=[{order} ASC NULLS LAST]")?;
        }
        let cols: Vec<&str> = self
            .schema
            .fields()
            .iter()
            .map(|f| f.name().as_str())
            .collect();
        write!(f, ", projection=[{}]", cols.join(", "))
    }
}

impl ExecutionPlan for AnnSearchExec {
    fn name(&self) -> &str {
        "AnnSearchExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![]
    }

    fn apply_expressions(
        &self,
        f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> DfResult<TreeNodeRecursion>,
    ) -> DfResult<TreeNodeRecursion> {
        for e in [&self.ann.filter, &self.ann.order].into_iter().flatten() {
            if f(e)? == TreeNodeRecursion::Stop {
                return Ok(TreeNodeRecursion::Stop);
            }
        }
        Ok(TreeNodeRecursion::Continue)
    }

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        if children.is_empty() {
            Ok(self)
        } else {
            Err(DataFusionError::Internal(
                "AnnSearchExec has no children".into(),
            ))
        }
    }

    fn metrics(&self) -> Option<MetricsSet> {
        Some(self.metrics.clone_inner())
    }

    fn execute(
        &self,
        partition: usize,
        _context: Arc<TaskContext>,
    ) -> DfResult<SendableRecordBatchStream> {
        if partition != 0 {
            return Err(DataFusionError::Internal(format!(
                "AnnSearchExec has one partition, not {}",
                partition + 1
            )));
        }
        let source = self.source.clone();
        let projection = self.projection.clone();
        let ann = self.ann.clone();
        let metrics = self.metrics.clone();
        let schema = self.schema.clone();
        // The search runs on the worker that polls the stream, as DataFusion's own operators do:
        // a graph walk takes well under a millisecond, less than handing it to another thread
        // and back would cost.
        let fut = async move {
            let mut report = Report::default();
            let out = search(&source, &projection, &ann, &mut report);
            report.record(&metrics, partition);
            out.map_err(|e| DataFusionError::External(Box::new(e)))
        };
        Ok(deferred_stream(schema, fut))
    }
}

/// A stream of the batches `fut` computes when the stream is first polled.
pub(crate) fn deferred_stream(
    schema: SchemaRef,
    fut: impl std::future::Future<Output = DfResult<Vec<RecordBatch>>> + Send + 'static,
) -> SendableRecordBatchStream {
    let stream_schema = schema.clone();
    let stream = futures::stream::once(fut).flat_map(move |r| match r {
        Ok(batches) => match MemoryStream::try_new(batches, stream_schema.clone(), None) {
            Ok(s) => s.boxed(),
            Err(e) => futures::stream::once(async move { Err(e) }).boxed(),
        },
        Err(e) => futures::stream::once(async move { Err(e) }).boxed(),
    });
    Box::pin(RecordBatchStreamAdapter::new(schema, stream))
}

/// Work done, for EXPLAIN ANALYZE.
#[derive(Debug, Default)]
pub(crate) struct Report {
    segments_index: usize,
    segments_exact: usize,
    exact_rows: usize,
    stats: SearchStats,
}

impl Report {
    fn record(&self, metrics: &ExecutionPlanMetricsSet, partition: usize) {
        let c = |name: &'static str, v: usize| {
            MetricBuilder::new(metrics).counter(name, partition).add(v);
        };
        c("segments_searched_by_index", self.segments_index);
        c("segments_searched_exactly", self.segments_exact);
        c("rows_ranked_exactly", self.exact_rows);
        c("candidates_visited", self.stats.visited as usize);
        c(
            "distance_computations",
            (self.stats.distance_computations as usize) + self.exact_rows,
        );
    }
}

/// A query vector as the index compares it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum QueryVector {
    Float(Vec<f32>),
    /// Packed bits (most significant first) and their number.
    Bits(Vec<u8>, usize),
}

/// The query in every form the parts need.
struct Query {
    vector: QueryVector,
    /// Half-precision copy, for halfvec keys ranked exactly.
    half: Vec<f16>,
}

/// The candidate rows of every part of the snapshot, projected.
pub(crate) fn search(
    src: &ScanSource,
    projection: &[usize],
    ann: &AnnQuery,
    report: &mut Report,
) -> Result<Vec<RecordBatch>> {
    let vector = match query_vector(&ann.query, &ann.key_type)? {
        Some(QueryVector::Float(q)) if q.len() == ann.spec.dim && !ann.spec.is_bits() => {
            QueryVector::Float(q)
        }
        Some(QueryVector::Bits(b, n)) if n == ann.spec.dim && ann.spec.is_bits() => {
            QueryVector::Bits(b, n)
        }
        // NULL, or not of the index's dimension: hand up every row, as the plain scan would, so
        // the ordering above behaves (and fails) exactly as without the index.
        _ => {
            let batches: Vec<RecordBatch> = src
                .live_batches()?
                .iter()
                .map(|b| b.project(projection).map_err(QuiverError::from))
                .collect::<Result<_>>()?;
            return match &ann.order {
                Some(key) => sort_by_key(batches, key, ann.k),
                None => Ok(batches),
            };
        }
    };
    let half = match &vector {
        QueryVector::Float(q) => q.iter().map(|v| f16::from_f32(*v)).collect(),
        QueryVector::Bits(..) => vec![],
    };
    let query = Query { vector, half };
    let def = &src.snapshot.def;
    let storage_schema = def.storage_schema();
    // Per part: its candidate rows (projected) and their exact distances.
    let mut out: Vec<(RecordBatch, Vec<f32>)> = Vec::new();
    for seg in &src.snapshot.sealed {
        let batches: Vec<RecordBatch> = seg
            .batches(&storage_schema)?
            .into_iter()
            .map(|b| RecordBatch::try_new(src.full_schema.clone(), b.columns().to_vec()))
            .collect::<std::result::Result<_, _>>()?;
        let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
        if rows == 0 {
            continue;
        }
        let mut mask = filter_mask(&batches, projection, ann.filter.as_ref())?;
        for pos in deleted_positions(src, seg, &batches)? {
            mask.get_or_insert_with(|| RowMask::all(rows)).remove(pos);
        }
        let allowed = mask.as_ref().map_or(rows, |m| m.count());
        if allowed == 0 {
            continue;
        }
        let index = if allowed > exact_threshold(rows, &ann.params) {
            src.storage
                .indexes
                .get(def.id, seg, &ann.spec, &storage_schema)
        } else {
            None
        };
        let found: Vec<Neighbor> = match index {
            Some(ix) => {
                report.segments_index += 1;
                let mut found = match &query.vector {
                    QueryVector::Float(q) => {
                        ix.search(q, &ann.params, mask.as_ref(), &mut report.stats)
                    }
                    QueryVector::Bits(q, n) => {
                        ix.search_bits(q, *n, &ann.params, mask.as_ref(), &mut report.stats)
                    }
                }
                .map_err(crate::storage::vindex::index_error)?;
                // The index compares its own copy (normalised for cosine): rank by the distance
                // the SQL function computes over the stored row, as the exact parts do.
                if ann.order.is_some() {
                    rerank(&batches, &mut found, ann, &query)?;
                }
                found
            }
            None => {
                report.segments_exact += 1;
                report.exact_rows += allowed;
                let keys = evaluate_each(&ann.key, &batches)?;
                exact(&keys, mask.as_ref(), ann, &query)?
            }
        };
        out.extend(take(&batches, &found, projection)?);
    }
    // The growing segment and the transaction's own rows: exact.
    let growing = TableSnapshot {
        sealed: vec![],
        ..src.snapshot.clone()
    };
    let batches: Vec<RecordBatch> = growing
        .live_batches(&src.extra_inserts, src.extra_deleted.as_ref())?
        .into_iter()
        .map(|b| RecordBatch::try_new(src.full_schema.clone(), b.columns().to_vec()))
        .collect::<std::result::Result<_, _>>()?;
    let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
    if rows > 0 {
        let mask = filter_mask(&batches, projection, ann.filter.as_ref())?;
        report.exact_rows += mask.as_ref().map_or(rows, |m| m.count());
        let keys = evaluate_each(&ann.key, &batches)?;
        let found = exact(&keys, mask.as_ref(), ann, &query)?;
        out.extend(take(&batches, &found, projection)?);
    }
    if ann.order.is_none() {
        return Ok(out.into_iter().map(|(b, _)| b).collect());
    }
    // The k nearest over all parts, nearest first (ties: part, then position, so the order is
    // deterministic).
    let mut best: Vec<(f32, usize, usize)> = out
        .iter()
        .enumerate()
        .flat_map(|(p, (_, d))| d.iter().enumerate().map(move |(r, &x)| (x, p, r)))
        .collect();
    best.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    best.truncate(ann.k);
    if best.is_empty() {
        return Ok(vec![]);
    }
    let refs: Vec<&RecordBatch> = out.iter().map(|(b, _)| b).collect();
    let indices: Vec<(usize, usize)> = best.iter().map(|&(_, p, r)| (p, r)).collect();
    Ok(vec![arrow::compute::interleave_record_batch(
        &refs, &indices,
    )?])
}

/// The `k` first rows of `batches` by `key` ascending, NULLs last: the sort the search stands in
/// for, when the query vector cannot be searched with. Evaluating `key` raises the distance
/// function's own error (say, different dimensions).
fn sort_by_key(
    batches: Vec<RecordBatch>,
    key: &Arc<dyn PhysicalExpr>,
    k: usize,
) -> Result<Vec<RecordBatch>> {
    let Some(first) = batches.first() else {
        return Ok(batches);
    };
    let all = arrow::compute::concat_batches(&first.schema(), &batches)?;
    let values = key.evaluate(&all)?.into_array(all.num_rows())?;
    let options = arrow::compute::SortOptions {
        descending: false,
        nulls_first: false,
    };
    let indices = arrow::compute::sort_to_indices(&values, Some(options), Some(k))?;
    Ok(vec![arrow::compute::take_record_batch(&all, &indices)?])
}

/// Evaluates the filter over a part's batches (projected as the scan outputs them): the rows
/// where it is true (not false, not NULL), gathered bitmap word by bitmap word.
pub(crate) fn filter_mask(
    batches: &[RecordBatch],
    projection: &[usize],
    filter: Option<&Arc<dyn PhysicalExpr>>,
) -> Result<Option<RowMask>> {
    let Some(filter) = filter else {
        return Ok(None);
    };
    let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
    let mut bits = BooleanBufferBuilder::new(rows);
    for b in batches {
        let projected = b.project(projection)?;
        let value = filter
            .evaluate(&projected)?
            .into_array(projected.num_rows())?;
        let bools = value
            .as_any()
            .downcast_ref::<BooleanArray>()
            .ok_or_else(|| QuiverError::Internal("filter is not boolean".into()))?;
        match bools.nulls() {
            Some(valid) => bits.append_buffer(&(bools.values() & valid.inner())),
            None => bits.append_buffer(bools.values()),
        }
    }
    let bits = bits.finish();
    // `finish` leaves the bits at offset 0, so the bytes are the bitmap itself.
    Ok(Some(RowMask::from_le_bitmap(bits.values(), bits.len())))
}

/// Positions of a segment's rows deleted in the snapshot or by the transaction: each delete
/// marker inside the segment's row-id range, looked up.
pub(crate) fn deleted_positions(
    src: &ScanSource,
    seg: &crate::storage::segment::SegmentRef,
    batches: &[RecordBatch],
) -> Result<Vec<u32>> {
    let mut out = Vec::new();
    let deleted = src
        .snapshot
        .deleted
        .iter()
        .chain(src.extra_deleted.iter().flatten())
        .filter(|id| (seg.meta.min_row_id..=seg.meta.max_row_id).contains(*id));
    for id in deleted {
        if let Some(pos) = position_of(batches, *id)? {
            out.push(pos);
        }
    }
    Ok(out)
}

/// Position of a row id among a segment's rows (row ids ascend within a segment; a linear scan
/// backs the binary search up should that ever not hold).
fn position_of(batches: &[RecordBatch], id: u64) -> Result<Option<u32>> {
    let mut base = 0usize;
    for b in batches {
        let ids: &UInt64Array = row_ids(b)?;
        let v = ids.values();
        if let (Some(first), Some(last)) = (v.first(), v.last()) {
            if id >= *first && id <= *last {
                let i = v
                    .binary_search(&id)
                    .ok()
                    .or_else(|| v.iter().position(|x| *x == id));
                return Ok(i.map(|i| (base + i) as u32));
            }
        }
        base += b.num_rows();
    }
    Ok(None)
}

/// The `k` nearest allowed rows by exact distance, nearest first (`keys`: the indexed values of
/// a part's batches).
fn exact(
    keys: &[ArrayRef],
    mask: Option<&RowMask>,
    ann: &AnnQuery,
    query: &Query,
) -> Result<Vec<Neighbor>> {
    let mut top = TopK::new(ann.k);
    let mut base = 0u32;
    let mut scratch = Vec::new();
    for key in keys {
        for i in 0..key.len() {
            let pos = base + i as u32;
            if mask.is_some_and(|m| !m.contains(pos)) {
                continue;
            }
            if let Some(d) = row_distance(key, i, ann, query, &mut scratch)? {
                top.push(pos, d);
            }
        }
        base += key.len() as u32;
    }
    Ok(top.into_sorted())
}

/// The exact distance from the query to row `i` of `key` (indexed values), as the SQL distance
/// function computes it; `None` for a NULL row (or one not of the index's dimension).
fn row_distance(
    key: &ArrayRef,
    i: usize,
    ann: &AnnQuery,
    query: &Query,
    scratch: &mut Vec<u8>,
) -> Result<Option<f32>> {
    if key.is_null(i) {
        return Ok(None);
    }
    let (metric, dim) = (ann.spec.metric, ann.spec.dim);
    if let QueryVector::Bits(q, bits) = &query.vector {
        let Some(text) = key.as_string_opt::<i32>() else {
            return Err(QuiverError::Internal(format!(
                "not a bit column: {}",
                key.data_type()
            )));
        };
        scratch.clear();
        scratch.resize(q.len(), 0);
        if crate::storage::vindex::pack_bits(text.value(i), scratch) != Some(*bits) {
            return Ok(None);
        }
        return Ok(Some(match metric {
            Metric::Jaccard => crate::index::metric::jaccard(scratch, q) as f32,
            _ => crate::index::metric::hamming(scratch, q) as f32,
        }));
    }
    let QueryVector::Float(q) = &query.vector else {
        return Ok(None);
    };
    let list = key
        .as_any()
        .downcast_ref::<FixedSizeListArray>()
        .ok_or_else(|| {
            QuiverError::Internal(format!("not a vector column: {}", key.data_type()))
        })?;
    let start = list.value_offset(i) as usize;
    let values = list.values();
    Ok(match values.data_type() {
        DataType::Float32 => values
            .as_primitive::<Float32Type>()
            .values()
            .get(start..start + dim)
            .map(|r| flat::distance(metric, r, q)),
        DataType::Float16 => values
            .as_primitive::<Float16Type>()
            .values()
            .get(start..start + dim)
            .map(|r| flat::distance_f16(metric, r, &query.half)),
        other => {
            return Err(QuiverError::Internal(format!(
                "not a vector column: {other}"
            )))
        }
    })
}

/// Sets each neighbour's distance to [`row_distance`] of its row (infinity, last, for a NULL
/// one). The key is evaluated over the found rows only, not the whole segment: an expression key
/// (`binary_quantize(embedding)::bit(n)`) would otherwise cost a pass over every row per query.
fn rerank(
    batches: &[RecordBatch],
    found: &mut [Neighbor],
    ann: &AnnQuery,
    query: &Query,
) -> Result<()> {
    if found.is_empty() {
        return Ok(());
    }
    let indices: Vec<(usize, usize)> = found
        .iter()
        .map(|n| locate(batches, n.pos))
        .collect::<Result<_>>()?;
    let refs: Vec<&RecordBatch> = batches.iter().collect();
    let rows = arrow::compute::interleave_record_batch(&refs, &indices)?;
    let key = ann.key.evaluate(&rows)?.into_array(rows.num_rows())?;
    let mut scratch = Vec::new();
    for (i, n) in found.iter_mut().enumerate() {
        n.dist = row_distance(&key, i, ann, query, &mut scratch)?.unwrap_or(f32::INFINITY);
    }
    Ok(())
}

/// (batch, row) of position `pos` over the concatenation of `batches`.
pub(crate) fn locate(batches: &[RecordBatch], pos: u32) -> Result<(usize, usize)> {
    let mut p = pos as usize;
    for (i, b) in batches.iter().enumerate() {
        if p < b.num_rows() {
            return Ok((i, p));
        }
        p -= b.num_rows();
    }
    Err(QuiverError::Internal(format!(
        "index returned position {pos} beyond the segment's rows"
    )))
}

/// The rows of `found` (positions over the concatenation of `batches`), projected, with their
/// distances.
fn take(
    batches: &[RecordBatch],
    found: &[Neighbor],
    projection: &[usize],
) -> Result<Option<(RecordBatch, Vec<f32>)>> {
    if found.is_empty() {
        return Ok(None);
    }
    let indices: Vec<(usize, usize)> = found
        .iter()
        .map(|n| locate(batches, n.pos))
        .collect::<Result<_>>()?;
    let projected: Vec<RecordBatch> = batches
        .iter()
        .map(|b| b.project(projection))
        .collect::<std::result::Result<_, _>>()?;
    let refs: Vec<&RecordBatch> = projected.iter().collect();
    let batch = arrow::compute::interleave_record_batch(&refs, &indices)?;
    Ok(Some((batch, found.iter().map(|n| n.dist).collect())))
}

/// Evaluates a column-free expression to a query vector (text or vector value), as the indexed
/// type `ty` would read it. `None`: NULL, not a vector, or an expression that fails (it fails
/// again, with its real message, where the plan computes the distance).
pub(crate) fn query_vector(e: &Arc<dyn PhysicalExpr>, ty: &SqlType) -> Result<Option<QueryVector>> {
    let batch = RecordBatch::try_new_with_options(
        Arc::new(arrow::datatypes::Schema::empty()),
        vec![],
        &arrow::array::RecordBatchOptions::new().with_row_count(Some(1)),
    )?;
    let array: ArrayRef = match e.evaluate(&batch) {
        Ok(datafusion::logical_expr::ColumnarValue::Array(a)) => a,
        Ok(datafusion::logical_expr::ColumnarValue::Scalar(s)) => s.to_array()?,
        Err(_) => return Ok(None),
    };
    if array.is_empty() || array.is_null(0) {
        return Ok(None);
    }
    let text = match array.data_type() {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            arrow::compute::cast(&array, &DataType::Utf8)
                .ok()
                .map(|a| a.as_string::<i32>().value(0).to_string())
        }
        _ => None,
    };
    if let Some(t) = text {
        let parsed = match ty {
            SqlType::Bit(_) => {
                let mut bytes = vec![0u8; t.len().div_ceil(8)];
                return Ok(crate::storage::vindex::pack_bits(&t, &mut bytes)
                    .map(|n| QueryVector::Bits(bytes, n)));
            }
            SqlType::Halfvec(_) => crate::sql::pgvector::parse_halfvec(&t, None)
                .map(|v| v.iter().map(|x| x.to_f32()).collect()),
            _ => crate::sql::pgvector::parse_vector(&t, None),
        };
        return Ok(parsed.ok().map(QueryVector::Float));
    }
    if matches!(ty, SqlType::Bit(_)) {
        return Ok(None);
    }
    let values = match array.data_type() {
        DataType::FixedSizeList(..) => array.as_fixed_size_list_opt().map(|a| a.value(0)),
        DataType::List(_) => array.as_list_opt::<i32>().map(|a| a.value(0)),
        _ => None,
    };
    let Some(values) = values else {
        return Ok(None);
    };
    if let Some(f) = values.as_primitive_opt::<Float32Type>() {
        return Ok(Some(QueryVector::Float(f.values().to_vec())));
    }
    if let Some(h) = values.as_primitive_opt::<Float16Type>() {
        return Ok(Some(QueryVector::Float(
            h.values().iter().map(|v| v.to_f32()).collect(),
        )));
    }
    Ok(None)
}
