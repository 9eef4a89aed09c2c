//! Loading what ingest staged: offences flagged by the definition and tagged with their period, the ward
//! list and the ward population denominators.

use super::crime_codes::code_crime_refs;
use super::AnalysisError;
use crate::definition::apply::{flag_offences, theme_column};
use crate::definition::Definition;
use crate::pipeline::config::Period;
use polars::prelude::*;
use std::path::Path;

pub fn scan(path: &Path) -> Result<LazyFrame, AnalysisError> {
    if !path.is_file() {
        return Err(AnalysisError::MissingInput(path.display().to_string()));
    }
    LazyFrame::scan_parquet(PlRefPath::new(path.to_string_lossy().as_ref()), ScanArgsParquet::default())
        .map_err(|e| AnalysisError::polars(&format!("scanning {}", path.display()), e))
}

/// An empty person table, for when victims or suspects were not supplied.
fn no_persons() -> PolarsResult<LazyFrame> {
    Ok(df!("crime_ref" => Vec::<String>::new(), "age" => Vec::<i64>::new())?.lazy())
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
    /// Offences with definition flags and `period_index`, restricted to the configured periods.
    pub offences: LazyFrame,
    /// The person columns the analysis reads, in memory. In all three tables crime_ref is an integer code
    /// (see `crime_codes`): only join on it.
    pub victims: LazyFrame,
    pub suspects: LazyFrame,
}

impl Staged {
    /// No police offence records (open data or partner sources only).
    pub fn empty() -> Result<Staged, AnalysisError> {
        let e = || no_persons().map_err(|e| AnalysisError::polars("empty table", e));
        Ok(Staged { offences: e()?, victims: e()?, suspects: e()? })
    }
}

/// Person columns the analysis reads (the staged files also carry free text). `police_offences_row` is the
/// staged row of the person's offence, written by ingest.
const PERSON_COLUMNS: [&str; 7] = ["crime_ref", "person_id", "age", "sex", "ethnic_group", "ethnicity_scheme", OFFENCE_ROW];

/// The column ingest writes into victims and suspects: the 0-based row of their offence in the staged offences.
const OFFENCE_ROW: &str = "police_offences_row";

/// A staged person table read once into memory: the definition (youngest ages), place (victims per
/// offence) and the person tables all read it, and decoding the Parquet file each time cost more than
/// holding these few columns.
fn persons(path: &Path) -> Result<DataFrame, AnalysisError> {
    if !path.is_file() {
        return no_persons().and_then(LazyFrame::collect).map_err(|e| AnalysisError::polars("empty person table", e));
    }
    let lf = scan(path)?;
    let schema = lf.clone().collect_schema().map_err(|e| AnalysisError::polars("person columns", e))?;
    let cols: Vec<Expr> = PERSON_COLUMNS.iter().filter(|c| schema.get(c).is_some()).map(|c| col(*c)).collect();
    lf.select(cols).collect().map_err(|e| AnalysisError::polars(&format!("reading {}", path.display()), e))
}

pub fn load(out_dir: &Path, def: &Definition, periods: &[Period]) -> Result<Staged, AnalysisError> {
    let staged = out_dir.join("staged");
    let offences = scan(&staged.join("police_offences.parquet"))?;
    let victims = persons(&staged.join("police_victims.parquet"))?;
    let suspects = persons(&staged.join("police_suspects.parquet"))?;
    let (offences, victims, suspects) = if has_offence_rows(&victims) && has_offence_rows(&suspects) {
        code_by_offence_rows(offences, victims, suspects)?
    } else {
        // Staged without offence rows (no offences alongside them): code the reference strings.
        code_crime_refs(offences, victims, suspects)?
    };
    let (victims, suspects) = (victims.lazy(), suspects.lazy());
    let flagged = flag_offences(def, offences, victims.clone(), suspects.clone())
        .map_err(|e| AnalysisError::polars("applying the definition", e))?
        .with_column(period_index(periods))
        .filter(col("period_index").is_not_null());
    Ok(Staged { offences: flagged, victims, suspects })
}

fn has_offence_rows(persons: &DataFrame) -> bool {
    persons.height() == 0 || persons.column(OFFENCE_ROW).is_ok()
}

/// crime_ref as an integer code without reading a reference string: an offence's code is its staged row, and
/// a person's is the staged row of its offence, which ingest recorded when it linked them.
fn code_by_offence_rows(offences: LazyFrame, victims: DataFrame, suspects: DataFrame) -> Result<(LazyFrame, DataFrame, DataFrame), AnalysisError> {
    let schema = offences.clone().collect_schema().map_err(|e| AnalysisError::polars("offence columns", e))?;
    let cols: Vec<Expr> =
        schema.iter_names().map(|name| if name == "crime_ref" { col("__row").alias("crime_ref") } else { col(name.clone()) }).collect();
    let offences = offences.with_row_index("__row", None).select(cols);
    let code = |df: DataFrame| -> Result<DataFrame, AnalysisError> {
        let lf = if df.column(OFFENCE_ROW).is_ok() {
            df.lazy().with_column(col(OFFENCE_ROW).cast(IDX_DTYPE).alias("crime_ref")).drop(by_name([OFFENCE_ROW], true, false))
        } else {
            // An empty person table.
            df.lazy().with_column(col("crime_ref").cast(IDX_DTYPE))
        };
        lf.collect()
            .map_err(|e| AnalysisError::polars("person offence rows", e))
    };
    Ok((offences, code(victims)?, code(suspects)?))
}

/// Columns needed for counting a theme by ward.
pub fn theme_columns(def: &Definition) -> Vec<String> {
    def.themes().iter().map(|t| theme_column(&t.key)).collect()
}

/// Offence columns the analysis modules read: besides these, the definition's theme columns and the offence
/// flags its themes use. A module that reads another offence column must add it here.
const ANALYSED_COLUMNS: &[&str] =
    &["crime_ref", "period_index", "committed_from", "committed_to", "sanction_detection", "ward_code", "location_status", "ho_code"];

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
