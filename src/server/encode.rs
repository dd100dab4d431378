//! Results on the wire: Arrow fields → RowDescription (type OID, typmod, format) and record
//! batches → DataRow messages in text or binary format per column.

use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch};
use arrow::datatypes::FieldRef;
use bytes::{BufMut, BytesMut};
use futures::stream::{self, StreamExt};
use pgwire::api::portal::Format;
use pgwire::api::results::{FieldFormat, FieldInfo, QueryResponse};
use pgwire::api::Type;
use pgwire::error::PgWireResult;
use pgwire::messages::data::DataRow;
use postgres_types::Kind;

use crate::error::Result;
use crate::server::errors::to_pgwire;
use crate::sql::format::{binary_value, normalize, text_value};
use crate::types::SqlType;

/// The pgwire `Type` for an SQL type (pgvector's types are not built into postgres-types).
pub fn pg_type(ty: &SqlType) -> Type {
    let oid = ty.oid();
    Type::from_oid(oid).unwrap_or_else(|| {
        let name = ty.type_name().to_string();
        Type::new(name, oid, Kind::Simple, "public".to_string())
    })
}

pub fn field_infos(fields: &[FieldRef], format: &Format) -> Vec<FieldInfo> {
    fields
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let ty = SqlType::of_field(f);
            let fmt = if format.is_binary(i) {
                FieldFormat::Binary
            } else {
                FieldFormat::Text
            };
            FieldInfo::new(f.name().clone(), None, None, pg_type(&ty), fmt)
                .with_type_modifier(ty.typmod())
                .with_type_size(ty.typlen())
        })
        .collect()
}

fn encode_batch(batch: &RecordBatch, types: &[SqlType], binary: &[bool]) -> Result<Vec<DataRow>> {
    let cols: Vec<ArrayRef> = batch
        .columns()
        .iter()
        .zip(types)
        .map(|(c, t)| normalize(c, t))
        .collect::<Result<_>>()?;
    let mut rows = Vec::with_capacity(batch.num_rows());
    let mut buf = BytesMut::with_capacity(256);
    for i in 0..batch.num_rows() {
        for ((c, t), bin) in cols.iter().zip(types).zip(binary) {
            if *bin {
                let at = buf.len();
                buf.put_i32(-1);
                if binary_value(c.as_ref(), t, i, &mut buf)? {
                    let n = (buf.len() - at - 4) as i32;
                    buf[at..at + 4].copy_from_slice(&n.to_be_bytes());
                }
            } else {
                match text_value(c.as_ref(), t, i)? {
                    None => buf.put_i32(-1),
                    Some(s) => {
                        buf.put_i32(s.len() as i32);
                        buf.put_slice(s.as_bytes());
                    }
                }
            }
        }
        rows.push(DataRow::new(buf.split(), cols.len() as i16));
    }
    Ok(rows)
}

/// A QueryResponse whose rows are encoded lazily, batch by batch, as the client reads them.
pub fn query_response(
    fields: &[FieldRef],
    batches: Vec<RecordBatch>,
    format: &Format,
    tag: &str,
) -> QueryResponse {
    let infos = Arc::new(field_infos(fields, format));
    let types: Arc<Vec<SqlType>> = Arc::new(fields.iter().map(|f| SqlType::of_field(f)).collect());
    let binary: Arc<Vec<bool>> = Arc::new((0..fields.len()).map(|i| format.is_binary(i)).collect());
    let rows = stream::iter(batches).flat_map(move |b| {
        let encoded: Vec<PgWireResult<DataRow>> = match encode_batch(&b, &types, &binary) {
            Ok(rows) => rows.into_iter().map(Ok).collect(),
            Err(e) => vec![Err(to_pgwire(e))],
        };
        stream::iter(encoded)
    });
    let mut resp = QueryResponse::new(infos, rows);
    // pgwire appends the row count; keep only the verb (and INSERT's 0).
    let verb = tag
        .rsplit_once(' ')
        .map(|(v, n)| if n.parse::<u64>().is_ok() { v } else { tag })
        .unwrap_or(tag);
    resp.set_command_tag(verb);
    resp
}
