//! `hybrid_search`: several retrieval legs over one table — dense vectors, a sparse vector, BM25
//! text — fused into one ranked list, as a table function:
//!
//! ```sql
//! SELECT id, content, hybrid_score
//! FROM hybrid_search('docs',
//!        dense_leg('embedding', '[0.1, ...]', 100),          -- column, query, k [, metric]
//!        bm25_leg('content', 'who wrote hamlet', 100),       -- column, query text, k
//!        sparse_leg('keywords', '{3:0.5,17:1.2}/30000', 100),-- column, query sparsevec, k
//!        weighted(0.5, 0.3, 0.2))                            -- or rrf(60); default: equal weights
//! WHERE category = 3
//! ORDER BY hybrid_score DESC LIMIT 10;
//! ```
//!
//! The result has the table's columns, per leg `<leg>_score` (the leg's raw score: distance for
//! dense legs, BM25 score, inner product; under weighted fusion also for rows the leg did not
//! return, which weighted fusion scores on every leg) and `<leg>_rank` (NULL where the leg did not
//! return the row), and `hybrid_score` / `hybrid_rank` of the fusion (`crate::sql::fusion`), ordered best
//! first. Leg labels are `dense`, `sparse`, `bm25`, numbered from the second of a kind
//! (`dense_2`). A `WHERE` clause on the table's columns is pushed into every leg (each leg then
//! returns its k best *matching* rows, through the same filtered search as `ORDER BY ... LIMIT`);
//! conditions on the score columns apply after fusion.
//!
//! Dense legs search the column's vector index of the leg's metric when there is one (the ANN
//! operator's search, with `hnsw.ef_search` and friends) and rank exactly otherwise. BM25 legs use
//! per-segment postings (`storage::tindex`) with corpus statistics over all live rows; the analyzer
//! is the one of the column's `bm25` index (`english` without one). Sparse legs use per-segment
//! inverted indexes. Arguments may be `$n` parameters.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, Float64Array, Int32Array, RecordBatch, RecordBatchOptions, UInt64Array,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use async_trait::async_trait;
use datafusion::catalog::{
    Session as DfSession, TableFunctionArgs, TableFunctionImpl, TableProvider,
};
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{Column as DfColumn, DFSchema, ScalarValue};
use datafusion::datasource::TableType;
use datafusion::error::{DataFusionError, Result as DfResult};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::physical_planning_context::PhysicalPlanningContext;
use datafusion::logical_expr::{Expr, ScalarUDF, TableProviderFilterPushDown};
use datafusion::physical_expr::{create_physical_expr, PhysicalExpr};
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties};
use parking_lot::Mutex;

use crate::error::{QuiverError, Result};
use crate::index::bm25::{self, Bm25Params, CorpusStats, QueryTerm};
use crate::index::{Metric, RowMask, SearchStats};
use crate::planner::ann_exec::{
    self, deferred_stream, deleted_positions, filter_mask, locate, metric_name, AnnQuery,
};
use crate::planner::ann_rule::search_params;
use crate::planner::session_functions::{seq_name, ParamSlot};
use crate::planner::settings::Settings;
use crate::sql::cast::cast_array;
use crate::sql::errors::to_df;
use crate::sql::functions::hybrid::LEG_FUNCTIONS;
use crate::sql::fusion::{fuse, Fusion, LegHits};
use crate::sql::vector_array::sparse_of;
use crate::storage::catalog::{TableDef, ROW_ID};
use crate::storage::provider::SharedTxn;
use crate::storage::scan::{scan_properties, ScanSource};
use crate::storage::vindex::{vector_spec, VectorIndexSpec};
use crate::storage::{Storage, TableSnapshot};
use crate::text::analyzer::Analyzer;
use crate::types::SqlType;

pub const HYBRID_SEARCH: &str = "hybrid_search";

fn bad(msg: impl Into<String>) -> DataFusionError {
    to_df(QuiverError::InvalidParameterValue(msg.into()))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LegKind {
    Dense,
    Sparse,
    Bm25,
}

impl LegKind {
    fn name(&self) -> &'static str {
        match self {
            LegKind::Dense => "dense",
            LegKind::Sparse => "sparse",
            LegKind::Bm25 => "bm25",
        }
    }
}

/// A leg as written: its arguments stay expressions until the scan (they may be parameters).
#[derive(Debug, Clone)]
struct LegSpec {
    kind: LegKind,
    label: String,
    column: usize,
    query: Expr,
    k: Expr,
    /// Dense legs: the metric's name (`cosine`, `l2`, `ip`, `l1`).
    metric: Option<Expr>,
}

#[derive(Debug, Clone)]
enum FusionSpec {
    /// No fusion given: weighted fusion with equal weights.
    Default,
    Rrf(Option<Expr>),
    Weighted(Vec<Expr>),
}

/// The table function, one per session.
pub struct HybridSearchFn {
    storage: Arc<Storage>,
    txn: SharedTxn,
    settings: Arc<Mutex<Settings>>,
    params: ParamSlot,
}

impl HybridSearchFn {
    pub fn new(
        storage: Arc<Storage>,
        txn: SharedTxn,
        settings: Arc<Mutex<Settings>>,
        params: ParamSlot,
    ) -> Self {
        HybridSearchFn {
            storage,
            txn,
            settings,
            params,
        }
    }
}

impl fmt::Debug for HybridSearchFn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HybridSearchFn")
    }
}

fn text_literal(e: &Expr) -> Option<String> {
    match e {
        Expr::Literal(ScalarValue::Utf8(Some(s)), _)
        | Expr::Literal(ScalarValue::LargeUtf8(Some(s)), _)
        | Expr::Literal(ScalarValue::Utf8View(Some(s)), _) => Some(s.clone()),
        _ => None,
    }
}

impl TableFunctionImpl for HybridSearchFn {
    fn call_with_args(&self, args: TableFunctionArgs) -> DfResult<Arc<dyn TableProvider>> {
        let exprs = args.exprs();
        let Some(table) = exprs.first().and_then(text_literal) else {
            return Err(bad(
                "the first argument of hybrid_search must be a table name",
            ));
        };
        let name = seq_name(&table);
        let def = self
            .storage
            .table_def("public", &name)
            .ok_or_else(|| to_df(QuiverError::UndefinedTable(name.clone())))?;
        let mut legs: Vec<LegSpec> = Vec::new();
        let mut fusion: Option<FusionSpec> = None;
        for e in &exprs[1..] {
            let Expr::ScalarFunction(ScalarFunction { func, args }) = e else {
                return Err(bad(format!(
                    "hybrid_search arguments after the table must be {}(...), not {e}",
                    LEG_FUNCTIONS.join("(...), ")
                )));
            };
            let fname = func.name();
            match fname {
                "rrf" | "weighted" => {
                    if fusion.is_some() {
                        return Err(bad("hybrid_search takes one fusion (rrf or weighted)"));
                    }
                    fusion = Some(if fname == "rrf" {
                        if args.len() > 1 {
                            return Err(bad("rrf takes at most one argument (k)"));
                        }
                        FusionSpec::Rrf(args.first().cloned())
                    } else {
                        if args.is_empty() {
                            return Err(bad("weighted needs one weight per leg"));
                        }
                        FusionSpec::Weighted(args.clone())
                    });
                }
                "dense_leg" | "sparse_leg" | "bm25_leg" => {
                    let kind = match fname {
                        "dense_leg" => LegKind::Dense,
                        "sparse_leg" => LegKind::Sparse,
                        _ => LegKind::Bm25,
                    };
                    let max = if kind == LegKind::Dense { 4 } else { 3 };
                    if args.len() < 3 || args.len() > max {
                        return Err(bad(format!(
                            "{fname} takes (column, query, k{})",
                            if kind == LegKind::Dense {
                                " [, metric]"
                            } else {
                                ""
                            }
                        )));
                    }
                    let Some(col) = text_literal(&args[0]) else {
                        return Err(bad(format!(
                            "the column of {fname} must be a name in quotes"
                        )));
                    };
                    let column = def
                        .column_index(&col)
                        .ok_or_else(|| to_df(QuiverError::UndefinedColumn(col.clone())))?;
                    let ty = &def.columns[column].ty;
                    let fits = match kind {
                        LegKind::Dense => matches!(ty, SqlType::Vector(_) | SqlType::Halfvec(_)),
                        LegKind::Sparse => matches!(ty, SqlType::Sparsevec(_)),
                        LegKind::Bm25 => {
                            matches!(ty, SqlType::Text | SqlType::Varchar(_) | SqlType::Char(_))
                        }
                    };
                    if !fits {
                        return Err(to_df(QuiverError::DatatypeMismatch(format!(
                            "{fname} cannot search column \"{col}\" of type {}",
                            ty.display_name()
                        ))));
                    }
                    let n = legs.iter().filter(|l| l.kind == kind).count();
                    let label = if n == 0 {
                        kind.name().to_string()
                    } else {
                        format!("{}_{}", kind.name(), n + 1)
                    };
                    legs.push(LegSpec {
                        kind,
                        label,
                        column,
                        query: args[1].clone(),
                        k: args[2].clone(),
                        metric: args.get(3).cloned(),
                    });
                }
                other => {
                    return Err(bad(format!(
                        "hybrid_search does not take {other}(...) as an argument"
                    )))
                }
            }
        }
        if legs.is_empty() {
            return Err(bad(
                "hybrid_search needs at least one leg (dense_leg, sparse_leg, bm25_leg)",
            ));
        }
        if let Some(FusionSpec::Weighted(w)) = &fusion {
            if w.len() != legs.len() {
                return Err(bad(format!(
                    "weighted has {} weights for {} legs",
                    w.len(),
                    legs.len()
                )));
            }
        }
        let user = def.arrow_schema();
        let mut fields: Vec<Field> = user.fields().iter().map(|f| f.as_ref().clone()).collect();
        for l in &legs {
            fields.push(Field::new(
                format!("{}_score", l.label),
                DataType::Float64,
                true,
            ));
            fields.push(Field::new(
                format!("{}_rank", l.label),
                DataType::Int32,
                true,
            ));
        }
        fields.push(Field::new("hybrid_score", DataType::Float64, false));
        fields.push(Field::new("hybrid_rank", DataType::Int32, false));
        Ok(Arc::new(HybridTable {
            storage: self.storage.clone(),
            txn: self.txn.clone(),
            settings: self.settings.clone(),
            params: self.params.clone(),
            def,
            legs,
            fusion: fusion.unwrap_or(FusionSpec::Default),
            schema: Arc::new(Schema::new(fields)),
        }))
    }
}

/// What `hybrid_search(...)` returns to the planner.
struct HybridTable {
    storage: Arc<Storage>,
    txn: SharedTxn,
    settings: Arc<Mutex<Settings>>,
    params: ParamSlot,
    def: Arc<TableDef>,
    legs: Vec<LegSpec>,
    fusion: FusionSpec,
    schema: SchemaRef,
}

impl fmt::Debug for HybridTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "hybrid_search({})", self.def.name)
    }
}

/// Replaces `$n` by the execution's values and evaluates a column-free expression.
fn eval_const(e: &Expr, params: &[ScalarValue]) -> Result<(ArrayRef, SqlType)> {
    use datafusion::common::tree_node::{Transformed, TreeNode};
    let bound = e
        .clone()
        .transform_up(|x| {
            if let Expr::Placeholder(p) = &x {
                let n: usize =
                    p.id.strip_prefix('$')
                        .and_then(|n| n.parse().ok())
                        .unwrap_or(0);
                let v = params.get(n.wrapping_sub(1)).cloned().ok_or_else(|| {
                    DataFusionError::Plan(format!("no value found for placeholder {}", p.id))
                })?;
                return Ok(Transformed::yes(Expr::Literal(v, None)));
            }
            Ok(Transformed::no(x))
        })
        .map_err(QuiverError::from)?
        .data;
    let props = datafusion::execution::context::ExecutionProps::new();
    let phys = create_physical_expr(
        &bound,
        &DFSchema::empty(),
        &props,
        &PhysicalPlanningContext::default(),
    )?;
    let batch = RecordBatch::try_new_with_options(
        Arc::new(Schema::empty()),
        vec![],
        &RecordBatchOptions::new().with_row_count(Some(1)),
    )?;
    let field = phys.return_field(&Schema::empty())?;
    let array = phys.evaluate(&batch)?.into_array(1)?;
    let ty = if array.data_type() == &DataType::Null {
        SqlType::Text
    } else {
        SqlType::of_field(&field)
    };
    Ok((array, ty))
}

fn const_text(e: &Expr, params: &[ScalarValue], what: &str) -> Result<String> {
    let (a, _) = eval_const(e, params)?;
    let a = arrow::compute::cast(&a, &DataType::Utf8)?;
    let s = a.as_any().downcast_ref::<arrow::array::StringArray>();
    match s {
        Some(s) if !s.is_null(0) => Ok(s.value(0).to_string()),
        _ => Err(QuiverError::InvalidParameterValue(format!(
            "{what} must not be NULL"
        ))),
    }
}

fn const_f64(e: &Expr, params: &[ScalarValue], what: &str) -> Result<f64> {
    let (a, _) = eval_const(e, params)?;
    let a = arrow::compute::cast(&a, &DataType::Float64)
        .map_err(|_| QuiverError::InvalidParameterValue(format!("{what} must be a number")))?;
    let f = a.as_any().downcast_ref::<Float64Array>();
    match f {
        Some(f) if !f.is_null(0) && f.value(0).is_finite() => Ok(f.value(0)),
        _ => Err(QuiverError::InvalidParameterValue(format!(
            "{what} must be a finite number"
        ))),
    }
}

/// The float8 that prints as a float4 prints (shortest digits), as PostgreSQL's float4 → float8
/// cast of a value read back from text would give.
fn f32_as_f64(x: f32) -> f64 {
    x.to_string().parse().unwrap_or(x as f64)
}

/// A leg ready to run.
#[derive(Debug, Clone)]
struct Leg {
    label: String,
    kind: LegKind,
    column: usize,
    column_name: String,
    k: usize,
    /// Dense and sparse legs: the distance expression over the table's rows (ascending = better).
    key: Option<Arc<dyn PhysicalExpr>>,
    /// Dense legs: the index searched, when the column has one of the leg's metric.
    ann: Option<AnnQuery>,
    metric: Option<Metric>,
    /// BM25 legs.
    text: Option<(String, Analyzer, Option<u64>, Bm25Params)>,
    /// Sparse legs: the query and the column's sparse_inverted index, if any.
    sparse: Option<(Vec<u32>, Vec<f32>, Option<u64>)>,
}

impl fmt::Display for Leg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}(column={}", self.label, self.column_name)?;
        if let Some(m) = self.metric {
            write!(f, ", metric={}", metric_name(m))?;
        }
        if let Some((_, a, ix, _)) = &self.text {
            write!(f, ", analyzer={}", a.name())?;
            if ix.is_some() {
                write!(f, ", index=bm25")?;
            }
        }
        if let Some(ann) = &self.ann {
            write!(f, ", index={} ({})", ann.spec.name, ann.spec.kind().name())?;
        }
        if matches!(&self.sparse, Some((_, _, Some(_)))) {
            write!(f, ", index=sparse_inverted")?;
        }
        write!(f, ", k={})", self.k)
    }
}

fn distance_function(m: Metric) -> &'static str {
    match m {
        Metric::L2 => "l2_distance",
        Metric::InnerProduct => "vector_negative_inner_product",
        Metric::Cosine => "cosine_distance",
        Metric::L1 => "l1_distance",
        Metric::Hamming => "hamming_distance",
        Metric::Jaccard => "jaccard_distance",
    }
}

impl HybridTable {
    /// The user columns plus `__row_id`, the schema legs read rows in.
    fn full_schema(&self) -> SchemaRef {
        let user = self.def.arrow_schema();
        let mut fields: Vec<Field> = user.fields().iter().map(|f| f.as_ref().clone()).collect();
        fields.push(Field::new(ROW_ID, DataType::UInt64, false));
        Arc::new(Schema::new(fields))
    }

    fn resolve(
        &self,
        state: &dyn DfSession,
        full: &SchemaRef,
        filter: Option<Arc<dyn PhysicalExpr>>,
    ) -> Result<(Vec<Leg>, Fusion)> {
        let params = self.params.lock().clone();
        let settings = self.settings.lock().clone();
        let df_full = DFSchema::try_from(full.as_ref().clone())?;
        let props = datafusion::execution::context::ExecutionProps::new();
        let udf =
            |name: &str| -> Result<Arc<ScalarUDF>> {
                state.scalar_functions().get(name).cloned().ok_or_else(|| {
                    QuiverError::Internal(format!("function {name} is not registered"))
                })
            };
        let mut out = Vec::new();
        for spec in &self.legs {
            let k = const_f64(&spec.k, &params, "k")?;
            if !(1.0..=100_000.0).contains(&k) || k.fract() != 0.0 {
                return Err(QuiverError::InvalidParameterValue(format!(
                    "k of {} must be an integer between 1 and 100000, not {k}",
                    spec.label
                )));
            }
            let k = k as usize;
            let col_name = self.def.columns[spec.column].name.clone();
            let col_ty = self.def.columns[spec.column].ty.clone();
            let mut leg = Leg {
                label: spec.label.clone(),
                kind: spec.kind,
                column: spec.column,
                column_name: col_name.clone(),
                k,
                key: None,
                ann: None,
                metric: None,
                text: None,
                sparse: None,
            };
            // The distance of a vector leg as a SQL expression over the table's rows.
            let key_for = |metric: Metric,
                           value: ScalarValue,
                           ty: &SqlType|
             -> Result<Arc<dyn PhysicalExpr>> {
                let meta = datafusion::common::metadata::FieldMetadata::from(ty.metadata());
                let e = Expr::ScalarFunction(ScalarFunction::new_udf(
                    udf(distance_function(metric))?,
                    vec![
                        Expr::Column(DfColumn::new_unqualified(col_name.clone())),
                        Expr::Literal(value, Some(meta)),
                    ],
                ));
                Ok(create_physical_expr(
                    &e,
                    &df_full,
                    &props,
                    &PhysicalPlanningContext::default(),
                )?)
            };
            match spec.kind {
                LegKind::Dense => {
                    let metric = match &spec.metric {
                        None => None,
                        Some(m) => Some(
                            match const_text(m, &params, "metric")?
                                .to_ascii_lowercase()
                                .as_str()
                            {
                                "l2" | "<->" => Metric::L2,
                                "ip" | "inner_product" | "<#>" => Metric::InnerProduct,
                                "cosine" | "<=>" => Metric::Cosine,
                                "l1" | "<+>" => Metric::L1,
                                other => {
                                    return Err(QuiverError::InvalidParameterValue(format!(
                                        "unknown metric \"{other}\" (cosine, l2, ip or l1)"
                                    )))
                                }
                            },
                        ),
                    };
                    let specs: Vec<VectorIndexSpec> = self
                        .def
                        .indexes
                        .iter()
                        .filter_map(|i| vector_spec(i, &self.def))
                        // Partial indexes hold only some rows; a leg searches them all.
                        .filter(|s| s.column() == Some(spec.column) && s.predicate.is_none())
                        .collect();
                    // Without a metric: the index's, else cosine (what text embeddings use).
                    let metric = metric
                        .or_else(|| specs.first().map(|s| s.metric))
                        .unwrap_or(Metric::Cosine);
                    let (arr, from) = eval_const(&spec.query, &params)?;
                    let target = match col_ty {
                        SqlType::Halfvec(d) => SqlType::Halfvec(d),
                        SqlType::Vector(d) => SqlType::Vector(d),
                        _ => SqlType::Vector(None),
                    };
                    if arr.is_null(0) {
                        return Err(QuiverError::InvalidParameterValue(format!(
                            "the query vector of {} must not be NULL",
                            spec.label
                        )));
                    }
                    let cast = cast_array(&arr, &from, &target)?;
                    let value = ScalarValue::try_from_array(&cast, 0)?;
                    let key = key_for(metric, value.clone(), &target)?;
                    let index = specs.into_iter().find(|s| s.metric == metric);
                    leg.metric = Some(metric);
                    if let Some(ix) = index {
                        let kind = ix.kind();
                        let lit: Arc<dyn PhysicalExpr> =
                            Arc::new(datafusion::physical_expr::expressions::Literal::new(value));
                        leg.ann = Some(AnnQuery {
                            spec: ix,
                            key: Arc::new(datafusion::physical_expr::expressions::Column::new(
                                &col_name,
                                spec.column,
                            )),
                            query: lit,
                            key_type: col_ty.clone(),
                            k,
                            params: search_params(&settings, k, kind, filter.is_some()),
                            filter: filter.clone(),
                            order: Some(key.clone()),
                        });
                    }
                    leg.key = Some(key);
                }
                LegKind::Sparse => {
                    let (arr, from) = eval_const(&spec.query, &params)?;
                    if arr.is_null(0) {
                        return Err(QuiverError::InvalidParameterValue(format!(
                            "the query vector of {} must not be NULL",
                            spec.label
                        )));
                    }
                    let cast = cast_array(&arr, &from, &col_ty)?;
                    let q = sparse_of(cast.as_ref())?
                        .into_iter()
                        .next()
                        .flatten()
                        .ok_or_else(|| QuiverError::Internal("sparse query".into()))?;
                    let value = ScalarValue::try_from_array(&cast, 0)?;
                    leg.key = Some(key_for(Metric::InnerProduct, value, &col_ty)?);
                    leg.metric = Some(Metric::InnerProduct);
                    let index_id = self
                        .def
                        .indexes
                        .iter()
                        .find(|i| {
                            i.method == "sparse_inverted"
                                && i.columns.len() == 1
                                && i.columns[0] == col_name
                        })
                        .map(|i| i.id);
                    leg.sparse = Some((
                        q.indices.iter().map(|&i| i as u32).collect(),
                        q.values.clone(),
                        index_id,
                    ));
                }
                LegKind::Bm25 => {
                    let text = const_text(&spec.query, &params, "the query text")?;
                    let index = self.def.indexes.iter().find(|i| {
                        i.method == "bm25" && i.columns.len() == 1 && i.columns[0] == col_name
                    });
                    let opt = |name: &str| {
                        index.and_then(|i| {
                            i.options
                                .iter()
                                .find(|(n, _)| n == name)
                                .map(|(_, v)| v.clone())
                        })
                    };
                    let analyzer = opt("analyzer")
                        .and_then(|a| Analyzer::from_name(&a))
                        .unwrap_or(Analyzer::English);
                    let mut p = Bm25Params::default();
                    if let Some(k1) = opt("k1").and_then(|v| v.parse().ok()) {
                        p.k1 = k1;
                    }
                    if let Some(b) = opt("b").and_then(|v| v.parse().ok()) {
                        p.b = b;
                    }
                    leg.text = Some((text, analyzer, index.map(|i| i.id), p));
                }
            }
            out.push(leg);
        }
        let fusion = match &self.fusion {
            FusionSpec::Default => Fusion::default_for(out.len()),
            FusionSpec::Rrf(None) => Fusion::rrf(),
            FusionSpec::Rrf(Some(k)) => {
                let k = const_f64(k, &params, "the k of rrf")?;
                if k < 0.0 {
                    return Err(QuiverError::InvalidParameterValue(
                        "the k of rrf must not be negative".into(),
                    ));
                }
                Fusion::Rrf { k }
            }
            FusionSpec::Weighted(ws) => {
                let weights = ws
                    .iter()
                    .map(|w| const_f64(w, &params, "a weight"))
                    .collect::<Result<Vec<f64>>>()?;
                if weights.iter().any(|w| *w < 0.0) {
                    return Err(QuiverError::InvalidParameterValue(
                        "weights must not be negative".into(),
                    ));
                }
                Fusion::Weighted { weights }
            }
        };
        Ok((out, fusion))
    }
}

/// Removes table qualifiers (`h.category` → `category`): pushed filters name the function's alias.
fn unqualify(e: &Expr) -> Result<Expr> {
    use datafusion::common::tree_node::{Transformed, TreeNode};
    Ok(e.clone()
        .transform_up(|x| match x {
            Expr::Column(c) => Ok(Transformed::yes(Expr::Column(DfColumn::new_unqualified(
                c.name,
            )))),
            other => Ok(Transformed::no(other)),
        })
        .map_err(QuiverError::from)?
        .data)
}

#[async_trait]
impl TableProvider for HybridTable {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::Temporary
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> DfResult<Vec<TableProviderFilterPushDown>> {
        let user: Vec<String> = self.def.columns.iter().map(|c| c.name.clone()).collect();
        Ok(filters
            .iter()
            .map(|f| {
                let cols = f.column_refs();
                let on_table = cols.iter().all(|c| user.contains(&c.name));
                let volatile = f.is_volatile();
                if on_table && !volatile && !cols.is_empty() {
                    TableProviderFilterPushDown::Exact
                } else {
                    TableProviderFilterPushDown::Unsupported
                }
            })
            .collect())
    }

    async fn scan(
        &self,
        state: &dyn DfSession,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        let full = self.full_schema();
        let filter = if filters.is_empty() {
            None
        } else {
            let conj = filters
                .iter()
                .map(unqualify)
                .collect::<Result<Vec<_>>>()
                .map_err(to_df)?
                .into_iter()
                .reduce(|a, b| a.and(b))
                .expect("non-empty");
            let df_full = DFSchema::try_from(full.as_ref().clone())?;
            let props = datafusion::execution::context::ExecutionProps::new();
            Some(create_physical_expr(
                &conj,
                &df_full,
                &props,
                &PhysicalPlanningContext::default(),
            )?)
        };
        let (legs, fusion) = self.resolve(state, &full, filter.clone()).map_err(to_df)?;
        let source = ScanSource::capture(
            self.storage.clone(),
            self.def.id,
            &self.def.name,
            self.txn.clone(),
            full.clone(),
        )
        .map_err(to_df)?;
        let projection = match projection {
            Some(p) => p.clone(),
            None => (0..self.schema.fields().len()).collect(),
        };
        let schema = Arc::new(self.schema.project(&projection)?);
        Ok(Arc::new(HybridSearchExec {
            properties: Arc::new(scan_properties(schema.clone())),
            source,
            legs,
            fusion,
            filter,
            out_schema: self.schema.clone(),
            projection,
            schema,
            limit,
        }))
    }
}

/// Runs the legs and fuses them (see the module docs).
pub struct HybridSearchExec {
    source: ScanSource,
    legs: Vec<Leg>,
    fusion: Fusion,
    filter: Option<Arc<dyn PhysicalExpr>>,
    /// The function's whole output schema, and the projection of it this node produces.
    out_schema: SchemaRef,
    projection: Vec<usize>,
    schema: SchemaRef,
    limit: Option<usize>,
    properties: Arc<PlanProperties>,
}

impl fmt::Debug for HybridSearchExec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HybridSearchExec({})", self.source.table_name())
    }
}

impl DisplayAs for HybridSearchExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        let names: Vec<String> = self.legs.iter().map(|l| l.to_string()).collect();
        write!(
            f,
            "HybridSearchExec: table={}, legs=[{}], fusion={}",
            self.source.table_name(),
            names.join(", "),
            self.fusion
        )?;
        if let Some(flt) = &self.filter {
            write!(f, ", filter={flt}")?;
        }
        if let Some(l) = self.limit {
            write!(f, ", limit={l}")?;
        }
        Ok(())
    }
}

impl ExecutionPlan for HybridSearchExec {
    fn name(&self) -> &str {
        "HybridSearchExec"
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
        let keys = self.legs.iter().filter_map(|l| l.key.as_ref());
        for e in self.filter.iter().chain(keys) {
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
                "HybridSearchExec has no children".into(),
            ))
        }
    }

    fn execute(
        &self,
        partition: usize,
        _context: Arc<TaskContext>,
    ) -> DfResult<SendableRecordBatchStream> {
        if partition != 0 {
            return Err(DataFusionError::Internal(format!(
                "HybridSearchExec has one partition, not {}",
                partition + 1
            )));
        }
        let schema = self.schema.clone();
        let run = HybridRun {
            source: self.source.clone(),
            legs: self.legs.clone(),
            fusion: self.fusion.clone(),
            filter: self.filter.clone(),
            out_schema: self.out_schema.clone(),
            projection: self.projection.clone(),
            limit: self.limit,
        };
        // Legs analyse text and rank rows exactly: CPU work for the blocking pool.
        let fut = async move {
            tokio::task::spawn_blocking(move || run.run())
                .await
                .map_err(|e| to_df(QuiverError::Internal(format!("hybrid_search: {e}"))))?
                .map(|b| vec![b])
                .map_err(to_df)
        };
        Ok(deferred_stream(schema, fut))
    }
}

/// The rows the inverted-index legs read, per part: each non-empty sealed segment, then the
/// unsealed rows (growing segment and the transaction's own rows, live ones) as the last part.
struct Parts {
    segments: Vec<crate::storage::segment::SegmentRef>,
    /// Per part (sealed segments, then the unsealed rows), in the full schema.
    batches: Vec<Vec<RecordBatch>>,
    /// Per sealed segment: its live rows.
    live: Vec<RowMask>,
    /// Per part: the live rows that pass the filter (`None`: all of the part's rows).
    allowed: Vec<Option<RowMask>>,
}

/// One leg's result: its rows (full schema) best first, with raw scores.
struct LegRows {
    batch: Option<RecordBatch>,
    scores: Vec<f64>,
    higher_is_better: bool,
    /// BM25 legs: the query terms (with idf) and average document length the leg scored with,
    /// to score other legs' rows the same way.
    bm25_query: Option<(Vec<QueryTerm>, f32)>,
}

struct HybridRun {
    source: ScanSource,
    legs: Vec<Leg>,
    fusion: Fusion,
    filter: Option<Arc<dyn PhysicalExpr>>,
    out_schema: SchemaRef,
    projection: Vec<usize>,
    limit: Option<usize>,
}

impl HybridRun {
    fn all_columns(&self) -> Vec<usize> {
        (0..self.source.full_schema.fields().len()).collect()
    }

    fn run(&self) -> Result<RecordBatch> {
        let parts = if self.legs.iter().any(|l| l.kind != LegKind::Dense) {
            Some(self.parts()?)
        } else {
            None
        };
        let results: Vec<LegRows> = self
            .legs
            .iter()
            .map(|l| self.leg(l, parts.as_ref()))
            .collect::<Result<_>>()?;
        let row_id_col = self.source.full_schema.fields().len() - 1;
        let hits: Vec<LegHits> = results
            .iter()
            .map(|r| LegHits {
                hits: match &r.batch {
                    Some(b) => {
                        let ids = b
                            .column(row_id_col)
                            .as_any()
                            .downcast_ref::<UInt64Array>()
                            .expect("__row_id is UInt64");
                        ids.values()
                            .iter()
                            .copied()
                            .zip(r.scores.iter().copied())
                            .collect()
                    }
                    None => vec![],
                },
                higher_is_better: r.higher_is_better,
                filled: HashMap::new(),
            })
            .collect();
        let mut hits = hits;
        if self.fusion.wants_filled() && self.legs.len() > 1 {
            // Every candidate row, once, to be scored by the legs that did not return it.
            let batches: Vec<RecordBatch> =
                results.iter().filter_map(|r| r.batch.clone()).collect();
            let all = arrow::compute::concat_batches(&self.source.full_schema, &batches)?;
            let ids = all
                .column(row_id_col)
                .as_any()
                .downcast_ref::<UInt64Array>()
                .expect("__row_id is UInt64");
            let mut seen = std::collections::HashSet::new();
            let first: Vec<u32> = (0..all.num_rows() as u32)
                .filter(|&i| seen.insert(ids.value(i as usize)))
                .collect();
            let rows =
                arrow::compute::take_record_batch(&all, &arrow::array::UInt32Array::from(first))?;
            let keys: Vec<u64> = rows
                .column(row_id_col)
                .as_any()
                .downcast_ref::<UInt64Array>()
                .expect("__row_id is UInt64")
                .values()
                .to_vec();
            for (l, leg) in self.legs.iter().enumerate() {
                hits[l].filled = self.fill(leg, &results[l], &hits[l], &rows, &keys)?;
            }
        }
        let mut fused = fuse(&hits, &self.fusion);
        if let Some(l) = self.limit {
            fused.truncate(l);
        }
        // Where each fused row's values come from: the first leg that returned it.
        let batches: Vec<&RecordBatch> = results.iter().filter_map(|r| r.batch.as_ref()).collect();
        let mut batch_of_leg: Vec<Option<usize>> = Vec::new();
        let mut n = 0;
        for r in &results {
            batch_of_leg.push(r.batch.as_ref().map(|_| {
                n += 1;
                n - 1
            }));
        }
        let mut where_is: HashMap<u64, (usize, usize)> = HashMap::new();
        for (l, h) in hits.iter().enumerate() {
            for (row, (key, _)) in h.hits.iter().enumerate() {
                if let Some(b) = batch_of_leg[l] {
                    where_is.entry(*key).or_insert((b, row));
                }
            }
        }
        let indices: Vec<(usize, usize)> = fused.iter().map(|f| where_is[&f.key]).collect();
        let user_cols = self.source.full_schema.fields().len() - 1;
        let mut columns: Vec<ArrayRef> = if batches.is_empty() || indices.is_empty() {
            self.out_schema.fields()[..user_cols]
                .iter()
                .map(|f| arrow::array::new_empty_array(f.data_type()))
                .collect()
        } else {
            let rows = arrow::compute::interleave_record_batch(&batches, &indices)?;
            rows.columns()[..user_cols].to_vec()
        };
        for l in 0..self.legs.len() {
            let scores: Float64Array = fused
                .iter()
                .map(|f| {
                    f.legs[l]
                        .map(|(_, s)| s)
                        .or_else(|| hits[l].filled.get(&f.key).copied())
                })
                .collect();
            let ranks: Int32Array = fused
                .iter()
                .map(|f| f.legs[l].map(|(r, _)| r as i32))
                .collect();
            columns.push(Arc::new(scores));
            columns.push(Arc::new(ranks));
        }
        columns.push(Arc::new(Float64Array::from_iter_values(
            fused.iter().map(|f| f.score),
        )));
        columns.push(Arc::new(Int32Array::from_iter_values(
            (1..=fused.len() as i32).collect::<Vec<_>>(),
        )));
        let out = RecordBatch::try_new_with_options(
            self.out_schema.clone(),
            columns,
            &RecordBatchOptions::new().with_row_count(Some(fused.len())),
        )?;
        Ok(out.project(&self.projection)?)
    }

    fn leg(&self, leg: &Leg, parts: Option<&Parts>) -> Result<LegRows> {
        let parts = || parts.ok_or_else(|| QuiverError::Internal("rows not read".into()));
        match leg.kind {
            LegKind::Bm25 => self.bm25(leg, parts()?),
            LegKind::Sparse => self.sparse(leg, parts()?),
            LegKind::Dense => {
                let key = leg.key.as_ref().expect("dense legs have a key");
                let batch = match &leg.ann {
                    Some(ann) => {
                        let mut report = ann_exec::Report::default();
                        let out =
                            ann_exec::search(&self.source, &self.all_columns(), ann, &mut report)?;
                        match out.len() {
                            0 => None,
                            1 => out.into_iter().next(),
                            _ => Some(arrow::compute::concat_batches(
                                &self.source.full_schema,
                                &out,
                            )?),
                        }
                    }
                    None => self.exact(key, leg.k)?,
                };
                let scores = match &batch {
                    Some(b) => {
                        let d = key.evaluate(b)?.into_array(b.num_rows())?;
                        let d = arrow::compute::cast(&d, &DataType::Float64)?;
                        let d = d.as_any().downcast_ref::<Float64Array>().expect("cast");
                        d.iter().map(|x| x.unwrap_or(f64::INFINITY)).collect()
                    }
                    None => vec![],
                };
                Ok(LegRows {
                    batch,
                    scores,
                    higher_is_better: false,
                    bm25_query: None,
                })
            }
        }
    }

    /// The `k` rows with the smallest `key` among the live rows that pass the filter (NULL keys
    /// excluded), in order.
    fn exact(&self, key: &Arc<dyn PhysicalExpr>, k: usize) -> Result<Option<RecordBatch>> {
        let batches = self.source.live_batches()?;
        let mask = filter_mask(&batches, &self.all_columns(), self.filter.as_ref())?;
        let mut best: Vec<(f64, usize, usize)> = Vec::new();
        let mut base = 0u32;
        for (bi, b) in batches.iter().enumerate() {
            let d = key.evaluate(b)?.into_array(b.num_rows())?;
            let d = arrow::compute::cast(&d, &DataType::Float64)?;
            let d = d.as_any().downcast_ref::<Float64Array>().expect("cast");
            for r in 0..b.num_rows() {
                if mask.as_ref().is_some_and(|m| !m.contains(base + r as u32)) || d.is_null(r) {
                    continue;
                }
                best.push((d.value(r), bi, r));
            }
            base += b.num_rows() as u32;
        }
        best.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
        best.truncate(k);
        if best.is_empty() {
            return Ok(None);
        }
        let refs: Vec<&RecordBatch> = batches.iter().collect();
        let idx: Vec<(usize, usize)> = best.iter().map(|&(_, b, r)| (b, r)).collect();
        Ok(Some(arrow::compute::interleave_record_batch(&refs, &idx)?))
    }

    /// The snapshot's rows for the inverted-index legs, read once per run (see [`Parts`]).
    fn parts(&self) -> Result<Parts> {
        let storage_schema = self.source.snapshot.def.storage_schema();
        let full = |b: RecordBatch| {
            RecordBatch::try_new(self.source.full_schema.clone(), b.columns().to_vec())
        };
        let mut parts = Parts {
            segments: Vec::new(),
            batches: Vec::new(),
            live: Vec::new(),
            allowed: Vec::new(),
        };
        for seg in &self.source.snapshot.sealed {
            let batches: Vec<RecordBatch> = seg
                .batches(&storage_schema)?
                .into_iter()
                .map(full)
                .collect::<std::result::Result<_, _>>()?;
            let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
            if rows == 0 {
                continue;
            }
            let mut live = RowMask::all(rows);
            let mut allowed = filter_mask(&batches, &self.all_columns(), self.filter.as_ref())?
                .unwrap_or_else(|| RowMask::all(rows));
            for pos in deleted_positions(&self.source, seg, &batches)? {
                live.remove(pos);
                allowed.remove(pos);
            }
            parts.segments.push(seg.clone());
            parts.batches.push(batches);
            parts.live.push(live);
            parts.allowed.push(Some(allowed));
        }
        // The growing segment and the transaction's own rows (live ones only): the last part.
        let growing = TableSnapshot {
            sealed: vec![],
            ..self.source.snapshot.clone()
        };
        let batches: Vec<RecordBatch> = growing
            .live_batches(
                &self.source.extra_inserts,
                self.source.extra_deleted.as_ref(),
            )?
            .into_iter()
            .map(full)
            .collect::<std::result::Result<_, _>>()?;
        parts.allowed.push(filter_mask(
            &batches,
            &self.all_columns(),
            self.filter.as_ref(),
        )?);
        parts.batches.push(batches);
        Ok(parts)
    }

    /// Gathers (score, part, position) hits, best first, into one batch.
    fn gather(
        parts: &[Vec<RecordBatch>],
        mut hits: Vec<(f32, usize, u32)>,
        k: usize,
    ) -> Result<LegRows> {
        hits.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
        hits.truncate(k);
        if hits.is_empty() {
            return Ok(LegRows {
                batch: None,
                scores: vec![],
                higher_is_better: true,
                bm25_query: None,
            });
        }
        let mut flat: Vec<&RecordBatch> = Vec::new();
        let mut first: Vec<usize> = Vec::new();
        for p in parts {
            first.push(flat.len());
            flat.extend(p.iter());
        }
        let idx: Vec<(usize, usize)> = hits
            .iter()
            .map(|&(_, p, pos)| {
                let (b, r) = locate(&parts[p], pos)?;
                Ok((first[p] + b, r))
            })
            .collect::<Result<_>>()?;
        Ok(LegRows {
            batch: Some(arrow::compute::interleave_record_batch(&flat, &idx)?),
            // BM25 and inner products are computed in float4: shown as the float4 value they are
            // (0.1, not 0.10000000149011612).
            scores: hits.iter().map(|h| f32_as_f64(h.0)).collect(),
            higher_is_better: true,
            bm25_query: None,
        })
    }

    fn bm25(&self, leg: &Leg, parts: &Parts) -> Result<LegRows> {
        let (text, analyzer, index_id, params) = leg.text.as_ref().expect("bm25 legs have text");
        // Query terms with their frequencies, in first-seen order.
        let mut terms: Vec<String> = Vec::new();
        let mut weights: Vec<f32> = Vec::new();
        for t in analyzer.analyze(text) {
            match terms.iter().position(|x| *x == t) {
                Some(i) => weights[i] += 1.0,
                None => {
                    terms.push(t);
                    weights.push(1.0);
                }
            }
        }
        if terms.is_empty() {
            return Self::gather(&[], vec![], leg.k);
        }
        let def = &self.source.snapshot.def;
        let mut stats = CorpusStats::default();
        let mut indexes = Vec::with_capacity(parts.segments.len());
        for ((seg, batches), live) in parts.segments.iter().zip(&parts.batches).zip(&parts.live) {
            let ix = self
                .source
                .storage
                .text_indexes
                .bm25(def.id, seg, leg.column, *analyzer, *index_id, batches)?;
            stats.add(&ix.corpus_stats(&terms, Some(live)));
            indexes.push(ix);
        }
        let g = parts.segments.len();
        let growing = &parts.batches[g];
        let row_id_column = self.source.full_schema.fields().len() - 1;
        let unsealed = if growing.iter().any(|b| b.num_rows() > 0) {
            let ix = self.source.storage.text_indexes.bm25_unsealed(
                def.id,
                leg.column,
                *analyzer,
                growing,
                row_id_column,
            )?;
            stats.add(&ix.corpus_stats(&terms, None));
            Some(ix)
        } else {
            None
        };
        let avgdl = stats.avgdl();
        let query: Vec<QueryTerm> = terms
            .iter()
            .zip(&weights)
            .zip(&stats.df)
            .map(|((t, w), df)| QueryTerm {
                term: t.clone(),
                idf: bm25::idf(stats.docs, *df),
                weight: *w,
            })
            .collect();
        let mut hits: Vec<(f32, usize, u32)> = Vec::new();
        let mut search_stats = SearchStats::default();
        for (p, (allowed, ix)) in parts.allowed.iter().zip(&indexes).enumerate() {
            if allowed.as_ref().is_some_and(|m| m.count() == 0) {
                continue;
            }
            for n in ix.search(
                &query,
                avgdl,
                params,
                leg.k,
                allowed.as_ref(),
                &mut search_stats,
            ) {
                hits.push((-n.dist, p, n.pos));
            }
        }
        if let Some(ix) = &unsealed {
            let allowed = parts.allowed[g].as_ref();
            if allowed.is_none_or(|m| m.count() > 0) {
                for n in ix.search(&query, avgdl, params, leg.k, allowed, &mut search_stats) {
                    hits.push((-n.dist, g, n.pos));
                }
            }
        }
        let mut rows = Self::gather(&parts.batches, hits, leg.k)?;
        rows.bm25_query = Some((query, avgdl));
        Ok(rows)
    }

    /// Leg `leg`'s raw scores of the rows in `rows` it did not return (not in `own`): the distance or
    /// inner product from the row's value, the BM25 score under the leg's statistics. Rows the leg
    /// cannot score (NULL values) are left out.
    fn fill(
        &self,
        leg: &Leg,
        result: &LegRows,
        own: &LegHits,
        rows: &RecordBatch,
        keys: &[u64],
    ) -> Result<HashMap<u64, f64>> {
        let own: std::collections::HashSet<u64> = own.hits.iter().map(|(k, _)| *k).collect();
        let missing: Vec<u32> = (0..keys.len() as u32)
            .filter(|&i| !own.contains(&keys[i as usize]))
            .collect();
        let mut out = HashMap::new();
        if missing.is_empty() {
            return Ok(out);
        }
        let idx = arrow::array::UInt32Array::from(missing.clone());
        let rows = arrow::compute::take_record_batch(rows, &idx)?;
        let keys: Vec<u64> = missing.iter().map(|&i| keys[i as usize]).collect();
        match leg.kind {
            LegKind::Dense | LegKind::Sparse => {
                let key = leg.key.as_ref().expect("dense and sparse legs have a key");
                let d = key.evaluate(&rows)?.into_array(rows.num_rows())?;
                let d = arrow::compute::cast(&d, &DataType::Float64)?;
                let d = d.as_any().downcast_ref::<Float64Array>().expect("cast");
                for (i, k) in keys.iter().enumerate() {
                    if d.is_null(i) {
                        continue;
                    }
                    let v = d.value(i);
                    // Sparse legs rank by the inner product, the negation of `<#>`, in float4.
                    let v = if leg.kind == LegKind::Sparse {
                        f32_as_f64(-(v as f32))
                    } else {
                        v
                    };
                    out.insert(*k, v);
                }
            }
            LegKind::Bm25 => {
                let (Some((query, avgdl)), Some((_, analyzer, _, params))) =
                    (&result.bm25_query, &leg.text)
                else {
                    return Ok(out);
                };
                let texts =
                    crate::storage::tindex::column_texts(std::slice::from_ref(&rows), leg.column)?;
                for (k, t) in keys.iter().zip(texts) {
                    if let Some(t) = t {
                        let terms = analyzer.analyze(&t);
                        out.insert(
                            *k,
                            f32_as_f64(bm25::score_doc(&terms, query, *avgdl, params)),
                        );
                    }
                }
            }
        }
        Ok(out)
    }

    fn sparse(&self, leg: &Leg, parts: &Parts) -> Result<LegRows> {
        let (q_idx, q_val, index_id) = leg.sparse.as_ref().expect("sparse legs have a query");
        let def = &self.source.snapshot.def;
        let mut hits: Vec<(f32, usize, u32)> = Vec::new();
        let mut stats = SearchStats::default();
        for (p, (seg, batches)) in parts.segments.iter().zip(&parts.batches).enumerate() {
            let allowed = parts.allowed[p].as_ref();
            if allowed.is_some_and(|m| m.count() == 0) {
                continue;
            }
            let ix = self
                .source
                .storage
                .text_indexes
                .sparse(def.id, seg, leg.column, *index_id, batches)?;
            for n in ix.search(q_idx, q_val, leg.k, allowed, &mut stats) {
                hits.push((-n.dist, p, n.pos));
            }
        }
        // Growing rows: the inner product by the SQL function (`<#>` is its negation).
        let g = parts.segments.len();
        let mask = parts.allowed[g].as_ref();
        let key = leg.key.as_ref().expect("sparse legs have a key");
        let mut base = 0u32;
        for b in &parts.batches[g] {
            let d = key.evaluate(b)?.into_array(b.num_rows())?;
            let d = arrow::compute::cast(&d, &DataType::Float64)?;
            let d = d.as_any().downcast_ref::<Float64Array>().expect("cast");
            for r in 0..b.num_rows() {
                let pos = base + r as u32;
                if mask.is_some_and(|m| !m.contains(pos)) || d.is_null(r) {
                    continue;
                }
                hits.push((-d.value(r) as f32, g, pos));
            }
            base += b.num_rows() as u32;
        }
        Self::gather(&parts.batches, hits, leg.k)
    }
}
