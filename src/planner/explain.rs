//! EXPLAIN output as PostgreSQL clients expect it: one text column named `QUERY PLAN`, one row per
//! line of the physical plan (with metrics for EXPLAIN ANALYZE). DataFusion's own output has a
//! `plan_type` column and a row per planning stage; psql, ORMs and the .slt files read the
//! PostgreSQL shape.

use std::sync::Arc;

use arrow::array::{Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, FieldRef, Schema};

use crate::error::{QuiverError, Result};

pub fn query_plan_field() -> FieldRef {
    Arc::new(Field::new("QUERY PLAN", DataType::Utf8, false))
}

/// The physical plan rows of DataFusion's EXPLAIN output, one line per row.
pub fn query_plan(batches: &[RecordBatch]) -> Result<RecordBatch> {
    let mut lines: Vec<String> = Vec::new();
    for b in batches {
        let (Some(kind), Some(plan)) = (b.column_by_name("plan_type"), b.column_by_name("plan"))
        else {
            continue;
        };
        let as_text = |a: &Arc<dyn Array>| {
            arrow::compute::cast(a, &DataType::Utf8).map_err(QuiverError::from)
        };
        let kind = as_text(kind)?;
        let plan = as_text(plan)?;
        let kind = kind.as_any().downcast_ref::<StringArray>();
        let plan = plan.as_any().downcast_ref::<StringArray>();
        let (Some(kind), Some(plan)) = (kind, plan) else {
            continue;
        };
        for i in 0..b.num_rows() {
            let k = kind.value(i);
            // `physical_plan` (EXPLAIN), `Plan with Metrics` (EXPLAIN ANALYZE).
            if k == "physical_plan" || k == "Plan with Metrics" {
                lines.extend(
                    plan.value(i)
                        .lines()
                        .filter(|l| !l.trim().is_empty())
                        .map(str::to_string),
                );
            }
        }
    }
    let schema = Arc::new(Schema::new(vec![query_plan_field().as_ref().clone()]));
    Ok(RecordBatch::try_new(
        schema,
        vec![Arc::new(StringArray::from(lines))],
    )?)
}
