//! Rates by group (e.g. ethnic group) as dots with confidence-interval whiskers, one marker per
//! series (e.g. under 25 and all ages), with the reference group marked.

use std::path::Path;

use plotters::prelude::DrawingBackend;
use plotters::style::text_anchor::{HPos, VPos};
use plotters::style::{FontStyle, RGBColor};

use super::common::{
    self, Axis, DrawResult, Frame, FrameText, Key, LABEL_SIZE, Painter, Scene, TICK_LEN, text_width,
};
use super::error::ChartError;
use super::palette;

/// A rate and its confidence interval. Non-finite or negative values count as missing.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct RateCi {
    pub rate: Option<f64>,
    pub lower: Option<f64>,
    pub upper: Option<f64>,
}

/// One group: its label, whether it is the comparison (reference) group and one value per series.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupRow {
    pub label: String,
    pub is_reference: bool,
    pub values: Vec<RateCi>,
}

#[derive(Debug, Clone)]
pub struct GroupRatesChart {
    pub title: String,
    pub subtitle: String,
    pub caption: String,
    /// Value-axis title, e.g. "Victims per 1,000 residents".
    pub value_label: String,
    /// Title above the group labels, e.g. "Ethnic group".
    pub group_label: String,
    /// One legend label per series, e.g. ["Under 25", "All ages"].
    pub series: Vec<String>,
    /// Legend text for the whiskers, e.g. "95% confidence interval".
    pub ci_label: String,
    /// Groups in display order (top first).
    pub groups: Vec<GroupRow>,
}

const SERIES_COLOURS: [RGBColor; 4] = [
    palette::BLUE,
    palette::ORANGE,
    palette::BLUISH_GREEN,
    palette::REDDISH_PURPLE,
];
const ROW_PX: i32 = 26;
const MIN_PLOT: i32 = 200;

fn usable(v: Option<f64>) -> Option<f64> {
    v.filter(|x| x.is_finite() && *x >= 0.0)
}

struct Prepared<'a> {
    chart: &'a GroupRatesChart,
    frame: Frame,
    axis: Axis,
    labels: Vec<String>,
    row_h: f64,
    n_series: usize,
}

/// Draws `chart` and writes it to `png_path` and `svg_path`; [`ChartError::NoData`] when no
/// group has a usable rate in any series.
pub fn render_group_rates(
    chart: &GroupRatesChart,
    png_path: &Path,
    svg_path: &Path,
) -> Result<(), ChartError> {
    let n_series = chart.series.len().clamp(1, SERIES_COLOURS.len());
    let max = chart
        .groups
        .iter()
        .flat_map(|g| g.values.iter().take(n_series))
        .flat_map(|v| match usable(v.rate) {
            Some(r) => vec![Some(r), usable(v.upper)],
            None => vec![],
        })
        .flatten()
        .fold(f64::NAN, f64::max);
    if !max.is_finite() {
        return Err(common::no_data(png_path));
    }
    common::fonts_ready(png_path)?;
    let lerr = common::layout_error(png_path);
    let axis = Axis::nice(0.0, max.max(1e-9) * 1.03, 6.0);
    let mut labels = Vec::new();
    let mut left = 60;
    for g in &chart.groups {
        let text = if g.is_reference {
            format!("{} (reference)", g.label.trim())
        } else {
            g.label.trim().to_string()
        };
        let style = if g.is_reference {
            FontStyle::Bold
        } else {
            FontStyle::Normal
        };
        let text = common::fit(&text, LABEL_SIZE, style, 360).map_err(&lerr)?;
        left = left.max(text_width(&text, LABEL_SIZE, style).map_err(&lerr)? + 14);
        labels.push(text);
    }
    let mut legend: Vec<(Key, String)> = chart
        .series
        .iter()
        .take(n_series)
        .enumerate()
        .map(|(i, s)| {
            (
                if i % 2 == 0 {
                    Key::Dot(SERIES_COLOURS[i])
                } else {
                    Key::Diamond(SERIES_COLOURS[i])
                },
                s.clone(),
            )
        })
        .collect();
    legend.push((Key::Whisker, chart.ci_label.clone()));
    if chart.groups.iter().any(|g| g.is_reference) {
        legend.push((
            Key::Dashed(palette::TEXT_MUTED),
            "Reference group's rate (dashed, in each series' colour)".to_string(),
        ));
    }
    let rows_h = (ROW_PX * n_series.max(1) as i32 + 10) * chart.groups.len().max(1) as i32;
    let t = FrameText {
        title: &chart.title,
        subtitle: &chart.subtitle,
        caption: &chart.caption,
        y_label: &chart.group_label,
        x_label: &chart.value_label,
    };
    let frame =
        Frame::new(&t, &legend, left, 16, rows_h.max(MIN_PLOT), TICK_LEN + 24).map_err(&lerr)?;
    let row_h = f64::from(frame.plot_bottom - frame.plot_top) / chart.groups.len().max(1) as f64;
    let prepared = Prepared {
        chart,
        frame,
        axis,
        labels,
        row_h,
        n_series,
    };
    common::write_chart(&prepared, prepared.frame.size(), png_path, svg_path)
}

impl Prepared<'_> {
    fn x(&self, v: f64) -> i32 {
        self.axis.px(v, self.frame.plot_left, self.frame.plot_right)
    }
    fn row_top(&self, i: usize) -> i32 {
        self.frame.plot_top + (i as f64 * self.row_h).round() as i32
    }
    fn series_y(&self, i: usize, s: usize) -> i32 {
        let slot = self.row_h / (self.n_series as f64 + 1.0);
        self.frame.plot_top + (i as f64 * self.row_h + slot * (s as f64 + 1.0)).round() as i32
    }
}

impl Scene for Prepared<'_> {
    fn draw<DB: DrawingBackend>(&self, p: &Painter<DB>) -> DrawResult<DB> {
        let f = &self.frame;
        f.draw(p)?;
        for (i, g) in self.chart.groups.iter().enumerate() {
            if g.is_reference {
                p.rect(
                    (common::MARGIN_X, self.row_top(i)),
                    (f.plot_right, self.row_top(i + 1)),
                    &palette::BAND,
                )?;
            } else if i > 0 {
                p.line(
                    (f.plot_left, self.row_top(i)),
                    (f.plot_right, self.row_top(i)),
                    &palette::GRID,
                    1,
                )?;
            }
        }
        f.draw_x_axis(p, &self.axis, false, true)?;
        p.line(
            (f.plot_left, f.plot_top),
            (f.plot_left, f.plot_bottom),
            &palette::AXIS,
            1,
        )?;
        // Reference group's rate per series, as a dashed line down the whole plot.
        if let Some(r) = self.chart.groups.iter().find(|g| g.is_reference) {
            for (v, colour) in r.values.iter().zip(SERIES_COLOURS).take(self.n_series) {
                if let Some(v) = usable(v.rate) {
                    let x = self.x(v);
                    p.dashed(vec![(x, f.plot_top), (x, f.plot_bottom)], &colour, 1)?;
                }
            }
        }
        for (i, g) in self.chart.groups.iter().enumerate() {
            let style = if g.is_reference {
                FontStyle::Bold
            } else {
                FontStyle::Normal
            };
            let mid = (self.row_top(i) + self.row_top(i + 1)) / 2;
            p.text(
                &self.labels[i],
                (f.plot_left - 10, mid),
                LABEL_SIZE,
                style,
                &palette::TEXT,
                HPos::Right,
                VPos::Center,
            )?;
            for (s, c) in SERIES_COLOURS.iter().enumerate().take(self.n_series) {
                let v = g.values.get(s).copied().unwrap_or_default();
                let y = self.series_y(i, s);
                let Some(rate) = usable(v.rate) else {
                    p.text(
                        "n/a",
                        (f.plot_left + 6, y),
                        common::VALUE_SIZE,
                        FontStyle::Normal,
                        &palette::TEXT_MUTED,
                        HPos::Left,
                        VPos::Center,
                    )?;
                    continue;
                };
                let lo = usable(v.lower).unwrap_or(0.0).min(rate);
                if let Some(hi) = usable(v.upper).filter(|h| *h >= rate) {
                    let (x0, x1) = (self.x(lo), self.x(hi));
                    p.line((x0, y), (x1, y), &palette::WHISKER, 1)?;
                    p.line((x0, y - 4), (x0, y + 4), &palette::WHISKER, 1)?;
                    p.line((x1, y - 4), (x1, y + 4), &palette::WHISKER, 1)?;
                }
                if s % 2 == 0 {
                    p.dot((self.x(rate), y), 6, c, &palette::BLACK)?;
                } else {
                    p.diamond((self.x(rate), y), 7, c)?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::common::test_support::{png_size, render_twice};
    use super::*;

    fn rc(r: f64) -> RateCi {
        RateCi {
            rate: Some(r),
            lower: Some(r * 0.8),
            upper: Some(r * 1.25),
        }
    }

    fn sample() -> GroupRatesChart {
        let groups = ["Asian", "Black", "Mixed", "Other", "White"]
            .iter()
            .enumerate()
            .map(|(i, g)| GroupRow {
                label: g.to_string(),
                is_reference: *g == "White",
                values: vec![rc(2.0 + i as f64), rc(1.0 + i as f64 / 2.0)],
            })
            .collect();
        GroupRatesChart {
            title: "Victims by ethnic group".into(),
            subtitle: "Rate per 1,000".into(),
            caption: "Source: test".into(),
            value_label: "Victims per 1,000 residents".into(),
            group_label: "Ethnic group".into(),
            series: vec!["Under 25".into(), "All ages".into()],
            ci_label: "95% confidence interval".into(),
            groups,
        }
    }

    #[test]
    fn renders_valid_deterministic_files() {
        let dir = tempfile::tempdir().unwrap();
        let chart = sample();
        let (png, svg) = render_twice(dir.path(), "groups", |p, s| {
            render_group_rates(&chart, p, s).unwrap()
        });
        let (w, h) = png_size(&png);
        assert_eq!(w, 1200);
        assert!(h > 300 && h < 2000, "{h}");
        let text = std::fs::read_to_string(svg).unwrap();
        for s in [
            "Victims by ethnic group",
            "Victims per 1,000 residents",
            "Ethnic group",
            "White (reference)",
            "Under 25",
        ] {
            assert!(text.contains(s), "{s}");
        }
    }

    #[test]
    fn empty_and_missing_rates() {
        let dir = tempfile::tempdir().unwrap();
        let (png, svg) = (dir.path().join("x.png"), dir.path().join("x.svg"));
        let mut c = sample();
        c.groups.clear();
        assert!(matches!(
            render_group_rates(&c, &png, &svg),
            Err(ChartError::NoData { .. })
        ));
        let mut c = sample();
        for g in &mut c.groups {
            g.values = vec![RateCi::default(); 2];
        }
        assert!(matches!(
            render_group_rates(&c, &png, &svg),
            Err(ChartError::NoData { .. })
        ));
        let mut c = sample();
        c.groups[0].values = vec![];
        c.series.clear();
        render_group_rates(&c, &png, &svg).unwrap();
    }
}
