//! Reading the analysis tables the report is built from (the report stage reads only `tables/`).

use super::findings::{AreaFigures, WardFigures};
use super::ReportError;
use crate::table_io::read_parquet;
use polars::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;

fn err(what: &str) -> impl Fn(PolarsError) -> ReportError + '_ {
    move |e| ReportError::Table(format!("{what}: {e}"))
}

fn strs(df: &DataFrame, name: &str) -> Result<Vec<String>, ReportError> {
    let c = df.column(name).and_then(|c| c.str().cloned()).map_err(err(name))?;
    Ok(c.iter().map(|v| v.unwrap_or_default().to_string()).collect())
}

fn u64s(df: &DataFrame, name: &str) -> Result<Vec<u64>, ReportError> {
    let c = df.column(name).and_then(|c| c.cast(&DataType::UInt64)).map_err(err(name))?;
    let c = c.u64().map_err(err(name))?.clone();
    Ok(c.iter().map(|v| v.unwrap_or(0)).collect())
}

fn f64s(df: &DataFrame, name: &str) -> Result<Vec<Option<f64>>, ReportError> {
    let c = df.column(name).and_then(|c| c.cast(&DataType::Float64)).map_err(err(name))?;
    let c = c.f64().map_err(err(name))?.clone();
    Ok(c.iter().collect())
}

fn load(dir: &Path, name: &str) -> Result<DataFrame, ReportError> {
    let path = dir.join("tables").join(format!("{name}.parquet"));
    if !path.is_file() {
        return Err(ReportError::Table(format!("{} is missing: run `sna analyse` first", path.display())));
    }
    read_parquet(&path).map_err(|e| ReportError::Table(e.to_string()))
}

/// Ward figures per theme, in the table's order (rate rank).
pub fn ward_figures(out: &Path) -> Result<BTreeMap<String, Vec<WardFigures>>, ReportError> {
    let df = load(out, "place_wards")?;
    let (theme, code, name) = (strs(&df, "theme")?, strs(&df, "ward_code")?, strs(&df, "ward_name")?);
    let offences = u64s(&df, "offences")?;
    let (rate, lower, upper) = (f64s(&df, "rate")?, f64s(&df, "lower")?, f64s(&df, "upper")?);
    let mut out: BTreeMap<String, Vec<WardFigures>> = BTreeMap::new();
    for i in 0..df.height() {
        out.entry(theme[i].clone()).or_default().push(WardFigures {
            code: code[i].clone(),
            name: name[i].clone(),
            offences: offences[i],
            rate: rate[i],
            lower: lower[i],
            upper: upper[i],
        });
    }
    Ok(out)
}

pub fn area_figures(out: &Path) -> Result<BTreeMap<String, AreaFigures>, ReportError> {
    let df = load(out, "place_area_totals")?;
    let theme = strs(&df, "theme")?;
    let offences = u64s(&df, "offences")?;
    let outside = u64s(&df, "offences_outside_area")?;
    let unlocated = u64s(&df, "offences_unlocated")?;
    let rate = f64s(&df, "rate")?;
    Ok((0..df.height())
        .map(|i| {
            (
                theme[i].clone(),
                AreaFigures { offences: offences[i], offences_outside_area: outside[i], offences_unlocated: unlocated[i], rate: rate[i] },
            )
        })
        .collect())
}

/// Ward and area figures from CSV tables under `root/tables` (the public tier's suppressed tables): a
/// suppressed count (`[c]`) or blanked rate reads as missing, never as zero.
pub fn figures_from_csv(root: &Path) -> (BTreeMap<String, Vec<WardFigures>>, BTreeMap<String, AreaFigures>) {
    use super::table_rows::{num, text, Rows};
    let mut wards: BTreeMap<String, Vec<WardFigures>> = BTreeMap::new();
    if let Some(rows) = Rows::load(root, "place_wards") {
        for r in &rows.rows {
            let (Some(theme), Some(code), Some(name)) = (text(r, "theme"), text(r, "ward_code"), text(r, "ward_name")) else { continue };
            wards.entry(theme.to_string()).or_default().push(WardFigures {
                code: code.to_string(),
                name: name.to_string(),
                offences: num(r, "offences").map(|v| v as u64).unwrap_or(0),
                rate: num(r, "rate"),
                lower: num(r, "lower"),
                upper: num(r, "upper"),
            });
        }
    }
    let mut areas = BTreeMap::new();
    if let Some(rows) = Rows::load(root, "place_area_totals") {
        for r in &rows.rows {
            let (Some(theme), Some(offences)) = (text(r, "theme"), num(r, "offences")) else { continue };
            // If either unplaced count is suppressed, neither is stated: "0" would be false and the other
            // alone would invite subtraction.
            let (outside, unlocated) = match (num(r, "offences_outside_area"), num(r, "offences_unlocated")) {
                (Some(o), Some(u)) => (o as u64, u as u64),
                _ => (0, 0),
            };
            areas.insert(
                theme.to_string(),
                AreaFigures { offences: offences as u64, offences_outside_area: outside, offences_unlocated: unlocated, rate: num(r, "rate") },
            );
        }
    }
    (wards, areas)
}
