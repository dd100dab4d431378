//! `QuiverScanExec`: the physical scan of one table — its sealed segments, growing segment and the
//! transaction's own writes as of planning, minus deleted rows.
//!
//! It keeps the snapshot rather than materialised batches, so that the ANN rule
//! (`planner::ann_rule`) can replace it with an index search over the same snapshot.

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::error::{DataFusionError, Result as DfResult};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::{EquivalenceProperties, PhysicalExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::memory::MemoryStream;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, Partitioning, PlanProperties,
};

use crate::error::{QuiverError, Result};
use crate::storage::gin::{take_positions, GinFilter};
use crate::storage::provider::SharedTxn;
use crate::storage::{push_filtered, Storage, TableSnapshot};

/// What one scan reads: a table snapshot plus the session's uncommitted writes.
#[derive(Clone)]
pub struct ScanSource {
    pub storage: Arc<Storage>,
    pub snapshot: TableSnapshot,
    /// The transaction's own inserts (storage schema).
    pub extra_inserts: Vec<RecordBatch>,
    /// The transaction's own deletes.
    pub extra_deleted: Option<HashSet<u64>>,
    /// User columns + `__row_id`, with the user-visible field attributes.
    pub full_schema: SchemaRef,
    /// The session transaction the overlay came from (for [`ScanSource::refresh`]).
    pub txn: SharedTxn,
}

impl ScanSource {
    /// The table `table_id` as the session with transaction `txn` sees it now.
    pub fn capture(
        storage: Arc<Storage>,
        table_id: u64,
        table_name: &str,
        txn: SharedTxn,
        full_schema: SchemaRef,
    ) -> Result<ScanSource> {
        let snapshot = storage
            .snapshot(table_id)
            .ok_or_else(|| QuiverError::UndefinedTable(table_name.to_string()))?;
        let (extra_inserts, extra_deleted) = {
            let t = txn.lock();
            match t.tables.get(&table_id) {
                Some(tw) => (tw.inserts.clone(), Some(tw.deletes.clone())),
                None => (vec![], None),
            }
        };
        Ok(ScanSource {
            storage,
            snapshot,
            extra_inserts,
            extra_deleted,
            full_schema,
            txn,
        })
    }

    /// The same table, read again: for a cached plan executed after other statements committed.
    pub fn refresh(&self) -> Result<ScanSource> {
        ScanSource::capture(
            self.storage.clone(),
            self.snapshot.def.id,
            &self.snapshot.def.name,
            self.txn.clone(),
            self.full_schema.clone(),
        )
    }

    /// All live rows as batches of `full_schema`.
    pub fn live_batches(&self) -> Result<Vec<RecordBatch>> {
        let batches = self
            .snapshot
            .live_batches(&self.extra_inserts, self.extra_deleted.as_ref())?;
        batches
            .into_iter()
            .map(|b| {
                RecordBatch::try_new(self.full_schema.clone(), b.columns().to_vec())
                    .map_err(QuiverError::from)
            })
            .collect()
    }

    /// The live rows a GIN index lists for the filter's query, in scan order (a superset of the
    /// rows that match; see `storage::gin`).
    pub fn gin_batches(&self, g: &GinFilter) -> Result<Vec<RecordBatch>> {
        let Some(query) = g.query()? else {
            return Ok(vec![]);
        };
        let schema = self.snapshot.def.storage_schema();
        let store = &self.storage.text_indexes;
        let table = self.snapshot.def.id;
        let (column, source) = (g.index.column, g.index.source);
        let mut picked = Vec::new();
        for seg in &self.snapshot.sealed {
            let batches = seg.batches(&schema)?;
            let ix = store.gin(table, seg, column, source, g.index.id, &batches)?;
            match query.candidates(&|lexeme, prefix| ix.docs_with(lexeme, prefix)) {
                None => picked.extend(batches),
                Some(rows) => picked.extend(take_positions(&batches, &rows)?),
            }
        }
        let mut out = Vec::new();
        for b in picked {
            push_filtered(
                &mut out,
                b,
                &self.snapshot.deleted,
                self.extra_deleted.as_ref(),
            )?;
        }
        // Rows not in a sealed segment yet: live ones, with postings kept until they change.
        let unsealed = TableSnapshot {
            sealed: vec![],
            ..self.snapshot.clone()
        }
        .live_batches(&self.extra_inserts, self.extra_deleted.as_ref())?;
        let row_id = schema.fields().len() - 1;
        if !unsealed.is_empty() {
            let ix = store.gin_unsealed(table, column, source, &unsealed, row_id)?;
            match query.candidates(&|lexeme, prefix| ix.docs_with(lexeme, prefix)) {
                None => out.extend(unsealed),
                Some(rows) => out.extend(take_positions(&unsealed, &rows)?),
            }
        }
        out.into_iter()
            .map(|b| {
                RecordBatch::try_new(self.full_schema.clone(), b.columns().to_vec())
                    .map_err(QuiverError::from)
            })
            .collect()
    }

    pub fn table_name(&self) -> &str {
        &self.snapshot.def.name
    }
}

pub struct QuiverScanExec {
    source: ScanSource,
    /// A GIN lookup narrowing the rows read (the filter above re-checks them).
    gin: Option<GinFilter>,
    /// Columns of `full_schema` produced, in order.
    projection: Vec<usize>,
    schema: SchemaRef,
    properties: Arc<PlanProperties>,
}

impl QuiverScanExec {
    pub fn try_new(source: ScanSource, projection: Vec<usize>) -> DfResult<Self> {
        let schema = Arc::new(source.full_schema.project(&projection)?);
        let properties = Arc::new(scan_properties(schema.clone()));
        Ok(QuiverScanExec {
            source,
            gin: None,
            projection,
            schema,
            properties,
        })
    }

    /// This scan reading only the rows a GIN index lists for its query.
    pub fn with_gin(mut self, gin: GinFilter) -> Self {
        self.gin = Some(gin);
        self
    }

    pub fn gin(&self) -> Option<&GinFilter> {
        self.gin.as_ref()
    }

    pub fn source(&self) -> &ScanSource {
        &self.source
    }

    pub fn projection(&self) -> &[usize] {
        &self.projection
    }

    /// This scan over a fresh snapshot of its table.
    pub fn refreshed(&self) -> Result<QuiverScanExec> {
        Ok(QuiverScanExec {
            source: self.source.refresh()?,
            gin: self.gin.clone(),
            projection: self.projection.clone(),
            schema: self.schema.clone(),
            properties: self.properties.clone(),
        })
    }
}

/// One partition, bounded, no known order.
pub fn scan_properties(schema: SchemaRef) -> PlanProperties {
    PlanProperties::new(
        EquivalenceProperties::new(schema),
        Partitioning::UnknownPartitioning(1),
        EmissionType::Incremental,
        Boundedness::Bounded,
    )
}

impl fmt::Debug for QuiverScanExec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "QuiverScanExec({})", self.source.table_name())
    }
}

impl DisplayAs for QuiverScanExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        let cols: Vec<&str> = self
            .schema
            .fields()
            .iter()
            .map(|f| f.name().as_str())
            .collect();
        write!(
            f,
            "QuiverScanExec: table={}, projection=[{}], segments={}",
            self.source.table_name(),
            cols.join(", "),
            self.source.snapshot.sealed.len()
        )?;
        if let Some(g) = &self.gin {
            write!(f, ", index={} (gin), index_query={}", g.index.name, g.query)?;
        }
        Ok(())
    }
}

impl ExecutionPlan for QuiverScanExec {
    fn name(&self) -> &str {
        "QuiverScanExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> DfResult<TreeNodeRecursion>,
    ) -> DfResult<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        if children.is_empty() {
            Ok(self)
        } else {
            Err(DataFusionError::Internal(
                "QuiverScanExec has no children".into(),
            ))
        }
    }

    fn execute(
        &self,
        partition: usize,
        _context: Arc<TaskContext>,
    ) -> DfResult<SendableRecordBatchStream> {
        if partition != 0 {
            return Err(DataFusionError::Internal(format!(
                "QuiverScanExec has one partition, not {}",
                partition + 1
            )));
        }
        let batches = match &self.gin {
            Some(g) => self.source.gin_batches(g),
            None => self.source.live_batches(),
        }
        .map_err(|e| DataFusionError::External(Box::new(e)))?;
        // The stream's schema is its output's: the projected one.
        Ok(Box::pin(MemoryStream::try_new(
            batches,
            self.schema.clone(),
            Some(self.projection.clone()),
        )?))
    }
}
