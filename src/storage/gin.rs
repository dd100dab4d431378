//! GIN indexes on tsvectors serving `@@` filters.
//!
//! `CREATE INDEX ... USING gin (to_tsvector('english', content))` (or on a tsvector column) keeps,
//! per sealed segment, the rows holding each lexeme (`storage::tindex`). A scan with the filter
//! `to_tsvector('english', content) @@ <query>` whose left side is an indexed expression and whose
//! query is a constant (literal, parameter, or a function of them) asks the index which rows hold
//! the query's lexemes and reads only those. The filter stays above the scan and re-checks each
//! row (weights, phrase distances, negations), as PostgreSQL's bitmap heap scan re-checks its
//! GIN candidates; so the index only ever saves work, never changes an answer.

use std::sync::Arc;

use arrow::array::{Array, AsArray, RecordBatch, RecordBatchOptions};
use arrow::datatypes::{DataType, Schema};
use datafusion::common::tree_node::TreeNode;
use datafusion::logical_expr::Expr;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::scalar::ScalarValue;
use sqlparser::ast::{Expr as SqlExpr, FunctionArg, FunctionArgExpr, FunctionArguments, Value};

use crate::error::Result;
use crate::storage::catalog::{IndexDef, TableDef};
use crate::storage::tindex::GinSource;
use crate::text::tsearch::{TsConfig, TsQuery};
use crate::types::SqlType;

/// A GIN index usable for `@@` filters: what it indexes.
#[derive(Debug, Clone, PartialEq)]
pub struct GinIndex {
    pub id: u64,
    pub name: String,
    pub column: usize,
    pub source: GinSource,
}

fn ident(i: &sqlparser::ast::Ident) -> String {
    if i.quote_style.is_some() {
        i.value.clone()
    } else {
        i.value.to_ascii_lowercase()
    }
}

/// What the indexed expression (SQL text) of a one-column GIN index reads, when it is a tsvector
/// column or `to_tsvector('<config>', <text column>)`.
pub fn gin_source(def: &TableDef, idx: &IndexDef) -> Option<GinIndex> {
    if idx.method != "gin" || idx.columns.len() != 1 || idx.predicate.is_some() {
        return None;
    }
    let dialect = sqlparser::dialect::PostgreSqlDialect {};
    let expr = sqlparser::parser::Parser::new(&dialect)
        .try_with_sql(&idx.columns[0])
        .ok()?
        .parse_expr()
        .ok()?;
    let (column, source) = sql_source(def, &expr)?;
    Some(GinIndex {
        id: idx.id,
        name: idx.name.clone(),
        column,
        source,
    })
}

fn sql_source(def: &TableDef, e: &SqlExpr) -> Option<(usize, GinSource)> {
    match e {
        SqlExpr::Nested(e) => sql_source(def, e),
        SqlExpr::Identifier(i) => {
            let c = def.column_index(&ident(i))?;
            (def.columns[c].ty == SqlType::TsVector).then_some((c, GinSource::Tsvector))
        }
        SqlExpr::Function(f) => {
            let name = f.name.0.last()?.as_ident().map(ident)?;
            if name != "to_tsvector" {
                return None;
            }
            let FunctionArguments::List(list) = &f.args else {
                return None;
            };
            let args: Vec<&SqlExpr> = list
                .args
                .iter()
                .map(|a| match a {
                    FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(e),
                    _ => None,
                })
                .collect::<Option<_>>()?;
            let [cfg, col] = args.as_slice() else {
                return None;
            };
            let mut cfg = *cfg;
            while let SqlExpr::Cast { expr, .. } | SqlExpr::Nested(expr) = cfg {
                cfg = expr;
            }
            let SqlExpr::Value(v) = cfg else { return None };
            let Value::SingleQuotedString(cfg) = &v.value else {
                return None;
            };
            let cfg = TsConfig::from_name(cfg).ok()?;
            let SqlExpr::Identifier(col) = col else {
                return None;
            };
            let c = def.column_index(&ident(col))?;
            matches!(
                def.columns[c].ty,
                SqlType::Text | SqlType::Varchar(_) | SqlType::Char(_)
            )
            .then_some((c, GinSource::ToTsvector(cfg)))
        }
        _ => None,
    }
}

/// The GIN indexes of a table that `@@` filters can use.
pub fn gin_indexes(def: &TableDef) -> Vec<GinIndex> {
    def.indexes
        .iter()
        .filter_map(|i| gin_source(def, i))
        .collect()
}

fn strip(mut e: &Expr) -> &Expr {
    loop {
        match e {
            Expr::Alias(a) => e = &a.expr,
            Expr::Cast(c) => e = &c.expr,
            Expr::TryCast(c) => e = &c.expr,
            _ => return e,
        }
    }
}

/// What the document side of `@@` reads, when it is a column or `to_tsvector(constant, column)`.
fn expr_source(def: &TableDef, e: &Expr) -> Option<(usize, GinSource)> {
    match strip(e) {
        Expr::Column(c) => {
            let i = def.column_index(&c.name)?;
            (def.columns[i].ty == SqlType::TsVector).then_some((i, GinSource::Tsvector))
        }
        Expr::ScalarFunction(f) if f.name() == "to_tsvector" && f.args.len() == 2 => {
            let Expr::Literal(ScalarValue::Utf8(Some(cfg)), _) = strip(&f.args[0]) else {
                return None;
            };
            let cfg = TsConfig::from_name(cfg).ok()?;
            let Expr::Column(c) = strip(&f.args[1]) else {
                return None;
            };
            Some((def.column_index(&c.name)?, GinSource::ToTsvector(cfg)))
        }
        _ => None,
    }
}

/// Whether `e` has the same value for every row of a scan: no column references, no subqueries
/// (it may still be volatile, or read a `$n` parameter, per execution).
pub fn row_independent(e: &Expr) -> bool {
    e.column_refs().is_empty()
        && !e
            .exists(|x| {
                Ok(matches!(
                    x,
                    Expr::ScalarSubquery(_) | Expr::Exists(_) | Expr::InSubquery(_)
                ))
            })
            .unwrap_or(true)
}

/// For a filter `<indexed expression> @@ <constant query>` (either order): the index and the
/// query expression.
pub fn match_filter(def: &TableDef, filter: &Expr) -> Option<(GinIndex, Expr)> {
    let Expr::ScalarFunction(f) = strip(filter) else {
        return None;
    };
    if f.name() != crate::sql::functions::fulltext::TS_MATCH || f.args.len() != 2 {
        return None;
    }
    let indexes = gin_indexes(def);
    for (doc, query) in [(0, 1), (1, 0)] {
        let Some((column, source)) = expr_source(def, &f.args[doc]) else {
            continue;
        };
        let q = &f.args[query];
        if !row_independent(q) {
            continue;
        }
        if let Some(ix) = indexes
            .iter()
            .find(|i| i.column == column && i.source == source)
        {
            return Some((ix.clone(), q.clone()));
        }
    }
    None
}

/// A scan's GIN lookup: the index, and the query (constant in the rows) evaluated per execution.
#[derive(Clone)]
pub struct GinFilter {
    pub index: GinIndex,
    pub query: Arc<dyn PhysicalExpr>,
}

impl std::fmt::Debug for GinFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "GinFilter({}, {})", self.index.name, self.query)
    }
}

impl GinFilter {
    /// The query for this execution; `None` when it is NULL (`@@` is then NULL: no row passes).
    pub fn query(&self) -> Result<Option<TsQuery>> {
        let one_row = RecordBatch::try_new_with_options(
            Arc::new(Schema::empty()),
            vec![],
            &RecordBatchOptions::new().with_row_count(Some(1)),
        )?;
        let v = self.query.evaluate(&one_row)?.into_array(1)?;
        let v = arrow::compute::cast(&v, &DataType::Utf8)?;
        let v = v.as_string::<i32>();
        if v.is_null(0) {
            return Ok(None);
        }
        Ok(Some(v.value(0).parse::<TsQuery>()?))
    }
}

/// The rows at `positions` (ascending) of the rows of `batches` taken in order, as one batch.
pub fn take_positions(batches: &[RecordBatch], positions: &[u32]) -> Result<Option<RecordBatch>> {
    if positions.is_empty() || batches.is_empty() {
        return Ok(None);
    }
    let mut idx = Vec::with_capacity(positions.len());
    let (mut b, mut base) = (0usize, 0usize);
    for &p in positions {
        let p = p as usize;
        while b < batches.len() && p >= base + batches[b].num_rows() {
            base += batches[b].num_rows();
            b += 1;
        }
        if b == batches.len() {
            break;
        }
        idx.push((b, p - base));
    }
    let refs: Vec<&RecordBatch> = batches.iter().collect();
    Ok(Some(arrow::compute::interleave_record_batch(&refs, &idx)?))
}
