//! Index expressions and partial-index predicates compiled outside any session: background
//! index builds (a segment sealed) evaluate them with no connection around, and the ANN rule
//! compares them with the expressions of a query. The engine installs [`IndexExprCompiler`] in the
//! storage layer's index store at start (`storage::vindex::ExprCompiler`).
//!
//! Expressions are compiled as a session would — the same functions and operator planner — then
//! type-coerced and simplified the way DataFusion's optimizer leaves a query's expressions, so
//! that `category_id = 123` compiles to what a query's `WHERE category_id = 123` becomes.

use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use datafusion::common::DFSchema;
use datafusion::execution::context::SessionState;
use datafusion::execution::session_state::SessionStateBuilder;
use datafusion::execution::FunctionRegistry;
use datafusion::logical_expr::simplify::SimplifyContext;
use datafusion::logical_expr::ScalarUDF;
use datafusion::optimizer::simplify_expressions::ExprSimplifier;
use datafusion::physical_expr::PhysicalExpr;

use crate::error::{QuiverError, Result};
use crate::planner::operators::VectorOperatorPlanner;
use crate::storage::vindex::ExprCompiler;

pub struct IndexExprCompiler {
    state: SessionState,
}

impl IndexExprCompiler {
    pub fn new(udfs: &[Arc<ScalarUDF>]) -> Result<IndexExprCompiler> {
        let mut builder = SessionStateBuilder::new()
            .with_config(crate::planner::session::base_config())
            .with_default_features();
        let ours: Arc<dyn datafusion::logical_expr::planner::ExprPlanner> =
            Arc::new(VectorOperatorPlanner::new(udfs));
        if let Some(planners) = builder.expr_planners() {
            planners.insert(0, ours);
        }
        let mut state = builder.build();
        for u in udfs {
            state.register_udf(u.clone())?;
        }
        Ok(IndexExprCompiler { state })
    }

    /// The logical form of `sql` over `schema`, coerced and simplified.
    pub fn logical(&self, sql: &str, schema: &DFSchema) -> Result<datafusion::logical_expr::Expr> {
        let expr = self.state.create_logical_expr(sql, schema)?;
        let context = SimplifyContext::builder()
            .with_schema(Arc::new(schema.clone()))
            .with_config_options(Arc::clone(self.state.config_options()))
            .build();
        let simplifier = ExprSimplifier::new(context);
        let expr = simplifier.coerce(expr, schema)?;
        Ok(simplifier.simplify(expr)?)
    }
}

impl ExprCompiler for IndexExprCompiler {
    fn compile(&self, sql: &str, schema: &SchemaRef) -> Result<Arc<dyn PhysicalExpr>> {
        let df = DFSchema::try_from(schema.as_ref().clone())?;
        let expr = self.logical(sql, &df)?;
        self.state
            .create_physical_expr(expr, &df)
            .map_err(QuiverError::from)
    }
}
