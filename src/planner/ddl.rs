//! DDL: CREATE/DROP/ALTER/TRUNCATE TABLE, CREATE/DROP EXTENSION, CREATE/DROP INDEX. DDL commits
//! at once (it is not part of an enclosing transaction block's rollback).

use sqlparser::ast::{
    AlterTableOperation, ColumnOption, ObjectName, ObjectType, Statement, TableConstraint,
};

use crate::error::{QuiverError, Result};
use crate::index::BuildParams;
use crate::planner::session::{Output, Session};
use crate::storage::catalog::{
    ColumnDef, ExtensionDef, IndexDef, SequenceDef, TableDef, UniqueConstraint,
};
use crate::storage::vindex::{vector_spec, BuildProgress, IndexStore, VectorIndexSpec};
use crate::types::SqlType;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// pgvector's version as `pg_extension` reports it.
pub const VECTOR_EXTENSION_VERSION: &str = "0.8.1";

/// Unquoted identifiers fold to lower case, as in PostgreSQL.
pub fn ident(i: &sqlparser::ast::Ident) -> String {
    if i.quote_style.is_some() {
        i.value.clone()
    } else {
        i.value.to_ascii_lowercase()
    }
}

/// (schema, name) of a possibly qualified object name.
pub fn object_name(n: &ObjectName) -> Result<(String, String)> {
    let parts: Vec<String> =
        n.0.iter()
            .map(|p| p.as_ident().map(ident).unwrap_or_else(|| p.to_string()))
            .collect();
    match parts.as_slice() {
        [t] => Ok(("public".into(), t.clone())),
        [s, t] => Ok((s.clone(), t.clone())),
        [_db, s, t] => Ok((s.clone(), t.clone())),
        _ => Err(QuiverError::Syntax(format!("improper qualified name: {n}"))),
    }
}

fn check_schema(schema: &str) -> Result<()> {
    if schema != "public" {
        return Err(QuiverError::UndefinedObject(format!(
            "schema \"{schema}\" does not exist"
        )));
    }
    Ok(())
}

pub async fn execute(s: &mut Session, stmt: &Statement) -> Result<Output> {
    let storage = s.engine.storage.clone();
    match stmt {
        Statement::CreateTable(ct) => {
            if ct.query.is_some() {
                return Err(QuiverError::FeatureNotSupported(
                    "CREATE TABLE AS is not supported".into(),
                ));
            }
            let (schema, name) = object_name(&ct.name)?;
            check_schema(&schema)?;
            if storage.table_id(&schema, &name).is_some() {
                if ct.if_not_exists {
                    return Ok(Output::Command("CREATE TABLE".into()));
                }
                return Err(QuiverError::DuplicateTable(name));
            }
            let (def, seqs) = table_def(&schema, &name, ct)?;
            check_generated(s, &def)?;
            match storage.create_table(def, seqs) {
                Ok(_) => Ok(Output::Command("CREATE TABLE".into())),
                Err(QuiverError::DuplicateTable(_)) if ct.if_not_exists => {
                    Ok(Output::Command("CREATE TABLE".into()))
                }
                Err(e) => Err(e),
            }
        }
        Statement::Drop {
            object_type,
            if_exists,
            names,
            ..
        } => match object_type {
            ObjectType::Table => {
                let mut ids = Vec::new();
                for n in names {
                    let (schema, name) = object_name(n)?;
                    match storage.table_id(&schema, &name) {
                        Some(id) => ids.push(id),
                        None if *if_exists => {}
                        None => return Err(QuiverError::UndefinedTableToDrop(name)),
                    }
                }
                for id in ids {
                    s.txn.lock().forget_table(id);
                    storage.drop_table(id)?;
                }
                Ok(Output::Command("DROP TABLE".into()))
            }
            ObjectType::Index => {
                for n in names {
                    let (_, name) = object_name(n)?;
                    match storage.find_index("public", &name) {
                        Some((table_id, _)) => storage.drop_index(table_id, &name)?,
                        None if *if_exists => {}
                        None => {
                            return Err(QuiverError::UndefinedObject(format!(
                                "index \"{name}\" does not exist"
                            )))
                        }
                    }
                }
                Ok(Output::Command("DROP INDEX".into()))
            }
            other => Err(QuiverError::FeatureNotSupported(format!(
                "DROP {other} is not supported"
            ))),
        },
        Statement::Truncate(t) => {
            let mut ids = Vec::new();
            for target in &t.table_names {
                let (schema, name) = object_name(&target.name)?;
                match storage.table_id(&schema, &name) {
                    Some(id) => ids.push(id),
                    None if t.if_exists => {}
                    None => return Err(QuiverError::UndefinedTable(name)),
                }
            }
            for id in ids {
                s.txn.lock().forget_table(id);
                storage.truncate_table(id)?;
            }
            Ok(Output::Command("TRUNCATE TABLE".into()))
        }
        Statement::AlterTable(at) => {
            let (schema, name) = object_name(&at.name)?;
            let Some(def) = storage.table_def(&schema, &name) else {
                if at.if_exists {
                    return Ok(Output::Command("ALTER TABLE".into()));
                }
                return Err(QuiverError::UndefinedTable(name));
            };
            let mut def = (*def).clone();
            let before_columns = def.columns.len();
            for op in &at.operations {
                match op {
                    AlterTableOperation::AddColumn {
                        if_not_exists,
                        column_def,
                        ..
                    } => {
                        let cname = ident(&column_def.name);
                        if def.column_index(&cname).is_some() {
                            if *if_not_exists {
                                continue;
                            }
                            return Err(QuiverError::DuplicateColumn {
                                table: name.clone(),
                                column: cname,
                            });
                        }
                        let (col, seq, unique) = column_def_of(&name, column_def)?;
                        if seq.is_some() || unique.is_some() {
                            return Err(QuiverError::FeatureNotSupported(
                                "ALTER TABLE ADD COLUMN with serial, PRIMARY KEY or UNIQUE is not supported".into(),
                            ));
                        }
                        let mut col = col;
                        if let Some(d) = &col.default {
                            // Existing rows take the default's value, evaluated once now.
                            col.missing = default_text(s, d, &col.ty).await?;
                        }
                        if !col.nullable && col.missing.is_none() {
                            let nonempty = storage
                                .snapshot(def.id)
                                .map(|sn| !sn.growing.is_empty() || !sn.sealed.is_empty())
                                .unwrap_or(false);
                            if nonempty {
                                return Err(QuiverError::NotNullViolation {
                                    table: name.clone(),
                                    column: col.name.clone(),
                                });
                            }
                        }
                        def.columns.push(col);
                    }
                    other => {
                        return Err(QuiverError::FeatureNotSupported(format!(
                            "ALTER TABLE {other} is not supported"
                        )))
                    }
                }
            }
            check_generated(s, &def)?;
            let added_generated = def.columns.len() > before_columns
                && def.columns[before_columns..]
                    .iter()
                    .any(|c| c.generated.is_some());
            let id = def.id;
            storage.alter_table(def)?;
            if added_generated {
                compute_generated_for_stored_rows(s, id)?;
            }
            Ok(Output::Command("ALTER TABLE".into()))
        }
        Statement::CreateExtension(ce) => {
            let name = ident(&ce.name);
            match name.as_str() {
                "vector" | "plpgsql" => {}
                other => {
                    return Err(QuiverError::FeatureNotSupported(format!(
                        "extension \"{other}\" is not available"
                    )))
                }
            }
            let created = storage.create_extension(ExtensionDef {
                name: name.clone(),
                version: VECTOR_EXTENSION_VERSION.into(),
            })?;
            if !created && !ce.if_not_exists {
                return Err(QuiverError::DuplicateObject(format!(
                    "extension \"{name}\" already exists"
                )));
            }
            Ok(Output::Command("CREATE EXTENSION".into()))
        }
        Statement::DropExtension(de) => {
            for n in &de.names {
                let name = ident(n);
                if !storage.drop_extension(&name)? && !de.if_exists {
                    return Err(QuiverError::UndefinedObject(format!(
                        "extension \"{name}\" does not exist"
                    )));
                }
            }
            Ok(Output::Command("DROP EXTENSION".into()))
        }
        Statement::CreateIndex(ci) => create_index(s, ci).await,
        Statement::CreateSchema {
            if_not_exists,
            schema_name,
            ..
        } => {
            let n = schema_name.to_string().to_ascii_lowercase();
            if n == "public" && *if_not_exists {
                return Ok(Output::Command("CREATE SCHEMA".into()));
            }
            Err(QuiverError::FeatureNotSupported(
                "CREATE SCHEMA is not supported".into(),
            ))
        }
        other => Err(QuiverError::FeatureNotSupported(format!(
            "statement not supported: {other}"
        ))),
    }
}

/// The text of a default's value, evaluated once (ALTER TABLE ADD COLUMN ... DEFAULT).
async fn default_text(s: &Session, default: &str, ty: &SqlType) -> Result<Option<String>> {
    if default.starts_with("nextval(") {
        return Err(QuiverError::FeatureNotSupported(
            "ALTER TABLE ADD COLUMN with a sequence default on existing rows is not supported"
                .into(),
        ));
    }
    let v = s.eval_constant(default, ty).await?;
    let v = crate::sql::format::normalize(&v, ty)?;
    crate::sql::format::text_value(v.as_ref(), ty, 0)
}

fn is_serial(dt: &sqlparser::ast::DataType) -> bool {
    let t = dt.to_string().to_ascii_lowercase();
    matches!(
        t.as_str(),
        "serial" | "bigserial" | "smallserial" | "serial2" | "serial4" | "serial8"
    )
}

/// Compiles the table's generation expressions (unknown columns, functions and types fail here,
/// not at the first insert).
fn check_generated(s: &Session, def: &TableDef) -> Result<()> {
    let mut empty: Vec<arrow::array::ArrayRef> = def
        .arrow_schema()
        .fields()
        .iter()
        .map(|f| arrow::array::new_empty_array(f.data_type()))
        .collect();
    crate::planner::dml::compute_generated(s, def, &mut empty, 0)
}

/// After ALTER TABLE ADD COLUMN ... GENERATED: every stored row rewritten with the new column
/// computed (PostgreSQL rewrites the table too).
fn compute_generated_for_stored_rows(s: &Session, table_id: u64) -> Result<()> {
    let storage = s.engine.storage.clone();
    let Some(snapshot) = storage.snapshot(table_id) else {
        return Ok(());
    };
    let def = snapshot.def.clone();
    let mut writes = crate::storage::txn::TxnWrites::default();
    let user = def.columns.len();
    for b in snapshot.live_batches(&[], None)? {
        let ids = crate::storage::row_ids(&b)?.clone();
        let cols: Vec<arrow::array::ArrayRef> = b.columns()[..user].to_vec();
        let nb = crate::planner::dml::finish_rows(s, &def, cols, b.num_rows())?;
        let t = writes.table(table_id);
        t.deletes.extend(ids.values().iter().copied());
        t.inserts.push(nb);
    }
    storage.commit(writes)
}

/// One column: its definition, the sequence a serial column owns, and a column-level
/// PRIMARY KEY / UNIQUE (true for primary).
fn column_def_of(
    table: &str,
    c: &sqlparser::ast::ColumnDef,
) -> Result<(ColumnDef, Option<SequenceDef>, Option<bool>)> {
    let name = ident(&c.name);
    let ty = SqlType::parse(&c.data_type.to_string())?;
    let mut col = ColumnDef {
        name: name.clone(),
        ty,
        nullable: true,
        default: None,
        missing: None,
        generated: None,
    };
    let mut seq = None;
    if is_serial(&c.data_type) {
        let seq_name = format!("{table}_{name}_seq");
        col.default = Some(format!("nextval('{seq_name}'::regclass)"));
        col.nullable = false;
        seq = Some(SequenceDef {
            name: seq_name,
            last: 0,
            owner: Some((0, name.clone())),
        });
    }
    let mut unique = None;
    for o in &c.options {
        match &o.option {
            ColumnOption::NotNull => col.nullable = false,
            ColumnOption::Null => {}
            ColumnOption::Default(e) => col.default = Some(e.to_string()),
            ColumnOption::PrimaryKey(_) => {
                col.nullable = false;
                unique = Some(true);
            }
            ColumnOption::Unique(_) => {
                if unique.is_none() {
                    unique = Some(false);
                }
            }
            ColumnOption::Check(_) | ColumnOption::ForeignKey(_) => {
                return Err(QuiverError::FeatureNotSupported(
                    "CHECK and FOREIGN KEY constraints are not supported".into(),
                ))
            }
            ColumnOption::Collation(_) | ColumnOption::Comment(_) => {}
            ColumnOption::Generated {
                generation_expr: Some(e),
                ..
            } => {
                // STORED, or VIRTUAL (PostgreSQL 18's default): both computed when rows are
                // written, which reads the same for the immutable expressions PostgreSQL allows.
                col.generated = Some(e.to_string());
            }
            other => {
                return Err(QuiverError::FeatureNotSupported(format!(
                    "column option {other} is not supported"
                )))
            }
        }
    }
    if col.generated.is_some() && col.default.is_some() {
        return Err(QuiverError::Syntax(format!(
            "both default and generation expression specified for column \"{name}\" of table \"{table}\""
        )));
    }
    Ok((col, seq, unique))
}

fn table_def(
    schema: &str,
    name: &str,
    ct: &sqlparser::ast::CreateTable,
) -> Result<(TableDef, Vec<SequenceDef>)> {
    let mut columns: Vec<ColumnDef> = Vec::new();
    let mut seqs = Vec::new();
    let mut constraints: Vec<UniqueConstraint> = Vec::new();
    for c in &ct.columns {
        let (col, seq, unique) = column_def_of(name, c)?;
        if columns.iter().any(|x| x.name == col.name) {
            return Err(QuiverError::DuplicateColumn {
                table: name.into(),
                column: col.name,
            });
        }
        let pos = columns.len();
        if let Some(primary) = unique {
            let cname = if primary {
                format!("{name}_pkey")
            } else {
                format!("{name}_{}_key", col.name)
            };
            constraints.push(UniqueConstraint {
                name: cname,
                columns: vec![pos],
                primary,
            });
        }
        columns.push(col);
        seqs.extend(seq);
    }
    let find =
        |cols: &[sqlparser::ast::IndexColumn], columns: &[ColumnDef]| -> Result<Vec<usize>> {
            cols.iter()
                .map(|ic| {
                    let n = match &ic.column.expr {
                        sqlparser::ast::Expr::Identifier(i) => ident(i),
                        other => other.to_string(),
                    };
                    columns.iter().position(|c| c.name == n).ok_or_else(|| {
                        QuiverError::UndefinedColumn(format!("{n}\" named in key does not exist"))
                    })
                })
                .collect()
        };
    for tc in &ct.constraints {
        match tc {
            TableConstraint::PrimaryKey(pk) => {
                let cols = find(&pk.columns, &columns)?;
                for c in &cols {
                    columns[*c].nullable = false;
                }
                let cname = pk
                    .name
                    .as_ref()
                    .map(ident)
                    .unwrap_or_else(|| format!("{name}_pkey"));
                constraints.push(UniqueConstraint {
                    name: cname,
                    columns: cols,
                    primary: true,
                });
            }
            TableConstraint::Unique(u) => {
                let cols = find(&u.columns, &columns)?;
                let cname = u.name.as_ref().map(ident).unwrap_or_else(|| {
                    let names: Vec<&str> = cols.iter().map(|c| columns[*c].name.as_str()).collect();
                    format!("{name}_{}_key", names.join("_"))
                });
                constraints.push(UniqueConstraint {
                    name: cname,
                    columns: cols,
                    primary: false,
                });
            }
            _ => {
                return Err(QuiverError::FeatureNotSupported(
                    "CHECK and FOREIGN KEY constraints are not supported".into(),
                ))
            }
        }
    }
    if constraints.iter().filter(|c| c.primary).count() > 1 {
        return Err(QuiverError::InvalidColumnDefinition(format!(
            "multiple primary keys for table \"{name}\" are not allowed"
        )));
    }
    let def = TableDef {
        id: 0,
        schema: schema.into(),
        name: name.into(),
        columns,
        constraints,
        segments: vec![],
        next_segment_id: 0,
        indexes: vec![],
    };
    Ok((def, seqs))
}

/// pgvector's operator classes: (name, access methods, element SQL type name).
const OPCLASSES: &[(&str, &[&str], &str)] = &[
    ("vector_l2_ops", &["hnsw", "ivfflat"], "vector"),
    ("vector_ip_ops", &["hnsw", "ivfflat"], "vector"),
    ("vector_cosine_ops", &["hnsw", "ivfflat"], "vector"),
    ("vector_l1_ops", &["hnsw"], "vector"),
    ("halfvec_l2_ops", &["hnsw", "ivfflat"], "halfvec"),
    ("halfvec_ip_ops", &["hnsw", "ivfflat"], "halfvec"),
    ("halfvec_cosine_ops", &["hnsw", "ivfflat"], "halfvec"),
    ("halfvec_l1_ops", &["hnsw"], "halfvec"),
    ("sparsevec_l2_ops", &["hnsw"], "sparsevec"),
    ("sparsevec_ip_ops", &["hnsw"], "sparsevec"),
    ("sparsevec_cosine_ops", &["hnsw"], "sparsevec"),
    ("sparsevec_l1_ops", &["hnsw"], "sparsevec"),
    ("bit_hamming_ops", &["hnsw", "ivfflat"], "bit"),
    ("bit_jaccard_ops", &["hnsw"], "bit"),
];

/// (option, min, max, default) per vector access method, as pgvector declares them.
fn reloptions(method: &str) -> &'static [(&'static str, i64, i64, i64)] {
    match method {
        "hnsw" => &[("m", 2, 100, 16), ("ef_construction", 4, 1000, 64)],
        "ivfflat" => &[("lists", 1, 32768, 100)],
        _ => &[],
    }
}

async fn create_index(s: &mut Session, ci: &sqlparser::ast::CreateIndex) -> Result<Output> {
    let storage = s.engine.storage.clone();
    let (schema, table) = object_name(&ci.table_name)?;
    let def = storage
        .table_def(&schema, &table)
        .ok_or_else(|| QuiverError::UndefinedTable(table.clone()))?;
    let method = ci
        .using
        .as_ref()
        .map(|m| m.to_string().to_ascii_lowercase())
        .unwrap_or_else(|| "btree".into());
    if !matches!(
        method.as_str(),
        "btree"
            | "hash"
            | "hnsw"
            | "ivfflat"
            | "gin"
            | "gist"
            | "brin"
            | "bm25"
            | "sparse_inverted"
    ) {
        return Err(QuiverError::UndefinedObject(format!(
            "access method \"{method}\" does not exist"
        )));
    }
    if ci.unique && method != "btree" {
        return Err(QuiverError::FeatureNotSupported(format!(
            "access method \"{method}\" does not support unique indexes"
        )));
    }
    if ci.unique
        && (ci.predicate.is_some()
            || ci
                .columns
                .iter()
                .any(|ic| !matches!(ic.column.expr, sqlparser::ast::Expr::Identifier(_))))
    {
        return Err(QuiverError::FeatureNotSupported(
            "unique indexes on expressions or with a WHERE clause are not supported".into(),
        ));
    }
    let mut columns = Vec::new();
    let mut opclasses = Vec::new();
    // Types of expression keys (vector indexes), by position; empty when every key is a column.
    let mut key_types: Vec<Option<SqlType>> = Vec::new();
    for ic in &ci.columns {
        let text = match &ic.column.expr {
            sqlparser::ast::Expr::Identifier(i) => {
                let n = ident(i);
                if def.column_index(&n).is_none() {
                    return Err(QuiverError::UndefinedColumn(n));
                }
                n
            }
            other => other.to_string(),
        };
        let opclass = ic
            .operator_class
            .as_ref()
            .map(|o| o.to_string().to_ascii_lowercase());
        if method == "hnsw" || method == "ivfflat" {
            let key_type = match def.column_index(&text) {
                Some(i) => def.columns[i].ty.clone(),
                None => {
                    let mut ty = index_expression_type(&storage, &def, &text, "expression")?;
                    // As in PostgreSQL, only a cast gives an expression its dimensions
                    // (`subvector(embedding, 1, 3)::vector(3)`); a function's result has none.
                    if !is_cast_expression(&ic.column.expr) {
                        ty = match ty {
                            SqlType::Vector(_) => SqlType::Vector(None),
                            SqlType::Halfvec(_) => SqlType::Halfvec(None),
                            SqlType::Bit(_) => SqlType::Bit(None),
                            other => other,
                        };
                    }
                    key_types.resize(columns.len(), None);
                    key_types.push(Some(ty.clone()));
                    ty
                }
            };
            let base = base_type_name(&key_type);
            let oc = match &opclass {
                Some(o) => o.clone(),
                // pgvector declares one default: vector_l2_ops for ivfflat (printed without it).
                None if method == "ivfflat" && matches!(key_type, SqlType::Vector(_)) => {
                    "vector_l2_ops".into()
                }
                None => {
                    return Err(QuiverError::UndefinedObject(format!(
                    "data type {base} has no default operator class for access method \"{method}\""
                )))
                }
            };
            match OPCLASSES.iter().find(|(n, _, _)| *n == oc) {
                Some((_, methods, _)) if !methods.contains(&method.as_str()) => {
                    return Err(QuiverError::UndefinedObject(format!(
                        "operator class \"{oc}\" does not exist for access method \"{method}\""
                    )))
                }
                Some((_, _, accepts)) if *accepts != base => {
                    return Err(QuiverError::DatatypeMismatch(format!(
                        "operator class \"{oc}\" does not accept data type {base}"
                    )))
                }
                Some(_) => {}
                None => {
                    return Err(QuiverError::UndefinedObject(format!(
                        "operator class \"{oc}\" does not exist for access method \"{method}\""
                    )))
                }
            }
            match key_type {
                SqlType::Vector(None) | SqlType::Halfvec(None) | SqlType::Bit(None) => {
                    return Err(QuiverError::InvalidParameterValue(
                        "column does not have dimensions".into(),
                    ))
                }
                _ => {}
            }
            opclasses.push(opclass.is_some().then_some(oc));
        } else if method == "bm25" || method == "sparse_inverted" {
            opclasses.push(inverted_index_column(&method, &def, &text, opclass)?);
        } else if method == "gin" {
            gin_index_column(&def, &ic.column.expr, opclass.as_deref())?;
            opclasses.push(opclass);
        } else {
            opclasses.push(opclass);
        }
        columns.push(text);
    }
    if (method == "bm25" || method == "sparse_inverted") && columns.len() != 1 {
        return Err(QuiverError::FeatureNotSupported(format!(
            "access method \"{method}\" does not support multicolumn indexes"
        )));
    }
    // WITH (...) options, validated and completed with defaults.
    let text_options = if method == "bm25" || method == "sparse_inverted" {
        Some(inverted_index_options(&method, &ci.with)?)
    } else {
        None
    };
    let allowed = if text_options.is_some() {
        &[][..]
    } else {
        reloptions(&method)
    };
    let mut options: Vec<(String, String)> = allowed
        .iter()
        .map(|(n, _, _, d)| (n.to_string(), d.to_string()))
        .collect();
    for w in ci.with.iter().filter(|_| text_options.is_none()) {
        let sqlparser::ast::Expr::BinaryOp { left, right, .. } = w else {
            return Err(QuiverError::Syntax(format!("invalid index option {w}")));
        };
        let key = left.to_string().to_ascii_lowercase();
        let val = right.to_string().trim_matches('\'').to_string();
        let Some((_, min, max, _)) = allowed.iter().find(|(n, ..)| *n == key) else {
            return Err(QuiverError::InvalidParameterValue(format!(
                "unrecognized parameter \"{key}\""
            )));
        };
        let v: i64 = val.parse().map_err(|_| {
            QuiverError::InvalidParameterValue(format!(
                "invalid value for integer option \"{key}\": {val}"
            ))
        })?;
        if v < *min || v > *max {
            return Err(QuiverError::InvalidParameterValue(format!(
                "value {v} out of bounds for option \"{key}\""
            )));
        }
        if let Some(slot) = options.iter_mut().find(|(n, _)| *n == key) {
            slot.1 = v.to_string();
        }
    }
    if method == "hnsw" {
        let get = |k: &str| {
            options
                .iter()
                .find(|(n, _)| n == k)
                .and_then(|(_, v)| v.parse::<i64>().ok())
                .unwrap_or(0)
        };
        if get("ef_construction") < 2 * get("m") {
            return Err(QuiverError::InvalidParameterValue(
                "ef_construction must be greater than or equal to 2 * m".into(),
            ));
        }
    }
    let name = match &ci.name {
        Some(n) => object_name(n)?.1,
        None => {
            // PostgreSQL's ChooseIndexColumnNames: a column's name, a function call's name,
            // else `expr`; joined by `_`.
            let parts: Vec<String> = ci
                .columns
                .iter()
                .map(|ic| index_column_name(&ic.column.expr).unwrap_or_else(|| "expr".into()))
                .collect();
            let base = format!("{table}_{}_idx", parts.join("_"));
            let taken = |n: &str| {
                storage
                    .table_defs()
                    .iter()
                    .any(|t| t.indexes.iter().any(|i| i.name == n))
            };
            let mut n = base.clone();
            let mut k = 1;
            while taken(&n) {
                n = format!("{base}{k}");
                k += 1;
            }
            n
        }
    };
    if storage
        .table_defs()
        .iter()
        .any(|t| t.indexes.iter().any(|i| i.name == name))
        || storage.table_id("public", &name).is_some()
    {
        if ci.if_not_exists {
            return Ok(Output::Command("CREATE INDEX".into()));
        }
        return Err(QuiverError::DuplicateTable(name));
    }
    let options = text_options.unwrap_or(options);
    let predicate = ci.predicate.as_ref().map(|p| p.to_string());
    if let Some(p) = &predicate {
        let ty = index_expression_type(&storage, &def, p, "predicate")?;
        if ty != SqlType::Bool {
            return Err(QuiverError::DatatypeMismatch(format!(
                "argument of WHERE must be type boolean, not type {}",
                ty.display_name()
            )));
        }
    }
    let idx = IndexDef {
        id: 0,
        name,
        method,
        columns,
        opclasses,
        options,
        predicate,
        unique: ci.unique,
        key_types,
    };
    // A vector index covers the rows there are now: seal the growing segment so that they are in
    // segments, then build each segment's index before the command returns, as pgvector does.
    let mut probe = (*def).clone();
    probe.indexes.push(IndexDef {
        id: u64::MAX,
        ..idx.clone()
    });
    if vector_spec(probe.indexes.last().expect("pushed"), &probe).is_some() {
        storage.seal(def.id)?;
    }
    let idx = storage.add_index(def.id, idx)?;
    if idx.unique {
        // From here on commits enforce the key; rows from before must not repeat it.
        if let Err(e) = check_unique_index(&storage, def.id, &idx.name) {
            let _ = storage.drop_index(def.id, &idx.name);
            return Err(e);
        }
    }
    let Some(table) = storage.table(def.id) else {
        return Err(QuiverError::UndefinedTable(table));
    };
    let table_def = table.read().def.clone();
    if idx.method == "bm25"
        || idx.method == "sparse_inverted"
        || crate::storage::gin::gin_source(&table_def, &idx).is_some()
    {
        if let Err(e) = build_inverted_index(s, def.id, &idx, &table_def) {
            let _ = storage.drop_index(def.id, &idx.name);
            return Err(e);
        }
    }
    if let Some(spec) = vector_spec(&idx, &table_def) {
        if let Err(e) = build_vector_index(s, def.id, spec).await {
            // Like a failed CREATE INDEX in PostgreSQL, leave no index behind.
            let _ = storage.drop_index(def.id, &idx.name);
            return Err(e);
        }
    }
    Ok(Output::Command("CREATE INDEX".into()))
}

/// PostgreSQL's FigureIndexColname: a column's name, a function call's name, and through a cast
/// the name of what is cast; `None` for anything else (the index is then named after `expr`).
fn index_column_name(e: &sqlparser::ast::Expr) -> Option<String> {
    use sqlparser::ast::{Expr, FunctionArg, FunctionArgExpr, FunctionArguments};
    match e {
        Expr::Identifier(i) => Some(ident(i)),
        Expr::CompoundIdentifier(parts) => parts.last().map(ident),
        Expr::Nested(inner) | Expr::Cast { expr: inner, .. } => index_column_name(inner),
        Expr::Function(f) => {
            let name = f.name.0.last().and_then(|p| p.as_ident()).map(ident)?;
            if name == crate::sql::parse::CAST_FN {
                let FunctionArguments::List(list) = &f.args else {
                    return None;
                };
                match list.args.first() {
                    Some(FunctionArg::Unnamed(FunctionArgExpr::Expr(arg))) => {
                        index_column_name(arg)
                    }
                    _ => None,
                }
            } else {
                Some(name)
            }
        }
        _ => None,
    }
}

/// Whether an index expression is a cast (to a type with a modifier the index can use).
fn is_cast_expression(e: &sqlparser::ast::Expr) -> bool {
    use sqlparser::ast::Expr;
    match e {
        Expr::Nested(inner) => is_cast_expression(inner),
        Expr::Cast { .. } => true,
        Expr::Function(f) => f.name.to_string() == crate::sql::parse::CAST_FN,
        _ => false,
    }
}

/// The SQL type of an index expression or predicate over `def`'s columns, checked as PostgreSQL
/// checks them: columns must exist (42703), functions must not be volatile (42P17).
fn index_expression_type(
    storage: &crate::storage::Storage,
    def: &TableDef,
    sql: &str,
    what: &str,
) -> Result<SqlType> {
    let schema = def.arrow_schema();
    let expr = storage.indexes.compile(sql, &schema)?;
    let mut volatile = false;
    use datafusion::common::tree_node::TreeNode;
    let _ = expr.apply(|e| {
        if let Some(f) = e.downcast_ref::<datafusion::physical_expr::ScalarFunctionExpr>() {
            volatile |=
                f.fun().signature().volatility == datafusion::logical_expr::Volatility::Volatile;
        }
        Ok(datafusion::common::tree_node::TreeNodeRecursion::Continue)
    });
    if volatile {
        return Err(QuiverError::InvalidObjectDefinition(format!(
            "functions in index {what} must be marked IMMUTABLE"
        )));
    }
    Ok(SqlType::of_field(expr.return_field(&schema)?.as_ref()))
}

/// `could not create unique index` (23505) when the table's live rows repeat the new index's key.
fn check_unique_index(storage: &crate::storage::Storage, table_id: u64, name: &str) -> Result<()> {
    let snap = storage
        .snapshot(table_id)
        .ok_or_else(|| QuiverError::UndefinedTable(name.to_string()))?;
    let Some(key) = snap.def.unique_keys().into_iter().find(|k| k.name == name) else {
        return Ok(());
    };
    let batches = snap.live_batches(&[], None)?;
    match crate::storage::unique::first_duplicate(&snap.def, &key, &batches)? {
        Some(detail) => Err(QuiverError::UniqueIndexBuild {
            index: name.to_string(),
            detail,
        }),
        None => Ok(()),
    }
}

/// A type's name without its modifier (`vector`, not `vector(3)`), as index errors print it.
fn base_type_name(ty: &SqlType) -> String {
    let n = ty.display_name();
    match n.find('(') {
        Some(i) => n[..i].to_string(),
        None => n,
    }
}

/// A GIN index column, checked as PostgreSQL does for the types quiver has: tsvector (columns,
/// `to_tsvector(config, text)`), arrays and jsonb; index expressions must be immutable, which
/// `to_tsvector(text)` (reading `default_text_search_config`) is not.
fn gin_index_column(
    def: &TableDef,
    expr: &sqlparser::ast::Expr,
    opclass: Option<&str>,
) -> Result<()> {
    use sqlparser::ast::{Expr as E, FunctionArguments};
    let ty = match expr {
        E::Identifier(i) => {
            let n = ident(i);
            let c = def
                .column_index(&n)
                .ok_or_else(|| QuiverError::UndefinedColumn(n.clone()))?;
            Some(def.columns[c].ty.clone())
        }
        E::Function(f) => {
            let name = f.name.0.last().and_then(|p| p.as_ident()).map(ident);
            let nargs = match &f.args {
                FunctionArguments::List(l) => l.args.len(),
                _ => 0,
            };
            if name.as_deref() == Some("to_tsvector") {
                if nargs == 1 {
                    return Err(QuiverError::InvalidObjectDefinition(
                        "functions in index expression must be marked IMMUTABLE".into(),
                    ));
                }
                Some(SqlType::TsVector)
            } else {
                None
            }
        }
        _ => None,
    };
    let ok = match (&ty, opclass) {
        (Some(SqlType::TsVector), None | Some("tsvector_ops")) => true,
        (Some(SqlType::Jsonb), None | Some("jsonb_ops") | Some("jsonb_path_ops")) => true,
        (Some(SqlType::Array(_)), None | Some("array_ops")) => true,
        // Other expressions: accepted as they are (the planner does not use them).
        (None, _) => true,
        _ => false,
    };
    if !ok {
        let t = ty.as_ref().map(base_type_name).unwrap_or_default();
        return Err(match opclass {
            Some(o @ ("tsvector_ops" | "jsonb_ops" | "jsonb_path_ops" | "array_ops")) => {
                QuiverError::DatatypeMismatch(format!(
                    "operator class \"{o}\" does not accept data type {t}"
                ))
            }
            Some(o) => QuiverError::UndefinedObject(format!(
                "operator class \"{o}\" does not exist for access method \"gin\""
            )),
            None => QuiverError::UndefinedObject(format!(
                "data type {t} has no default operator class for access method \"gin\""
            )),
        });
    }
    Ok(())
}

/// The operator class of a bm25 / sparse_inverted index column, checked against its type.
fn inverted_index_column(
    method: &str,
    def: &TableDef,
    column: &str,
    opclass: Option<String>,
) -> Result<Option<String>> {
    let Some(i) = def.column_index(column) else {
        return Err(QuiverError::FeatureNotSupported(format!(
            "access method \"{method}\" does not support expression indexes"
        )));
    };
    let ty = &def.columns[i].ty;
    if method == "bm25" {
        if !matches!(ty, SqlType::Text | SqlType::Varchar(_) | SqlType::Char(_)) {
            return Err(QuiverError::UndefinedObject(format!(
                "data type {} has no default operator class for access method \"bm25\"",
                base_type_name(ty)
            )));
        }
        return Ok(opclass);
    }
    if !matches!(ty, SqlType::Sparsevec(_)) {
        return Err(QuiverError::UndefinedObject(format!(
            "data type {} has no default operator class for access method \"sparse_inverted\"",
            ty.display_name()
        )));
    }
    let oc = opclass.unwrap_or_else(|| "sparsevec_ip_ops".into());
    if oc != "sparsevec_ip_ops" {
        return Err(QuiverError::UndefinedObject(format!(
            "operator class \"{oc}\" does not exist for access method \"sparse_inverted\""
        )));
    }
    Ok(Some(oc))
}

/// `WITH (...)` of bm25 (`analyzer`, `k1`, `b`) and sparse_inverted (none) indexes, with defaults.
fn inverted_index_options(
    method: &str,
    with: &[sqlparser::ast::Expr],
) -> Result<Vec<(String, String)>> {
    let mut options: Vec<(String, String)> = if method == "bm25" {
        vec![
            ("analyzer".into(), "english".into()),
            ("k1".into(), "1.2".into()),
            ("b".into(), "0.75".into()),
        ]
    } else {
        vec![]
    };
    for w in with {
        let sqlparser::ast::Expr::BinaryOp { left, right, .. } = w else {
            return Err(QuiverError::Syntax(format!("invalid index option {w}")));
        };
        let key = left.to_string().to_ascii_lowercase();
        let val = right.to_string().trim_matches('\'').to_string();
        let Some(slot) = options.iter_mut().find(|(n, _)| *n == key) else {
            return Err(QuiverError::InvalidParameterValue(format!(
                "unrecognized parameter \"{key}\""
            )));
        };
        match key.as_str() {
            "analyzer" => {
                let a = crate::text::analyzer::Analyzer::from_name(&val).ok_or_else(|| {
                    QuiverError::InvalidParameterValue(format!(
                        "invalid value for option \"analyzer\": \"{val}\" (english, standard or chinese)"
                    ))
                })?;
                slot.1 = a.name().to_string();
            }
            _ => {
                let (lo, hi) = if key == "k1" { (0.0, 3.0) } else { (0.0, 1.0) };
                let v: f64 = val.parse().map_err(|_| {
                    QuiverError::InvalidParameterValue(format!(
                        "invalid value for floating point option \"{key}\": {val}"
                    ))
                })?;
                if !(lo..=hi).contains(&v) {
                    return Err(QuiverError::InvalidParameterValue(format!(
                        "value {val} out of bounds for option \"{key}\""
                    )));
                }
                slot.1 = v.to_string();
            }
        }
    }
    Ok(options)
}

/// Builds and persists a bm25 / sparse_inverted index's postings for every sealed segment now;
/// rows still in the growing segment are analysed at query time until their segment seals.
fn build_inverted_index(
    s: &mut Session,
    table_id: u64,
    idx: &IndexDef,
    def: &TableDef,
) -> Result<()> {
    let storage = s.engine.storage.clone();
    let Some(snapshot) = storage.snapshot(table_id) else {
        return Ok(());
    };
    let gin = crate::storage::gin::gin_source(def, idx);
    let column = match &gin {
        Some(g) => g.column,
        None => def
            .column_index(&idx.columns[0])
            .ok_or_else(|| QuiverError::UndefinedColumn(idx.columns[0].clone()))?,
    };
    // Postings cached before the index existed are rebuilt so that they get their files.
    storage.text_indexes.forget_table(table_id);
    let schema = def.storage_schema();
    let total = snapshot.sealed.len();
    for (n, seg) in snapshot.sealed.iter().enumerate() {
        let batches = seg.batches(&schema)?;
        if let Some(g) = &gin {
            storage
                .text_indexes
                .gin(table_id, seg, column, g.source, idx.id, &batches)?;
        } else if idx.method == "bm25" {
            let analyzer = idx
                .options
                .iter()
                .find(|(k, _)| k == "analyzer")
                .and_then(|(_, v)| crate::text::analyzer::Analyzer::from_name(v))
                .unwrap_or(crate::text::analyzer::Analyzer::English);
            storage
                .text_indexes
                .bm25(table_id, seg, column, analyzer, Some(idx.id), &batches)?;
        } else {
            storage
                .text_indexes
                .sparse(table_id, seg, column, Some(idx.id), &batches)?;
        }
        if total > 1 {
            s.notice(&format!(
                "{} index \"{}\": segment {} of {total} indexed",
                idx.method,
                idx.name,
                n + 1
            ));
        }
    }
    Ok(())
}

/// REINDEX INDEX name / REINDEX TABLE name: rebuilds the vector indexes' segment files (other
/// index kinds hold no structure of their own to rebuild).
pub async fn reindex(s: &mut Session, table: bool, name: &str) -> Result<()> {
    let storage = s.engine.storage.clone();
    let (table_id, wanted): (u64, Option<String>) = if table {
        let id = storage
            .table_id("public", name)
            .ok_or_else(|| QuiverError::UndefinedTable(name.to_string()))?;
        (id, None)
    } else {
        match storage.find_index("public", name) {
            Some((id, idx)) => (id, Some(idx.name)),
            // The unique index behind a constraint: its key map is rebuilt on demand anyway.
            None if storage
                .table_defs()
                .iter()
                .any(|t| t.constraints.iter().any(|c| c.name == name)) =>
            {
                return Ok(())
            }
            None => {
                return Err(QuiverError::UndefinedObject(format!(
                    "index \"{name}\" does not exist"
                )))
            }
        }
    };
    let def = storage
        .table(table_id)
        .map(|t| t.read().def.clone())
        .ok_or_else(|| QuiverError::UndefinedTable(name.to_string()))?;
    let specs: Vec<VectorIndexSpec> = def
        .indexes
        .iter()
        .filter(|i| wanted.as_ref().is_none_or(|w| *w == i.name))
        .filter_map(|i| vector_spec(i, &def))
        .collect();
    if specs.is_empty() {
        return Ok(());
    }
    storage.seal(table_id)?;
    for spec in specs {
        storage.indexes.forget(spec.index_id);
        storage.indexes.revive(spec.index_id);
        build_vector_index(s, table_id, spec).await?;
    }
    Ok(())
}

struct BuildGuard {
    cancel: Arc<AtomicBool>,
    store: Arc<IndexStore>,
    progress: Arc<BuildProgress>,
    keys: Vec<(u64, u64, u64)>,
}

impl Drop for BuildGuard {
    fn drop(&mut self) {
        self.cancel.store(true, Ordering::Relaxed);
        self.store.end_progress(&self.progress);
        self.store.release(&self.keys);
    }
}

/// Builds every sealed segment's index for `spec` now, reporting progress to
/// `pg_stat_progress_create_index` and as NOTICE messages for large segments.
async fn build_vector_index(s: &mut Session, table_id: u64, spec: VectorIndexSpec) -> Result<()> {
    let storage = s.engine.storage.clone();
    let Some(snapshot) = storage.snapshot(table_id) else {
        return Ok(());
    };
    let schema = snapshot.def.storage_schema();
    let segments = snapshot.sealed.clone();
    let rows: u64 = segments.iter().map(|g| g.meta.rows).sum();
    if let BuildParams::IvfFlat { lists } = spec.params {
        // pgvector's warning when k-means gets fewer rows than lists.
        if rows < lists as u64 {
            s.notice("ivfflat index created with little data");
        }
    }
    let keys: Vec<(u64, u64, u64)> = segments
        .iter()
        .map(|g| (table_id, g.meta.id, spec.index_id))
        .collect();
    let store = storage.indexes.clone();
    store.claim(&keys);
    let progress = store.start_progress(BuildProgress {
        pid: s.pid,
        table_id,
        index_id: spec.index_id,
        command: "CREATE INDEX",
        phase: parking_lot::Mutex::new("building index"),
        tuples_total: rows.into(),
        tuples_done: 0.into(),
        segments_total: (segments.len() as u64).into(),
        segments_done: 0.into(),
    });
    // A canceled statement drops this future: the guard then stops the build at its next
    // progress report and clears the progress entry.
    let guard = BuildGuard {
        cancel: Arc::new(AtomicBool::new(false)),
        store: store.clone(),
        progress: progress.clone(),
        keys: keys.clone(),
    };
    let cancel = guard.cancel.clone();
    let result = {
        let store = store.clone();
        let progress = progress.clone();
        let spec = spec.clone();
        let segments = segments.clone();
        tokio::task::spawn_blocking(move || -> Result<Vec<String>> {
            let mut notes = Vec::new();
            let mut done_before = 0u64;
            for seg in &segments {
                let started = std::time::Instant::now();
                let cb = |n: usize| {
                    progress
                        .tuples_done
                        .store(done_before + n as u64, Ordering::Relaxed);
                    !cancel.load(Ordering::Relaxed)
                };
                store.build_segment(table_id, seg, &spec, &schema, &cb)?;
                done_before += seg.meta.rows;
                progress.tuples_done.store(done_before, Ordering::Relaxed);
                progress.segments_done.fetch_add(1, Ordering::Relaxed);
                if seg.meta.rows >= 10_000 {
                    notes.push(format!(
                        "{} index \"{}\": built segment {} of {} ({} rows) in {:.1} s",
                        spec.kind().name(),
                        spec.name,
                        progress.segments_done.load(Ordering::Relaxed),
                        segments.len(),
                        seg.meta.rows,
                        started.elapsed().as_secs_f64()
                    ));
                }
            }
            Ok(notes)
        })
        .await
    };
    drop(guard);
    let notes = result.map_err(|e| QuiverError::Internal(format!("index build task: {e}")))??;
    for n in notes {
        s.notice(&n);
    }
    Ok(())
}
