//! Ward choropleth of rates: classes from [`super::classes`] (Jenks natural breaks or quantiles, as
//! configured), ColorBrewer YlOrRd sequential fills (colour-blind safe), grey for wards without a rate and,
//! on public maps, a distinct pale blue for wards whose figures are suppressed.

use plotters::style::RGBColor;

use super::classes::{Classes, Classing, NO_DATA};
use super::frame::{LegendEntry, MapSpec, MapWard};
use super::WardStats;
use crate::geo::WardSet;

/// Fill for wards whose count (and so rate) is suppressed in the public tables: a cool hue unlike the
/// YlOrRd ramp and unlike the grey of wards without residents.
pub(crate) const SUPPRESSED_FILL: RGBColor = RGBColor(198, 219, 239);

fn plural(n: usize) -> &'static str {
    if n == 1 { "ward" } else { "wards" }
}

pub(crate) struct ChoroplethText {
    pub title: String,
    pub subtitle: String,
    pub caption: String,
    pub value_label: String,
    /// Further sentences under the legend (e.g. the public tier's suppression rule).
    pub notes: Vec<String>,
}

/// The map specification for one theme's rates.
pub(crate) fn spec<'a>(wards: &'a WardSet, stats: &WardStats, text: ChoroplethText, classing: Classing) -> MapSpec<'a> {
    let suppressed = |code: &str| stats.get(code).is_some_and(|s| s.suppressed);
    let rate_of = |code: &str| stats.get(code).filter(|s| !s.suppressed).and_then(|s| s.rate).filter(|r| r.is_finite());
    let rates: Vec<f64> = wards.wards.iter().filter_map(|w| rate_of(&w.code)).collect();
    let classes = Classes::new(&rates, classing);
    let map_wards = wards
        .wards
        .iter()
        .map(|w| {
            let fill = if suppressed(&w.code) { SUPPRESSED_FILL } else { classes.colour(rate_of(&w.code)) };
            MapWard { geometry: &w.geometry, fill, emphasis: false, name: &w.name }
        })
        .collect();
    let mut legend: Vec<LegendEntry> = (0..classes.bounds.len())
        .rev()
        .map(|j| LegendEntry {
            fill: classes.colours[j],
            emphasis: false,
            label: format!("{}  ({} {})", classes.range_label(j), classes.members[j].2, plural(classes.members[j].2)),
        })
        .collect();
    let hidden = wards.wards.iter().filter(|w| suppressed(&w.code)).count();
    if hidden > 0 {
        legend.push(LegendEntry {
            fill: SUPPRESSED_FILL,
            emphasis: false,
            label: format!("Suppressed / not shown: count withheld to protect privacy  ({hidden} {})", plural(hidden)),
        });
    }
    let missing = wards.wards.len().saturating_sub(rates.len() + hidden);
    if missing > 0 {
        legend.push(LegendEntry {
            fill: NO_DATA,
            emphasis: false,
            label: format!("No rate: no resident population or no figures  ({missing} {})", plural(missing)),
        });
    }
    MapSpec {
        title: text.title,
        subtitle: text.subtitle,
        caption: text.caption,
        legend_title: text.value_label,
        legend,
        notes: std::iter::once(classes.method_note()).chain(text.notes).collect(),
        wards: map_wards,
    }
}
