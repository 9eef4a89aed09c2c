//! Classes for the ward choropleth: quantiles or Jenks natural breaks, ColorBrewer YlOrRd sequential
//! fills (colour-blind safe), and the legend's ranges and method note.
//!
//! Natural breaks are the Fisher-Jenks optimal classification, written here by dynamic programming: no
//! maintained small crate does it for our case (weighted distinct values so ties never straddle a break,
//! deterministic tie-breaking, a few hundred wards), and the algorithm is about forty lines.

use plotters::style::RGBColor;
use serde::Deserialize;

use super::frame::format_number;

/// How ward rates are grouped into classes (`[report] map_classes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClassMethod {
    /// Classes with about equal numbers of wards.
    Quantiles,
    /// Jenks natural breaks: classes that keep similar rates together and break at large gaps.
    #[default]
    NaturalBreaks,
}

impl ClassMethod {
    /// The name used in the pipeline file.
    pub fn config_name(self) -> &'static str {
        match self {
            ClassMethod::Quantiles => "quantiles",
            ClassMethod::NaturalBreaks => "natural_breaks",
        }
    }
}

/// Default, smallest and largest number of classes (`[report] map_class_count`).
pub const DEFAULT_CLASS_COUNT: usize = 5;
pub const MIN_CLASS_COUNT: usize = 3;
pub const MAX_CLASS_COUNT: usize = 7;

/// The classification asked for: method and wanted number of classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Classing {
    pub method: ClassMethod,
    pub count: usize,
}

impl Default for Classing {
    fn default() -> Self {
        Classing { method: ClassMethod::default(), count: DEFAULT_CLASS_COUNT }
    }
}

/// Fill for wards without a usable rate (no population, no row).
pub(crate) const NO_DATA: RGBColor = RGBColor(190, 190, 190);

/// ColorBrewer YlOrRd for 1 to 7 classes (Brewer, Harrower and Pennsylvania State University).
fn ramp(k: usize) -> Vec<RGBColor> {
    let c = |h: u32| RGBColor((h >> 16) as u8, (h >> 8) as u8, h as u8);
    let hex: &[u32] = match k {
        0 => &[],
        1 => &[0xfd8d3c],
        2 => &[0xfecc5c, 0xe31a1c],
        3 => &[0xffeda0, 0xfeb24c, 0xf03b20],
        4 => &[0xffffb2, 0xfecc5c, 0xfd8d3c, 0xe31a1c],
        5 => &[0xffffb2, 0xfecc5c, 0xfd8d3c, 0xf03b20, 0xbd0026],
        6 => &[0xffffb2, 0xfed976, 0xfeb24c, 0xfd8d3c, 0xf03b20, 0xbd0026],
        _ => &[0xffffb2, 0xfed976, 0xfeb24c, 0xfd8d3c, 0xfc4e2a, 0xe31a1c, 0xb10026],
    };
    hex.iter().map(|&h| c(h)).collect()
}

fn sorted_finite(values: &[f64]) -> Vec<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    v
}

/// Upper bounds of up to `k` quantile classes over the finite values; the last bound is the maximum.
/// Class `j` holds values in `(bounds[j-1], bounds[j]]` (the first class from the minimum). Ties never
/// straddle a bound, so there are fewer classes when there are few distinct values (one when all are
/// equal) and none for no values.
pub(crate) fn quantile_breaks(values: &[f64], k: usize) -> Vec<f64> {
    let v = sorted_finite(values);
    if v.is_empty() || k == 0 {
        return Vec::new();
    }
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

/// Upper bounds of up to `k` Jenks natural-breaks classes over the finite values (same convention as
/// [`quantile_breaks`]): the Fisher-Jenks partition of the sorted values into `k` runs minimising the total
/// within-class sum of squared deviations, found exactly by dynamic programming. Equal values always share
/// a class (the runs are over distinct values, weighted by how often each occurs), so with `m <= k` distinct
/// values each is its own class. Ties between equally good partitions are broken deterministically.
pub(crate) fn natural_breaks(values: &[f64], k: usize) -> Vec<f64> {
    let v = sorted_finite(values);
    if v.is_empty() || k == 0 {
        return Vec::new();
    }
    // Distinct values and their weights, centred on the mean to keep the sums well conditioned.
    let mean = v.iter().sum::<f64>() / v.len() as f64;
    let mut xs: Vec<f64> = Vec::new();
    let mut ws: Vec<f64> = Vec::new();
    for &x in &v {
        if xs.last() == Some(&x) {
            if let Some(w) = ws.last_mut() {
                *w += 1.0;
            }
        } else {
            xs.push(x);
            ws.push(1.0);
        }
    }
    let m = xs.len();
    if m <= k {
        return xs;
    }
    // Prefix sums of weight, weighted value and weighted square over the distinct values.
    let (mut sw, mut sx, mut sxx) = (vec![0.0; m + 1], vec![0.0; m + 1], vec![0.0; m + 1]);
    for i in 0..m {
        let c = xs[i] - mean;
        sw[i + 1] = sw[i] + ws[i];
        sx[i + 1] = sx[i] + ws[i] * c;
        sxx[i + 1] = sxx[i] + ws[i] * c * c;
    }
    // Sum of squared deviations of distinct values a..b (half-open).
    let ssd = |a: usize, b: usize| {
        let (w, s, q) = (sw[b] - sw[a], sx[b] - sx[a], sxx[b] - sxx[a]);
        if w > 0.0 { (q - s * s / w).max(0.0) } else { 0.0 }
    };
    // cost[c][j]: best total for the first j distinct values in c+1 classes; start[c][j]: where the last
    // class of that best partition begins.
    let mut cost = vec![vec![f64::INFINITY; m + 1]; k];
    let mut start = vec![vec![0usize; m + 1]; k];
    for (j, slot) in cost[0].iter_mut().enumerate().skip(1) {
        *slot = ssd(0, j);
    }
    for c in 1..k {
        let (done, rest) = cost.split_at_mut(c);
        let (prev, cur) = (&done[c - 1], &mut rest[0]);
        for j in (c + 1)..=m {
            let mut best = (f64::INFINITY, c);
            for (i, &before) in prev.iter().enumerate().take(j).skip(c) {
                let t = before + ssd(i, j);
                // Relative tolerance so rounding noise does not decide between equal partitions.
                if !best.0.is_finite() || t < best.0 - 1e-12 * best.0.max(1.0) {
                    best = (t, i);
                }
            }
            cur[j] = best.0;
            start[c][j] = best.1;
        }
    }
    // Walk back from all m values in k classes.
    let mut ends = Vec::with_capacity(k);
    let mut j = m;
    for c in (0..k).rev() {
        ends.push(j);
        j = if c == 0 { 0 } else { start[c][j] };
    }
    ends.reverse();
    ends.into_iter().filter(|&e| e > 0).map(|e| xs[e - 1]).collect()
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

fn number_word(k: usize) -> String {
    match k {
        2 => "two",
        3 => "three",
        4 => "four",
        5 => "five",
        6 => "six",
        7 => "seven",
        _ => return k.to_string(),
    }
    .to_string()
}

/// The classification of one theme's ward rates.
pub(crate) struct Classes {
    pub bounds: Vec<f64>,
    pub colours: Vec<RGBColor>,
    /// Per class: (min, max, number of wards).
    pub members: Vec<(f64, f64, usize)>,
    pub dp: usize,
    pub classing: Classing,
}

impl Classes {
    pub fn new(rates: &[f64], classing: Classing) -> Classes {
        // The ramp has at most seven colours; the configuration keeps the count within 3..=7.
        let k = classing.count.clamp(1, MAX_CLASS_COUNT);
        let bounds = match classing.method {
            ClassMethod::Quantiles => quantile_breaks(rates, k),
            ClassMethod::NaturalBreaks => natural_breaks(rates, k),
        };
        let colours = ramp(bounds.len());
        let mut members = vec![(f64::INFINITY, f64::NEG_INFINITY, 0usize); bounds.len()];
        for &r in rates {
            if let Some(m) = class_of(&bounds, r).and_then(|j| members.get_mut(j)) {
                *m = (m.0.min(r), m.1.max(r), m.2 + 1);
            }
        }
        let dp = decimals(&members);
        Classes { bounds, colours, members, dp, classing }
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

    /// The legend sentence naming the method and why there may be fewer classes than asked for.
    pub fn method_note(&self) -> String {
        let wanted = self.classing.count.clamp(1, MAX_CLASS_COUNT);
        let ranges = "ranges show the lowest and highest ward rate in each class.";
        let k = self.bounds.len();
        match (k, self.classing.method) {
            (0, _) => "No ward has a rate, so there are no classes.".to_string(),
            (1, _) => "Every ward has the same rate, so there is a single class.".to_string(),
            (k, ClassMethod::Quantiles) if k == wanted && k == 5 => {
                format!("Classes: quintiles (five classes with about equal numbers of wards); {ranges}")
            }
            (k, ClassMethod::Quantiles) if k == wanted => {
                format!("Classes: quantiles ({} classes with about equal numbers of wards); {ranges}", number_word(k))
            }
            (k, ClassMethod::Quantiles) => format!(
                "Classes: quantiles ({k} classes, fewer than {} because few wards have distinct rates); {ranges}",
                number_word(wanted)
            ),
            (k, ClassMethod::NaturalBreaks) if k == wanted => format!(
                "Classes: natural breaks (Jenks; {} classes that keep similar rates together and break at the largest gaps); {ranges}",
                number_word(k)
            ),
            (k, ClassMethod::NaturalBreaks) => format!(
                "Classes: natural breaks (Jenks; {k} classes, fewer than {} because few wards have distinct rates); {ranges}",
                number_word(wanted)
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const QUINTILES: Classing = Classing { method: ClassMethod::Quantiles, count: 5 };
    const JENKS: Classing = Classing { method: ClassMethod::NaturalBreaks, count: 5 };

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
        for classing in [QUINTILES, JENKS] {
            let c = Classes::new(&[4.2; 9], classing);
            assert_eq!(c.members, vec![(4.2, 4.2, 9)]);
            assert_eq!(c.range_label(0), "4.2");
            assert!(c.method_note().contains("same rate"));
            let none = Classes::new(&[], classing);
            assert_eq!(none.colour(Some(1.0)), NO_DATA);
            assert_eq!(none.colour(None), NO_DATA);
        }
    }

    #[test]
    fn labels_separate_close_bounds() {
        let c = Classes::new(&[1.01, 1.02, 1.03, 1.04, 1.05], QUINTILES);
        assert_eq!(c.dp, 2);
        assert_eq!(c.range_label(4), "1.05");
        let c = Classes::new(&(1..=10).map(f64::from).collect::<Vec<_>>(), QUINTILES);
        assert_eq!(c.range_label(0), "1.0 to 2.0");
        assert_eq!(c.members.iter().map(|m| m.2).sum::<usize>(), 10);
        assert!(c.method_note().starts_with("Classes: quintiles"));
    }

    #[test]
    fn natural_breaks_textbook_example() {
        // Three clear groups: breaks after 3 and 12.
        let v = [1.0, 2.0, 3.0, 10.0, 11.0, 12.0, 50.0, 51.0, 52.0];
        assert_eq!(natural_breaks(&v, 3), vec![3.0, 12.0, 52.0]);
        // Order, NaN and infinities do not matter.
        let mut w = v.to_vec();
        w.reverse();
        w.push(f64::NAN);
        w.push(f64::NEG_INFINITY);
        assert_eq!(natural_breaks(&w, 3), vec![3.0, 12.0, 52.0]);
        // Two classes: the big gap.
        assert_eq!(natural_breaks(&v, 2), vec![12.0, 52.0]);
        // Brute force agrees on a small irregular set (all 2-break partitions of 8 values).
        let u = [0.5, 1.9, 2.0, 4.4, 7.0, 7.2, 9.9, 15.0];
        let ssd = |s: &[f64]| {
            let m = s.iter().sum::<f64>() / s.len() as f64;
            s.iter().map(|x| (x - m) * (x - m)).sum::<f64>()
        };
        let mut best = (f64::INFINITY, vec![]);
        for a in 1..7 {
            for b in (a + 1)..8 {
                let t = ssd(&u[..a]) + ssd(&u[a..b]) + ssd(&u[b..]);
                if t < best.0 - 1e-12 {
                    best = (t, vec![u[a - 1], u[b - 1], u[7]]);
                }
            }
        }
        assert_eq!(natural_breaks(&u, 3), best.1);
        let c = Classes::new(&v, Classing { method: ClassMethod::NaturalBreaks, count: 3 });
        assert_eq!(c.members.iter().map(|m| m.2).collect::<Vec<_>>(), vec![3, 3, 3]);
        assert!(c.method_note().contains("natural breaks (Jenks; three classes"), "{}", c.method_note());
    }

    #[test]
    fn natural_breaks_separate_an_outlier_that_quintiles_merge() {
        let rates = [2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 11.0, 84.0];
        let q = quantile_breaks(&rates, 5);
        assert_eq!(class_of(&q, 11.0), class_of(&q, 84.0), "quintiles put 11 and 84 together: {q:?}");
        let nb = natural_breaks(&rates, 5);
        assert_eq!(nb.len(), 5);
        assert_ne!(class_of(&nb, 11.0), class_of(&nb, 84.0), "{nb:?}");
        let top = Classes::new(&rates, JENKS);
        assert_eq!(top.members[4], (84.0, 84.0, 1), "the outlier is a class of its own");
        assert_eq!(top.colour(Some(84.0)), top.colours[4]);
        assert_ne!(top.colour(Some(11.0)), top.colours[4]);
    }

    #[test]
    fn natural_breaks_with_few_distinct_or_equal_values() {
        // Fewer distinct values than classes: one class per distinct value, ties never split.
        assert_eq!(natural_breaks(&[1.0, 1.0, 2.0, 2.0, 2.0, 9.0], 5), vec![1.0, 2.0, 9.0]);
        let c = Classes::new(&[1.0, 1.0, 2.0, 2.0, 2.0, 9.0], JENKS);
        assert_eq!(c.members, vec![(1.0, 1.0, 2), (2.0, 2.0, 3), (9.0, 9.0, 1)]);
        assert!(c.method_note().contains("natural breaks (Jenks; 3 classes, fewer than five"), "{}", c.method_note());
        // Ties are kept together even when there are enough distinct values.
        let t = natural_breaks(&[1.0, 5.0, 5.0, 5.0, 5.0, 6.0, 20.0, 21.0], 3);
        assert!(class_of(&t, 5.0).is_some());
        assert_eq!(t.len(), 3);
        // All equal: one class; none: no classes.
        assert_eq!(natural_breaks(&[3.3; 7], 5), vec![3.3]);
        assert!(natural_breaks(&[], 5).is_empty());
        assert!(natural_breaks(&[f64::NAN], 5).is_empty());
        assert_eq!(natural_breaks(&[7.0], 5), vec![7.0]);
    }

    #[test]
    fn class_counts_three_to_seven_have_ramps() {
        let v: Vec<f64> = (0..50).map(|i| f64::from(i * i)).collect();
        for k in MIN_CLASS_COUNT..=MAX_CLASS_COUNT {
            for method in [ClassMethod::Quantiles, ClassMethod::NaturalBreaks] {
                let c = Classes::new(&v, Classing { method, count: k });
                assert_eq!(c.bounds.len(), k);
                assert_eq!(c.colours.len(), k);
                assert_eq!(c.members.iter().map(|m| m.2).sum::<usize>(), 50);
                assert!(c.members.iter().all(|m| m.2 > 0));
            }
        }
    }
}
