//! The library's top-level error. Each stage has its own error enum; this wraps them so `main` can map
//! every failure to an exit code: 2 for bad usage or a bad pipeline file, 1 for a run that failed.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum SnaError {
    #[error(transparent)]
    Config(#[from] crate::pipeline::config::ConfigError),
    #[error(transparent)]
    Dictionary(#[from] crate::dictionary::DictionaryError),
    #[error(transparent)]
    Ingest(#[from] crate::ingest::IngestError),
    #[error(transparent)]
    Definition(#[from] crate::definition::DefinitionError),
    #[error(transparent)]
    Geo(#[from] crate::geo::GeoError),
    #[error(transparent)]
    Analysis(#[from] crate::analysis::AnalysisError),
    #[error(transparent)]
    Report(#[from] crate::report::ReportError),
    #[error(transparent)]
    Synth(#[from] crate::synth::SynthError),
    #[error(transparent)]
    Init(#[from] crate::pipeline::init::InitError),
    /// An output folder a run may not write into (exit 1: the command was well formed).
    #[error(transparent)]
    OutFolder(#[from] crate::pipeline::out_folder::OutFolderError),
    /// Outputs of two runs mixed in one folder, or a stage started before the one it follows finished.
    #[error(transparent)]
    RunId(#[from] crate::pipeline::run_id::RunIdError),
    #[error("{context}: {source}")]
    Io { context: String, source: std::io::Error },
    #[error("{0}")]
    Usage(String),
}

impl SnaError {
    /// Exit code per the command-line contract: 2 bad usage or pipeline file, 1 anything else.
    pub fn exit_code(&self) -> i32 {
        match self {
            SnaError::Config(_) | SnaError::Usage(_) => 2,
            SnaError::Definition(e) if e.is_usage() => 2,
            SnaError::Dictionary(e) if e.is_usage() => 2,
            SnaError::Ingest(e) if e.is_usage() => 2,
            _ => 1,
        }
    }

    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        SnaError::Io { context: context.into(), source }
    }
}

pub type Result<T, E = SnaError> = std::result::Result<T, E>;

/// An error message as it may reach a terminal: raw control bytes from an input (which could drive the
/// terminal) shown as `?`, line breaks and tabs kept, and personal-looking values from a misplaced column
/// redacted.
pub fn printable(message: &str) -> String {
    let redacted = crate::personal_data::redact(message);
    redacted.chars().map(|c| if c.is_control() && c != '\n' && c != '\t' { '?' } else { c }).collect()
}

#[cfg(test)]
mod printable_tests {
    #[test]
    fn control_bytes_and_personal_values_never_reach_the_terminal() {
        assert_eq!(super::printable("bad \u{1b}[2J header\nnext"), "bad ?[2J header\nnext");
        assert_eq!(super::printable("found: jo@example.org"), "found: [redacted: email address]");
    }
}
