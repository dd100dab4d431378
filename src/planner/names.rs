//! PostgreSQL's result column names. DataFusion names an unaliased expression after its full text
//! (`count(*)`, `l2_distance(items.embedding,Utf8("[1,2]"))`); PostgreSQL uses the column or
//! function name, the type name for a cast, and `?column?` otherwise. Drivers that read rows by name
//! depend on this.

use std::collections::HashSet;

use datafusion::common::Column;
use datafusion::logical_expr::{Expr as DfExpr, LogicalPlan, LogicalPlanBuilder};
use sqlparser::ast::{
    Expr, Function, FunctionArg, FunctionArgExpr, FunctionArguments, Query, SelectItem, SetExpr,
    Statement, Value,
};

use crate::error::Result;
use crate::sql::parse::{CAST_FN, REGCLASS_FN};

fn function_name(f: &Function) -> String {
    let name = f
        .name
        .0
        .last()
        .map(|p| p.to_string())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if name == REGCLASS_FN {
        return "regclass".into();
    }
    if name == CAST_FN {
        // `x::vector(3)` is named after the type, as PostgreSQL names casts.
        if let FunctionArguments::List(l) = &f.args {
            if let Some(FunctionArg::Unnamed(FunctionArgExpr::Expr(Expr::Value(v)))) = l.args.get(1)
            {
                if let Value::SingleQuotedString(t) = &v.value {
                    return t
                        .split('(')
                        .next()
                        .unwrap_or(t)
                        .trim_end_matches("[]")
                        .to_string();
                }
            }
        }
    }
    name
}

/// The name PostgreSQL gives an unaliased SELECT item.
pub fn pg_name(e: &Expr) -> String {
    match e {
        Expr::Identifier(i) => i.value.clone(),
        Expr::CompoundIdentifier(parts) => {
            parts.last().map(|i| i.value.clone()).unwrap_or_default()
        }
        Expr::Function(f) => function_name(f),
        Expr::Cast { data_type, .. } => {
            let t = data_type.to_string().to_ascii_lowercase();
            match t.as_str() {
                "int" | "integer" | "int4" => "int4".into(),
                "bigint" | "int8" => "int8".into(),
                "smallint" | "int2" => "int2".into(),
                "real" | "float4" => "float4".into(),
                "double precision" | "float8" => "float8".into(),
                "boolean" | "bool" => "bool".into(),
                "character varying" | "varchar" => "varchar".into(),
                other => other
                    .split('(')
                    .next()
                    .unwrap_or(other)
                    .trim_end_matches("[]")
                    .to_string(),
            }
        }
        Expr::Nested(inner) => pg_name(inner),
        Expr::Case { .. } => "case".into(),
        Expr::Exists { .. } => "exists".into(),
        Expr::Array(_) => "array".into(),
        Expr::Subquery(q) => match q.body.as_ref() {
            SetExpr::Select(s) => match s.projection.first() {
                Some(SelectItem::UnnamedExpr(e)) if s.projection.len() == 1 => pg_name(e),
                Some(SelectItem::ExprWithAlias { alias, .. }) => alias.value.clone(),
                _ => "?column?".into(),
            },
            _ => "?column?".into(),
        },
        _ => "?column?".into(),
    }
}

/// Gives the unaliased function-call items of CTEs and subqueries in `FROM` PostgreSQL's column
/// names (`RANK() OVER (...)` → `rank`), so that the outer query can refer to them by those names
/// (`keyword_search.rank` in pgvector's hybrid-search recipe). An item is left alone when its name
/// would repeat another column of the same SELECT. The top level is renamed after planning
/// ([`rename_outputs`]).
pub fn name_nested_columns(stmt: &mut Statement) {
    use sqlparser::ast::{Ident, TableFactor, VisitMut, VisitorMut};
    use std::ops::ControlFlow;

    fn name_items(q: &mut Query) {
        let SetExpr::Select(s) = q.body.as_mut() else {
            return;
        };
        let taken: Vec<String> = s
            .projection
            .iter()
            .map(|i| match i {
                SelectItem::UnnamedExpr(e) => pg_name(e),
                SelectItem::ExprWithAlias { alias, .. } => alias.value.clone(),
                _ => String::new(),
            })
            .collect();
        for (n, item) in s.projection.iter_mut().enumerate() {
            let SelectItem::UnnamedExpr(e) = item else {
                continue;
            };
            if !matches!(e, Expr::Function(_)) {
                continue;
            }
            let name = &taken[n];
            if name == "?column?" || taken.iter().filter(|t| *t == name).count() > 1 {
                continue;
            }
            *item = SelectItem::ExprWithAlias {
                expr: e.clone(),
                alias: Ident::with_quote('"', name.clone()),
            };
        }
    }

    struct Namer;
    impl VisitorMut for Namer {
        type Break = ();
        fn pre_visit_query(&mut self, q: &mut Query) -> ControlFlow<()> {
            if let Some(with) = q.with.as_mut() {
                for cte in &mut with.cte_tables {
                    name_items(&mut cte.query);
                }
            }
            ControlFlow::Continue(())
        }
        fn pre_visit_table_factor(&mut self, tf: &mut TableFactor) -> ControlFlow<()> {
            if let TableFactor::Derived { subquery, .. } = tf {
                name_items(subquery);
            }
            ControlFlow::Continue(())
        }
    }
    let _ = stmt.visit(&mut Namer);
}

/// Renames a planned query's output columns to PostgreSQL's names where DataFusion's differ.
pub fn rename_outputs(stmt: &Statement, plan: LogicalPlan) -> Result<LogicalPlan> {
    let Statement::Query(q) = stmt else {
        return Ok(plan);
    };
    let Some(names) = select_names(q) else {
        return Ok(plan);
    };
    let schema = plan.schema().clone();
    if names.len() != schema.fields().len() {
        return Ok(plan);
    }
    let current: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    if names
        .iter()
        .zip(&current)
        .all(|(n, c)| n.as_deref().is_none_or(|n| n == *c))
    {
        return Ok(plan);
    }
    // A projection may not repeat a name; keep DataFusion's name where PostgreSQL's would clash.
    let mut used: HashSet<String> = HashSet::new();
    let mut finals = Vec::with_capacity(names.len());
    for (n, c) in names.iter().zip(&current) {
        let want = n.clone().unwrap_or_else(|| c.to_string());
        if used.insert(want.clone()) {
            finals.push(want);
        } else {
            used.insert(c.to_string());
            finals.push(c.to_string());
        }
    }
    let exprs: Vec<DfExpr> = schema
        .iter()
        .zip(finals)
        .map(|((q, f), name)| DfExpr::Column(Column::new(q.cloned(), f.name())).alias(name))
        .collect();
    Ok(LogicalPlanBuilder::from(plan).project(exprs)?.build()?)
}

fn select_names(q: &Query) -> Option<Vec<Option<String>>> {
    let SetExpr::Select(s) = q.body.as_ref() else {
        return None;
    };
    let mut names = Vec::with_capacity(s.projection.len());
    for item in &s.projection {
        match item {
            SelectItem::UnnamedExpr(e) => names.push(Some(pg_name(e))),
            SelectItem::ExprWithAlias { alias, .. } => {
                names.push(Some(if alias.quote_style.is_some() {
                    alias.value.clone()
                } else {
                    alias.value.to_ascii_lowercase()
                }))
            }
            _ => return None,
        }
    }
    Some(names)
}
