//! Funnel plot: each ward's rate against its population, with the area rate and control limits
//! that narrow as the population grows.

use std::path::Path;

use plotters::prelude::DrawingBackend;
use plotters::style::text_anchor::{HPos, VPos};
use plotters::style::{FontStyle, RGBColor};

use super::common::{self, Axis, DrawResult, Frame, FrameText, Key, Painter, Scene, VALUE_SIZE};
use super::error::ChartError;
use super::palette;

/// Where a point lies relative to the control limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FunnelFlag {
    Within,
    AboveInner,
    AboveOuter,
    BelowInner,
    BelowOuter,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FunnelPoint {
    pub label: String,
    pub population: f64,
    pub rate: Option<f64>,
    pub flag: FunnelFlag,
}

/// Control limits (rates) at one population. A missing limit is not drawn there.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FunnelLimit {
    pub population: f64,
    pub inner_lower: Option<f64>,
    pub inner_upper: Option<f64>,
    pub outer_lower: Option<f64>,
    pub outer_upper: Option<f64>,
}

#[derive(Debug, Clone)]
pub struct FunnelChart {
    pub title: String,
    pub subtitle: String,
    pub caption: String,
    pub x_label: String,
    pub y_label: String,
    pub area_rate: f64,
    /// e.g. "Exampleton rate".
    pub area_label: String,
    /// e.g. "95% limits".
    pub inner_label: String,
    /// e.g. "99.8% limits".
    pub outer_label: String,
    pub points: Vec<FunnelPoint>,
    /// Limits in increasing population order.
    pub limits: Vec<FunnelLimit>,
    /// Label at most this many points outside the outer limits (largest deviation first).
    pub max_labels: usize,
}

const PLOT_H: i32 = 480;

fn flag_colour(f: FunnelFlag) -> RGBColor {
    match f {
        FunnelFlag::Within => palette::BLUE,
        FunnelFlag::AboveInner => palette::ORANGE,
        FunnelFlag::AboveOuter => palette::VERMILLION,
        FunnelFlag::BelowInner => palette::SKY_BLUE,
        FunnelFlag::BelowOuter => palette::BLUISH_GREEN,
    }
}

fn usable(v: Option<f64>) -> Option<f64> {
    v.filter(|x| x.is_finite() && *x >= 0.0)
}

struct Prepared<'a> {
    chart: &'a FunnelChart,
    frame: Frame,
    x_axis: Axis,
    y_axis: Axis,
    labelled: Vec<usize>,
}

/// Draws `chart` and writes it to `png_path` and `svg_path`; [`ChartError::NoData`] when no
/// point has a usable rate and a positive population, or the area rate is unusable.
pub fn render_funnel(
    chart: &FunnelChart,
    png_path: &Path,
    svg_path: &Path,
) -> Result<(), ChartError> {
    let pts: Vec<(usize, f64, f64)> = chart
        .points
        .iter()
        .enumerate()
        .filter_map(|(i, p)| Some((i, p.population, usable(p.rate)?)))
        .filter(|(_, pop, _)| pop.is_finite() && *pop > 0.0)
        .collect();
    if pts.is_empty() || usable(Some(chart.area_rate)).is_none() {
        return Err(common::no_data(png_path));
    }
    common::fonts_ready(png_path)?;
    let lerr = common::layout_error(png_path);
    let x_max = pts.iter().map(|p| p.1).fold(0.0_f64, f64::max);
    let y_max = pts.iter().map(|p| p.2).fold(chart.area_rate, f64::max);
    // Show limits up to a little beyond the data, but never let them dominate the scale.
    let y_axis = Axis::nice(0.0, y_max * 1.15, 6.0);
    let x_axis = Axis::nice(0.0, x_max * 1.02, 8.0);
    let left = common::y_tick_px(&y_axis, false).map_err(&lerr)?;
    let flags = [
        (
            FunnelFlag::AboveOuter,
            format!("Above {}", chart.outer_label),
        ),
        (
            FunnelFlag::AboveInner,
            format!("Above {} only", chart.inner_label),
        ),
        (FunnelFlag::Within, "Within limits".to_string()),
        (
            FunnelFlag::BelowInner,
            format!("Below {} only", chart.inner_label),
        ),
        (
            FunnelFlag::BelowOuter,
            format!("Below {}", chart.outer_label),
        ),
    ];
    // Only the categories present, so the legend stays short.
    let mut legend: Vec<(Key, String)> = flags
        .into_iter()
        .filter(|(fl, _)| pts.iter().any(|(i, _, _)| chart.points[*i].flag == *fl))
        .map(|(fl, label)| (Key::Dot(flag_colour(fl)), label))
        .collect();
    legend.extend([
        (Key::Line(palette::BLACK), chart.area_label.clone()),
        (Key::Dashed(palette::TEXT_MUTED), chart.inner_label.clone()),
        (Key::Line(palette::TEXT_MUTED), chart.outer_label.clone()),
    ]);
    let t = FrameText {
        title: &chart.title,
        subtitle: &chart.subtitle,
        caption: &chart.caption,
        y_label: &chart.y_label,
        x_label: &chart.x_label,
    };
    let frame = Frame::new(&t, &legend, left, 16, PLOT_H, common::TICK_LEN + 24).map_err(&lerr)?;
    let mut outside: Vec<(usize, f64)> = pts
        .iter()
        .filter(|(i, _, _)| {
            matches!(
                chart.points[*i].flag,
                FunnelFlag::AboveOuter | FunnelFlag::BelowOuter
            )
        })
        .map(|(i, _, r)| (*i, (r - chart.area_rate).abs()))
        .collect();
    outside.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut prepared = Prepared {
        chart,
        frame,
        x_axis,
        y_axis,
        labelled: Vec::new(),
    };
    // Label the most extreme wards first, skipping any label that would overlap one already
    // placed or a point other than its own.
    let mut boxes: Vec<(i32, i32, i32, i32)> = Vec::new();
    let dots: Vec<(i32, i32)> = pts.iter().map(|(_, n, r)| prepared.xy(*n, *r)).collect();
    let f = &prepared.frame;
    for (i, _) in outside {
        if prepared.labelled.len() >= chart.max_labels {
            break;
        }
        let Some(r) = usable(chart.points[i].rate) else {
            continue;
        };
        let (x, y) = prepared.xy(chart.points[i].population, r);
        let w = common::text_width(&chart.points[i].label, VALUE_SIZE, FontStyle::Normal)
            .map_err(&lerr)?;
        let right = x <= (f.plot_left + f.plot_right) / 2;
        let (x0, x1) = if right {
            (x + 9, x + 9 + w)
        } else {
            (x - 9 - w, x - 9)
        };
        let b = (x0 - 2, y - 9, x1 + 2, y + 9);
        let hits_box = boxes
            .iter()
            .any(|o| b.0 < o.2 && o.0 < b.2 && b.1 < o.3 && o.1 < b.3);
        let hits_dot = dots.iter().any(|&(dx, dy)| {
            (dx, dy) != (x, y) && dx + 6 > b.0 && dx - 6 < b.2 && dy + 6 > b.1 && dy - 6 < b.3
        });
        if !hits_box && !hits_dot {
            boxes.push(b);
            prepared.labelled.push(i);
        }
    }
    common::write_chart(&prepared, prepared.frame.size(), png_path, svg_path)
}

impl Prepared<'_> {
    fn xy(&self, x: f64, y: f64) -> (i32, i32) {
        let f = &self.frame;
        (
            self.x_axis.px(x, f.plot_left, f.plot_right),
            self.y_axis.px(y, f.plot_bottom, f.plot_top),
        )
    }

    /// Polyline runs of one limit, split where the limit is missing or off the plot.
    fn limit_runs(&self, get: impl Fn(&FunnelLimit) -> Option<f64>) -> Vec<Vec<(i32, i32)>> {
        let mut runs = vec![];
        let mut run = vec![];
        for l in &self.chart.limits {
            match usable(get(l)).filter(|v| *v <= self.y_axis.max) {
                Some(v)
                    if l.population.is_finite()
                        && l.population > 0.0
                        && l.population <= self.x_axis.max =>
                {
                    run.push(self.xy(l.population, v))
                }
                _ => {
                    if run.len() > 1 {
                        runs.push(std::mem::take(&mut run));
                    }
                    run.clear();
                }
            }
        }
        if run.len() > 1 {
            runs.push(run);
        }
        runs
    }
}

impl Scene for Prepared<'_> {
    fn draw<DB: DrawingBackend>(&self, p: &Painter<DB>) -> DrawResult<DB> {
        let f = &self.frame;
        let c = self.chart;
        f.draw(p)?;
        f.draw_y_axis(p, &self.y_axis, false)?;
        f.draw_x_axis(p, &self.x_axis, false, true)?;
        for run in self
            .limit_runs(|l| l.outer_upper)
            .into_iter()
            .chain(self.limit_runs(|l| l.outer_lower))
        {
            p.polyline(run, &palette::TEXT_MUTED, 2)?;
        }
        for run in self
            .limit_runs(|l| l.inner_upper)
            .into_iter()
            .chain(self.limit_runs(|l| l.inner_lower))
        {
            p.dashed(run, &palette::TEXT_MUTED, 2)?;
        }
        let ay = self.y_axis.px(c.area_rate, f.plot_bottom, f.plot_top);
        p.line((f.plot_left, ay), (f.plot_right, ay), &palette::BLACK, 2)?;
        for pt in &c.points {
            let Some(r) = usable(pt.rate) else { continue };
            if !(pt.population.is_finite() && pt.population > 0.0) {
                continue;
            }
            p.dot(
                self.xy(pt.population, r),
                6,
                &flag_colour(pt.flag),
                &palette::BLACK,
            )?;
        }
        for &i in &self.labelled {
            let pt = &c.points[i];
            let Some(r) = usable(pt.rate) else { continue };
            let (x, y) = self.xy(pt.population, r);
            let (h, dx) = if x > (f.plot_left + f.plot_right) / 2 {
                (HPos::Right, -9)
            } else {
                (HPos::Left, 9)
            };
            p.text(
                &pt.label,
                (x + dx, y),
                VALUE_SIZE,
                FontStyle::Normal,
                &palette::TEXT,
                h,
                VPos::Center,
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::common::test_support::{png_size, render_twice};
    use super::*;

    fn sample() -> FunnelChart {
        let points = (0..25)
            .map(|i| FunnelPoint {
                label: format!("Ward {i}"),
                population: 5000.0 + 700.0 * i as f64,
                rate: Some(5.0 + (i % 5) as f64),
                flag: if i == 4 {
                    FunnelFlag::AboveOuter
                } else {
                    FunnelFlag::Within
                },
            })
            .collect();
        let limits = (1..=60)
            .map(|k| {
                let pop = 400.0 * k as f64;
                let w = 40.0 / pop.sqrt();
                FunnelLimit {
                    population: pop,
                    inner_lower: Some(6.0 - w * 2.0),
                    inner_upper: Some(6.0 + w * 2.0),
                    outer_lower: Some(6.0 - w * 3.0),
                    outer_upper: Some(6.0 + w * 3.0),
                }
            })
            .collect();
        FunnelChart {
            title: "Ward rates against population".into(),
            subtitle: "Funnel plot".into(),
            caption: "Source: test".into(),
            x_label: "Resident population".into(),
            y_label: "Offences per 1,000 residents".into(),
            area_rate: 6.0,
            area_label: "Area rate".into(),
            inner_label: "95% limits".into(),
            outer_label: "99.8% limits".into(),
            points,
            limits,
            max_labels: 8,
        }
    }

    #[test]
    fn renders_valid_deterministic_files() {
        let dir = tempfile::tempdir().unwrap();
        let chart = sample();
        let (png, svg) = render_twice(dir.path(), "funnel", |p, s| {
            render_funnel(&chart, p, s).unwrap()
        });
        let (w, h) = png_size(&png);
        assert_eq!(w, 1200);
        assert!(h > 500 && h < 1200, "{h}");
        let text = std::fs::read_to_string(svg).unwrap();
        for s in [
            "Ward rates against population",
            "Resident population",
            "Offences per 1,000 residents",
            "Ward 4",
        ] {
            assert!(text.contains(s), "{s}");
        }
    }

    #[test]
    fn empty_and_degenerate() {
        let dir = tempfile::tempdir().unwrap();
        let (png, svg) = (dir.path().join("x.png"), dir.path().join("x.svg"));
        let mut c = sample();
        c.points.clear();
        assert!(matches!(
            render_funnel(&c, &png, &svg),
            Err(ChartError::NoData { .. })
        ));
        let mut c = sample();
        c.area_rate = f64::NAN;
        assert!(matches!(
            render_funnel(&c, &png, &svg),
            Err(ChartError::NoData { .. })
        ));
        let mut c = sample();
        c.limits.clear();
        c.points.truncate(1);
        c.points[0].rate = Some(0.0);
        c.area_rate = 0.0;
        render_funnel(&c, &png, &svg).unwrap();
    }
}
