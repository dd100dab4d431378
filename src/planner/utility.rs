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

/// Commands sqlparser does not know, recognised before parsing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `CHECKPOINT`: seals every growing segment.
    Checkpoint,
    /// `REINDEX [ ( options ) ] { INDEX | TABLE } [ CONCURRENTLY ] name`: rebuilds vector indexes.
    Reindex { table: bool, name: String },
}

impl Command {
    pub fn tag(&self) -> &'static str {
        match self {
            Command::Checkpoint => "CHECKPOINT",
            Command::Reindex { .. } => "REINDEX",
        }
    }
}

/// Recognises [`Command`]s; `Err` for a malformed REINDEX.
pub fn command(sql: &str) -> Option<Result<Command>> {
    let text = sql.trim().trim_end_matches(';').trim();
    let mut words = text.split_whitespace();
    let first = words.next()?;
    if first.eq_ignore_ascii_case("checkpoint") {
        return (words.next().is_none()).then_some(Ok(Command::Checkpoint));
    }
    if !first.eq_ignore_ascii_case("reindex") {
        return None;
    }
    let mut rest: Vec<&str> = words.collect();
    // Options in parentheses (VERBOSE, CONCURRENTLY, TABLESPACE) change nothing here.
    if rest.first().is_some_and(|w| w.starts_with('(')) {
        let close = rest.iter().position(|w| w.ends_with(')'));
        match close {
            Some(c) => {
                rest.drain(..=c);
            }
            None => {
                return Some(Err(QuiverError::Syntax(
                    "syntax error at end of input".into(),
                )))
            }
        }
    }
    let kind = rest.first().map(|w| w.to_ascii_lowercase());
    let table = match kind.as_deref() {
        Some("index") => false,
        Some("table") => true,
        Some("schema" | "database" | "system") => {
            return Some(Err(QuiverError::FeatureNotSupported(
                "REINDEX SCHEMA, DATABASE and SYSTEM are not supported; reindex a table or an index"
                    .into(),
            )))
        }
        _ => {
            return Some(Err(QuiverError::Syntax(format!(
                "syntax error at or near \"{}\"",
                rest.first().unwrap_or(&"")
            ))))
        }
    };
    let mut names = rest[1..].to_vec();
    if names
        .first()
        .is_some_and(|w| w.eq_ignore_ascii_case("concurrently"))
    {
        names.remove(0);
    }
    let [name] = names.as_slice() else {
        return Some(Err(QuiverError::Syntax(
            "syntax error at end of input".into(),
        )));
    };
    // The last part of a possibly schema-qualified name.
    let last = name.rsplit('.').next().unwrap_or(name);
    let name = match last.strip_prefix('"').and_then(|n| n.strip_suffix('"')) {
        Some(quoted) => quoted.replace("\"\"", "\""),
        None => last.to_ascii_lowercase(),
    };
    Some(Ok(Command::Reindex { table, name }))
}

#[cfg(test)]
mod command_tests {
    use super::*;

    #[test]
    fn recognises_commands() {
        assert_eq!(
            command("checkpoint;").unwrap().unwrap(),
            Command::Checkpoint
        );
        assert_eq!(
            command("REINDEX INDEX CONCURRENTLY Items_Idx")
                .unwrap()
                .unwrap(),
            Command::Reindex {
                table: false,
                name: "items_idx".into()
            }
        );
        assert_eq!(
            command("reindex (verbose) table public.\"T\"")
                .unwrap()
                .unwrap(),
            Command::Reindex {
                table: true,
                name: "T".into()
            }
        );
        assert!(command("REINDEX foo").unwrap().is_err());
        assert!(command("SELECT 1").is_none());
    }
}
