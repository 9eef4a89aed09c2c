//! Reference data staged beside the extracts, so analysis reads only `staged/`: the area's wards
//! (code, name, area) and ward population denominators by age band, sex and ethnic group.

use crate::error::{Result, SnaError};
use crate::geo::population::Population;
use crate::geo::Geography;
use crate::pipeline::config::{Pipeline, PopulationFormat};
use crate::table_io::write_parquet;
use geo::Area;
use polars::prelude::*;
use serde::Serialize;
use std::path::Path;

#[derive(Debug, Clone, Serialize)]
pub struct PopulationFileReport {
    pub path: String,
    pub rows_read: u64,
    pub rows_used: u64,
    pub rows_outside_area: u64,
    pub rows_bad: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReferenceReport {
    pub wards: usize,
    pub population: Vec<PopulationFileReport>,
    pub residents: f64,
}

pub fn stage_reference(p: &Pipeline, geography: &Geography, out: &Path) -> Result<ReferenceReport> {
    let wards = &geography.wards;
    let polars_err = |what: &str| {
        let what = what.to_string();
        move |e: PolarsError| SnaError::Usage(format!("{what}: {e}"))
    };
    let mut wards_df = df!(
        "ward_code" => wards.wards.iter().map(|w| w.code.clone()).collect::<Vec<_>>(),
        "ward_name" => wards.wards.iter().map(|w| w.name.clone()).collect::<Vec<_>>(),
        "area_km2" => wards.wards.iter().map(|w| (w.geometry.unsigned_area() / 1e4).round() / 100.0).collect::<Vec<_>>(),
    )
    .map_err(polars_err("staging wards"))?;
    write_parquet(&mut wards_df, &out.join("staged").join("wards.parquet"), &vec![("source".into(), "wards".into())])
        .map_err(|e| SnaError::Usage(e.to_string()))?;

    let mut cells = Vec::new();
    let mut reports = Vec::new();
    for f in &p.population {
        let (pop, report) = match f.format {
            PopulationFormat::Long => Population::load_long_csv(&f.path, geography.lsoa_lookup(), wards)?,
        };
        reports.push(PopulationFileReport {
            path: f.path.strip_prefix(&p.base_dir).unwrap_or(&f.path).display().to_string(),
            rows_read: report.rows_read as u64,
            rows_used: report.rows_used as u64,
            rows_outside_area: report.rows_outside_area as u64,
            rows_bad: report.rows_bad.len() as u64,
        });
        if let Some((line, reason)) = report.rows_bad.first() {
            return Err(SnaError::Usage(format!("{} line {line}: {reason}", f.path.display())));
        }
        cells.extend(pop.cells);
    }
    let residents: f64 = cells.iter().map(|c| c.population).sum();
    let mut pop_df = df!(
        "ward_code" => cells.iter().map(|c| c.ward_code.clone()).collect::<Vec<_>>(),
        "age_band" => cells.iter().map(|c| c.age_band.clone()).collect::<Vec<_>>(),
        "sex" => cells.iter().map(|c| c.sex.clone()).collect::<Vec<_>>(),
        "ethnic_group" => cells.iter().map(|c| c.ethnic_group.clone()).collect::<Vec<_>>(),
        "population" => cells.iter().map(|c| c.population).collect::<Vec<_>>(),
    )
    .map_err(polars_err("staging population"))?;
    write_parquet(&mut pop_df, &out.join("staged").join("population.parquet"), &vec![("source".into(), "population".into())])
        .map_err(|e| SnaError::Usage(e.to_string()))?;
    Ok(ReferenceReport { wards: wards.wards.len(), population: reports, residents })
}
