//! Gi* hot and cold spot map: hot wards in a warm colour, cold in a cool one, not significant in light
//! grey; islands (wards with no neighbour) outlined heavily.

use plotters::style::RGBColor;

use super::frame::{LegendEntry, MapSpec, MapWard, format_number};
use super::WardStats;
use crate::geo::WardSet;
use crate::report::charts::palette;

pub(crate) const HOT: RGBColor = palette::VERMILLION;
pub(crate) const COLD: RGBColor = palette::BLUE;
pub(crate) const NOT_SIGNIFICANT: RGBColor = RGBColor(225, 225, 225);
/// Wards with no Gi* result (not in the table).
pub(crate) const NO_RESULT: RGBColor = RGBColor(255, 255, 255);

pub(crate) fn class_colour(class: Option<&str>) -> RGBColor {
    match class {
        Some("hot") => HOT,
        Some("cold") => COLD,
        Some(_) => NOT_SIGNIFICANT,
        None => NO_RESULT,
    }
}

pub(crate) struct HotspotText {
    pub title: String,
    pub subtitle: String,
    pub caption: String,
    /// e.g. "Benjamini-Hochberg".
    pub adjust_method: String,
    pub alpha: f64,
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "ward" } else { "wards" }
}

fn alpha_text(alpha: f64) -> String {
    if alpha.is_finite() && alpha > 0.0 {
        let s = format!("{alpha:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        "alpha".to_string()
    }
}

pub(crate) fn spec<'a>(wards: &'a WardSet, stats: &WardStats, text: HotspotText) -> MapSpec<'a> {
    let class_of = |code: &str| stats.get(code).and_then(|s| s.class.as_deref());
    let island_of = |code: &str| stats.get(code).and_then(|s| s.island).unwrap_or(false);
    let mut counts = [0usize; 4];
    let mut islands = 0usize;
    let map_wards = wards
        .wards
        .iter()
        .map(|w| {
            let class = class_of(&w.code);
            counts[match class {
                Some("hot") => 0,
                Some("cold") => 1,
                Some(_) => 2,
                None => 3,
            }] += 1;
            let emphasis = island_of(&w.code);
            islands += usize::from(emphasis);
            MapWard { geometry: &w.geometry, fill: class_colour(class), emphasis, name: &w.name }
        })
        .collect();
    let alpha = alpha_text(text.alpha);
    let mut legend = vec![
        LegendEntry { fill: HOT, emphasis: false, label: format!("Hot spot: high values cluster  ({} {})", counts[0], plural(counts[0])) },
        LegendEntry { fill: COLD, emphasis: false, label: format!("Cold spot: low values cluster  ({} {})", counts[1], plural(counts[1])) },
        LegendEntry { fill: NOT_SIGNIFICANT, emphasis: false, label: format!("Not significant  ({} {})", counts[2], plural(counts[2])) },
    ];
    if counts[3] > 0 {
        legend.push(LegendEntry { fill: NO_RESULT, emphasis: false, label: format!("No result  ({} {})", counts[3], plural(counts[3])) });
    }
    if islands > 0 {
        legend.push(LegendEntry {
            fill: palette::BACKGROUND,
            emphasis: true,
            label: format!("Island: no neighbouring ward, outlined  ({islands} {})", plural(islands)),
        });
    }
    let notes = vec![
        "Getis-Ord Gi* z-scores: each ward with its queen-contiguity neighbours, against the whole area.".to_string(),
        format!(
            "Hot or cold spot: {} adjusted p-value \u{2264} {alpha} (alpha), adjusting across the {} {}; positive z is hot, negative cold.",
            text.adjust_method,
            format_number(wards.wards.len() as f64, 0),
            plural(wards.wards.len())
        ),
    ];
    MapSpec {
        title: text.title,
        subtitle: text.subtitle,
        caption: text.caption,
        legend_title: "Gi* hot and cold spots".to_string(),
        legend,
        notes,
        wards: map_wards,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_and_alpha() {
        assert_eq!(class_colour(Some("hot")), HOT);
        assert_eq!(class_colour(Some("cold")), COLD);
        assert_eq!(class_colour(Some("not significant")), NOT_SIGNIFICANT);
        assert_eq!(class_colour(None), NO_RESULT);
        assert_eq!(alpha_text(0.05), "0.05");
        assert_eq!(alpha_text(0.1), "0.1");
        assert_eq!(alpha_text(f64::NAN), "alpha");
    }
}
