//! BM25 ranking in plain SQL: `ORDER BY <text column> <&> <query> LIMIT k`.
//!
//! ```sql
//! SELECT id, title, content <&> 'who wrote hamlet' AS score
//! FROM docs WHERE category = 3
//! ORDER BY content <&> 'who wrote hamlet' LIMIT 10;
//! ```
//!
//! `<&>` reads like pgvector's distance operators: it is the *negated* BM25 score of the row for the
//! query (lower is better), so an ascending `ORDER BY ... LIMIT k` returns the k best rows, best
//! first. It ranks with the column's `bm25` index (its analyzer, k1 and b; the english analyzer and
//! in-memory postings without one) and corpus statistics over all live rows, exactly as
//! `hybrid_search(..., bm25_leg(...))` does — the query is rewritten into that call before planning:
//! the table becomes `hybrid_search('<table>', bm25_leg('<column>', <query>, <k>)) AS <table or
//! alias>`, the ordering its `bm25_rank`, other uses of the same `<&>` expression `-bm25_score`,
//! and `*` the table's own columns. `WHERE` on the table's columns is pushed into the search (the
//! k best *matching* rows); rows without any query term are not returned.
//!
//! The operator has no meaning outside that shape (a BM25 score needs the corpus): used elsewhere
//! it is an error (0A000).

use sqlparser::ast::{
    BinaryOperator, Expr, Ident, LimitClause, OrderByKind, Query, SelectItem, SetExpr, Statement,
    TableFactor, UnaryOperator, Value,
};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

use crate::storage::Storage;

pub const BM25_OPERATOR: &str = "<&>";

fn is_bm25_op(e: &Expr) -> Option<(&Expr, &Expr)> {
    match e {
        Expr::BinaryOp {
            left,
            op: BinaryOperator::Custom(op),
            right,
        } if op == BM25_OPERATOR => Some((left, right)),
        _ => None,
    }
}

fn ident_name(i: &Ident) -> String {
    if i.quote_style.is_some() {
        i.value.clone()
    } else {
        i.value.to_ascii_lowercase()
    }
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Rewrites a top-level `SELECT ... FROM t ... ORDER BY col <&> q [, ...] LIMIT k` into a BM25
/// search; anything else is left as it is.
pub fn rewrite(stmt: &mut Statement, storage: &Storage) {
    let q = match stmt {
        Statement::Query(q) => q,
        Statement::Explain { statement, .. } => match statement.as_mut() {
            Statement::Query(q) => q,
            _ => return,
        },
        _ => return,
    };
    rewrite_query(q, storage);
}

fn rewrite_query(q: &mut Query, storage: &Storage) -> Option<()> {
    let order = q.order_by.as_mut()?;
    let OrderByKind::Expressions(items) = &mut order.kind else {
        return None;
    };
    let first = items.first()?;
    if first.options.asc == Some(false) {
        return None;
    }
    let (left, right) = is_bm25_op(&first.expr)?;
    let column = match left {
        Expr::Identifier(i) => ident_name(i),
        Expr::CompoundIdentifier(parts) => ident_name(parts.last()?),
        _ => return None,
    };
    let query_text = right.to_string();
    let op_expr = first.expr.clone();
    // k: the LIMIT (plus a literal OFFSET).
    let k = match &q.limit_clause {
        Some(LimitClause::LimitOffset {
            limit: Some(limit),
            offset,
            limit_by,
        }) if limit_by.is_empty() => match offset {
            None => limit.to_string(),
            Some(o) => {
                let n = |e: &Expr| match e {
                    Expr::Value(v) => match &v.value {
                        Value::Number(n, _) => n.parse::<u64>().ok(),
                        _ => None,
                    },
                    _ => None,
                };
                (n(limit)? + n(&o.value)?).to_string()
            }
        },
        _ => return None,
    };
    let SetExpr::Select(select) = q.body.as_mut() else {
        return None;
    };
    if select.from.len() != 1 || !select.from[0].joins.is_empty() {
        return None;
    }
    let TableFactor::Table {
        name, alias, args, ..
    } = &select.from[0].relation
    else {
        return None;
    };
    if args.is_some() {
        return None;
    }
    let parts: Vec<String> = name
        .0
        .iter()
        .map(|p| p.as_ident().map(ident_name))
        .collect::<Option<_>>()?;
    let (schema, table) = match parts.as_slice() {
        [t] => ("public".to_string(), t.clone()),
        [s, t] => (s.clone(), t.clone()),
        _ => return None,
    };
    let def = storage.table_def(&schema, &table)?;
    def.column_index(&column)?;
    let alias_name = alias
        .as_ref()
        .map(|a| ident_name(&a.name))
        .unwrap_or_else(|| table.clone());
    let sql = format!(
        "SELECT 1 FROM hybrid_search('{}', bm25_leg('{}', {query_text}, {k})) AS {}",
        table.replace('\'', "''"),
        column.replace('\'', "''"),
        quote(&alias_name)
    );
    let parsed = Parser::new(&PostgreSqlDialect {})
        .try_with_sql(&sql)
        .ok()?
        .parse_statement()
        .ok()?;
    let Statement::Query(pq) = parsed else {
        return None;
    };
    let SetExpr::Select(ps) = *pq.body else {
        return None;
    };
    let relation = ps.from.into_iter().next()?.relation;

    // `*` stands for the table's columns, not the search's extra ones.
    let columns: Vec<Ident> = def
        .columns
        .iter()
        .map(|c| Ident::with_quote('"', c.name.clone()))
        .collect();
    let mut projection = Vec::with_capacity(select.projection.len());
    for item in std::mem::take(&mut select.projection) {
        match item {
            SelectItem::Wildcard(_) => projection.extend(
                columns
                    .iter()
                    .map(|c| SelectItem::UnnamedExpr(Expr::Identifier(c.clone()))),
            ),
            SelectItem::QualifiedWildcard(kind, _)
                if matches!(&kind, sqlparser::ast::SelectItemQualifiedWildcardKind::ObjectName(n)
                    if n.0.last().and_then(|p| p.as_ident()).map(ident_name).as_deref() == Some(alias_name.as_str())) =>
            {
                projection.extend(columns.iter().map(|c| {
                    SelectItem::UnnamedExpr(Expr::CompoundIdentifier(vec![
                        Ident::with_quote('"', alias_name.clone()),
                        c.clone(),
                    ]))
                }))
            }
            other => projection.push(other),
        }
    }
    select.projection = projection;
    select.from[0].relation = relation;

    // The ordering: the search's rank; the same expression elsewhere: the negated score.
    let score = Expr::Nested(Box::new(Expr::UnaryOp {
        op: UnaryOperator::Minus,
        expr: Box::new(Expr::Identifier(Ident::new("bm25_score"))),
    }));
    let replace = |e: &mut Expr| {
        let _ = sqlparser::ast::visit_expressions_mut(e, |x| {
            if *x == op_expr {
                *x = score.clone();
            }
            std::ops::ControlFlow::<()>::Continue(())
        });
    };
    for item in &mut select.projection {
        match item {
            SelectItem::UnnamedExpr(e) => {
                if *e == op_expr {
                    // Keep PostgreSQL's column name for an unnamed operator expression.
                    *item = SelectItem::ExprWithAlias {
                        expr: score.clone(),
                        alias: Ident::new("?column?"),
                    };
                } else {
                    replace(e);
                }
            }
            SelectItem::ExprWithAlias { expr, .. } => replace(expr),
            _ => {}
        }
    }
    let q_order = q.order_by.as_mut()?;
    let OrderByKind::Expressions(items) = &mut q_order.kind else {
        return None;
    };
    items[0].expr = Expr::Identifier(Ident::new("bm25_rank"));
    for item in items.iter_mut().skip(1) {
        replace(&mut item.expr);
    }
    Some(())
}
