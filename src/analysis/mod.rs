//! Analyse stage: staged Parquet -> definition flags -> profile tables with statistics, written to
//! `tables/*.parquet` and `.csv`. Every statistic row carries its method, confidence and multiplier, and
//! every table records the definition name and hash.

mod crime_codes;
pub mod inputs;
pub mod offence_grid;
pub mod open_data;
pub mod partners;
pub mod quality;
pub mod people;
pub mod response;
pub mod place;
pub mod place_concentration;
pub mod place_harm;
pub mod place_hotspots;
pub mod records;
pub mod time;

use crate::definition::Definition;
use crate::geo::population::{Population, PopulationCell};
use crate::pipeline::config::Period;
use crate::pipeline::analysis_options::AnalysisOptions;
use crate::step_timer::StepTimer;
use crate::table_io::{read_parquet, write_table, TableIoError};
use polars::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum AnalysisError {
    #[error("{0} is missing: run `sna ingest` first")]
    MissingInput(String),
    #[error("{context}: {source}")]
    Polars { context: String, source: PolarsError },
    #[error(transparent)]
    Table(#[from] TableIoError),
    #[error("{0}")]
    Input(String),
}

impl AnalysisError {
    pub fn polars(context: &str, source: PolarsError) -> AnalysisError {
        AnalysisError::Polars { context: context.to_string(), source }
    }
}

pub struct AnalysisContext<'a> {
    pub definition: &'a Definition,
    pub staged: inputs::Staged,
    /// (code, name) of every ward of the area, sorted by code.
    pub wards: Vec<(String, String)>,
    pub population_by_ward: BTreeMap<String, f64>,
    /// Ward denominators by age band, sex and ethnic group (query with `denominator`).
    pub population: Population,
    /// The current period.
    pub period: Period,
    /// The current period then the previous ones (`period_index` 0, 1, ...).
    pub periods: Vec<Period>,
    /// `staged/`, for sources beyond the police offences (partners, police.uk).
    pub staged_dir: PathBuf,
    pub multiplier: f64,
    pub confidence: f64,
    pub options: &'a AnalysisOptions,
}

/// Names of the tables written, for the manifest.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AnalysisSummary {
    pub tables: Vec<String>,
}

fn strings(df: &DataFrame, name: &str) -> Result<Vec<String>, AnalysisError> {
    let c = df.column(name).and_then(|c| c.str().cloned()).map_err(|e| AnalysisError::polars(name, e))?;
    Ok(c.iter().map(|v| v.unwrap_or_default().to_string()).collect())
}

fn load_reference(out_dir: &Path) -> Result<(Vec<(String, String)>, Population), AnalysisError> {
    let staged = out_dir.join("staged");
    let wards_path = staged.join("wards.parquet");
    if !wards_path.is_file() {
        return Err(AnalysisError::MissingInput(wards_path.display().to_string()));
    }
    let wards_df = read_parquet(&wards_path)?;
    let codes = strings(&wards_df, "ward_code")?;
    let names = strings(&wards_df, "ward_name")?;
    let mut wards: Vec<(String, String)> = codes.into_iter().zip(names).collect();
    wards.sort();
    let pop_path = staged.join("population.parquet");
    let population = if pop_path.is_file() {
        let pop = read_parquet(&pop_path)?;
        let (codes, bands, sexes, groups) =
            (strings(&pop, "ward_code")?, strings(&pop, "age_band")?, strings(&pop, "sex")?, strings(&pop, "ethnic_group")?);
        let values = pop.column("population").and_then(|c| c.f64().cloned()).map_err(|e| AnalysisError::polars("population", e))?;
        let cells = (0..pop.height()).map(|i| PopulationCell {
            ward_code: codes[i].clone(),
            age_band: bands[i].clone(),
            sex: sexes[i].clone(),
            ethnic_group: groups[i].clone(),
            population: values.get(i).unwrap_or(0.0),
        });
        // Files split by different dimensions (age from one Census table, ethnicity from another) are
        // alternative tables of the same residents: the population's own rule picks one, never their sum.
        Population::from_cells(cells)
    } else {
        Population::from_cells(Vec::new())
    };
    Ok((wards, population))
}

pub struct AnalysisSettings<'a> {
    pub definition: &'a Definition,
    pub period: Period,
    pub previous: &'a [Period],
    pub options: &'a AnalysisOptions,
    /// The run of the staged data analysed: every table carries it (Parquet metadata).
    pub run_id: &'a str,
}

/// Where analysis tables go: `tables/<name>.parquet` and `.csv`, each with the definition's provenance.
pub struct TableSink {
    dir: PathBuf,
    provenance: Vec<(String, String)>,
    pub written: Vec<String>,
}

impl TableSink {
    pub fn write(&mut self, name: &str, df: PolarsResult<DataFrame>) -> Result<(), AnalysisError> {
        let mut df = df.map_err(|e| AnalysisError::polars(&format!("{name} table"), e))?;
        write_table(&mut df, &self.dir, name, &self.provenance)?;
        self.written.push(name.to_string());
        Ok(())
    }
}

pub fn run_analysis(out_dir: &Path, settings: &AnalysisSettings) -> Result<AnalysisSummary, AnalysisError> {
    // Open data and aggregate sources carry no offence records: the offence tables are then not produced
    // (the report says so) rather than the run failing; partner, open-data and quality tables still are.
    let have_offences = out_dir.join("staged").join("police_offences.parquet").is_file();
    let mut periods = vec![settings.period];
    periods.extend_from_slice(settings.previous);
    let mut timer = StepTimer::start("analyse");
    let staged = if have_offences {
        inputs::load(out_dir, settings.definition, &periods)?.materialise(settings.definition)?
    } else {
        inputs::Staged::empty()?
    };
    timer.step("offences_and_definition");
    let (wards, population) = load_reference(out_dir)?;
    let ctx = AnalysisContext {
        definition: settings.definition,
        staged,
        wards,
        population_by_ward: population.total_by_ward(),
        population,
        period: settings.period,
        periods,
        staged_dir: out_dir.join("staged"),
        multiplier: settings.options.multiplier,
        confidence: settings.options.confidence,
        options: settings.options,
    };
    let mut provenance = settings.definition.provenance();
    provenance.push((crate::table_io::RUN_ID_KEY.to_string(), settings.run_id.to_string()));
    let sink = || TableSink { dir: out_dir.join("tables"), provenance: provenance.clone(), written: Vec::new() };
    // One call per table family; each module writes its own tables. The offence families and the rest
    // (open data, partners, quality) read different inputs and write different tables: they run on two
    // threads, and the table list keeps the sequential order.
    let mut offence_families = || -> Result<Vec<String>, AnalysisError> {
        let mut sink = sink();
        if have_offences {
            place::write_tables(&ctx, &mut sink)?;
            timer.step("place");
            // People and response count the same person records.
            let records = records::PoliceRecords::load(&ctx)?;
            timer.step("records");
            people::write_tables(&ctx, &records, &mut sink)?;
            timer.step("people");
            response::write_tables(&ctx, &records, &mut sink)?;
            timer.step("response");
            time::write_tables(&ctx, &mut sink)?;
            timer.step("time");
        }
        Ok(sink.written)
    };
    let other_families = || -> Result<Vec<String>, AnalysisError> {
        let mut sink = sink();
        let mut timer = StepTimer::start("analyse-other");
        open_data::write_tables(&ctx, &mut sink)?;
        timer.step("open_data");
        partners::write_tables(&ctx, &mut sink)?;
        timer.step("partners");
        quality::write_tables(&ctx, &mut sink)?;
        timer.step("quality");
        Ok(sink.written)
    };
    let (offence_tables, other_tables) = std::thread::scope(|scope| -> Result<_, AnalysisError> {
        let others = std::thread::Builder::new()
            .name("sna-analyse-other".into())
            .spawn_scoped(scope, other_families)
            .map_err(|e| AnalysisError::Input(format!("starting a thread for the partner and quality tables: {e}")))?;
        let offence_tables = offence_families();
        let other_tables =
            others.join().unwrap_or_else(|_| Err(AnalysisError::Input("the partner and quality tables' thread panicked".into())));
        Ok((offence_tables?, other_tables?))
    })?;
    let mut tables = offence_tables;
    tables.extend(other_tables);
    Ok(AnalysisSummary { tables })
}
