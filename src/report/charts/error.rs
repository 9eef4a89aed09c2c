//! Errors raised while rendering charts.

use std::path::PathBuf;

/// Failure to render or write a chart. Every variant names the output file concerned.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    /// The chart was asked to draw nothing (for example an empty ward list).
    #[error("no data to chart for {path}: the ward list is empty")]
    NoData { path: PathBuf },

    /// The embedded DejaVu Sans fonts could not be registered with plotters.
    #[error("could not register the embedded DejaVu Sans fonts for {path}: {message}")]
    Font { path: PathBuf, message: String },

    /// plotters reported an error while drawing or encoding.
    #[error("could not draw chart {path}: {message}")]
    Draw { path: PathBuf, message: String },

    /// Creating the output folder, writing the temporary file or renaming it failed.
    #[error("could not write chart {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}
