//! SQL column types: the PostgreSQL / pgvector names users write, their Arrow representation inside
//! the engine, and their wire identity (type OID and typmod).
//!
//! Arrow cannot tell `vector` from `real[]` by shape alone, so every field whose PostgreSQL type is not
//! implied by its Arrow type carries the type's name in field metadata under [`PG_TYPE_KEY`]. Encoders
//! read that key to choose OIDs and text/binary formats; functions set it on their return fields.
//!
//! | SQL | Arrow |
//! | --- | --- |
//! | `vector(n)` / `vector` | `FixedSizeList<Float32>(n)` / `List<Float32>` |
//! | `halfvec(n)` | `FixedSizeList<Float16>(n)` / `List<Float16>` |
//! | `sparsevec(n)` | `Struct{dim: Int32, indices: List<Int32>, values: List<Float32>}` |
//! | `bit(n)`, `varbit` | `Utf8` of '0'/'1' |
//! | `jsonb`, `json`, `uuid` | `Utf8` |
//! | `tsvector`, `tsquery`, `regconfig` | `Utf8` in PostgreSQL's canonical text form |

use std::collections::HashMap;
use std::sync::Arc;

use arrow::datatypes::{DataType, Field, FieldRef, Fields, TimeUnit};
use serde::{Deserialize, Serialize};

use crate::error::{QuiverError, Result};

/// Field-metadata key holding the PostgreSQL type name (`vector`, `halfvec`, `jsonb`, ...).
pub const PG_TYPE_KEY: &str = "pg_type";
/// Field-metadata key holding the declared typmod (dimensions, varchar length) when there is one.
pub const PG_TYPMOD_KEY: &str = "pg_typmod";

/// Stable OIDs of pgvector's types. PostgreSQL assigns these at `CREATE EXTENSION`; clients look them
/// up by name in `pg_type`, so any fixed values work as long as they never change.
pub const VECTOR_OID: u32 = 16385;
pub const VECTOR_ARRAY_OID: u32 = 16386;
pub const HALFVEC_OID: u32 = 16387;
pub const HALFVEC_ARRAY_OID: u32 = 16388;
pub const SPARSEVEC_OID: u32 = 16389;
pub const SPARSEVEC_ARRAY_OID: u32 = 16390;

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SqlType {
    Bool,
    Int2,
    Int4,
    Int8,
    Float4,
    Float8,
    /// `numeric(p, s)`; `None` precision is unconstrained numeric.
    Numeric {
        precision: Option<u8>,
        scale: Option<i8>,
    },
    Text,
    Varchar(Option<u32>),
    Char(Option<u32>),
    Bytea,
    Date,
    Time,
    Timestamp,
    Timestamptz,
    Interval,
    Uuid,
    /// PostgreSQL's one-byte `"char"` (catalog columns such as `pg_type.typtype`).
    InternalChar,
    Json,
    Jsonb,
    Oid,
    Vector(Option<u32>),
    Halfvec(Option<u32>),
    Sparsevec(Option<u32>),
    Bit(Option<u32>),
    Varbit(Option<u32>),
    /// Full-text search document (`'cat':2 'fat':1`), kept in PostgreSQL's canonical output form.
    TsVector,
    /// Full-text search query (`'fat' & 'cat'`), canonical output form.
    TsQuery,
    /// A text search configuration name (`english`).
    Regconfig,
    Array(Box<SqlType>),
}

/// Scale used for unconstrained `numeric` inside Decimal128 (trailing zeros are trimmed on output).
pub const NUMERIC_DEFAULT_SCALE: i8 = 16;

impl SqlType {
    /// Parses a type as sqlparser renders it (lowercased name plus optional modifiers), e.g.
    /// `vector(3)`, `character varying(10)`, `double precision`, `real[]`.
    pub fn parse(text: &str) -> Result<SqlType> {
        let t = text.trim().to_ascii_lowercase();
        if let Some(inner) = t.strip_suffix("[]") {
            return Ok(SqlType::Array(Box::new(SqlType::parse(inner)?)));
        }
        let (name, mods) = match t.find('(') {
            Some(i) if t.ends_with(')') => {
                let mods: Vec<&str> = t[i + 1..t.len() - 1].split(',').map(str::trim).collect();
                (t[..i].trim().to_string(), mods)
            }
            _ => (t.clone(), vec![]),
        };
        let name = name.strip_prefix("pg_catalog.").unwrap_or(&name);
        let name = name.strip_prefix("public.").unwrap_or(name);
        let m0 = |what: &str| -> Result<Option<u32>> {
            match mods.first() {
                None => Ok(None),
                Some(s) => s.parse::<u32>().map(Some).map_err(|_| {
                    QuiverError::Syntax(format!("invalid type modifier for {what}: \"{s}\""))
                }),
            }
        };
        let ty = match name {
            "bool" | "boolean" => SqlType::Bool,
            "int2" | "smallint" | "smallserial" | "serial2" => SqlType::Int2,
            "int" | "int4" | "integer" | "serial" | "serial4" => SqlType::Int4,
            "int8" | "bigint" | "bigserial" | "serial8" => SqlType::Int8,
            "real" | "float4" => SqlType::Float4,
            "float" | "float8" | "double precision" | "double" => SqlType::Float8,
            "numeric" | "decimal" => {
                let p = m0("numeric")?;
                let s = match mods.get(1) {
                    Some(s) => Some(s.parse::<i8>().map_err(|_| {
                        QuiverError::Syntax(format!("invalid numeric scale \"{s}\""))
                    })?),
                    None => p.map(|_| 0),
                };
                if let Some(p) = p {
                    if !(1..=38).contains(&p) {
                        return Err(QuiverError::InvalidParameterValue(format!(
                            "NUMERIC precision {p} must be between 1 and 38"
                        )));
                    }
                }
                SqlType::Numeric {
                    precision: p.map(|p| p as u8),
                    scale: s,
                }
            }
            "text" | "name" | "citext" => SqlType::Text,
            "varchar" | "character varying" => SqlType::Varchar(m0("varchar")?),
            "char" | "character" | "bpchar" => SqlType::Char(m0("char")?.or(Some(1))),
            "bytea" => SqlType::Bytea,
            "date" => SqlType::Date,
            "time" | "time without time zone" => SqlType::Time,
            "timestamp" | "timestamp without time zone" => SqlType::Timestamp,
            "timestamptz" | "timestamp with time zone" => SqlType::Timestamptz,
            "interval" => SqlType::Interval,
            "uuid" => SqlType::Uuid,
            "\"char\"" => SqlType::InternalChar,
            "json" => SqlType::Json,
            "jsonb" => SqlType::Jsonb,
            "oid" | "regclass" | "regtype" | "regproc" => SqlType::Oid,
            "vector" => SqlType::Vector(m0("vector")?),
            "halfvec" => SqlType::Halfvec(m0("halfvec")?),
            "sparsevec" => SqlType::Sparsevec(m0("sparsevec")?),
            "bit" => SqlType::Bit(m0("bit")?.or(Some(1))),
            "varbit" | "bit varying" => SqlType::Varbit(m0("varbit")?),
            "tsvector" => SqlType::TsVector,
            "tsquery" => SqlType::TsQuery,
            "regconfig" => SqlType::Regconfig,
            other => return Err(QuiverError::UndefinedType(other.to_string())),
        };
        if let SqlType::Vector(Some(d)) | SqlType::Halfvec(Some(d)) = ty {
            let name = if matches!(ty, SqlType::Vector(_)) {
                "vector"
            } else {
                "halfvec"
            };
            if d < 1 {
                return Err(QuiverError::InvalidParameterValue(format!(
                    "dimensions for type {name} must be at least 1"
                )));
            }
            if d > 16000 {
                return Err(QuiverError::InvalidParameterValue(format!(
                    "dimensions for type {name} cannot exceed 16000"
                )));
            }
        }
        Ok(ty)
    }

    /// The name PostgreSQL's `format_type()` prints.
    pub fn display_name(&self) -> String {
        match self {
            SqlType::Bool => "boolean".into(),
            SqlType::Int2 => "smallint".into(),
            SqlType::Int4 => "integer".into(),
            SqlType::Int8 => "bigint".into(),
            SqlType::Float4 => "real".into(),
            SqlType::Float8 => "double precision".into(),
            SqlType::Numeric {
                precision: Some(p),
                scale,
            } => {
                format!("numeric({p},{})", scale.unwrap_or(0))
            }
            SqlType::Numeric {
                precision: None, ..
            } => "numeric".into(),
            SqlType::Text => "text".into(),
            SqlType::Varchar(Some(n)) => format!("character varying({n})"),
            SqlType::Varchar(None) => "character varying".into(),
            SqlType::Char(n) => format!("character({})", n.unwrap_or(1)),
            SqlType::Bytea => "bytea".into(),
            SqlType::Date => "date".into(),
            SqlType::Time => "time without time zone".into(),
            SqlType::Timestamp => "timestamp without time zone".into(),
            SqlType::Timestamptz => "timestamp with time zone".into(),
            SqlType::Interval => "interval".into(),
            SqlType::Uuid => "uuid".into(),
            SqlType::InternalChar => "\"char\"".into(),
            SqlType::Json => "json".into(),
            SqlType::Jsonb => "jsonb".into(),
            SqlType::Oid => "oid".into(),
            SqlType::Vector(d) => with_mod("vector", *d),
            SqlType::Halfvec(d) => with_mod("halfvec", *d),
            SqlType::Sparsevec(d) => with_mod("sparsevec", *d),
            SqlType::Bit(d) => with_mod("bit", *d),
            SqlType::Varbit(d) => with_mod("bit varying", *d),
            SqlType::TsVector => "tsvector".into(),
            SqlType::TsQuery => "tsquery".into(),
            SqlType::Regconfig => "regconfig".into(),
            SqlType::Array(inner) => format!("{}[]", inner.display_name()),
        }
    }

    /// The short type name used in metadata and `pg_type.typname`.
    pub fn type_name(&self) -> &'static str {
        match self {
            SqlType::Bool => "bool",
            SqlType::Int2 => "int2",
            SqlType::Int4 => "int4",
            SqlType::Int8 => "int8",
            SqlType::Float4 => "float4",
            SqlType::Float8 => "float8",
            SqlType::Numeric { .. } => "numeric",
            SqlType::Text => "text",
            SqlType::Varchar(_) => "varchar",
            SqlType::Char(_) => "bpchar",
            SqlType::Bytea => "bytea",
            SqlType::Date => "date",
            SqlType::Time => "time",
            SqlType::Timestamp => "timestamp",
            SqlType::Timestamptz => "timestamptz",
            SqlType::Interval => "interval",
            SqlType::Uuid => "uuid",
            SqlType::InternalChar => "char",
            SqlType::Json => "json",
            SqlType::Jsonb => "jsonb",
            SqlType::Oid => "oid",
            SqlType::Vector(_) => "vector",
            SqlType::Halfvec(_) => "halfvec",
            SqlType::Sparsevec(_) => "sparsevec",
            SqlType::Bit(_) => "bit",
            SqlType::Varbit(_) => "varbit",
            SqlType::TsVector => "tsvector",
            SqlType::TsQuery => "tsquery",
            SqlType::Regconfig => "regconfig",
            SqlType::Array(inner) => match inner.as_ref() {
                SqlType::Bool => "_bool",
                SqlType::Int2 => "_int2",
                SqlType::Int4 => "_int4",
                SqlType::Int8 => "_int8",
                SqlType::Float4 => "_float4",
                SqlType::Float8 => "_float8",
                SqlType::Numeric { .. } => "_numeric",
                SqlType::Varchar(_) => "_varchar",
                SqlType::Vector(_) => "_vector",
                _ => "_text",
            },
        }
    }

    /// PostgreSQL's atttypmod for this type (-1 when none).
    pub fn typmod(&self) -> i32 {
        match self {
            SqlType::Varchar(Some(n)) | SqlType::Char(Some(n)) => *n as i32 + 4,
            SqlType::Numeric {
                precision: Some(p),
                scale,
            } => (((*p as i32) << 16) | (scale.unwrap_or(0) as i32 & 0xffff)) + 4,
            SqlType::Vector(Some(d))
            | SqlType::Halfvec(Some(d))
            | SqlType::Sparsevec(Some(d))
            | SqlType::Bit(Some(d))
            | SqlType::Varbit(Some(d)) => *d as i32,
            _ => -1,
        }
    }

    /// The Arrow type of a column of this SQL type.
    pub fn arrow_type(&self) -> DataType {
        match self {
            SqlType::Bool => DataType::Boolean,
            SqlType::Int2 => DataType::Int16,
            SqlType::Int4 => DataType::Int32,
            SqlType::Int8 => DataType::Int64,
            SqlType::Float4 => DataType::Float32,
            SqlType::Float8 => DataType::Float64,
            SqlType::Numeric {
                precision: Some(p),
                scale,
            } => DataType::Decimal128(*p, scale.unwrap_or(0)),
            SqlType::Numeric {
                precision: None, ..
            } => DataType::Decimal128(38, NUMERIC_DEFAULT_SCALE),
            SqlType::Text
            | SqlType::Varchar(_)
            | SqlType::Char(_)
            | SqlType::Uuid
            | SqlType::InternalChar
            | SqlType::Json
            | SqlType::Jsonb
            | SqlType::Bit(_)
            | SqlType::Varbit(_)
            | SqlType::TsVector
            | SqlType::TsQuery
            | SqlType::Regconfig => DataType::Utf8,
            SqlType::Bytea => DataType::Binary,
            SqlType::Date => DataType::Date32,
            SqlType::Time => DataType::Time64(TimeUnit::Microsecond),
            SqlType::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, None),
            SqlType::Timestamptz => {
                DataType::Timestamp(TimeUnit::Microsecond, Some("+00:00".into()))
            }
            SqlType::Interval => DataType::Interval(arrow::datatypes::IntervalUnit::MonthDayNano),
            SqlType::Oid => DataType::UInt32,
            SqlType::Vector(d) => float_list(DataType::Float32, *d),
            SqlType::Halfvec(d) => float_list(DataType::Float16, *d),
            SqlType::Sparsevec(_) => sparsevec_arrow_type(),
            SqlType::Array(inner) => {
                DataType::List(Arc::new(Field::new_list_field(inner.arrow_type(), true)))
            }
        }
    }

    /// A column field: Arrow type plus the metadata that keeps the PostgreSQL identity.
    pub fn field(&self, name: &str, nullable: bool) -> Field {
        let f = Field::new(name, self.arrow_type(), nullable);
        let md = self.metadata();
        if md.is_empty() {
            f
        } else {
            f.with_metadata(md)
        }
    }

    pub fn metadata(&self) -> HashMap<String, String> {
        let mut md = HashMap::new();
        let implied = matches!(
            self,
            SqlType::Bool
                | SqlType::Int2
                | SqlType::Int4
                | SqlType::Int8
                | SqlType::Float4
                | SqlType::Float8
                | SqlType::Text
                | SqlType::Bytea
                | SqlType::Date
                | SqlType::Time
                | SqlType::Timestamp
                | SqlType::Timestamptz
                | SqlType::Interval
        );
        if !implied {
            md.insert(PG_TYPE_KEY.to_string(), self.type_name().to_string());
        }
        if self.typmod() >= 0 {
            md.insert(PG_TYPMOD_KEY.to_string(), self.typmod().to_string());
        }
        md
    }

    /// Reconstructs the SQL type of an Arrow field (metadata first, then the Arrow type).
    pub fn of_field(field: &Field) -> SqlType {
        let typmod = field
            .metadata()
            .get(PG_TYPMOD_KEY)
            .and_then(|s| s.parse::<i32>().ok())
            .filter(|m| *m >= 0);
        if let Some(name) = field.metadata().get(PG_TYPE_KEY) {
            let dim = typmod.map(|m| m as u32);
            let from_name = match name.as_str() {
                "vector" => Some(SqlType::Vector(dim.or(list_len(field.data_type())))),
                "halfvec" => Some(SqlType::Halfvec(dim.or(list_len(field.data_type())))),
                "sparsevec" => Some(SqlType::Sparsevec(dim)),
                "bit" => Some(SqlType::Bit(dim)),
                "varbit" => Some(SqlType::Varbit(dim)),
                "jsonb" => Some(SqlType::Jsonb),
                "json" => Some(SqlType::Json),
                "uuid" => Some(SqlType::Uuid),
                "char" => Some(SqlType::InternalChar),
                "varchar" => Some(SqlType::Varchar(typmod.map(|m| (m - 4) as u32))),
                "bpchar" => Some(SqlType::Char(typmod.map(|m| (m - 4) as u32))),
                // Unconstrained (avg's result): trailing zeros are not shown.
                "numeric" if typmod.is_none() => Some(SqlType::Numeric {
                    precision: None,
                    scale: None,
                }),
                "numeric" => None,
                "oid" => Some(SqlType::Oid),
                "tsvector" => Some(SqlType::TsVector),
                "tsquery" => Some(SqlType::TsQuery),
                "regconfig" => Some(SqlType::Regconfig),
                _ => None,
            };
            if let Some(t) = from_name {
                return t;
            }
        }
        SqlType::of_arrow(field.data_type())
    }

    /// The SQL type of a plain Arrow type (no metadata).
    pub fn of_arrow(dt: &DataType) -> SqlType {
        match dt {
            DataType::Boolean => SqlType::Bool,
            DataType::Int8 | DataType::Int16 | DataType::UInt8 => SqlType::Int2,
            DataType::Int32 | DataType::UInt16 => SqlType::Int4,
            DataType::Int64 | DataType::UInt64 => SqlType::Int8,
            DataType::UInt32 => SqlType::Oid,
            DataType::Float16 | DataType::Float32 => SqlType::Float4,
            DataType::Float64 => SqlType::Float8,
            DataType::Decimal32(p, s) | DataType::Decimal64(p, s) | DataType::Decimal128(p, s) => {
                if *s == NUMERIC_DEFAULT_SCALE && *p == 38 {
                    SqlType::Numeric {
                        precision: None,
                        scale: None,
                    }
                } else {
                    SqlType::Numeric {
                        precision: Some(*p),
                        scale: Some(*s),
                    }
                }
            }
            DataType::Decimal256(_, _) => SqlType::Numeric {
                precision: None,
                scale: None,
            },
            DataType::Binary | DataType::LargeBinary | DataType::BinaryView => SqlType::Bytea,
            DataType::FixedSizeBinary(_) => SqlType::Bytea,
            DataType::Date32 | DataType::Date64 => SqlType::Date,
            DataType::Time32(_) | DataType::Time64(_) => SqlType::Time,
            DataType::Timestamp(_, None) => SqlType::Timestamp,
            DataType::Timestamp(_, Some(_)) => SqlType::Timestamptz,
            DataType::Interval(_) | DataType::Duration(_) => SqlType::Interval,
            DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _) => {
                SqlType::Array(Box::new(SqlType::of_field(f)))
            }
            _ => SqlType::Text,
        }
    }

    pub fn is_vector_like(&self) -> bool {
        matches!(
            self,
            SqlType::Vector(_) | SqlType::Halfvec(_) | SqlType::Sparsevec(_)
        )
    }

    /// The type OID on the wire.
    pub fn oid(&self) -> u32 {
        match self {
            SqlType::Bool => 16,
            SqlType::Bytea => 17,
            SqlType::Int8 => 20,
            SqlType::Int2 => 21,
            SqlType::Int4 => 23,
            SqlType::Text => 25,
            SqlType::Oid => 26,
            SqlType::Json => 114,
            SqlType::Float4 => 700,
            SqlType::Float8 => 701,
            SqlType::Char(_) => 1042,
            SqlType::Varchar(_) => 1043,
            SqlType::Date => 1082,
            SqlType::Time => 1083,
            SqlType::Timestamp => 1114,
            SqlType::Timestamptz => 1184,
            SqlType::Interval => 1186,
            SqlType::Bit(_) => 1560,
            SqlType::Varbit(_) => 1562,
            SqlType::Numeric { .. } => 1700,
            SqlType::Uuid => 2950,
            SqlType::InternalChar => 18,
            SqlType::Jsonb => 3802,
            SqlType::TsVector => 3614,
            SqlType::TsQuery => 3615,
            SqlType::Regconfig => 3734,
            SqlType::Vector(_) => VECTOR_OID,
            SqlType::Halfvec(_) => HALFVEC_OID,
            SqlType::Sparsevec(_) => SPARSEVEC_OID,
            SqlType::Array(inner) => match inner.as_ref() {
                SqlType::Bool => 1000,
                SqlType::Int2 => 1005,
                SqlType::Int4 => 1007,
                SqlType::Text => 1009,
                SqlType::Varchar(_) => 1015,
                SqlType::Int8 => 1016,
                SqlType::Float4 => 1021,
                SqlType::Float8 => 1022,
                SqlType::Numeric { .. } => 1231,
                SqlType::Date => 1182,
                SqlType::Timestamp => 1115,
                SqlType::Timestamptz => 1185,
                SqlType::Uuid => 2951,
                SqlType::Jsonb => 3807,
                SqlType::TsVector => 3643,
                SqlType::TsQuery => 3645,
                SqlType::Vector(_) => VECTOR_ARRAY_OID,
                SqlType::Halfvec(_) => HALFVEC_ARRAY_OID,
                SqlType::Sparsevec(_) => SPARSEVEC_ARRAY_OID,
                _ => 1009,
            },
        }
    }

    /// The type for a wire OID (parameter types sent by clients in Parse).
    pub fn from_oid(oid: u32) -> Option<SqlType> {
        Some(match oid {
            16 => SqlType::Bool,
            17 => SqlType::Bytea,
            20 => SqlType::Int8,
            21 => SqlType::Int2,
            23 => SqlType::Int4,
            25 | 19 | 705 => SqlType::Text,
            26 | 2205 | 2206 => SqlType::Oid,
            114 => SqlType::Json,
            700 => SqlType::Float4,
            701 => SqlType::Float8,
            1042 => SqlType::Char(None),
            1043 => SqlType::Varchar(None),
            1082 => SqlType::Date,
            1083 => SqlType::Time,
            1114 => SqlType::Timestamp,
            1184 => SqlType::Timestamptz,
            1186 => SqlType::Interval,
            1560 => SqlType::Bit(None),
            1562 => SqlType::Varbit(None),
            1700 => SqlType::Numeric {
                precision: None,
                scale: None,
            },
            2950 => SqlType::Uuid,
            18 => SqlType::InternalChar,
            3802 => SqlType::Jsonb,
            3614 => SqlType::TsVector,
            3615 => SqlType::TsQuery,
            3734 => SqlType::Regconfig,
            VECTOR_OID => SqlType::Vector(None),
            HALFVEC_OID => SqlType::Halfvec(None),
            SPARSEVEC_OID => SqlType::Sparsevec(None),
            1000 => SqlType::Array(Box::new(SqlType::Bool)),
            1005 => SqlType::Array(Box::new(SqlType::Int2)),
            1007 => SqlType::Array(Box::new(SqlType::Int4)),
            1009 | 1015 => SqlType::Array(Box::new(SqlType::Text)),
            1016 => SqlType::Array(Box::new(SqlType::Int8)),
            1021 => SqlType::Array(Box::new(SqlType::Float4)),
            1022 => SqlType::Array(Box::new(SqlType::Float8)),
            _ => return None,
        })
    }

    /// `pg_type.typlen`.
    pub fn typlen(&self) -> i16 {
        match self {
            SqlType::Bool | SqlType::InternalChar => 1,
            SqlType::Int2 => 2,
            SqlType::Int4 | SqlType::Float4 | SqlType::Date | SqlType::Oid => 4,
            SqlType::Int8
            | SqlType::Float8
            | SqlType::Timestamp
            | SqlType::Timestamptz
            | SqlType::Time => 8,
            SqlType::Interval | SqlType::Uuid => 16,
            _ => -1,
        }
    }
}

fn with_mod(name: &str, m: Option<u32>) -> String {
    match m {
        Some(m) => format!("{name}({m})"),
        None => name.to_string(),
    }
}

fn list_len(dt: &DataType) -> Option<u32> {
    match dt {
        DataType::FixedSizeList(_, n) => Some(*n as u32),
        _ => None,
    }
}

/// `FixedSizeList(n)` when the dimension is declared, else `List`.
pub fn float_list(elem: DataType, dim: Option<u32>) -> DataType {
    let item = Arc::new(Field::new_list_field(elem, true));
    match dim {
        Some(d) => DataType::FixedSizeList(item, d as i32),
        None => DataType::List(item),
    }
}

pub fn sparsevec_arrow_type() -> DataType {
    DataType::Struct(sparsevec_fields())
}

pub fn sparsevec_fields() -> Fields {
    Fields::from(vec![
        Field::new("dim", DataType::Int32, false),
        Field::new(
            "indices",
            DataType::List(Arc::new(Field::new_list_field(DataType::Int32, true))),
            false,
        ),
        Field::new(
            "values",
            DataType::List(Arc::new(Field::new_list_field(DataType::Float32, true))),
            false,
        ),
    ])
}

/// A nullable field of the given SQL type; used for function return fields.
pub fn field_ref(name: &str, ty: &SqlType) -> FieldRef {
    Arc::new(ty.field(name, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_round_trips_through_fields() {
        for t in [
            "vector(3)",
            "vector",
            "halfvec(4)",
            "sparsevec(5)",
            "bit(3)",
            "int4",
            "bigint",
            "numeric(10,2)",
            "numeric",
            "varchar(5)",
            "jsonb",
            "uuid",
            "real[]",
            "timestamptz",
        ] {
            let ty = SqlType::parse(t).unwrap();
            let f = ty.field("c", true);
            assert_eq!(SqlType::of_field(&f), ty, "{t}");
        }
    }

    #[test]
    fn oids_round_trip() {
        for t in [
            "vector",
            "halfvec",
            "sparsevec",
            "int8",
            "text",
            "float4[]",
            "jsonb",
        ] {
            let ty = SqlType::parse(t).unwrap();
            assert_eq!(
                SqlType::from_oid(ty.oid()).map(|t| t.type_name()),
                Some(ty.type_name())
            );
        }
    }

    #[test]
    fn bad_types_are_errors() {
        assert!(SqlType::parse("vector(0)").is_err());
        assert!(SqlType::parse("vector(16001)").is_err());
        assert!(matches!(
            SqlType::parse("nosuchtype"),
            Err(QuiverError::UndefinedType(_))
        ));
    }
}
