//! Reading and writing tables (Parquet and CSV) through polars, atomically, with provenance in the
//! Parquet key-value metadata (definition name and hash, dictionary hash, tool version).

use crate::fsutil::with_atomic_file;
use polars::prelude::*;
use std::fs::File;
use std::path::Path;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum TableIoError {
    #[error("{path}: {source}")]
    Polars { path: String, source: PolarsError },
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    /// From [`with_atomic_file`], whose errors already name their path.
    #[error("{0}")]
    Fs(std::io::Error),
}

fn polars_err(path: &Path) -> impl Fn(PolarsError) -> TableIoError + '_ {
    move |source| TableIoError::Polars { path: path.display().to_string(), source }
}

impl From<std::io::Error> for TableIoError {
    fn from(source: std::io::Error) -> Self {
        TableIoError::Fs(source)
    }
}

/// Provenance written into every Parquet file.
pub type Provenance = Vec<(String, String)>;

/// The provenance key naming the run whose staged data a file holds or describes (see the manifest).
pub const RUN_ID_KEY: &str = "run_id";

/// The key every Parquet file `sna` writes carries (the tool version).
const VERSION_KEY: &str = "sna_version";

/// Who wrote a Parquet file, from its provenance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Writer {
    /// Not `sna` (no tool version in its metadata): someone else's file.
    Other,
    /// `sna`, for the run named (None: a version that did not record runs).
    Sna { run_id: Option<String> },
}

/// Who wrote the Parquet file at `path` (its metadata only is read).
pub fn writer_of(path: &Path) -> Result<Writer, TableIoError> {
    let provenance = read_provenance(path)?;
    let get = |key: &str| provenance.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
    Ok(match get(VERSION_KEY) {
        None => Writer::Other,
        Some(_) => Writer::Sna { run_id: get(RUN_ID_KEY) },
    })
}

/// A Parquet writer with the tool version and `provenance` in its key-value metadata.
pub fn parquet_writer(file: File, provenance: &Provenance) -> ParquetWriter<File> {
    let mut kv: Provenance = vec![(VERSION_KEY.into(), env!("CARGO_PKG_VERSION").into())];
    kv.extend(provenance.iter().cloned());
    ParquetWriter::new(file).with_key_value_metadata(Some(KeyValueMetadata::from_static(kv)))
}

pub fn write_parquet(df: &mut DataFrame, path: &Path, provenance: &Provenance) -> Result<(), TableIoError> {
    with_atomic_file(path, |tmp| {
        let file = File::create(tmp).map_err(|source| TableIoError::Io { path: path.display().to_string(), source })?;
        parquet_writer(file, provenance).finish(df).map_err(polars_err(path))?;
        Ok(())
    })
}

/// Write a table as CSV, with text a spreadsheet would run as a formula defused (see [`crate::formula_cells`]).
pub fn write_csv(df: &mut DataFrame, path: &Path) -> Result<(), TableIoError> {
    let mut safe = without_formulas(df).map_err(polars_err(path))?;
    with_atomic_file(path, |tmp| {
        let file = File::create(tmp).map_err(|source| TableIoError::Io { path: path.display().to_string(), source })?;
        CsvWriter::new(file)
            .include_header(true)
            .with_datetime_format(Some("%Y-%m-%dT%H:%M:%S".into()))
            .n_threads(1)
            .finish(&mut safe)
            .map_err(polars_err(path))
    })
}

/// `df` with every formula-like text cell defused; columns without one are shared, not copied.
fn without_formulas(df: &DataFrame) -> PolarsResult<DataFrame> {
    use crate::formula_cells::defuse_formula;
    use std::borrow::Cow;
    let mut out = df.clone();
    for column in df.columns() {
        let Ok(text) = column.str() else { continue };
        if !text.iter().flatten().any(|v| matches!(defuse_formula(v), Cow::Owned(_))) {
            continue;
        }
        let values: Vec<Option<String>> = text.iter().map(|v| v.map(|s| defuse_formula(s).into_owned())).collect();
        out.with_column(Series::new(column.name().clone(), values).into_column())?;
    }
    Ok(out)
}

/// Write a table as `<dir>/<name>.parquet` and `<dir>/<name>.csv`.
pub fn write_table(df: &mut DataFrame, dir: &Path, name: &str, provenance: &Provenance) -> Result<(), TableIoError> {
    write_parquet(df, &dir.join(format!("{name}.parquet")), provenance)?;
    write_csv(df, &dir.join(format!("{name}.csv")))
}

/// Where Parquet writers store the Arrow schema among the key-value metadata.
const ARROW_SCHEMA_KEY: &str = "ARROW:schema";

pub fn read_parquet(path: &Path) -> Result<DataFrame, TableIoError> {
    let file = File::open(path).map_err(|source| TableIoError::Io { path: path.display().to_string(), source })?;
    ParquetReader::new(file).finish().map_err(polars_err(path))
}

/// The key-value metadata of a Parquet file (provenance), without the Arrow schema the writer adds: that
/// describes the file's columns, and copied into another file it would describe the wrong ones.
pub fn read_provenance(path: &Path) -> Result<Provenance, TableIoError> {
    let file = File::open(path).map_err(|source| TableIoError::Io { path: path.display().to_string(), source })?;
    let mut reader = ParquetReader::new(file);
    let meta = reader.get_metadata().map_err(polars_err(path))?;
    Ok(meta
        .key_value_metadata()
        .as_ref()
        .map(|kvs| {
            kvs.iter()
                .filter(|kv| kv.key != ARROW_SCHEMA_KEY)
                .map(|kv| (kv.key.clone(), kv.value.clone().unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provenance_round_trips_without_the_arrow_schema() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.parquet");
        let mut df = df!("a" => [1i64, 2]).expect("frame");
        write_parquet(&mut df, &path, &vec![("source".to_string(), "test".to_string())]).expect("write");
        let provenance = read_provenance(&path).expect("read");
        assert!(provenance.contains(&("source".to_string(), "test".to_string())), "{provenance:?}");
        assert!(provenance.iter().all(|(k, _)| k != ARROW_SCHEMA_KEY), "{provenance:?}");
    }
}
