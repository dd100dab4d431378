//! The ANN rewrite: a physical optimizer rule that turns `ORDER BY <distance>(col, const) LIMIT k`
//! over a table scan into an [`AnnSearchExec`] when `col` has a vector index of the same metric.
//!
//! When only projections and filters lie between the top-k sort and the scan and the sort orders
//! by the distance alone, the ANN operator replaces the sort too: it emits the `k` nearest rows by
//! exact distance, in order (PostgreSQL's index scan with `Order By`), and the nodes in between
//! keep that order. Otherwise it replaces only the scan, and everything above it — the filter,
//! the projection and the sort — stays, so the final order and distances are computed exactly as
//! without an index; the ANN operator then hands up a few candidate rows per segment. `WHERE`
//! conjuncts below the sort are given to the operator as a row mask (filtered search), except a
//! distance bound on the ordering expression itself (`col <-> q < r`): rows within a bound of the
//! ordering distance are a prefix of the order, so the filter above applies it to the candidates.
//!
//! The query vector is a literal, or (in a cached prepared plan) a call reading parameter `$n`;
//! the search evaluates it when it runs.
//! `SET enable_indexscan = off` turns the rule off (exact search, the ground truth for recall).

use std::fmt;
use std::sync::Arc;

use arrow::array::FixedSizeListArray;
use arrow::datatypes::Float32Type;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::ScalarValue;
use datafusion::config::ConfigOptions;
use datafusion::error::Result as DfResult;
use datafusion::logical_expr::Operator;
use datafusion::physical_expr::expressions::{BinaryExpr, Column, Literal};
use datafusion::physical_expr::utils::{collect_columns, conjunction_opt, split_conjunction};
use datafusion::physical_expr::{PhysicalExpr, ScalarFunctionExpr};
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::coalesce_partitions::CoalescePartitionsExec;
use datafusion::physical_plan::coop::CooperativeExec;
use datafusion::physical_plan::execution_plan::replace_children_if_necessary;
use datafusion::physical_plan::filter::FilterExec;
use datafusion::physical_plan::projection::ProjectionExec;
use datafusion::physical_plan::repartition::RepartitionExec;
use datafusion::physical_plan::sorts::sort::SortExec;
use datafusion::physical_plan::ExecutionPlan;
use parking_lot::Mutex;

use crate::index::{IndexKind, Metric, SearchParams};
use crate::planner::ann_exec::{query_vector, AnnQuery, AnnSearchExec, QueryVector};
use crate::planner::settings::Settings;
use crate::sql::errors::to_df;
use crate::storage::scan::QuiverScanExec;
use crate::storage::vindex::{vector_spec, IndexKey, VectorIndexSpec};

/// The SQL distance functions an index can order by, and their metric.
pub fn distance_metric(function: &str) -> Option<Metric> {
    match function {
        "l2_distance" => Some(Metric::L2),
        "vector_negative_inner_product" => Some(Metric::InnerProduct),
        "cosine_distance" => Some(Metric::Cosine),
        "l1_distance" => Some(Metric::L1),
        "hamming_distance" => Some(Metric::Hamming),
        "jaccard_distance" => Some(Metric::Jaccard),
        _ => None,
    }
}

pub struct AnnRule {
    settings: Arc<Mutex<Settings>>,
}

impl AnnRule {
    pub fn new(settings: Arc<Mutex<Settings>>) -> Self {
        AnnRule { settings }
    }
}

impl fmt::Debug for AnnRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AnnRule")
    }
}

impl PhysicalOptimizerRule for AnnRule {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        _config: &ConfigOptions,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        let settings = self.settings.lock().clone();
        if !settings.get_bool("enable_indexscan") {
            return Ok(plan);
        }
        plan.transform_down(|node| {
            let Some(sort) = node.downcast_ref::<SortExec>() else {
                return Ok(Transformed::no(node));
            };
            match rewrite_sort(sort, &settings)? {
                Some(Rewrite::Input(input)) => {
                    let new = replace_children_if_necessary(node.clone(), vec![input])?;
                    Ok(Transformed::yes(new))
                }
                Some(Rewrite::Sort(new)) => Ok(Transformed::yes(new)),
                None => Ok(Transformed::no(node)),
            }
        })
        .map(|t| t.data)
    }

    fn name(&self) -> &str {
        "ann_search"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

/// How a qualifying sort changes.
enum Rewrite {
    /// The sort stays, over this input (its scan replaced by an ANN search that hands up
    /// candidates per part).
    Input(Arc<dyn ExecutionPlan>),
    /// This plan replaces the sort: the ANN search emits the `k` nearest rows in order and
    /// everything between it and the sort keeps that order (projections, filters), as an index
    /// scan with `Order By` does in PostgreSQL. Saves evaluating the distance again and sorting.
    Sort(Arc<dyn ExecutionPlan>),
}

/// The sort with its scan replaced by an ANN search, when the sort qualifies.
fn rewrite_sort(sort: &SortExec, settings: &Settings) -> DfResult<Option<Rewrite>> {
    let Some(k) = sort.fetch() else {
        return Ok(None);
    };
    let first = sort.expr().first();
    if k == 0 || first.options.descending || first.options.nulls_first {
        return Ok(None);
    }
    // Walk down to the scan, translating the sort key and collecting filters into the schema
    // of each node's input as we go.
    let mut key = first.expr.clone();
    let mut filters: Vec<Arc<dyn PhysicalExpr>> = vec![];
    let mut chain: Vec<Arc<dyn ExecutionPlan>> = vec![];
    // Whether the chain keeps its input's order in one partition (no repartitioning), and the
    // sort has nothing to order by but the distance: then the search can stand in for the sort.
    let mut keeps_order = sort.expr().len() == 1;
    let mut node = sort.input().clone();
    let scan = loop {
        if let Some(scan) = node.downcast_ref::<QuiverScanExec>() {
            break scan;
        }
        let input = if let Some(p) = node.downcast_ref::<ProjectionExec>() {
            let exprs: Vec<Arc<dyn PhysicalExpr>> =
                p.expr().iter().map(|e| e.expr.clone()).collect();
            key = substitute(&key, &exprs)?;
            filters = filters
                .iter()
                .map(|f| substitute(f, &exprs))
                .collect::<DfResult<_>>()?;
            p.input().clone()
        } else if let Some(f) = node.downcast_ref::<FilterExec>() {
            let input = f.input().clone();
            if let Some(proj) = f.projection() {
                let schema = input.schema();
                let exprs: Vec<Arc<dyn PhysicalExpr>> = proj
                    .iter()
                    .map(|&i| {
                        Arc::new(Column::new(schema.field(i).name(), i)) as Arc<dyn PhysicalExpr>
                    })
                    .collect();
                key = substitute(&key, &exprs)?;
                filters = filters
                    .iter()
                    .map(|f| substitute(f, &exprs))
                    .collect::<DfResult<_>>()?;
            }
            filters.push(f.predicate().clone());
            input
        } else if node.is::<RepartitionExec>()
            || node.is::<CoalescePartitionsExec>()
            || node.is::<CooperativeExec>()
        {
            keeps_order &= node.is::<CooperativeExec>();
            match node.children().first() {
                Some(c) => (*c).clone(),
                None => return Ok(None),
            }
        } else {
            return Ok(None);
        };
        chain.push(node.clone());
        node = input;
    };
    let Some((metric, indexed, query_expr)) = distance_key(&key) else {
        return Ok(None);
    };
    let source = scan.source();
    let full = &source.full_schema;
    // The ordered value and the filter in terms of the table's columns, the schema index
    // expressions are compiled over.
    let Some(indexed) = to_table_columns(&indexed, scan.projection(), full) else {
        return Ok(None);
    };
    let mask_filters: Vec<Arc<dyn PhysicalExpr>> = filters
        .iter()
        .flat_map(|f| {
            split_conjunction(f)
                .into_iter()
                .cloned()
                .collect::<Vec<_>>()
        })
        .filter(|c| !is_bound_on(c, &key))
        .collect();
    let conjuncts: Vec<String> = mask_filters
        .iter()
        .filter_map(|c| to_table_columns(c, scan.projection(), full))
        .map(|c| c.to_string())
        .collect();
    let def = &source.snapshot.def;
    let indexes = &source.storage.indexes;
    // An index that orders by the same value with the ordering's metric and, if partial, whose
    // predicate the query's filter implies (each of its conjuncts is one of the query's).
    let usable = |s: &VectorIndexSpec| -> bool {
        let same_key = match &s.key {
            IndexKey::Column(c) => indexed
                .downcast_ref::<Column>()
                .is_some_and(|col| col.index() == *c),
            IndexKey::Expr(_) => indexes
                .key_expr(s, full)
                .is_ok_and(|e| e.to_string() == indexed.to_string()),
        };
        let implied = match indexes.predicate_expr(s, full) {
            Ok(None) => true,
            Ok(Some(p)) => split_conjunction(&p)
                .iter()
                .all(|c| conjuncts.contains(&c.to_string())),
            Err(_) => false,
        };
        s.metric == metric && same_key && implied
    };
    // Partial indexes (smaller, when they apply) first, then hnsw before ivfflat.
    let mut specs: Vec<VectorIndexSpec> = def
        .indexes
        .iter()
        .filter_map(|i| vector_spec(i, def))
        .filter(|s| usable(s))
        .collect();
    specs.sort_by_key(|s| (s.predicate.is_none(), s.kind() != IndexKind::Hnsw));
    let Some(spec) = specs.into_iter().next() else {
        return Ok(None);
    };
    let key_expr = indexes.key_expr(&spec, full).map_err(to_df)?;
    // A literal query vector is checked now: NULL or another dimension stays exact, so that the
    // distance function raises pgvector's error. A parameter of a cached plan is checked when the
    // search runs (which then hands up every row, to the same effect).
    // A literal is also read once here rather than at every run of a cached plan (a text literal
    // would otherwise be parsed per execution).
    let mut query_expr = query_expr;
    if query_expr.is::<Literal>() {
        match query_vector(&query_expr, &spec.key_type).map_err(to_df)? {
            Some(QueryVector::Float(q)) if q.len() == spec.dim => {
                let list = FixedSizeListArray::from_iter_primitive::<Float32Type, _, _>(
                    [Some(q.into_iter().map(Some))],
                    spec.dim as i32,
                );
                query_expr = Arc::new(Literal::new(ScalarValue::FixedSizeList(Arc::new(list))));
            }
            Some(QueryVector::Bits(_, bits)) if bits == spec.dim => {}
            _ => return Ok(None),
        }
    }
    let filter = conjunction_opt(mask_filters);
    let params = search_params(settings, k, spec.kind(), filter.is_some());
    let ann = AnnQuery {
        key: key_expr,
        key_type: spec.key_type.clone(),
        spec,
        query: query_expr,
        k,
        params,
        filter,
        order: keeps_order.then(|| key.clone()),
    };
    let mut new: Arc<dyn ExecutionPlan> = Arc::new(AnnSearchExec::try_new(
        scan.source().clone(),
        scan.projection().to_vec(),
        ann,
    )?);
    for parent in chain.into_iter().rev() {
        new = replace_children_if_necessary(parent, vec![new])?;
    }
    Ok(Some(if keeps_order {
        Rewrite::Sort(new)
    } else {
        Rewrite::Input(new)
    }))
}

pub(crate) fn search_params(
    settings: &Settings,
    k: usize,
    kind: IndexKind,
    filtered: bool,
) -> SearchParams {
    let int = |name: &str, default: i64| {
        let v = settings.get_i64(name);
        usize::try_from(if v > 0 { v } else { default }).unwrap_or(1)
    };
    let probes = int("ivfflat.probes", 1);
    let iterative = settings
        .get("ivfflat.iterative_scan")
        .is_ok_and(|v| v != "off");
    SearchParams {
        k,
        ef_search: int("hnsw.ef_search", 40),
        probes,
        // A filtered IVFFlat search keeps probing lists until it has k rows (the promise of
        // filtered search); unfiltered, it probes what `ivfflat.probes` says, as pgvector does,
        // unless iterative scans are on.
        max_probes: match (kind, filtered, iterative) {
            (IndexKind::IvfFlat, true, false) => usize::MAX,
            (IndexKind::IvfFlat, _, true) => int("ivfflat.max_probes", 32768).max(probes),
            _ => probes,
        },
    }
}

/// `f(x, constant)` or `f(constant, x)` for a distance function `f` and an `x` over columns (a
/// column or an expression such as `embedding::halfvec(3)`): (metric, `x`, the constant).
#[allow(clippy::type_complexity)]
fn distance_key(
    key: &Arc<dyn PhysicalExpr>,
) -> Option<(Metric, Arc<dyn PhysicalExpr>, Arc<dyn PhysicalExpr>)> {
    let f = key.downcast_ref::<ScalarFunctionExpr>()?;
    let metric = distance_metric(f.name())?;
    let [a, b] = f.args() else {
        return None;
    };
    let constant = |e: &Arc<dyn PhysicalExpr>| collect_columns(e).is_empty();
    match (constant(a), constant(b)) {
        (false, true) => Some((metric, a.clone(), b.clone())),
        (true, false) => Some((metric, b.clone(), a.clone())),
        _ => None,
    }
}

/// `e` (over a scan's output, `projection` of the table's columns) over the table's columns
/// (`full`); `None` if it reads a column the projection does not come from.
fn to_table_columns(
    e: &Arc<dyn PhysicalExpr>,
    projection: &[usize],
    full: &arrow::datatypes::SchemaRef,
) -> Option<Arc<dyn PhysicalExpr>> {
    let mut ok = true;
    let out =
        e.clone()
            .transform_down(|x| {
                if let Some(c) = x.downcast_ref::<Column>() {
                    return Ok(match projection.get(c.index()) {
                        Some(&t) if t < full.fields().len() => {
                            Transformed::yes(Arc::new(Column::new(full.field(t).name(), t))
                                as Arc<dyn PhysicalExpr>)
                        }
                        _ => {
                            ok = false;
                            Transformed::no(x)
                        }
                    });
                }
                Ok(Transformed::no(x))
            })
            .ok()?
            .data;
    ok.then_some(out)
}

/// `key < c`, `key <= c`, `c > key`, `c >= key` with a constant `c`.
fn is_bound_on(conjunct: &Arc<dyn PhysicalExpr>, key: &Arc<dyn PhysicalExpr>) -> bool {
    let Some(b) = conjunct.downcast_ref::<BinaryExpr>() else {
        return false;
    };
    let constant = |e: &Arc<dyn PhysicalExpr>| collect_columns(e).is_empty();
    match b.op() {
        Operator::Lt | Operator::LtEq => b.left().as_ref() == key.as_ref() && constant(b.right()),
        Operator::Gt | Operator::GtEq => b.right().as_ref() == key.as_ref() && constant(b.left()),
        _ => false,
    }
}

/// Rewrites `e` (over a projection's output) in terms of the projection's input.
fn substitute(
    e: &Arc<dyn PhysicalExpr>,
    exprs: &[Arc<dyn PhysicalExpr>],
) -> DfResult<Arc<dyn PhysicalExpr>> {
    e.clone()
        .transform_down(|x| {
            if let Some(c) = x.downcast_ref::<Column>() {
                if let Some(src) = exprs.get(c.index()) {
                    return Ok(Transformed::new(
                        src.clone(),
                        true,
                        datafusion::common::tree_node::TreeNodeRecursion::Jump,
                    ));
                }
            }
            Ok(Transformed::no(x))
        })
        .map(|t| t.data)
}
