//! Statements that DataFusion does not plan: SET / SHOW / RESET, transaction control, DDL, COPY,
//! DISCARD. Each is small; DDL and COPY live in their own files.

use std::sync::Arc;

use arrow::array::{RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, FieldRef, Schema};
use datafusion::common::ParamValues;
use sqlparser::ast::{ContextModifier, Expr, Reset, Set, Statement, Value};

use crate::error::{QuiverError, Result};
use crate::planner::session::{Output, Session};
use crate::planner::{copy, ddl};

/// Whether a statement may run in a failed transaction block (it ends the block).
pub fn ends_transaction(stmt: &Statement) -> bool {
    matches!(stmt, Statement::Commit { .. } | Statement::Rollback { .. })
}

/// SHOW's variable name: `hnsw.ef_search`, `transaction isolation level`, `all`.
fn show_name(variable: &[sqlparser::ast::Ident]) -> String {
    let parts: Vec<String> = variable
        .iter()
        .map(|i| i.value.to_ascii_lowercase())
        .collect();
    match parts.join(" ").as_str() {
        "transaction isolation level" => "transaction_isolation".into(),
        "time zone" => "timezone".into(),
        _ => parts.join("."),
    }
}

pub fn result_fields(_s: &Session, stmt: &Statement) -> Result<Option<Vec<FieldRef>>> {
    Ok(match stmt {
        Statement::ShowVariable { variable } => {
            let name = show_name(variable);
            if name == "all" {
                Some(vec![
                    Arc::new(Field::new("name", DataType::Utf8, true)),
                    Arc::new(Field::new("setting", DataType::Utf8, true)),
                ])
            } else {
                let col = variable
                    .last()
                    .map(|i| i.value.to_ascii_lowercase())
                    .unwrap_or(name);
                Some(vec![Arc::new(Field::new(col, DataType::Utf8, true))])
            }
        }
        _ => None,
    })
}

/// The text of a SET value as PostgreSQL would take it.
fn set_value(values: &[Expr]) -> String {
    values
        .iter()
        .map(|e| match e {
            Expr::Value(v) => match &v.value {
                Value::SingleQuotedString(s) | Value::DoubleQuotedString(s) => s.clone(),
                Value::Number(n, _) => n.to_string(),
                Value::Boolean(b) => if *b { "on" } else { "off" }.to_string(),
                other => other.to_string(),
            },
            Expr::Identifier(i) => i.value.clone(),
            Expr::UnaryOp {
                op: sqlparser::ast::UnaryOperator::Minus,
                expr,
            } => {
                format!("-{}", set_value(std::slice::from_ref(expr)))
            }
            other => other.to_string(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

pub async fn execute(s: &mut Session, stmt: &Statement, params: &ParamValues) -> Result<Output> {
    match stmt {
        Statement::StartTransaction { .. } => {
            s.begin();
            Ok(Output::Command("BEGIN".into()))
        }
        Statement::Commit { .. } => Ok(Output::Command(s.commit()?.to_string())),
        Statement::Rollback {
            savepoint: Some(_), ..
        } => Err(QuiverError::FeatureNotSupported(
            "savepoints are not supported".into(),
        )),
        Statement::Rollback { .. } => {
            s.rollback();
            Ok(Output::Command("ROLLBACK".into()))
        }
        Statement::Savepoint { .. } | Statement::ReleaseSavepoint { .. } => Err(
            QuiverError::FeatureNotSupported("savepoints are not supported".into()),
        ),
        Statement::Set(set) => {
            let in_block = s.in_block();
            match set {
                Set::SingleAssignment {
                    scope,
                    variable,
                    values,
                    ..
                } => {
                    let name = variable.to_string();
                    let local = matches!(scope, Some(ContextModifier::Local));
                    let value = set_value(values);
                    if value.eq_ignore_ascii_case("default") {
                        s.settings().reset(&name)?;
                    } else {
                        s.settings().set(&name, &value, local, in_block)?;
                    }
                }
                Set::SetTimeZone { local, value } => {
                    s.settings().set(
                        "timezone",
                        &set_value(std::slice::from_ref(value)),
                        *local,
                        in_block,
                    )?;
                }
                Set::SetNames { charset_name, .. } => {
                    s.settings()
                        .set("client_encoding", &charset_name.value, false, in_block)?;
                }
                // SET SESSION CHARACTERISTICS, SET TRANSACTION ...: one isolation level exists.
                _ => {}
            }
            Ok(Output::Command("SET".into()))
        }
        Statement::ShowVariable { variable } => {
            let name = show_name(variable);
            let fields = result_fields(s, stmt)?.unwrap_or_default();
            let schema = Arc::new(Schema::new(
                fields
                    .iter()
                    .map(|f| f.as_ref().clone())
                    .collect::<Vec<_>>(),
            ));
            let batch = if name == "all" {
                let all = s.settings().all();
                RecordBatch::try_new(
                    schema,
                    vec![
                        Arc::new(StringArray::from(
                            all.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>(),
                        )),
                        Arc::new(StringArray::from(
                            all.iter().map(|(_, v)| v.clone()).collect::<Vec<_>>(),
                        )),
                    ],
                )?
            } else {
                let v = s.settings().get(&name)?;
                RecordBatch::try_new(schema, vec![Arc::new(StringArray::from(vec![v]))])?
            };
            Ok(Output::Rows {
                fields,
                batches: vec![batch],
                tag: "SHOW".into(),
            })
        }
        Statement::Reset(r) => {
            match &r.reset {
                Reset::ALL => s.settings().reset_all(),
                Reset::ConfigurationParameter(name) => s.settings().reset(&name.to_string())?,
            }
            Ok(Output::Command("RESET".into()))
        }
        Statement::Discard { .. } => {
            s.settings().reset_all();
            Ok(Output::Command("DISCARD ALL".into()))
        }
        Statement::Deallocate { .. } => Ok(Output::Command("DEALLOCATE".into())),
        Statement::Copy { .. } => copy::start(s, stmt, params).await,
        Statement::CreateTable(_)
        | Statement::Drop { .. }
        | Statement::AlterTable(_)
        | Statement::Truncate(_)
        | Statement::CreateExtension(_)
        | Statement::DropExtension(_)
        | Statement::CreateIndex(_)
        | Statement::CreateSchema { .. } => ddl::execute(s, stmt).await,
        other => Err(QuiverError::FeatureNotSupported(format!(
            "statement not supported: {}",
            first_words(&other.to_string())
        ))),
    }
}

fn first_words(sql: &str) -> String {
    sql.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
}

/// `CHECKPOINT` (which sqlparser does not know): seals every growing segment.
pub fn is_checkpoint(sql: &str) -> bool {
    sql.trim()
        .trim_end_matches(';')
        .trim()
        .eq_ignore_ascii_case("checkpoint")
}
