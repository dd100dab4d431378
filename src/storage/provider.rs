//! DataFusion's view of storage: a `SchemaProvider` that resolves table names through the catalog
//! and a `TableProvider` that unions a table's sealed segments, its growing segment and the current
//! transaction's own writes, minus deleted rows.
//!
//! DML statements plan their row selection through a provider built `with_row_id`, which exposes
//! the hidden `__row_id` column so that UPDATE and DELETE know which rows they matched.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use async_trait::async_trait;
use datafusion::catalog::SchemaProvider;
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::DFSchema;
use datafusion::datasource::TableType;
use datafusion::error::{DataFusionError, Result as DfResult};
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown};
use datafusion::physical_plan::ExecutionPlan;
use parking_lot::Mutex;

use crate::storage::catalog::{TableDef, ROW_ID};
use crate::storage::gin::{self, GinFilter};
use crate::storage::scan::{QuiverScanExec, ScanSource};
use crate::storage::txn::TxnWrites;
use crate::storage::Storage;

/// A session's transaction writes, shared by the session and the providers it plans with.
pub type SharedTxn = Arc<Mutex<TxnWrites>>;

/// Statement-scoped tables (ON CONFLICT's `excluded`, RETURNING input), by name.
pub type TempTables = Arc<Mutex<HashMap<String, Arc<dyn TableProvider>>>>;

pub struct QuiverSchema {
    storage: Arc<Storage>,
    schema: String,
    txn: SharedTxn,
    with_row_id: bool,
    /// Where names not found here resolve next (pg_catalog, as on PostgreSQL's search path).
    fallback: Option<Arc<dyn SchemaProvider>>,
    temp: Option<TempTables>,
}

impl QuiverSchema {
    pub fn new(storage: Arc<Storage>, schema: &str, txn: SharedTxn, with_row_id: bool) -> Self {
        QuiverSchema {
            storage,
            schema: schema.to_string(),
            txn,
            with_row_id,
            fallback: None,
            temp: None,
        }
    }

    pub fn with_fallback(mut self, fallback: Arc<dyn SchemaProvider>) -> Self {
        self.fallback = Some(fallback);
        self
    }

    pub fn with_temp_tables(mut self, temp: TempTables) -> Self {
        self.temp = Some(temp);
        self
    }
}

impl fmt::Debug for QuiverSchema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "QuiverSchema({})", self.schema)
    }
}

#[async_trait]
impl SchemaProvider for QuiverSchema {
    fn table_names(&self) -> Vec<String> {
        self.storage
            .table_defs()
            .into_iter()
            .filter(|d| d.schema == self.schema)
            .map(|d| d.name.clone())
            .collect()
    }

    async fn table(&self, name: &str) -> DfResult<Option<Arc<dyn TableProvider>>> {
        if let Some(t) = self.temp.as_ref().and_then(|t| t.lock().get(name).cloned()) {
            return Ok(Some(t));
        }
        let Some(def) = self.storage.table_def(&self.schema, name) else {
            return match &self.fallback {
                Some(f) => f.table(name).await,
                None => Ok(None),
            };
        };
        Ok(Some(Arc::new(QuiverTable::new(
            self.storage.clone(),
            def,
            self.txn.clone(),
            self.with_row_id,
        ))))
    }

    fn table_exist(&self, name: &str) -> bool {
        self.storage.table_id(&self.schema, name).is_some()
            || self
                .temp
                .as_ref()
                .is_some_and(|t| t.lock().contains_key(name))
            || self.fallback.as_ref().is_some_and(|f| f.table_exist(name))
    }
}

pub struct QuiverTable {
    storage: Arc<Storage>,
    def: Arc<TableDef>,
    txn: SharedTxn,
    with_row_id: bool,
    /// User columns followed by `__row_id`.
    full_schema: SchemaRef,
    schema: SchemaRef,
}

impl QuiverTable {
    pub fn new(
        storage: Arc<Storage>,
        def: Arc<TableDef>,
        txn: SharedTxn,
        with_row_id: bool,
    ) -> Self {
        let user = def.arrow_schema();
        let mut fields: Vec<Field> = user.fields().iter().map(|f| f.as_ref().clone()).collect();
        fields.push(Field::new(ROW_ID, DataType::UInt64, false));
        let full_schema = Arc::new(Schema::new(fields));
        let schema = if with_row_id {
            full_schema.clone()
        } else {
            user
        };
        QuiverTable {
            storage,
            def,
            txn,
            with_row_id,
            full_schema,
            schema,
        }
    }

    /// What a scan of this table reads now: the committed snapshot and this session's writes.
    pub fn scan_source(&self) -> crate::error::Result<ScanSource> {
        ScanSource::capture(
            self.storage.clone(),
            self.def.id,
            &self.def.name,
            self.txn.clone(),
            self.full_schema.clone(),
        )
    }

    /// The live rows this session sees, as batches of `full_schema`.
    pub fn live_batches(&self) -> crate::error::Result<Vec<RecordBatch>> {
        self.scan_source()?.live_batches()
    }
}

impl fmt::Debug for QuiverTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "QuiverTable({})", self.def.name)
    }
}

#[async_trait]
impl TableProvider for QuiverTable {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    /// `@@` filters a GIN index can serve are taken inexactly (the scan reads the rows the index
    /// lists; the filter above re-checks them); the rest stay above the scan.
    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> DfResult<Vec<TableProviderFilterPushDown>> {
        Ok(filters
            .iter()
            .map(|f| match gin::match_filter(&self.def, f) {
                Some(_) => TableProviderFilterPushDown::Inexact,
                None => TableProviderFilterPushDown::Unsupported,
            })
            .collect())
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        _limit: Option<usize>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        let source = self
            .scan_source()
            .map_err(|e| DataFusionError::External(Box::new(e)))?;
        let projection = match projection {
            Some(p) => p.clone(),
            None if !self.with_row_id => (0..self.def.columns.len()).collect(),
            None => (0..self.full_schema.fields().len()).collect(),
        };
        // One partition keeps rows in insertion order (what PostgreSQL users see from a heap
        // scan); operators above still parallelise by hash repartitioning.
        let mut scan = QuiverScanExec::try_new(source, projection)?;
        if let Some((index, query)) = filters.iter().find_map(|f| gin::match_filter(&self.def, f)) {
            let query = state.create_physical_expr(query, &DFSchema::empty())?;
            scan = scan.with_gin(GinFilter { index, query });
        }
        Ok(Arc::new(scan))
    }
}
