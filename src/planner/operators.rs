//! pgvector's operators as DataFusion sees them: an `ExprPlanner` that turns `<->`, `<#>`, `<=>`,
//! `<+>`, `<~>`, `<%>` into distance functions, `+ - * ||` over vectors into vector arithmetic, and
//! `->`/`->>` over json into accessors.
//!
//! It runs before DataFusion's own planners (which would read `||` on lists as array_concat) and
//! sees operand types, so it can also give an untyped `$n` next to a vector the vector's type —
//! that is how `ORDER BY embedding <-> $1` describes `$1` as `vector` to drivers.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::common::DFSchema;
use datafusion::error::Result as DfResult;
use datafusion::logical_expr::expr::{Placeholder, ScalarFunction};
use datafusion::logical_expr::planner::{ExprPlanner, PlannerResult, RawBinaryExpr};
use datafusion::logical_expr::{Expr, ExprSchemable, ScalarUDF};
use sqlparser::ast::BinaryOperator;

use crate::sql::functions::fulltext;
use crate::sql::functions::json::{self, JSON_GET, JSON_GET_TEXT};
use crate::sql::parse::CAST_FN;
use crate::types::SqlType;

#[derive(Debug)]
pub struct VectorOperatorPlanner {
    udfs: HashMap<&'static str, Arc<ScalarUDF>>,
}

impl VectorOperatorPlanner {
    pub fn new(all: &[Arc<ScalarUDF>]) -> Self {
        let wanted = [
            "l2_distance",
            "vector_negative_inner_product",
            "cosine_distance",
            "l1_distance",
            "hamming_distance",
            "jaccard_distance",
            "vector_add",
            "vector_sub",
            "vector_mul",
            "vector_concat",
            JSON_GET,
            JSON_GET_TEXT,
            json::JSONB_CONCAT,
            json::JSONB_DELETE,
            json::JSONB_EXISTS,
            json::JSONB_EXISTS_ANY,
            json::JSONB_EXISTS_ALL,
            json::JSONB_CONTAINS,
            json::JSONB_CONTAINED,
            json::JSONB_PATH_GET,
            json::JSONB_PATH_GET_TEXT,
            CAST_FN,
            fulltext::TS_MATCH,
            fulltext::TSVECTOR_CONCAT,
            fulltext::TSQUERY_AND,
            fulltext::TSQUERY_OR,
        ];
        let udfs = wanted
            .into_iter()
            .filter_map(|n| all.iter().find(|u| u.name() == n).map(|u| (n, u.clone())))
            .collect();
        VectorOperatorPlanner { udfs }
    }
}

fn sql_type(e: &Expr, schema: &DFSchema) -> Option<SqlType> {
    if matches!(e, Expr::Placeholder(Placeholder { field: None, .. })) {
        return None;
    }
    let (_, f) = e.to_field(schema).ok()?;
    if f.data_type() == &arrow::datatypes::DataType::Null {
        return None;
    }
    Some(SqlType::of_field(&f))
}

/// Gives an untyped placeholder the type of the other operand.
fn type_placeholder(e: Expr, other: &Expr, schema: &DFSchema) -> Expr {
    match e {
        Expr::Placeholder(Placeholder { id, field: None }) => {
            let field = other.to_field(schema).ok().map(|(_, f)| {
                Arc::new(f.as_ref().clone().with_name(id.clone()).with_nullable(true))
            });
            Expr::Placeholder(Placeholder { id, field })
        }
        other => other,
    }
}

impl ExprPlanner for VectorOperatorPlanner {
    fn plan_binary_op(
        &self,
        expr: RawBinaryExpr,
        schema: &DFSchema,
    ) -> DfResult<PlannerResult<RawBinaryExpr>> {
        let lt = sql_type(&expr.left, schema);
        let rt = sql_type(&expr.right, schema);
        let is_vec = |t: &Option<SqlType>| t.as_ref().is_some_and(|t| t.is_vector_like());
        let is_json = |t: &Option<SqlType>| matches!(t, Some(SqlType::Json | SqlType::Jsonb));
        let is_tsv = |t: &Option<SqlType>| matches!(t, Some(SqlType::TsVector));
        let is_tsq = |t: &Option<SqlType>| matches!(t, Some(SqlType::TsQuery));
        // `embedding = '[1,2,3]'`: the literal takes the vector's type, as in PostgreSQL.
        if matches!(
            expr.op,
            BinaryOperator::Eq
                | BinaryOperator::NotEq
                | BinaryOperator::Lt
                | BinaryOperator::LtEq
                | BinaryOperator::Gt
                | BinaryOperator::GtEq
        ) {
            let lit_text = |e: &Expr| matches!(e, Expr::Literal(v, _) if v.data_type() == arrow::datatypes::DataType::Utf8);
            let cast = self.udfs.get(CAST_FN).cloned();
            let typed = |e: Expr, t: &Option<SqlType>| -> Expr {
                match (t, &cast) {
                    (Some(t), Some(c)) => Expr::ScalarFunction(ScalarFunction::new_udf(
                        c.clone(),
                        vec![
                            e,
                            Expr::Literal(
                                datafusion::common::ScalarValue::Utf8(Some(t.display_name())),
                                None,
                            ),
                        ],
                    )),
                    _ => e,
                }
            };
            if is_vec(&lt) && lit_text(&expr.right) {
                let right = typed(expr.right, &lt);
                return Ok(PlannerResult::Original(RawBinaryExpr {
                    op: expr.op,
                    left: expr.left,
                    right,
                }));
            }
            if is_vec(&rt) && lit_text(&expr.left) {
                let left = typed(expr.left, &rt);
                return Ok(PlannerResult::Original(RawBinaryExpr {
                    op: expr.op,
                    left,
                    right: expr.right,
                }));
            }
        }
        let name = match &expr.op {
            BinaryOperator::LtDashGt => "l2_distance",
            BinaryOperator::Spaceship => "cosine_distance",
            BinaryOperator::Custom(op) => match op.as_str() {
                "<#>" => "vector_negative_inner_product",
                "<+>" | crate::sql::parse::L1_OPERATOR_SPELLING => "l1_distance",
                "<~>" => "hamming_distance",
                "<%>" => "jaccard_distance",
                "<=>" => "cosine_distance",
                "<->" => "l2_distance",
                crate::planner::bm25_order::BM25_OPERATOR => {
                    return Err(datafusion::error::DataFusionError::External(Box::new(
                        crate::error::QuiverError::FeatureNotSupported(
                            "the <&> operator (BM25) ranks rows only in ORDER BY <column> <&> <query> LIMIT k over one table"
                                .into(),
                        ),
                    )))
                }
                _ => return Ok(PlannerResult::Original(expr)),
            },
            BinaryOperator::Plus if is_vec(&lt) || is_vec(&rt) => "vector_add",
            BinaryOperator::Minus if is_vec(&lt) || is_vec(&rt) => "vector_sub",
            BinaryOperator::Multiply if is_vec(&lt) || is_vec(&rt) => "vector_mul",
            BinaryOperator::StringConcat if is_vec(&lt) || is_vec(&rt) => "vector_concat",
            BinaryOperator::AtAt => fulltext::TS_MATCH,
            BinaryOperator::StringConcat if is_tsv(&lt) || is_tsv(&rt) => fulltext::TSVECTOR_CONCAT,
            BinaryOperator::StringConcat if is_tsq(&lt) || is_tsq(&rt) => fulltext::TSQUERY_OR,
            BinaryOperator::PGOverlap if is_tsq(&lt) || is_tsq(&rt) => fulltext::TSQUERY_AND,
            BinaryOperator::Arrow if is_json(&lt) => JSON_GET,
            BinaryOperator::LongArrow if is_json(&lt) => JSON_GET_TEXT,
            BinaryOperator::HashArrow if is_json(&lt) => json::JSONB_PATH_GET,
            BinaryOperator::HashLongArrow if is_json(&lt) => json::JSONB_PATH_GET_TEXT,
            BinaryOperator::StringConcat if is_json(&lt) || is_json(&rt) => json::JSONB_CONCAT,
            BinaryOperator::Minus if is_json(&lt) => json::JSONB_DELETE,
            BinaryOperator::Question if is_json(&lt) => json::JSONB_EXISTS,
            BinaryOperator::QuestionPipe if is_json(&lt) => json::JSONB_EXISTS_ANY,
            BinaryOperator::QuestionAnd if is_json(&lt) => json::JSONB_EXISTS_ALL,
            BinaryOperator::AtArrow if is_json(&lt) || is_json(&rt) => json::JSONB_CONTAINS,
            BinaryOperator::ArrowAt if is_json(&lt) || is_json(&rt) => json::JSONB_CONTAINED,
            _ => return Ok(PlannerResult::Original(expr)),
        };
        let Some(udf) = self.udfs.get(name) else {
            return Ok(PlannerResult::Original(expr));
        };
        let (left, right) = (expr.left, expr.right);
        let untyped = [
            JSON_GET,
            JSON_GET_TEXT,
            fulltext::TS_MATCH,
            json::JSONB_PATH_GET,
            json::JSONB_PATH_GET_TEXT,
            json::JSONB_DELETE,
            json::JSONB_EXISTS,
            json::JSONB_EXISTS_ANY,
            json::JSONB_EXISTS_ALL,
        ];
        let (left, right) = if untyped.contains(&name) {
            (left, right)
        } else {
            let left = type_placeholder(left, &right, schema);
            let right = type_placeholder(right, &left, schema);
            (left, right)
        };
        Ok(PlannerResult::Planned(Expr::ScalarFunction(
            ScalarFunction::new_udf(udf.clone(), vec![left, right]),
        )))
    }
}
