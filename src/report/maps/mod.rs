//! Ward maps for the report: a choropleth of rates and a Gi* hot/cold spot map per theme (PNG and SVG,
//! drawn north-up in British National Grid metres from the pipeline's boundary file), and the ward
//! statistics as WGS84 GeoJSON for QGIS. A geography built from a lookup has no boundaries, so no maps:
//! [`unavailable_reason`] gives the sentence the report prints instead.
//!
//! Per [`Tier`]: the restricted maps read `tables/*.parquet`; the public maps read only the suppressed
//! `public/tables/*.csv` (through [`load_tier_table`]), show suppressed wards in their own style, and have no
//! Gi* map or properties because `place_hotspots` is not published.

pub mod classes;
mod choropleth;
mod frame;
mod geojson_out;
mod hotspot_map;

use std::collections::BTreeMap;
use std::path::Path;

use polars::prelude::*;

pub use classes::{ClassMethod, Classing};

use super::tier_tables::{load_tier_table, tier_root};
use super::{ReportError, ReportSettings, Tier};
use crate::geo::{AreaFilter, WardSet};
use crate::pipeline::config::WardSource;
use crate::report::charts::ChartError;

/// One ward's figures for one theme, from `place_wards` and `place_hotspots`.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct WardStat {
    pub offences: Option<u64>,
    pub population: Option<f64>,
    pub rate: Option<f64>,
    pub lower: Option<f64>,
    pub upper: Option<f64>,
    pub vs_area: Option<String>,
    pub gi_star_z: Option<f64>,
    pub p_adjusted: Option<f64>,
    pub class: Option<String>,
    pub island: Option<bool>,
    /// Public tier: the ward's count is suppressed (`[c]`), so its rate and interval are blank.
    pub suppressed: bool,
}

/// Ward code -> figures.
pub(crate) type WardStats = BTreeMap<String, WardStat>;

/// Why there are no maps for this pipeline, or None when maps can be drawn.
pub fn unavailable_reason(settings: &ReportSettings) -> Option<&'static str> {
    match settings.pipeline.geography.wards {
        WardSource::Boundaries { .. } => None,
        WardSource::Lookup { .. } => Some(
            "No ward maps: the geography comes from an LSOA-to-ward lookup without ward boundaries. \
             Give a ward boundary file ([geography] wards) to draw them.",
        ),
    }
}

fn table_err(what: &str) -> impl Fn(PolarsError) -> ReportError + '_ {
    move |e| ReportError::Table(format!("{what}: {e}"))
}

fn strs(df: &DataFrame, name: &str) -> Result<Vec<Option<String>>, ReportError> {
    let Ok(c) = df.column(name) else { return Ok(vec![None; df.height()]) };
    let c = c.cast(&DataType::String).map_err(table_err(name))?;
    let c = c.str().map_err(table_err(name))?;
    Ok(c.iter().map(|v| v.map(str::to_string)).collect())
}

fn f64s(df: &DataFrame, name: &str) -> Result<Vec<Option<f64>>, ReportError> {
    let Ok(c) = df.column(name) else { return Ok(vec![None; df.height()]) };
    let c = c.cast(&DataType::Float64).map_err(table_err(name))?;
    let c = c.f64().map_err(table_err(name))?;
    Ok(c.iter().map(|v| v.filter(|x| x.is_finite())).collect())
}

fn bools(df: &DataFrame, name: &str) -> Result<Vec<Option<bool>>, ReportError> {
    let Ok(c) = df.column(name) else { return Ok(vec![None; df.height()]) };
    let c = c.cast(&DataType::Boolean).map_err(table_err(name))?;
    let c = c.bool().map_err(table_err(name))?;
    Ok(c.iter().collect())
}


/// Per-theme statistics, plus the hotspot table's adjustment method and alpha when it names them.
struct Loaded {
    stats: BTreeMap<String, WardStats>,
    /// Figures are the police.uk open-data proxy, not the definition's themes.
    open_data: bool,
    have_hotspots: bool,
    adjust_method: Option<String>,
    alpha: Option<f64>,
    /// What Gi* was computed on ("rate per 1,000" or "count").
    value_kind: Option<String>,
    multiplier: Option<f64>,
}

/// Theme key of the police.uk open-data proxy (`open_place_wards`, crime types "proxy").
const OPEN_THEME: &str = "police_uk_proxy";

fn load_stats(out: &Path, tier: Tier) -> Result<Option<Loaded>, ReportError> {
    let load = |name: &str| load_tier_table(out, tier, name).map_err(|e| ReportError::Table(format!("{name} for maps: {e}")));
    let (wards, open_data) = match load("place_wards")? {
        Some(df) => (df, false),
        None => match load("open_place_wards")? {
            Some(df) => (df, true),
            None => return Ok(None),
        },
    };
    let mut stats: BTreeMap<String, WardStats> = BTreeMap::new();
    let theme = if open_data {
        strs(&wards, "crime_types")?
            .into_iter()
            .map(|c| (c.as_deref() == Some("proxy")).then(|| OPEN_THEME.to_string()))
            .collect()
    } else {
        strs(&wards, "theme")?
    };
    let code = strs(&wards, "ward_code")?;
    let offences = f64s(&wards, "offences")?;
    let population = f64s(&wards, "population")?;
    let (rate, lower, upper) = (f64s(&wards, "rate")?, f64s(&wards, "lower")?, f64s(&wards, "upper")?);
    let vs_area = strs(&wards, "vs_area")?;
    let multiplier = f64s(&wards, "multiplier")?.into_iter().flatten().next();
    for i in 0..wards.height() {
        let (Some(t), Some(c)) = (&theme[i], &code[i]) else { continue };
        let s = stats.entry(t.clone()).or_default().entry(c.clone()).or_default();
        s.offences = offences[i].filter(|v| *v >= 0.0).map(|v| v.round() as u64);
        // In the public tables a withheld count reads as null ("[c]"); its derived columns are blank too.
        s.suppressed = tier == Tier::Public && offences[i].is_none();
        s.population = population[i];
        s.rate = rate[i];
        s.lower = lower[i];
        s.upper = upper[i];
        s.vs_area = vs_area[i].clone();
    }
    let mut loaded = Loaded { stats, open_data, have_hotspots: false, adjust_method: None, alpha: None, value_kind: None, multiplier };
    // Gi* results are restricted only: place_hotspots is not published, and must not leak into public maps.
    let hotspots = if tier == Tier::Public { None } else { load("place_hotspots")? };
    if let Some(h) = hotspots {
        loaded.have_hotspots = true;
        let (theme, code) = (strs(&h, "theme")?, strs(&h, "ward_code")?);
        let (z, p) = (f64s(&h, "gi_star_z")?, f64s(&h, "p_adjusted")?);
        let (class, island) = (strs(&h, "class")?, bools(&h, "island")?);
        loaded.adjust_method = strs(&h, "adjust_method")?.into_iter().flatten().next();
        loaded.alpha = f64s(&h, "alpha")?.into_iter().flatten().next();
        loaded.value_kind = strs(&h, "value_kind")?.into_iter().flatten().next();
        for i in 0..h.height() {
            let (Some(t), Some(c)) = (&theme[i], &code[i]) else { continue };
            let s = loaded.stats.entry(t.clone()).or_default().entry(c.clone()).or_default();
            s.gi_star_z = z[i];
            s.p_adjusted = p[i];
            s.class = class[i].clone();
            s.island = island[i];
        }
    }
    Ok(Some(loaded))
}

fn adjust_label(config_name: &str) -> String {
    match config_name {
        "holm" => "Holm",
        "bonferroni" => "Bonferroni",
        _ => "Benjamini-Hochberg",
    }
    .to_string()
}

/// "per 1,000 residents" for a multiplier of 1,000.
fn per_label(multiplier: Option<f64>) -> String {
    let m = multiplier.filter(|m| m.is_finite() && *m > 0.0).unwrap_or(1000.0);
    format!("Offences per {} residents", frame::format_number(m, 0))
}

/// The public maps' note on suppression, from `[privacy] suppress_below`.
fn suppression_note(suppress_below: u32) -> String {
    if suppress_below >= 2 {
        let n = suppress_below - 1;
        let range = if n == 1 { "Counts of 1 are".to_string() } else { format!("Counts from 1 to {n} are") };
        format!(
            "Public version: {range} suppressed, with other counts suppressed where they would reveal one;              rates for suppressed wards are not shown."
        )
    } else {
        "Public version: small counts are not suppressed ([privacy] suppress_below is below 2).".to_string()
    }
}

/// Write the ward maps and GeoJSON of `tier` for every theme with ward figures into
/// `tier_root(out, tier)/maps`; returns the files written, relative to the tier root. The public tier reads
/// only the suppressed public tables and draws no Gi* map. Nothing (and no error) without ward boundaries
/// or without a `place_wards` (or `open_place_wards`) table for the tier.
pub fn write_maps(out: &Path, settings: &ReportSettings, tier: Tier) -> Result<Vec<String>, ReportError> {
    let p = settings.pipeline;
    let WardSource::Boundaries { path, code_property, name_property } = &p.geography.wards else {
        return Ok(Vec::new());
    };
    let Some(loaded) = load_stats(out, tier)? else { return Ok(Vec::new()) };
    let public = tier == Tier::Public;
    let classing = Classing { method: p.report.map_classes, count: p.report.map_class_count };
    let filter = p.geography.area_filter.as_ref().map(|f| AreaFilter { property: f.property.clone(), equals: f.equals.clone() });
    let wards = WardSet::from_geojson_path(path, code_property, name_property, filter.as_ref())
        .map_err(|e| ReportError::Table(format!("ward boundaries for maps: {e}")))?;
    if !wards.has_boundaries() {
        return Ok(Vec::new());
    }
    let boundary_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let def = settings.definition;
    let adjust_method = loaded.adjust_method.clone().unwrap_or_else(|| adjust_label(&p.analysis.fdr_method));
    let alpha = loaded.alpha.unwrap_or(p.analysis.alpha);
    let value_label = per_label(loaded.multiplier);
    let gi_on = match loaded.value_kind.as_deref() {
        Some("count") => "offence counts (some wards have no residents)",
        _ => "rates",
    };
    let maps_dir = tier_root(out, tier).join("maps");
    let mut written = Vec::new();
    let (themes, source) = if loaded.open_data {
        (
            vec![(OPEN_THEME.to_string(), "Serious violence proxy (police.uk crime types)".to_string())],
            "data.police.uk street-level crime (crime types mapped by the definition; an upper bound)",
        )
    } else {
        (def.themes().into_iter().map(|t| (t.key, t.label)).collect(), "police recorded crime")
    };
    // Themes are drawn in parallel (PNG encoding and the WGS84 GeoJSON dominate); files are listed in theme order.
    use rayon::prelude::*;
    let one_theme = |(key, label): (String, String)| -> Result<Vec<String>, ReportError> {
        let mut written = Vec::new();
        let theme = crate::definition::ThemeRef { key, label };
        let Some(stats) = loaded.stats.get(&theme.key) else { return Ok(written) };
        let mut caption = format!(
            "Source: {source}, {}; ward boundaries from {}; ward populations from the pipeline's population files. \
             Definition: {} ({}). Map: British National Grid, north up.",
            p.period.label(),
            boundary_name,
            def.name(),
            def.short_hash()
        );
        if public {
            caption = format!("{caption} {}", suppression_note(p.privacy.suppress_below));
        }

        let stem = format!("place_rates_{}", theme.key);
        let text = choropleth::ChoroplethText {
            title: format!("{}: offence rate by ward, {}", theme.label, p.period.short_label()),
            subtitle: format!("{}, {}, {}", value_label, p.area, p.period.label()),
            caption: caption.clone(),
            value_label: value_label.clone(),
            notes: Vec::new(),
        };
        render(&choropleth::spec(&wards, stats, text, classing), &maps_dir, &stem, &mut written)?;

        if !public && loaded.have_hotspots && stats.values().any(|s| s.class.is_some()) {
            let stem = format!("place_hotspots_{}", theme.key);
            let text = hotspot_map::HotspotText {
                title: format!("{}: hot and cold spots by ward, {}", theme.label, p.period.short_label()),
                subtitle: format!("Getis-Ord Gi* on ward {}, {}, {}", gi_on, p.area, p.period.label()),
                caption: caption.clone(),
                adjust_method: adjust_method.clone(),
                alpha,
            };
            render(&hotspot_map::spec(&wards, stats, text), &maps_dir, &stem, &mut written)?;
        }

        let name = format!("place_wards_{}.geojson", theme.key);
        let json = geojson_out::ward_geojson(&wards, &theme.key, stats, classing, public).map_err(|e| ReportError::Table(format!("maps/{name}: {e}")))?;
        let target = maps_dir.join(&name);
        crate::fsutil::write_atomic(&target, json.as_bytes())
            .map_err(|source| ReportError::Io { path: target.display().to_string(), source })?;
        written.push(format!("maps/{name}"));
        Ok(written)
    };
    let per_theme = themes.into_par_iter().map(one_theme).collect::<Result<Vec<_>, ReportError>>()?;
    written.extend(per_theme.into_iter().flatten());
    Ok(written)
}

fn render(spec: &frame::MapSpec, dir: &Path, stem: &str, written: &mut Vec<String>) -> Result<(), ReportError> {
    let png = dir.join(format!("{stem}.png"));
    let svg = dir.join(format!("{stem}.svg"));
    match frame::render_map(spec, &png, &svg) {
        Ok(()) => {
            written.push(format!("maps/{stem}.png"));
            written.push(format!("maps/{stem}.svg"));
            Ok(())
        }
        Err(ChartError::NoData { .. }) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests;
