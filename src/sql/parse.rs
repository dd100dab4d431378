//! SQL text → sqlparser statements (PostgreSQL dialect), plus the AST rewrites that let DataFusion
//! plan pgvector's surface:
//! - casts to types DataFusion does not know (`::vector(3)`, `::halfvec`, `::sparsevec`, `::bit(n)`,
//!   `::jsonb`, `::uuid`, `::regtype`) become calls of `__quiver_cast(expr, 'type')`, and
//!   `::regclass` a call of `__quiver_regclass(expr)` (a name looked up in the catalog);
//!   `x::regtype::text` becomes `__quiver_regtype_name(x)`;
//! - `pg_catalog.f(...)` calls lose their schema prefix.
//!
//! Operators (`<->`, `<#>`, `+` on vectors, ...) are planned later by `planner::operators`, which
//! sees argument types; casts cannot wait that long because DataFusion rejects unknown types while
//! planning them.

use std::ops::ControlFlow;

use sqlparser::ast::{
    BinaryOperator, CastKind, DataType, Expr, Function, FunctionArg, FunctionArgExpr,
    FunctionArgumentList, FunctionArguments, Ident, ObjectName, ObjectNamePart, Statement,
    TableAliasColumnDef, TableFactor, Value, VisitMut, VisitorMut,
};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::{Parser, ParserError};

use crate::error::{QuiverError, Result};

pub const CAST_FN: &str = "__quiver_cast";
pub const REGTYPE_NAME_FN: &str = "__quiver_regtype_name";
/// `x::regclass`: a relation name (or OID) as its OID, resolved against the catalog when the
/// statement runs (a session function; see `planner::session_functions`).
pub const REGCLASS_FN: &str = "__quiver_regclass";

/// How `<+>` (pgvector's L1 distance) reaches the planner: sqlparser splits `<+>` into `<` `+` `>`,
/// so the text is respelled, outside literals and comments, as an operator it keeps whole.
pub const L1_OPERATOR_SPELLING: &str = "<#+>";

/// Replaces `<+>` with [`L1_OPERATOR_SPELLING`] outside string literals, quoted identifiers and
/// comments.
fn respell_operators(sql: &str) -> std::borrow::Cow<'_, str> {
    if !sql.contains("<+>") {
        return std::borrow::Cow::Borrowed(sql);
    }
    let b = sql.as_bytes();
    let mut out = String::with_capacity(sql.len() + 8);
    let mut i = 0;
    let mut last = 0;
    while i < b.len() {
        match b[i] {
            b'\'' | b'"' => {
                let q = b[i];
                i += 1;
                while i < b.len() {
                    if b[i] == q {
                        if b.get(i + 1) == Some(&q) {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
                i += 1;
            }
            b'-' if b.get(i + 1) == Some(&b'-') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                    i += 1;
                }
                i += 2;
            }
            b'$' => {
                // Dollar quoting: $tag$ ... $tag$
                let start = i;
                let mut j = i + 1;
                while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                    j += 1;
                }
                if j < b.len()
                    && b[j] == b'$'
                    && !b[start + 1..j].first().is_some_and(|c| c.is_ascii_digit())
                {
                    let tag = &sql[start..=j];
                    match sql[j + 1..].find(tag) {
                        Some(end) => i = j + 1 + end + tag.len(),
                        None => i = b.len(),
                    }
                } else {
                    i += 1;
                }
            }
            b'<' if b.get(i + 1) == Some(&b'+') && b.get(i + 2) == Some(&b'>') => {
                out.push_str(&sql[last..i]);
                out.push_str(L1_OPERATOR_SPELLING);
                i += 3;
                last = i;
            }
            _ => i += 1,
        }
    }
    out.push_str(&sql[last.min(sql.len())..]);
    std::borrow::Cow::Owned(out)
}

/// Parses one query string (possibly several statements) and applies the rewrites.
pub fn parse(sql: &str) -> Result<Vec<Statement>> {
    let dialect = PostgreSqlDialect {};
    let sql = &*respell_operators(sql);
    let mut stmts = Parser::new(&dialect)
        .try_with_sql(sql)
        .and_then(|mut p| p.parse_statements())
        .map_err(|e| syntax_error(sql, e))?;
    for s in &mut stmts {
        refuse_unsupported(s)?;
        rewrite(s);
    }
    Ok(stmts)
}

/// pgvector's functions overloaded over vector, halfvec and sparsevec, with the positions of
/// their vector arguments.
const OVERLOADED: &[(&str, usize, &[usize])] = &[
    ("l2_distance", 2, &[0, 1]),
    ("inner_product", 2, &[0, 1]),
    ("cosine_distance", 2, &[0, 1]),
    ("l1_distance", 2, &[0, 1]),
    ("vector_dims", 1, &[0]),
    ("l2_norm", 1, &[0]),
    ("l2_normalize", 1, &[0]),
    ("binary_quantize", 1, &[0]),
    ("subvector", 3, &[0]),
];

/// What PostgreSQL refuses although sqlparser accepts it, found in one walk of the statement:
/// a `*` with an alias, an overloaded pgvector function called with untyped literals only, and
/// collations quiver does not have.
fn refuse_unsupported(stmt: &Statement) -> Result<()> {
    use sqlparser::ast::{Query, Visit, Visitor};
    struct Refusals;
    impl Visitor for Refusals {
        type Break = QuiverError;
        fn pre_visit_query(&mut self, q: &Query) -> ControlFlow<QuiverError> {
            match wildcard_alias(q) {
                Some(e) => ControlFlow::Break(e),
                None => ControlFlow::Continue(()),
            }
        }
        fn pre_visit_expr(&mut self, e: &Expr) -> ControlFlow<QuiverError> {
            let refused = match e {
                Expr::Function(f) => ambiguous_call(f),
                Expr::Collate { collation, .. } => unknown_collation(collation),
                _ => None,
            };
            match refused {
                Some(e) => ControlFlow::Break(e),
                None => ControlFlow::Continue(()),
            }
        }
    }
    match stmt.visit(&mut Refusals) {
        ControlFlow::Break(e) => Err(e),
        ControlFlow::Continue(()) => Ok(()),
    }
}

/// `binary_quantize('[1,-2,3]')`: with only untyped literals for its vector arguments, PostgreSQL
/// cannot choose between the vector and halfvec versions (42725); so neither do we.
fn ambiguous_call(f: &sqlparser::ast::Function) -> Option<QuiverError> {
    let name = f.name.to_string().to_ascii_lowercase();
    let name = name.strip_prefix("public.").unwrap_or(&name);
    let (_, arity, vector_args) = OVERLOADED.iter().find(|(n, ..)| *n == name)?;
    let FunctionArguments::List(l) = &f.args else {
        return None;
    };
    if l.args.len() != *arity {
        return None;
    }
    let mut types = Vec::with_capacity(*arity);
    for (i, a) in l.args.iter().enumerate() {
        let FunctionArg::Unnamed(FunctionArgExpr::Expr(Expr::Value(v))) = a else {
            return None;
        };
        match &v.value {
            Value::SingleQuotedString(_) => types.push("unknown"),
            Value::Number(n, _) if !vector_args.contains(&i) && !n.contains(['.', 'e', 'E']) => {
                types.push("integer")
            }
            _ => return None,
        }
    }
    vector_args
        .iter()
        .all(|&i| types[i] == "unknown")
        .then(|| QuiverError::AmbiguousFunction(format!("{name}({})", types.join(", "))))
}

/// `x COLLATE "de_DE"`: quiver compares text bytewise, so only the collations that mean that
/// exist; any other is PostgreSQL's 42704 for a collation the server does not have.
fn unknown_collation(collation: &ObjectName) -> Option<QuiverError> {
    if is_bytewise_collation(collation) {
        return None;
    }
    let name = collation
        .0
        .last()
        .map(|p| p.to_string().trim_matches('"').to_string())
        .unwrap_or_default();
    Some(QuiverError::UndefinedObject(format!(
        "collation \"{name}\" for encoding \"UTF8\" does not exist"
    )))
}

/// `SELECT * x FROM t` reads to sqlparser as `*` aliased `x`; PostgreSQL has no alias for `*`
/// and reports the word as the syntax error it is.
fn wildcard_alias(q: &sqlparser::ast::Query) -> Option<QuiverError> {
    use sqlparser::ast::{SelectItem, SetExpr};
    let SetExpr::Select(s) = q.body.as_ref() else {
        return None;
    };
    s.projection.iter().find_map(|item| match item {
        SelectItem::Wildcard(o) | SelectItem::QualifiedWildcard(_, o) => {
            o.opt_alias.as_ref().map(|alias| {
                QuiverError::Syntax(format!("syntax error at or near \"{}\"", alias.value))
            })
        }
        _ => None,
    })
}

/// Parses a single expression (DEFAULT clauses stored as text) with the same rewrites.
pub fn parse_expr(sql: &str) -> Result<Expr> {
    let dialect = PostgreSqlDialect {};
    let sql = &*respell_operators(sql);
    let mut e = Parser::new(&dialect)
        .try_with_sql(sql)
        .and_then(|mut p| p.parse_expr())
        .map_err(|e| syntax_error(sql, e))?;
    let _ = e.visit(&mut Rewriter);
    Ok(e)
}

pub fn rewrite(stmt: &mut Statement) {
    let _ = stmt.visit(&mut Rewriter);
}

/// PostgreSQL says `syntax error at or near "x"`; sqlparser says `Expected: ..., found: x at Line:
/// 1, Column: 8`. Keep PostgreSQL's wording, which is what people search for.
fn syntax_error(sql: &str, e: ParserError) -> QuiverError {
    let msg = e.to_string();
    let msg = msg
        .strip_prefix("sql parser error: ")
        .unwrap_or(&msg)
        .to_string();
    if let Some(i) = msg.find("found: ") {
        let rest = &msg[i + 7..];
        let tok = rest.split(" at Line:").next().unwrap_or(rest).trim();
        if let Some(word) = alias_after_star(sql, rest) {
            return QuiverError::Syntax(format!("syntax error at or near \"{word}\""));
        }
        if tok == "EOF" {
            return QuiverError::Syntax("syntax error at end of input".into());
        }
        return QuiverError::Syntax(format!("syntax error at or near \"{tok}\""));
    }
    if sql.trim().is_empty() {
        return QuiverError::Syntax("syntax error at end of input".into());
    }
    QuiverError::Syntax(format!("syntax error: {msg}"))
}

/// `SELECT * FORM t`: sqlparser takes `FORM` for an alias of `*` and stumbles on `t`; PostgreSQL
/// has no alias for `*` and stops at `FORM`. The word, when the error is right after `* word`.
fn alias_after_star(sql: &str, found: &str) -> Option<String> {
    use sqlparser::tokenizer::{Token, Tokenizer};
    let at = found.split(" at Line: ").nth(1)?;
    let (line, column) = at.split_once(", Column: ")?;
    let (line, column): (u64, u64) = (line.trim().parse().ok()?, column.trim().parse().ok()?);
    let tokens = Tokenizer::new(&PostgreSqlDialect {}, sql)
        .tokenize_with_location()
        .ok()?;
    let tokens: Vec<_> = tokens
        .into_iter()
        .filter(|t| !matches!(t.token, Token::Whitespace(_)))
        .collect();
    let i = tokens
        .iter()
        .position(|t| t.span.start.line == line && t.span.start.column == column)?;
    match (tokens.get(i.checked_sub(2)?), tokens.get(i - 1)) {
        (Some(star), Some(word)) if star.token == Token::Mul => match &word.token {
            Token::Word(w) if w.quote_style.is_none() => Some(w.value.clone()),
            _ => None,
        },
        _ => None,
    }
}

/// The type text for casts we plan ourselves, or `None` for casts DataFusion handles natively.
pub fn custom_cast_type(dt: &DataType) -> Option<String> {
    match dt {
        DataType::Custom(name, mods) => {
            let n = name.to_string().to_ascii_lowercase();
            let n = n.strip_prefix("public.").unwrap_or(&n).to_string();
            let n = n.strip_prefix("pg_catalog.").unwrap_or(&n).to_string();
            match n.as_str() {
                "vector" | "halfvec" | "sparsevec" | "varbit" | "regtype" | "regclass" | "oid"
                | "jsonb" | "json" | "uuid" | "name" | "tsvector" | "tsquery" | "regconfig" => {
                    if mods.is_empty() {
                        Some(n)
                    } else {
                        Some(format!("{n}({})", mods.join(",")))
                    }
                }
                // jsonpath values are kept as their text; jsonb_path_match parses them.
                "jsonpath" => Some("text".into()),
                _ => None,
            }
        }
        DataType::Bit(n) => Some(match n {
            Some(n) => format!("bit({n})"),
            None => "bit".into(),
        }),
        DataType::BitVarying(n) | DataType::VarBit(n) => Some(match n {
            Some(n) => format!("varbit({n})"),
            None => "varbit".into(),
        }),
        DataType::JSON => Some("json".into()),
        DataType::JSONB => Some("jsonb".into()),
        DataType::Uuid => Some("uuid".into()),
        DataType::TsVector => Some("tsvector".into()),
        DataType::TsQuery => Some("tsquery".into()),
        DataType::Regclass => Some("regclass".into()),
        DataType::Array(def) => {
            let inner = match def {
                sqlparser::ast::ArrayElemTypeDef::SquareBracket(t, _)
                | sqlparser::ast::ArrayElemTypeDef::AngleBracket(t)
                | sqlparser::ast::ArrayElemTypeDef::Parenthesis(t) => t,
                sqlparser::ast::ArrayElemTypeDef::None => return None,
            };
            // `vector::real[]` must see the vector; DataFusion's own casts cover the rest, but our
            // function handles every array target too, so route all array casts through it.
            let elem = custom_cast_type(inner).unwrap_or_else(|| inner.to_string().to_lowercase());
            Some(format!("{elem}[]"))
        }
        _ => None,
    }
}

fn call(name: &str, args: Vec<Expr>) -> Expr {
    Expr::Function(Function {
        name: ObjectName(vec![ObjectNamePart::Identifier(Ident::new(name))]),
        uses_odbc_syntax: false,
        parameters: FunctionArguments::None,
        args: FunctionArguments::List(FunctionArgumentList {
            duplicate_treatment: None,
            args: args
                .into_iter()
                .map(|a| FunctionArg::Unnamed(FunctionArgExpr::Expr(a)))
                .collect(),
            clauses: vec![],
        }),
        filter: None,
        null_treatment: None,
        over: None,
        within_group: vec![],
    })
}

fn string_lit(s: &str) -> Expr {
    Expr::Value(Value::SingleQuotedString(s.to_string()).into())
}

/// Collations that order text by its bytes (the only order quiver's text has): `default` (the
/// database's, C.UTF-8 here), `C`, `POSIX`, `ucs_basic`, `pg_c_utf8`, with or without the
/// `pg_catalog` prefix.
fn is_bytewise_collation(name: &ObjectName) -> bool {
    let parts: Vec<String> = name
        .0
        .iter()
        .map(|p| p.to_string().trim_matches('"').to_ascii_lowercase())
        .collect();
    let last = match parts.as_slice() {
        [only] => only,
        [schema, last] if schema == "pg_catalog" => last,
        _ => return false,
    };
    matches!(
        last.as_str(),
        "default" | "c" | "posix" | "ucs_basic" | "pg_c_utf8" | "c.utf8" | "c.utf-8"
    )
}

/// The built-in operator `OPERATOR(pg_catalog.op)` (or `OPERATOR(op)`) names, for the operators
/// sqlparser parses natively.
fn qualified_operator(parts: &[String]) -> Option<BinaryOperator> {
    let op = match parts {
        [op] => op,
        [schema, op] if schema.eq_ignore_ascii_case("pg_catalog") => op,
        _ => return None,
    };
    Some(match op.as_str() {
        "~" => BinaryOperator::PGRegexMatch,
        "~*" => BinaryOperator::PGRegexIMatch,
        "!~" => BinaryOperator::PGRegexNotMatch,
        "!~*" => BinaryOperator::PGRegexNotIMatch,
        "~~" => BinaryOperator::PGLikeMatch,
        "~~*" => BinaryOperator::PGILikeMatch,
        "!~~" => BinaryOperator::PGNotLikeMatch,
        "!~~*" => BinaryOperator::PGNotILikeMatch,
        "=" => BinaryOperator::Eq,
        "<>" | "!=" => BinaryOperator::NotEq,
        "<" => BinaryOperator::Lt,
        "<=" => BinaryOperator::LtEq,
        ">" => BinaryOperator::Gt,
        ">=" => BinaryOperator::GtEq,
        "+" => BinaryOperator::Plus,
        "-" => BinaryOperator::Minus,
        "*" => BinaryOperator::Multiply,
        "/" => BinaryOperator::Divide,
        "%" => BinaryOperator::Modulo,
        "||" => BinaryOperator::StringConcat,
        _ => return None,
    })
}

/// `x` of a rewritten `x::regclass` (a call of [`REGCLASS_FN`]).
fn regclass_argument(e: &Expr) -> Option<Expr> {
    let Expr::Function(f) = e else {
        return None;
    };
    if f.name.to_string() != REGCLASS_FN {
        return None;
    }
    match &f.args {
        FunctionArguments::List(l) => match l.args.as_slice() {
            [FunctionArg::Unnamed(FunctionArgExpr::Expr(x))] => Some(x.clone()),
            _ => None,
        },
        _ => None,
    }
}

/// Functions that return tables (DataFusion's and ours); any other function in `FROM` is a
/// scalar function, which PostgreSQL treats as a one-row relation.
const TABLE_FUNCTIONS: [&str; 3] = ["generate_series", "range", "hybrid_search"];

/// `FROM t, plainto_tsquery('hello') query` (pgvector's hybrid-search recipe): a scalar function
/// in `FROM` becomes the one-row derived table `(SELECT f(...) AS query) AS query`, whose column
/// is named by the alias as in PostgreSQL (by the function without one).
fn scalar_function_relation(tf: &TableFactor) -> Option<TableFactor> {
    let TableFactor::Table {
        name,
        args: Some(args),
        alias,
        ..
    } = tf
    else {
        return None;
    };
    let fname = name.0.last()?.to_string();
    if TABLE_FUNCTIONS
        .iter()
        .any(|t| t.eq_ignore_ascii_case(&fname))
    {
        return None;
    }
    let table = alias
        .as_ref()
        .map(|a| a.name.value.clone())
        .unwrap_or_else(|| fname.to_ascii_lowercase());
    let column = alias
        .as_ref()
        .and_then(|a| a.columns.first().map(|c| c.name.value.clone()))
        .unwrap_or_else(|| table.clone());
    let list: Vec<String> = args.args.iter().map(|a| a.to_string()).collect();
    let sql = format!(
        "SELECT * FROM (SELECT {name}({}) AS \"{}\") AS \"{}\"",
        list.join(", "),
        column.replace('"', "\"\""),
        table.replace('"', "\"\"")
    );
    let stmt = Parser::parse_sql(&PostgreSqlDialect {}, &sql).ok()?.pop()?;
    let Statement::Query(q) = stmt else {
        return None;
    };
    let sqlparser::ast::SetExpr::Select(select) = *q.body else {
        return None;
    };
    select.from.into_iter().next().map(|t| t.relation)
}

struct Rewriter;

impl VisitorMut for Rewriter {
    type Break = ();

    /// `FROM generate_series(1, 3) i`: in PostgreSQL the alias of a single-column function also
    /// names its column.
    fn post_visit_table_factor(&mut self, tf: &mut TableFactor) -> ControlFlow<()> {
        if let Some(derived) = scalar_function_relation(tf) {
            *tf = derived;
            return ControlFlow::Continue(());
        }
        match tf {
            TableFactor::Table {
                name,
                args: Some(_),
                alias: Some(a),
                ..
            } if !name.to_string().eq_ignore_ascii_case("hybrid_search") => {
                if a.columns.is_empty() {
                    a.columns = vec![TableAliasColumnDef::from_name(a.name.value.clone())];
                }
            }
            // `FROM unnest(ARRAY[...]) n` likewise (one array: one column).
            TableFactor::UNNEST {
                alias: Some(a),
                array_exprs,
                ..
            } if array_exprs.len() == 1 && a.columns.is_empty() => {
                a.columns = vec![TableAliasColumnDef::from_name(a.name.value.clone())];
            }
            _ => {}
        }
        ControlFlow::Continue(())
    }

    fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        match expr {
            Expr::Cast {
                kind,
                expr: inner,
                data_type,
                ..
            } if matches!(kind, CastKind::DoubleColon | CastKind::Cast) => {
                // `1.005::numeric(10,2)`: PostgreSQL reads the literal as numeric, exactly; as
                // text it reaches the decimal cast without a detour through float8.
                if matches!(
                    data_type,
                    DataType::Numeric(_) | DataType::Decimal(_) | DataType::Dec(_)
                ) {
                    if let Expr::Value(v) = inner.as_mut() {
                        if let Value::Number(n, _) = &v.value {
                            if n.contains('.') && !n.contains(['e', 'E']) {
                                v.value = Value::SingleQuotedString(n.clone());
                            }
                        }
                    }
                }
                let is_text = matches!(
                    data_type,
                    DataType::Text | DataType::Varchar(_) | DataType::CharacterVarying(_)
                );
                // `x::regtype::text` → the type's name.
                if is_text {
                    if let Expr::Function(f) = inner.as_ref() {
                        if f.name.to_string() == CAST_FN {
                            if let FunctionArguments::List(l) = &f.args {
                                if let [FunctionArg::Unnamed(FunctionArgExpr::Expr(x)), FunctionArg::Unnamed(FunctionArgExpr::Expr(Expr::Value(v)))] =
                                    l.args.as_slice()
                                {
                                    if v.value == Value::SingleQuotedString("regtype".into()) {
                                        *expr = call(REGTYPE_NAME_FN, vec![x.clone()]);
                                        return ControlFlow::Continue(());
                                    }
                                }
                            }
                        }
                    }
                    // Casting a vector to text must print pgvector's format, not Arrow's. An
                    // explicit cast to varchar(n) truncates (the third argument says explicit).
                    let target = data_type.to_string().to_ascii_lowercase();
                    let mut args = vec![(**inner).clone(), string_lit(&target)];
                    if target.contains('(') {
                        args.push(Expr::value(Value::Boolean(true)));
                    }
                    *expr = call(CAST_FN, args);
                    return ControlFlow::Continue(());
                }
                if let Some(t) = custom_cast_type(data_type) {
                    *expr = if t == "regclass" {
                        call(REGCLASS_FN, vec![(**inner).clone()])
                    } else {
                        call(CAST_FN, vec![(**inner).clone(), string_lit(&t)])
                    };
                }
            }
            // `x COLLATE "C"` / `COLLATE pg_catalog.default` (psql's `\d` sends these): text
            // compares bytewise here, which is what these collations mean for UTF-8.
            Expr::Collate {
                expr: inner,
                collation,
            } if is_bytewise_collation(collation) => {
                *expr = Expr::Nested(Box::new((**inner).clone()));
            }
            // `a OPERATOR(pg_catalog.~) b` (psql's `\d` patterns): the operator itself.
            Expr::BinaryOp { op, .. } => {
                if let BinaryOperator::PGCustomBinaryOperator(parts) = op {
                    if let Some(std) = qualified_operator(parts) {
                        *op = std;
                    }
                }
            }
            // `!! query`: tsquery negation.
            Expr::UnaryOp {
                op: sqlparser::ast::UnaryOperator::PGPrefixFactorial,
                expr: inner,
            } => {
                *expr = call("tsquery_not", vec![(**inner).clone()]);
            }
            // B'0101': a bit string.
            Expr::Value(v) if matches!(v.value, Value::SingleQuotedByteStringLiteral(_)) => {
                if let Value::SingleQuotedByteStringLiteral(bits) = &v.value {
                    *expr = call(CAST_FN, vec![string_lit(bits), string_lit("varbit")]);
                }
            }
            Expr::Function(f) => {
                if f.name.0.len() == 2 {
                    let schema = f.name.0[0].to_string().to_ascii_lowercase();
                    if schema == "pg_catalog" || schema == "public" {
                        f.name.0.remove(0);
                    }
                }
                // `nextval('t_id_seq'::regclass)` (how PostgreSQL spells a serial's default): the
                // sequence functions take the name itself.
                let name = f.name.to_string().to_ascii_lowercase();
                if matches!(name.as_str(), "nextval" | "currval" | "setval") {
                    if let FunctionArguments::List(l) = &mut f.args {
                        if let Some(FunctionArg::Unnamed(FunctionArgExpr::Expr(first))) =
                            l.args.first_mut()
                        {
                            if let Some(inner) = regclass_argument(first) {
                                *first = inner;
                            }
                        }
                    }
                }
            }
            _ => {}
        }
        ControlFlow::Continue(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn casts_to_vector_types_become_function_calls() {
        let s = parse("SELECT '[1,2]'::vector(2), ARRAY[1,2]::vector, x::int").unwrap();
        let t = s[0].to_string();
        assert!(t.contains("__quiver_cast('[1,2]', 'vector(2)')"), "{t}");
        assert!(t.contains("__quiver_cast(ARRAY[1, 2], 'vector')"), "{t}");
        assert!(t.contains("x::INT"), "{t}");
    }

    #[test]
    fn regtype_text_becomes_name_lookup() {
        let s = parse("SELECT oid::regtype::text FROM pg_type").unwrap();
        assert!(s[0].to_string().contains("__quiver_regtype_name(oid)"));
    }

    #[test]
    fn syntax_errors_read_like_postgres() {
        let e = parse("SELEC 1").unwrap_err();
        assert_eq!(e.sqlstate(), "42601");
        let e = parse("SELECT * FORM t").unwrap_err();
        assert_eq!(e.to_string(), "syntax error at or near \"FORM\"");
        assert!(e.to_string().starts_with("syntax error at or near"), "{e}");
    }

    #[test]
    fn l1_operator_is_respelled_outside_literals() {
        assert_eq!(respell_operators("a <+> b"), "a <#+> b");
        assert_eq!(
            respell_operators("'<+>' <+> \"<+>\" -- <+>"),
            "'<+>' <#+> \"<+>\" -- <+>"
        );
        assert_eq!(respell_operators("$$<+>$$ <+>"), "$$<+>$$ <#+>");
    }

    #[test]
    fn pgvector_operators_parse() {
        for op in ["<->", "<#>", "<=>", "<+>", "<~>", "<%>"] {
            parse(&format!(
                "SELECT a {op} b FROM t ORDER BY a {op} '[1,2]' LIMIT 5"
            ))
            .unwrap();
        }
    }
}
