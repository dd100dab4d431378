//! `InlineConstantRow`: a logical rule that removes joins with a one-row table of constants.
//!
//! pgvector's full-text recipe writes its query as a function in FROM:
//!
//! ```sql
//! SELECT id FROM documents, plainto_tsquery('english', $1) query
//! WHERE to_tsvector('english', content) @@ query
//! ```
//!
//! which plans as a cross join between the table and a one-row relation (`SELECT plainto_tsquery(...)
//! AS query`). While the join is there, `@@` is a join condition: it cannot reach the table's scan,
//! so a GIN index cannot serve it. This rule replaces `T ⨯ (SELECT c1 AS a, ...)` by `T` with the
//! constants added as columns (same names and qualifiers, same column order), and the join's
//! condition becomes a filter above it. Filter push-down then substitutes the constant for the
//! column and hands `to_tsvector('english', content) @@ plainto_tsquery('english', $1)` to the
//! scan. PostgreSQL reaches the same plan by pulling up the function scan.
//!
//! Only constants qualify: no column references, no subqueries, nothing volatile (a `random()` in
//! the one-row table is computed once; copied into each row it would be computed per row).

use std::sync::Arc;

use datafusion::common::tree_node::Transformed;
use datafusion::common::{Column, Result};
use datafusion::logical_expr::{
    EmptyRelation, Expr, Filter, JoinType, LogicalPlan, Projection, SubqueryAlias,
};
use datafusion::optimizer::optimizer::ApplyOrder;
use datafusion::optimizer::{OptimizerConfig, OptimizerRule};

#[derive(Debug, Default)]
pub struct InlineConstantRow;

/// The columns of a one-row relation of constants, as (output column, expression), or `None`.
fn constant_row(plan: &LogicalPlan) -> Option<Vec<(Column, Expr)>> {
    let (alias, inner) = match plan {
        LogicalPlan::SubqueryAlias(SubqueryAlias { input, alias, .. }) => {
            (Some(alias.clone()), input.as_ref())
        }
        other => (None, other),
    };
    let LogicalPlan::Projection(Projection { expr, input, .. }) = inner else {
        return None;
    };
    if !matches!(
        input.as_ref(),
        LogicalPlan::EmptyRelation(EmptyRelation {
            produce_one_row: true,
            ..
        })
    ) {
        return None;
    }
    let out_cols = plan.schema().columns();
    if out_cols.len() != expr.len() {
        return None;
    }
    let mut cols = Vec::with_capacity(expr.len());
    for (e, c) in expr.iter().zip(out_cols) {
        let e = e.clone().unalias();
        if !crate::storage::gin::row_independent(&e) || e.is_volatile() {
            return None;
        }
        let c = match &alias {
            Some(a) => Column::new(Some(a.clone()), c.name),
            None => c,
        };
        cols.push((c, e));
    }
    Some(cols)
}

impl OptimizerRule for InlineConstantRow {
    fn name(&self) -> &str {
        "inline_constant_row"
    }

    fn apply_order(&self) -> Option<ApplyOrder> {
        Some(ApplyOrder::BottomUp)
    }

    fn rewrite(
        &self,
        plan: LogicalPlan,
        _config: &dyn OptimizerConfig,
    ) -> Result<Transformed<LogicalPlan>> {
        let LogicalPlan::Join(join) = &plan else {
            return Ok(Transformed::no(plan));
        };
        if join.join_type != JoinType::Inner || !join.on.is_empty() {
            return Ok(Transformed::no(plan));
        }
        let (table, constants, constants_first) = if let Some(c) = constant_row(&join.right) {
            (join.left.clone(), c, false)
        } else if let Some(c) = constant_row(&join.left) {
            (join.right.clone(), c, true)
        } else {
            return Ok(Transformed::no(plan));
        };
        let table_cols: Vec<Expr> = table
            .schema()
            .columns()
            .into_iter()
            .map(Expr::Column)
            .collect();
        let const_cols: Vec<Expr> = constants
            .into_iter()
            .map(|(c, e)| e.alias_qualified(c.relation, c.name))
            .collect();
        let exprs = if constants_first {
            const_cols.into_iter().chain(table_cols).collect()
        } else {
            table_cols.into_iter().chain(const_cols).collect()
        };
        let projected = LogicalPlan::Projection(Projection::try_new(exprs, table)?);
        let out = match &join.filter {
            Some(f) => LogicalPlan::Filter(Filter::try_new(f.clone(), Arc::new(projected))?),
            None => projected,
        };
        Ok(Transformed::yes(out))
    }
}
