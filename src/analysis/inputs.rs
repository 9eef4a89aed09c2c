//! Loading what ingest staged: offences flagged by the definition and tagged with their period, the ward
//! list and the ward population denominators.

use super::crime_codes::code_crime_refs;
use super::AnalysisError;
use super::records::{persons_from_frame, Persons};
use crate::definition::apply::{flag_offences, theme_column, YOUNGEST_SUSPECT_AGE, YOUNGEST_VICTIM_AGE};
use crate::definition::Definition;
use crate::ingest::source::TIME_UNKNOWN;
use crate::pipeline::config::Period;
use crate::step_timer::StepTimer;
use polars::prelude::*;
use std::path::Path;

pub fn scan(path: &Path) -> Result<LazyFrame, AnalysisError> {
    if !path.is_file() {
        return Err(AnalysisError::MissingInput(path.display().to_string()));
    }
    LazyFrame::scan_parquet(PlRefPath::new(path.to_string_lossy().as_ref()), ScanArgsParquet::default())
        .map_err(|e| AnalysisError::polars(&format!("scanning {}", path.display()), e))
}

fn epoch_ms(d: chrono::NaiveDate) -> i64 {
    d.and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp_millis()).unwrap_or(0)
}

/// `period_index`: 0 for the current period, 1.. for previous ones, null outside them all.
fn period_index(periods: &[Period]) -> Expr {
    let t = col("committed_from").cast(DataType::Int64);
    let mut e = lit(NULL).cast(DataType::Int32);
    for (i, p) in periods.iter().enumerate().rev() {
        let start = epoch_ms(p.start);
        let end = epoch_ms(p.end) + 86_400_000; // inclusive end date
        e = when(t.clone().gt_eq(lit(start)).and(t.clone().lt(lit(end)))).then(lit(i as i32)).otherwise(e);
    }
    e.alias("period_index")
}

pub struct Staged {
    /// Offences with definition flags and `period_index`, restricted to the configured periods. crime_ref is
    /// an integer code (see `crime_codes`): only join on it.
    pub offences: LazyFrame,
    /// Victim and suspect records, linked to offences by the same codes.
    pub victims: Persons,
    pub suspects: Persons,
}

impl Staged {
    /// No police offence records (open data or partner sources only).
    pub fn empty() -> Result<Staged, AnalysisError> {
        let offences = df!("crime_ref" => Vec::<u32>::new()).map_err(|e| AnalysisError::polars("empty table", e))?.lazy();
        Ok(Staged { offences, victims: Persons::default(), suspects: Persons::default() })
    }
}

/// Person columns the analysis reads (the staged files also carry free text). `police_offences_row` is the
/// staged row of the person's offence, written by ingest.
const PERSON_COLUMNS: [&str; 7] = ["crime_ref", "person_id", "age", "sex", "ethnic_group", "ethnicity_scheme", OFFENCE_ROW];

/// The column ingest writes into victims and suspects: the 0-based row of their offence in the staged offences.
const OFFENCE_ROW: &str = "police_offences_row";

/// A staged person table's columns that the analysis reads, or None when the source was not supplied. With
/// `by_offence_row`, crime_ref is the person's offence row (an integer code) and the reference string is not
/// read at all.
fn person_frame(path: &Path, by_offence_row: bool) -> Result<Option<DataFrame>, AnalysisError> {
    if !path.is_file() {
        return Ok(None);
    }
    let lf = scan(path)?;
    let schema = lf.clone().collect_schema().map_err(|e| AnalysisError::polars("person columns", e))?;
    let mut cols: Vec<Expr> = Vec::new();
    for c in PERSON_COLUMNS.iter().filter(|c| schema.get(c).is_some()) {
        match (*c, by_offence_row) {
            ("crime_ref", true) => {}
            (OFFENCE_ROW, true) => cols.push(col(OFFENCE_ROW).cast(DataType::UInt32).alias("crime_ref")),
            (OFFENCE_ROW, false) => {}
            (c, _) => cols.push(col(c)),
        }
    }
    let df = lf.select(cols).collect().map_err(|e| AnalysisError::polars(&format!("reading {}", path.display()), e))?;
    Ok(Some(df))
}

fn has_offence_rows(path: &Path) -> Result<bool, AnalysisError> {
    if !path.is_file() {
        return Ok(true);
    }
    let schema = scan(path)?.collect_schema().map_err(|e| AnalysisError::polars("person columns", e))?;
    Ok(schema.get(OFFENCE_ROW).is_some())
}

pub fn load(out_dir: &Path, def: &Definition, periods: &[Period]) -> Result<Staged, AnalysisError> {
    let mut timer = StepTimer::start("analyse.load");
    let staged = out_dir.join("staged");
    let offences = scan(&staged.join("police_offences.parquet"))?;
    let (victims_path, suspects_path) = (staged.join("police_victims.parquet"), staged.join("police_suspects.parquet"));
    let (offences, victims, suspects) = if has_offence_rows(&victims_path)? && has_offence_rows(&suspects_path)? {
        // Each person frame is turned into rows and dropped; victims and suspects on two threads (turning
        // a frame into rows is mostly one thread's work).
        let persons = |path: &Path| -> Result<Persons, AnalysisError> {
            person_frame(path, true)?.map_or_else(|| Ok(Persons::default()), |df| persons_from_frame(&df))
        };
        let (victims, suspects) = rayon::join(|| persons(&victims_path), || persons(&suspects_path));
        let (victims, suspects) = (victims?, suspects?);
        timer.step("persons");
        (code_by_offence_rows(offences)?, victims, suspects)
    } else {
        // Staged without offence rows (no offences alongside them): code the reference strings.
        let frame = |path: &Path| -> Result<DataFrame, AnalysisError> {
            Ok(person_frame(path, false)?.unwrap_or_else(|| DataFrame::empty_with_schema(&Schema::from_iter([Field::new("crime_ref".into(), DataType::String)]))))
        };
        let (offences, victims, suspects) = code_crime_refs(offences, frame(&victims_path)?, frame(&suspects_path)?)?;
        (offences, persons_from_frame(&victims)?, persons_from_frame(&suspects)?)
    };
    let flagged = flag_offences(def, with_youngest_ages(offences, &victims, &suspects)?)
        .map_err(|e| AnalysisError::polars("applying the definition", e))?
        .with_column(period_index(periods))
        .filter(col("period_index").is_not_null());
    Ok(Staged { offences: flagged, victims, suspects })
}

/// `youngest_victim_age` and `youngest_suspect_age` (the definition's age conditions) joined to the offences
/// by crime_ref code from the person rows: one join on a small integer key, no grouping of person frames.
fn with_youngest_ages(offences: LazyFrame, victims: &Persons, suspects: &Persons) -> Result<LazyFrame, AnalysisError> {
    let len = victims.rows.iter().chain(&suspects.rows).map(|p| p.offence + 1).max().unwrap_or(0);
    let code = u32::try_from(len).map_err(|_| AnalysisError::Input("over 4 billion offence codes".into()))?;
    let ages = DataFrame::new(
        len,
        vec![
            Column::new("crime_ref".into(), (0..code).collect::<Vec<u32>>()),
            Column::new(YOUNGEST_VICTIM_AGE.into(), victims.youngest_by_code(len)),
            Column::new(YOUNGEST_SUSPECT_AGE.into(), suspects.youngest_by_code(len)),
        ],
    )
    .map_err(|e| AnalysisError::polars("youngest ages", e))?;
    Ok(offences.with_column(col("crime_ref").cast(DataType::UInt32)).left_join(ages.lazy(), col("crime_ref"), col("crime_ref")))
}

/// crime_ref as an integer code without reading a reference string: an offence's code is its staged row, and
/// a person's is the staged row of its offence, which ingest recorded when it linked them (`person_frame`).
fn code_by_offence_rows(offences: LazyFrame) -> Result<LazyFrame, AnalysisError> {
    let schema = offences.clone().collect_schema().map_err(|e| AnalysisError::polars("offence columns", e))?;
    let cols: Vec<Expr> =
        schema.iter_names().map(|name| if name == "crime_ref" { col("__row").alias("crime_ref") } else { col(name.clone()) }).collect();
    Ok(offences.with_row_index("__row", None).select(cols))
}

/// Columns needed for counting a theme by ward.
pub fn theme_columns(def: &Definition) -> Vec<String> {
    def.themes().iter().map(|t| theme_column(&t.key)).collect()
}

/// Offence columns the analysis modules read: besides these, the definition's theme columns and the offence
/// flags its themes use. A module that reads another offence column must add it here.
const ANALYSED_COLUMNS: &[&str] =
    &["crime_ref", "period_index", "committed_from", "committed_to", "sanction_detection", "ward_code", "location_status", "ho_code", TIME_UNKNOWN];

impl Staged {
    /// Runs the definition over the offences once and keeps the result in memory: every table family reads
    /// the flagged offences, and re-running the lazy plan (with its joins on the victims and suspects) per
    /// family costs far more than holding the few columns they use.
    pub fn materialise(self, def: &Definition) -> Result<Staged, AnalysisError> {
        let schema = self.offences.clone().collect_schema().map_err(|e| AnalysisError::polars("offence columns", e))?;
        let mut keep: Vec<String> = ANALYSED_COLUMNS.iter().map(|c| c.to_string()).collect();
        keep.extend(theme_columns(def));
        keep.extend(def.file.themes.values().filter_map(|t| t.flag.clone()));
        let mut cols: Vec<Expr> = Vec::new();
        for name in schema.iter_names() {
            if keep.iter().any(|k| k == name.as_str()) {
                cols.push(col(name.clone()));
            }
        }
        let offences = self
            .offences
            .select(cols)
            .collect()
            .map_err(|e| AnalysisError::polars("applying the definition to the offences", e))?
            .lazy();
        Ok(Staged { offences, ..self })
    }
}
