//! Catalog functions clients call while connecting and introspecting: `version()`,
//! `format_type()`, `to_regtype()`, `pg_table_is_visible()`, `obj_description()`, privilege
//! checks, and the `::regtype` helpers. The type list here also feeds `pg_type`.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, BooleanArray, StringArray, UInt32Array};
use arrow::datatypes::{DataType, Field, FieldRef, UInt32Type};
use datafusion::logical_expr::{ScalarUDF, Volatility};

use super::{bidx, SqlFn};
use crate::error::Result;
use crate::sql::parse::REGTYPE_NAME_FN;
use crate::types::{
    SqlType, HALFVEC_ARRAY_OID, HALFVEC_OID, SPARSEVEC_ARRAY_OID, SPARSEVEC_OID, VECTOR_ARRAY_OID,
    VECTOR_OID,
};

/// The PostgreSQL version we report: psql and drivers choose their catalog queries by it.
pub const PG_VERSION: &str = "17.4";

pub fn version_string() -> String {
    format!(
        "PostgreSQL {PG_VERSION} (quiver {}) on x86_64-pc-linux-gnu, compiled by rustc, 64-bit",
        env!("CARGO_PKG_VERSION")
    )
}

/// One row of `pg_type`: oid, typname, typlen, typtype, typcategory, typelem, typarray, typdelim.
pub struct PgTypeRow {
    pub oid: u32,
    pub name: &'static str,
    pub len: i16,
    pub category: char,
    pub elem: u32,
    pub array: u32,
    /// Namespace: 11 = pg_catalog, 2200 = public (extension types live there).
    pub namespace: u32,
}

pub fn pg_types() -> Vec<PgTypeRow> {
    let b = |oid, name, len, category, array| PgTypeRow {
        oid,
        name,
        len,
        category,
        elem: 0,
        array,
        namespace: 11,
    };
    let array_of = |oid, name, elem, namespace| PgTypeRow {
        oid,
        name,
        len: -1,
        category: 'A',
        elem,
        array: 0,
        namespace,
    };
    let a = |oid, name, elem| array_of(oid, name, elem, 11);
    let mut v = vec![
        b(16, "bool", 1, 'B', 1000),
        b(17, "bytea", -1, 'U', 1001),
        b(18, "char", 1, 'Z', 1002),
        b(19, "name", 64, 'S', 1003),
        b(20, "int8", 8, 'N', 1016),
        b(21, "int2", 2, 'N', 1005),
        b(23, "int4", 4, 'N', 1007),
        b(24, "regproc", 4, 'N', 1008),
        b(25, "text", -1, 'S', 1009),
        b(26, "oid", 4, 'N', 1028),
        b(114, "json", -1, 'U', 199),
        b(700, "float4", 4, 'N', 1021),
        b(701, "float8", 8, 'N', 1022),
        b(705, "unknown", -2, 'X', 0),
        b(1042, "bpchar", -1, 'S', 1014),
        b(1043, "varchar", -1, 'S', 1015),
        b(1082, "date", 4, 'D', 1182),
        b(1083, "time", 8, 'D', 1183),
        b(1114, "timestamp", 8, 'D', 1115),
        b(1184, "timestamptz", 8, 'D', 1185),
        b(1186, "interval", 16, 'T', 1187),
        b(1560, "bit", -1, 'V', 1561),
        b(1562, "varbit", -1, 'V', 1563),
        b(1700, "numeric", -1, 'N', 1231),
        b(2205, "regclass", 4, 'N', 2210),
        b(2206, "regtype", 4, 'N', 2211),
        b(2950, "uuid", 16, 'U', 2951),
        b(3802, "jsonb", -1, 'U', 3807),
        a(1000, "_bool", 16),
        a(1001, "_bytea", 17),
        a(1005, "_int2", 21),
        a(1007, "_int4", 23),
        a(1009, "_text", 25),
        a(1014, "_bpchar", 1042),
        a(1015, "_varchar", 1043),
        a(1016, "_int8", 20),
        a(1021, "_float4", 700),
        a(1022, "_float8", 701),
        a(1028, "_oid", 26),
        a(1115, "_timestamp", 1114),
        a(1182, "_date", 1082),
        a(1185, "_timestamptz", 1184),
        a(1231, "_numeric", 1700),
        a(2951, "_uuid", 2950),
        a(3807, "_jsonb", 3802),
    ];
    for (oid, name, arr) in [
        (VECTOR_OID, "vector", VECTOR_ARRAY_OID),
        (HALFVEC_OID, "halfvec", HALFVEC_ARRAY_OID),
        (SPARSEVEC_OID, "sparsevec", SPARSEVEC_ARRAY_OID),
    ] {
        v.push(PgTypeRow {
            oid,
            name,
            len: -1,
            category: 'U',
            elem: 0,
            array: arr,
            namespace: 2200,
        });
    }
    for (oid, name, elem) in [
        (VECTOR_ARRAY_OID, "_vector", VECTOR_OID),
        (HALFVEC_ARRAY_OID, "_halfvec", HALFVEC_OID),
        (SPARSEVEC_ARRAY_OID, "_sparsevec", SPARSEVEC_OID),
    ] {
        v.push(array_of(oid, name, elem, 2200));
    }
    v
}

/// `'name'::regtype`: the OID of a type given by any of its SQL spellings.
pub fn regtype_oid(name: &str) -> Option<u32> {
    let n = name.trim().trim_matches('"').to_ascii_lowercase();
    let n = n
        .strip_prefix("pg_catalog.")
        .or_else(|| n.strip_prefix("public."))
        .unwrap_or(&n)
        .to_string();
    if let Some(t) = pg_types().into_iter().find(|t| t.name == n) {
        return Some(t.oid);
    }
    SqlType::parse(&n).ok().map(|t| t.oid())
}

/// `oid::regtype::text`: PostgreSQL's display name of a type.
pub fn regtype_name(oid: u32) -> Option<String> {
    if let Some(t) = SqlType::from_oid(oid) {
        return Some(match t {
            SqlType::Vector(_) => "vector".into(),
            SqlType::Halfvec(_) => "halfvec".into(),
            SqlType::Sparsevec(_) => "sparsevec".into(),
            SqlType::Varchar(_) => "character varying".into(),
            SqlType::Char(_) => "character".into(),
            SqlType::Bit(_) => "bit".into(),
            SqlType::Varbit(_) => "bit varying".into(),
            SqlType::Numeric { .. } => "numeric".into(),
            other => other.display_name(),
        });
    }
    pg_types()
        .into_iter()
        .find(|t| t.oid == oid)
        .map(|t| t.name.to_string())
}

fn oid_arg(a: &ArrayRef) -> Result<UInt32Array> {
    let c = arrow::compute::cast(a, &DataType::UInt32)?;
    Ok(c.as_primitive::<UInt32Type>().clone())
}

pub fn udfs() -> Vec<ScalarUDF> {
    let text_fn = |name: &'static str, f: fn(&[ArrayRef], usize) -> Result<ArrayRef>| {
        SqlFn::new(
            name,
            Volatility::Stable,
            Arc::new(move |_: &[FieldRef], _| Ok(Field::new(name, DataType::Utf8, true))),
            Arc::new(move |args: &[ArrayRef], _: &[FieldRef], _: &Field, rows| f(args, rows)),
        )
        .udf()
    };
    let bool_fn = |name: &'static str| {
        SqlFn::new(
            name,
            Volatility::Stable,
            Arc::new(move |_: &[FieldRef], _| Ok(Field::new(name, DataType::Boolean, true))),
            Arc::new(|_: &[ArrayRef], _: &[FieldRef], _: &Field, rows| {
                Ok(Arc::new(BooleanArray::from(vec![true; rows])) as ArrayRef)
            }),
        )
        .udf()
    };
    vec![
        text_fn("version", |_, rows| {
            Ok(Arc::new(StringArray::from(vec![version_string(); rows])))
        }),
        text_fn(REGTYPE_NAME_FN, |args, rows| {
            let o = oid_arg(&args[0])?;
            Ok(Arc::new(StringArray::from(
                (0..rows)
                    .map(|i| {
                        let k = bidx(o.len(), i);
                        if o.is_null(k) {
                            None
                        } else {
                            Some(regtype_name(o.value(k)).unwrap_or_else(|| o.value(k).to_string()))
                        }
                    })
                    .collect::<Vec<_>>(),
            )))
        }),
        text_fn("format_type", |args, rows| {
            let o = oid_arg(&args[0])?;
            let m = match args.get(1) {
                Some(m) => Some(arrow::compute::cast(m, &DataType::Int32)?),
                None => None,
            };
            let m = m
                .as_ref()
                .map(|m| m.as_primitive::<arrow::datatypes::Int32Type>().clone());
            Ok(Arc::new(StringArray::from(
                (0..rows)
                    .map(|i| {
                        let k = bidx(o.len(), i);
                        if o.is_null(k) {
                            return None;
                        }
                        let typmod = m
                            .as_ref()
                            .and_then(|m| {
                                let j = bidx(m.len(), i);
                                (!m.is_null(j)).then(|| m.value(j))
                            })
                            .unwrap_or(-1);
                        Some(format_type(o.value(k), typmod))
                    })
                    .collect::<Vec<_>>(),
            )))
        }),
        text_fn("obj_description", |_, rows| {
            Ok(Arc::new(StringArray::from(vec![None::<String>; rows])))
        }),
        text_fn("col_description", |_, rows| {
            Ok(Arc::new(StringArray::from(vec![None::<String>; rows])))
        }),
        text_fn("shobj_description", |_, rows| {
            Ok(Arc::new(StringArray::from(vec![None::<String>; rows])))
        }),
        text_fn("pg_get_userbyid", |_, rows| {
            Ok(Arc::new(StringArray::from(vec!["postgres"; rows])))
        }),
        text_fn("pg_encoding_to_char", |_, rows| {
            Ok(Arc::new(StringArray::from(vec!["UTF8"; rows])))
        }),
        SqlFn::new(
            "to_regtype",
            Volatility::Stable,
            Arc::new(|_: &[FieldRef], _| Ok(SqlType::Oid.field("to_regtype", true))),
            Arc::new(|args: &[ArrayRef], _: &[FieldRef], _: &Field, rows| {
                let s = arrow::compute::cast(&args[0], &DataType::Utf8)?;
                let s = s.as_string::<i32>();
                Ok(Arc::new(UInt32Array::from(
                    (0..rows)
                        .map(|i| {
                            let k = bidx(s.len(), i);
                            if s.is_null(k) {
                                None
                            } else {
                                regtype_oid(s.value(k))
                            }
                        })
                        .collect::<Vec<_>>(),
                )) as ArrayRef)
            }),
        )
        .udf(),
        SqlFn::new(
            "pg_typeof",
            Volatility::Immutable,
            Arc::new(|_: &[FieldRef], _| Ok(Field::new("pg_typeof", DataType::Utf8, true))),
            Arc::new(|_: &[ArrayRef], fields: &[FieldRef], _: &Field, rows| {
                let name = match fields.first() {
                    Some(f) if f.data_type() == &DataType::Null => "unknown".to_string(),
                    Some(f) => {
                        let t = SqlType::of_field(f);
                        regtype_name(t.oid()).unwrap_or_else(|| t.display_name())
                    }
                    None => "unknown".to_string(),
                };
                Ok(Arc::new(StringArray::from(vec![name; rows])) as ArrayRef)
            }),
        )
        .udf(),
        bool_fn("pg_table_is_visible"),
        bool_fn("pg_type_is_visible"),
        bool_fn("has_table_privilege"),
        bool_fn("has_schema_privilege"),
        bool_fn("has_database_privilege"),
        bool_fn("has_column_privilege"),
    ]
}

/// PostgreSQL's `format_type(oid, typmod)`.
pub fn format_type(oid: u32, typmod: i32) -> String {
    let Some(t) = SqlType::from_oid(oid) else {
        return regtype_name(oid).unwrap_or_else(|| "???".into());
    };
    let m = (typmod >= 0).then_some(typmod);
    let t = match t {
        SqlType::Vector(_) => SqlType::Vector(m.map(|m| m as u32)),
        SqlType::Halfvec(_) => SqlType::Halfvec(m.map(|m| m as u32)),
        SqlType::Sparsevec(_) => SqlType::Sparsevec(m.map(|m| m as u32)),
        SqlType::Bit(_) => SqlType::Bit(m.map(|m| m as u32)),
        SqlType::Varchar(_) => SqlType::Varchar(m.map(|m| (m - 4) as u32)),
        SqlType::Char(_) => SqlType::Char(m.map(|m| (m - 4) as u32)),
        SqlType::Numeric { .. } => match m {
            Some(m) => SqlType::Numeric {
                precision: Some((((m - 4) >> 16) & 0xffff) as u8),
                scale: Some(((m - 4) & 0xffff) as i8),
            },
            None => SqlType::Numeric {
                precision: None,
                scale: None,
            },
        },
        other => other,
    };
    t.display_name()
}
