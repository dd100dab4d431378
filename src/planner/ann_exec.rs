//! `AnnSearchExec`: approximate nearest-neighbour search over one table snapshot, in place of its
//! full scan (see `ann_rule`). Per sealed segment it either searches the segment's vector index
//! with a row mask (live rows passing the `WHERE` clause) or, when the mask is selective or the
//! index is not built yet, ranks the allowed rows exactly; the growing segment and the
//! transaction's own rows are always ranked exactly. It emits at most `k` candidate rows per part;
//! the sort above merges them, so the query returns `min(k, matching rows)` rows at any filter
//! selectivity.

use std::fmt;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, FixedSizeListArray, RecordBatch, UInt64Array,
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
use crate::index::{IndexKind, Metric, RowMask, SearchParams, SearchStats};
use crate::storage::row_ids;
use crate::storage::scan::{scan_properties, ScanSource};
use crate::storage::vindex::VectorIndexSpec;
use crate::storage::TableSnapshot;
use crate::types::SqlType;

/// What to search for.
#[derive(Debug, Clone)]
pub struct AnnQuery {
    pub spec: VectorIndexSpec,
    /// The query vector: a column-free expression (a literal, or a parameter of a cached plan),
    /// evaluated when the search runs.
    pub query: Arc<dyn PhysicalExpr>,
    /// SQL type of the indexed column (how a text query vector is read).
    pub column_type: SqlType,
    /// Rows wanted (LIMIT + OFFSET).
    pub k: usize,
    pub params: SearchParams,
    /// Conjuncts of the `WHERE` clause over the scan's output schema.
    pub filter: Option<Arc<dyn PhysicalExpr>>,
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

fn metric_name(m: Metric) -> &'static str {
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
        match &self.ann.filter {
            Some(filter) => f(filter),
            None => Ok(TreeNodeRecursion::Continue),
        }
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
        let stream_schema = schema.clone();
        let stream = futures::stream::once(fut).flat_map(move |r| match r {
            Ok(batches) => match MemoryStream::try_new(batches, stream_schema.clone(), None) {
                Ok(s) => s.boxed(),
                Err(e) => futures::stream::once(async move { Err(e) }).boxed(),
            },
            Err(e) => futures::stream::once(async move { Err(e) }).boxed(),
        });
        Ok(Box::pin(RecordBatchStreamAdapter::new(schema, stream)))
    }
}

/// Work done, for EXPLAIN ANALYZE.
#[derive(Debug, Default)]
struct Report {
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

/// The candidate rows of every part of the snapshot, projected.
fn search(
    src: &ScanSource,
    projection: &[usize],
    ann: &AnnQuery,
    report: &mut Report,
) -> Result<Vec<RecordBatch>> {
    let query = match query_vector(&ann.query, &ann.column_type)? {
        Some(q) if q.len() == ann.spec.dim => q,
        // NULL, or not of the index's dimension: hand up every row, as the plain scan would, so
        // the ordering above behaves (and fails) exactly as without the index.
        _ => {
            return src
                .live_batches()?
                .iter()
                .map(|b| b.project(projection).map_err(QuiverError::from))
                .collect()
        }
    };
    let def = &src.snapshot.def;
    let storage_schema = def.storage_schema();
    let query16: Vec<f16> = query.iter().map(|v| f16::from_f32(*v)).collect();
    let mut out = Vec::new();
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
        let mut mask = filter_mask(&batches, projection, ann)?;
        // Deleted rows: look up each delete marker inside this segment's row-id range.
        let deleted = src
            .snapshot
            .deleted
            .iter()
            .chain(src.extra_deleted.iter().flatten())
            .filter(|id| (seg.meta.min_row_id..=seg.meta.max_row_id).contains(*id));
        for id in deleted {
            if let Some(pos) = position_of(&batches, *id)? {
                mask.get_or_insert_with(|| RowMask::all(rows)).remove(pos);
            }
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
        let positions: Vec<u32> = match index {
            Some(ix) => {
                report.segments_index += 1;
                ix.search(&query, &ann.params, mask.as_ref(), &mut report.stats)
                    .map_err(crate::storage::vindex::index_error)?
                    .into_iter()
                    .map(|n| n.pos)
                    .collect()
            }
            None => {
                report.segments_exact += 1;
                report.exact_rows += allowed;
                exact(&batches, mask.as_ref(), ann, &query, &query16)?
            }
        };
        if let Some(b) = take(&batches, &positions, projection)? {
            out.push(b);
        }
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
        let mask = filter_mask(&batches, projection, ann)?;
        report.exact_rows += mask.as_ref().map_or(rows, |m| m.count());
        let positions = exact(&batches, mask.as_ref(), ann, &query, &query16)?;
        if let Some(b) = take(&batches, &positions, projection)? {
            out.push(b);
        }
    }
    Ok(out)
}

/// Evaluates the filter over a part's batches (projected as the scan outputs them).
fn filter_mask(
    batches: &[RecordBatch],
    projection: &[usize],
    ann: &AnnQuery,
) -> Result<Option<RowMask>> {
    let Some(filter) = &ann.filter else {
        return Ok(None);
    };
    let mut bits = Vec::new();
    for b in batches {
        let projected = b.project(projection)?;
        let value = filter
            .evaluate(&projected)?
            .into_array(projected.num_rows())?;
        let bools = value
            .as_any()
            .downcast_ref::<BooleanArray>()
            .ok_or_else(|| QuiverError::Internal("filter is not boolean".into()))?;
        bits.extend((0..bools.len()).map(|i| bools.is_valid(i) && bools.value(i)));
    }
    Ok(Some(RowMask::from_bools(bits)))
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

/// The `k` nearest allowed rows by exact distance.
fn exact(
    batches: &[RecordBatch],
    mask: Option<&RowMask>,
    ann: &AnnQuery,
    query: &[f32],
    query16: &[f16],
) -> Result<Vec<u32>> {
    let mut top = TopK::new(ann.k);
    let metric = ann.spec.metric;
    let dim = ann.spec.dim;
    let mut base = 0u32;
    for b in batches {
        let col: &ArrayRef = b.column(ann.spec.column);
        let list = col
            .as_any()
            .downcast_ref::<FixedSizeListArray>()
            .ok_or_else(|| {
                QuiverError::Internal(format!("not a vector column: {}", col.data_type()))
            })?;
        let values = list.values();
        for i in 0..list.len() {
            let pos = base + i as u32;
            if list.is_null(i) || mask.is_some_and(|m| !m.contains(pos)) {
                continue;
            }
            let start = list.value_offset(i) as usize;
            let d = match values.data_type() {
                DataType::Float32 => {
                    let v = values.as_primitive::<Float32Type>().values();
                    match v.get(start..start + dim) {
                        Some(row) => flat::distance(metric, row, query),
                        None => continue,
                    }
                }
                DataType::Float16 => {
                    let v = values.as_primitive::<Float16Type>().values();
                    match v.get(start..start + dim) {
                        Some(row) => flat::distance_f16(metric, row, query16),
                        None => continue,
                    }
                }
                other => {
                    return Err(QuiverError::Internal(format!(
                        "not a vector column: {other}"
                    )))
                }
            };
            top.push(pos, d);
        }
        base += list.len() as u32;
    }
    Ok(top.into_sorted().into_iter().map(|n| n.pos).collect())
}

/// The rows at `positions` (over the concatenation of `batches`), projected.
fn take(
    batches: &[RecordBatch],
    positions: &[u32],
    projection: &[usize],
) -> Result<Option<RecordBatch>> {
    if positions.is_empty() {
        return Ok(None);
    }
    let mut starts = Vec::with_capacity(batches.len());
    let mut acc = 0usize;
    for b in batches {
        starts.push(acc);
        acc += b.num_rows();
    }
    let mut indices = Vec::with_capacity(positions.len());
    for &p in positions {
        let p = p as usize;
        let bi = starts.partition_point(|s| *s <= p).saturating_sub(1);
        let row = p - starts[bi];
        if row >= batches[bi].num_rows() {
            return Err(QuiverError::Internal(format!(
                "index returned position {p} beyond the segment's {acc} rows"
            )));
        }
        indices.push((bi, row));
    }
    let projected: Vec<RecordBatch> = batches
        .iter()
        .map(|b| b.project(projection))
        .collect::<std::result::Result<_, _>>()?;
    let refs: Vec<&RecordBatch> = projected.iter().collect();
    Ok(Some(arrow::compute::interleave_record_batch(
        &refs, &indices,
    )?))
}

/// Evaluates a column-free expression to a query vector (text or vector value), as the column's
/// element type would read it. `None`: NULL, not a vector, or an expression that fails (it fails
/// again, with its real message, where the plan computes the distance).
pub(crate) fn query_vector(e: &Arc<dyn PhysicalExpr>, ty: &SqlType) -> Result<Option<Vec<f32>>> {
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
            SqlType::Halfvec(_) => crate::sql::pgvector::parse_halfvec(&t, None)
                .map(|v| v.iter().map(|x| x.to_f32()).collect()),
            _ => crate::sql::pgvector::parse_vector(&t, None),
        };
        return Ok(parsed.ok());
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
        return Ok(Some(f.values().to_vec()));
    }
    if let Some(h) = values.as_primitive_opt::<Float16Type>() {
        return Ok(Some(h.values().iter().map(|v| v.to_f32()).collect()));
    }
    Ok(None)
}
