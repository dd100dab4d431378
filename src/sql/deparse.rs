//! SQL text as PostgreSQL prints it back (`ruleutils.c`, non-pretty mode): index expressions and
//! predicates in `pg_indexes.indexdef` / `pg_get_indexdef`, from the text quiver keeps in its
//! catalog (which has casts to quiver's types as `__quiver_cast(x, 'type')` calls).
//!
//! The rules that matter to clients comparing definitions: operators and boolean connectives are
//! wrapped in parentheses (`(category_id = 123)`), casts print as `(arg)::type` (a literal as
//! `'lit'::type`), `IN (...)` as `= ANY (ARRAY[...])`, and an index key that is not a column or a
//! plain function call is wrapped once more (`((embedding)::halfvec(3))`).

use sqlparser::ast::{
    BinaryOperator, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, UnaryOperator, Value,
};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

use crate::sql::parse::CAST_FN;

/// An identifier, double-quoted unless PostgreSQL would print it bare.
pub fn quote_ident(s: &str) -> String {
    let plain = s
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain {
        s.to_string()
    } else {
        format!("\"{}\"", s.replace('"', "\"\""))
    }
}

/// An index key as `pg_get_indexdef` prints it.
pub fn index_key(sql: &str) -> String {
    match parse(sql) {
        Some(e @ (Expr::Identifier(_) | Expr::CompoundIdentifier(_))) => expr(&e),
        Some(Expr::Function(f)) if !is_cast(&f) => expr(&Expr::Function(f)),
        Some(e) => format!("({})", expr(&e)),
        None => format!("({sql})"),
    }
}

/// A partial index's predicate as `pg_get_indexdef` prints it after `WHERE`.
pub fn predicate(sql: &str) -> String {
    match parse(sql) {
        Some(e) => expr(&e),
        None => format!("({sql})"),
    }
}

fn parse(sql: &str) -> Option<Expr> {
    Parser::new(&PostgreSqlDialect {})
        .try_with_sql(sql)
        .and_then(|mut p| p.parse_expr())
        .ok()
}

fn is_cast(f: &sqlparser::ast::Function) -> bool {
    f.name.to_string() == CAST_FN
}

fn args(f: &sqlparser::ast::Function) -> Vec<&Expr> {
    match &f.args {
        FunctionArguments::List(list) => list
            .args
            .iter()
            .filter_map(|a| match a {
                FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(e),
                _ => None,
            })
            .collect(),
        _ => vec![],
    }
}

fn cast(arg: &Expr, ty: &str) -> String {
    match strip(arg) {
        Expr::Value(_) => format!("{}::{ty}", expr(arg)),
        _ => format!("({})::{ty}", expr(arg)),
    }
}

fn strip(e: &Expr) -> &Expr {
    match e {
        Expr::Nested(inner) => strip(inner),
        other => other,
    }
}

fn expr(e: &Expr) -> String {
    match e {
        Expr::Nested(inner) => expr(inner),
        Expr::Identifier(i) => quote_ident(&i.value),
        Expr::CompoundIdentifier(parts) => parts
            .iter()
            .map(|p| quote_ident(&p.value))
            .collect::<Vec<_>>()
            .join("."),
        Expr::Value(v) => match &v.value {
            Value::SingleQuotedString(s) => format!("'{}'", s.replace('\'', "''")),
            other => other.to_string(),
        },
        Expr::BinaryOp { left, op, right } => {
            let op = match op {
                BinaryOperator::NotEq => "<>".to_string(),
                other => other.to_string(),
            };
            format!("({} {op} {})", expr(left), expr(right))
        }
        Expr::UnaryOp {
            op: UnaryOperator::Not,
            expr: inner,
        } => format!("(NOT {})", expr(inner)),
        Expr::IsNull(inner) => format!("({} IS NULL)", expr(inner)),
        Expr::IsNotNull(inner) => format!("({} IS NOT NULL)", expr(inner)),
        Expr::InList {
            expr: inner,
            list,
            negated,
        } => format!(
            "({} {} (ARRAY[{}]))",
            expr(inner),
            if *negated { "<> ALL" } else { "= ANY" },
            list.iter().map(expr).collect::<Vec<_>>().join(", ")
        ),
        Expr::Between {
            expr: inner,
            negated: false,
            low,
            high,
        } => format!(
            "(({x} >= {}) AND ({x} <= {}))",
            expr(low),
            expr(high),
            x = expr(inner)
        ),
        Expr::Cast {
            expr: inner,
            data_type,
            ..
        } => cast(inner, &data_type.to_string().to_ascii_lowercase()),
        Expr::Function(f) if is_cast(f) => match args(f).as_slice() {
            [arg, Expr::Value(v)] => match &v.value {
                Value::SingleQuotedString(ty) => cast(arg, ty),
                _ => e.to_string(),
            },
            _ => e.to_string(),
        },
        Expr::Function(f) if matches!(f.args, FunctionArguments::List(_)) => format!(
            "{}({})",
            f.name,
            args(f).into_iter().map(expr).collect::<Vec<_>>().join(", ")
        ),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn as_postgres_prints_them() {
        assert_eq!(
            index_key("__quiver_cast(embedding, 'halfvec(3)')"),
            "((embedding)::halfvec(3))"
        );
        assert_eq!(
            index_key("__quiver_cast(binary_quantize(embedding), 'bit(3)')"),
            "((binary_quantize(embedding))::bit(3))"
        );
        assert_eq!(
            index_key("__quiver_cast(subvector(embedding, 1, 2), 'vector(2)')"),
            "((subvector(embedding, 1, 2))::vector(2))"
        );
        assert_eq!(index_key("category_id + 1"), "((category_id + 1))");
        assert_eq!(index_key("lower(CAST(t AS TEXT))"), "lower((t)::text)");
        assert_eq!(index_key("\"Mixed\""), "\"Mixed\"");
        assert_eq!(predicate("(category_id = 123)"), "(category_id = 123)");
        assert_eq!(predicate("category_id = 123"), "(category_id = 123)");
        assert_eq!(
            predicate("category_id IN (1, 2) AND id > 0"),
            "((category_id = ANY (ARRAY[1, 2])) AND (id > 0))"
        );
        assert_eq!(predicate("NOT done"), "(NOT done)");
        assert_eq!(predicate("flag"), "flag");
        assert_eq!(predicate("a != 'x'"), "(a <> 'x')");
    }
}
