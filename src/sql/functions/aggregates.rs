//! `avg` and `sum` over vector and halfvec, as pgvector defines them, layered over DataFusion's own
//! `avg`/`sum`: one function name serves both, so the wrapper forwards every non-vector call to
//! the built-in implementation unchanged.

use std::fmt;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Float64Array, ListArray};
use arrow::buffer::OffsetBuffer;
use arrow::datatypes::{DataType, Field, FieldRef, Float64Type, Int64Type};
use datafusion::common::ScalarValue;
use datafusion::error::Result as DfResult;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, GroupsAccumulator, ReversedUDAF, Signature,
    TypeSignature, Volatility,
};

use crate::error::QuiverError;
use crate::sql::errors::to_df;
use crate::sql::vector_array::{build_halfvecs, build_vectors, vectors_of};
use crate::types::SqlType;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Kind {
    Avg,
    Sum,
}

/// Whether an Arrow type is one of our vector shapes.
fn vector_elem(dt: &DataType) -> Option<DataType> {
    match dt {
        DataType::FixedSizeList(f, _) | DataType::List(f)
            if matches!(f.data_type(), DataType::Float32 | DataType::Float16) =>
        {
            Some(f.data_type().clone())
        }
        _ => None,
    }
}

/// Whether DataFusion's own avg/sum take the type (numbers, intervals, durations, NULL).
fn summable(t: &DataType) -> bool {
    t.is_numeric()
        || t.is_null()
        || matches!(
            t,
            DataType::Interval(_) | DataType::Duration(_) | DataType::Dictionary(_, _)
        )
}

pub struct VectorAwareAggregate {
    kind: Kind,
    inner: Arc<AggregateUDF>,
    signature: Signature,
}

impl VectorAwareAggregate {
    pub fn avg() -> AggregateUDF {
        Self::wrap(
            Kind::Avg,
            datafusion::functions_aggregate::average::avg_udaf(),
        )
    }
    pub fn sum() -> AggregateUDF {
        Self::wrap(Kind::Sum, datafusion::functions_aggregate::sum::sum_udaf())
    }
    fn wrap(kind: Kind, inner: Arc<AggregateUDF>) -> AggregateUDF {
        AggregateUDF::new_from_impl(VectorAwareAggregate {
            kind,
            inner,
            signature: Signature::new(TypeSignature::UserDefined, Volatility::Immutable),
        })
    }
    fn inner(&self) -> &dyn AggregateUDFImpl {
        self.inner.inner().as_ref()
    }
}

impl fmt::Debug for VectorAwareAggregate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VectorAwareAggregate({:?})", self.kind)
    }
}
impl PartialEq for VectorAwareAggregate {
    fn eq(&self, o: &Self) -> bool {
        self.kind == o.kind
    }
}
impl Eq for VectorAwareAggregate {}
impl std::hash::Hash for VectorAwareAggregate {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.kind.hash(h)
    }
}

impl AggregateUDFImpl for VectorAwareAggregate {
    fn name(&self) -> &str {
        self.inner().name()
    }
    fn aliases(&self) -> &[String] {
        self.inner().aliases()
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> DfResult<Vec<DataType>> {
        if arg_types.len() == 1 && vector_elem(&arg_types[0]).is_some() {
            return Ok(arg_types.to_vec());
        }
        if let [t] = arg_types {
            if self.kind == Kind::Avg && exact_avg_scale(t).is_some() {
                return Ok(arg_types.to_vec());
            }
        }
        if let [t] = arg_types {
            if !summable(t) {
                // `sum('101'::bit(3))`: refused in return_field, where the SQL type is known.
                return Ok(arg_types.to_vec());
            }
        }
        let inner_sig = self.inner().signature();
        match &inner_sig.type_signature {
            TypeSignature::UserDefined => self.inner().coerce_types(arg_types),
            _ => datafusion::logical_expr::type_coercion::functions::fields_with_udf(
                &arg_types
                    .iter()
                    .map(|t| Arc::new(Field::new("a", t.clone(), true)))
                    .collect::<Vec<_>>(),
                self.inner.as_ref(),
            )
            .map(|fs| fs.iter().map(|f| f.data_type().clone()).collect()),
        }
    }
    fn return_type(&self, arg_types: &[DataType]) -> DfResult<DataType> {
        if let [t] = arg_types {
            if vector_elem(t).is_some() {
                return Ok(t.clone());
            }
            if self.kind == Kind::Avg && exact_avg_scale(t).is_some() {
                return Ok(exact_avg_type(t));
            }
        }
        self.inner().return_type(arg_types)
    }
    fn return_field(&self, arg_fields: &[FieldRef]) -> DfResult<FieldRef> {
        if let [f] = arg_fields {
            if vector_elem(f.data_type()).is_some() {
                let ty = match SqlType::of_field(f) {
                    SqlType::Halfvec(d) => SqlType::Halfvec(d),
                    SqlType::Vector(d) => SqlType::Vector(d),
                    _ => SqlType::Vector(None),
                };
                return Ok(Arc::new(ty.field(self.name(), true)));
            }
            if !summable(f.data_type()) {
                return Err(to_df(super::no_such_function(self.name(), arg_fields)));
            }
            if self.kind == Kind::Avg {
                if let Some(scale) = exact_avg_scale(f.data_type()) {
                    return Ok(Arc::new(
                        Field::new(self.name(), exact_avg_type(f.data_type()), true).with_metadata(
                            [
                                (EXACT_AVG.to_string(), scale.to_string()),
                                (crate::types::PG_TYPE_KEY.to_string(), "numeric".to_string()),
                            ]
                            .into(),
                        ),
                    ));
                }
            }
        }
        self.inner().return_field(arg_fields)
    }
    fn is_nullable(&self) -> bool {
        true
    }
    fn accumulator(&self, acc_args: AccumulatorArgs) -> DfResult<Box<dyn Accumulator>> {
        if let Some(scale) = exact_avg_input_scale(&acc_args.return_field) {
            return Ok(Box::new(ExactAvg {
                in_scale: scale,
                ret: acc_args.return_field.data_type().clone(),
                sum: 0,
                count: 0,
            }));
        }
        if vector_elem(acc_args.return_field.data_type()).is_some() {
            return Ok(Box::new(VectorAccumulator {
                kind: self.kind,
                ret: acc_args.return_field.clone(),
                half: matches!(
                    SqlType::of_field(&acc_args.return_field),
                    SqlType::Halfvec(_)
                ),
                sum: vec![],
                count: 0,
            }));
        }
        self.inner().accumulator(acc_args)
    }
    fn state_fields(&self, args: StateFieldsArgs) -> DfResult<Vec<FieldRef>> {
        if exact_avg_input_scale(&args.return_field).is_some() {
            return Ok(vec![
                Arc::new(Field::new(
                    format!("{}[sum]", args.name),
                    DataType::Decimal128(38, 0),
                    true,
                )),
                Arc::new(Field::new(
                    format!("{}[count]", args.name),
                    DataType::Int64,
                    true,
                )),
            ]);
        }
        if vector_elem(args.return_field.data_type()).is_some() {
            return Ok(vec![
                Arc::new(Field::new(
                    format!("{}[sum]", args.name),
                    DataType::List(Arc::new(Field::new_list_field(DataType::Float64, true))),
                    true,
                )),
                Arc::new(Field::new(
                    format!("{}[count]", args.name),
                    DataType::Int64,
                    true,
                )),
            ]);
        }
        self.inner().state_fields(args)
    }
    fn groups_accumulator_supported(&self, args: AccumulatorArgs) -> bool {
        vector_elem(args.return_field.data_type()).is_none()
            && exact_avg_input_scale(&args.return_field).is_none()
            && self.inner().groups_accumulator_supported(args)
    }
    fn create_groups_accumulator(
        &self,
        args: AccumulatorArgs,
    ) -> DfResult<Box<dyn GroupsAccumulator>> {
        self.inner().create_groups_accumulator(args)
    }
    fn create_sliding_accumulator(&self, args: AccumulatorArgs) -> DfResult<Box<dyn Accumulator>> {
        if vector_elem(args.return_field.data_type()).is_some()
            || exact_avg_input_scale(&args.return_field).is_some()
        {
            return self.accumulator(args);
        }
        self.inner().create_sliding_accumulator(args)
    }
    fn reverse_expr(&self) -> ReversedUDAF {
        ReversedUDAF::Identical
    }
    fn default_value(&self, data_type: &DataType) -> DfResult<ScalarValue> {
        if vector_elem(data_type).is_some() {
            return ScalarValue::try_from(data_type);
        }
        self.inner().default_value(data_type)
    }
}

/// Field metadata marking an exact avg (over integers or numeric), with the input's scale.
const EXACT_AVG: &str = "quiver.exact_avg_input_scale";

/// PostgreSQL's avg of integers and numeric is numeric, computed exactly; DataFusion's is float8
/// for integers. The input scale for the types computed exactly here.
fn exact_avg_scale(t: &DataType) -> Option<i8> {
    match t {
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32 => Some(0),
        DataType::Decimal128(_, s) if (0..=22).contains(s) => Some(*s),
        _ => None,
    }
}

/// The result type: room for PostgreSQL's usual 16 to 20 fractional digits (select_div_scale)
/// while keeping the integer digits the input can reach; unconstrained numeric, so trailing
/// zeros are not shown.
fn exact_avg_type(input: &DataType) -> DataType {
    let scale = match input {
        DataType::Int64 => 16,
        DataType::Decimal128(p, s) => (*s).max(20.min(38 - (*p as i8 - *s))),
        _ => 20,
    };
    DataType::Decimal128(38, scale)
}

fn exact_avg_input_scale(f: &FieldRef) -> Option<i8> {
    f.metadata().get(EXACT_AVG)?.parse().ok()
}

/// The weight (position of the first non-zero base-10000 digit, 0 for the units group) and that
/// digit, of `v / 10^scale`: what PostgreSQL's select_div_scale reads from a NumericVar.
fn base10000_lead(v: u128, scale: u32) -> (i32, u128) {
    if v == 0 {
        return (0, 0);
    }
    let int = v / 10u128.pow(scale);
    if int > 0 {
        let mut groups = 0;
        let mut t = int;
        while t > 0 {
            t /= 10_000;
            groups += 1;
        }
        return (groups - 1, int / 10_000u128.pow(groups as u32 - 1));
    }
    let pad = (4 - scale % 4) % 4;
    let frac = v * 10u128.pow(pad);
    let groups = (scale + pad) / 4;
    for g in 1..=groups {
        let digit = (frac / 10_000u128.pow(groups - g)) % 10_000;
        if digit != 0 {
            return (-(g as i32), digit);
        }
    }
    (0, 0)
}

/// PostgreSQL's select_div_scale for `sum / count`: 16 significant digits (NUMERIC_MIN_SIG_DIGITS)
/// as far as the quotient's estimated weight allows, never fewer than the dividend's scale.
fn pg_div_scale(sum: i128, in_scale: i8, count: i64) -> i32 {
    let (w1, d1) = base10000_lead(sum.unsigned_abs(), in_scale as u32);
    let (w2, d2) = base10000_lead(count.unsigned_abs() as u128, 0);
    let mut qweight = w1 - w2;
    if d1 <= d2 {
        qweight -= 1;
    }
    (16 - qweight * 4).max(in_scale as i32).clamp(0, 1000)
}

/// avg over integers or numeric: an exact i128 sum and a count, divided once at the end and
/// rounded half away from zero, as PostgreSQL's numeric division rounds.
#[derive(Debug)]
struct ExactAvg {
    in_scale: i8,
    ret: DataType,
    sum: i128,
    count: i64,
}

impl ExactAvg {
    fn values(array: &ArrayRef) -> DfResult<Vec<Option<i128>>> {
        Ok(match array.data_type() {
            DataType::Decimal128(_, _) => array
                .as_primitive::<arrow::datatypes::Decimal128Type>()
                .iter()
                .collect(),
            _ => {
                let a = arrow::compute::cast(array, &DataType::Int64)?;
                a.as_primitive::<Int64Type>()
                    .iter()
                    .map(|v| v.map(i128::from))
                    .collect()
            }
        })
    }

    fn overflow() -> datafusion::error::DataFusionError {
        to_df(QuiverError::NumericOutOfRange(
            "value overflows numeric format".into(),
        ))
    }
}

impl Accumulator for ExactAvg {
    fn update_batch(&mut self, values: &[ArrayRef]) -> DfResult<()> {
        for v in Self::values(&values[0])?.into_iter().flatten() {
            self.sum = self.sum.checked_add(v).ok_or_else(Self::overflow)?;
            self.count += 1;
        }
        Ok(())
    }

    fn retract_batch(&mut self, values: &[ArrayRef]) -> DfResult<()> {
        for v in Self::values(&values[0])?.into_iter().flatten() {
            self.sum = self.sum.checked_sub(v).ok_or_else(Self::overflow)?;
            self.count -= 1;
        }
        Ok(())
    }

    fn supports_retract_batch(&self) -> bool {
        true
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> DfResult<()> {
        let sums = states[0].as_primitive::<arrow::datatypes::Decimal128Type>();
        let counts = states[1].as_primitive::<Int64Type>();
        for i in 0..sums.len() {
            if sums.is_null(i) || counts.is_null(i) {
                continue;
            }
            self.sum = self
                .sum
                .checked_add(sums.value(i))
                .ok_or_else(Self::overflow)?;
            self.count += counts.value(i);
        }
        Ok(())
    }

    fn state(&mut self) -> DfResult<Vec<ScalarValue>> {
        Ok(vec![
            ScalarValue::Decimal128(Some(self.sum), 38, 0),
            ScalarValue::Int64(Some(self.count)),
        ])
    }

    fn evaluate(&mut self) -> DfResult<ScalarValue> {
        let DataType::Decimal128(p, out_scale) = self.ret else {
            return Err(to_df(QuiverError::Internal("exact avg type".into())));
        };
        if self.count <= 0 {
            return Ok(ScalarValue::Decimal128(None, p, out_scale));
        }
        // sum / count rounded to PostgreSQL's scale (as far as the type holds it): the integer
        // part, then the remainder's digits.
        let digits = pg_div_scale(self.sum, self.in_scale, self.count).min(out_scale as i32) as i8;
        let n = self.count as i128;
        let shift = 10i128.pow((digits - self.in_scale) as u32);
        let (q, r) = (self.sum / n, self.sum % n);
        let frac = r * shift;
        let (fq, fr) = (frac / n, frac % n);
        let rounded = fq + if 2 * fr.abs() >= n { fr.signum() } else { 0 };
        let v = q
            .checked_mul(shift)
            .and_then(|q| q.checked_add(rounded))
            .and_then(|v| v.checked_mul(10i128.pow((out_scale - digits) as u32)))
            .ok_or_else(Self::overflow)?;
        Ok(ScalarValue::Decimal128(Some(v), p, out_scale))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self)
    }
}

/// pgvector accumulates in double precision and returns single precision (half for halfvec).
#[derive(Debug)]
struct VectorAccumulator {
    kind: Kind,
    ret: FieldRef,
    /// Whether `ret` is halfvec (sum rounds to half precision at every step).
    half: bool,
    sum: Vec<f64>,
    count: i64,
}

impl VectorAccumulator {
    /// avg accumulates in double precision (pgvector's `vector_accum`); sum adds in the
    /// element type with an overflow check, as `vector_add` / `halfvec_add` do.
    fn add(&mut self, v: &[f64], n: i64) -> DfResult<()> {
        let half = self.half;
        if self.count == 0 && self.sum.is_empty() {
            self.sum = vec![0.0; v.len()];
        } else if self.sum.len() != v.len() {
            return Err(to_df(match self.kind {
                Kind::Avg => QuiverError::DimensionMismatch {
                    expected: self.sum.len(),
                    actual: v.len(),
                },
                Kind::Sum => QuiverError::DifferentDimensions {
                    type_name: if half { "halfvec" } else { "vector" },
                    left: self.sum.len(),
                    right: v.len(),
                },
            }));
        }
        match self.kind {
            Kind::Avg => {
                for (s, x) in self.sum.iter_mut().zip(v) {
                    *s += x;
                }
            }
            Kind::Sum => {
                for (s, x) in self.sum.iter_mut().zip(v) {
                    let mut r = *s as f32 + *x as f32;
                    if half {
                        r = half::f16::from_f32(r).to_f32();
                    }
                    if r.is_infinite() {
                        return Err(to_df(QuiverError::NumericOutOfRange(
                            "value out of range: overflow".into(),
                        )));
                    }
                    *s = r as f64;
                }
            }
        }
        self.count += n;
        Ok(())
    }
}

impl Accumulator for VectorAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> DfResult<()> {
        for v in vectors_of(values[0].as_ref())
            .map_err(to_df)?
            .into_iter()
            .flatten()
        {
            let v: Vec<f64> = v.iter().map(|x| *x as f64).collect();
            self.add(&v, 1)?;
        }
        Ok(())
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> DfResult<()> {
        let sums = states[0].as_list::<i32>();
        let counts = states[1].as_primitive::<Int64Type>();
        for i in 0..sums.len() {
            if sums.is_null(i) || counts.is_null(i) || counts.value(i) == 0 {
                continue;
            }
            let s = sums.value(i);
            let s = s.as_primitive::<Float64Type>();
            self.add(s.values(), counts.value(i))?;
        }
        Ok(())
    }

    fn state(&mut self) -> DfResult<Vec<ScalarValue>> {
        let list = ListArray::new(
            Arc::new(Field::new_list_field(DataType::Float64, true)),
            OffsetBuffer::from_lengths([self.sum.len()]),
            Arc::new(Float64Array::from(self.sum.clone())),
            None,
        );
        Ok(vec![
            ScalarValue::List(Arc::new(list)),
            ScalarValue::Int64(Some(self.count)),
        ])
    }

    fn evaluate(&mut self) -> DfResult<ScalarValue> {
        let row: Option<Vec<f32>> = (self.count > 0).then(|| {
            let div = if self.kind == Kind::Avg {
                self.count as f64
            } else {
                1.0
            };
            self.sum.iter().map(|s| (s / div) as f32).collect()
        });
        if row
            .as_ref()
            .is_some_and(|r| r.iter().any(|x| x.is_infinite()))
        {
            return Err(to_df(QuiverError::NumericOutOfRange(
                "value out of range: overflow".into(),
            )));
        }
        let ty = SqlType::of_field(&self.ret);
        let dim = match self.ret.data_type() {
            DataType::FixedSizeList(_, d) => Some(*d as u32),
            _ => None,
        };
        let arr = match ty {
            SqlType::Halfvec(_) => build_halfvecs(
                &[row.map(|v| v.into_iter().map(half::f16::from_f32).collect())],
                dim,
            ),
            _ => build_vectors(&[row], dim),
        }
        .map_err(to_df)?;
        ScalarValue::try_from_array(&arr, 0)
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self) + self.sum.len() * 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn division_scale_follows_postgresql() {
        // 10 / 3 -> 3.3333333333333333, 1 / 3 -> 20 digits, 2.5 -> 16, tiny -> more.
        assert_eq!(pg_div_scale(10, 0, 3), 16);
        assert_eq!(pg_div_scale(1, 0, 3), 20);
        assert_eq!(pg_div_scale(5, 0, 2), 16);
        assert_eq!(pg_div_scale(1, 0, 1_000_000), 24);
        assert_eq!(pg_div_scale(200_000_000, 0, 2), 12);
        // numeric(10,2) sum 3.76 over 3 rows
        assert_eq!(pg_div_scale(376, 2, 3), 20);
        assert_eq!(base10000_lead(12345, 0), (1, 1));
        assert_eq!(base10000_lead(5, 4), (-1, 5));
    }
}
