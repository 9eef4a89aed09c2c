//! Ranked horizontal bar chart of ward rates with confidence-interval whiskers.
//!
//! Everything is laid out by hand in pixel space on a plotters [`DrawingArea`], so the same
//! drawing code produces the PNG and the SVG and the layout (image height, label widths,
//! axis range) is fully under our control.

use std::cmp::Ordering as CmpOrdering;
use std::fs;
use std::path::Path;

use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::{BitMapBackend, DrawingArea, DrawingBackend, IntoDrawingArea, SVGBackend};
use plotters::style::text_anchor::{HPos, VPos};
use plotters::style::{Color, FontStyle};

use super::error::ChartError;
use super::fonts::ensure_fonts_registered;
use super::palette;
use super::common::{commit_png_svg, temp_sibling, AXIS_TITLE_SIZE, CAPTION_LINE, CAPTION_SIZE, LEGEND_SIZE, MARGIN_BOTTOM, MARGIN_TOP, MARGIN_X, SUBTITLE_LINE, SUBTITLE_SIZE, TICK_LEN, TICK_SIZE, TITLE_LINE, TITLE_SIZE, VALUE_SIZE, WIDTH, draw_error, fit, format_number, text_width, wrap, DrawResult, Painter};

/// One ward's value. `rate`, `lower` and `upper` are per 1,000 residents (or whatever unit the
/// chart's `value_label` names). Missing, NaN, infinite or negative values are treated as
/// unavailable: a ward without a usable `rate` is drawn last, labelled "n/a"; a ward without a
/// usable `lower`/`upper` pair is drawn without a whisker.
#[derive(Debug, Clone, PartialEq)]
pub struct WardBar {
    pub code: String,
    pub name: String,
    pub count: u64,
    pub rate: Option<f64>,
    pub lower: Option<f64>,
    pub upper: Option<f64>,
}

/// Everything needed to draw a ranked ward bar chart.
#[derive(Debug, Clone, Copy)]
pub struct WardBarChart<'a> {
    /// Main title, e.g. "Violence against the person by ward".
    pub title: &'a str,
    /// Line under the title, e.g. "Rate per 1,000 residents, 95% confidence intervals".
    pub subtitle: &'a str,
    /// Value-axis title, e.g. "Offences per 1,000 residents".
    pub value_label: &'a str,
    /// Source and period, printed at the foot of the chart.
    pub caption: &'a str,
    /// Whole-area rate, drawn as a reference line with a legend entry when present.
    pub area_rate: Option<f64>,
    /// Legend text for the reference line, e.g. "Exampleton rate".
    pub area_label: &'a str,
    /// Confidence level of `lower`/`upper` as a fraction, e.g. 0.95; shown in the legend as
    /// "95% confidence interval". Values outside (0, 1) give "Confidence interval".
    pub confidence: f64,
    /// The wards, in any order; they are ranked inside [`render_ward_bars`].
    pub bars: &'a [WardBar],
}

// ---------------------------------------------------------------------------------------------
// Layout constants (pixels; font sizes are plotters sizes, i.e. ascent-to-descent height).

/// Vertical space per ward.
const ROW_PX: i32 = 22;
/// The plot never gets shorter than this, however few wards there are.
const MIN_PLOT_PX: i32 = 264;
/// Ward names wider than this are shortened with an ellipsis.
const MAX_NAME_PX: i32 = 330;
const MIN_NAME_PX: i32 = 60;
/// Repeat the value axis above the plot when there are at least this many wards.
const TOP_AXIS_MIN_BARS: usize = 30;
/// Shade alternate rows when there are at least this many wards.
const BANDING_MIN_BARS: usize = 16;

const NAME_SIZE: f64 = 15.0;
const NAME_GAP: i32 = 10;
const VALUE_GAP: i32 = 7;
// ---------------------------------------------------------------------------------------------
// Public entry point.

/// Draws `chart` as a ranked horizontal bar chart and writes it to `png_path` and `svg_path`.
///
/// Wards are ranked by rate, highest at the top (ties by name, then code); wards without a
/// usable rate come last, labelled "n/a". The image is 1,200 px wide and about 22 px tall per
/// ward plus header and footer. Parent folders are created; each file is written to a
/// temporary sibling and renamed into place, so readers never see a half-written chart.
/// Identical input gives byte-identical files.
pub fn render_ward_bars(
    chart: &WardBarChart,
    png_path: &Path,
    svg_path: &Path,
) -> Result<(), ChartError> {
    if chart.bars.is_empty() {
        return Err(ChartError::NoData {
            path: png_path.to_path_buf(),
        });
    }
    ensure_fonts_registered().map_err(|message| ChartError::Font {
        path: png_path.to_path_buf(),
        message,
    })?;

    let rows = ranked_rows(chart.bars);
    let layout = Layout::new(chart, &rows).map_err(|message| ChartError::Font {
        path: png_path.to_path_buf(),
        message,
    })?;

    // SVG first: it is drawn entirely in memory.
    let mut svg = String::new();
    {
        let root =
            SVGBackend::with_string(&mut svg, (layout.width, layout.height)).into_drawing_area();
        draw_chart(&root, chart, &rows, &layout, 0).map_err(|e| draw_error(svg_path, e))?;
        root.present().map_err(|e| draw_error(svg_path, e))?;
    }

    let png_tmp = temp_sibling(png_path, "png").map_err(|source| ChartError::Io {
        path: png_path.to_path_buf(),
        source,
    })?;
    if let Err(e) = render_png(&png_tmp, png_path, chart, &rows, &layout) {
        let _ = fs::remove_file(&png_tmp);
        return Err(e);
    }
    commit_png_svg(&png_tmp, png_path, &svg, svg_path)
}

fn render_png(
    tmp: &Path,
    final_path: &Path,
    chart: &WardBarChart,
    rows: &[Row],
    layout: &Layout,
) -> Result<(), ChartError> {
    {
        let root = BitMapBackend::new(tmp, (layout.width, layout.height)).into_drawing_area();
        draw_chart(&root, chart, rows, layout, PNG_TEXT_NUDGE)
            .map_err(|e| draw_error(final_path, e))?;
        root.present().map_err(|e| draw_error(final_path, e))?;
    }
    fs::File::open(tmp)
        .and_then(|f| f.sync_all())
        .map_err(|source| ChartError::Io {
            path: final_path.to_path_buf(),
            source,
        })
}

/// plotters' ab_glyph rasteriser draws vertically centred text a little high compared with
/// the SVG `dy="0.5ex"` convention; this many pixels per 10 px of font size puts it back.
const PNG_TEXT_NUDGE: i32 = 2;


// ---------------------------------------------------------------------------------------------
// Data preparation.

struct Row {
    name: String,
    rate: Option<f64>,
    ci: Option<(f64, f64)>,
    count: u64,
}

impl Row {
    /// Right-most data value drawn on the row (bar end or upper whisker).
    fn extent(&self) -> Option<f64> {
        match (self.rate, self.ci) {
            (Some(r), Some((_, u))) => Some(r.max(u)),
            (Some(r), None) => Some(r),
            (None, _) => None,
        }
    }
}

fn usable(v: Option<f64>) -> Option<f64> {
    v.filter(|x| x.is_finite() && *x >= 0.0)
}

fn ranked_rows(bars: &[WardBar]) -> Vec<Row> {
    let mut sorted: Vec<&WardBar> = bars.iter().collect();
    sorted.sort_by(|a, b| {
        let by_rate = match (usable(a.rate), usable(b.rate)) {
            (Some(x), Some(y)) => y.total_cmp(&x),
            (Some(_), None) => CmpOrdering::Less,
            (None, Some(_)) => CmpOrdering::Greater,
            (None, None) => CmpOrdering::Equal,
        };
        by_rate
            .then_with(|| a.name.cmp(&b.name))
            .then_with(|| a.code.cmp(&b.code))
    });
    sorted
        .into_iter()
        .map(|b| {
            let rate = usable(b.rate);
            let ci = match (rate, usable(b.lower), usable(b.upper)) {
                (Some(_), Some(lo), Some(hi)) if lo <= hi => Some((lo, hi)),
                _ => None,
            };
            let name = if b.name.trim().is_empty() {
                b.code.clone()
            } else {
                b.name.trim().to_string()
            };
            Row {
                name,
                rate,
                ci,
                count: b.count,
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Layout.

/// A "nice" tick step (1, 2 or 5 times a power of ten) giving at most about 7 intervals.
fn nice_step(max: f64) -> f64 {
    let raw = max / 6.0;
    let mag = 10f64.powf(raw.log10().floor());
    let norm = raw / mag;
    let mult = if norm <= 1.0 {
        1.0
    } else if norm <= 2.0 {
        2.0
    } else if norm <= 5.0 {
        5.0
    } else {
        10.0
    };
    mult * mag
}

fn step_decimals(step: f64) -> usize {
    let d = -(step.log10() + 1e-9).floor();
    if d > 0.0 { d as usize } else { 0 }
}

/// Legend text for the whiskers: "95% confidence interval", "99.8% confidence interval".
fn ci_legend(confidence: f64) -> String {
    if confidence.is_finite() && confidence > 0.0 && confidence < 1.0 {
        let pct = format!("{:.1}", confidence * 100.0);
        let pct = pct.strip_suffix(".0").unwrap_or(&pct);
        format!("{pct}% confidence interval")
    } else {
        "Confidence interval".to_string()
    }
}

struct Layout {
    width: u32,
    height: u32,
    title_lines: Vec<String>,
    title_top: i32,
    subtitle_lines: Vec<String>,
    subtitle_top: i32,
    legend_mid: i32,
    names: Vec<String>,
    value_labels: Vec<String>,
    value_widths: Vec<i32>,
    area_text: Option<String>,
    ci_text: String,
    has_ci: bool,
    plot_left: i32,
    plot_right: i32,
    plot_top: i32,
    plot_bottom: i32,
    row_h: f64,
    bar_h: i32,
    top_axis: bool,
    banding: bool,
    x_max: f64,
    x_step: f64,
    tick_dp: usize,
    axis_title_top: i32,
    caption_lines: Vec<String>,
    caption_top: i32,
}

impl Layout {
    fn new(chart: &WardBarChart, rows: &[Row]) -> Result<Layout, String> {
        let n = rows.len();
        let text_px = WIDTH as i32 - 2 * MARGIN_X;

        // Value labels: decimals follow the magnitude of the largest value.
        let max_value = rows
            .iter()
            .filter_map(Row::extent)
            .chain(usable(chart.area_rate))
            .fold(0.0_f64, f64::max);
        let value_dp = if max_value >= 1.0 {
            1
        } else if max_value >= 0.1 {
            2
        } else {
            3
        };
        let value_labels: Vec<String> = rows
            .iter()
            .map(|r| {
                let v = r
                    .rate
                    .map_or_else(|| "n/a".to_string(), |x| format_number(x, value_dp));
                format!("{v}  (n={})", format_number(r.count as f64, 0))
            })
            .collect();

        // Category labels.
        let mut name_px = MIN_NAME_PX;
        let mut names = Vec::with_capacity(n);
        for r in rows {
            let name = fit(&r.name, NAME_SIZE, FontStyle::Normal, MAX_NAME_PX)?;
            name_px = name_px.max(text_width(&name, NAME_SIZE, FontStyle::Normal)?);
            names.push(name);
        }

        let plot_left = MARGIN_X + name_px + NAME_GAP;
        let plot_right = WIDTH as i32 - MARGIN_X - 12;
        let plot_w = f64::from(plot_right - plot_left);

        // Value axis: from 0 to past every whisker, leaving room for each value label.
        let value_widths = value_labels
            .iter()
            .map(|label| text_width(label, VALUE_SIZE, FontStyle::Normal))
            .collect::<Result<Vec<i32>, String>>()?;
        let mut x_need = usable(chart.area_rate).map_or(0.0, |a| a * 1.04);
        for (r, width) in rows.iter().zip(&value_widths) {
            let room = f64::from(VALUE_GAP + width + 4);
            match r.extent() {
                Some(end) if plot_w - room > plot_w * 0.2 => {
                    x_need = x_need.max(end * plot_w / (plot_w - room));
                }
                Some(end) => x_need = x_need.max(end * 1.25),
                None => {}
            }
        }
        if !(x_need.is_finite() && x_need > 0.0) {
            x_need = 1.0;
        }
        let x_step = nice_step(x_need);
        let x_max = ((x_need / x_step) - 1e-9).ceil().max(1.0) * x_step;
        let tick_dp = step_decimals(x_step);

        // Vertical stack.
        let mut y = MARGIN_TOP;
        let title_lines = wrap(chart.title, TITLE_SIZE, FontStyle::Bold, text_px)?;
        let title_top = y;
        y += TITLE_LINE * title_lines.len() as i32;
        let subtitle_lines = wrap(chart.subtitle, SUBTITLE_SIZE, FontStyle::Normal, text_px)?;
        let subtitle_top = y + 2;
        y += SUBTITLE_LINE * subtitle_lines.len() as i32;
        y += 14;
        let legend_mid = y + 10;
        y += 20 + 16;
        let top_axis = n >= TOP_AXIS_MIN_BARS;
        if top_axis {
            y += 26;
        }
        let plot_top = y;
        let plot_h =
            (ROW_PX.saturating_mul(i32::try_from(n).unwrap_or(i32::MAX / ROW_PX))).max(MIN_PLOT_PX);
        let row_h = f64::from(plot_h) / n as f64;
        let bar_h = ((row_h * 0.62).round() as i32).clamp(6, 30);
        y += plot_h;
        let plot_bottom = y;
        y += TICK_LEN + 24;
        let axis_title_top = y;
        y += 24 + 14;
        let caption_lines = wrap(chart.caption, CAPTION_SIZE, FontStyle::Normal, text_px)?;
        let caption_top = y;
        y += CAPTION_LINE * caption_lines.len() as i32;
        y += MARGIN_BOTTOM;

        let area_text = usable(chart.area_rate).map(|a| {
            let label = if chart.area_label.trim().is_empty() {
                "Area rate"
            } else {
                chart.area_label.trim()
            };
            format!("{label}: {}", format_number(a, value_dp))
        });

        Ok(Layout {
            width: WIDTH,
            height: u32::try_from(y).unwrap_or(u32::MAX),
            title_lines,
            title_top,
            subtitle_lines,
            subtitle_top,
            legend_mid,
            names,
            value_labels,
            value_widths,
            area_text,
            ci_text: ci_legend(chart.confidence),
            has_ci: rows.iter().any(|r| r.ci.is_some()),
            plot_left,
            plot_right,
            plot_top,
            plot_bottom,
            row_h,
            bar_h,
            top_axis,
            banding: n >= BANDING_MIN_BARS,
            x_max,
            x_step,
            tick_dp,
            axis_title_top,
            caption_lines,
            caption_top,
        })
    }

    fn x(&self, v: f64) -> i32 {
        let frac = (v / self.x_max).clamp(0.0, 1.0);
        self.plot_left + (frac * f64::from(self.plot_right - self.plot_left)).round() as i32
    }

    fn row_top(&self, i: usize) -> i32 {
        self.plot_top + (i as f64 * self.row_h).round() as i32
    }

    fn row_mid(&self, i: usize) -> i32 {
        self.plot_top + ((i as f64 + 0.5) * self.row_h).round() as i32
    }

    fn ticks(&self) -> Vec<f64> {
        let count = (self.x_max / self.x_step).round() as usize;
        (0..=count).map(|k| k as f64 * self.x_step).collect()
    }
}

// ---------------------------------------------------------------------------------------------
// Drawing.

fn draw_chart<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &WardBarChart,
    rows: &[Row],
    l: &Layout,
    nudge: i32,
) -> DrawResult<DB> {
    let p = Painter { root, nudge };
    root.fill(&palette::BACKGROUND)?;

    // Title and subtitle.
    for (k, line) in l.title_lines.iter().enumerate() {
        let y = l.title_top + TITLE_LINE * k as i32;
        p.text(
            line,
            (MARGIN_X, y),
            TITLE_SIZE,
            FontStyle::Bold,
            &palette::TEXT,
            HPos::Left,
            VPos::Top,
        )?;
    }
    for (k, line) in l.subtitle_lines.iter().enumerate() {
        let y = l.subtitle_top + SUBTITLE_LINE * k as i32;
        p.text(
            line,
            (MARGIN_X, y),
            SUBTITLE_SIZE,
            FontStyle::Normal,
            &palette::TEXT_MUTED,
            HPos::Left,
            VPos::Top,
        )?;
    }

    draw_legend(&p, l)?;

    // Background: alternate-row bands and vertical grid lines.
    if l.banding {
        for i in (1..rows.len()).step_by(2) {
            p.rect(
                (MARGIN_X, l.row_top(i)),
                (l.plot_right, l.row_top(i + 1)),
                &palette::BAND,
            )?;
        }
    }
    let ticks = l.ticks();
    for &t in ticks.iter().skip(1) {
        let x = l.x(t);
        p.line((x, l.plot_top), (x, l.plot_bottom), &palette::GRID, 1)?;
    }

    // Bars.
    let half_bar = l.bar_h / 2;
    for (i, r) in rows.iter().enumerate() {
        if let Some(rate) = r.rate {
            let mid = l.row_mid(i);
            let x1 = l.x(rate);
            if x1 > l.plot_left {
                p.rect(
                    (l.plot_left, mid - half_bar),
                    (x1, mid + half_bar),
                    &palette::BAR_FILL,
                )?;
            }
        }
    }

    // Whole-area reference line, over the bars but under the whiskers.
    if let Some(a) = usable(chart.area_rate) {
        let x = l.x(a);
        root.draw(&DashedPathElement::new(
            vec![(x, l.plot_top), (x, l.plot_bottom)],
            7,
            4,
            palette::REFERENCE.stroke_width(2),
        ))?;
    }

    // Whiskers with end caps.
    let cap = (l.bar_h * 3 / 8).max(3);
    for (i, r) in rows.iter().enumerate() {
        if let Some((lo, hi)) = r.ci {
            let mid = l.row_mid(i);
            let (x0, x1) = (l.x(lo), l.x(hi));
            p.line((x0, mid), (x1, mid), &palette::WHISKER, 1)?;
            p.line((x0, mid - cap), (x0, mid + cap), &palette::WHISKER, 1)?;
            p.line((x1, mid - cap), (x1, mid + cap), &palette::WHISKER, 1)?;
        }
    }

    // Axes: a line at zero and value axes at the bottom (and top for long lists).
    p.line(
        (l.plot_left, l.plot_top),
        (l.plot_left, l.plot_bottom),
        &palette::AXIS,
        1,
    )?;
    p.line(
        (l.plot_left, l.plot_bottom),
        (l.plot_right, l.plot_bottom),
        &palette::AXIS,
        1,
    )?;
    if l.top_axis {
        p.line(
            (l.plot_left, l.plot_top),
            (l.plot_right, l.plot_top),
            &palette::AXIS,
            1,
        )?;
    }
    for &t in &ticks {
        let x = l.x(t);
        let label = format_number(t, l.tick_dp);
        p.line(
            (x, l.plot_bottom),
            (x, l.plot_bottom + TICK_LEN),
            &palette::AXIS,
            1,
        )?;
        p.text(
            &label,
            (x, l.plot_bottom + TICK_LEN + 3),
            TICK_SIZE,
            FontStyle::Normal,
            &palette::TEXT,
            HPos::Center,
            VPos::Top,
        )?;
        if l.top_axis {
            p.line(
                (x, l.plot_top - TICK_LEN),
                (x, l.plot_top),
                &palette::AXIS,
                1,
            )?;
            p.text(
                &label,
                (x, l.plot_top - TICK_LEN - 3),
                TICK_SIZE,
                FontStyle::Normal,
                &palette::TEXT,
                HPos::Center,
                VPos::Bottom,
            )?;
        }
    }
    p.text(
        chart.value_label,
        ((l.plot_left + l.plot_right) / 2, l.axis_title_top),
        AXIS_TITLE_SIZE,
        FontStyle::Normal,
        &palette::TEXT,
        HPos::Center,
        VPos::Top,
    )?;

    // Ward names and value labels.
    for (i, r) in rows.iter().enumerate() {
        let mid = l.row_mid(i);
        p.text(
            &l.names[i],
            (l.plot_left - NAME_GAP, mid),
            NAME_SIZE,
            FontStyle::Normal,
            &palette::TEXT,
            HPos::Right,
            VPos::Center,
        )?;
        let x = r.extent().map_or(l.plot_left, |e| l.x(e)) + VALUE_GAP;
        // A patch of row background behind the label keeps the reference line and grid
        // lines from running through the digits.
        let bg = if l.banding && i % 2 == 1 {
            &palette::BAND
        } else {
            &palette::BACKGROUND
        };
        let half = (l.row_h / 2.0).floor() as i32 - 1;
        p.rect(
            (x - 2, mid - half.min(9)),
            (x + l.value_widths[i] + 3, mid + half.min(9)),
            bg,
        )?;
        p.text(
            &l.value_labels[i],
            (x, mid),
            VALUE_SIZE,
            FontStyle::Normal,
            &palette::TEXT_MUTED,
            HPos::Left,
            VPos::Center,
        )?;
    }

    // Caption.
    for (k, line) in l.caption_lines.iter().enumerate() {
        p.text(
            line,
            (MARGIN_X, l.caption_top + CAPTION_LINE * k as i32),
            CAPTION_SIZE,
            FontStyle::Normal,
            &palette::TEXT_MUTED,
            HPos::Left,
            VPos::Top,
        )?;
    }
    Ok(())
}

/// One-line legend under the subtitle: bar swatch, whisker symbol, reference line.
fn draw_legend<DB: DrawingBackend>(p: &Painter<'_, DB>, l: &Layout) -> DrawResult<DB> {
    let mid = l.legend_mid;
    let mut x = MARGIN_X;
    let item_gap = 28;
    let swatch_gap = 8;

    // Bar.
    p.rect((x, mid - 7), (x + 22, mid + 7), &palette::BAR_FILL)?;
    x += 22 + swatch_gap;
    let label = "Ward rate";
    p.text(
        label,
        (x, mid),
        LEGEND_SIZE,
        FontStyle::Normal,
        &palette::TEXT,
        HPos::Left,
        VPos::Center,
    )?;
    x += text_width(label, LEGEND_SIZE, FontStyle::Normal).unwrap_or(80) + item_gap;

    // Whisker.
    if l.has_ci {
        p.line((x, mid), (x + 22, mid), &palette::WHISKER, 1)?;
        p.line((x, mid - 5), (x, mid + 5), &palette::WHISKER, 1)?;
        p.line((x + 22, mid - 5), (x + 22, mid + 5), &palette::WHISKER, 1)?;
        x += 22 + swatch_gap;
        let label = l.ci_text.as_str();
        p.text(
            label,
            (x, mid),
            LEGEND_SIZE,
            FontStyle::Normal,
            &palette::TEXT,
            HPos::Left,
            VPos::Center,
        )?;
        x += text_width(label, LEGEND_SIZE, FontStyle::Normal).unwrap_or(180) + item_gap;
    }

    // Reference line.
    if let Some(label) = &l.area_text {
        p.root.draw(&DashedPathElement::new(
            vec![(x + 11, mid - 9), (x + 11, mid + 9)],
            5,
            3,
            palette::REFERENCE.stroke_width(2),
        ))?;
        x += 22 + swatch_gap;
        p.text(
            label,
            (x, mid),
            LEGEND_SIZE,
            FontStyle::Normal,
            &palette::TEXT,
            HPos::Left,
            VPos::Center,
        )?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    fn ward(i: usize, rate: Option<f64>) -> WardBar {
        let r = rate.unwrap_or(0.0);
        WardBar {
            code: format!("E05{:06}", 1000 + i),
            name: format!("Ward {i:02}"),
            count: (r * 9.0).round() as u64,
            rate,
            lower: rate.map(|r| (r - 1.2 - 0.04 * r).max(0.0)),
            upper: rate.map(|r| r + 1.4 + 0.05 * r),
        }
    }

    fn synthetic(n: usize) -> Vec<WardBar> {
        (1..=n)
            .map(|i| ward(i, Some(((i * 37) % 23) as f64 * 1.7 + 2.3)))
            .collect()
    }

    fn chart(bars: &[WardBar]) -> WardBarChart<'_> {
        WardBarChart {
            title: "Violence against the person by ward",
            subtitle: "Rate per 1,000 residents, 95% confidence intervals",
            value_label: "Offences per 1,000 residents",
            caption: "Source: police recorded crime, 1 Apr 2025 - 31 Mar 2026. \
                      Definition: london-vru (a1b2c3)",
            area_rate: Some(19.6),
            area_label: "Exampleton rate",
            confidence: 0.95,
            bars,
        }
    }

    fn png_size(bytes: &[u8]) -> (u32, u32) {
        let be = |s: &[u8]| u32::from_be_bytes([s[0], s[1], s[2], s[3]]);
        assert_eq!(&bytes[12..16], b"IHDR");
        (be(&bytes[16..20]), be(&bytes[20..24]))
    }

    fn expected_height(chart: &WardBarChart) -> u32 {
        ensure_fonts_registered().unwrap();
        let rows = ranked_rows(chart.bars);
        Layout::new(chart, &rows).unwrap().height
    }

    #[test]
    fn renders_png_and_svg() {
        let dir = tempfile::tempdir().unwrap();
        let png = dir.path().join("nested/out/ward_rates.png");
        let svg = dir.path().join("nested/out/ward_rates.svg");
        let bars = synthetic(20);
        let c = chart(&bars);
        render_ward_bars(&c, &png, &svg).unwrap();

        let bytes = fs::read(&png).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        let (w, h) = png_size(&bytes);
        assert_eq!(w, WIDTH);
        assert_eq!(h, expected_height(&c));
        // 20 rows of 22 px plus header and footer.
        assert!(h >= 20 * ROW_PX as u32 + 150, "height {h}");
        assert!(bytes.len() > 8 * 1024, "PNG only {} bytes", bytes.len());

        let text = fs::read_to_string(&svg).unwrap();
        assert!(text.contains("<svg"));
        assert!(text.trim_end().ends_with("</svg>"));
        for b in &bars {
            assert!(
                text.contains(&format!(">\n{}\n<", b.name)),
                "{} missing",
                b.name
            );
        }
        assert!(text.contains(c.title));
        assert!(text.contains(c.subtitle));
        assert!(text.contains(c.value_label));
        assert!(text.contains("Source: police recorded crime"));
        assert!(text.contains("london-vru (a1b2c3)"));
        assert!(text.contains("Exampleton rate: 19.6"));
        assert!(text.contains("95% confidence interval"));
        assert!(text.contains("font-family=\"sans-serif\""));

        // No temporary files left behind.
        let leftovers: Vec<_> = fs::read_dir(png.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .filter(|n| n.to_string_lossy().starts_with(".tmp-"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    #[test]
    fn renders_are_byte_identical() {
        let dir = tempfile::tempdir().unwrap();
        let bars = synthetic(20);
        let mut shuffled = bars.clone();
        shuffled.reverse();
        let (p1, s1) = (dir.path().join("a.png"), dir.path().join("a.svg"));
        let (p2, s2) = (dir.path().join("b.png"), dir.path().join("b.svg"));
        render_ward_bars(&chart(&bars), &p1, &s1).unwrap();
        render_ward_bars(&chart(&shuffled), &p2, &s2).unwrap();
        assert_eq!(fs::read(&p1).unwrap(), fs::read(&p2).unwrap());
        assert_eq!(fs::read(&s1).unwrap(), fs::read(&s2).unwrap());
        // Overwriting an existing file in place gives the same bytes again.
        render_ward_bars(&chart(&bars), &p1, &s1).unwrap();
        assert_eq!(fs::read(&p1).unwrap(), fs::read(&p2).unwrap());
    }

    #[test]
    fn empty_input_is_no_data() {
        let dir = tempfile::tempdir().unwrap();
        let png = dir.path().join("x.png");
        let err = render_ward_bars(&chart(&[]), &png, &dir.path().join("x.svg")).unwrap_err();
        assert!(matches!(err, ChartError::NoData { .. }));
        assert!(err.to_string().contains("x.png"));
        assert!(!png.exists());
    }

    #[test]
    fn ranking_puts_missing_and_invalid_last() {
        let mut bars = vec![
            ward(1, Some(5.0)),
            ward(2, None),
            ward(3, Some(f64::NAN)),
            ward(4, Some(9.0)),
            ward(5, Some(-1.0)),
            ward(6, Some(5.0)),
            ward(7, Some(f64::INFINITY)),
        ];
        bars[0].upper = Some(f64::NAN);
        let rows = ranked_rows(&bars);
        let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "Ward 04", "Ward 01", "Ward 06", "Ward 02", "Ward 03", "Ward 05", "Ward 07"
            ]
        );
        assert!(rows[1].ci.is_none());
        assert!(rows[3..].iter().all(|r| r.rate.is_none() && r.ci.is_none()));

        // They still render, labelled n/a, and the x axis covers every whisker.
        let dir = tempfile::tempdir().unwrap();
        let c = chart(&bars);
        render_ward_bars(&c, &dir.path().join("r.png"), &dir.path().join("r.svg")).unwrap();
        let svg = fs::read_to_string(dir.path().join("r.svg")).unwrap();
        assert_eq!(svg.matches("n/a  (n=").count(), 4);
        ensure_fonts_registered().unwrap();
        let l = Layout::new(&c, &rows).unwrap();
        assert!(l.x_max > 9.0 + 1.4 + 0.45);
    }

    #[test]
    fn all_missing_and_single_ward_render() {
        let dir = tempfile::tempdir().unwrap();
        let bars = vec![ward(1, None), ward(2, None)];
        let mut c = chart(&bars);
        c.area_rate = None;
        render_ward_bars(&c, &dir.path().join("a.png"), &dir.path().join("a.svg")).unwrap();
        let one = vec![ward(1, Some(0.0))];
        render_ward_bars(
            &chart(&one),
            &dir.path().join("b.png"),
            &dir.path().join("b.svg"),
        )
        .unwrap();
    }

    #[test]
    fn axis_starts_at_zero_and_passes_largest_upper() {
        ensure_fonts_registered().unwrap();
        let bars = synthetic(25);
        let c = chart(&bars);
        let rows = ranked_rows(&bars);
        let l = Layout::new(&c, &rows).unwrap();
        let max_upper = bars.iter().filter_map(|b| b.upper).fold(0.0, f64::max);
        assert!(l.x_max > max_upper);
        assert_eq!(l.ticks()[0], 0.0);
        assert_eq!(l.x(0.0), l.plot_left);
        assert!(l.x(max_upper) < l.plot_right);
    }

    #[test]
    fn many_wards_size_the_image() {
        let dir = tempfile::tempdir().unwrap();
        let bars: Vec<WardBar> = (1..=700)
            .map(|i| {
                let mut w = ward(i, Some(((i * 7919) % 611) as f64 / 10.0));
                w.name = if i % 2 == 0 {
                    format!("St Mary's & Abbey {i:03}")
                } else {
                    format!("Ward {i:03} with an exceptionally long name that has to be shortened")
                };
                w
            })
            .collect();
        let c = chart(&bars);
        let png = dir.path().join("many.png");
        render_ward_bars(&c, &png, &dir.path().join("many.svg")).unwrap();
        let (w, h) = png_size(&fs::read(&png).unwrap());
        assert_eq!(w, WIDTH);
        assert!(h >= 700 * ROW_PX as u32, "height {h}");
        assert_eq!(h, expected_height(&c));
        let svg = fs::read_to_string(dir.path().join("many.svg")).unwrap();
        assert!(svg.contains("St Mary&apos;s &amp; Abbey 002"));
        assert!(
            svg.contains('\u{2026}'),
            "long names are shortened with an ellipsis"
        );
    }

    #[test]
    fn long_title_and_caption_wrap_inside_the_image() {
        ensure_fonts_registered().unwrap();
        let bars = synthetic(20);
        let short = chart(&bars);
        let mut long = short;
        long.title = "Violence against the person, robbery and possession of weapons offences \
                      by ward of occurrence, Exampleton Community Safety Partnership";
        long.caption = "Source: police recorded crime extracted from the force records \
                        management system, 1 Apr 2025 - 31 Mar 2026, geocoded to 2024 ward \
                        boundaries; mid-2023 ONS small-area population estimates. Definition: \
                        london-vru (a1b2c3). Wards with fewer than five offences are shown.";
        let rows = ranked_rows(&bars);
        let (ls, ll) = (
            Layout::new(&short, &rows).unwrap(),
            Layout::new(&long, &rows).unwrap(),
        );
        assert_eq!(ls.title_lines.len(), 1);
        assert_eq!(ls.caption_lines.len(), 1);
        assert!(ll.title_lines.len() >= 2 && ll.caption_lines.len() >= 2);
        assert!(ll.height > ls.height);
        let limit = WIDTH as i32 - 2 * MARGIN_X;
        for line in &ll.title_lines {
            assert!(text_width(line, TITLE_SIZE, FontStyle::Bold).unwrap() <= limit);
        }
        for line in &ll.caption_lines {
            assert!(text_width(line, CAPTION_SIZE, FontStyle::Normal).unwrap() <= limit);
        }
        assert_eq!(
            ll.caption_lines.join(" "),
            long.caption
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        );
    }

    #[test]
    fn numbers_are_grouped() {
        assert_eq!(format_number(0.0, 1), "0.0");
        assert_eq!(format_number(999.95, 1), "1,000.0");
        assert_eq!(format_number(1234567.0, 0), "1,234,567");
        assert_eq!(format_number(12.346, 2), "12.35");
        assert_eq!(nice_step(35.0), 10.0);
        assert_eq!(nice_step(0.8), 0.2);
        assert_eq!(step_decimals(0.2), 1);
        assert_eq!(step_decimals(5.0), 0);
        assert_eq!(ci_legend(0.95), "95% confidence interval");
        assert_eq!(ci_legend(0.998), "99.8% confidence interval");
        assert_eq!(ci_legend(f64::NAN), "Confidence interval");
    }
}
