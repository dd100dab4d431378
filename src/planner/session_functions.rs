//! Functions bound to a session: sequences (`nextval`, `currval`, `setval`), identity
//! (`current_database()`, `current_user`, `pg_backend_pid()`) and settings (`current_setting`,
//! `set_config`).

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Int32Array, Int64Array, StringArray};
use arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::logical_expr::{ScalarUDF, Volatility};
use parking_lot::Mutex;

use crate::error::{QuiverError, Result};
use crate::planner::settings::Settings;
use crate::sql::functions::{bidx, SqlFn};
use crate::storage::provider::SharedTxn;
use crate::storage::Storage;

fn strings(a: &ArrayRef) -> Result<StringArray> {
    Ok(arrow::compute::cast(a, &DataType::Utf8)?
        .as_string::<i32>()
        .clone())
}

/// `nextval('public.t_id_seq')` and `nextval('"T_id_seq"')` name the same sequence.
fn seq_name(s: &str) -> String {
    let s = s.trim();
    let s = s.rsplit('.').next().unwrap_or(s);
    if s.starts_with('"') {
        s.trim_matches('"').to_string()
    } else {
        s.to_ascii_lowercase()
    }
}

pub fn udfs(
    storage: Arc<Storage>,
    txn: SharedTxn,
    settings: Arc<Mutex<Settings>>,
    pid: i32,
    user: &str,
    database: &str,
) -> Vec<Arc<ScalarUDF>> {
    let currvals: Arc<Mutex<HashMap<String, i64>>> = Arc::new(Mutex::new(HashMap::new()));
    let text_const = |name: &'static str, value: String| {
        SqlFn::new(
            name,
            Volatility::Stable,
            Arc::new(move |_: &[FieldRef], _| Ok(Field::new(name, DataType::Utf8, true))),
            Arc::new(move |_: &[ArrayRef], _: &[FieldRef], _: &Field, rows| {
                Ok(Arc::new(StringArray::from(vec![value.clone(); rows])) as ArrayRef)
            }),
        )
        .udf()
    };
    let mut v = vec![
        text_const("current_database", database.to_string()),
        text_const("current_catalog", database.to_string()),
        text_const("current_schema", "public".to_string()),
        text_const("current_user", user.to_string()),
        text_const("session_user", user.to_string()),
        text_const("user", user.to_string()),
        text_const("current_role", user.to_string()),
        SqlFn::new(
            "pg_backend_pid",
            Volatility::Stable,
            Arc::new(|_: &[FieldRef], _| Ok(Field::new("pg_backend_pid", DataType::Int32, true))),
            Arc::new(move |_: &[ArrayRef], _: &[FieldRef], _: &Field, rows| {
                Ok(Arc::new(Int32Array::from(vec![pid; rows])) as ArrayRef)
            }),
        )
        .udf(),
    ];
    {
        let (storage, txn, currvals) = (storage.clone(), txn.clone(), currvals.clone());
        v.push(
            SqlFn::new(
                "nextval",
                Volatility::Volatile,
                Arc::new(|_: &[FieldRef], _| Ok(Field::new("nextval", DataType::Int64, true))),
                Arc::new(move |args: &[ArrayRef], _: &[FieldRef], _: &Field, rows| {
                    let names = strings(&args[0])?;
                    let mut out = Vec::with_capacity(rows);
                    for i in 0..rows {
                        let k = bidx(names.len(), i);
                        if names.is_null(k) {
                            out.push(None);
                            continue;
                        }
                        let name = seq_name(names.value(k));
                        let val = storage.nextval(&name).map_err(|e| match e {
                            QuiverError::UndefinedTable(_) => {
                                QuiverError::UndefinedTable(name.clone())
                            }
                            other => other,
                        })?;
                        txn.lock().sequences.insert(name.clone());
                        currvals.lock().insert(name, val);
                        out.push(Some(val));
                    }
                    Ok(Arc::new(Int64Array::from(out)) as ArrayRef)
                }),
            )
            .udf(),
        );
    }
    {
        let currvals = currvals.clone();
        v.push(
            SqlFn::new(
                "currval",
                Volatility::Volatile,
                Arc::new(|_: &[FieldRef], _| Ok(Field::new("currval", DataType::Int64, true))),
                Arc::new(move |args: &[ArrayRef], _: &[FieldRef], _: &Field, rows| {
                    let names = strings(&args[0])?;
                    let mut out = Vec::with_capacity(rows);
                    for i in 0..rows {
                        let name = seq_name(names.value(bidx(names.len(), i)));
                        let val = currvals.lock().get(&name).copied().ok_or_else(|| {
                            QuiverError::DataException(format!(
                                "currval of sequence \"{name}\" is not yet defined in this session"
                            ))
                        })?;
                        out.push(Some(val));
                    }
                    Ok(Arc::new(Int64Array::from(out)) as ArrayRef)
                }),
            )
            .udf(),
        );
    }
    {
        let storage = storage.clone();
        v.push(
            SqlFn::new(
                "setval",
                Volatility::Volatile,
                Arc::new(|_: &[FieldRef], _| Ok(Field::new("setval", DataType::Int64, true))),
                Arc::new(move |args: &[ArrayRef], _: &[FieldRef], _: &Field, rows| {
                    let names = strings(&args[0])?;
                    let vals = arrow::compute::cast(&args[1], &DataType::Int64)?;
                    let vals = vals.as_primitive::<arrow::datatypes::Int64Type>();
                    let mut out = Vec::with_capacity(rows);
                    for i in 0..rows {
                        let name = seq_name(names.value(bidx(names.len(), i)));
                        out.push(Some(
                            storage.setval(&name, vals.value(bidx(vals.len(), i)))?,
                        ));
                    }
                    Ok(Arc::new(Int64Array::from(out)) as ArrayRef)
                }),
            )
            .udf(),
        );
    }
    {
        let settings = settings.clone();
        v.push(
            SqlFn::new(
                "current_setting",
                Volatility::Stable,
                Arc::new(|_: &[FieldRef], _| {
                    Ok(Field::new("current_setting", DataType::Utf8, true))
                }),
                Arc::new(move |args: &[ArrayRef], _: &[FieldRef], _: &Field, rows| {
                    let names = strings(&args[0])?;
                    let missing_ok = args.get(1).map(|a| {
                        arrow::compute::cast(a, &DataType::Boolean)
                            .map(|b| b.as_boolean().value(0))
                            .unwrap_or(false)
                    });
                    let mut out = Vec::with_capacity(rows);
                    for i in 0..rows {
                        let name = names.value(bidx(names.len(), i));
                        match settings.lock().get(name) {
                            Ok(v) => out.push(Some(v)),
                            Err(_) if missing_ok == Some(true) => out.push(None),
                            Err(e) => return Err(e),
                        }
                    }
                    Ok(Arc::new(StringArray::from(out)) as ArrayRef)
                }),
            )
            .udf(),
        );
    }
    {
        let settings = settings.clone();
        v.push(
            SqlFn::new(
                "set_config",
                Volatility::Volatile,
                Arc::new(|_: &[FieldRef], _| Ok(Field::new("set_config", DataType::Utf8, true))),
                Arc::new(move |args: &[ArrayRef], _: &[FieldRef], _: &Field, rows| {
                    let names = strings(&args[0])?;
                    let values = strings(&args[1])?;
                    let mut out = Vec::with_capacity(rows);
                    for i in 0..rows {
                        let name = names.value(bidx(names.len(), i));
                        let value = values.value(bidx(values.len(), i));
                        // is_local outside a block is a no-op in PostgreSQL; treat both as SET.
                        settings.lock().set(name, value, false, false)?;
                        out.push(Some(value.to_string()));
                    }
                    Ok(Arc::new(StringArray::from(out)) as ArrayRef)
                }),
            )
            .udf(),
        );
    }
    v.into_iter().map(Arc::new).collect()
}
