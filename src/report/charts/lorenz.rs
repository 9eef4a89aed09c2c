//! Lorenz (concentration) curve: cumulative share of offences against cumulative share of
//! wards, wards ranked from most to fewest offences, with the line of equality.

use std::path::Path;

use plotters::prelude::DrawingBackend;
use plotters::style::FontStyle;
use plotters::style::text_anchor::{HPos, VPos};

use super::common::{self, Axis, DrawResult, Frame, FrameText, Key, LABEL_SIZE, Painter, Scene};
use super::error::ChartError;
use super::palette;

#[derive(Debug, Clone)]
pub struct LorenzChart {
    pub title: String,
    pub subtitle: String,
    pub caption: String,
    /// e.g. "Cumulative share of wards (most offences first)".
    pub x_label: String,
    /// e.g. "Cumulative share of offences".
    pub y_label: String,
    /// Points as fractions in 0..=1, `(unit_share, value_share)`, in any order; (0, 0) is added.
    pub points: Vec<(f64, f64)>,
    /// Gini coefficient, printed on the chart when present.
    pub gini: Option<f64>,
    /// Mark the fewest units (points) holding at least half of the offences. Assumes one point
    /// per unit, as `stats::lorenz_curve` gives.
    pub mark_half: bool,
    /// Singular and plural name of a unit, e.g. "ward", "wards".
    pub unit_word: String,
    pub unit_plural: String,
}

const PLOT_H: i32 = 560;

struct Prepared<'a> {
    chart: &'a LorenzChart,
    frame: Frame,
    axis: Axis,
    points: Vec<(f64, f64)>,
    plot_w: i32,
}

/// Draws `chart` and writes it to `png_path` and `svg_path`; [`ChartError::NoData`] when no
/// point has finite coordinates in 0..=1 other than the origin.
pub fn render_lorenz(
    chart: &LorenzChart,
    png_path: &Path,
    svg_path: &Path,
) -> Result<(), ChartError> {
    let mut points: Vec<(f64, f64)> = chart
        .points
        .iter()
        .copied()
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .map(|(x, y)| (x.clamp(0.0, 1.0), y.clamp(0.0, 1.0)))
        .collect();
    if !points.iter().any(|&(x, _)| x > 0.0) {
        return Err(common::no_data(png_path));
    }
    points.push((0.0, 0.0));
    points.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    points.dedup();
    common::fonts_ready(png_path)?;
    let lerr = common::layout_error(png_path);
    let axis = Axis {
        min: 0.0,
        max: 100.0,
        step: 20.0,
        dp: 0,
    };
    let left = common::y_tick_px(&axis, true).map_err(&lerr)?;
    let mut legend = vec![
        (
            Key::Line(palette::BLUE),
            "Wards ranked by offences".to_string(),
        ),
        (
            Key::Dashed(palette::TEXT_MUTED),
            "Line of equality (offences spread evenly)".to_string(),
        ),
    ];
    if chart.mark_half {
        legend.push((
            Key::Dotted(palette::REFERENCE),
            "Half of all offences".to_string(),
        ));
    }
    // The x-axis title is drawn under the square plot rather than centred on the frame.
    let t = FrameText {
        title: &chart.title,
        subtitle: &chart.subtitle,
        caption: &chart.caption,
        y_label: &chart.y_label,
        x_label: "",
    };
    // A square plot, left-aligned, leaves room on the right for the annotation.
    let frame =
        Frame::new(&t, &legend, left, 0, PLOT_H, common::TICK_LEN + 24 + 26).map_err(&lerr)?;
    let plot_w = PLOT_H.min(frame.plot_right - frame.plot_left);
    let prepared = Prepared {
        chart,
        frame,
        axis,
        points,
        plot_w,
    };
    common::write_chart(&prepared, prepared.frame.size(), png_path, svg_path)
}

impl Prepared<'_> {
    fn xy(&self, (x, y): (f64, f64)) -> (i32, i32) {
        let f = &self.frame;
        (
            self.axis
                .px(x * 100.0, f.plot_left, f.plot_left + self.plot_w),
            self.axis.px(y * 100.0, f.plot_bottom, f.plot_top),
        )
    }

    /// The first point (fewest wards) at which the curve reaches `target` value share, with
    /// its index (= number of wards when every point is one ward).
    fn crossing(&self, target: f64) -> Option<(usize, (f64, f64))> {
        self.points
            .iter()
            .copied()
            .enumerate()
            .find(|(_, (x, y))| *x > 0.0 && *y >= target - 1e-12)
    }
}

impl Scene for Prepared<'_> {
    fn draw<DB: DrawingBackend>(&self, p: &Painter<DB>) -> DrawResult<DB> {
        let f = &self.frame;
        f.draw(p)?;
        let right = f.plot_left + self.plot_w;
        for t in self.axis.ticks() {
            let y = self.axis.px(t, f.plot_bottom, f.plot_top);
            let x = self.axis.px(t, f.plot_left, right);
            p.line((f.plot_left, y), (right, y), &palette::GRID, 1)?;
            p.line((x, f.plot_top), (x, f.plot_bottom), &palette::GRID, 1)?;
            let s = format!("{}%", common::format_number(t, 0));
            p.line(
                (f.plot_left - common::TICK_LEN, y),
                (f.plot_left, y),
                &palette::AXIS,
                1,
            )?;
            p.text(
                &s,
                (f.plot_left - common::TICK_LEN - 4, y),
                common::TICK_SIZE,
                FontStyle::Normal,
                &palette::TEXT,
                HPos::Right,
                VPos::Center,
            )?;
            p.line(
                (x, f.plot_bottom),
                (x, f.plot_bottom + common::TICK_LEN),
                &palette::AXIS,
                1,
            )?;
            p.text(
                &s,
                (x, f.plot_bottom + common::TICK_LEN + 3),
                common::TICK_SIZE,
                FontStyle::Normal,
                &palette::TEXT,
                HPos::Center,
                VPos::Top,
            )?;
        }
        p.rect_outline(
            (f.plot_left, f.plot_top),
            (right, f.plot_bottom),
            &palette::AXIS,
        )?;
        p.text(
            &self.chart.x_label,
            (
                (f.plot_left + right) / 2,
                f.plot_bottom + common::TICK_LEN + 26,
            ),
            common::AXIS_TITLE_SIZE,
            FontStyle::Normal,
            &palette::TEXT,
            HPos::Center,
            VPos::Top,
        )?;
        // Area between the curve and the line of equality.
        let mut area: Vec<(i32, i32)> = self.points.iter().map(|&pt| self.xy(pt)).collect();
        area.push(self.xy((1.0, 1.0)));
        p.polygon(area, &palette::SKY_BLUE, 0.3)?;
        p.dashed(
            vec![self.xy((0.0, 0.0)), self.xy((1.0, 1.0))],
            &palette::TEXT_MUTED,
            2,
        )?;
        let curve: Vec<(i32, i32)> = self.points.iter().map(|&pt| self.xy(pt)).collect();
        p.polyline(curve, &palette::BLUE, 3)?;

        let mut notes = Vec::new();
        if self.chart.mark_half
            && let Some((k, (x, y))) = self.crossing(0.5)
        {
            let (px, py) = self.xy((x, y));
            p.dotted(
                vec![(f.plot_left, py), (px, py), (px, f.plot_bottom)],
                &palette::REFERENCE,
                2,
            )?;
            let units = if k == 1 {
                "unit".to_string()
            } else {
                format!("{k} units")
            };
            let units = if self.chart.unit_word.is_empty() {
                units
            } else {
                units.replace("unit", &self.chart.unit_word)
            };
            notes.push(format!(
                "Half of all offences: the {units} with most offences ({}% of {}) hold {}%.",
                common::format_number(x * 100.0, 0),
                if self.chart.unit_word.is_empty() {
                    "units"
                } else {
                    &self.chart.unit_plural
                },
                common::format_number(y * 100.0, 0)
            ));
        }
        if let Some(g) = common::finite(self.chart.gini) {
            notes.push(format!(
                "Gini coefficient: {} (0 = even, 1 = all in one ward).",
                common::format_number(g, 2)
            ));
        }
        let nx = right + 30;
        for (k, note) in notes.iter().enumerate() {
            let lines = common::wrap(note, LABEL_SIZE, FontStyle::Normal, f.plot_right - nx - 12)
                .unwrap_or_else(|_| vec![note.clone()]);
            for (j, line) in lines.iter().enumerate() {
                let y = f.plot_top + 20 + k as i32 * 60 + j as i32 * 21;
                p.text(
                    line,
                    (nx, y),
                    LABEL_SIZE,
                    FontStyle::Normal,
                    &palette::TEXT,
                    HPos::Left,
                    VPos::Top,
                )?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::common::test_support::{png_size, render_twice};
    use super::*;

    fn sample() -> LorenzChart {
        let n = 20;
        let counts: Vec<f64> = (0..n).map(|i| (n - i) as f64 * (n - i) as f64).collect();
        let total: f64 = counts.iter().sum();
        let mut cum = 0.0;
        let points = counts
            .iter()
            .enumerate()
            .map(|(i, c)| {
                cum += c;
                ((i + 1) as f64 / n as f64, cum / total)
            })
            .collect();
        LorenzChart {
            title: "Concentration of offences".into(),
            subtitle: "Lorenz curve".into(),
            caption: "Source: test".into(),
            x_label: "Cumulative share of wards".into(),
            y_label: "Cumulative share of offences".into(),
            points,
            gini: Some(0.42),
            mark_half: true,
            unit_word: "ward".into(),
            unit_plural: "wards".into(),
        }
    }

    #[test]
    fn renders_valid_deterministic_files() {
        let dir = tempfile::tempdir().unwrap();
        let chart = sample();
        let (png, svg) = render_twice(dir.path(), "lorenz", |p, s| {
            render_lorenz(&chart, p, s).unwrap()
        });
        let (w, h) = png_size(&png);
        assert_eq!(w, 1200);
        assert!(h > 500 && h < 1200, "{h}");
        let text = std::fs::read_to_string(svg).unwrap();
        for s in [
            "Concentration of offences",
            "Cumulative share of wards",
            "Cumulative share of offences",
            "Gini coefficient: 0.42",
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
            render_lorenz(&c, &png, &svg),
            Err(ChartError::NoData { .. })
        ));
        c.points = vec![(0.0, 0.0), (f64::NAN, 1.0)];
        assert!(matches!(
            render_lorenz(&c, &png, &svg),
            Err(ChartError::NoData { .. })
        ));
        c.points = vec![(1.0, 1.0)];
        render_lorenz(&c, &png, &svg).unwrap();
    }
}
