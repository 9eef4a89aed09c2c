//! Harm-weighted counts by ward, when the pipeline names a weights file (`[analysis] harm_weights`): a CSV of
//! `ho_code,weight`, e.g. Cambridge Crime Harm Index days per Home Office code, supplied by the analyst (the
//! index is licensed and versioned, so it is never built in). Offences whose code has no weight are counted
//! and reported, not silently weighted zero.

use super::{AnalysisContext, AnalysisError};
use crate::definition::apply::theme_column;
use polars::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;

/// HO code (upper case) -> weight. The weight column may be called weight, days, harm or chi.
pub fn load_weights(path: &Path) -> Result<BTreeMap<String, f64>, String> {
    let mut r = csv::Reader::from_path(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let headers: Vec<String> = r.headers().map_err(|e| format!("{}: {e}", path.display()))?.iter().map(|h| h.trim_start_matches('\u{feff}').trim().to_lowercase()).collect();
    let code = headers.iter().position(|h| h == "ho_code" || h == "ho code" || h == "code");
    let weight = headers.iter().position(|h| ["weight", "days", "harm", "chi", "harm_days"].contains(&h.as_str()));
    let (Some(code), Some(weight)) = (code, weight) else {
        return Err(format!("{}: expected columns ho_code and weight (found {})", path.display(), headers.join(", ")));
    };
    let mut out = BTreeMap::new();
    for (i, rec) in r.records().enumerate() {
        let rec = rec.map_err(|e| format!("{} line {}: {e}", path.display(), i + 2))?;
        let c = rec.get(code).unwrap_or("").trim().to_uppercase();
        let w: f64 = rec.get(weight).unwrap_or("").trim().parse().map_err(|_| format!("{} line {}: weight is not a number", path.display(), i + 2))?;
        if !(w.is_finite() && w >= 0.0) {
            return Err(format!("{} line {}: weight must be zero or more", path.display(), i + 2));
        }
        if out.insert(c.clone(), w).is_some() {
            return Err(format!("{} line {}: HO code {c} is weighted twice", path.display(), i + 2));
        }
    }
    Ok(out)
}

pub fn table(ctx: &AnalysisContext, path: &Path) -> Result<PolarsResult<DataFrame>, AnalysisError> {
    let weights = load_weights(path).map_err(AnalysisError::Input)?;
    let themes = ctx.definition.themes();
    let mut cols = vec![col("ward_code"), col("ho_code")];
    cols.extend(themes.iter().map(|t| col(theme_column(&t.key))));
    let df = ctx
        .staged
        .offences
        .clone()
        .filter(col("period_index").eq(lit(0)))
        .select(cols)
        .collect()
        .map_err(|e| AnalysisError::polars("harm weighting", e))?;
    let ward = df.column("ward_code").and_then(|c| c.str().cloned()).map_err(|e| AnalysisError::polars("ward_code", e))?;
    let ho = df.column("ho_code").and_then(|c| c.str().cloned()).map_err(|e| AnalysisError::polars("ho_code", e))?;
    let (mut theme, mut code, mut name, mut offences, mut harm, mut unweighted) = (vec![], vec![], vec![], vec![], vec![], vec![]);
    for t in &themes {
        let flags = df.column(&theme_column(&t.key)).and_then(|c| c.bool().cloned()).map_err(|e| AnalysisError::polars("theme", e))?;
        let mut by_ward: BTreeMap<&str, (u64, f64, u64)> = BTreeMap::new();
        for i in 0..df.height() {
            if flags.get(i) != Some(true) {
                continue;
            }
            let Some(w) = ward.get(i) else { continue };
            let e = by_ward.entry(w).or_default();
            e.0 += 1;
            match ho.get(i).and_then(|c| weights.get(&c.to_uppercase())) {
                Some(weight) => e.1 += weight,
                None => e.2 += 1,
            }
        }
        for (c, n) in &ctx.wards {
            let (o, h, u) = by_ward.get(c.as_str()).copied().unwrap_or_default();
            theme.push(t.key.clone());
            code.push(c.clone());
            name.push(n.clone());
            offences.push(o);
            harm.push(h);
            unweighted.push(u);
        }
    }
    let n = theme.len();
    let file = path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
    Ok(df!(
        "definition" => vec![ctx.definition.name().to_string(); n],
        "definition_sha256" => vec![ctx.definition.sha256.clone(); n],
        "theme" => theme,
        "ward_code" => code,
        "ward_name" => name,
        "offences" => offences,
        "harm_weighted" => harm,
        "offences_without_weight" => unweighted,
        "weights_file" => vec![file; n],
    ))
}
