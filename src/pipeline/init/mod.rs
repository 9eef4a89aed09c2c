//! `sna init FOLDER`: the first thing a new user runs. Looks at every extract below a folder, says which
//! source each file is (header match against every dictionary), finds the reference files (ward
//! boundaries, LSOA lookups, population), and writes a commented pipeline file with `columns` proposed for
//! renamed headers and TODOs for what it could not find.

mod area;
mod period;
mod propose;
mod recognise;
mod reference;
mod render;
mod scan;
mod sections;

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
    /// A sample of the extract's points (British National Grid), for the same.
    pub points: Vec<(f64, f64)>,
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

/// What one table file is.
enum Classified {
    Extract(Box<Extract>),
    Reference(ReferenceFile),
    Unrecognised(Unrecognised),
}

/// Which source (or reference) one table file is.
fn classify(registry: &Registry, found: scan::Found) -> Classified {
    let sheets = match scan::sheets(&found.path) {
        Ok(s) => s,
        Err(e) => return Classified::Unrecognised(Unrecognised { found, why: format!("cannot be read: {e}"), headers: vec![] }),
    };
    if let Some((s, r)) = sheets.iter().find_map(|s| reference::table_reference(&s.headers).map(|r| (s, r))) {
        let sheet = if s.first { None } else { s.name.clone() };
        return Classified::Reference(ReferenceFile { found, sheet, reference: r });
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
        return Classified::Unrecognised(Unrecognised { found, why: "no header row".into(), headers: vec![] });
    };
    if !m.recognised() {
        let why = if m.placed() == 0 { "not recognised (no header matches a source)".to_string() } else { format!("not recognised (closest: {})", m.describe()) };
        return Classified::Unrecognised(Unrecognised { found, why, headers: sheet.headers.clone() });
    }
    Classified::Extract(Box::new(Extract {
        sheet: if sheet.first { None } else { sheet.name.clone() },
        sheet_read: sheet.name.clone(),
        headers: sheet.headers.clone(),
        m,
        coverage: Coverage::default(),
        lsoas: BTreeMap::new(),
        points: Vec::new(),
        found,
    }))
}

/// `YYYYMM` or `YYYY-MM`, as the month-per-column reshape reads headers.
fn month_header(h: &str) -> Option<chrono::NaiveDate> {
    let t = h.trim();
    let digits = t.chars().filter(char::is_ascii_digit).count();
    let shaped = (t.len() == 6 && digits == 6) || (t.len() == 7 && digits == 6 && t.as_bytes().get(4) == Some(&b'-'));
    shaped.then(|| parse_month(t).ok()).flatten()
}

/// Points kept per extract for telling where the data are: plenty for shares of a few per cent.
const MAX_POINTS: usize = 20_000;

/// What one pass over an extract gives.
#[derive(Default)]
struct Read {
    coverage: Coverage,
    lsoas: BTreeMap<String, u64>,
    points: Vec<(f64, f64)>,
}

/// The event dates of one extract (its dictionary's `event_time` field, read as ingest reads it), its rows
/// per LSOA code and a sample of its points.
fn read_dates(dict: &Dictionary, e: &Extract) -> Read {
    let mut out = Read::default();
    let event = dict.file.source.event_time.as_deref().and_then(|n| Some((n, dict.field_index(n)?)));
    // A month-per-column file: its months are its headers.
    if event.is_some_and(|(n, _)| dict.file.reshape.as_ref().is_some_and(|r| r.month_field == n)) {
        for d in e.headers.iter().filter_map(|h| month_header(h)) {
            out.coverage.add(d, true);
        }
        return out;
    }
    let loc = dict.file.location.clone().unwrap_or_default();
    let header_of = |f: &Option<String>| f.as_ref().and_then(|n| e.m.columns.get(n));
    let event_header = event.and_then(|(n, _)| e.m.columns.get(n));
    let lsoa_header = header_of(&loc.lsoa);
    let Ok(table) = open_table(&e.found.path, e.sheet_read.as_deref()) else { return out };
    let position = |h: Option<&String>| h.and_then(|h| table.headers.iter().position(|x| fold(x) == fold(h)));
    let (ei, li) = (position(event_header), position(lsoa_header));
    let grid = position(header_of(&loc.easting)).zip(position(header_of(&loc.northing)));
    let lonlat = position(header_of(&loc.longitude)).zip(position(header_of(&loc.latitude)));
    if ei.is_none() && li.is_none() && grid.is_none() && lonlat.is_none() {
        return out;
    }
    let number = |r: &crate::ingest::reader::RawRow, i: usize| crate::dictionary::values::parse_float(r.cells.get(i).unwrap_or("")).ok();
    let opts = ParseOptions { excel_serials: table.format.kind == "xlsx" };
    for item in table.rows {
        let RowItem::Row(r) = item else { continue };
        if let (Some(ci), Some((_, fi))) = (ei, event) {
            let field = &dict.fields[fi];
            let raw = r.cells.get(ci).unwrap_or("");
            if let Ok(cell) = crate::ingest::row::parse_cell(r.line, field, raw, None, opts) {
                match cell.value {
                    Some(Value::DateTime(at)) => out.coverage.add(at.date(), false),
                    Some(Value::Date(d)) => out.coverage.add(d, field.spec.kind == crate::dictionary::model::FieldType::Month),
                    _ => {}
                }
            }
        }
        if let Some(code) = li.and_then(|ci| r.cells.get(ci)).map(str::trim).filter(|c| !c.is_empty()) {
            *out.lsoas.entry(code.to_uppercase()).or_default() += 1;
        }
        if out.points.len() < MAX_POINTS {
            let bng = grid.and_then(|(x, y)| number(&r, x).zip(number(&r, y))).or_else(|| {
                lonlat.and_then(|(x, y)| number(&r, x).zip(number(&r, y))).and_then(|(lon, lat)| crate::geo::crs::wgs84_to_bng(lon, lat).ok())
            });
            out.points.extend(bng.filter(|(x, y)| x.is_finite() && y.is_finite()));
        }
    }
    out
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
                Classified::Extract(e) => f.extracts.push(*e),
                Classified::Reference(r) => f.references.push(r),
                Classified::Unrecognised(u) => f.unrecognised.push(u),
            },
        }
    }
    for e in &mut f.extracts {
        if let Ok(dict) = registry.get(&e.m.source) {
            let r = read_dates(dict, e);
            (e.coverage, e.lsoas, e.points) = (r.coverage, r.lsoas, r.points);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dictionary::mapping::MappedColumn;
    use crate::pipeline::config::Pipeline;

    fn write(root: &Path, rel: &str, text: &str) {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }

    const WARD: &str = r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"WD24CD":"E05000001","WD24NM":"One"},"geometry":null}]}"#;

    /// Survey `root` and parse the pipeline written from it.
    fn pipeline(root: &Path) -> (String, Pipeline) {
        let registry = Registry::embedded().expect("registry");
        let root = root.canonicalize().expect("canon");
        let f = survey(&registry, &root).expect("survey");
        let text = render::pipeline_text(&registry, &f, &root, &root);
        let p = Pipeline::from_str(&text, "p.toml", &root).unwrap_or_else(|e| panic!("{e}\n{text}"));
        (text, p)
    }

    #[test]
    fn files_that_read_alike_share_a_table_and_other_layouts_get_their_own() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        write(root, "wards.geojson", WARD);
        // Two header layouts the aliases read (one table), two files of one renamed layout (one layout),
        // and one of another.
        write(root, "off/cris_a.csv", "CRIS No,Committed From,HO Code\nC1,01/04/2024,8N\n");
        write(root, "off/cris_b.csv", "URN,Date From,Home Office Code,Easting\nC2,01/05/2024,8N,530000\n");
        write(root, "off/niche_1.csv", "Occurrence Number,Offence Start Date,Offence Start Time,HOC\nN1,01/04/2025,10:00,8N\n");
        write(root, "off/niche_2.csv", "Occurrence Number,Offence Start Date,Offence Start Time,HOC\nN2,02/04/2025,11:00,8N\n");
        write(root, "off/other.csv", "Occurrence Number,Committed From,HOC\nO1,03/04/2025,8N\n");
        let (text, p) = pipeline(root);
        assert_eq!(text.matches("[[sources.police_offences.layouts]]").count(), 2, "{text}");
        assert!(text.contains("files = [\"off/cris_*.csv\"]"), "{text}");
        assert!(text.contains("files = [\"off/niche_*.csv\"]"), "{text}");
        let files = &p.source("police_offences").expect("offences").files;
        let mapping = |n: &str| files.iter().find(|f| f.path.ends_with(n)).map(|f| f.mapping.columns.clone()).unwrap_or_else(|| panic!("{n}"));
        assert!(mapping("cris_a.csv").is_empty() && mapping("cris_b.csv").is_empty());
        assert_eq!(mapping("niche_1.csv"), mapping("niche_2.csv"));
        assert_eq!(mapping("niche_1.csv")["committed_from"], MappedColumn::DateAndTime { date: "Offence Start Date".into(), time: "Offence Start Time".into() });
        assert_eq!(mapping("other.csv").len(), 1);
        assert_eq!(mapping("other.csv")["ho_code"], MappedColumn::Header("HOC".into()));
    }

    #[test]
    fn a_table_whose_columns_a_layout_cannot_override_holds_no_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        write(root, "wards.geojson", WARD);
        // Each layout maps a field the other does not: neither can be the table the other inherits from.
        write(root, "a.csv", "CRIS No,Committed From,HOC\nA1,01/04/2024,8N\n");
        write(root, "b.csv", "CRIS No,Commited From,HO Code\nB1,01/04/2024,8N\n");
        let (text, p) = pipeline(root);
        assert!(text.contains("[sources.police_offences]\nfiles = []"), "{text}");
        let files = &p.source("police_offences").expect("offences").files;
        assert_eq!(files.len(), 2);
        assert!(files.iter().all(|f| f.mapping.columns.len() == 1), "no mapping inherited from the other layout");
    }

    #[test]
    fn the_best_matching_sheet_of_a_workbook_is_named() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        write(root, "wards.geojson", WARD);
        let mut wb = rust_xlsxwriter::Workbook::new();
        let notes = wb.add_worksheet();
        notes.set_name("Notes").expect("name");
        notes.write_string(0, 0, "About this extract").expect("write");
        let data = wb.add_worksheet();
        data.set_name("LAS data").expect("name");
        for (c, h) in ["Incident Number", "Call Date/Time", "Incident Category"].iter().enumerate() {
            data.write_string(0, c as u16, *h).expect("write");
        }
        for (c, v) in ["INC1", "01/04/2025 10:00", "Assault"].iter().enumerate() {
            data.write_string(1, c as u16, *v).expect("write");
        }
        wb.save(root.join("las.xlsx")).expect("save");
        let (text, p) = pipeline(root);
        assert!(text.contains("sheet = \"LAS data\""), "{text}");
        let files = &p.source("las").expect("las").files;
        assert_eq!(files[0].sheet.as_deref(), Some("LAS data"));
    }
}
