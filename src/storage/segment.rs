//! Segments: the growing segment's committed batches (Arrow IPC in RocksDB) and sealed segments
//! (immutable Parquet files). Both hold the user columns followed by `__row_id`.
//!
//! A sealed segment is read lazily on first use and kept decoded in memory; the tiered cache (memory
//! budget, object storage) will replace `SealedSegment::batches` without changing its callers.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use arrow::array::{new_null_array, ArrayRef, RecordBatch, RecordBatchOptions};
use arrow::datatypes::SchemaRef;
use arrow::ipc::reader::StreamReader;
use arrow::ipc::writer::StreamWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::{ArrowSchemaConverter, ArrowWriter};
use parquet::basic::{Compression, Type as PhysicalType};
use parquet::file::properties::WriterProperties;

use crate::error::{QuiverError, Result};
use crate::storage::catalog::SegmentMeta;

pub fn encode_ipc(batch: &RecordBatch) -> Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(batch.get_array_memory_size() + 1024);
    {
        let mut w = StreamWriter::try_new(&mut buf, &batch.schema())?;
        w.write(batch)?;
        w.finish()?;
    }
    Ok(buf)
}

pub fn decode_ipc(bytes: &[u8]) -> Result<Vec<RecordBatch>> {
    let reader = StreamReader::try_new(bytes, None)
        .map_err(|e| QuiverError::DataCorrupted(format!("growing segment batch: {e}")))?;
    reader
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| QuiverError::DataCorrupted(format!("growing segment batch: {e}")))
}

/// Re-shapes a stored batch to `schema` (the table's current storage schema): columns are matched
/// by name, missing ones (added by ALTER TABLE later) become NULL, and types are cast where a
/// column's representation changed.
pub fn adapt_batch(batch: &RecordBatch, schema: &SchemaRef) -> Result<RecordBatch> {
    if batch.schema().fields() == schema.fields() {
        return Ok(RecordBatch::try_new(
            schema.clone(),
            batch.columns().to_vec(),
        )?);
    }
    let cols: Vec<ArrayRef> = schema
        .fields()
        .iter()
        .map(|f| match batch.schema().index_of(f.name()) {
            Ok(i) => {
                let c = batch.column(i);
                if c.data_type() == f.data_type() {
                    Ok(c.clone())
                } else {
                    Ok(arrow::compute::cast(c, f.data_type())?)
                }
            }
            Err(_) => match f.metadata().get(crate::storage::catalog::MISSING_VALUE_KEY) {
                // Stored before the column existed: the default it was added with.
                Some(v) => {
                    let text: ArrayRef =
                        Arc::new(arrow::array::StringArray::from(vec![
                            v.as_str();
                            batch.num_rows()
                        ]));
                    let ty = crate::types::SqlType::of_field(f);
                    crate::sql::cast::cast_array(&text, &crate::types::SqlType::Text, &ty)
                }
                None => Ok(new_null_array(f.data_type(), batch.num_rows())),
            },
        })
        .collect::<Result<_>>()?;
    Ok(RecordBatch::try_new_with_options(
        schema.clone(),
        cols,
        &RecordBatchOptions::new().with_row_count(Some(batch.num_rows())),
    )?)
}

/// An immutable Parquet segment.
#[derive(Debug)]
pub struct SealedSegment {
    pub meta: SegmentMeta,
    pub path: PathBuf,
    batches: OnceLock<Vec<RecordBatch>>,
}

impl SealedSegment {
    pub fn new(meta: SegmentMeta, dir: &Path) -> Self {
        let path = dir.join(&meta.file);
        SealedSegment {
            meta,
            path,
            batches: OnceLock::new(),
        }
    }

    /// The segment's rows, decoded on first use and adapted to `schema`.
    pub fn batches(&self, schema: &SchemaRef) -> Result<Vec<RecordBatch>> {
        if let Some(b) = self.batches.get() {
            return b.iter().map(|b| adapt_batch(b, schema)).collect();
        }
        let file = File::open(&self.path).map_err(|e| {
            QuiverError::DataCorrupted(format!(
                "could not open segment file \"{}\": {e}",
                self.path.display()
            ))
        })?;
        let reader = ParquetRecordBatchReaderBuilder::try_new(file)?
            .with_batch_size(8192)
            .build()?;
        let loaded = reader
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| QuiverError::DataCorrupted(format!("segment {}: {e}", self.meta.id)))?;
        let loaded = self.batches.get_or_init(|| loaded);
        loaded.iter().map(|b| adapt_batch(b, schema)).collect()
    }
}

/// Writes `batches` to a new Parquet file at `path` and fsyncs it (and its directory) before
/// returning, so that the catalog may reference it.
pub fn write_parquet(path: &Path, schema: &SchemaRef, batches: &[RecordBatch]) -> Result<u64> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("parquet.tmp");
    let file = File::create(&tmp)?;
    let mut props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(64 * 1024));
    // Vector components (floats inside lists) neither repeat nor compress: dictionary encoding and
    // Snappy only cost time on them (most of a bulk load's Parquet write) for no smaller file.
    if let Ok(descr) = ArrowSchemaConverter::new().convert(schema) {
        for col in descr.columns() {
            let float = matches!(
                col.physical_type(),
                PhysicalType::FLOAT | PhysicalType::DOUBLE | PhysicalType::FIXED_LEN_BYTE_ARRAY
            );
            if float && col.max_rep_level() > 0 {
                props = props
                    .set_column_dictionary_enabled(col.path().clone(), false)
                    .set_column_compression(col.path().clone(), Compression::UNCOMPRESSED);
            }
        }
    }
    let props = props.build();
    let mut w = ArrowWriter::try_new(file, schema.clone(), Some(props))?;
    for b in batches {
        w.write(b)?;
    }
    let file = w.into_inner()?;
    file.sync_all()?;
    let bytes = file.metadata()?.len();
    drop(file);
    std::fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent() {
        File::open(dir)?.sync_all()?;
    }
    Ok(bytes)
}

pub type SegmentRef = Arc<SealedSegment>;
