//! PostgreSQL's full-text search functions and operators over `tsvector` / `tsquery` values
//! (kept as canonical text, see `crate::types`): `to_tsvector`, `to_tsquery`, `plainto_tsquery`,
//! `phraseto_tsquery`, `websearch_to_tsquery`, `ts_rank`, `ts_rank_cd`, `setweight`, `strip`,
//! `length`, `numnode`, `get_current_ts_config`, and the operators `@@` (`ts_match`), `||` on
//! tsvectors (`tsvector_concat`) and on tsqueries (`tsquery_or`), `&&` (`tsquery_and`) and `!!`
//! (`tsquery_not`). The text-search logic itself lives in `crate::text::tsearch`.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, BooleanArray, Float32Array, Int32Array, StringArray};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::logical_expr::{ScalarUDF, Volatility};

use super::{arg_type, bidx, no_such_function, SqlFn};
use crate::error::{QuiverError, Result};
use crate::sql::vector_array::vectors_of;
use crate::text::tsearch::{self, TsConfig, TsQuery, TsVector};
use crate::types::SqlType;

/// The internal names the operator planner maps `@@`, `||`, `&&` and `!!` to.
pub const TS_MATCH: &str = "ts_match";
pub const TSVECTOR_CONCAT: &str = "tsvector_concat";
pub const TSQUERY_AND: &str = "tsquery_and";
pub const TSQUERY_OR: &str = "tsquery_or";
pub const TSQUERY_NOT: &str = "tsquery_not";

/// Where the functions without a configuration argument read `default_text_search_config`.
pub type DefaultConfig = Arc<dyn Fn() -> TsConfig + Send + Sync>;

pub fn udfs() -> Vec<ScalarUDF> {
    let mut all = session_udfs(Arc::new(|| tsearch::DEFAULT_CONFIG));
    all.extend([
        rank("ts_rank"),
        rank("ts_rank_cd"),
        setweight(),
        unary_vector("strip", SqlType::TsVector),
        unary_vector("length", SqlType::Int4),
        numnode(),
        binary_tsvector(TSVECTOR_CONCAT),
        binary_tsquery(TSQUERY_AND),
        binary_tsquery(TSQUERY_OR),
        tsquery_not(),
    ]);
    all
}

/// The functions that read `default_text_search_config` when not given a configuration
/// (`to_tsvector(text)`, the query constructors, `text @@ text`, `get_current_ts_config()`), with
/// `default` supplying it; a session registers its own over the engine's.
pub fn session_udfs(default: DefaultConfig) -> Vec<ScalarUDF> {
    vec![
        to_tsvector(default.clone()),
        query_fn("to_tsquery", default.clone()),
        query_fn("plainto_tsquery", default.clone()),
        query_fn("phraseto_tsquery", default.clone()),
        query_fn("websearch_to_tsquery", default.clone()),
        ts_match(default.clone()),
        get_current_ts_config(default),
    ]
}

/// Row values of a text-like argument (any string array, or NULL).
fn texts(a: &ArrayRef) -> Result<StringArray> {
    if a.data_type() == &DataType::Utf8 {
        return Ok(a.as_string::<i32>().clone());
    }
    let c = cast(a, &DataType::Utf8)?;
    Ok(c.as_string::<i32>().clone())
}

fn is_text(t: &SqlType) -> bool {
    matches!(
        t,
        SqlType::Text | SqlType::Varchar(_) | SqlType::Char(_) | SqlType::Regconfig
    )
}

fn config_of(s: &str) -> Result<TsConfig> {
    Ok(TsConfig::from_name(s)?)
}

/// `f([config,] text)`: the common shape of `to_tsvector` and the query constructors.
fn config_and_text(name: &str, fields: &[FieldRef]) -> Result<()> {
    let ok = match fields.len() {
        1 => is_text(&arg_type(&fields[0])),
        2 => is_text(&arg_type(&fields[0])) && is_text(&arg_type(&fields[1])),
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(no_such_function(name, fields))
    }
}

/// Evaluates `f(config, text)` row by row (constant arguments broadcast).
fn map_config_text(
    args: &[ArrayRef],
    rows: usize,
    default: TsConfig,
    f: impl Fn(TsConfig, &str) -> Result<String>,
) -> Result<ArrayRef> {
    let (cfgs, docs) = match args {
        [doc] => (None, texts(doc)?),
        [cfg, doc] => (Some(texts(cfg)?), texts(doc)?),
        _ => return Err(QuiverError::Internal("text search arity".into())),
    };
    let mut out = Vec::with_capacity(rows);
    for i in 0..rows {
        let cfg = match &cfgs {
            None => default,
            Some(c) => {
                let j = bidx(c.len(), i);
                if c.is_null(j) {
                    out.push(None);
                    continue;
                }
                config_of(c.value(j))?
            }
        };
        let j = bidx(docs.len(), i);
        if docs.is_null(j) {
            out.push(None);
            continue;
        }
        out.push(Some(f(cfg, docs.value(j))?));
    }
    Ok(Arc::new(StringArray::from(out)))
}

fn to_tsvector(default: DefaultConfig) -> ScalarUDF {
    SqlFn::new(
        "to_tsvector",
        // Stable as PostgreSQL's one-argument form: it reads default_text_search_config.
        Volatility::Stable,
        Arc::new(|fields: &[FieldRef], _| {
            config_and_text("to_tsvector", fields)?;
            Ok(SqlType::TsVector.field("to_tsvector", true))
        }),
        Arc::new(
            move |args: &[ArrayRef], _fields: &[FieldRef], _ret: &Field, rows| {
                map_config_text(args, rows, default(), |cfg, text| {
                    Ok(tsearch::to_tsvector(cfg, text).to_string())
                })
            },
        ),
    )
    .udf()
}

fn query_fn(name: &'static str, default: DefaultConfig) -> ScalarUDF {
    SqlFn::new(
        name,
        Volatility::Stable,
        Arc::new(move |fields: &[FieldRef], _| {
            config_and_text(name, fields)?;
            Ok(SqlType::TsQuery.field(name, true))
        }),
        Arc::new(
            move |args: &[ArrayRef], _fields: &[FieldRef], _ret: &Field, rows| {
                map_config_text(args, rows, default(), |cfg, text| {
                    let q = match name {
                        "to_tsquery" => tsearch::to_tsquery(cfg, text)?,
                        "plainto_tsquery" => tsearch::plainto_tsquery(cfg, text),
                        "phraseto_tsquery" => tsearch::phraseto_tsquery(cfg, text),
                        _ => tsearch::websearch_to_tsquery(cfg, text),
                    };
                    Ok(q.to_string())
                })
            },
        ),
    )
    .udf()
}

/// Parses a `tsvector` argument: stored values are canonical, text literals are parsed as input.
fn vector_at(a: &StringArray, i: usize) -> Result<Option<TsVector>> {
    let j = bidx(a.len(), i);
    if a.is_null(j) {
        return Ok(None);
    }
    Ok(Some(a.value(j).parse::<TsVector>()?))
}

fn query_at(a: &StringArray, i: usize) -> Result<Option<TsQuery>> {
    let j = bidx(a.len(), i);
    if a.is_null(j) {
        return Ok(None);
    }
    Ok(Some(a.value(j).parse::<TsQuery>()?))
}

/// `ts_rank([weights real[],] tsvector, tsquery [, normalization int])` and `ts_rank_cd`.
fn rank(name: &'static str) -> ScalarUDF {
    SqlFn::new(
        name,
        Volatility::Immutable,
        Arc::new(move |fields: &[FieldRef], _| {
            let types: Vec<SqlType> = fields.iter().map(arg_type).collect();
            let weighted = has_weights(&types);
            let rest = if weighted { &types[1..] } else { &types[..] };
            let ok = matches!(rest.len(), 2 | 3)
                && matches!(rest[0], SqlType::TsVector | SqlType::Text)
                && matches!(rest[1], SqlType::TsQuery | SqlType::Text)
                && rest
                    .get(2)
                    .is_none_or(|t| matches!(t, SqlType::Int2 | SqlType::Int4 | SqlType::Int8));
            if !ok {
                return Err(no_such_function(name, fields));
            }
            Ok(Field::new(name, DataType::Float32, true))
        }),
        Arc::new(
            move |args: &[ArrayRef], fields: &[FieldRef], _ret: &Field, rows| {
                let types: Vec<SqlType> = fields.iter().map(arg_type).collect();
                let weighted = has_weights(&types);
                let weights = if !weighted {
                    None
                } else if matches!(types[0], SqlType::Array(_)) {
                    Some(vectors_of(args[0].as_ref())?)
                } else {
                    // An untyped '{0.1, 0.2, 0.4, 1.0}' literal, read as real[].
                    let t = texts(&args[0])?;
                    Some(
                        (0..t.len())
                            .map(|i| {
                                (!t.is_null(i))
                                    .then(|| weights_literal(t.value(i)))
                                    .transpose()
                            })
                            .collect::<Result<Vec<_>>>()?,
                    )
                };
                let rest = if weighted { &args[1..] } else { args };
                let vecs = texts(&rest[0])?;
                let queries = texts(&rest[1])?;
                let norms = match rest.get(2) {
                    Some(n) => Some(
                        cast(n, &DataType::Int32)?
                            .as_primitive::<arrow::datatypes::Int32Type>()
                            .clone(),
                    ),
                    None => None,
                };
                let mut out = Vec::with_capacity(rows);
                for i in 0..rows {
                    let w = match &weights {
                        None => None,
                        Some(ws) => match &ws[bidx(ws.len(), i)] {
                            None => {
                                out.push(None);
                                continue;
                            }
                            Some(w) => Some(rank_weights(w)?),
                        },
                    };
                    let norm = match &norms {
                        None => 0,
                        Some(n) => {
                            let j = bidx(n.len(), i);
                            if n.is_null(j) {
                                out.push(None);
                                continue;
                            }
                            n.value(j)
                        }
                    };
                    let (Some(v), Some(q)) = (vector_at(&vecs, i)?, query_at(&queries, i)?) else {
                        out.push(None);
                        continue;
                    };
                    out.push(Some(if name == "ts_rank" {
                        tsearch::ts_rank(w, &v, &q, norm)
                    } else {
                        tsearch::ts_rank_cd(w, &v, &q, norm)
                    }));
                }
                Ok(Arc::new(Float32Array::from(out)) as ArrayRef)
            },
        ),
    )
    .udf()
}

/// Whether `ts_rank`'s first argument is the weights array (`real[]`, or an untyped literal
/// followed by the tsvector).
fn has_weights(types: &[SqlType]) -> bool {
    match types {
        [SqlType::Array(_), ..] => true,
        [SqlType::Text, SqlType::TsVector, ..] => true,
        [SqlType::Text, SqlType::Text, _, _] => true,
        _ => false,
    }
}

/// `'{0.1, 0.2, 0.4, 1.0}'` as a float array.
fn weights_literal(s: &str) -> Result<Vec<f32>> {
    let bad = || QuiverError::InvalidTextRepresentation {
        type_name: "real".into(),
        input: s.to_string(),
    };
    let inner = s
        .trim()
        .strip_prefix('{')
        .and_then(|x| x.strip_suffix('}'))
        .ok_or_else(|| {
            QuiverError::InvalidTextValue(format!("malformed array literal: \"{s}\""))
        })?;
    inner
        .split(',')
        .map(|x| {
            let x = x.trim();
            if x.eq_ignore_ascii_case("null") {
                return Err(QuiverError::NullValueNotAllowed(
                    "array of weight must not contain nulls".into(),
                ));
            }
            x.parse::<f32>().map_err(|_| bad())
        })
        .collect()
}

/// The `{D, C, B, A}` weights array of `ts_rank`, checked as PostgreSQL checks it.
fn rank_weights(w: &[f32]) -> Result<[f32; 4]> {
    Ok(tsearch::check_weights(w)?)
}

fn setweight() -> ScalarUDF {
    SqlFn::new(
        "setweight",
        Volatility::Immutable,
        Arc::new(|fields: &[FieldRef], _| {
            let t: Vec<SqlType> = fields.iter().map(arg_type).collect();
            if t.len() != 2 || !matches!(t[0], SqlType::TsVector | SqlType::Text) {
                return Err(no_such_function("setweight", fields));
            }
            Ok(SqlType::TsVector.field("setweight", true))
        }),
        Arc::new(
            |args: &[ArrayRef], _fields: &[FieldRef], _ret: &Field, rows| {
                let vecs = texts(&args[0])?;
                let weights = texts(&args[1])?;
                let mut out = Vec::with_capacity(rows);
                for i in 0..rows {
                    let j = bidx(weights.len(), i);
                    let Some(v) = vector_at(&vecs, i)? else {
                        out.push(None);
                        continue;
                    };
                    if weights.is_null(j) {
                        out.push(None);
                        continue;
                    }
                    let w = weights.value(j).chars().next().unwrap_or(' ');
                    out.push(Some(tsearch::setweight(&v, w)?.to_string()));
                }
                Ok(Arc::new(StringArray::from(out)) as ArrayRef)
            },
        ),
    )
    .udf()
}

/// `strip(tsvector)` and `length(tsvector)`; `length` of any other argument is PostgreSQL's
/// `length` for strings (characters), bytea (bytes) and bit strings (bits).
fn unary_vector(name: &'static str, ret: SqlType) -> ScalarUDF {
    SqlFn::new(
        name,
        Volatility::Immutable,
        Arc::new(move |fields: &[FieldRef], _| {
            if fields.len() != 1 {
                return Err(no_such_function(name, fields));
            }
            let t = arg_type(&fields[0]);
            let ok = match name {
                "strip" => matches!(t, SqlType::TsVector | SqlType::Text),
                _ => !matches!(t, SqlType::Array(_)) && !t.is_vector_like(),
            };
            if !ok {
                return Err(no_such_function(name, fields));
            }
            Ok(ret.field(name, true))
        }),
        Arc::new(
            move |args: &[ArrayRef], fields: &[FieldRef], _ret: &Field, rows| {
                let t = arg_type(&fields[0]);
                if name == "length" && t != SqlType::TsVector {
                    if let DataType::Binary | DataType::LargeBinary | DataType::BinaryView =
                        args[0].data_type()
                    {
                        let b = cast(&args[0], &DataType::Binary)?;
                        let b = b.as_binary::<i32>();
                        let out: Int32Array = (0..rows)
                            .map(|i| {
                                let j = bidx(b.len(), i);
                                (!b.is_null(j)).then(|| b.value(j).len() as i32)
                            })
                            .collect();
                        return Ok(Arc::new(out) as ArrayRef);
                    }
                    let s = texts(&args[0])?;
                    let out: Int32Array = (0..rows)
                        .map(|i| {
                            let j = bidx(s.len(), i);
                            (!s.is_null(j)).then(|| s.value(j).chars().count() as i32)
                        })
                        .collect();
                    return Ok(Arc::new(out) as ArrayRef);
                }
                let vecs = texts(&args[0])?;
                if name == "strip" {
                    let mut out = Vec::with_capacity(rows);
                    for i in 0..rows {
                        out.push(vector_at(&vecs, i)?.map(|v| tsearch::strip(&v).to_string()));
                    }
                    return Ok(Arc::new(StringArray::from(out)) as ArrayRef);
                }
                let mut out = Vec::with_capacity(rows);
                for i in 0..rows {
                    out.push(vector_at(&vecs, i)?.map(|v| tsearch::length(&v)));
                }
                Ok(Arc::new(Int32Array::from(out)) as ArrayRef)
            },
        ),
    )
    .udf()
}

fn numnode() -> ScalarUDF {
    SqlFn::new(
        "numnode",
        Volatility::Immutable,
        Arc::new(|fields: &[FieldRef], _| {
            if fields.len() != 1
                || !matches!(arg_type(&fields[0]), SqlType::TsQuery | SqlType::Text)
            {
                return Err(no_such_function("numnode", fields));
            }
            Ok(Field::new("numnode", DataType::Int32, true))
        }),
        Arc::new(
            |args: &[ArrayRef], _fields: &[FieldRef], _ret: &Field, rows| {
                let q = texts(&args[0])?;
                let mut out = Vec::with_capacity(rows);
                for i in 0..rows {
                    out.push(query_at(&q, i)?.map(|q| tsearch::numnode(&q)));
                }
                Ok(Arc::new(Int32Array::from(out)) as ArrayRef)
            },
        ),
    )
    .udf()
}

/// The document side of `@@`: a tsvector as is, text through `to_tsvector` (PostgreSQL's
/// `text @@ tsquery` and `text @@ text` operators).
enum Doc {
    Vector,
    Text,
}

/// `@@`: `tsvector @@ tsquery` (either order), `text @@ tsquery`, `text @@ text`.
fn ts_match(default: DefaultConfig) -> ScalarUDF {
    fn sides(fields: &[FieldRef]) -> Option<(usize, Doc, bool)> {
        // (index of the document argument, how to read it, whether the query is plain text)
        let a = arg_type(&fields[0]);
        let b = arg_type(&fields[1]);
        Some(match (&a, &b) {
            (SqlType::TsVector, SqlType::TsQuery | SqlType::Text) => (0, Doc::Vector, false),
            (SqlType::TsQuery, SqlType::TsVector) => (1, Doc::Vector, false),
            (SqlType::TsQuery, t) if is_text(t) => (1, Doc::Text, false),
            (t, SqlType::TsQuery) if is_text(t) => (0, Doc::Text, false),
            (t, u) if is_text(t) && is_text(u) => (0, Doc::Text, true),
            _ => return None,
        })
    }
    SqlFn::new(
        TS_MATCH,
        Volatility::Immutable,
        Arc::new(|fields: &[FieldRef], _| {
            if fields.len() != 2 || sides(fields).is_none() {
                let t: Vec<String> = fields.iter().map(|f| arg_type(f).display_name()).collect();
                return Err(QuiverError::UndefinedFunction(format!(
                    "operator does not exist: {} @@ {}",
                    t.first().map(String::as_str).unwrap_or("unknown"),
                    t.get(1).map(String::as_str).unwrap_or("unknown")
                )));
            }
            Ok(Field::new(TS_MATCH, DataType::Boolean, true))
        }),
        Arc::new(
            move |args: &[ArrayRef], fields: &[FieldRef], _ret: &Field, rows| {
                let cfg = default();
                let (d, doc, plain) = sides(fields).expect("checked");
                let docs = texts(&args[d])?;
                let queries = texts(&args[1 - d])?;
                // A constant query is parsed once.
                let constant = if queries.len() == 1 && !queries.is_null(0) {
                    Some(if plain {
                        tsearch::plainto_tsquery(cfg, queries.value(0))
                    } else {
                        queries.value(0).parse::<TsQuery>()?
                    })
                } else {
                    None
                };
                let mut out = Vec::with_capacity(rows);
                for i in 0..rows {
                    let j = bidx(docs.len(), i);
                    let q = match &constant {
                        Some(q) => Some(q.clone()),
                        None => {
                            let k = bidx(queries.len(), i);
                            if queries.is_null(k) {
                                None
                            } else if plain {
                                Some(tsearch::plainto_tsquery(cfg, queries.value(k)))
                            } else {
                                Some(queries.value(k).parse::<TsQuery>()?)
                            }
                        }
                    };
                    let (Some(q), false) = (q, docs.is_null(j)) else {
                        out.push(None);
                        continue;
                    };
                    let v = match doc {
                        Doc::Vector => docs.value(j).parse::<TsVector>()?,
                        Doc::Text => tsearch::to_tsvector(cfg, docs.value(j)),
                    };
                    out.push(Some(tsearch::ts_match(&v, &q)));
                }
                Ok(Arc::new(BooleanArray::from(out)) as ArrayRef)
            },
        ),
    )
    .udf()
}

fn binary_tsvector(name: &'static str) -> ScalarUDF {
    SqlFn::new(
        name,
        Volatility::Immutable,
        Arc::new(move |fields: &[FieldRef], _| {
            if fields.len() != 2 {
                return Err(no_such_function(name, fields));
            }
            Ok(SqlType::TsVector.field(name, true))
        }),
        Arc::new(
            |args: &[ArrayRef], _fields: &[FieldRef], _ret: &Field, rows| {
                let a = texts(&args[0])?;
                let b = texts(&args[1])?;
                let mut out = Vec::with_capacity(rows);
                for i in 0..rows {
                    out.push(match (vector_at(&a, i)?, vector_at(&b, i)?) {
                        (Some(x), Some(y)) => Some(tsearch::concat(&x, &y).to_string()),
                        _ => None,
                    });
                }
                Ok(Arc::new(StringArray::from(out)) as ArrayRef)
            },
        ),
    )
    .udf()
}

fn binary_tsquery(name: &'static str) -> ScalarUDF {
    SqlFn::new(
        name,
        Volatility::Immutable,
        Arc::new(move |fields: &[FieldRef], _| {
            if fields.len() != 2 {
                return Err(no_such_function(name, fields));
            }
            Ok(SqlType::TsQuery.field(name, true))
        }),
        Arc::new(
            move |args: &[ArrayRef], _fields: &[FieldRef], _ret: &Field, rows| {
                let a = texts(&args[0])?;
                let b = texts(&args[1])?;
                let mut out = Vec::with_capacity(rows);
                for i in 0..rows {
                    out.push(match (query_at(&a, i)?, query_at(&b, i)?) {
                        (Some(x), Some(y)) => Some(
                            if name == TSQUERY_AND {
                                tsearch::tsquery_and(&x, &y)
                            } else {
                                tsearch::tsquery_or(&x, &y)
                            }
                            .to_string(),
                        ),
                        _ => None,
                    });
                }
                Ok(Arc::new(StringArray::from(out)) as ArrayRef)
            },
        ),
    )
    .udf()
}

fn tsquery_not() -> ScalarUDF {
    SqlFn::new(
        TSQUERY_NOT,
        Volatility::Immutable,
        Arc::new(|fields: &[FieldRef], _| {
            if fields.len() != 1 {
                return Err(no_such_function(TSQUERY_NOT, fields));
            }
            Ok(SqlType::TsQuery.field(TSQUERY_NOT, true))
        }),
        Arc::new(
            |args: &[ArrayRef], _fields: &[FieldRef], _ret: &Field, rows| {
                let a = texts(&args[0])?;
                let mut out = Vec::with_capacity(rows);
                for i in 0..rows {
                    out.push(query_at(&a, i)?.map(|q| tsearch::tsquery_not(&q).to_string()));
                }
                Ok(Arc::new(StringArray::from(out)) as ArrayRef)
            },
        ),
    )
    .udf()
}

fn get_current_ts_config(default: DefaultConfig) -> ScalarUDF {
    SqlFn::new(
        "get_current_ts_config",
        Volatility::Stable,
        Arc::new(|fields: &[FieldRef], _| {
            if !fields.is_empty() {
                return Err(no_such_function("get_current_ts_config", fields));
            }
            Ok(SqlType::Regconfig.field("get_current_ts_config", false))
        }),
        Arc::new(
            move |_args: &[ArrayRef], _fields: &[FieldRef], _ret: &Field, rows| {
                Ok(
                    Arc::new(StringArray::from(vec![Some(default().name()); rows.max(1)]))
                        as ArrayRef,
                )
            },
        ),
    )
    .udf()
}
