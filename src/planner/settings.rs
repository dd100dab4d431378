//! Session settings (`SET`, `SET LOCAL`, `SHOW`, `RESET`, `current_setting`, `set_config`):
//! PostgreSQL's client-visible parameters and pgvector's index parameters, validated as
//! PostgreSQL validates them, with transaction-scoped undo.

use std::collections::{BTreeMap, HashMap};

use crate::error::{QuiverError, Result};

#[derive(Debug, Clone, Copy)]
enum Kind {
    /// Free text (client_encoding, application_name, ...).
    Text,
    Int {
        min: i64,
        max: i64,
    },
    Bool,
    Enum(&'static [&'static str]),
}

struct Def {
    name: &'static str,
    default: &'static str,
    kind: Kind,
}

const ITERATIVE: &[&str] = &["off", "relaxed_order", "strict_order"];
const IVF_ITERATIVE: &[&str] = &["off", "relaxed_order"];

const DEFS: &[Def] = &[
    Def {
        name: "application_name",
        default: "",
        kind: Kind::Text,
    },
    Def {
        name: "client_encoding",
        default: "UTF8",
        kind: Kind::Text,
    },
    Def {
        name: "datestyle",
        default: "ISO, MDY",
        kind: Kind::Text,
    },
    Def {
        name: "timezone",
        default: "UTC",
        kind: Kind::Text,
    },
    Def {
        name: "intervalstyle",
        default: "postgres",
        kind: Kind::Text,
    },
    Def {
        name: "search_path",
        default: "\"$user\", public",
        kind: Kind::Text,
    },
    Def {
        name: "standard_conforming_strings",
        default: "on",
        kind: Kind::Bool,
    },
    Def {
        name: "extra_float_digits",
        default: "1",
        kind: Kind::Int { min: -15, max: 3 },
    },
    Def {
        name: "statement_timeout",
        default: "0",
        kind: Kind::Text,
    },
    Def {
        name: "lock_timeout",
        default: "0",
        kind: Kind::Text,
    },
    Def {
        name: "idle_in_transaction_session_timeout",
        default: "0",
        kind: Kind::Text,
    },
    Def {
        name: "default_transaction_isolation",
        default: "read committed",
        kind: Kind::Text,
    },
    Def {
        name: "transaction_isolation",
        default: "read committed",
        kind: Kind::Text,
    },
    Def {
        name: "default_transaction_read_only",
        default: "off",
        kind: Kind::Bool,
    },
    Def {
        name: "transaction_read_only",
        default: "off",
        kind: Kind::Bool,
    },
    Def {
        name: "synchronous_commit",
        default: "on",
        kind: Kind::Text,
    },
    Def {
        name: "bytea_output",
        default: "hex",
        kind: Kind::Enum(&["hex", "escape"]),
    },
    Def {
        name: "server_version",
        default: "17.4",
        kind: Kind::Text,
    },
    Def {
        name: "server_version_num",
        default: "170004",
        kind: Kind::Text,
    },
    Def {
        name: "server_encoding",
        default: "UTF8",
        kind: Kind::Text,
    },
    Def {
        name: "integer_datetimes",
        default: "on",
        kind: Kind::Bool,
    },
    Def {
        name: "max_identifier_length",
        default: "63",
        kind: Kind::Text,
    },
    Def {
        name: "is_superuser",
        default: "on",
        kind: Kind::Bool,
    },
    Def {
        name: "lc_messages",
        default: "C",
        kind: Kind::Text,
    },
    Def {
        name: "lc_monetary",
        default: "C",
        kind: Kind::Text,
    },
    Def {
        name: "lc_numeric",
        default: "C",
        kind: Kind::Text,
    },
    Def {
        name: "lc_time",
        default: "C",
        kind: Kind::Text,
    },
    Def {
        name: "work_mem",
        default: "4MB",
        kind: Kind::Text,
    },
    Def {
        name: "maintenance_work_mem",
        default: "64MB",
        kind: Kind::Text,
    },
    Def {
        name: "max_parallel_workers_per_gather",
        default: "2",
        kind: Kind::Int { min: 0, max: 1024 },
    },
    Def {
        name: "max_parallel_maintenance_workers",
        default: "2",
        kind: Kind::Int { min: 0, max: 1024 },
    },
    Def {
        name: "enable_indexscan",
        default: "on",
        kind: Kind::Bool,
    },
    Def {
        name: "enable_seqscan",
        default: "on",
        kind: Kind::Bool,
    },
    Def {
        name: "enable_bitmapscan",
        default: "on",
        kind: Kind::Bool,
    },
    Def {
        name: "jit",
        default: "off",
        kind: Kind::Bool,
    },
    Def {
        name: "row_security",
        default: "on",
        kind: Kind::Bool,
    },
    Def {
        name: "client_min_messages",
        default: "notice",
        kind: Kind::Text,
    },
    Def {
        // The configuration of `to_tsvector(text)` and friends (the session's functions read it).
        name: "default_text_search_config",
        default: "pg_catalog.english",
        kind: Kind::Text,
    },
    Def {
        name: "hnsw.ef_search",
        default: "40",
        kind: Kind::Int { min: 1, max: 1000 },
    },
    Def {
        name: "hnsw.iterative_scan",
        default: "off",
        kind: Kind::Enum(ITERATIVE),
    },
    Def {
        name: "hnsw.max_scan_tuples",
        default: "20000",
        kind: Kind::Int {
            min: 1,
            max: i32::MAX as i64,
        },
    },
    Def {
        name: "hnsw.scan_mem_multiplier",
        default: "1",
        kind: Kind::Int { min: 1, max: 1000 },
    },
    Def {
        name: "ivfflat.probes",
        default: "1",
        kind: Kind::Int { min: 1, max: 32768 },
    },
    Def {
        name: "ivfflat.iterative_scan",
        default: "off",
        kind: Kind::Enum(IVF_ITERATIVE),
    },
    Def {
        name: "ivfflat.max_probes",
        default: "32768",
        kind: Kind::Int { min: 1, max: 32768 },
    },
];

fn def(name: &str) -> Option<&'static Def> {
    DEFS.iter().find(|d| d.name == name)
}

/// PostgreSQL names: case-insensitive.
pub fn normalize_name(name: &str) -> String {
    name.trim().trim_matches('"').to_ascii_lowercase()
}

fn validate(name: &str, value: &str) -> Result<String> {
    let Some(d) = def(name) else {
        if name.contains('.') {
            return Ok(value.to_string());
        }
        return Err(QuiverError::UnrecognizedParameter(name.to_string()));
    };
    let invalid = || {
        QuiverError::InvalidParameterValue(format!(
            "invalid value for parameter \"{name}\": \"{value}\""
        ))
    };
    match d.kind {
        // A configuration name, resolved and stored qualified as PostgreSQL shows it.
        Kind::Text if d.name == "default_text_search_config" => {
            crate::text::tsearch::TsConfig::from_name(value)
                .map(|c| format!("pg_catalog.{}", c.name()))
                .map_err(|_| invalid())
        }
        Kind::Text => Ok(value.to_string()),
        Kind::Int { min, max } => {
            let v: i64 = value.trim().parse().map_err(|_| invalid())?;
            if v < min || v > max {
                return Err(QuiverError::InvalidParameterValue(format!(
                    "{v} is outside the valid range for parameter \"{name}\" ({min} .. {max})"
                )));
            }
            Ok(v.to_string())
        }
        Kind::Bool => match value.trim().to_ascii_lowercase().as_str() {
            "on" | "true" | "yes" | "1" | "t" | "y" => Ok("on".into()),
            "off" | "false" | "no" | "0" | "f" | "n" => Ok("off".into()),
            _ => Err(QuiverError::InvalidParameterValue(format!(
                "parameter \"{name}\" requires a Boolean value"
            ))),
        },
        Kind::Enum(values) => {
            let v = value.trim().to_ascii_lowercase();
            if values.contains(&v.as_str()) {
                Ok(v)
            } else {
                Err(invalid())
            }
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Settings {
    values: HashMap<String, String>,
    /// Values saved at BEGIN, restored at ROLLBACK.
    txn_saved: Option<HashMap<String, String>>,
    /// For SET LOCAL: the value each name had before its first SET LOCAL in this transaction.
    local_saved: BTreeMap<String, Option<String>>,
    /// Bumped on every change: plans that depend on settings (the ANN rule reads
    /// `hnsw.ef_search` and friends) are cached per generation.
    generation: u64,
}

impl Settings {
    /// Changes whenever any value may have changed.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    pub fn get(&self, name: &str) -> Result<String> {
        let name = normalize_name(name);
        if let Some(v) = self.values.get(&name) {
            return Ok(v.clone());
        }
        match def(&name) {
            Some(d) => Ok(d.default.to_string()),
            None => Err(QuiverError::UnrecognizedParameter(name)),
        }
    }

    /// An integer setting, for the executor (`hnsw.ef_search`, ...).
    pub fn get_i64(&self, name: &str) -> i64 {
        self.get(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }

    pub fn get_bool(&self, name: &str) -> bool {
        self.get(name).map(|v| v == "on").unwrap_or(false)
    }

    pub fn set(&mut self, name: &str, value: &str, local: bool, in_txn: bool) -> Result<()> {
        let name = normalize_name(name);
        let v = validate(&name, value)?;
        if local {
            if !in_txn {
                // PostgreSQL warns and ignores SET LOCAL outside a transaction block.
                return Ok(());
            }
            let prev = self.values.get(&name).cloned();
            self.local_saved.entry(name.clone()).or_insert(prev);
        }
        self.values.insert(name, v);
        self.generation += 1;
        Ok(())
    }

    pub fn reset(&mut self, name: &str) -> Result<()> {
        let name = normalize_name(name);
        if def(&name).is_none() && !name.contains('.') {
            return Err(QuiverError::UnrecognizedParameter(name));
        }
        self.values.remove(&name);
        self.generation += 1;
        Ok(())
    }

    pub fn reset_all(&mut self) {
        self.values.clear();
        self.generation += 1;
    }

    pub fn begin(&mut self) {
        self.txn_saved = Some(self.values.clone());
        self.local_saved.clear();
    }

    pub fn commit(&mut self) {
        for (name, prev) in std::mem::take(&mut self.local_saved) {
            match prev {
                Some(v) => self.values.insert(name, v),
                None => self.values.remove(&name),
            };
        }
        self.txn_saved = None;
        self.generation += 1;
    }

    pub fn rollback(&mut self) {
        if let Some(saved) = self.txn_saved.take() {
            self.values = saved;
        }
        self.local_saved.clear();
        self.generation += 1;
    }

    /// Every known parameter with its current value (pg_settings, SHOW ALL).
    pub fn all(&self) -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = DEFS
            .iter()
            .map(|d| {
                (
                    d.name.to_string(),
                    self.values
                        .get(d.name)
                        .cloned()
                        .unwrap_or(d.default.to_string()),
                )
            })
            .collect();
        for (k, val) in &self.values {
            if def(k).is_none() {
                v.push((k.clone(), val.clone()));
            }
        }
        v.sort();
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pgvector_settings_validate() {
        let mut s = Settings::default();
        assert_eq!(s.get("hnsw.ef_search").unwrap(), "40");
        s.set("hnsw.ef_search", "100", false, false).unwrap();
        assert_eq!(s.get("HNSW.EF_SEARCH").unwrap(), "100");
        let e = s.set("hnsw.ef_search", "0", false, false).unwrap_err();
        assert_eq!(
            e.to_string(),
            "0 is outside the valid range for parameter \"hnsw.ef_search\" (1 .. 1000)"
        );
        assert!(s
            .set("hnsw.iterative_scan", "sideways", false, false)
            .is_err());
        assert!(s.set("nosuch", "1", false, false).is_err());
        s.set("myapp.flag", "x", false, false).unwrap();
    }

    #[test]
    fn set_local_reverts_at_commit_and_rollback_restores() {
        let mut s = Settings::default();
        s.begin();
        s.set("hnsw.ef_search", "77", true, true).unwrap();
        assert_eq!(s.get("hnsw.ef_search").unwrap(), "77");
        s.commit();
        assert_eq!(s.get("hnsw.ef_search").unwrap(), "40");
        s.begin();
        s.set("hnsw.ef_search", "55", false, true).unwrap();
        s.rollback();
        assert_eq!(s.get("hnsw.ef_search").unwrap(), "40");
    }
}
