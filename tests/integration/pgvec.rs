//! pgvector's binary wire formats, written from pgvector's `*_send` / `*_recv` functions, so tests
//! can bind vectors as binary parameters and decode binary results:
//!
//! | type | binary layout (big-endian) |
//! | --- | --- |
//! | `vector` | int16 dim, int16 unused (0), dim × float4 |
//! | `halfvec` | int16 dim, int16 unused (0), dim × float2 (IEEE half bits) |
//! | `sparsevec` | int32 dim, int32 nnz, int32 unused (0), nnz × int32 index (0-based), nnz × float4 |
//!
//! Each type accepts only the PostgreSQL type of that name, which clients learn from `pg_type`.

use std::error::Error;

use bytes::{Buf, BufMut, BytesMut};
use half::f16;
use tokio_postgres::types::{FromSql, IsNull, ToSql, Type};

pub type BoxError = Box<dyn Error + Sync + Send>;

fn check_type(ty: &Type, name: &str) -> Result<(), BoxError> {
    if ty.name() == name {
        Ok(())
    } else {
        Err(format!(
            "cannot convert between the Rust {name} and the PostgreSQL type {}",
            ty.name()
        )
        .into())
    }
}

fn check_len(what: &str, raw: &[u8], want: usize) -> Result<(), BoxError> {
    if raw.len() == want {
        Ok(())
    } else {
        Err(format!(
            "{what}: expected {want} bytes of payload, got {}",
            raw.len()
        )
        .into())
    }
}

/// `vector`
#[derive(Debug, Clone, PartialEq)]
pub struct Vector(pub Vec<f32>);

impl Vector {
    pub fn write_binary(&self, out: &mut BytesMut) {
        out.put_i16(self.0.len() as i16);
        out.put_i16(0);
        for v in &self.0 {
            out.put_f32(*v);
        }
    }

    /// Size of `write_binary`'s output.
    pub fn binary_len(&self) -> usize {
        4 + 4 * self.0.len()
    }

    pub fn read_binary(mut raw: &[u8]) -> Result<Vector, BoxError> {
        check_len("vector header", &raw[..raw.len().min(4)], 4)?;
        let dim = raw.get_i16();
        let unused = raw.get_i16();
        if dim < 0 || unused != 0 {
            return Err(format!("vector: bad header dim={dim} unused={unused}").into());
        }
        check_len("vector", raw, dim as usize * 4)?;
        Ok(Vector((0..dim).map(|_| raw.get_f32()).collect()))
    }
}

impl ToSql for Vector {
    fn to_sql(&self, _ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
        self.write_binary(out);
        Ok(IsNull::No)
    }

    fn accepts(ty: &Type) -> bool {
        ty.name() == "vector"
    }

    fn to_sql_checked(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
        check_type(ty, "vector")?;
        self.to_sql(ty, out)
    }
}

impl<'a> FromSql<'a> for Vector {
    fn from_sql(_ty: &Type, raw: &'a [u8]) -> Result<Vector, BoxError> {
        Vector::read_binary(raw)
    }

    fn accepts(ty: &Type) -> bool {
        ty.name() == "vector"
    }
}

/// `halfvec`; values are kept as f32 and must be exactly representable in half precision.
#[derive(Debug, Clone, PartialEq)]
pub struct HalfVector(pub Vec<f32>);

impl ToSql for HalfVector {
    fn to_sql(&self, _ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
        out.put_i16(self.0.len() as i16);
        out.put_i16(0);
        for v in &self.0 {
            out.put_u16(f16::from_f32(*v).to_bits());
        }
        Ok(IsNull::No)
    }

    fn accepts(ty: &Type) -> bool {
        ty.name() == "halfvec"
    }

    fn to_sql_checked(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
        check_type(ty, "halfvec")?;
        self.to_sql(ty, out)
    }
}

impl<'a> FromSql<'a> for HalfVector {
    fn from_sql(_ty: &Type, raw: &'a [u8]) -> Result<HalfVector, BoxError> {
        let mut raw = raw;
        check_len("halfvec header", &raw[..raw.len().min(4)], 4)?;
        let dim = raw.get_i16();
        let unused = raw.get_i16();
        if dim < 0 || unused != 0 {
            return Err(format!("halfvec: bad header dim={dim} unused={unused}").into());
        }
        check_len("halfvec", raw, dim as usize * 2)?;
        Ok(HalfVector(
            (0..dim)
                .map(|_| f16::from_bits(raw.get_u16()).to_f32())
                .collect(),
        ))
    }

    fn accepts(ty: &Type) -> bool {
        ty.name() == "halfvec"
    }
}

/// `sparsevec`; `indices` are 0-based as on the wire (the text form is 1-based).
#[derive(Debug, Clone, PartialEq)]
pub struct SparseVector {
    pub dim: i32,
    pub indices: Vec<i32>,
    pub values: Vec<f32>,
}

impl SparseVector {
    /// pgvector's text form, e.g. `{1:1.5,3:2}/5`.
    pub fn to_text(&self) -> String {
        let parts: Vec<String> = self
            .indices
            .iter()
            .zip(&self.values)
            .map(|(i, v)| format!("{}:{}", i + 1, v))
            .collect();
        format!("{{{}}}/{}", parts.join(","), self.dim)
    }
}

impl ToSql for SparseVector {
    fn to_sql(&self, _ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
        out.put_i32(self.dim);
        out.put_i32(self.indices.len() as i32);
        out.put_i32(0);
        for i in &self.indices {
            out.put_i32(*i);
        }
        for v in &self.values {
            out.put_f32(*v);
        }
        Ok(IsNull::No)
    }

    fn accepts(ty: &Type) -> bool {
        ty.name() == "sparsevec"
    }

    fn to_sql_checked(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
        check_type(ty, "sparsevec")?;
        self.to_sql(ty, out)
    }
}

impl<'a> FromSql<'a> for SparseVector {
    fn from_sql(_ty: &Type, raw: &'a [u8]) -> Result<SparseVector, BoxError> {
        let mut raw = raw;
        check_len("sparsevec header", &raw[..raw.len().min(12)], 12)?;
        let dim = raw.get_i32();
        let nnz = raw.get_i32();
        let unused = raw.get_i32();
        if dim < 0 || nnz < 0 || unused != 0 {
            return Err(
                format!("sparsevec: bad header dim={dim} nnz={nnz} unused={unused}").into(),
            );
        }
        check_len("sparsevec", raw, nnz as usize * 8)?;
        let indices = (0..nnz).map(|_| raw.get_i32()).collect();
        let values = (0..nnz).map(|_| raw.get_f32()).collect();
        Ok(SparseVector {
            dim,
            indices,
            values,
        })
    }

    fn accepts(ty: &Type) -> bool {
        ty.name() == "sparsevec"
    }
}
