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
        }
        self.inner().return_field(arg_fields)
    }
    fn is_nullable(&self) -> bool {
        true
    }
    fn accumulator(&self, acc_args: AccumulatorArgs) -> DfResult<Box<dyn Accumulator>> {
        if vector_elem(acc_args.return_field.data_type()).is_some() {
            return Ok(Box::new(VectorAccumulator {
                kind: self.kind,
                ret: acc_args.return_field.clone(),
                sum: vec![],
                count: 0,
            }));
        }
        self.inner().accumulator(acc_args)
    }
    fn state_fields(&self, args: StateFieldsArgs) -> DfResult<Vec<FieldRef>> {
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
            && self.inner().groups_accumulator_supported(args)
    }
    fn create_groups_accumulator(
        &self,
        args: AccumulatorArgs,
    ) -> DfResult<Box<dyn GroupsAccumulator>> {
        self.inner().create_groups_accumulator(args)
    }
    fn create_sliding_accumulator(&self, args: AccumulatorArgs) -> DfResult<Box<dyn Accumulator>> {
        if vector_elem(args.return_field.data_type()).is_some() {
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

/// pgvector accumulates in double precision and returns single precision (half for halfvec).
#[derive(Debug)]
struct VectorAccumulator {
    kind: Kind,
    ret: FieldRef,
    sum: Vec<f64>,
    count: i64,
}

impl VectorAccumulator {
    /// avg accumulates in double precision (pgvector's `vector_accum`); sum adds in the
    /// element type with an overflow check, as `vector_add` / `halfvec_add` do.
    fn add(&mut self, v: &[f64], n: i64) -> DfResult<()> {
        let half = matches!(SqlType::of_field(&self.ret), SqlType::Halfvec(_));
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
