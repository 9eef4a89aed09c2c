//! Staged rows to Parquet in fixed-size chunks: column builders hold at most [`CHUNK_ROWS`] rows, each full
//! chunk becomes one row group, so ingest memory does not grow with the size of the extract. Chunks are
//! encoded and written on a writer thread while the next chunk fills (encoding a row group took a fifth of
//! the staging thread's time at scale 100).

use super::columns::{build_frame, schema_of, ColumnBuilder, ColumnKind};
use crate::table_io::{parquet_writer, Provenance};
use polars::polars_utils::compression::ZstdLevel;
use polars::prelude::{DataFrame, ParquetCompression, PolarsError, PolarsResult};
use std::fs::File;
use std::sync::mpsc::{sync_channel, SyncSender};
use std::thread::JoinHandle;

/// Rows per chunk (and Parquet row group). Fixed, so the staged file is the same whatever the thread count.
pub const CHUNK_ROWS: usize = 1 << 17;

/// ZSTD level for staged files: level 1 compresses a chunk in about half the time of the default level 3,
/// and staged files are read once by `sna analyse` (measured: ingest is CPU-bound, disk is not).
const STAGED_ZSTD_LEVEL: i32 = 1;

pub struct StagedSink {
    columns: Vec<(String, ColumnKind)>,
    pub builders: Vec<ColumnBuilder>,
    /// Full chunks to the writer thread; one in flight at most, so memory stays at about two chunks.
    chunks: Option<SyncSender<DataFrame>>,
    writer: Option<JoinHandle<PolarsResult<()>>>,
}

impl StagedSink {
    pub fn new(file: File, columns: Vec<(String, ColumnKind)>, provenance: &Provenance) -> PolarsResult<StagedSink> {
        let level = ZstdLevel::try_new(STAGED_ZSTD_LEVEL)?;
        let mut writer = parquet_writer(file, provenance)
            .with_compression(ParquetCompression::Zstd(Some(level)))
            .batched(&schema_of(&columns))?;
        let (tx, rx) = sync_channel::<DataFrame>(1);
        let handle = std::thread::Builder::new()
            .name("sna-write".into())
            .spawn(move || -> PolarsResult<()> {
                for chunk in rx {
                    writer.write_batch(&chunk)?;
                }
                writer.finish().map(|_| ())
            })
            .map_err(|e| PolarsError::IO { error: std::sync::Arc::new(e), msg: None })?;
        let builders = Self::fresh(&columns);
        Ok(StagedSink { columns, builders, chunks: Some(tx), writer: Some(handle) })
    }

    fn fresh(columns: &[(String, ColumnKind)]) -> Vec<ColumnBuilder> {
        columns.iter().map(|(n, k)| ColumnBuilder::with_capacity(n, *k, CHUNK_ROWS)).collect()
    }

    /// Call after pushing one value to every builder: hands the chunk to the writer when it is full.
    pub fn row_done(&mut self) -> PolarsResult<()> {
        if self.builders.first().is_some_and(|b| b.len() >= CHUNK_ROWS) {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> PolarsResult<()> {
        let full = std::mem::replace(&mut self.builders, Self::fresh(&self.columns));
        let df = build_frame(full)?;
        let sent = self.chunks.as_ref().is_some_and(|tx| tx.send(df).is_ok());
        if sent {
            Ok(())
        } else {
            // The writer stopped: its error says why.
            self.join_writer().and_then(|()| Err(PolarsError::ComputeError("the staged-file writer stopped early".into())))
        }
    }

    fn join_writer(&mut self) -> PolarsResult<()> {
        self.chunks = None;
        match self.writer.take() {
            Some(handle) => handle.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            None => Ok(()),
        }
    }

    /// Write the last (possibly empty) chunk and the footer.
    pub fn finish(mut self) -> PolarsResult<()> {
        if self.builders.first().is_some_and(|b| !b.is_empty()) {
            self.flush()?;
        }
        self.join_writer()
    }
}

impl Drop for StagedSink {
    /// On an early return (an error elsewhere) the writer thread is stopped and waited for, so no thread
    /// outlives the ingest that started it.
    fn drop(&mut self) {
        self.chunks = None;
        if let Some(handle) = self.writer.take() {
            let _ = handle.join();
        }
    }
}
