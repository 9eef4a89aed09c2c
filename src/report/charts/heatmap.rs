//! Hour-of-day by day-of-week heatmap on a sequential single-hue (blue) ramp with a legend.

use std::path::Path;

use plotters::prelude::DrawingBackend;
use plotters::style::text_anchor::{HPos, VPos};
use plotters::style::{FontStyle, RGBColor};

use super::common::{
    self, Axis, DrawResult, Frame, FrameText, LABEL_SIZE, Painter, Scene, TICK_LEN, TICK_SIZE,
    VALUE_SIZE, format_number, text_width,
};
use super::error::ChartError;
use super::palette;

/// A grid of values: `values[r][c]` for row label `rows[r]` and column label `cols[c]`.
/// Missing or non-finite values are drawn as hatched-free light grey "no data" cells.
#[derive(Debug, Clone)]
pub struct HeatmapChart {
    pub title: String,
    pub subtitle: String,
    pub caption: String,
    /// Title under the columns, e.g. "Hour of day (start of the window)".
    pub x_label: String,
    /// Title above the rows, e.g. "Day of week".
    pub y_label: String,
    /// What the colour shows, e.g. "Share of the theme's offences (%)"; printed by the legend.
    pub value_label: String,
    /// Appended to legend numbers, e.g. "%".
    pub value_suffix: String,
    pub rows: Vec<String>,
    pub cols: Vec<String>,
    pub values: Vec<Vec<Option<f64>>>,
    /// Print each cell's value inside it.
    pub show_values: bool,
    /// Legend label for a cell without a value ("No data"; "Suppressed" in the public tier).
    pub blank_label: String,
}

/// Light to dark blue; every step stays distinguishable in greyscale.
const RAMP: [(f64, f64, f64); 3] = [
    (239.0, 246.0, 255.0),
    (107.0, 174.0, 214.0),
    (8.0, 48.0, 107.0),
];
const NO_DATA: RGBColor = RGBColor(230, 230, 230);

/// Colour of position `t` in 0..=1 on the sequential ramp.
pub fn ramp(t: f64) -> RGBColor {
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (a, b, u) = if t <= 0.5 {
        (RAMP[0], RAMP[1], t / 0.5)
    } else {
        (RAMP[1], RAMP[2], (t - 0.5) / 0.5)
    };
    let mix = |x: f64, y: f64| (x + (y - x) * u).round().clamp(0.0, 255.0) as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

const CELL_H: i32 = 44;
const LEGEND_H: i32 = 16;
const LEGEND_STEPS: usize = 40;
const X_TITLE_H: i32 = 24;

struct Prepared<'a> {
    chart: &'a HeatmapChart,
    frame: Frame,
    row_labels: Vec<String>,
    col_step: usize,
    vmax: f64,
    axis: Axis,
    legend_top: i32,
    cell_dp: usize,
}

/// Draws `chart` and writes it to `png_path` and `svg_path`. Errors with
/// [`ChartError::NoData`] when there are no rows or columns or no finite value.
pub fn render_heatmap(
    chart: &HeatmapChart,
    png_path: &Path,
    svg_path: &Path,
) -> Result<(), ChartError> {
    let any = chart.values.iter().take(chart.rows.len()).any(|r| {
        r.iter()
            .take(chart.cols.len())
            .any(|v| common::finite(*v).is_some())
    });
    if chart.rows.is_empty() || chart.cols.is_empty() || !any {
        return Err(common::no_data(png_path));
    }
    common::fonts_ready(png_path)?;
    let lerr = common::layout_error(png_path);
    let vmax = chart
        .values
        .iter()
        .flat_map(|r| r.iter())
        .filter_map(|v| common::finite(*v))
        .fold(0.0_f64, f64::max);
    let axis = Axis::nice(0.0, if vmax > 0.0 { vmax } else { 1.0 }, 5.0);
    let mut row_labels = Vec::new();
    let mut left = 40;
    for r in &chart.rows {
        let l = common::fit(r, LABEL_SIZE, FontStyle::Normal, 200).map_err(&lerr)?;
        left = left.max(text_width(&l, LABEL_SIZE, FontStyle::Normal).map_err(&lerr)? + 12);
        row_labels.push(l);
    }
    let plot_h = CELL_H * chart.rows.len() as i32;
    // Under the plot: column labels, then the legend bar and its tick labels.
    // The x-axis title is drawn here, between the column labels and the legend.
    let below = TICK_LEN + 24 + X_TITLE_H + 14 + LEGEND_H + 26;
    let t = FrameText {
        title: &chart.title,
        subtitle: &chart.subtitle,
        caption: &chart.caption,
        y_label: &chart.y_label,
        x_label: "",
    };
    let frame = Frame::new(&t, &[], left, 12, plot_h, below).map_err(&lerr)?;
    // Thin out column labels so they never collide.
    let col_w = f64::from(frame.plot_right - frame.plot_left) / chart.cols.len() as f64;
    let widest = chart
        .cols
        .iter()
        .map(|c| text_width(c, TICK_SIZE, FontStyle::Normal))
        .collect::<Result<Vec<_>, _>>()
        .map_err(&lerr)?
        .into_iter()
        .max()
        .unwrap_or(0);
    let col_step = ((f64::from(widest + 6) / col_w).ceil() as usize).max(1);
    let legend_top = frame.plot_bottom + TICK_LEN + 24 + X_TITLE_H + 14;
    let cell_dp = common::value_decimals(vmax);
    let prepared = Prepared {
        chart,
        frame,
        row_labels,
        col_step,
        vmax,
        axis,
        legend_top,
        cell_dp,
    };
    common::write_chart(&prepared, prepared.frame.size(), png_path, svg_path)
}

impl Prepared<'_> {
    fn col_x(&self, c: usize) -> i32 {
        let f = &self.frame;
        f.plot_left
            + ((f.plot_right - f.plot_left) as f64 * c as f64 / self.chart.cols.len() as f64)
                .round() as i32
    }
}

impl Scene for Prepared<'_> {
    fn draw<DB: DrawingBackend>(&self, p: &Painter<DB>) -> DrawResult<DB> {
        let f = &self.frame;
        let c = self.chart;
        f.draw(p)?;
        for (r, label) in self.row_labels.iter().enumerate() {
            let y0 = f.plot_top + CELL_H * r as i32;
            for col in 0..c.cols.len() {
                let (x0, x1) = (self.col_x(col), self.col_x(col + 1));
                let v = c
                    .values
                    .get(r)
                    .and_then(|row| row.get(col))
                    .copied()
                    .flatten();
                let fill = match common::finite(v) {
                    Some(v) if self.vmax > 0.0 => ramp(v / self.axis.max),
                    Some(_) => ramp(0.0),
                    None => NO_DATA,
                };
                p.rect((x0, y0), (x1, y0 + CELL_H), &fill)?;
                if c.show_values
                    && let Some(v) = common::finite(v)
                {
                    let t = if self.axis.max > 0.0 {
                        v / self.axis.max
                    } else {
                        0.0
                    };
                    let color = if t > 0.55 {
                        palette::BACKGROUND
                    } else {
                        palette::TEXT
                    };
                    let s = format_number(v, self.cell_dp);
                    p.text(
                        &s,
                        ((x0 + x1) / 2, y0 + CELL_H / 2),
                        VALUE_SIZE,
                        FontStyle::Normal,
                        &color,
                        HPos::Center,
                        VPos::Center,
                    )?;
                }
            }
            // Thin white lines between cells keep the grid legible.
            p.line(
                (f.plot_left, y0),
                (f.plot_right, y0),
                &palette::BACKGROUND,
                1,
            )?;
            p.text(
                label,
                (f.plot_left - 10, y0 + CELL_H / 2),
                LABEL_SIZE,
                FontStyle::Normal,
                &palette::TEXT,
                HPos::Right,
                VPos::Center,
            )?;
        }
        for col in 0..=c.cols.len() {
            let x = self.col_x(col);
            p.line((x, f.plot_top), (x, f.plot_bottom), &palette::BACKGROUND, 1)?;
        }
        p.rect_outline(
            (f.plot_left, f.plot_top),
            (f.plot_right, f.plot_bottom),
            &palette::AXIS,
        )?;
        for (col, label) in c.cols.iter().enumerate().step_by(self.col_step) {
            let x = (self.col_x(col) + self.col_x(col + 1)) / 2;
            p.line(
                (x, f.plot_bottom),
                (x, f.plot_bottom + TICK_LEN),
                &palette::AXIS,
                1,
            )?;
            p.text(
                label,
                (x, f.plot_bottom + TICK_LEN + 3),
                TICK_SIZE,
                FontStyle::Normal,
                &palette::TEXT,
                HPos::Center,
                VPos::Top,
            )?;
        }

        p.text(
            &c.x_label,
            (
                (f.plot_left + f.plot_right) / 2,
                f.plot_bottom + TICK_LEN + 26,
            ),
            common::AXIS_TITLE_SIZE,
            FontStyle::Normal,
            &palette::TEXT,
            HPos::Center,
            VPos::Top,
        )?;
        // Legend: a continuous bar from 0 to the axis maximum, with its name on the left.
        let lw = ((f.plot_right - f.plot_left) / 2).max(200);
        let lx0 = f.plot_right - lw;
        let ly = self.legend_top;
        for k in 0..LEGEND_STEPS {
            let x0 = lx0 + lw * k as i32 / LEGEND_STEPS as i32;
            let x1 = lx0 + lw * (k as i32 + 1) / LEGEND_STEPS as i32;
            p.rect(
                (x0, ly),
                (x1, ly + LEGEND_H),
                &ramp((k as f64 + 0.5) / LEGEND_STEPS as f64),
            )?;
        }
        p.rect_outline((lx0, ly), (f.plot_right, ly + LEGEND_H), &palette::AXIS)?;
        for t in self.axis.ticks() {
            let x = self.axis.px(t, lx0, f.plot_right);
            p.line(
                (x, ly + LEGEND_H),
                (x, ly + LEGEND_H + 4),
                &palette::AXIS,
                1,
            )?;
            let s = format!("{}{}", format_number(t, self.axis.dp), c.value_suffix);
            p.text(
                &s,
                (x, ly + LEGEND_H + 6),
                VALUE_SIZE,
                FontStyle::Normal,
                &palette::TEXT,
                HPos::Center,
                VPos::Top,
            )?;
        }
        p.text(
            &c.value_label,
            (lx0 - 14, ly + LEGEND_H / 2),
            LABEL_SIZE,
            FontStyle::Normal,
            &palette::TEXT,
            HPos::Right,
            VPos::Center,
        )?;
        // Grey key for missing cells, at the far left of the legend row.
        if c.values.iter().take(c.rows.len()).any(|r| {
            (0..c.cols.len()).any(|i| common::finite(r.get(i).copied().flatten()).is_none())
        }) {
            p.rect(
                (f.plot_left, ly),
                (f.plot_left + 26, ly + LEGEND_H),
                &NO_DATA,
            )?;
            p.text(
                &c.blank_label,
                (f.plot_left + 34, ly + LEGEND_H / 2),
                LABEL_SIZE,
                FontStyle::Normal,
                &palette::TEXT,
                HPos::Left,
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

    fn sample() -> HeatmapChart {
        let rows: Vec<String> = [
            "Monday",
            "Tuesday",
            "Wednesday",
            "Thursday",
            "Friday",
            "Saturday",
            "Sunday",
        ]
        .map(String::from)
        .to_vec();
        let cols: Vec<String> = (0..24).map(|h| format!("{h:02}")).collect();
        let values = (0..7)
            .map(|d| {
                (0..24)
                    .map(|h| Some(((d * 24 + h) % 17) as f64 / 10.0))
                    .collect()
            })
            .collect();
        HeatmapChart {
            title: "Violence by hour and weekday".into(),
            subtitle: "Share of offences".into(),
            caption: "Source: test".into(),
            x_label: "Hour of day".into(),
            y_label: "Day of week".into(),
            value_label: "Share of offences".into(),
            value_suffix: "%".into(),
            rows,
            cols,
            values,
            show_values: true,
            blank_label: "No data".into(),
        }
    }

    #[test]
    fn renders_valid_deterministic_files() {
        let dir = tempfile::tempdir().unwrap();
        let chart = sample();
        let (png, svg) = render_twice(dir.path(), "heat", |p, s| {
            render_heatmap(&chart, p, s).unwrap()
        });
        let (w, h) = png_size(&png);
        assert_eq!(w, 1200);
        assert!(h > 300 && h < 1400, "{h}");
        let text = std::fs::read_to_string(svg).unwrap();
        for s in [
            "Violence by hour and weekday",
            "Hour of day",
            "Day of week",
            "Source: test",
        ] {
            assert!(text.contains(s), "{s}");
        }
    }

    #[test]
    fn empty_or_missing_is_no_data() {
        let dir = tempfile::tempdir().unwrap();
        let (png, svg) = (dir.path().join("x.png"), dir.path().join("x.svg"));
        let mut c = sample();
        c.values = vec![vec![None; 24]; 7];
        assert!(matches!(
            render_heatmap(&c, &png, &svg),
            Err(ChartError::NoData { .. })
        ));
        c.rows.clear();
        assert!(matches!(
            render_heatmap(&c, &png, &svg),
            Err(ChartError::NoData { .. })
        ));
        assert!(!png.exists() && !svg.exists());
    }

    #[test]
    fn all_zero_values_still_draw() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = sample();
        c.values = vec![vec![Some(0.0); 24]; 7];
        render_heatmap(&c, &dir.path().join("z.png"), &dir.path().join("z.svg")).unwrap();
    }
}
