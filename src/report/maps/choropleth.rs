//! Ward choropleth of rates: quantile classes (quintiles where there are at least five distinct rates),
//! ColorBrewer YlOrRd sequential fills (colour-blind safe), grey for wards without a rate.

use plotters::style::RGBColor;

use super::frame::{LegendEntry, MapSpec, MapWard, format_number};
use super::WardStats;
use crate::geo::WardSet;

/// Wanted number of classes.
pub(crate) const CLASSES: usize = 5;

/// Fill for wards without a usable rate (no population, no row).
pub(crate) const NO_DATA: RGBColor = RGBColor(190, 190, 190);

/// ColorBrewer YlOrRd for 1 to 5 classes (Brewer, Harrower and Pennsylvania State University).
fn ramp(k: usize) -> Vec<RGBColor> {
    let c = |h: u32| RGBColor((h >> 16) as u8, (h >> 8) as u8, h as u8);
    let hex: &[u32] = match k {
        0 => &[],
        1 => &[0xfd8d3c],
        2 => &[0xfecc5c, 0xe31a1c],
        3 => &[0xffeda0, 0xfeb24c, 0xf03b20],
        4 => &[0xffffb2, 0xfecc5c, 0xfd8d3c, 0xe31a1c],
        _ => &[0xffffb2, 0xfecc5c, 0xfd8d3c, 0xf03b20, 0xbd0026],
    };
    hex.iter().map(|&h| c(h)).collect()
}

/// Upper bounds of up to `k` quantile classes over the finite values; the last bound is the maximum.
/// Class `j` holds values in `(bounds[j-1], bounds[j]]` (the first class from the minimum). Ties never
/// straddle a bound, so there are fewer classes when there are few distinct values (one when all are
/// equal) and none for no values.
pub(crate) fn quantile_breaks(values: &[f64], k: usize) -> Vec<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() || k == 0 {
        return Vec::new();
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let mut bounds: Vec<f64> = Vec::with_capacity(k);
    for i in 1..=k {
        let idx = (i * n).div_ceil(k).saturating_sub(1).min(n - 1);
        let b = v[idx];
        if bounds.last().is_none_or(|last| b > *last) {
            bounds.push(b);
        }
    }
    bounds
}

/// Index of the class holding `v`, if it is finite.
pub(crate) fn class_of(bounds: &[f64], v: f64) -> Option<usize> {
    if !v.is_finite() || bounds.is_empty() {
        return None;
    }
    Some(bounds.iter().position(|b| v <= *b).unwrap_or(bounds.len() - 1))
}

/// Decimals for labels: enough to tell the class bounds apart, and each class's lowest member from the
/// class below's highest.
fn decimals(members: &[(f64, f64, usize)]) -> usize {
    let max = members.iter().fold(0.0_f64, |a, m| a.max(m.1.abs()));
    let base = if max >= 100.0 {
        0
    } else if max >= 1.0 {
        1
    } else {
        2
    };
    let edges: Vec<f64> = members.iter().filter(|m| m.2 > 0).flat_map(|m| [m.0, m.1]).collect();
    for dp in base..=4 {
        let labels: Vec<String> = edges.iter().map(|b| format!("{b:.dp$}")).collect();
        // Pairs (max of class j, min of class j+1) sit at odd positions 1-2, 3-4, ...
        if labels.windows(2).skip(1).step_by(2).all(|w| w[0] != w[1]) {
            return dp;
        }
    }
    4
}

/// The classification of one theme's ward rates.
pub(crate) struct Classes {
    pub bounds: Vec<f64>,
    pub colours: Vec<RGBColor>,
    /// Per class: (min, max, number of wards).
    pub members: Vec<(f64, f64, usize)>,
    pub dp: usize,
}

impl Classes {
    pub fn new(rates: &[f64]) -> Classes {
        let bounds = quantile_breaks(rates, CLASSES);
        let colours = ramp(bounds.len());
        let mut members = vec![(f64::INFINITY, f64::NEG_INFINITY, 0usize); bounds.len()];
        for &r in rates {
            if let Some(j) = class_of(&bounds, r) {
                let m = &mut members[j];
                *m = (m.0.min(r), m.1.max(r), m.2 + 1);
            }
        }
        let dp = decimals(&members);
        Classes { bounds, colours, members, dp }
    }

    pub fn colour(&self, rate: Option<f64>) -> RGBColor {
        rate.and_then(|r| class_of(&self.bounds, r)).and_then(|j| self.colours.get(j).copied()).unwrap_or(NO_DATA)
    }

    /// "2.1 to 5.3" for a class (its members' range).
    pub fn range_label(&self, j: usize) -> String {
        match self.members.get(j) {
            Some(&(lo, hi, n)) if n > 0 => {
                if format_number(lo, self.dp) == format_number(hi, self.dp) {
                    format_number(lo, self.dp)
                } else {
                    format!("{} to {}", format_number(lo, self.dp), format_number(hi, self.dp))
                }
            }
            _ => String::new(),
        }
    }

    pub fn method_note(&self) -> String {
        match self.bounds.len() {
            0 => "No ward has a rate, so there are no classes.".to_string(),
            1 => "Every ward has the same rate, so there is a single class.".to_string(),
            CLASSES => "Classes: quintiles (five classes with about equal numbers of wards); ranges show the lowest and highest ward rate in each class.".to_string(),
            k => format!(
                "Classes: quantiles ({k} classes, fewer than five because few wards have distinct rates); ranges show the lowest and highest ward rate in each class."
            ),
        }
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "ward" } else { "wards" }
}

pub(crate) struct ChoroplethText {
    pub title: String,
    pub subtitle: String,
    pub caption: String,
    pub value_label: String,
}

/// The map specification for one theme's rates.
pub(crate) fn spec<'a>(wards: &'a WardSet, stats: &WardStats, text: ChoroplethText) -> MapSpec<'a> {
    let rate_of = |code: &str| stats.get(code).and_then(|s| s.rate).filter(|r| r.is_finite());
    let rates: Vec<f64> = wards.wards.iter().filter_map(|w| rate_of(&w.code)).collect();
    let classes = Classes::new(&rates);
    let map_wards = wards
        .wards
        .iter()
        .map(|w| MapWard { geometry: &w.geometry, fill: classes.colour(rate_of(&w.code)), emphasis: false, name: &w.name })
        .collect();
    let mut legend: Vec<LegendEntry> = (0..classes.bounds.len())
        .rev()
        .map(|j| LegendEntry {
            fill: classes.colours[j],
            emphasis: false,
            label: format!("{}  ({} {})", classes.range_label(j), classes.members[j].2, plural(classes.members[j].2)),
        })
        .collect();
    let missing = wards.wards.len() - rates.len();
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
        notes: vec![classes.method_note()],
        wards: map_wards,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quintiles_on_hand_values() {
        let v: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(quantile_breaks(&v, 5), vec![2.0, 4.0, 6.0, 8.0, 10.0]);
        // Order does not matter; NaN and infinities are ignored.
        let mut w = v.clone();
        w.reverse();
        w.push(f64::NAN);
        w.push(f64::INFINITY);
        assert_eq!(quantile_breaks(&w, 5), vec![2.0, 4.0, 6.0, 8.0, 10.0]);
        // 7 values: bounds at ranks ceil(7i/5) = 2, 3, 5, 6, 7.
        let v7 = [3.0, 1.0, 7.0, 5.0, 2.0, 6.0, 4.0];
        assert_eq!(quantile_breaks(&v7, 5), vec![2.0, 3.0, 5.0, 6.0, 7.0]);
        assert_eq!(class_of(&[2.0, 4.0], 1.0), Some(0));
        assert_eq!(class_of(&[2.0, 4.0], 2.0), Some(0));
        assert_eq!(class_of(&[2.0, 4.0], 2.5), Some(1));
        assert_eq!(class_of(&[2.0, 4.0], f64::NAN), None);
    }

    #[test]
    fn ties_and_degenerate_values() {
        assert_eq!(quantile_breaks(&[1.0, 1.0, 1.0, 1.0, 2.0, 3.0], 5), vec![1.0, 2.0, 3.0]);
        assert_eq!(quantile_breaks(&[4.2; 9], 5), vec![4.2]);
        assert_eq!(quantile_breaks(&[7.0], 5), vec![7.0]);
        assert!(quantile_breaks(&[], 5).is_empty());
        assert!(quantile_breaks(&[f64::NAN], 5).is_empty());
        let c = Classes::new(&[4.2; 9]);
        assert_eq!(c.members, vec![(4.2, 4.2, 9)]);
        assert_eq!(c.range_label(0), "4.2");
        assert!(c.method_note().contains("same rate"));
        let none = Classes::new(&[]);
        assert_eq!(none.colour(Some(1.0)), NO_DATA);
        assert_eq!(none.colour(None), NO_DATA);
    }

    #[test]
    fn labels_separate_close_bounds() {
        let c = Classes::new(&[1.01, 1.02, 1.03, 1.04, 1.05]);
        assert_eq!(c.dp, 2);
        assert_eq!(c.range_label(4), "1.05");
        let c = Classes::new(&(1..=10).map(f64::from).collect::<Vec<_>>());
        assert_eq!(c.range_label(0), "1.0 to 2.0");
        assert_eq!(c.members.iter().map(|m| m.2).sum::<usize>(), 10);
        assert!(c.method_note().starts_with("Classes: quintiles"));
    }
}
