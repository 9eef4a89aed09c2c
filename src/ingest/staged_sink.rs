//! Staged rows to Parquet in fixed-size chunks: column builders hold at most [`CHUNK_ROWS`] rows, each full
//! chunk becomes one row group, so ingest memory does not grow with the size of the extract.

use super::columns::{build_frame, schema_of, ColumnBuilder, ColumnKind};
use crate::table_io::{parquet_writer, Provenance};
use polars::prelude::PolarsResult;
use polars::io::parquet::write::BatchedWriter;
use std::fs::File;

/// Rows per chunk (and Parquet row group). Fixed, so the staged file is the same whatever the thread count.
pub const CHUNK_ROWS: usize = 1 << 17;

pub struct StagedSink {
    columns: Vec<(String, ColumnKind)>,
    pub builders: Vec<ColumnBuilder>,
    writer: BatchedWriter<File>,
}

impl StagedSink {
    pub fn new(file: File, columns: Vec<(String, ColumnKind)>, provenance: &Provenance) -> PolarsResult<StagedSink> {
        let writer = parquet_writer(file, provenance).batched(&schema_of(&columns))?;
        let builders = Self::fresh(&columns);
        Ok(StagedSink { columns, builders, writer })
    }

    fn fresh(columns: &[(String, ColumnKind)]) -> Vec<ColumnBuilder> {
        columns.iter().map(|(n, k)| ColumnBuilder::new(n, *k)).collect()
    }

    /// Call after pushing one value to every builder: writes the chunk out when it is full.
    pub fn row_done(&mut self) -> PolarsResult<()> {
        if self.builders.first().is_some_and(|b| b.len() >= CHUNK_ROWS) {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> PolarsResult<()> {
        let full = std::mem::replace(&mut self.builders, Self::fresh(&self.columns));
        let df = build_frame(full)?;
        self.writer.write_batch(&df)
    }

    /// Write the last (possibly empty) chunk and the footer.
    pub fn finish(mut self) -> PolarsResult<()> {
        if self.builders.first().is_some_and(|b| !b.is_empty()) {
            self.flush()?;
        }
        self.writer.finish().map(|_| ())
    }
}
