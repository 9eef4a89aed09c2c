//! `sna init FOLDER`: the first thing a new user runs. Looks at every extract below a folder, says which
//! source each file is (header match against every dictionary), finds the reference files (ward
//! boundaries, LSOA lookups, population), and writes a commented pipeline file with `columns` proposed for
//! renamed headers and TODOs for what it could not find.

mod period;
mod propose;
mod recognise;
mod reference;
mod render;
mod scan;

use crate::dictionary::header_match::fold;
use crate::dictionary::values::{parse_month, ParseOptions, Value};
use crate::dictionary::{Dictionary, Registry};
use crate::error::SnaError;
use crate::ingest::reader::{open_table, RowItem};
use period::Coverage;
use recognise::SourceMatch;
use reference::Reference;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum InitError {
    #[error("no file below {folder} was recognised as an extract of a known source (`sna dictionary NAME` shows the headers each source expects); no pipeline file written")]
    NothingRecognised { folder: String },
}

#[derive(Debug, Clone)]
pub struct InitOptions {
    pub folder: PathBuf,
    /// The pipeline file to write (default FOLDER/pipeline.toml).
    pub out: Option<PathBuf>,
    /// Overwrite an existing pipeline file.
    pub force: bool,
}

#[derive(Debug, Clone)]
pub struct InitOutcome {
    /// What was found and what to do next, for stdout.
    pub summary: String,
    /// The file written; None when no extract was recognised.
    pub written: Option<PathBuf>,
    pub todos: usize,
}

/// An extract assigned to a source.
#[derive(Debug, Clone)]
pub(crate) struct Extract {
    pub found: scan::Found,
    /// The sheet to name in the pipeline (None: the first sheet, or a CSV file).
    pub sheet: Option<String>,
    /// The sheet read (workbooks), for reading dates.
    pub sheet_read: Option<String>,
    pub headers: Vec<String>,
    pub m: SourceMatch,
    pub coverage: Coverage,
    /// Rows per LSOA code (upper case), where the extract has one: where the data are.
    pub lsoas: BTreeMap<String, u64>,
}

#[derive(Debug, Clone)]
pub(crate) struct ReferenceFile {
    pub found: scan::Found,
    pub sheet: Option<String>,
    pub reference: Reference,
}

#[derive(Debug, Clone)]
pub(crate) struct Unrecognised {
    pub found: scan::Found,
    pub why: String,
    pub headers: Vec<String>,
}

/// Everything found, ready to write.
pub(crate) struct Findings {
    pub extracts: Vec<Extract>,
    pub references: Vec<ReferenceFile>,
    pub unrecognised: Vec<Unrecognised>,
}

/// Which source (or reference) one table file is.
fn classify(registry: &Registry, found: scan::Found) -> Result<Extract, Result<ReferenceFile, Unrecognised>> {
    let sheets = match scan::sheets(&found.path) {
        Ok(s) => s,
        Err(e) => return Err(Err(Unrecognised { found, why: format!("cannot be read: {e}"), headers: vec![] })),
    };
    if let Some((s, r)) = sheets.iter().find_map(|s| reference::table_reference(&s.headers).map(|r| (s, r))) {
        let sheet = if s.first { None } else { s.name.clone() };
        return Err(Ok(ReferenceFile { found, sheet, reference: r }));
    }
    // The sheet whose best source scores highest; the first sheet on a tie.
    let mut best: Option<(&scan::Sheet, SourceMatch)> = None;
    for s in &sheets {
        let Some(m) = recognise::rank(registry, &found.path, &s.headers).into_iter().next() else { continue };
        if best.as_ref().is_none_or(|(_, b)| m.score > b.score) {
            best = Some((s, m));
        }
    }
    let Some((sheet, m)) = best else {
        return Err(Err(Unrecognised { found, why: "no header row".into(), headers: vec![] }));
    };
    if !m.recognised() {
        let why = format!("not recognised (closest: {})", m.describe());
        return Err(Err(Unrecognised { found, why, headers: sheet.headers.clone() }));
    }
    Ok(Extract {
        sheet: if sheet.first { None } else { sheet.name.clone() },
        sheet_read: sheet.name.clone(),
        headers: sheet.headers.clone(),
        m,
        coverage: Coverage::default(),
        lsoas: BTreeMap::new(),
        found,
    })
}

/// `YYYYMM` or `YYYY-MM`, as the month-per-column reshape reads headers.
fn month_header(h: &str) -> Option<chrono::NaiveDate> {
    let t = h.trim();
    let digits = t.chars().filter(char::is_ascii_digit).count();
    let shaped = (t.len() == 6 && digits == 6) || (t.len() == 7 && digits == 6 && t.as_bytes().get(4) == Some(&b'-'));
    shaped.then(|| parse_month(t).ok()).flatten()
}

/// The event dates of one extract (its dictionary's `event_time` field, read as ingest reads it), and its
/// rows per LSOA code.
fn read_dates(dict: &Dictionary, e: &Extract) -> (Coverage, BTreeMap<String, u64>) {
    let mut cov = Coverage::default();
    let mut lsoas = BTreeMap::new();
    let event = dict.file.source.event_time.as_deref().and_then(|n| Some((n, dict.field_index(n)?)));
    // A month-per-column file: its months are its headers.
    if event.is_some_and(|(n, _)| dict.file.reshape.as_ref().is_some_and(|r| r.month_field == n)) {
        for d in e.headers.iter().filter_map(|h| month_header(h)) {
            cov.add(d, true);
        }
        return (cov, lsoas);
    }
    let lsoa_field = dict.file.location.as_ref().and_then(|l| l.lsoa.clone());
    let event_header = event.and_then(|(n, _)| e.m.columns.get(n));
    let lsoa_header = lsoa_field.as_ref().and_then(|n| e.m.columns.get(n));
    if event_header.is_none() && lsoa_header.is_none() {
        return (cov, lsoas);
    }
    let Ok(table) = open_table(&e.found.path, e.sheet_read.as_deref()) else { return (cov, lsoas) };
    let position = |h: Option<&String>| h.and_then(|h| table.headers.iter().position(|x| fold(x) == fold(h)));
    let (ei, li) = (position(event_header), position(lsoa_header));
    let opts = ParseOptions { excel_serials: table.format.kind == "xlsx" };
    for item in table.rows {
        let RowItem::Row(r) = item else { continue };
        if let (Some(ci), Some((_, fi))) = (ei, event) {
            let field = &dict.fields[fi];
            let raw = r.cells.get(ci).unwrap_or("");
            if let Ok(cell) = crate::ingest::row::parse_cell(r.line, field, raw, None, opts) {
                match cell.value {
                    Some(Value::DateTime(at)) => cov.add(at.date(), false),
                    Some(Value::Date(d)) => cov.add(d, field.spec.kind == crate::dictionary::model::FieldType::Month),
                    _ => {}
                }
            }
        }
        if let Some(code) = li.and_then(|ci| r.cells.get(ci)).map(str::trim).filter(|c| !c.is_empty()) {
            *lsoas.entry(code.to_uppercase()).or_default() += 1;
        }
    }
    (cov, lsoas)
}

/// Look at everything below `folder`.
pub(crate) fn survey(registry: &Registry, root: &Path) -> Result<Findings, SnaError> {
    let files = scan::walk(root).map_err(|e| SnaError::io(format!("reading {}", root.display()), e))?;
    let mut f = Findings { extracts: vec![], references: vec![], unrecognised: vec![] };
    for found in files {
        match found.kind {
            scan::Kind::Json => match reference::geojson_reference(&found.path) {
                Ok(Some(r)) => f.references.push(ReferenceFile { found, sheet: None, reference: r }),
                // Other JSON (truth.json, settings) is not an input sna reads.
                Ok(None) => {}
                Err(e) => f.unrecognised.push(Unrecognised { found, why: e, headers: vec![] }),
            },
            scan::Kind::Table => match classify(registry, found) {
                Ok(e) => f.extracts.push(e),
                Err(Ok(r)) => f.references.push(r),
                Err(Err(u)) => f.unrecognised.push(u),
            },
        }
    }
    for e in &mut f.extracts {
        if let Ok(dict) = registry.get(&e.m.source) {
            (e.coverage, e.lsoas) = read_dates(dict, e);
        }
    }
    Ok(f)
}

/// `sna init`: survey the folder, write the pipeline file, say what was found.
pub fn init(opts: &InitOptions) -> Result<InitOutcome, SnaError> {
    if !opts.folder.is_dir() {
        return Err(SnaError::Usage(format!("{}: not a folder (give the folder holding the extracts)", opts.folder.display())));
    }
    let out = opts.out.clone().unwrap_or_else(|| opts.folder.join("pipeline.toml"));
    if out.is_dir() {
        return Err(SnaError::Usage(format!("--out {}: is a folder; give the pipeline file's path", out.display())));
    }
    if out.exists() && !opts.force {
        return Err(SnaError::Usage(format!("{} exists; use --force to overwrite it, or --out to write elsewhere", out.display())));
    }
    let root = opts.folder.canonicalize().map_err(|e| SnaError::io(format!("reading {}", opts.folder.display()), e))?;
    let registry = Registry::embedded()?;
    let findings = survey(&registry, &root)?;
    let mut summary = render::summary_lines(&findings, &opts.folder);
    if findings.extracts.is_empty() {
        summary.push_str("No extract recognised: no pipeline file written.\n");
        return Ok(InitOutcome { summary, written: None, todos: 0 });
    }
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(|e| SnaError::io(format!("creating {}", parent.display()), e))?;
    let base = parent.canonicalize().map_err(|e| SnaError::io(format!("reading {}", parent.display()), e))?;
    let text = render::pipeline_text(&registry, &findings, &base, &opts.folder);
    crate::fsutil::write_atomic(&out, text.as_bytes()).map_err(|e| SnaError::io(format!("writing {}", out.display()), e))?;
    let todos = text.matches("TODO:").count();
    let check = crate::pipeline::config::Pipeline::from_str(&text, &out.display().to_string(), &base).err();
    summary.push_str(&render::closing_lines(&findings, &out, todos, check.map(|e| e.to_string())));
    Ok(InitOutcome { summary, written: Some(out), todos })
}

/// Files per source, for tests and the summary.
pub(crate) fn by_source(f: &Findings) -> BTreeMap<String, Vec<&Extract>> {
    let mut m: BTreeMap<String, Vec<&Extract>> = BTreeMap::new();
    for e in &f.extracts {
        m.entry(e.m.source.clone()).or_default().push(e);
    }
    m
}
