//! Errors raised while generating the synthetic borough.

use std::path::PathBuf;

use thiserror::Error;

use crate::geo::crs::CrsError;

#[derive(Debug, Error)]
pub enum SynthError {
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write CSV {path}: {source}")]
    Csv {
        path: PathBuf,
        #[source]
        source: csv::Error,
    },
    #[error("cannot write workbook {path}: {source}")]
    Xlsx {
        path: PathBuf,
        #[source]
        source: rust_xlsxwriter::XlsxError,
    },
    #[error("cannot serialise {what}: {source}")]
    Json {
        what: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("embedded generator data {file} is invalid: {message}")]
    SeedData { file: String, message: String },
    #[error("text for {path} cannot be encoded as {encoding}")]
    Encoding { path: PathBuf, encoding: String },
    #[error("geometry generation failed: {0}")]
    Geometry(String),
    #[error("invalid options: {0}")]
    Options(String),
    #[error("calendar arithmetic failed: {0}")]
    Calendar(String),
    #[error(transparent)]
    Crs(#[from] CrsError),
}

impl SynthError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        SynthError::Io { path: path.into(), source }
    }

    pub(crate) fn seed(file: &str, message: impl Into<String>) -> Self {
        SynthError::SeedData { file: file.to_string(), message: message.into() }
    }
}
