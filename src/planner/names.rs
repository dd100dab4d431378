//! PostgreSQL's result column names. DataFusion names an unaliased expression after its full text
//! (`count(*)`, `l2_distance(items.embedding,Utf8("[1,2]"))`); PostgreSQL uses the column or
//! function name, the type name for a cast, and `?column?` otherwise. Drivers that read rows by name
//! depend on this.

use std::sync::Arc;

use arrow::datatypes::FieldRef;
use datafusion::common::DFSchema;
use sqlparser::ast::{
    Expr, Function, FunctionArg, FunctionArgExpr, FunctionArguments, Ident, Query, Select,
    SelectItem, SetExpr, Statement, Value,
};

use crate::sql::parse::{CAST_FN, REGCLASS_FN};

/// PostgreSQL's name of a type in a cast, as its `typeName` list ends (`integer` → `int4`,
/// `character varying(3)` → `varchar`, `vector(3)` → `vector`, `text[]` → `text`).
fn type_label(t: &str) -> String {
    let t = t.trim().to_ascii_lowercase();
    let t = t.trim_end_matches("[]");
    let base = t.split('(').next().unwrap_or(t).trim();
    let base = base.rsplit('.').next().unwrap_or(base).trim_matches('"');
    match base {
        "int" | "integer" | "int4" => "int4",
        "bigint" | "int8" => "int8",
        "smallint" | "int2" => "int2",
        "real" | "float4" => "float4",
        "double precision" | "float8" | "float" | "double" => "float8",
        "boolean" | "bool" => "bool",
        "character varying" | "varchar" => "varchar",
        "character" | "char" | "bpchar" => "bpchar",
        "decimal" | "numeric" | "dec" => "numeric",
        "bit varying" | "varbit" => "varbit",
        "timestamp with time zone" | "timestamptz" => "timestamptz",
        "timestamp without time zone" | "timestamp" => "timestamp",
        "time with time zone" | "timetz" => "timetz",
        "time without time zone" | "time" => "time",
        other => return other.to_string(),
    }
    .to_string()
}

/// A name and how sure PostgreSQL's FigureColname is of it: 2 for a column or function name,
/// 1 for a type or keyword name (`int4`, `case`), 0 for none (`?column?`).
fn figure(e: &Expr) -> (String, u8) {
    match e {
        Expr::Identifier(i) => (i.value.clone(), 2),
        Expr::CompoundIdentifier(parts) => match parts.last() {
            Some(i) if i.value != "*" => (i.value.clone(), 2),
            _ => ("?column?".into(), 0),
        },
        Expr::Function(f) => figure_function(f),
        Expr::Cast {
            expr, data_type, ..
        } => {
            let inner = figure(expr);
            if inner.1 == 2 {
                inner
            } else {
                (type_label(&data_type.to_string()), 1)
            }
        }
        Expr::TypedString(t) => (type_label(&t.data_type.to_string()), 1),
        Expr::Interval(_) => ("interval".into(), 1),
        // `true` is PostgreSQL's `'t'::bool`.
        Expr::Value(v) if matches!(v.value, Value::Boolean(_)) => ("bool".into(), 1),
        Expr::Nested(inner) | Expr::Collate { expr: inner, .. } => figure(inner),
        Expr::Case { .. } => ("case".into(), 1),
        Expr::Exists { .. } => ("exists".into(), 1),
        Expr::Array(_) => ("array".into(), 1),
        Expr::Substring { .. } => ("substring".into(), 2),
        Expr::Position { .. } => ("position".into(), 2),
        Expr::Overlay { .. } => ("overlay".into(), 2),
        Expr::Trim { .. } => ("btrim".into(), 2),
        Expr::Extract { .. } => ("extract".into(), 2),
        Expr::Ceil { .. } => ("ceil".into(), 2),
        Expr::Floor { .. } => ("floor".into(), 2),
        Expr::AtTimeZone { .. } => ("timezone".into(), 2),
        Expr::Subquery(q) => match q.body.as_ref() {
            SetExpr::Select(s) => match s.projection.first() {
                Some(SelectItem::UnnamedExpr(e)) => (pg_name(e), 2),
                Some(SelectItem::ExprWithAlias { alias, .. }) => (alias.value.clone(), 2),
                _ => ("?column?".into(), 0),
            },
            _ => ("?column?".into(), 0),
        },
        _ => ("?column?".into(), 0),
    }
}

fn figure_function(f: &Function) -> (String, u8) {
    let name = f
        .name
        .0
        .last()
        .map(|p| p.to_string())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if name == REGCLASS_FN {
        return ("regclass".into(), 1);
    }
    if name == CAST_FN {
        // A rewritten `x::vector(3)`: named after `x` when that is a column, else the type.
        if let FunctionArguments::List(l) = &f.args {
            if let Some(FunctionArg::Unnamed(FunctionArgExpr::Expr(inner))) = l.args.first() {
                let named = figure(inner);
                if named.1 == 2 {
                    return named;
                }
            }
            if let Some(FunctionArg::Unnamed(FunctionArgExpr::Expr(Expr::Value(v)))) = l.args.get(1)
            {
                if let Value::SingleQuotedString(t) = &v.value {
                    return (type_label(t), 1);
                }
            }
        }
    }
    (name, 2)
}

/// The name PostgreSQL gives an unaliased SELECT item.
pub fn pg_name(e: &Expr) -> String {
    figure(e).0
}

/// Gives the unaliased function-call items of CTEs and subqueries in `FROM` PostgreSQL's column
/// names (`RANK() OVER (...)` → `rank`), so that the outer query can refer to them by those names
/// (`keyword_search.rank` in pgvector's hybrid-search recipe). An item is left alone when its name
/// would repeat another column of the same SELECT. The top level is renamed after planning
/// ([`output_fields`]).
pub fn name_nested_columns(stmt: &mut Statement) {
    use sqlparser::ast::{TableFactor, VisitMut, VisitorMut};
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

/// PostgreSQL's names of a query's result columns (from its first SELECT), or None where they
/// cannot be told from the text (`SELECT *`, `VALUES`).
pub fn output_names(stmt: &Statement) -> Option<Vec<String>> {
    let Statement::Query(q) = stmt else {
        return None;
    };
    select_names(first_select(q.body.as_ref())?)
}

fn first_select(body: &SetExpr) -> Option<&Select> {
    match body {
        SetExpr::Select(s) => Some(s),
        SetExpr::SetOperation { left, .. } => first_select(left),
        SetExpr::Query(q) => first_select(q.body.as_ref()),
        _ => None,
    }
}

/// The result fields of a planned query under PostgreSQL's names. Names may repeat
/// (`SELECT 1, 1`), which a DataFusion schema does not allow, so they live only here.
pub fn output_fields(names: Option<&[String]>, schema: &DFSchema) -> Vec<FieldRef> {
    let fields = schema.fields();
    match names {
        Some(names) if names.len() == fields.len() => fields
            .iter()
            .zip(names)
            .map(|(f, n)| {
                if f.name() == n {
                    f.clone()
                } else {
                    Arc::new(f.as_ref().clone().with_name(n))
                }
            })
            .collect(),
        // `SELECT *, id`: the names of the aliased items without their suffix.
        _ => fields
            .iter()
            .map(|f| match f.name().split_once('\u{1}') {
                Some((name, _)) => Arc::new(f.as_ref().clone().with_name(name)),
                None => f.clone(),
            })
            .collect(),
    }
}

/// Gives every item of the query's SELECTs an alias of its own, so that items DataFusion would
/// name alike (`SELECT 1, 1`, `x::real, x::float8`, `*, id`) can be planned; the client still
/// sees PostgreSQL's names ([`output_fields`]). Used only after planning failed on such a
/// clash, so that queries which plan as written are planned as written.
pub fn alias_every_item(stmt: &mut Statement) {
    fn walk(body: &mut SetExpr) {
        match body {
            SetExpr::Select(s) => {
                for (n, item) in s.projection.iter_mut().enumerate() {
                    let (expr, name) = match item {
                        SelectItem::UnnamedExpr(e) => (e.clone(), pg_name(e)),
                        SelectItem::ExprWithAlias { expr, alias } => {
                            (expr.clone(), alias.value.clone())
                        }
                        _ => continue,
                    };
                    *item = SelectItem::ExprWithAlias {
                        expr,
                        alias: Ident::with_quote('"', format!("{name}\u{1}{n}")),
                    };
                }
            }
            SetExpr::SetOperation { left, right, .. } => {
                walk(left);
                walk(right);
            }
            SetExpr::Query(q) => walk(q.body.as_mut()),
            _ => {}
        }
    }
    if let Statement::Query(q) = stmt {
        walk(q.body.as_mut());
    }
}

/// Whether a planning error is DataFusion refusing two SELECT items of one name.
pub fn is_name_clash(e: &crate::error::QuiverError) -> bool {
    e.to_string()
        .contains("Projections require unique expression names")
}

fn select_names(s: &Select) -> Option<Vec<String>> {
    let mut names = Vec::with_capacity(s.projection.len());
    for item in &s.projection {
        match item {
            SelectItem::UnnamedExpr(e) => names.push(pg_name(e)),
            SelectItem::ExprWithAlias { alias, .. } => names.push(if alias.quote_style.is_some() {
                alias.value.clone()
            } else {
                alias.value.to_ascii_lowercase()
            }),
            _ => return None,
        }
    }
    Some(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(sql: &str) -> Vec<String> {
        let stmt = crate::sql::parse::parse(sql).unwrap().remove(0);
        output_names(&stmt).unwrap()
    }

    #[test]
    fn result_columns_are_named_as_postgresql_names_them() {
        assert_eq!(
            names("SELECT 0.1::real, 1::double precision, x::text, 'a'::varchar(3), true, 1, 1"),
            ["float4", "float8", "x", "varchar", "bool", "?column?", "?column?"]
        );
        assert_eq!(
            names("SELECT count(*), e <-> '[1]' AS d, CAST(t.id AS int), '[1]'::vector(1) FROM t"),
            ["count", "d", "id", "vector"]
        );
        assert_eq!(names("SELECT 1 AS A UNION SELECT 2"), ["a"]);
    }
}
