//! Reference data staged beside the extracts, so analysis reads only `staged/`: the area's wards
//! (code, name, area) and ward population denominators by age band, sex and ethnic group.
//!
//! Every population file's cells go into one `staged/population.parquet` (ward_code, age_band, sex,
//! ethnic_group, population). Files split differently coexist, told apart by `all` in the dimensions a file
//! does not split (TS007A: sex and ethnic group; TS021: age band and sex), so a ward's residents must be
//! taken from one such table, never by adding every row: see [`crate::geo::population`].

use crate::error::{Result, SnaError};
use crate::geo::population::{Population, PopulationLoadReport};
use crate::geo::{population_ts007a, population_ts021};
use crate::geo::contiguity::queen_contiguity;
use crate::geo::Geography;
use crate::pipeline::config::{Pipeline, PopulationFormat};
use crate::table_io::{write_parquet, RUN_ID_KEY};
use geo::Area;
use polars::prelude::*;
use serde::Serialize;
use std::path::Path;

#[derive(Debug, Clone, Serialize)]
pub struct PopulationFileReport {
    pub path: String,
    pub format: String,
    pub rows_read: u64,
    pub rows_used: u64,
    pub population_used: f64,
    pub rows_outside_area: u64,
    pub population_outside_area: f64,
    pub rows_bad: u64,
    /// Title, metadata, blank and footnote lines of a Nomis export.
    pub lines_skipped: u64,
    /// Wards of the area this file gave no residents (e.g. City of London wards no LSOA is best-fitted to).
    pub wards_without_population: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReferenceReport {
    /// Rows of pupil headcounts staged (0 when no `[population] pupils` file).
    pub pupil_rows: usize,
    pub wards: usize,
    pub population: Vec<PopulationFileReport>,
    /// The area's residents: per ward, the least-split table (see `crate::geo::population`), summed.
    pub residents: f64,
    /// Population tables staged, e.g. `["age band", "ethnic group"]`.
    pub population_tables: Vec<String>,
    /// Wards with no residents from any file: their rates are unavailable, not zero.
    pub wards_without_population: Vec<String>,
    /// Wards with no neighbour under queen contiguity (reported, and flagged in hotspot tables).
    pub island_wards: Vec<String>,
}

pub fn stage_reference(p: &Pipeline, geography: &Geography, out: &Path, run_id: &str) -> Result<ReferenceReport> {
    // Each file names its source and the run it belongs to; a failed write is a failed run (exit 1), not usage.
    let provenance = |source: &str| vec![("source".to_string(), source.to_string()), (RUN_ID_KEY.to_string(), run_id.to_string())];
    let written = |e: crate::table_io::TableIoError| SnaError::Ingest(e.into());
    let wards = &geography.wards;
    let polars_err = |what: &str| {
        let what = what.to_string();
        move |e: PolarsError| SnaError::Usage(format!("{what}: {e}"))
    };
    // Population first: a bad file fails the run before anything is written.
    let mut population = Population::default();
    let mut reports = Vec::new();
    for f in &p.population {
        let (pop, report) = load_population_file(f.format, &f.path, geography)?;
        reports.push(PopulationFileReport {
            path: f.path.strip_prefix(&p.base_dir).unwrap_or(&f.path).display().to_string(),
            format: f.format.name().to_string(),
            rows_read: report.rows_read as u64,
            rows_used: report.rows_used as u64,
            population_used: report.population_used,
            rows_outside_area: report.rows_outside_area as u64,
            population_outside_area: report.population_outside_area,
            rows_bad: report.rows_bad.len() as u64,
            lines_skipped: report.lines_skipped as u64,
            wards_without_population: report.wards_without_population.clone(),
        });
        if report.rows_read == 0 {
            return Err(SnaError::Usage(format!("{}: the population file has no data rows (a header alone)", f.path.display())));
        }
        if let Some((line, reason)) = report.rows_bad.first() {
            return Err(SnaError::Usage(format!(
                "{} line {line}: {reason} ({} bad row(s) in the file; population files must be clean)",
                f.path.display(),
                report.rows_bad.len()
            )));
        }
        population.extend(pop.cells);
    }
    let by_ward = population.total_by_ward();
    let residents: f64 = by_ward.values().sum();
    // Every rate divides by residents: a population that gives none in the area is an error, not empty tables.
    if !p.population.is_empty() && residents <= 0.0 {
        let files: Vec<String> = reports.iter().map(|r| r.path.clone()).collect();
        return Err(SnaError::Usage(format!(
            "[population] {}: no residents in any of the area's {} wards ({} rows used, all zero, or none in the area); check the files are for this area and their counts are not blank",
            files.join(", "),
            wards.wards.len(),
            reports.iter().map(|r| r.rows_used).sum::<u64>()
        )));
    }
    let wards_without_population: Vec<String> = wards
        .wards
        .iter()
        .filter(|w| by_ward.get(&w.code).is_none_or(|&v| v <= 0.0))
        .map(|w| w.code.clone())
        .collect();
    let mut population_tables: Vec<String> = Vec::new();
    for w in population.ward_codes() {
        for (split, _) in population.tables_in_ward(w) {
            let name = split.to_string();
            if !population_tables.contains(&name) {
                population_tables.push(name);
            }
        }
    }
    let mut wards_df = df!(
        "ward_code" => wards.wards.iter().map(|w| w.code.clone()).collect::<Vec<_>>(),
        "ward_name" => wards.wards.iter().map(|w| w.name.clone()).collect::<Vec<_>>(),
        "area_km2" => wards.wards.iter().map(|w| (w.geometry.unsigned_area() / 1e4).round() / 100.0).collect::<Vec<_>>(),
    )
    .map_err(polars_err("staging wards"))?;
    write_parquet(&mut wards_df, &out.join("staged").join("wards.parquet"), &provenance("wards")).map_err(written)?;

    // Ward adjacency for hotspot statistics (only with boundaries; a lookup-only area has none).
    let mut islands = Vec::new();
    if wards.has_boundaries() {
        let tolerance = p.analysis.contiguity_tolerance_m;
        let c = queen_contiguity(wards, tolerance);
        let pairs: Vec<(String, String)> = c
            .neighbours
            .iter()
            .enumerate()
            .flat_map(|(i, ns)| ns.iter().map(move |&j| (i, j)))
            .map(|(i, j)| (wards.wards[i].code.clone(), wards.wards[j].code.clone()))
            .collect();
        islands = c.islands.iter().map(|&i| wards.wards[i].code.clone()).collect();
        let mut df = df!(
            "ward_code" => pairs.iter().map(|p| p.0.clone()).collect::<Vec<_>>(),
            "neighbour_code" => pairs.iter().map(|p| p.1.clone()).collect::<Vec<_>>(),
        )
        .map_err(polars_err("staging ward neighbours"))?;
        let mut contiguity = provenance("ward contiguity");
        contiguity.push(("method".into(), format!("queen, tolerance {tolerance} m")));
        write_parquet(&mut df, &out.join("staged").join("ward_neighbours.parquet"), &contiguity).map_err(written)?;
    }

    let cells = population.cells;
    let mut pop_df = df!(
        "ward_code" => cells.iter().map(|c| c.ward_code.clone()).collect::<Vec<_>>(),
        "age_band" => cells.iter().map(|c| c.age_band.clone()).collect::<Vec<_>>(),
        "sex" => cells.iter().map(|c| c.sex.clone()).collect::<Vec<_>>(),
        "ethnic_group" => cells.iter().map(|c| c.ethnic_group.clone()).collect::<Vec<_>>(),
        "population" => cells.iter().map(|c| c.population).collect::<Vec<_>>(),
    )
    .map_err(polars_err("staging population"))?;
    write_parquet(&mut pop_df, &out.join("staged").join("population.parquet"), &provenance("population")).map_err(written)?;
    let pupil_rows = match &p.pupils {
        Some(path) => stage_pupils(path, out, &provenance("pupils"))?,
        None => 0,
    };
    Ok(ReferenceReport {
        pupil_rows,
        wards: wards.wards.len(),
        population: reports,
        residents,
        population_tables,
        wards_without_population,
        island_wards: islands,
    })
}

/// Read one population file with the reader for its format; LSOA-keyed formats need the lookup.
fn load_population_file(
    format: PopulationFormat,
    path: &Path,
    geography: &Geography,
) -> Result<(Population, PopulationLoadReport)> {
    let wards = &geography.wards;
    let lookup = || {
        geography.lsoa_lookup().ok_or_else(|| {
            SnaError::Usage(format!(
                "{}: format {} is by LSOA; set [geography] lsoa_lookup so LSOAs can be summed into wards",
                path.display(),
                format.name()
            ))
        })
    };
    Ok(match format {
        PopulationFormat::Long => Population::load_long_csv(path, geography.lsoa_lookup(), wards)?,
        PopulationFormat::CensusTs007a => population_ts007a::load(path, lookup()?, wards)?,
        PopulationFormat::NomisTs021 => population_ts021::load(path, lookup()?, wards)?,
    })
}

/// Pupils on roll (`year,ethnic_group,headcount`; year like 2025-26) into `staged/pupils.parquet`, the
/// denominators of exclusion rates. Any unreadable row stops the run: a wrong denominator is worse than none.
fn stage_pupils(path: &Path, out: &Path, provenance: &crate::table_io::Provenance) -> Result<usize> {
    let bad = |m: String| SnaError::Usage(format!("{}: {m}", path.display()));
    let mut r = csv::Reader::from_path(path).map_err(|e| bad(e.to_string()))?;
    let headers: Vec<String> = r.headers().map_err(|e| bad(e.to_string()))?.iter().map(|h| h.trim_start_matches('\u{feff}').trim().to_lowercase()).collect();
    let col = |name: &str| headers.iter().position(|h| h == name).ok_or_else(|| bad(format!("no column {name} (expected year,ethnic_group,headcount)")));
    let (y, g, h) = (col("year")?, col("ethnic_group")?, col("headcount")?);
    let (mut years, mut groups, mut counts) = (Vec::new(), Vec::new(), Vec::new());
    for (i, rec) in r.records().enumerate() {
        let rec = rec.map_err(|e| bad(format!("line {}: {e}", i + 2)))?;
        let count: f64 = rec.get(h).unwrap_or("").trim().parse().map_err(|_| bad(format!("line {}: headcount is not a number", i + 2)))?;
        if !(count.is_finite() && count >= 0.0) {
            return Err(bad(format!("line {}: headcount must be zero or more", i + 2)));
        }
        years.push(rec.get(y).unwrap_or("").trim().to_string());
        groups.push(rec.get(g).unwrap_or("").trim().to_string());
        counts.push(count);
    }
    let n = years.len();
    let mut df = df!("year" => years, "ethnic_group" => groups, "headcount" => counts).map_err(|e| bad(e.to_string()))?;
    write_parquet(&mut df, &out.join("staged").join("pupils.parquet"), provenance).map_err(|e| SnaError::Ingest(e.into()))?;
    Ok(n)
}
