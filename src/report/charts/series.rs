//! Monthly series: a bar per month, a rolling 12-month line and year (or financial-year)
//! boundaries.

use std::path::Path;

use plotters::prelude::DrawingBackend;
use plotters::style::FontStyle;
use plotters::style::text_anchor::{HPos, VPos};

use super::common::{
    self, Axis, DrawResult, Frame, FrameText, Key, Painter, Scene, TICK_LEN, TICK_SIZE, VALUE_SIZE,
    text_width,
};
use super::error::ChartError;
use super::palette;

/// One calendar month.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesPoint {
    pub year: i32,
    /// 1..=12.
    pub month: u32,
    /// The month's value (e.g. offences); `None` is drawn as a gap.
    pub value: Option<f64>,
    /// The rolling 12-month value ending in this month, on the same scale as `value`
    /// (e.g. a 12-month average); `None` where there are not yet 12 months.
    pub rolling: Option<f64>,
    /// False for a month only partly inside the period; drawn as an outlined bar.
    pub complete: bool,
}

#[derive(Debug, Clone)]
pub struct SeriesChart {
    pub title: String,
    pub subtitle: String,
    pub caption: String,
    pub y_label: String,
    pub x_label: String,
    /// Legend text for the bars, e.g. "Offences in the month".
    pub value_legend: String,
    /// Legend text for the line, e.g. "Rolling 12-month average".
    pub rolling_legend: String,
    /// Month a year starts in: 4 marks financial years (April to March), 1 calendar years.
    pub year_start_month: u32,
    /// Months in order.
    pub points: Vec<SeriesPoint>,
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const PLOT_H: i32 = 380;
/// Room above the bars for the year labels.
const YEAR_BAND: i32 = 22;

fn month_label(p: &SeriesPoint) -> String {
    let m = MONTHS
        .get(p.month.saturating_sub(1) as usize)
        .copied()
        .unwrap_or("?");
    format!("{m} {:02}", p.year.rem_euclid(100))
}

/// Label of the year starting at `p` (a boundary month).
fn year_label(p: &SeriesPoint, start_month: u32) -> String {
    if start_month == 1 {
        p.year.to_string()
    } else {
        format!("{}/{:02}", p.year, (p.year + 1).rem_euclid(100))
    }
}

struct Prepared<'a> {
    chart: &'a SeriesChart,
    frame: Frame,
    axis: Axis,
    label_step: usize,
    start_month: u32,
}

/// Draws `chart` and writes it to `png_path` and `svg_path`; [`ChartError::NoData`] when no
/// month has a finite value.
pub fn render_series(
    chart: &SeriesChart,
    png_path: &Path,
    svg_path: &Path,
) -> Result<(), ChartError> {
    let vmax = chart
        .points
        .iter()
        .flat_map(|p| [p.value, p.rolling])
        .filter_map(|v| common::finite(v).filter(|x| *x >= 0.0))
        .fold(f64::NAN, f64::max);
    if !vmax.is_finite() {
        return Err(common::no_data(png_path));
    }
    common::fonts_ready(png_path)?;
    let lerr = common::layout_error(png_path);
    let axis = Axis::nice(0.0, vmax.max(1e-9) * 1.05, 6.0);
    let left = common::y_tick_px(&axis, false).map_err(&lerr)?;
    let start_month = if (1..=12).contains(&chart.year_start_month) {
        chart.year_start_month
    } else {
        1
    };
    let mut legend = vec![(Key::Swatch(palette::BAR_FILL), chart.value_legend.clone())];
    if chart
        .points
        .iter()
        .any(|p| common::finite(p.rolling).is_some())
    {
        legend.push((Key::Line(palette::BLACK), chart.rolling_legend.clone()));
    }
    let year_word = if start_month == 4 {
        "Financial year start (April)"
    } else {
        "Year start"
    };
    legend.push((Key::Dashed(palette::REFERENCE), year_word.to_string()));
    if chart.points.iter().any(|p| !p.complete) {
        legend.push((Key::Swatch(palette::GRID), "Incomplete month".to_string()));
    }
    let t = FrameText {
        title: &chart.title,
        subtitle: &chart.subtitle,
        caption: &chart.caption,
        y_label: &chart.y_label,
        x_label: &chart.x_label,
    };
    let frame =
        Frame::new(&t, &legend, left, 12, PLOT_H + YEAR_BAND, TICK_LEN + 26).map_err(&lerr)?;
    let n = chart.points.len().max(1);
    let slot = f64::from(frame.plot_right - frame.plot_left) / n as f64;
    let widest = text_width("May 24", TICK_SIZE, FontStyle::Normal).map_err(&lerr)?;
    let mut label_step = ((f64::from(widest + 10) / slot).ceil() as usize).max(1);
    // Prefer steps that divide a year so labels land on the same months every year.
    for s in [1usize, 2, 3, 4, 6, 12] {
        if s >= label_step {
            label_step = s;
            break;
        }
    }
    let prepared = Prepared {
        chart,
        frame,
        axis,
        label_step,
        start_month,
    };
    common::write_chart(&prepared, prepared.frame.size(), png_path, svg_path)
}

impl Prepared<'_> {
    fn slot_x(&self, i: usize) -> i32 {
        let f = &self.frame;
        let n = self.chart.points.len().max(1);
        f.plot_left + ((f.plot_right - f.plot_left) as f64 * i as f64 / n as f64).round() as i32
    }
    fn y(&self, v: f64) -> i32 {
        self.axis
            .px(v, self.frame.plot_bottom, self.frame.plot_top + YEAR_BAND)
    }
}

impl Scene for Prepared<'_> {
    fn draw<DB: DrawingBackend>(&self, p: &Painter<DB>) -> DrawResult<DB> {
        let f = &self.frame;
        f.draw(p)?;
        // Value grid and axis (ticks mapped into the area below the year band).
        for t in self.axis.ticks() {
            let y = self.y(t);
            p.line((f.plot_left, y), (f.plot_right, y), &palette::GRID, 1)?;
            p.line(
                (f.plot_left - TICK_LEN, y),
                (f.plot_left, y),
                &palette::AXIS,
                1,
            )?;
            let s = common::format_number(t, self.axis.dp);
            p.text(
                &s,
                (f.plot_left - TICK_LEN - 4, y),
                TICK_SIZE,
                FontStyle::Normal,
                &palette::TEXT,
                HPos::Right,
                VPos::Center,
            )?;
        }
        let pts = &self.chart.points;
        // Bars.
        for (i, pt) in pts.iter().enumerate() {
            let Some(v) = common::finite(pt.value).filter(|v| *v >= 0.0) else {
                continue;
            };
            let (x0, x1) = (self.slot_x(i), self.slot_x(i + 1));
            let gap = ((x1 - x0) / 6).max(1);
            let (a, b) = ((x0 + gap, self.y(v)), (x1 - gap, f.plot_bottom));
            if pt.complete {
                p.rect(a, b, &palette::BAR_FILL)?;
            } else {
                p.rect(a, b, &palette::GRID)?;
                p.rect_outline(a, b, &palette::BAR_EDGE)?;
            }
        }
        // Year boundaries.
        for (i, pt) in pts.iter().enumerate() {
            if pt.month != self.start_month {
                continue;
            }
            let x = self.slot_x(i);
            p.dashed(
                vec![(x, f.plot_top + 4), (x, f.plot_bottom)],
                &palette::REFERENCE,
                2,
            )?;
            p.text(
                &year_label(pt, self.start_month),
                (x + 5, f.plot_top + 2),
                VALUE_SIZE,
                FontStyle::Bold,
                &palette::REFERENCE,
                HPos::Left,
                VPos::Top,
            )?;
        }
        // Rolling line, broken where values are missing.
        let mut run: Vec<(i32, i32)> = Vec::new();
        for (i, pt) in pts.iter().enumerate() {
            match common::finite(pt.rolling).filter(|v| *v >= 0.0) {
                Some(v) => run.push(((self.slot_x(i) + self.slot_x(i + 1)) / 2, self.y(v))),
                None => {
                    p.polyline(std::mem::take(&mut run), &palette::BLACK, 3)?;
                }
            }
        }
        if run.len() == 1 {
            p.dot(run[0], 3, &palette::BLACK, &palette::BLACK)?;
        }
        p.polyline(run, &palette::BLACK, 3)?;
        // Axes and month labels.
        p.line(
            (f.plot_left, f.plot_top + YEAR_BAND),
            (f.plot_left, f.plot_bottom),
            &palette::AXIS,
            1,
        )?;
        p.line(
            (f.plot_left, f.plot_bottom),
            (f.plot_right, f.plot_bottom),
            &palette::AXIS,
            1,
        )?;
        for (i, pt) in pts.iter().enumerate() {
            let offset = (pt.month + 12 - self.start_month) % 12;
            if !(offset as usize).is_multiple_of(self.label_step) {
                continue;
            }
            let x = (self.slot_x(i) + self.slot_x(i + 1)) / 2;
            p.line(
                (x, f.plot_bottom),
                (x, f.plot_bottom + TICK_LEN),
                &palette::AXIS,
                1,
            )?;
            p.text(
                &month_label(pt),
                (x, f.plot_bottom + TICK_LEN + 3),
                TICK_SIZE,
                FontStyle::Normal,
                &palette::TEXT,
                HPos::Center,
                VPos::Top,
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::common::test_support::{png_size, render_twice};
    use super::*;

    fn sample(n: usize) -> SeriesChart {
        let points = (0..n)
            .map(|i| {
                let m = (3 + i) % 12;
                SeriesPoint {
                    year: 2022 + ((3 + i) / 12) as i32,
                    month: m as u32 + 1,
                    value: Some(40.0 + (i % 7) as f64 * 3.0),
                    rolling: (i >= 11).then_some(47.0 + (i % 3) as f64),
                    complete: i + 1 < n,
                }
            })
            .collect();
        SeriesChart {
            title: "Monthly offences".into(),
            subtitle: "Counts per month".into(),
            caption: "Source: test".into(),
            y_label: "Offences per month".into(),
            x_label: "Month".into(),
            value_legend: "Offences in the month".into(),
            rolling_legend: "Rolling 12-month average".into(),
            year_start_month: 4,
            points,
        }
    }

    #[test]
    fn renders_valid_deterministic_files() {
        let dir = tempfile::tempdir().unwrap();
        let chart = sample(36);
        let (png, svg) = render_twice(dir.path(), "series", |p, s| {
            render_series(&chart, p, s).unwrap()
        });
        let (w, h) = png_size(&png);
        assert_eq!(w, 1200);
        assert!(h > 400 && h < 1200, "{h}");
        let text = std::fs::read_to_string(svg).unwrap();
        for s in [
            "Monthly offences",
            "Offences per month",
            "Month",
            "2023/24",
            "Source: test",
        ] {
            assert!(text.contains(s), "{s}");
        }
    }

    #[test]
    fn empty_and_degenerate() {
        let dir = tempfile::tempdir().unwrap();
        let (png, svg) = (dir.path().join("x.png"), dir.path().join("x.svg"));
        assert!(matches!(
            render_series(&sample(0), &png, &svg),
            Err(ChartError::NoData { .. })
        ));
        let mut c = sample(3);
        for p in &mut c.points {
            p.value = Some(f64::NAN);
        }
        assert!(matches!(
            render_series(&c, &png, &svg),
            Err(ChartError::NoData { .. })
        ));
        let mut c = sample(1);
        c.points[0].value = Some(0.0);
        render_series(&c, &png, &svg).unwrap();
    }
}
