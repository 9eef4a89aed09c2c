//! Ingest stage: raw extracts -> validated, pseudonymised, located Parquet in `staged/`, quarantined rows
//! in `rejects/`, and per-file accounting (rows read = staged + rejected) for the manifest.

pub mod columns;
pub mod coordinate_check;
pub mod encoding;
pub mod field_issues;
pub mod losses;
pub mod pseudonymise;
pub mod quote_guard;
pub mod reader;
pub mod reference;
pub mod reshape;
pub mod rejects;
pub mod settings;
pub mod row;
pub mod source;
pub mod staged_sink;
pub mod validate;
pub mod workbook_limits;

use crate::dictionary::mapping::SourceMapping;
use crate::dictionary::Registry;
use crate::geo::Geography;
use crate::progress::Progress;
use crate::step_timer::StepTimer;
use crate::table_io::TableIoError;
use pseudonymise::Pseudonymiser;
use serde::Serialize;
use field_issues::IssueGroup;
use source::{ingest_source, FileReport, KeyIndex, SourceOutputs};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum IngestError {
    #[error("{file}: {message}")]
    File { file: String, message: String },
    #[error("{file}: no column for required field {field} (looked for: {expected}; found: {found}); if the file names it otherwise, map it in the pipeline file: [sources.{source_name}] columns.{field} = \"<header>\"")]
    MissingColumn { file: String, source_name: String, field: String, expected: String, found: String },
    #[error("{file}: {key} names header \"{header}\", which the file does not have (headers found: {found})")]
    MappedColumn { file: String, key: String, header: String, found: String },
    #[error("{file}: {source}")]
    Io { file: String, source: std::io::Error },
    #[error("{context}: {source}")]
    Polars { context: String, source: polars::prelude::PolarsError },
    #[error(transparent)]
    Table(#[from] TableIoError),
    #[error("source {source_name} needs {parent} to be ingested in the same run")]
    MissingParent { source_name: String, parent: String },
    #[error("pseudonym key: {0}")]
    Key(String),
    #[error("nothing could be staged from:\n  {sources}")]
    NothingStaged { sources: String },
    #[error("--strict: {count} warning(s) about the inputs (listed above); the run stops")]
    Strict { count: usize },
}

/// For [`crate::fsutil::with_atomic_file`]: creating or renaming the staged file.
impl From<std::io::Error> for IngestError {
    fn from(source: std::io::Error) -> Self {
        IngestError::Io { file: "staged output".into(), source }
    }
}

impl IngestError {
    /// A mapping in the pipeline file that does not fit the file: a pipeline-file error (exit 2).
    pub fn is_usage(&self) -> bool {
        matches!(self, IngestError::MappedColumn { .. })
    }

    pub fn io(path: &Path, source: std::io::Error) -> IngestError {
        IngestError::Io { file: path.display().to_string(), source }
    }
    pub fn file(path: &Path, message: &str) -> IngestError {
        IngestError::File { file: path.display().to_string(), message: message.to_string() }
    }
}

pub struct IngestContext<'a> {
    pub geography: &'a Geography,
    pub pseudonymiser: &'a Pseudonymiser,
    pub progress: Progress,
    /// Paths are reported relative to this folder (the pipeline's).
    pub base_dir: &'a Path,
    /// When a source's losses are called out, and how large a workbook may be.
    pub settings: settings::IngestSettings,
    /// The run every staged file is marked with (Parquet metadata).
    pub run_id: &'a str,
}

impl IngestContext<'_> {
    pub fn display_path(&self, path: &Path) -> String {
        path.strip_prefix(self.base_dir).unwrap_or(path).display().to_string()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct SourceReport {
    pub source: String,
    pub dictionary_sha256: String,
    pub staged: String,
    pub rejects: String,
    /// Where repaired values are listed, one row each.
    pub field_issues_file: String,
    pub rows_read: u64,
    pub rows_staged: u64,
    pub rows_rejected: u64,
    /// Staged rows with a repaired value, and the values repaired (not in rows_rejected: the rows are staged).
    pub rows_repaired: u64,
    pub fields_repaired: u64,
    /// Staged rows whose event time had no time of day.
    pub time_unknown: u64,
    /// Repaired values by field and reason, with their commonest values.
    pub field_issues: Vec<IssueGroup>,
    pub files: Vec<FileReport>,
    /// Losses or repairs above the `[ingest]` thresholds.
    pub warnings: Vec<losses::Warning>,
    /// Why nothing could be staged (the run fails), when that is so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nothing_staged: Option<String>,
}

/// One source's files, as configured.
pub struct SourceInput {
    pub name: String,
    pub files: Vec<InputFile>,
}

/// One extract file: the sheet to read (workbooks) and how its layout maps onto the dictionary.
#[derive(Debug, Clone)]
pub struct InputFile {
    pub path: PathBuf,
    pub sheet: Option<String>,
    pub mapping: std::sync::Arc<SourceMapping>,
}

impl InputFile {
    /// A file read with the dictionary's aliases alone.
    pub fn plain(path: PathBuf, sheet: Option<String>) -> InputFile {
        InputFile { path, sheet, mapping: Default::default() }
    }
}

/// Order sources so that a parent (offences) is ingested before its children (victims, suspects).
fn ordered<'a>(registry: &Registry, inputs: &'a [SourceInput]) -> Result<Vec<&'a SourceInput>, IngestError> {
    let mut out: Vec<&SourceInput> = Vec::new();
    let mut pending: Vec<&SourceInput> = inputs.iter().collect();
    while !pending.is_empty() {
        let before = pending.len();
        pending.retain(|s| {
            let parent = registry.get(&s.name).ok().and_then(|d| d.file.source.parent.clone());
            let ready = match parent {
                None => true,
                Some(p) => out.iter().any(|o| o.name == p.source),
            };
            if ready {
                out.push(s);
            }
            !ready
        });
        if pending.len() == before {
            let s = pending[0];
            let parent = registry.get(&s.name).ok().and_then(|d| d.file.source.parent.clone()).map(|p| p.source).unwrap_or_default();
            return Err(IngestError::MissingParent { source_name: s.name.clone(), parent });
        }
    }
    Ok(out)
}

/// Ingest every configured source into `out_dir/staged` and `out_dir/rejects`. Sources linked to others
/// (a parent and its children: offences, victims, suspects) are ingested in order on one thread; the
/// unlinked ones (partner sources) on a second, to use the cores the first leaves idle. Each writes its own
/// files, so the outputs do not depend on the interleaving; the reports come back in the configured order.
pub fn ingest_all(
    ctx: &IngestContext,
    registry: &Registry,
    inputs: &[SourceInput],
    out_dir: &Path,
) -> Result<Vec<SourceReport>, IngestError> {
    let order = ordered(registry, inputs)?;
    let parent_of = |s: &SourceInput| registry.get(&s.name).ok().and_then(|d| d.file.source.parent.clone()).map(|p| p.source);
    let linked = |s: &SourceInput| parent_of(s).is_some() || order.iter().any(|o| parent_of(o).as_deref() == Some(s.name.as_str()));
    let (chain, unlinked): (Vec<&SourceInput>, Vec<&SourceInput>) = order.iter().partition(|s| linked(s));
    let (chain_reports, unlinked_reports) = std::thread::scope(|scope| -> Result<_, IngestError> {
        let side = std::thread::Builder::new()
            .name("sna-ingest-partners".into())
            .spawn_scoped(scope, || ingest_in_order(ctx, registry, &unlinked, out_dir))
            .map_err(|e| IngestError::File { file: "ingest".into(), message: format!("starting a thread: {e}") })?;
        let chain_reports = ingest_in_order(ctx, registry, &chain, out_dir);
        let unlinked_reports = side
            .join()
            .unwrap_or_else(|_| Err(IngestError::File { file: "ingest".into(), message: "the partner sources' thread panicked".into() }));
        Ok((chain_reports?, unlinked_reports?))
    })?;
    let mut reports: Vec<SourceReport> = chain_reports.into_iter().chain(unlinked_reports).collect();
    reports.sort_by_key(|r| order.iter().position(|s| s.name == r.source));
    Ok(reports)
}

/// Ingest sources one after another, each parent before its children (`ordered`).
fn ingest_in_order(
    ctx: &IngestContext,
    registry: &Registry,
    sources: &[&SourceInput],
    out_dir: &Path,
) -> Result<Vec<SourceReport>, IngestError> {
    let mut indexes: BTreeMap<String, KeyIndex> = BTreeMap::new();
    let mut reports = Vec::new();
    let mut timer = StepTimer::start("ingest");
    for input in sources.iter().copied() {
        let dict = registry.get(&input.name).map_err(|e| IngestError::File { file: input.name.clone(), message: e.to_string() })?;
        let parent = dict.file.source.parent.as_ref().and_then(|p| indexes.get(&p.source));
        let staged = out_dir.join("staged").join(format!("{}.parquet", input.name));
        let issues_rel = format!("rejects/{}_field_issues.csv", input.name);
        let issues_path = out_dir.join(&issues_rel);
        let provenance = vec![
            ("source".into(), input.name.clone()),
            ("dictionary_sha256".into(), dict.hash.clone()),
            (crate::table_io::RUN_ID_KEY.into(), ctx.run_id.to_string()),
        ];
        let outputs = SourceOutputs { staged: &staged, field_issues: &issues_path, provenance: &provenance };
        let mut outcome = ingest_source(ctx, dict, input, parent, &outputs)?;
        let rejects_path = out_dir.join("rejects").join(format!("{}.csv", input.name));
        outcome.rejects.write(&input.name, &rejects_path).map_err(|e| IngestError::io(&rejects_path, e))?;
        let rows_read = outcome.files.iter().map(|f| f.rows_read).sum();
        let rows_staged = outcome.files.iter().map(|f| f.rows_staged).sum();
        let rows_rejected = outcome.files.iter().map(|f| f.rows_rejected).sum();
        let rows_repaired: u64 = outcome.files.iter().map(|f| f.rows_repaired).sum();
        let fields_repaired = outcome.files.iter().map(|f| f.fields_repaired).sum();
        let time_unknown = outcome.files.iter().map(|f| f.time_unknown).sum();
        let repaired = if rows_repaired > 0 { format!(", {rows_repaired} with values repaired") } else { String::new() };
        ctx.progress.say(&format!("  {}: {rows_read} rows read, {rows_staged} staged{repaired}, {rows_rejected} quarantined", input.name));
        timer.step(&input.name);
        if let Some(ki) = outcome.key_index.take() {
            indexes.insert(input.name.clone(), ki);
        }
        let mut report = SourceReport {
            source: input.name.clone(),
            dictionary_sha256: dict.hash.clone(),
            staged: format!("staged/{}.parquet", input.name),
            rejects: format!("rejects/{}.csv", input.name),
            field_issues_file: issues_rel,
            rows_read,
            rows_staged,
            rows_rejected,
            rows_repaired,
            fields_repaired,
            time_unknown,
            field_issues: outcome.field_issues,
            files: outcome.files,
            warnings: Vec::new(),
            nothing_staged: None,
        };
        report.warnings = losses::warnings(&report, &outcome.rejects, &ctx.settings.losses);
        report.nothing_staged = losses::nothing_staged(&report, &outcome.rejects);
        reports.push(report);
    }
    Ok(reports)
}
