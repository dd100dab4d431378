//! A client session: its DataFusion state, settings and transaction, and the statement lifecycle
//! shared by both wire protocols — `prepare` (parse-time planning: parameter and result types)
//! then `execute` (bind values, run, apply writes).
//!
//! Transactions: writes of a statement go to a statement-local `TxnWrites`; on success they join
//! the session's transaction (in a block) or are committed at once (autocommit). Reads see the
//! committed snapshot plus the session's own transaction writes. An error inside a block marks it
//! failed until ROLLBACK, as in PostgreSQL.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::{DataType, FieldRef};
use datafusion::catalog::{
    CatalogProvider, CatalogProviderList, MemoryCatalogProvider, MemoryCatalogProviderList,
};
use datafusion::common::{ParamValues, ScalarValue};
use datafusion::execution::context::SessionState;
use datafusion::execution::session_state::SessionStateBuilder;
use datafusion::execution::{FunctionRegistry, TaskContext};
use datafusion::logical_expr::{LogicalPlan, ScalarUDF};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::prelude::SessionConfig;
use parking_lot::Mutex;
use sqlparser::ast::{Expr, Statement, Value};

use crate::engine::Engine;
use crate::error::{QuiverError, Result};
use crate::planner::ann_exec::AnnSearchExec;
use crate::planner::ann_rule::AnnRule;
use crate::planner::operators::VectorOperatorPlanner;
use crate::planner::pg_catalog::PgCatalog;
use crate::planner::session_functions::ParamSlot;
use crate::planner::settings::Settings;
use crate::planner::{copy, dml, explain, names, session_functions, utility};
use crate::sql::functions::aggregates::VectorAwareAggregate;
use crate::storage::provider::{QuiverSchema, SharedTxn};
use crate::storage::scan::QuiverScanExec;
use crate::storage::txn::TxnWrites;
use crate::types::SqlType;

/// Transaction block state, as PostgreSQL reports it in ReadyForQuery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxnStatus {
    Idle,
    InBlock,
    Failed,
}

/// What a statement produced.
#[derive(Debug)]
pub enum Output {
    Rows {
        fields: Vec<FieldRef>,
        batches: Vec<RecordBatch>,
        tag: String,
    },
    Command(String),
    CopyIn(copy::CopyIn),
    CopyOut(copy::CopyOut),
    Empty,
}

/// The kind-specific part of a prepared statement.
#[derive(Debug, Clone)]
pub enum PreparedKind {
    /// SELECT, VALUES, EXPLAIN, SHOW-like queries planned by DataFusion.
    Query(LogicalPlan),
    Dml(dml::DmlPlan),
    /// Everything else (DDL, SET, BEGIN, COPY, ...): runs from the AST.
    Utility,
}

#[derive(Debug, Clone)]
pub struct Prepared {
    pub stmt: Statement,
    /// The highest `$n` in `stmt` (counted once: executions check their values against it).
    pub placeholders: usize,
    pub kind: PreparedKind,
    /// One per `$n`: the type described to clients.
    pub param_types: Vec<SqlType>,
    /// The Arrow type a placeholder has in the plan, where the planner fixed one.
    pub param_targets: Vec<Option<DataType>>,
    /// Row description; `None` for statements that return no rows.
    pub fields: Option<Vec<FieldRef>>,
    pub catalog_version: u64,
    /// A query's logically optimised plan, with its placeholders still unbound: executions bind
    /// values and go straight to physical planning (where the ANN rule sees them as literals).
    /// Only for plans whose functions are all immutable, so that nothing folded at prepare time
    /// (`now()`, `current_setting(...)`) would differ at execution.
    pub optimized: Option<LogicalPlan>,
    /// `optimized` with each `$n` replaced by a call reading the value of the execution in
    /// progress ([`session_functions::PARAM_FN`]): physically planned once, then re-run.
    pub generic: Option<LogicalPlan>,
    /// What executions of this statement cache between them.
    pub cache: Arc<Mutex<PlanCache>>,
}

/// The per-statement plan cache of a prepared query.
#[derive(Debug, Default)]
pub struct PlanCache {
    /// The physical plan of `generic`, and the settings generation it was planned under (the
    /// ANN rule reads `hnsw.ef_search`, `enable_indexscan`, ...). Scans in it are re-read at
    /// every execution (`refresh_plan`).
    physical: Option<(Arc<dyn ExecutionPlan>, u64)>,
    /// The statement planned again after a DDL, with the catalog version it saw.
    replanned: Option<(u64, Arc<Prepared>)>,
}

pub struct Session {
    pub engine: Arc<Engine>,
    pub pid: i32,
    pub user: String,
    pub database: String,
    pub(crate) state: SessionState,
    /// Same as `state` but tables expose `__row_id` (UPDATE/DELETE row selection).
    pub(crate) dml_state: SessionState,
    pub(crate) txn: SharedTxn,
    pub(crate) settings: Arc<Mutex<Settings>>,
    pub(crate) status: TxnStatus,
    /// Statement-scoped tables (`excluded`, RETURNING input) visible to `dml_state`.
    pub(crate) temp_tables:
        Arc<Mutex<HashMap<String, Arc<dyn datafusion::catalog::TableProvider>>>>,
    /// NOTICE messages raised by the current statement, sent before its result.
    notices: Vec<String>,
    /// Parameter values of the execution in progress (read by cached plans).
    params: ParamSlot,
    /// DataFusion's task context: the session's functions and configuration, which do not change
    /// after the session starts, so it is built once (building it copies every function registry).
    task_ctx: Arc<TaskContext>,
}

impl Session {
    pub fn new(engine: Arc<Engine>, user: &str, database: &str) -> Result<Session> {
        let txn: SharedTxn = Arc::new(Mutex::new(TxnWrites::default()));
        let settings = Arc::new(Mutex::new(Settings::default()));
        let temp_tables = Arc::new(Mutex::new(HashMap::new()));
        let pid = engine.next_pid();
        let params: ParamSlot = Arc::new(Mutex::new(Vec::new()));
        let mut session_udfs = session_functions::udfs(
            engine.storage.clone(),
            txn.clone(),
            settings.clone(),
            pid,
            user,
            database,
        );
        session_udfs.push(Arc::new(session_functions::param_udf(params.clone())));
        // to_tsvector(text) and friends read this session's default_text_search_config.
        let ts_settings = settings.clone();
        session_udfs.extend(
            crate::sql::functions::fulltext::session_udfs(Arc::new(move || {
                ts_settings
                    .lock()
                    .get("default_text_search_config")
                    .ok()
                    .and_then(|v| crate::text::tsearch::TsConfig::from_name(&v).ok())
                    .unwrap_or(crate::text::tsearch::DEFAULT_CONFIG)
            }))
            .into_iter()
            .map(Arc::new),
        );
        let state = build_state(
            &engine,
            &txn,
            &settings,
            &session_udfs,
            false,
            temp_tables.clone(),
            &params,
        )?;
        let dml_state = build_state(
            &engine,
            &txn,
            &settings,
            &session_udfs,
            true,
            temp_tables.clone(),
            &params,
        )?;
        let task_ctx = state.task_ctx();
        Ok(Session {
            engine,
            pid,
            user: user.to_string(),
            database: database.to_string(),
            state,
            dml_state,
            txn,
            settings,
            status: TxnStatus::Idle,
            temp_tables,
            notices: Vec::new(),
            params,
            task_ctx,
        })
    }

    /// Queues a NOTICE for the client.
    pub fn notice(&mut self, message: &str) {
        self.notices.push(message.to_string());
    }

    /// The NOTICEs raised since the last call.
    pub fn take_notices(&mut self) -> Vec<String> {
        std::mem::take(&mut self.notices)
    }

    pub fn status(&self) -> TxnStatus {
        self.status
    }

    pub fn settings(&self) -> parking_lot::MutexGuard<'_, Settings> {
        self.settings.lock()
    }

    /// Parses a query string into statements (several for the simple protocol).
    pub fn parse(&self, sql: &str) -> Result<Vec<Statement>> {
        crate::sql::parse::parse(sql)
    }

    /// Plans a statement far enough to describe it (parameter types, result columns).
    pub async fn prepare(
        &mut self,
        stmt: Statement,
        client_types: &[Option<SqlType>],
    ) -> Result<Prepared> {
        let catalog_version = self.engine.storage.catalog_version();
        let mut stmt = stmt;
        if matches!(stmt, Statement::Query(_) | Statement::Explain { .. }) {
            crate::planner::bm25_order::rewrite(&mut stmt, &self.engine.storage);
            names::name_nested_columns(&mut stmt);
        }
        let (kind, fields, mut hints) = match &stmt {
            Statement::Query(_) | Statement::Explain { .. } => {
                let pg_names = names::output_names(&stmt);
                let plan = match self.plan_query(stmt.clone()).await {
                    Err(e) if names::is_name_clash(&e) => {
                        // `SELECT 1, 1`: plan it with an alias per item, show PostgreSQL's names.
                        let mut aliased = stmt.clone();
                        names::alias_every_item(&mut aliased);
                        stmt = aliased;
                        self.plan_query(stmt.clone()).await?
                    }
                    planned => planned?,
                };
                // Parameters the client typed keep the client's type.
                let typed: Vec<String> = (0..client_types.len())
                    .filter(|&i| client_types[i].is_some())
                    .map(|i| format!("${}", i + 1))
                    .collect();
                let plan = type_cast_placeholders(plan, &typed);
                let fields = if matches!(stmt, Statement::Explain { .. }) {
                    vec![explain::query_plan_field()]
                } else {
                    names::output_fields(pg_names.as_deref(), plan.schema())
                };
                (PreparedKind::Query(plan), Some(fields), limit_hints(&stmt))
            }
            Statement::Insert(_) | Statement::Update(_) | Statement::Delete(_) => {
                let p = dml::prepare(self, &stmt).await?;
                let fields = p.returning_fields.clone();
                let hints = p.param_hints.clone();
                (PreparedKind::Dml(p), fields, hints)
            }
            _ => (
                PreparedKind::Utility,
                utility::result_fields(self, &stmt)?,
                HashMap::new(),
            ),
        };
        // Parameter types: the client's, else the plan's, else hints (INSERT targets), else text.
        let plan_fields: HashMap<String, Option<FieldRef>> = match &kind {
            PreparedKind::Query(p) => p.get_parameter_fields()?,
            PreparedKind::Dml(d) => d.parameter_fields()?,
            PreparedKind::Utility => HashMap::new(),
        };
        let placeholders = count_placeholders(&stmt);
        let count = placeholders.max(client_types.len());
        let mut param_types = Vec::with_capacity(count);
        let mut param_targets = Vec::with_capacity(count);
        for i in 0..count {
            let id = format!("${}", i + 1);
            let planned = plan_fields.get(&id).cloned().flatten();
            let target = planned
                .as_ref()
                .map(|f| f.data_type().clone())
                .filter(|t| t != &DataType::Null);
            let ty = client_types
                .get(i)
                .cloned()
                .flatten()
                .or_else(|| {
                    planned
                        .as_ref()
                        .filter(|f| f.data_type() != &DataType::Null)
                        .map(|f| SqlType::of_field(f))
                })
                .or_else(|| hints.remove(&(i + 1)))
                .unwrap_or(SqlType::Text);
            param_types.push(ty);
            param_targets.push(target);
        }
        let optimized = match &kind {
            // `LIMIT $n` must be folded by the optimiser once bound: those plans optimise per run.
            PreparedKind::Query(plan)
                if !matches!(stmt, Statement::Explain { .. })
                    && limit_hints(&stmt).is_empty()
                    && only_immutable(plan) =>
            {
                match self.state.optimize(plan) {
                    Ok(p) => Some(p),
                    Err(e) => {
                        tracing::debug!(error = %e, "plan not cached: optimising it unbound failed");
                        None
                    }
                }
            }
            _ => None,
        };
        let generic = optimized
            .as_ref()
            .and_then(|p| generic_plan(p, &self.params));
        tracing::debug!(
            optimized = optimized.is_some(),
            generic = generic.is_some(),
            "prepared"
        );
        Ok(Prepared {
            stmt,
            placeholders,
            kind,
            param_types,
            param_targets,
            fields,
            catalog_version,
            optimized,
            generic,
            cache: Arc::default(),
        })
    }

    /// Runs a prepared statement with bound parameter values.
    pub async fn execute(
        &mut self,
        prepared: &Prepared,
        params: Vec<ScalarValue>,
    ) -> Result<Output> {
        if self.status == TxnStatus::Failed && !utility::ends_transaction(&prepared.stmt) {
            return Err(QuiverError::InFailedTransaction);
        }
        let result = self.execute_inner(prepared, params).await;
        if result.is_err() && self.status == TxnStatus::InBlock {
            self.status = TxnStatus::Failed;
        }
        result
    }

    async fn execute_inner(
        &mut self,
        prepared: &Prepared,
        params: Vec<ScalarValue>,
    ) -> Result<Output> {
        // A DDL since planning may have changed what the plan refers to: plan again (once per
        // catalog version; the new plan is kept with the statement).
        let catalog_version = self.engine.storage.catalog_version();
        let replanned: Arc<Prepared>;
        let prepared = if prepared.catalog_version != catalog_version
            && !matches!(prepared.kind, PreparedKind::Utility)
        {
            let kept = prepared
                .cache
                .lock()
                .replanned
                .as_ref()
                .filter(|(v, p)| *v == catalog_version && p.catalog_version == catalog_version)
                .map(|(_, p)| p.clone());
            replanned = match kept {
                Some(p) => p,
                None => {
                    let types: Vec<Option<SqlType>> =
                        prepared.param_types.iter().cloned().map(Some).collect();
                    let p = Arc::new(self.prepare(prepared.stmt.clone(), &types).await?);
                    prepared.cache.lock().replanned = Some((p.catalog_version, p.clone()));
                    p
                }
            };
            &*replanned
        } else {
            prepared
        };
        if let (PreparedKind::Query(plan), Some(generic)) = (&prepared.kind, &prepared.generic) {
            let batches = self.run_generic(prepared, generic, params).await?;
            let fields = prepared
                .fields
                .clone()
                .unwrap_or_else(|| plan.schema().fields().iter().cloned().collect());
            let tag = format!(
                "SELECT {}",
                batches.iter().map(|b| b.num_rows()).sum::<usize>()
            );
            return Ok(Output::Rows {
                fields,
                batches,
                tag,
            });
        }
        let values = ParamValues::List(params.into_iter().map(Into::into).collect());
        match &prepared.kind {
            PreparedKind::Query(plan) => {
                let bind = |p: &LogicalPlan| -> Result<LogicalPlan> {
                    Ok(if prepared.placeholders > 0 {
                        p.clone().with_param_values(values.clone())?
                    } else {
                        p.clone()
                    })
                };
                let mut fields = prepared
                    .fields
                    .clone()
                    .unwrap_or_else(|| plan.schema().fields().iter().cloned().collect());
                // Table functions (hybrid_search) read `$n` from the slot when they plan.
                *self.params.lock() = match &values {
                    ParamValues::List(v) => v.iter().map(|p| p.value.clone()).collect(),
                    _ => vec![],
                };
                let mut batches = match &prepared.optimized {
                    Some(optimized) => {
                        let bound = bind(optimized)?;
                        let physical = self
                            .state
                            .query_planner()
                            .create_physical_plan(&bound, &self.state)
                            .await?;
                        datafusion::physical_plan::collect(physical, self.task_ctx.clone()).await?
                    }
                    None => self.run_plan(bind(plan)?).await?,
                };
                self.params.lock().clear();
                if matches!(prepared.stmt, Statement::Explain { .. }) {
                    batches = vec![explain::query_plan(&batches)?];
                    fields = vec![explain::query_plan_field()];
                }
                let tag = format!(
                    "SELECT {}",
                    batches.iter().map(|b| b.num_rows()).sum::<usize>()
                );
                Ok(Output::Rows {
                    fields,
                    batches,
                    tag,
                })
            }
            PreparedKind::Dml(d) => {
                let (writes, out) = dml::execute(self, d, &values).await?;
                self.apply_writes(writes)?;
                Ok(out)
            }
            PreparedKind::Utility => utility::execute(self, &prepared.stmt, &values).await,
        }
    }

    /// Runs a prepared query's generic plan with `params`: the cached physical plan over fresh
    /// snapshots when there is one for the current settings, else a new physical plan (kept when
    /// every operator in it can run again).
    async fn run_generic(
        &self,
        prepared: &Prepared,
        generic: &LogicalPlan,
        params: Vec<ScalarValue>,
    ) -> Result<Vec<RecordBatch>> {
        let wanted = prepared.placeholders;
        if params.len() < wanted {
            return Err(QuiverError::ProtocolViolation(format!(
                "bind message supplies {} parameters, but prepared statement \"\" requires {wanted}",
                params.len()
            )));
        }
        let generation = self.settings.lock().generation();
        let cached = prepared
            .cache
            .lock()
            .physical
            .as_ref()
            .filter(|(_, g)| *g == generation)
            .map(|(p, _)| p.clone());
        *self.params.lock() = params;
        let physical = match cached {
            Some(plan) => refresh_plan(plan)?,
            None => {
                let plan = self
                    .state
                    .query_planner()
                    .create_physical_plan(generic, &self.state)
                    .await?;
                if reusable(&plan) {
                    prepared.cache.lock().physical = Some((plan.clone(), generation));
                }
                plan
            }
        };
        let result = datafusion::physical_plan::collect(physical, self.task_ctx.clone()).await;
        self.params.lock().clear();
        Ok(result?)
    }

    /// Simple protocol: prepare and execute one statement without parameters.
    pub async fn run_statement(&mut self, stmt: Statement) -> Result<Output> {
        if self.status == TxnStatus::Failed && !utility::ends_transaction(&stmt) {
            return Err(QuiverError::InFailedTransaction);
        }
        let prepared = match self.prepare(stmt, &[]).await {
            Ok(p) => p,
            Err(e) => {
                if self.status == TxnStatus::InBlock {
                    self.status = TxnStatus::Failed;
                }
                return Err(e);
            }
        };
        self.execute(&prepared, vec![]).await
    }

    /// Runs a command sqlparser does not parse; returns its tag.
    pub async fn run_command(&mut self, cmd: &utility::Command) -> Result<&'static str> {
        if self.status == TxnStatus::Failed {
            return Err(QuiverError::InFailedTransaction);
        }
        match cmd {
            utility::Command::Checkpoint => self.engine.storage.checkpoint()?,
            utility::Command::Reindex { table, name } => {
                crate::planner::ddl::reindex(self, *table, name).await?
            }
        }
        Ok(cmd.tag())
    }

    /// Marks the transaction block failed (an error outside `execute`, e.g. in COPY data).
    pub fn fail_block(&mut self) {
        if self.status == TxnStatus::InBlock {
            self.status = TxnStatus::Failed;
        }
    }

    pub(crate) async fn plan_query(&self, stmt: Statement) -> Result<LogicalPlan> {
        let plan = self
            .state
            .statement_to_plan(datafusion::sql::parser::Statement::Statement(Box::new(
                stmt,
            )))
            .await?;
        Ok(plan)
    }

    pub(crate) async fn plan_dml_query(&self, stmt: Statement) -> Result<LogicalPlan> {
        Ok(self
            .dml_state
            .statement_to_plan(datafusion::sql::parser::Statement::Statement(Box::new(
                stmt,
            )))
            .await?)
    }

    /// Plans one statement of internal SQL (built from parts of the user's statement), against
    /// the state that exposes `__row_id` when `with_row_id`.
    pub(crate) async fn plan_sql(&self, sql: &str, with_row_id: bool) -> Result<LogicalPlan> {
        let stmt = crate::sql::parse::parse(sql)?
            .pop()
            .ok_or_else(|| QuiverError::Internal(format!("empty internal query: {sql}")))?;
        if with_row_id {
            self.plan_dml_query(stmt).await
        } else {
            self.plan_query(stmt).await
        }
    }

    /// Evaluates a constant expression (a column default) once, as one value of type `ty`
    /// (NULL when it yields no row).
    pub(crate) async fn eval_constant(
        &self,
        expr: &str,
        ty: &SqlType,
    ) -> Result<arrow::array::ArrayRef> {
        let plan = self.plan_sql(&format!("SELECT {expr}"), false).await?;
        let field = plan.schema().field(0).clone();
        let batches = self.run_plan(plan).await?;
        let value = match batches.iter().find(|b| b.num_rows() > 0) {
            Some(b) => b.column(0).slice(0, 1),
            None => arrow::array::new_null_array(field.data_type(), 1),
        };
        crate::sql::cast::cast_array(&value, &SqlType::of_field(&field), ty)
    }

    /// Optimises and runs a logical plan to completion. Execution is CPU-bound, so it runs on
    /// DataFusion's own tasks; results are collected so that an error surfaces before the
    /// statement completes (and can fail the transaction block).
    pub(crate) async fn run_plan(&self, plan: LogicalPlan) -> Result<Vec<RecordBatch>> {
        self.run_plan_with(&self.state, plan).await
    }

    pub(crate) async fn run_plan_with(
        &self,
        state: &SessionState,
        plan: LogicalPlan,
    ) -> Result<Vec<RecordBatch>> {
        let physical = state.create_physical_plan(&plan).await?;
        Ok(datafusion::physical_plan::collect(physical, self.task_ctx.clone()).await?)
    }

    /// Hands a statement's writes to the transaction (block) or commits them (autocommit).
    pub(crate) fn apply_writes(&mut self, writes: TxnWrites) -> Result<()> {
        match self.status {
            TxnStatus::InBlock => {
                let mut txn = self.txn.lock();
                self.engine
                    .storage
                    .check_unique_in_block(&mut txn, &writes)?;
                txn.merge(writes);
                Ok(())
            }
            TxnStatus::Idle => {
                let mut writes = writes;
                let seqs = std::mem::take(&mut self.txn.lock().sequences);
                writes.sequences.extend(seqs);
                self.engine.storage.commit(writes)
            }
            TxnStatus::Failed => Err(QuiverError::InFailedTransaction),
        }
    }

    pub(crate) fn begin(&mut self) {
        if self.status == TxnStatus::Idle {
            self.status = TxnStatus::InBlock;
            self.settings.lock().begin();
        }
    }

    /// COMMIT (or END). A failed block rolls back, as PostgreSQL does; returns the command tag.
    pub(crate) fn commit(&mut self) -> Result<&'static str> {
        match self.status {
            TxnStatus::Idle => Ok("COMMIT"),
            TxnStatus::Failed => {
                self.rollback();
                Ok("ROLLBACK")
            }
            TxnStatus::InBlock => {
                let writes = std::mem::take(&mut *self.txn.lock());
                self.status = TxnStatus::Idle;
                self.settings.lock().commit();
                self.engine.storage.commit(writes)?;
                Ok("COMMIT")
            }
        }
    }

    pub(crate) fn rollback(&mut self) {
        let mut txn = self.txn.lock();
        let seqs = std::mem::take(&mut txn.sequences);
        *txn = TxnWrites::default();
        // Sequence advances are not transactional; keep them to persist with the next commit.
        txn.sequences = seqs;
        drop(txn);
        if self.status != TxnStatus::Idle {
            self.settings.lock().rollback();
        }
        self.status = TxnStatus::Idle;
    }

    pub(crate) fn in_block(&self) -> bool {
        self.status != TxnStatus::Idle
    }
}

/// Whether every function a plan calls is immutable (so optimising it ahead of execution folds
/// nothing that could change between executions).
fn only_immutable(plan: &LogicalPlan) -> bool {
    use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
    use datafusion::logical_expr::{Expr as DfExpr, Volatility};
    let mut ok = true;
    let _ = plan.apply_with_subqueries(|node| {
        node.apply_expressions(|e| {
            e.apply(|x| {
                if let DfExpr::ScalarFunction(f) = x {
                    if f.func.signature().volatility != Volatility::Immutable {
                        tracing::debug!(function = f.func.name(), "not immutable");
                        ok = false;
                        return Ok(TreeNodeRecursion::Stop);
                    }
                }
                Ok(TreeNodeRecursion::Continue)
            })
        })?;
        Ok(if ok {
            TreeNodeRecursion::Continue
        } else {
            TreeNodeRecursion::Stop
        })
    });
    ok
}

/// The highest `$n` in a statement.
pub fn count_placeholders(stmt: &Statement) -> usize {
    use sqlparser::ast::Visit;
    use std::ops::ControlFlow;
    struct V(usize);
    impl sqlparser::ast::Visitor for V {
        type Break = ();
        fn pre_visit_expr(&mut self, e: &Expr) -> ControlFlow<()> {
            if let Expr::Value(v) = e {
                if let Value::Placeholder(p) = &v.value {
                    if let Some(n) = p.strip_prefix('$').and_then(|n| n.parse::<usize>().ok()) {
                        self.0 = self.0.max(n);
                    }
                }
            }
            ControlFlow::Continue(())
        }
    }
    let mut v = V(0);
    let _ = stmt.visit(&mut v);
    v.0
}

/// `plan` with each untyped `$n` that is cast to one of quiver's types (`$1::vector`, planned as
/// `__quiver_cast($1, 'vector')`) given that type, as PostgreSQL types a parameter by its cast:
/// drivers are then told `vector` in ParameterDescription and send one, and the plan can be
/// cached as a generic plan.
fn type_cast_placeholders(plan: LogicalPlan, client_typed: &[String]) -> LogicalPlan {
    use datafusion::common::tree_node::{Transformed, TreeNode};
    use datafusion::logical_expr::expr::{Placeholder, ScalarFunction};
    use datafusion::logical_expr::Expr as DfExpr;
    let typed = plan.clone().transform_up_with_subqueries(|node| {
        node.map_expressions(|e| {
            e.transform_up(|x| {
                let DfExpr::ScalarFunction(ScalarFunction { func, args }) = &x else {
                    return Ok(Transformed::no(x));
                };
                if func.name() != crate::sql::parse::CAST_FN {
                    return Ok(Transformed::no(x));
                }
                let (
                    Some(DfExpr::Placeholder(Placeholder { id, field: None })),
                    Some(DfExpr::Literal(ScalarValue::Utf8(Some(ty)), _)),
                ) = (args.first(), args.get(1))
                else {
                    return Ok(Transformed::no(x));
                };
                if client_typed.contains(id) {
                    return Ok(Transformed::no(x));
                }
                let Ok(sql_type) = SqlType::parse(ty) else {
                    return Ok(Transformed::no(x));
                };
                let mut args = args.clone();
                args[0] = DfExpr::Placeholder(Placeholder {
                    id: id.clone(),
                    field: Some(Arc::new(sql_type.field(id, true))),
                });
                Ok(Transformed::yes(DfExpr::ScalarFunction(ScalarFunction {
                    func: func.clone(),
                    args,
                })))
            })
        })
    });
    match typed.and_then(|t| {
        if t.transformed {
            t.data.recompute_schema()
        } else {
            Ok(t.data)
        }
    }) {
        Ok(p) => p,
        Err(e) => {
            tracing::debug!(error = %e, "parameter casts left untyped");
            plan
        }
    }
}

/// `plan` with every `$n` replaced by `__quiver_param(n, NULL::type)` reading the session's
/// `slot`; `None` when a placeholder
/// has no known type (such plans bind literals at each execution instead).
fn generic_plan(plan: &LogicalPlan, slot: &ParamSlot) -> Option<LogicalPlan> {
    use datafusion::common::tree_node::{Transformed, TreeNode};
    use datafusion::logical_expr::expr::ScalarFunction;
    use datafusion::logical_expr::{lit, Expr as DfExpr};
    let udf = Arc::new(session_functions::param_udf(slot.clone()));
    let rewritten = plan.clone().transform_up_with_subqueries(|node| {
        node.map_expressions(|e| {
            e.transform_up(|x| {
                let DfExpr::Placeholder(p) = &x else {
                    return Ok(Transformed::no(x));
                };
                let n: Option<i64> = p.id.strip_prefix('$').and_then(|n| n.parse().ok());
                let (Some(n), Some(field)) = (n, p.field.as_ref()) else {
                    return datafusion::common::plan_err!("untyped parameter {}", p.id);
                };
                if field.data_type() == &DataType::Null {
                    return datafusion::common::plan_err!("untyped parameter {}", p.id);
                }
                let null = ScalarValue::try_new_null(field.data_type())?;
                let metadata = (!field.metadata().is_empty()).then(|| {
                    datafusion::common::metadata::FieldMetadata::from(field.metadata().clone())
                });
                Ok(Transformed::yes(DfExpr::ScalarFunction(
                    ScalarFunction::new_udf(
                        udf.clone(),
                        vec![lit(n), DfExpr::Literal(null, metadata)],
                    ),
                )))
            })
        })
    });
    match rewritten {
        Ok(t) => Some(t.data),
        Err(e) => {
            tracing::debug!(error = %e, "no generic plan");
            None
        }
    }
}

/// Whether every operator of a physical plan can run again over refreshed scans: the operators
/// of single-table queries (projection, filter, sort, limit, repartitioning, union) whose
/// execution state `reset_state` renews. Others (joins, aggregates with dynamic filters,
/// in-memory catalog tables captured at planning) are planned per execution.
fn reusable(plan: &Arc<dyn ExecutionPlan>) -> bool {
    use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
    let mut ok = true;
    let _ = plan.apply(|node| {
        // Some operators decorate their name (`SortExec(TopK)`).
        ok &= matches!(
            node.name().split('(').next().unwrap_or_default(),
            "QuiverScanExec"
                | "AnnSearchExec"
                | "ProjectionExec"
                | "FilterExec"
                | "SortExec"
                | "SortPreservingMergeExec"
                | "GlobalLimitExec"
                | "LocalLimitExec"
                | "CoalescePartitionsExec"
                | "CoalesceBatchesExec"
                | "RepartitionExec"
                | "CooperativeExec"
                | "PlaceholderRowExec"
                | "EmptyExec"
                | "UnionExec"
        );
        if !ok {
            tracing::debug!(operator = node.name(), "physical plan not reusable");
        }
        Ok(if ok {
            TreeNodeRecursion::Continue
        } else {
            TreeNodeRecursion::Stop
        })
    });
    ok
}

/// A cached physical plan made ready to run again: scans and ANN searches over fresh snapshots
/// (committed writes since, the session's transaction), every other operator's state renewed.
fn refresh_plan(plan: Arc<dyn ExecutionPlan>) -> Result<Arc<dyn ExecutionPlan>> {
    use datafusion::common::tree_node::{Transformed, TreeNode};
    use datafusion::common::DataFusionError;
    let external = |e: QuiverError| DataFusionError::External(Box::new(e));
    Ok(plan
        .transform_up(|node| {
            if let Some(scan) = node.downcast_ref::<QuiverScanExec>() {
                let fresh: Arc<dyn ExecutionPlan> = Arc::new(scan.refreshed().map_err(external)?);
                return Ok(Transformed::yes(fresh));
            }
            if let Some(ann) = node.downcast_ref::<AnnSearchExec>() {
                let fresh: Arc<dyn ExecutionPlan> = Arc::new(ann.refreshed().map_err(external)?);
                return Ok(Transformed::yes(fresh));
            }
            Ok(Transformed::yes(node.reset_state()?))
        })?
        .data)
}

/// `LIMIT $n` and `OFFSET $n` take bigint, as in PostgreSQL.
fn limit_hints(stmt: &Statement) -> HashMap<usize, SqlType> {
    use sqlparser::ast::{LimitClause, Visit, Visitor};
    use std::ops::ControlFlow;
    struct V(HashMap<usize, SqlType>);
    impl Visitor for V {
        type Break = ();
        fn pre_visit_query(&mut self, q: &sqlparser::ast::Query) -> ControlFlow<()> {
            let mut add = |e: &Expr| {
                if let Expr::Value(v) = e {
                    if let Value::Placeholder(p) = &v.value {
                        if let Some(n) = p.strip_prefix('$').and_then(|n| n.parse().ok()) {
                            self.0.insert(n, SqlType::Int8);
                        }
                    }
                }
            };
            match &q.limit_clause {
                Some(LimitClause::LimitOffset { limit, offset, .. }) => {
                    if let Some(l) = limit {
                        add(l);
                    }
                    if let Some(o) = offset {
                        add(&o.value);
                    }
                }
                Some(LimitClause::OffsetCommaLimit { offset, limit }) => {
                    add(offset);
                    add(limit);
                }
                None => {}
            }
            ControlFlow::Continue(())
        }
    }
    let mut v = V(HashMap::new());
    let _ = stmt.visit(&mut v);
    v.0
}

/// The DataFusion configuration every quiver planner uses: PostgreSQL's dialect and
/// identifier folding, UTC, order-preserving scans.
pub(crate) fn base_config() -> SessionConfig {
    let mut config = SessionConfig::new()
        .with_default_catalog_and_schema("postgres", "public")
        .with_information_schema(true)
        .with_create_default_catalog_and_schema(false)
        .with_target_partitions(
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2),
        );
    config.options_mut().sql_parser.dialect = datafusion::config::Dialect::PostgreSQL;
    config.options_mut().sql_parser.enable_ident_normalization = true;
    config.options_mut().execution.time_zone = Some("+00:00".into());
    // Round-robin repartitioning would shuffle rows of unordered scans.
    config
        .options_mut()
        .optimizer
        .enable_round_robin_repartition = false;

    config
}

fn build_state(
    engine: &Arc<Engine>,
    txn: &SharedTxn,
    settings: &Arc<Mutex<Settings>>,
    session_udfs: &[Arc<ScalarUDF>],
    with_row_id: bool,
    temp_tables: Arc<Mutex<HashMap<String, Arc<dyn datafusion::catalog::TableProvider>>>>,
    params: &ParamSlot,
) -> Result<SessionState> {
    let config = base_config();
    let pg = Arc::new(PgCatalog::new(engine.storage.clone(), settings.clone()));
    let public = Arc::new(
        QuiverSchema::new(engine.storage.clone(), "public", txn.clone(), with_row_id)
            .with_fallback(pg.clone())
            .with_temp_tables(temp_tables),
    );
    let catalog = MemoryCatalogProvider::new();
    catalog.register_schema("public", public)?;
    catalog.register_schema("pg_catalog", pg)?;
    let catalogs = MemoryCatalogProviderList::new();
    catalogs.register_catalog("postgres".into(), Arc::new(catalog));

    let mut builder = SessionStateBuilder::new()
        .with_config(config)
        .with_default_features()
        .with_catalog_list(Arc::new(catalogs))
        .with_optimizer_rule(Arc::new(crate::planner::const_row::InlineConstantRow))
        .with_physical_optimizer_rule(Arc::new(AnnRule::new(settings.clone())));
    let mut all_udfs: Vec<Arc<ScalarUDF>> = engine.udfs.clone();
    all_udfs.extend(session_udfs.iter().cloned());
    let ours: Arc<dyn datafusion::logical_expr::planner::ExprPlanner> =
        Arc::new(VectorOperatorPlanner::new(&all_udfs));
    if let Some(planners) = builder.expr_planners() {
        planners.insert(0, ours);
    }
    let mut state = builder.build();
    for u in all_udfs {
        state.register_udf(u)?;
    }
    state.register_udtf(
        crate::planner::hybrid::HYBRID_SEARCH,
        Arc::new(crate::planner::hybrid::HybridSearchFn::new(
            engine.storage.clone(),
            txn.clone(),
            settings.clone(),
            params.clone(),
        )),
    );
    state.register_udaf(Arc::new(VectorAwareAggregate::avg()))?;
    state.register_udaf(Arc::new(VectorAwareAggregate::sum()))?;
    Ok(state)
}
