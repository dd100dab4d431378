//! INSERT, UPDATE and DELETE. Row selection and new values are planned by DataFusion as SELECTs
//! (over tables that expose `__row_id`); the results become a statement's writes: inserted batches
//! and deleted row ids (an UPDATE is both). RETURNING and ON CONFLICT ... DO UPDATE are evaluated
//! by DataFusion over statement-scoped temporary tables.

use std::collections::{HashMap, HashSet};
use std::ops::ControlFlow;
use std::sync::Arc;

use arrow::array::{new_null_array, Array, ArrayRef, AsArray, RecordBatch, UInt64Array};
use arrow::compute::concat_batches;
use arrow::datatypes::{DataType, Field, FieldRef, Schema, SchemaRef, UInt64Type};
use datafusion::common::{ParamValues, ScalarValue};
use datafusion::datasource::MemTable;
use datafusion::logical_expr::LogicalPlan;
use sqlparser::ast::{
    AssignmentTarget, ConflictTarget, Expr, FromTable, Ident, ObjectName, OnConflictAction,
    OnInsert, SelectItem, SetExpr, Statement, TableFactor, TableObject, UpdateTableFromKind, Value,
    VisitMut, VisitorMut,
};

use crate::error::{QuiverError, Result};
use crate::planner::ddl::{ident, object_name};
use crate::planner::session::{Output, Session};
use crate::sql::cast::cast_array;
use crate::sql::parse::CAST_FN;
use crate::storage::catalog::{TableDef, ROW_ID};
use crate::storage::txn::TxnWrites;
use crate::types::SqlType;

const RETURNING_TABLE: &str = "__quiver_returning";
const EXCLUDED_TABLE: &str = "excluded";
const CONFLICT_ROW: &str = "__quiver_conflict_row";

#[derive(Debug, Clone)]
pub enum ConflictAction {
    Nothing,
    Update {
        assignments: Vec<(usize, Expr)>,
        selection: Option<Expr>,
    },
}

#[derive(Debug, Clone)]
pub struct OnConflictPlan {
    /// Positions in `TableDef::unique_keys` that count as conflicts.
    pub constraints: Vec<usize>,
    pub action: ConflictAction,
}

#[derive(Debug, Clone)]
pub enum DmlKind {
    Insert {
        /// `None` for DEFAULT VALUES.
        source: Option<LogicalPlan>,
        target_cols: Vec<usize>,
        on_conflict: Option<OnConflictPlan>,
    },
    /// A SELECT of `__row_id` followed by every column's new value.
    Update { select: LogicalPlan },
    /// A SELECT of `__row_id` followed by every column (for RETURNING).
    Delete { select: LogicalPlan },
}

#[derive(Debug, Clone)]
pub struct DmlPlan {
    pub kind: DmlKind,
    pub table: Arc<TableDef>,
    /// The name RETURNING and ON CONFLICT expressions use for the target (alias or table name).
    pub alias: String,
    pub returning: Option<Vec<SelectItem>>,
    pub returning_fields: Option<Vec<FieldRef>>,
    /// Parameter types implied by target columns (`VALUES ($1)`, `SET c = $1`).
    pub param_hints: HashMap<usize, SqlType>,
}

impl DmlPlan {
    pub fn parameter_fields(&self) -> Result<HashMap<String, Option<FieldRef>>> {
        Ok(match &self.kind {
            DmlKind::Insert {
                source: Some(p), ..
            } => p.get_parameter_fields()?,
            DmlKind::Insert { source: None, .. } => HashMap::new(),
            DmlKind::Update { select } | DmlKind::Delete { select } => {
                select.get_parameter_fields()?
            }
        })
    }
}

/// The position of a target column named in INSERT's column list or a SET clause.
fn target_column(def: &TableDef, name: &ObjectName) -> Result<usize> {
    let n = name
        .0
        .last()
        .and_then(|p| p.as_ident())
        .map(ident)
        .unwrap_or_else(|| name.to_string());
    def.column_index(&n)
        .ok_or_else(|| QuiverError::UndefinedColumn(format!("{n}\" of relation \"{}", def.name)))
}

fn assignment_column(def: &TableDef, a: &sqlparser::ast::Assignment) -> Result<usize> {
    match &a.target {
        AssignmentTarget::ColumnName(c) => target_column(def, c),
        AssignmentTarget::Tuple(_) => Err(QuiverError::FeatureNotSupported(
            "assignment to a column tuple is not supported".into(),
        )),
    }
}

fn placeholder_index(e: &Expr) -> Option<usize> {
    if let Expr::Value(v) = e {
        if let Value::Placeholder(p) = &v.value {
            return p.strip_prefix('$').and_then(|n| n.parse().ok());
        }
    }
    None
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn cast_call(e: Expr, ty: &SqlType) -> Expr {
    let sql = format!(
        "{CAST_FN}({e}, '{}')",
        ty.display_name().replace('\'', "''")
    );
    crate::sql::parse::parse_expr(&sql).unwrap_or(e)
}

/// Qualifies bare column names with `table`, so that in ON CONFLICT ... DO UPDATE a plain `col`
/// means the existing row's column (as in PostgreSQL), not `excluded.col`.
struct Qualify<'a> {
    table: &'a str,
    columns: &'a HashSet<String>,
}

impl VisitorMut for Qualify<'_> {
    type Break = ();
    fn post_visit_expr(&mut self, e: &mut Expr) -> ControlFlow<()> {
        if let Expr::Identifier(i) = e {
            if self.columns.contains(&ident(i)) {
                *e = Expr::CompoundIdentifier(vec![Ident::with_quote('"', self.table), i.clone()]);
            }
        }
        ControlFlow::Continue(())
    }
}

fn table_alias(tf: &TableFactor) -> Result<(ObjectName, Option<String>)> {
    match tf {
        TableFactor::Table { name, alias, .. } => {
            Ok((name.clone(), alias.as_ref().map(|a| ident(&a.name))))
        }
        other => Err(QuiverError::FeatureNotSupported(format!(
            "cannot modify {other}"
        ))),
    }
}

fn lookup_table(s: &Session, name: &ObjectName) -> Result<Arc<TableDef>> {
    let (schema, table) = object_name(name)?;
    s.engine
        .storage
        .table_def(&schema, &table)
        .ok_or(QuiverError::UndefinedTable(table))
}

/// The SELECT list `"alias".__row_id, <exprs>` as SQL text.
fn select_text(alias: &str, exprs: &[String]) -> String {
    let mut items = vec![format!("{}.{ROW_ID}", quote(alias))];
    items.extend(exprs.iter().cloned());
    items.join(", ")
}

pub async fn prepare(s: &mut Session, stmt: &Statement) -> Result<DmlPlan> {
    match stmt {
        Statement::Insert(ins) => {
            let TableObject::TableName(name) = &ins.table else {
                return Err(QuiverError::FeatureNotSupported(
                    "INSERT INTO TABLE FUNCTION".into(),
                ));
            };
            let def = lookup_table(s, name)?;
            let alias = ins
                .table_alias
                .as_ref()
                .map(|a| ident(&a.alias))
                .unwrap_or_else(|| def.name.clone());
            let target_cols: Vec<usize> = if ins.columns.is_empty() {
                (0..def.columns.len()).collect()
            } else {
                let mut seen = HashSet::new();
                ins.columns
                    .iter()
                    .map(|c| {
                        let i = target_column(&def, c)?;
                        if !seen.insert(i) {
                            return Err(QuiverError::Syntax(format!(
                                "column \"{}\" specified more than once",
                                def.columns[i].name
                            )));
                        }
                        Ok(i)
                    })
                    .collect::<Result<_>>()?
            };
            let mut hints = HashMap::new();
            let source = match &ins.source {
                None => None,
                Some(q) => {
                    let mut q = q.clone();
                    if let SetExpr::Values(values) = q.body.as_mut() {
                        for row in &mut values.rows {
                            if row.len() > target_cols.len() {
                                return Err(QuiverError::Syntax(
                                    "INSERT has more expressions than target columns".into(),
                                ));
                            }
                            for (j, e) in row.iter_mut().enumerate() {
                                let ty = &def.columns[target_cols[j]].ty;
                                if let Some(n) = placeholder_index(e) {
                                    hints.insert(n, ty.clone());
                                    *e = cast_call(e.clone(), ty);
                                }
                            }
                        }
                    }
                    Some(s.plan_query(Statement::Query(q)).await?)
                }
            };
            let on_conflict = match &ins.on {
                Some(OnInsert::OnConflict(oc)) => Some(conflict_plan(&def, oc)?),
                Some(_) => return Err(QuiverError::FeatureNotSupported("ON DUPLICATE KEY".into())),
                None => None,
            };
            if let Some(OnConflictPlan {
                action: ConflictAction::Update { assignments, .. },
                ..
            }) = &on_conflict
            {
                for (c, e) in assignments {
                    if let Some(n) = placeholder_index(e) {
                        hints.insert(n, def.columns[*c].ty.clone());
                    }
                }
            }
            let returning_fields =
                returning_fields(s, &def, &alias, ins.returning.as_ref()).await?;
            Ok(DmlPlan {
                kind: DmlKind::Insert {
                    source,
                    target_cols,
                    on_conflict,
                },
                table: def,
                alias,
                returning: ins.returning.clone(),
                returning_fields,
                param_hints: hints,
            })
        }
        Statement::Update(up) => {
            let (name, alias) = table_alias(&up.table.relation)?;
            let def = lookup_table(s, &name)?;
            let alias = alias.unwrap_or_else(|| def.name.clone());
            let mut new_values: Vec<Option<Expr>> = vec![None; def.columns.len()];
            let mut hints = HashMap::new();
            for a in &up.assignments {
                let i = assignment_column(&def, a)?;
                if def.columns[i].generated.is_some() {
                    return Err(generated_column_error(&def, i, true));
                }
                let mut v = a.value.clone();
                if let Some(p) = placeholder_index(&v) {
                    hints.insert(p, def.columns[i].ty.clone());
                    v = cast_call(v, &def.columns[i].ty);
                }
                new_values[i] = Some(v);
            }
            let exprs: Vec<String> = def
                .columns
                .iter()
                .zip(&new_values)
                .map(|(c, v)| match v {
                    Some(e) => format!("({e}) AS {}", quote(&c.name)),
                    None => format!("{}.{}", quote(&alias), quote(&c.name)),
                })
                .collect();
            let mut from = format!("{} AS {}", up.table.relation_name_sql(), quote(&alias));
            if let Some(f) = &up.from {
                let tables = match f {
                    UpdateTableFromKind::BeforeSet(t) | UpdateTableFromKind::AfterSet(t) => t,
                };
                for t in tables {
                    from.push_str(&format!(", {t}"));
                }
            }
            let mut sql = format!("SELECT {} FROM {from}", select_text(&alias, &exprs));
            if let Some(w) = &up.selection {
                sql.push_str(&format!(" WHERE {w}"));
            }
            let select = s.plan_sql(&sql, true).await?;
            let returning_fields = returning_fields(s, &def, &alias, up.returning.as_ref()).await?;
            Ok(DmlPlan {
                kind: DmlKind::Update { select },
                table: def,
                alias,
                returning: up.returning.clone(),
                returning_fields,
                param_hints: hints,
            })
        }
        Statement::Delete(del) => {
            let tables = match &del.from {
                FromTable::WithFromKeyword(t) | FromTable::WithoutKeyword(t) => t,
            };
            let [twj] = tables.as_slice() else {
                return Err(QuiverError::FeatureNotSupported(
                    "DELETE from several tables".into(),
                ));
            };
            let (name, alias) = table_alias(&twj.relation)?;
            let def = lookup_table(s, &name)?;
            let alias = alias.unwrap_or_else(|| def.name.clone());
            let exprs: Vec<String> = def
                .columns
                .iter()
                .map(|c| format!("{}.{}", quote(&alias), quote(&c.name)))
                .collect();
            let mut from = format!("{name} AS {}", quote(&alias));
            if let Some(using) = &del.using {
                for t in using {
                    from.push_str(&format!(", {t}"));
                }
            }
            let mut sql = format!("SELECT {} FROM {from}", select_text(&alias, &exprs));
            if let Some(w) = &del.selection {
                sql.push_str(&format!(" WHERE {w}"));
            }
            let select = s.plan_sql(&sql, true).await?;
            let returning_fields =
                returning_fields(s, &def, &alias, del.returning.as_ref()).await?;
            Ok(DmlPlan {
                kind: DmlKind::Delete { select },
                table: def,
                alias,
                returning: del.returning.clone(),
                returning_fields,
                param_hints: HashMap::new(),
            })
        }
        _ => Err(QuiverError::Internal("not a DML statement".into())),
    }
}

trait RelationSql {
    fn relation_name_sql(&self) -> String;
}

impl RelationSql for sqlparser::ast::TableWithJoins {
    fn relation_name_sql(&self) -> String {
        match &self.relation {
            TableFactor::Table { name, .. } => name.to_string(),
            other => other.to_string(),
        }
    }
}

fn conflict_plan(def: &TableDef, oc: &sqlparser::ast::OnConflict) -> Result<OnConflictPlan> {
    let unique_keys = def.unique_keys();
    let constraints: Vec<usize> = match &oc.conflict_target {
        None => (0..unique_keys.len()).collect(),
        Some(ConflictTarget::Columns(cols)) => {
            let mut want: Vec<usize> = cols
                .iter()
                .map(|c| {
                    def.column_index(&ident(c))
                        .ok_or_else(|| QuiverError::UndefinedColumn(ident(c)))
                })
                .collect::<Result<_>>()?;
            want.sort();
            let found = unique_keys.iter().position(|c| {
                let mut have = c.columns.clone();
                have.sort();
                have == want
            });
            match found {
                Some(i) => vec![i],
                None => {
                    return Err(QuiverError::InvalidColumnReference(
                        "there is no unique or exclusion constraint matching the ON CONFLICT specification".into(),
                    ))
                }
            }
        }
        Some(ConflictTarget::OnConstraint(name)) => {
            let n = name.to_string();
            match def.constraints.iter().position(|c| c.name == n) {
                Some(i) => vec![i],
                None => {
                    return Err(QuiverError::UndefinedObject(format!(
                        "constraint \"{n}\" for table \"{}\" does not exist",
                        def.name
                    )))
                }
            }
        }
    };
    let action = match &oc.action {
        OnConflictAction::DoNothing => ConflictAction::Nothing,
        OnConflictAction::DoUpdate(du) => {
            if oc.conflict_target.is_none() {
                return Err(QuiverError::Syntax(
                    "ON CONFLICT DO UPDATE requires inference specification or constraint name"
                        .into(),
                ));
            }
            let names: HashSet<String> = def.columns.iter().map(|c| c.name.clone()).collect();
            let mut assignments = Vec::new();
            for a in &du.assignments {
                let i = assignment_column(&def, a)?;
                let mut v = a.value.clone();
                let _ = v.visit(&mut Qualify {
                    table: &def.name,
                    columns: &names,
                });
                assignments.push((i, v));
            }
            let selection = du.selection.clone().map(|mut w| {
                let _ = w.visit(&mut Qualify {
                    table: &def.name,
                    columns: &names,
                });
                w
            });
            ConflictAction::Update {
                assignments,
                selection,
            }
        }
    };
    Ok(OnConflictPlan {
        constraints,
        action,
    })
}

async fn returning_fields(
    s: &Session,
    def: &TableDef,
    alias: &str,
    items: Option<&Vec<SelectItem>>,
) -> Result<Option<Vec<FieldRef>>> {
    let Some(items) = items else { return Ok(None) };
    let schema = def.arrow_schema();
    let plan = returning_plan(
        s,
        alias,
        items,
        vec![RecordBatch::new_empty(schema.clone())],
        schema,
    )
    .await?;
    Ok(Some(plan.schema().fields().iter().cloned().collect()))
}

async fn returning_plan(
    s: &Session,
    alias: &str,
    items: &[SelectItem],
    rows: Vec<RecordBatch>,
    schema: SchemaRef,
) -> Result<LogicalPlan> {
    let table = MemTable::try_new(schema, vec![rows])?;
    s.temp_tables
        .lock()
        .insert(RETURNING_TABLE.into(), Arc::new(table));
    let list: Vec<String> = items.iter().map(|i| i.to_string()).collect();
    let sql = format!(
        "SELECT {} FROM {RETURNING_TABLE} AS {}",
        list.join(", "),
        quote(alias)
    );
    let plan = s.plan_sql(&sql, false).await;
    s.temp_tables.lock().remove(RETURNING_TABLE);
    plan
}

/// PostgreSQL allows only assignment casts into a column: booleans do not become numbers or the
/// other way round (42804).
fn check_assignment(def: &TableDef, col: usize, from: &SqlType) -> Result<()> {
    let to = &def.columns[col].ty;
    let numeric = |t: &SqlType| {
        matches!(
            t,
            SqlType::Int2
                | SqlType::Int4
                | SqlType::Int8
                | SqlType::Float4
                | SqlType::Float8
                | SqlType::Numeric { .. }
        )
    };
    if (matches!(from, SqlType::Bool) && numeric(to))
        || (numeric(from) && matches!(to, SqlType::Bool))
    {
        return Err(QuiverError::DatatypeMismatch(format!(
            "column \"{}\" is of type {} but expression is of type {}",
            def.columns[col].name,
            to.display_name(),
            from.display_name()
        )));
    }
    Ok(())
}

/// Casts each column to its table type and checks NOT NULL; appends fresh row ids.
/// Computes the generated columns (`GENERATED ALWAYS AS (expr)`) of `n` rows whose user columns
/// are `cols`, in place: each expression over the row's other columns, cast to the column's type.
pub(crate) fn compute_generated(
    s: &Session,
    def: &TableDef,
    cols: &mut [ArrayRef],
    n: usize,
) -> Result<()> {
    if def.columns.iter().all(|c| c.generated.is_none()) {
        return Ok(());
    }
    let schema = def.arrow_schema();
    let batch = RecordBatch::try_new_with_options(
        schema.clone(),
        cols.to_vec(),
        &arrow::array::RecordBatchOptions::new().with_row_count(Some(n)),
    )?;
    let df_schema = datafusion::common::DFSchema::try_from(schema.as_ref().clone())?;
    for (j, c) in def.columns.iter().enumerate() {
        let Some(sql) = &c.generated else { continue };
        let expr = s.state.create_logical_expr(sql, &df_schema)?;
        let phys = s.state.create_physical_expr(expr, &df_schema)?;
        let field = phys.return_field(&schema)?;
        let v = phys.evaluate(&batch)?.into_array(n)?;
        cols[j] = cast_array(&v, &SqlType::of_field(&field), &c.ty)?;
    }
    Ok(())
}

/// 428C9: a value given for a generated column.
pub(crate) fn generated_column_error(def: &TableDef, col: usize, update: bool) -> QuiverError {
    let name = &def.columns[col].name;
    QuiverError::GeneratedAlways(if update {
        format!("column \"{name}\" can only be updated to DEFAULT")
    } else {
        format!("cannot insert a non-DEFAULT value into column \"{name}\"")
    })
}

pub(crate) fn finish_rows(
    s: &Session,
    def: &TableDef,
    cols: Vec<ArrayRef>,
    n: usize,
) -> Result<RecordBatch> {
    let mut cols = cols;
    compute_generated(s, def, &mut cols, n)?;
    for (c, a) in def.columns.iter().zip(&cols) {
        if !c.nullable && a.null_count() > 0 {
            return Err(QuiverError::NotNullViolation {
                table: def.name.clone(),
                column: c.name.clone(),
            });
        }
    }
    let first = s.engine.storage.alloc_row_ids(n);
    let mut all = cols;
    all.push(Arc::new(UInt64Array::from_iter_values(
        first..first + n as u64,
    )));
    Ok(RecordBatch::try_new(def.storage_schema(), all)?)
}

/// The value of a column default for `n` new rows.
pub(crate) async fn default_values(
    s: &Session,
    def: &TableDef,
    col: usize,
    n: usize,
) -> Result<ArrayRef> {
    default_values_tracked(s, def, col, n, &mut Vec::new()).await
}

/// Sequence values a statement drew: (sequence, first value, count).
type SequenceUse = Vec<(String, i64, usize)>;

async fn default_values_tracked(
    s: &Session,
    def: &TableDef,
    col: usize,
    n: usize,
    used: &mut SequenceUse,
) -> Result<ArrayRef> {
    let c = &def.columns[col];
    let target = c.ty.arrow_type();
    let Some(text) = &c.default else {
        return Ok(new_null_array(&target, n));
    };
    if let Some(rest) = text.strip_prefix("nextval('") {
        let name = rest.split('\'').next().unwrap_or_default().to_string();
        let mut vals = Vec::with_capacity(n);
        for _ in 0..n {
            vals.push(s.engine.storage.nextval(&name)?);
        }
        s.txn.lock().sequences.insert(name.clone());
        if let Some(first) = vals.first() {
            used.push((name, *first, n));
        }
        let a: ArrayRef = Arc::new(arrow::array::Int64Array::from(vals));
        return cast_array(&a, &SqlType::Int8, &c.ty);
    }
    let one = s.eval_constant(text, &c.ty).await?;
    Ok(ScalarValue::try_from_array(&one, 0)?.to_array_of_size(n)?)
}

fn concat(schema: &SchemaRef, batches: &[RecordBatch]) -> Result<RecordBatch> {
    Ok(concat_batches(schema, batches)?)
}

pub async fn execute(
    s: &mut Session,
    plan: &DmlPlan,
    params: &ParamValues,
) -> Result<(TxnWrites, Output)> {
    let with_params = |p: &LogicalPlan| -> Result<LogicalPlan> {
        let has = !p.get_parameter_fields()?.is_empty();
        Ok(if has {
            p.clone().with_param_values(params.clone())?
        } else {
            p.clone()
        })
    };
    let def = plan.table.clone();
    let mut writes = TxnWrites::default();
    let user_schema = def.arrow_schema();
    let (affected_rows, tag): (Vec<RecordBatch>, String) = match &plan.kind {
        DmlKind::Insert {
            source,
            target_cols,
            on_conflict,
        } => {
            let (src, src_fields, n) = match source {
                Some(p) => {
                    let p = with_params(p)?;
                    let fields: Vec<FieldRef> = p.schema().fields().iter().cloned().collect();
                    let batches = s.run_plan(p.clone()).await?;
                    let schema = Arc::new(Schema::new(
                        fields
                            .iter()
                            .map(|f| f.as_ref().clone().with_nullable(true))
                            .collect::<Vec<_>>(),
                    ));
                    let batches: Vec<RecordBatch> = batches
                        .into_iter()
                        .map(|b| RecordBatch::try_new(schema.clone(), b.columns().to_vec()))
                        .collect::<std::result::Result<_, _>>()?;
                    let one = concat(&schema, &batches)?;
                    let n = one.num_rows();
                    (Some(one), fields, n)
                }
                None => (None, vec![], 1),
            };
            if src_fields.len() > target_cols.len() {
                return Err(QuiverError::Syntax(
                    "INSERT has more expressions than target columns".into(),
                ));
            }
            // Provided values first: a bad value must fail before defaults advance sequences.
            let mut given: Vec<Option<ArrayRef>> = vec![None; def.columns.len()];
            for (j, c) in def.columns.iter().enumerate() {
                let pos = target_cols
                    .iter()
                    .position(|t| *t == j)
                    .filter(|p| *p < src_fields.len());
                if let (Some(p), Some(b)) = (pos, &src) {
                    if c.generated.is_some() {
                        return Err(generated_column_error(&def, j, false));
                    }
                    let from = SqlType::of_field(&src_fields[p]);
                    check_assignment(&def, j, &from)?;
                    given[j] = Some(cast_array(b.column(p), &from, &c.ty)?);
                }
            }
            let mut cols: Vec<ArrayRef> = Vec::with_capacity(def.columns.len());
            let mut used = SequenceUse::new();
            for (j, g) in given.into_iter().enumerate() {
                cols.push(match g {
                    Some(a) => a,
                    None => default_values_tracked(s, &def, j, n, &mut used).await?,
                });
            }
            let batch = finish_rows(s, &def, cols, n)?;
            let unique_keys = def.unique_keys().len();
            if on_conflict.is_none() && !used.is_empty() && unique_keys > 0 {
                // PostgreSQL inserts row by row and stops at the first duplicate, so the rows
                // after it never draw their sequence values. Give those back, unless another
                // session drew values since.
                let all: Vec<usize> = (0..unique_keys).collect();
                let (hits, dups) = find_conflicts(s, &def, &all, &batch)?;
                if let Some(k) = (0..n).find(|i| hits[*i].is_some() || dups[*i]) {
                    for (name, first, count) in &used {
                        s.engine.storage.rewind_sequence(
                            name,
                            first + *count as i64 - 1,
                            first + k as i64,
                        );
                    }
                }
            }
            let (inserted, updated) = match on_conflict {
                None => (batch, None),
                Some(oc) => resolve_conflicts(s, &def, oc, batch, params, &mut writes).await?,
            };
            let count = inserted.num_rows() + updated.as_ref().map_or(0, |u| u.num_rows());
            let mut affected = vec![inserted.clone()];
            affected.extend(updated);
            if inserted.num_rows() > 0 {
                writes.table(def.id).inserts.push(inserted);
            }
            (affected, format!("INSERT 0 {count}"))
        }
        DmlKind::Update { select } => {
            let rows = s.run_plan_with(&s.dml_state, with_params(select)?).await?;
            let mut seen = HashSet::new();
            let mut out = Vec::new();
            for b in rows {
                let ids = b.column(0).as_primitive::<UInt64Type>().clone();
                let keep: arrow::array::BooleanArray = ids
                    .values()
                    .iter()
                    .map(|id| Some(seen.insert(*id)))
                    .collect();
                let b = arrow::compute::filter_record_batch(&b, &keep)?;
                if b.num_rows() == 0 {
                    continue;
                }
                let ids = b.column(0).as_primitive::<UInt64Type>();
                writes
                    .table(def.id)
                    .deletes
                    .extend(ids.values().iter().copied());
                let fields = b.schema();
                let mut cols = Vec::with_capacity(def.columns.len());
                for (j, c) in def.columns.iter().enumerate() {
                    let from = SqlType::of_field(fields.field(j + 1));
                    check_assignment(&def, j, &from)?;
                    cols.push(cast_array(b.column(j + 1), &from, &c.ty)?);
                }
                let nb = finish_rows(s, &def, cols, b.num_rows())?;
                writes.table(def.id).inserts.push(nb.clone());
                out.push(nb);
            }
            let count: usize = out.iter().map(|b| b.num_rows()).sum();
            (out, format!("UPDATE {count}"))
        }
        DmlKind::Delete { select } => {
            let rows = s.run_plan_with(&s.dml_state, with_params(select)?).await?;
            let mut seen = HashSet::new();
            let mut out = Vec::new();
            for b in rows {
                let ids = b.column(0).as_primitive::<UInt64Type>().clone();
                let keep: arrow::array::BooleanArray = ids
                    .values()
                    .iter()
                    .map(|id| Some(seen.insert(*id)))
                    .collect();
                let b = arrow::compute::filter_record_batch(&b, &keep)?;
                let ids = b.column(0).as_primitive::<UInt64Type>();
                writes
                    .table(def.id)
                    .deletes
                    .extend(ids.values().iter().copied());
                let mut cols: Vec<ArrayRef> = b.columns()[1..].to_vec();
                cols.push(b.column(0).clone());
                out.push(RecordBatch::try_new(def.storage_schema(), cols)?);
            }
            let count: usize = out.iter().map(|b| b.num_rows()).sum();
            (out, format!("DELETE {count}"))
        }
    };
    let output = match &plan.returning {
        None => Output::Command(tag),
        Some(items) => {
            let rows: Vec<RecordBatch> = affected_rows
                .iter()
                .map(|b| {
                    let cols = b.columns()[..def.columns.len()].to_vec();
                    RecordBatch::try_new(user_schema.clone(), cols)
                })
                .collect::<std::result::Result<_, _>>()?;
            let p = returning_plan(s, &plan.alias, items, rows, user_schema.clone()).await?;
            let p = with_params(&p)?;
            let fields: Vec<FieldRef> = p.schema().fields().iter().cloned().collect();
            let batches = s.run_plan(p).await?;
            Output::Rows {
                fields,
                batches,
                tag,
            }
        }
    };
    Ok((writes, output))
}

/// For each candidate row: the live row (committed, or this transaction's) it collides with under
/// any of `constraints`, and whether it repeats a key of an earlier row of the same statement.
fn find_conflicts(
    s: &Session,
    def: &Arc<TableDef>,
    constraints: &[usize],
    batch: &RecordBatch,
) -> Result<(Vec<Option<u64>>, Vec<bool>)> {
    let storage = s.engine.storage.clone();
    let n = batch.num_rows();
    let mut conflict: Vec<Option<u64>> = vec![None; n];
    let mut dup_in_statement: Vec<bool> = vec![false; n];
    let unique_keys = def.unique_keys();
    let mut txn = s.txn.lock();
    let mine = txn.table(def.id);
    mine.own_keys.refresh(def, &unique_keys, &mine.inserts)?;
    for ci in constraints {
        let c = &unique_keys[*ci];
        let keys = crate::storage::unique::encode_key(def, c, batch)?;
        let committed: Vec<Option<u64>> = storage.with_unique(def.id, |_, idx| {
            let u = idx
                .iter()
                .find(|u| u.constraint.name == c.name)
                .ok_or_else(|| QuiverError::Internal("constraint index".into()))?;
            Ok(keys
                .iter()
                .map(|k| k.as_ref().and_then(|k| u.lookup(k)))
                .collect())
        })?;
        let mut seen: HashMap<Vec<u8>, usize> = HashMap::new();
        for (i, k) in keys.iter().enumerate() {
            let Some(k) = k else { continue };
            if seen.insert(k.clone(), i).is_some() {
                dup_in_statement[i] = true;
            }
            if conflict[i].is_some() {
                continue;
            }
            conflict[i] = mine
                .own_keys
                .lookup(*ci, k)
                .filter(|r| !mine.deletes.contains(r))
                .or_else(|| committed[i].filter(|r| !mine.deletes.contains(r)));
        }
    }
    Ok((conflict, dup_in_statement))
}

/// Applies ON CONFLICT to candidate rows: returns the rows to insert and the updated rows (whose
/// old versions it adds to `writes` as deletes).
async fn resolve_conflicts(
    s: &Session,
    def: &Arc<TableDef>,
    oc: &OnConflictPlan,
    batch: RecordBatch,
    params: &ParamValues,
    writes: &mut TxnWrites,
) -> Result<(RecordBatch, Option<RecordBatch>)> {
    let n = batch.num_rows();
    let (conflict, dup_in_statement) = find_conflicts(s, def, &oc.constraints, &batch)?;
    match &oc.action {
        ConflictAction::Nothing => {
            let keep: arrow::array::BooleanArray = (0..n)
                .map(|i| Some(conflict[i].is_none() && !dup_in_statement[i]))
                .collect();
            Ok((arrow::compute::filter_record_batch(&batch, &keep)?, None))
        }
        ConflictAction::Update {
            assignments,
            selection,
        } => {
            if dup_in_statement.iter().any(|d| *d) {
                return Err(QuiverError::CardinalityViolation(
                    "ON CONFLICT DO UPDATE command cannot affect row a second time".into(),
                ));
            }
            let keep: arrow::array::BooleanArray =
                (0..n).map(|i| Some(conflict[i].is_none())).collect();
            let to_insert = arrow::compute::filter_record_batch(&batch, &keep)?;
            let hits: Vec<usize> = (0..n).filter(|i| conflict[*i].is_some()).collect();
            if hits.is_empty() {
                return Ok((to_insert, None));
            }
            // `excluded`: the proposed rows that conflicted, tagged with the row they hit.
            let idx =
                arrow::array::UInt32Array::from(hits.iter().map(|i| *i as u32).collect::<Vec<_>>());
            let mut cols: Vec<ArrayRef> = batch.columns()[..def.columns.len()]
                .iter()
                .map(|c| arrow::compute::take(c, &idx, None))
                .collect::<std::result::Result<_, _>>()?;
            cols.push(Arc::new(UInt64Array::from(
                hits.iter()
                    .map(|i| conflict[*i].expect("hit"))
                    .collect::<Vec<_>>(),
            )));
            let mut fields: Vec<Field> = def
                .columns
                .iter()
                .map(|c| c.ty.field(&c.name, true))
                .collect();
            fields.push(Field::new(CONFLICT_ROW, DataType::UInt64, false));
            let schema = Arc::new(Schema::new(fields));
            let excluded = RecordBatch::try_new(schema.clone(), cols)?;
            s.temp_tables.lock().insert(
                EXCLUDED_TABLE.into(),
                Arc::new(MemTable::try_new(schema, vec![vec![excluded]])?),
            );
            let t = quote(&def.name);
            let exprs: Vec<String> = def
                .columns
                .iter()
                .enumerate()
                .map(|(j, c)| match assignments.iter().find(|(k, _)| *k == j) {
                    Some((_, e)) => format!("({e}) AS {}", quote(&c.name)),
                    None => format!("{t}.{}", quote(&c.name)),
                })
                .collect();
            let mut sql = format!(
                "SELECT {} FROM {t} JOIN {EXCLUDED_TABLE} ON {t}.{ROW_ID} = {EXCLUDED_TABLE}.{CONFLICT_ROW}",
                select_text(&def.name, &exprs)
            );
            if let Some(w) = selection {
                sql.push_str(&format!(" WHERE {w}"));
            }
            let result = async {
                let p = s.plan_sql(&sql, true).await?;
                let p = if p.get_parameter_fields()?.is_empty() {
                    p
                } else {
                    p.with_param_values(params.clone())?
                };
                s.run_plan_with(&s.dml_state, p).await
            }
            .await;
            s.temp_tables.lock().remove(EXCLUDED_TABLE);
            let rows = result?;
            let mut updated = Vec::new();
            for b in rows {
                if b.num_rows() == 0 {
                    continue;
                }
                let ids = row_ids_first(&b)?;
                writes.table(def.id).deletes.extend(ids);
                let f = b.schema();
                let mut cols = Vec::with_capacity(def.columns.len());
                for (j, c) in def.columns.iter().enumerate() {
                    cols.push(cast_array(
                        b.column(j + 1),
                        &SqlType::of_field(f.field(j + 1)),
                        &c.ty,
                    )?);
                }
                let nb = finish_rows(s, def, cols, b.num_rows())?;
                writes.table(def.id).inserts.push(nb.clone());
                updated.push(nb);
            }
            let updated = if updated.is_empty() {
                None
            } else {
                Some(concat(&def.storage_schema(), &updated)?)
            };
            Ok((to_insert, updated))
        }
    }
}

fn row_ids_first(b: &RecordBatch) -> Result<Vec<u64>> {
    Ok(b.column(0).as_primitive::<UInt64Type>().values().to_vec())
}
