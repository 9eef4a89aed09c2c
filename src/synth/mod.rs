//! `sna synth`: a seeded, deterministic synthetic borough whose raw extracts look like what a council
//! analyst really receives (three police financial years in three different export styles, ward boundaries
//! and a population table), with known patterns planted and recorded in `truth.json`, and planted rows of
//! every kind listed line by line (`bad_rows`, which ingest must quarantine, and `repaired_rows`, real records
//! written with one bad value, which ingest must stage with that value repaired), so the whole pipeline can be
//! tested end to end.
//!
//! Layout of `out_dir`:
//! - `reference/wards.geojson`, `reference/population.csv`, `reference/lsoa21_to_ward.csv` (ONS layout),
//!   `reference/pupils.csv` (pupils on roll by ethnic group)
//! - `raw/police/offences_<fy>.csv`, `raw/police/victims_<fy>.csv|.xlsx`, `raw/police/suspects_<fy>.csv`; or,
//!   with [`PoliceStyle::Niche`], `raw/police/niche_{offences,victims,suspects}_all.csv` (the same records,
//!   plus the other notifiable offences of an all-crime export: see `niche.rs`)
//! - partner extracts: `raw/las/`, `raw/ae/`, `raw/yot/`, `raw/marac/`, `raw/exclusions/` (each source in
//!   several export styles, at least one XLSX)
//! - a workbook layout whose file would hold more than [`XLSX_MAX_ROWS`] rows (large scales only) is written
//!   as CSV under the same name with `.csv`, and its file truth says so
//!
//! Large scales: wards, residents, offences and partner records all multiply by the scale (up to
//! [`MAX_SCALE`]). Every file is streamed to disk row by row; what is kept in memory is the compact record of
//! each offence, person, victim and suspect (needed for cross-references and the measured truths), and one
//! partner source's rows at a time.
//! - `truth.json`
//!
//! The generator's parameters (offence mix, age structure, risk curves, ethnic composition, hour and
//! location profiles, ward-name syllables, planted targets) are the CSV files in `seeds/synth/`, embedded at
//! build time.

mod ae;
mod bad_rows;
mod calendar;
mod data;
mod error;
mod exclusions;
mod geometry;
mod las;
mod layout;
mod lsoa;
mod marac;
mod names;
mod niche;
mod partners;
mod police;
mod population;
mod rng;
pub mod truth;
mod writers;
mod yot;

#[cfg(test)]
mod partner_tests;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::Path;

pub use error::SynthError;
pub use truth::Truth;

use bad_rows::BadKind;
use data::GenData;
use geometry::Borough;
use layout::{Row, RowTag, Sink};
use partners::{PartnerFile, PartnerParams};
use police::{Extra, OffenceSampler, PoliceData};
use population::Population;
use rng::streams;
use truth::{Area, FileTruth, HotWards, LsoaTruth, OutsideTruth, PartnerTruths, PlantedRowTruth, WardTruth};
use writers::{Cell, CsvFormat, Encoding};

/// Local authority code and name of the synthetic borough.
pub const LAD_CODE: &str = "E09099001";
pub const LAD_NAME: &str = "Exampleton";
/// Centre of the borough in British National Grid metres (inner London).
pub const CENTRE_BNG: [f64; 2] = [532_000.0, 181_000.0];
/// Largest accepted scale (wards, residents and offences multiply by it). Scale 100 (2,000 wards, 25 million
/// residents, ~4.6 million offence rows) takes about 2 minutes and under 3 GB; 200 leaves headroom for
/// bigger benchmarks while keeping memory (about 25 MB per unit of scale) within a laptop's reach.
pub const MAX_SCALE: u32 = 200;

/// How the police tables are exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PoliceStyle {
    /// Three financial years in three export styles (CRIS CSV, CONNECT Excel-to-CSV, a URN-based export),
    /// offences, victims and suspects in a file each per year.
    #[default]
    Default,
    /// One Niche/CONNECT all-crime export for all years: offences (every notifiable offence, not only the
    /// default mix), victims and suspects, with the force's own headers and text codes.
    Niche,
}

impl PoliceStyle {
    pub fn name(self) -> &'static str {
        match self {
            PoliceStyle::Default => "default",
            PoliceStyle::Niche => "niche",
        }
    }
}

/// Options for [`generate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SynthOptions {
    pub seed: u64,
    /// 1 = a borough of 20 wards, ~250,000 residents and ~15,000 offences a year; K multiplies all three.
    pub scale: u32,
    pub police_style: PoliceStyle,
}

impl Default for SynthOptions {
    fn default() -> Self {
        SynthOptions { seed: 42, scale: 1, police_style: PoliceStyle::Default }
    }
}

fn build_borough(seed: u64, scale: u32, data: &GenData) -> Result<Borough, SynthError> {
    let n_wards = (data.params.wards_per_scale * scale) as usize;
    let radius = data.params.borough_radius_m * f64::from(scale).sqrt();
    let mut borough = geometry::build(seed, n_wards, CENTRE_BNG, radius)?;
    let names = names::ward_names(seed, n_wards, &data.syllables)?;
    for (w, name) in borough.wards.iter_mut().zip(names) {
        w.name = name;
    }
    Ok(borough)
}

fn delimiter_name(d: u8) -> String {
    match d {
        b',' => "comma".into(),
        b';' => "semicolon".into(),
        b'\t' => "tab".into(),
        other => (other as char).to_string(),
    }
}

/// Workbooks with more data rows than this are written as CSV instead (same name, `.csv`), noted in their
/// file truth. Excel holds at most 1,048,575 data rows in a sheet, and a partner or police system asked for
/// an export of hundreds of thousands of rows sends CSV in practice; workbooks that size are also slow to
/// write and to read back (a reader loads the whole sheet). At scale 1 every workbook is far below this.
pub const XLSX_MAX_ROWS: usize = 200_000;
/// The CSV dialect of a workbook export too big to stay one: what Excel's "CSV UTF-8" save gives.
const CSV_FROM_XLSX: CsvFormat = CsvFormat { delimiter: b',', encoding: Encoding::Utf8Bom, crlf: true };

/// Collects what was written where.
#[derive(Default)]
struct Ledger {
    files: Vec<FileTruth>,
    bad_rows: Vec<PlantedRowTruth>,
    repaired_rows: Vec<PlantedRowTruth>,
    outside: Vec<OutsideTruth>,
}

enum Target {
    Csv {
        stream: Box<writers::CsvStream>,
        fmt: CsvFormat,
    },
    /// Workbooks are built whole (they are small: see [`XLSX_MAX_ROWS`]).
    Xlsx {
        path: std::path::PathBuf,
        sheet: &'static str,
        rows: Vec<Vec<Cell>>,
    },
}

/// One file being written row by row; records each row's bad, repaired or out-of-area tag as it goes.
struct FileOut<'l> {
    ledger: &'l mut Ledger,
    rel: String,
    header: Vec<String>,
    target: Target,
    note: Option<String>,
    rows: usize,
    bad: usize,
    repaired: usize,
}

impl FileOut<'_> {
    fn tag(&mut self, tag: RowTag) {
        let line = self.rows + 2; // header is line 1; no field ever holds a line break
        let planted = |kind: &str, reason: &str, field: &str| PlantedRowTruth {
            file: self.rel.clone(),
            line,
            kind: kind.into(),
            reason: reason.into(),
            field: field.into(),
        };
        match tag {
            RowTag::Clean => {}
            RowTag::Bad(kind) => {
                self.bad += 1;
                self.ledger.bad_rows.push(planted(kind.name(), kind.reason(), kind.field()));
            }
            RowTag::Planted(p) => {
                self.bad += 1;
                self.ledger.bad_rows.push(planted(p.kind, p.reason, p.field));
            }
            RowTag::Repaired(p) => {
                self.repaired += 1;
                self.ledger.repaired_rows.push(planted(p.kind, p.reason, p.field));
            }
            RowTag::Outside { crime_ref } => {
                self.ledger.outside.push(OutsideTruth { file: self.rel.clone(), line, crime_ref });
            }
        }
    }

    /// Write one row (cells as rendered) with its tag.
    fn push(&mut self, cells: Vec<Cell>, tag: RowTag) -> Result<(), SynthError> {
        self.tag(tag);
        match &mut self.target {
            Target::Csv { stream, .. } => stream.write(&cells)?,
            Target::Xlsx { rows, .. } => rows.push(cells),
        }
        self.rows += 1;
        Ok(())
    }

    fn finish(self) -> Result<(), SynthError> {
        let FileOut { ledger, rel, header, target, note, rows, bad, repaired } = self;
        let truth = match target {
            Target::Csv { stream, fmt } => {
                stream.finish()?;
                FileTruth {
                    path: rel,
                    format: "csv".into(),
                    encoding: Some(fmt.encoding.name().into()),
                    delimiter: Some(delimiter_name(fmt.delimiter)),
                    line_ending: Some(if fmt.crlf { "crlf".into() } else { "lf".into() }),
                    sheet: None,
                    header,
                    rows,
                    bad_rows: bad,
                    repaired_rows: repaired,
                    note,
                }
            }
            Target::Xlsx { path, sheet, rows: cells } => {
                let hdr: Vec<&str> = header.iter().map(String::as_str).collect();
                writers::write_xlsx(&path, sheet, &hdr, &cells)?;
                FileTruth {
                    path: rel,
                    format: "xlsx".into(),
                    encoding: None,
                    delimiter: None,
                    line_ending: None,
                    sheet: Some(sheet.to_string()),
                    header,
                    rows,
                    bad_rows: bad,
                    repaired_rows: repaired,
                    note,
                }
            }
        };
        ledger.files.push(truth);
        Ok(())
    }
}

impl Ledger {
    /// Start writing `rel` (expected to hold `n_rows` data rows, which decides whether a workbook layout
    /// stays a workbook: see [`XLSX_MAX_ROWS`]).
    fn open(
        &mut self,
        out_dir: &Path,
        rel: &str,
        header: &[&str],
        sink: Sink,
        n_rows: usize,
    ) -> Result<FileOut<'_>, SynthError> {
        let (rel, sink, note) = match sink {
            Sink::Xlsx { sheet } if n_rows > XLSX_MAX_ROWS => (
                Path::new(rel).with_extension("csv").to_string_lossy().into_owned(),
                Sink::Csv(CSV_FROM_XLSX),
                Some(format!(
                    "exported as CSV, not a workbook (sheet {sheet}): {n_rows} rows is more than {XLSX_MAX_ROWS}"
                )),
            ),
            other => (rel.to_string(), other, None),
        };
        let path = out_dir.join(&rel);
        let target = match sink {
            Sink::Csv(fmt) => Target::Csv { stream: Box::new(writers::CsvStream::create(&path, header, fmt)?), fmt },
            Sink::Xlsx { sheet } => Target::Xlsx { path, sheet, rows: Vec::with_capacity(n_rows) },
        };
        Ok(FileOut {
            ledger: self,
            rel,
            header: header.iter().map(|h| h.to_string()).collect(),
            target,
            note,
            rows: 0,
            bad: 0,
            repaired: 0,
        })
    }

    /// Write rows to a CSV or XLSX file and record their bad and out-of-area lines.
    fn write(
        &mut self,
        out_dir: &Path,
        rel: &str,
        header: &[&str],
        sink: Sink,
        rows: Vec<Row>,
    ) -> Result<(), SynthError> {
        let mut f = self.open(out_dir, rel, header, sink, rows.len())?;
        for r in rows {
            f.push(r.cells, r.tag)?;
        }
        f.finish()
    }
}

/// Write one year's offences file row by row: offences in crime-reference order, bad rows corrupted (and
/// unknown-code offences written with their code), and exact re-exports of some clean rows inserted a little
/// after their originals. Returns the rows written.
fn write_offences(
    ledger: &mut Ledger,
    out_dir: &Path,
    seed: u64,
    year: usize,
    police: &PoliceData,
    data: &GenData,
) -> Result<usize, SynthError> {
    let layout = &layout::OFFENCES[year];
    let mut idx: Vec<usize> = (0..police.offences.len()).filter(|&i| police.offences[i].year == year).collect();
    idx.sort_by_key(|&i| (police.offences[i].seq, i));
    let mut rb = rng::keyed(seed, streams::BAD_ROWS, &[year as u64, 3]);
    // The corrupted rows first, in file order (they draw from `rb` before the duplicates do); they are few.
    let mut corrupted: BTreeMap<usize, Vec<Cell>> = BTreeMap::new();
    for (pos, &i) in idx.iter().enumerate() {
        let o = &police.offences[i];
        if let Extra::Bad(kind) = o.extra {
            let mut cells = layout::render_offence(o, layout, data)?;
            bad_rows::corrupt_offence(&mut cells, o, kind, layout, &mut rb);
            corrupted.insert(pos, cells);
        }
    }
    let n_clean = idx.iter().filter(|&&i| police.offences[i].extra == Extra::Clean).count();
    let n_dup = bad_rows::offence_plan(year, n_clean, data.params.bad_row_share)
        .bad
        .into_iter()
        .find(|(k, _)| *k == BadKind::Duplicate)
        .map_or(0, |(_, n)| n);
    let clean_pos: Vec<usize> = (0..idx.len()).filter(|&p| police.offences[idx[p]].extra == Extra::Clean).collect();
    let inserts = bad_rows::duplicate_plan(&clean_pos, idx.len(), n_dup, &mut rb);
    let mut inserts = inserts.into_iter().peekable();

    let mut f = ledger.open(out_dir, layout.path, &layout.header, Sink::Csv(layout.csv), idx.len() + n_dup)?;
    for (pos, &i) in idx.iter().enumerate() {
        let o = &police.offences[i];
        let cells = match corrupted.remove(&pos) {
            Some(cells) => cells,
            None => layout::render_offence(o, layout, data)?,
        };
        f.push(cells, RowTag::of(o.extra, || layout::crime_ref(year, o.seq), ""))?;
        while let Some((_, orig)) = inserts.next_if(|(at, _)| *at == pos) {
            // A clean row renders the same every time: the copy is exact.
            let cells = layout::render_offence(&police.offences[idx[orig]], layout, data)?;
            f.push(cells, RowTag::Bad(BadKind::Duplicate))?;
        }
    }
    let written = f.rows;
    f.finish()?;
    Ok(written)
}

fn tag_of(extra: Extra, age_field: &'static str) -> RowTag {
    RowTag::of(extra, String::new, age_field)
}

/// The default style's police files: offences, victims and suspects for each financial year in that year's
/// export layout. Returns the offence rows written per year.
fn write_default_police(
    ledger: &mut Ledger,
    out_dir: &Path,
    seed: u64,
    police: &PoliceData,
    data: &GenData,
) -> Result<Vec<usize>, SynthError> {
    let mut offence_rows_written = Vec::new();
    for year in 0..calendar::YEARS.len() {
        offence_rows_written.push(write_offences(ledger, out_dir, seed, year, police, data)?);

        let vl = &layout::VICTIMS[year];
        let mut vidx: Vec<usize> = (0..police.victims.len()).filter(|&v| police.victims[v].year == year).collect();
        vidx.sort_by_key(|&v| (police.victims[v].sort_key, v));
        let mut f = ledger.open(out_dir, vl.path, vl.header, vl.sink, vidx.len())?;
        for &v in &vidx {
            let row = &police.victims[v];
            f.push(layout::render_victim(row, vl, police)?, tag_of(row.extra, vl.age.field()))?;
        }
        f.finish()?;
        drop(vidx);

        let sl = &layout::SUSPECTS[year];
        let mut sidx: Vec<usize> = (0..police.suspects.len()).filter(|&s| police.suspects[s].year == year).collect();
        sidx.sort_by_key(|&s| (police.suspects[s].sort_key, s));
        let mut f = ledger.open(out_dir, sl.path, sl.header, sl.sink, sidx.len())?;
        for &s in &sidx {
            let row = &police.suspects[s];
            f.push(layout::render_suspect(row, police), tag_of(row.extra, sl.age.field()))?;
        }
        f.finish()?;
    }
    Ok(offence_rows_written)
}

/// Generate the synthetic borough into `out_dir` and return what `truth.json` records.
pub fn generate(out_dir: &Path, opts: &SynthOptions) -> Result<Truth, SynthError> {
    if opts.scale == 0 || opts.scale > MAX_SCALE {
        return Err(SynthError::Options(format!("scale must be 1..={MAX_SCALE}, got {}", opts.scale)));
    }
    let seed = opts.seed;
    let data = GenData::load()?;
    let borough = build_borough(seed, opts.scale, &data)?;
    let pop = Population::build(seed, borough.wards.len(), opts.scale, &data);
    let police = police::generate(seed, opts.scale, &borough, &pop, &data)?;
    let codes: Vec<String> = borough.wards.iter().map(|w| w.code.clone()).collect();

    let mut ledger = Ledger::default();
    // Reference data.
    let geojson_rel = "reference/wards.geojson";
    writers::write_atomic(&out_dir.join(geojson_rel), borough.to_geojson(LAD_CODE, LAD_NAME)?.as_bytes())?;
    ledger.files.push(FileTruth {
        path: geojson_rel.into(),
        format: "geojson".into(),
        encoding: Some("utf-8".into()),
        delimiter: None,
        line_ending: Some("lf".into()),
        sheet: None,
        header: vec!["WD23CD".into(), "WD23NM".into(), "LAD23CD".into(), "LAD23NM".into()],
        rows: borough.wards.len(),
        bad_rows: 0,
        repaired_rows: 0,
        note: None,
    });
    let pop_rows: Vec<Row> = pop
        .rows(&codes, &data)
        .into_iter()
        .map(|r| Row { cells: r.into_iter().map(Cell::Text).collect(), tag: RowTag::Clean })
        .collect();
    ledger.write(
        out_dir,
        "reference/population.csv",
        &["area_code", "age_band", "sex", "ethnic_group", "population"],
        Sink::Csv(CsvFormat { delimiter: b',', encoding: Encoding::Utf8, crlf: false }),
        pop_rows,
    )?;

    // Police extracts. A Niche-style export also holds the other notifiable offences (drawn on a stream of
    // their own: the default style's records are untouched).
    let other = match opts.police_style {
        PoliceStyle::Default => niche::OtherOffences::none(),
        PoliceStyle::Niche => niche::OtherOffences::generate(seed, opts.scale, &borough, &pop, &data)?,
    };
    let (offence_rows_written, police_export) = match opts.police_style {
        PoliceStyle::Default => (write_default_police(&mut ledger, out_dir, seed, &police, &data)?, None),
        PoliceStyle::Niche => {
            let (rows, export) = niche::write_police(&mut ledger, out_dir, seed, &police, &other, &data)?;
            (rows, Some(export))
        }
    };

    // Partner sources: LSOAs first (A&E, YOT, MARAC and exclusions locate through them).
    let pp = PartnerParams::load()?;
    let lsoas = lsoa::Lsoas::build(seed, &borough, &pp);
    ledger.write(
        out_dir,
        lsoa::LOOKUP_PATH,
        &lsoa::LOOKUP_HEADER,
        Sink::Csv(CsvFormat { delimiter: b',', encoding: Encoding::Utf8Bom, crlf: false }),
        lsoas.lookup_rows(&borough)?,
    )?;
    let ctx = partners::Ctx {
        seed,
        scale: opts.scale,
        borough: &borough,
        pop: &pop,
        data: &data,
        params: &pp,
        lsoas: &lsoas,
    };
    // Each source's files are written as soon as it is generated and its rows dropped, so only one source's
    // rows are held at a time. `reference/pupils.csv` (from the exclusions source) keeps its place in the
    // file list, before the partner files.
    let pupils_slot = ledger.files.len();
    let mut partner_sources = BTreeMap::new();
    let mut write_source = |ledger: &mut Ledger, name: &str, files: Vec<PartnerFile>, source| {
        for PartnerFile { path, header, sink, rows } in files {
            ledger.write(out_dir, path, &header, sink, rows)?;
        }
        partner_sources.insert(name.to_string(), source);
        Ok::<(), SynthError>(())
    };
    let las = las::generate(&ctx, &police, &other.offences)?;
    drop(other);
    // The police rows are needed no more once measured: free them before the other sources.
    let mut measured = truth::measure_all(&data, &borough, &pop, &police);
    drop(police);
    write_source(&mut ledger, "las", las.files, las.source)?;
    let ae = ae::generate(&ctx)?;
    write_source(&mut ledger, "ae", ae.files, ae.source)?;
    let mut upns = partners::UpnPool::new(seed);
    let yot = yot::generate(&ctx, &mut upns)?;
    let excl = exclusions::generate(&ctx, &yot, &mut upns)?;
    let (yot_files, yot_source, yot_slcn) = (yot.files, yot.source, yot.slcn);
    write_source(&mut ledger, "yot", yot_files, yot_source)?;
    write_source(&mut ledger, "exclusions", excl.files, excl.source)?;
    let marac = marac::generate(&ctx)?;
    write_source(&mut ledger, "marac", marac.files, marac.source)?;
    let pupil_rows: Vec<Row> = excl
        .pupils
        .iter()
        .map(|c| Row {
            cells: vec![
                Cell::Text(c.year.clone()),
                Cell::Text(c.ethnic_group.clone()),
                Cell::Text(c.headcount.to_string()),
            ],
            tag: RowTag::Clean,
        })
        .collect();
    ledger.write(
        out_dir,
        "reference/pupils.csv",
        &["year", "ethnic_group", "headcount"],
        Sink::Csv(CsvFormat { delimiter: b',', encoding: Encoding::Utf8, crlf: false }),
        pupil_rows,
    )?;
    if let Some(pupils) = ledger.files.pop() {
        ledger.files.insert(pupils_slot, pupils);
    }
    let partner_truths = PartnerTruths {
        las_no_police_offence_share: las.no_police_offence,
        ae_weekend_night_share: ae.weekend_night,
        ae_night_peak: ae.night_peak,
        yot_slcn_share: yot_slcn,
        yot_in_exclusions_share: excl.yot_in_exclusions,
        marac_female_victim_share: marac.female,
        marac_disability_share: marac.disability,
        marac_repeat_share: marac.repeat,
        black_white_violent_exclusion_rate_ratio: excl.rate_ratio,
    };

    measured.truths.partners = Some(partner_truths);
    let mut years = measured.years;
    for (y, n) in years.iter_mut().zip(offence_rows_written) {
        y.offence_rows_written = n;
    }
    let mut bad_row_counts: BTreeMap<String, usize> = BadKind::ALL.iter().map(|k| (k.name().to_string(), 0)).collect();
    let mut by_file: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    for b in &ledger.bad_rows {
        *bad_row_counts.entry(b.kind.clone()).or_default() += 1;
        *by_file.entry(b.file.clone()).or_default().entry(b.kind.clone()).or_default() += 1;
    }
    let mut repaired_row_counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut repaired_by_file: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    for b in &ledger.repaired_rows {
        *repaired_row_counts.entry(b.kind.clone()).or_default() += 1;
        *repaired_by_file.entry(b.file.clone()).or_default().entry(b.kind.clone()).or_default() += 1;
    }
    let truth = Truth {
        generator: "sna synth".into(),
        seed,
        scale: opts.scale,
        area: Area {
            lad_code: LAD_CODE.into(),
            lad_name: LAD_NAME.into(),
            ward_count: borough.wards.len(),
            total_residents: pop.total(),
            area_km2: borough.area_m2 / 1e6,
            crs_generated: "EPSG:27700 (wards.geojson written in EPSG:4326)".into(),
        },
        wards: borough
            .wards
            .iter()
            .enumerate()
            .map(|(w, ward)| WardTruth {
                code: ward.code.clone(),
                name: ward.name.clone(),
                area_km2: ward.area_m2 / 1e6,
                residents: pop.ward_total(w),
                hot: borough.hot.contains(&w),
            })
            .collect(),
        hot_wards: HotWards {
            codes: borough.hot.iter().map(|&w| borough.wards[w].code.clone()).collect(),
            names: borough.hot.iter().map(|&w| borough.wards[w].name.clone()).collect(),
        },
        years,
        truths: measured.truths,
        definitions: truth::definitions(&data, &pp),
        files: ledger.files,
        bad_row_counts,
        bad_row_counts_by_file: by_file,
        bad_rows: ledger.bad_rows,
        repaired_row_counts,
        repaired_row_counts_by_file: repaired_by_file,
        repaired_rows: ledger.repaired_rows,
        outside_area: ledger.outside,
        lsoas: LsoaTruth {
            lookup: lsoa::LOOKUP_PATH.into(),
            in_area: lsoas.in_area(),
            outside_area: lsoas.outside.len(),
            by_ward: borough
                .wards
                .iter()
                .zip(&lsoas.by_ward)
                .map(|(w, ls)| (w.code.clone(), ls.iter().map(|&i| lsoas.list[i].code.clone()).collect()))
                .collect(),
        },
        pupils: excl.pupils,
        partner_sources,
        police_export,
    };
    writers::write_json(&out_dir.join("truth.json"), "truth.json", &truth)?;
    Ok(truth)
}

/// Stream a large offences extract in the 2023-24 CRIS layout (UTF-8 with BOM, CRLF, BNG coordinates
/// inside the default borough for `seed`), row by row, without holding rows in memory. For benchmarks.
pub fn write_offence_extract(path: &Path, n_offences: u64, seed: u64) -> Result<(), SynthError> {
    let data = GenData::load()?;
    let borough = build_borough(seed, 1, &data)?;
    let weights: Vec<f64> = borough.wards.iter().map(|w| w.area_m2).collect();
    let sampler = OffenceSampler::new(&data, &borough, &weights)?;
    let layout = &layout::OFFENCES[0];
    let mut r = rng::stream(seed, streams::STREAM_EXTRACT);
    let extract = calendar::extract_date()?;
    let mut record: Vec<String> = Vec::with_capacity(layout.header.len());
    writers::stream_csv(path, &layout.header, layout.csv, |w| {
        for i in 0..n_offences {
            let domestic = rng::chance(&mut r, sampler.da_fraction);
            let mut o = sampler.sample(0, domestic, &mut r)?;
            o.seq = i + 1;
            o.outcome = police::quick_outcome(&o, &data, extract, &mut r);
            record.clear();
            record.extend(layout::render_offence(&o, layout, &data)?.iter().map(Cell::as_csv));
            w.write_record(&record).map_err(|e| SynthError::Csv { path: path.to_path_buf(), source: e })?;
        }
        Ok(())
    })
}
