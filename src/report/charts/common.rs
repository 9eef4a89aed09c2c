//! Shared layout, text measuring, drawing and atomic-writing helpers for the charts other than
//! the ranked ward bars. They follow the ward bar chart's conventions exactly: DejaVu Sans via
//! [`super::fonts`], the Okabe-Ito [`super::palette`], a 1,200 px wide canvas laid out by hand in
//! pixel space, the SVG drawn in memory and both files written to temporary siblings and
//! renamed into place, with byte-identical output for identical input.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use plotters::coord::Shift;
use plotters::element::{Circle, DashedPathElement};
use plotters::prelude::{
    BitMapBackend, DrawingArea, DrawingAreaErrorKind, DrawingBackend, IntoDrawingArea, PathElement,
    Polygon, Rectangle, SVGBackend, Text,
};
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{Color, FontDesc, FontFamily, FontStyle, RGBColor, TextStyle};

use super::error::ChartError;
use super::fonts::{FONT_FAMILY, ensure_fonts_registered};
use super::palette;

pub(crate) const WIDTH: u32 = 1200;
pub(crate) const MARGIN_X: i32 = 28;
pub(crate) const MARGIN_TOP: i32 = 22;
pub(crate) const MARGIN_BOTTOM: i32 = 18;

pub(crate) const TITLE_SIZE: f64 = 26.0;
pub(crate) const TITLE_LINE: i32 = 32;
pub(crate) const SUBTITLE_SIZE: f64 = 17.0;
pub(crate) const SUBTITLE_LINE: i32 = 23;
pub(crate) const LEGEND_SIZE: f64 = 15.0;
pub(crate) const LABEL_SIZE: f64 = 15.0;
pub(crate) const VALUE_SIZE: f64 = 13.0;
pub(crate) const TICK_SIZE: f64 = 14.0;
pub(crate) const AXIS_TITLE_SIZE: f64 = 15.0;
pub(crate) const CAPTION_SIZE: f64 = 13.0;
pub(crate) const CAPTION_LINE: i32 = 18;
pub(crate) const TICK_LEN: i32 = 5;

/// plotters' ab_glyph rasteriser draws vertically centred text a little high compared with the
/// SVG `dy="0.5ex"` convention; this many pixels per 10 px of font size puts it back.
const PNG_TEXT_NUDGE: i32 = 2;

// ---------------------------------------------------------------------------------------------
// Text.

pub(crate) fn font(size: f64, style: FontStyle) -> FontDesc<'static> {
    FontDesc::new(FontFamily::Name(FONT_FAMILY), size, style)
}

pub(crate) fn text_width(text: &str, size: f64, style: FontStyle) -> Result<i32, String> {
    font(size, style)
        .box_size(text)
        .map(|(w, _)| i32::try_from(w).unwrap_or(i32::MAX))
        .map_err(|e| format!("measuring text: {e:?}"))
}

/// Greedy word wrap to `max_px`. A single word wider than the line is kept whole.
pub(crate) fn wrap(
    text: &str,
    size: f64,
    style: FontStyle,
    max_px: i32,
) -> Result<Vec<String>, String> {
    let mut lines = Vec::new();
    for paragraph in text.lines() {
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            let candidate = if line.is_empty() {
                word.to_string()
            } else {
                format!("{line} {word}")
            };
            if line.is_empty() || text_width(&candidate, size, style)? <= max_px {
                line = candidate;
            } else {
                lines.push(std::mem::replace(&mut line, word.to_string()));
            }
        }
        if !line.is_empty() {
            lines.push(line);
        }
    }
    Ok(lines)
}

/// Shortens `text` with a trailing ellipsis so that it fits in `max_px`.
pub(crate) fn fit(text: &str, size: f64, style: FontStyle, max_px: i32) -> Result<String, String> {
    if text_width(text, size, style)? <= max_px {
        return Ok(text.to_string());
    }
    let mut chars: Vec<char> = text.chars().collect();
    while !chars.is_empty() {
        chars.pop();
        let candidate = format!("{}\u{2026}", chars.iter().collect::<String>().trim_end());
        if text_width(&candidate, size, style)? <= max_px {
            return Ok(candidate);
        }
    }
    Ok("\u{2026}".to_string())
}

/// Formats a number with `dp` decimals and thousands separators.
pub(crate) fn format_number(v: f64, dp: usize) -> String {
    let s = format!("{v:.dp$}");
    let (sign, s) = match s.strip_prefix('-') {
        Some(rest) if rest.chars().any(|c| c.is_ascii_digit() && c != '0') => ("-", rest),
        Some(rest) => ("", rest),
        None => ("", s.as_str()),
    };
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    let mut grouped = String::with_capacity(int.len() + int.len() / 3);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    match frac {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// Decimals that suit values up to `max`.
pub(crate) fn value_decimals(max: f64) -> usize {
    if max >= 10.0 {
        0
    } else if max >= 1.0 {
        1
    } else if max >= 0.1 {
        2
    } else {
        3
    }
}

/// Finite value or `None`.
pub(crate) fn finite(v: Option<f64>) -> Option<f64> {
    v.filter(|x| x.is_finite())
}

// ---------------------------------------------------------------------------------------------
// Axes.

/// A linear value axis with "nice" ticks.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Axis {
    pub min: f64,
    pub max: f64,
    pub step: f64,
    pub dp: usize,
}

impl Axis {
    /// An axis from `min` (rounded down to a tick) to past `max` (rounded up to a tick), with
    /// roughly `intervals` intervals. Degenerate ranges get a unit-wide axis.
    pub(crate) fn nice(min: f64, max: f64, intervals: f64) -> Axis {
        let (mut lo, mut hi) = (min, max);
        if !(lo.is_finite() && hi.is_finite()) {
            lo = 0.0;
            hi = 1.0;
        }
        if hi <= lo {
            hi = lo + if lo.abs() > 0.0 { lo.abs() } else { 1.0 };
        }
        let raw = (hi - lo) / intervals.max(1.0);
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
        let step = mult * mag;
        let min = ((lo / step) + 1e-9).floor() * step;
        let max = ((hi / step) - 1e-9).ceil() * step;
        let max = if max <= min { min + step } else { max };
        let d = -(step.log10() + 1e-9).floor();
        Axis {
            min,
            max,
            step,
            dp: if d > 0.0 { d as usize } else { 0 },
        }
    }

    pub(crate) fn ticks(&self) -> Vec<f64> {
        let count = ((self.max - self.min) / self.step)
            .round()
            .clamp(0.0, 1000.0) as usize;
        (0..=count)
            .map(|k| self.min + k as f64 * self.step)
            .collect()
    }

    /// Maps `v` to a pixel between `p0` (at `min`) and `p1` (at `max`), clamped.
    pub(crate) fn px(&self, v: f64, p0: i32, p1: i32) -> i32 {
        let frac = ((v - self.min) / (self.max - self.min)).clamp(0.0, 1.0);
        p0 + (frac * f64::from(p1 - p0)).round() as i32
    }
}

// ---------------------------------------------------------------------------------------------
// Drawing.

pub(crate) type DrawResult<DB> =
    Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

pub(crate) struct Painter<'r, DB: DrawingBackend> {
    pub root: &'r DrawingArea<DB, Shift>,
    /// Extra downward shift (px per 10 px of font size) for vertically centred text.
    pub nudge: i32,
}

impl<DB: DrawingBackend> Painter<'_, DB> {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn text(
        &self,
        s: &str,
        (x, y): (i32, i32),
        size: f64,
        style: FontStyle,
        color: &RGBColor,
        h: HPos,
        v: VPos,
    ) -> DrawResult<DB> {
        let dy = if matches!(v, VPos::Center) {
            (f64::from(self.nudge) * size / 10.0).round() as i32
        } else {
            0
        };
        let ts: TextStyle = font(size, style).color(color).pos(Pos::new(h, v));
        self.root.draw(&Text::new(s, (x, y + dy), ts))
    }

    pub(crate) fn line(
        &self,
        a: (i32, i32),
        b: (i32, i32),
        color: &RGBColor,
        width: u32,
    ) -> DrawResult<DB> {
        self.root
            .draw(&PathElement::new(vec![a, b], color.stroke_width(width)))
    }

    pub(crate) fn polyline(
        &self,
        pts: Vec<(i32, i32)>,
        color: &RGBColor,
        width: u32,
    ) -> DrawResult<DB> {
        if pts.len() < 2 {
            return Ok(());
        }
        self.root
            .draw(&PathElement::new(pts, color.stroke_width(width)))
    }

    /// A 7 px dash, 4 px gap line (reference lines).
    pub(crate) fn dashed(&self, pts: Vec<(i32, i32)>, color: &RGBColor, width: u32) -> DrawResult<DB> {
        self.broken(pts, color, width, 7)
    }

    /// A 2 px dot, 4 px gap line.
    pub(crate) fn dotted(&self, pts: Vec<(i32, i32)>, color: &RGBColor, width: u32) -> DrawResult<DB> {
        self.broken(pts, color, width, 2)
    }

    fn broken(&self, pts: Vec<(i32, i32)>, color: &RGBColor, width: u32, dash: u32) -> DrawResult<DB> {
        if pts.len() < 2 {
            return Ok(());
        }
        self.root.draw(&DashedPathElement::new(pts, dash, 4, color.stroke_width(width)))
    }

    pub(crate) fn rect(&self, a: (i32, i32), b: (i32, i32), color: &RGBColor) -> DrawResult<DB> {
        self.root.draw(&Rectangle::new([a, b], color.filled()))
    }

    pub(crate) fn rect_outline(
        &self,
        a: (i32, i32),
        b: (i32, i32),
        color: &RGBColor,
    ) -> DrawResult<DB> {
        self.root
            .draw(&Rectangle::new([a, b], color.stroke_width(1)))
    }

    pub(crate) fn polygon(
        &self,
        pts: Vec<(i32, i32)>,
        color: &RGBColor,
        alpha: f64,
    ) -> DrawResult<DB> {
        if pts.len() < 3 {
            return Ok(());
        }
        self.root
            .draw(&Polygon::new(pts, color.mix(alpha).filled()))
    }

    pub(crate) fn dot(
        &self,
        c: (i32, i32),
        r: i32,
        fill: &RGBColor,
        edge: &RGBColor,
    ) -> DrawResult<DB> {
        let r = u32::try_from(r.max(1)).unwrap_or(1);
        self.root.draw(&Circle::new(c, r, fill.filled()))?;
        self.root.draw(&Circle::new(c, r, edge.stroke_width(1)))
    }

    pub(crate) fn diamond(&self, (x, y): (i32, i32), r: i32, fill: &RGBColor) -> DrawResult<DB> {
        self.root.draw(&Polygon::new(
            vec![(x, y - r), (x + r, y), (x, y + r), (x - r, y)],
            fill.filled(),
        ))
    }
}

/// Something that can draw itself on either backend.
pub(crate) trait Scene {
    fn draw<DB: DrawingBackend>(&self, p: &Painter<DB>) -> DrawResult<DB>;
}

pub(crate) fn draw_error<E: std::error::Error + Send + Sync>(
    path: &Path,
    e: DrawingAreaErrorKind<E>,
) -> ChartError {
    ChartError::Draw {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// Registers the fonts, mapping a failure to [`ChartError::Font`] for `path`.
pub(crate) fn fonts_ready(path: &Path) -> Result<(), ChartError> {
    ensure_fonts_registered().map_err(|message| ChartError::Font {
        path: path.to_path_buf(),
        message,
    })
}

/// A layout failure (text measuring) as a [`ChartError::Font`].
pub(crate) fn layout_error(path: &Path) -> impl Fn(String) -> ChartError + '_ {
    move |message| ChartError::Font {
        path: path.to_path_buf(),
        message,
    }
}

pub(crate) fn no_data(path: &Path) -> ChartError {
    ChartError::NoData {
        path: path.to_path_buf(),
    }
}

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

pub(crate) fn temp_sibling(final_path: &Path, ext: &str) -> std::io::Result<PathBuf> {
    let parent = final_path.parent().unwrap_or(Path::new(""));
    if !parent.as_os_str().is_empty() {
        fs::create_dir_all(parent)?;
    }
    let stem = final_path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "chart".to_string());
    let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    Ok(parent.join(format!(
        ".tmp-{}-{}-{}.{}",
        std::process::id(),
        n,
        stem,
        ext
    )))
}

pub(crate) fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = fs::File::create(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// Draws `scene` on a `width` x `height` canvas and writes it atomically to `png_path` and
/// `svg_path` (temporary siblings, then rename; parents created).
pub(crate) fn write_chart<S: Scene>(
    scene: &S,
    (width, height): (u32, u32),
    png_path: &Path,
    svg_path: &Path,
) -> Result<(), ChartError> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&palette::BACKGROUND)
            .map_err(|e| draw_error(svg_path, e))?;
        scene
            .draw(&Painter {
                root: &root,
                nudge: 0,
            })
            .map_err(|e| draw_error(svg_path, e))?;
        root.present().map_err(|e| draw_error(svg_path, e))?;
    }
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ChartError::Io { path, source }
    };
    let png_tmp = temp_sibling(png_path, "png").map_err(io(png_path))?;
    let drawn = (|| {
        {
            let root = BitMapBackend::new(&png_tmp, (width, height)).into_drawing_area();
            root.fill(&palette::BACKGROUND)
                .map_err(|e| draw_error(png_path, e))?;
            scene
                .draw(&Painter {
                    root: &root,
                    nudge: PNG_TEXT_NUDGE,
                })
                .map_err(|e| draw_error(png_path, e))?;
            root.present().map_err(|e| draw_error(png_path, e))?;
        }
        fs::File::open(&png_tmp)
            .and_then(|f| f.sync_all())
            .map_err(io(png_path))
    })();
    if let Err(e) = drawn {
        let _ = fs::remove_file(&png_tmp);
        return Err(e);
    }
    commit_png_svg(&png_tmp, png_path, &svg, svg_path)
}

// ---------------------------------------------------------------------------------------------
// Frame: title, subtitle, legend, plot rectangle, axis titles and caption.

/// A legend key.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Key {
    Swatch(RGBColor),
    Line(RGBColor),
    Dashed(RGBColor),
    Dotted(RGBColor),
    Dot(RGBColor),
    Diamond(RGBColor),
    Whisker,
}

/// Text shared by every chart's frame.
pub(crate) struct FrameText<'a> {
    pub title: &'a str,
    pub subtitle: &'a str,
    pub caption: &'a str,
    /// Shown above the plot at its left edge (horizontal text, no rotation).
    pub y_label: &'a str,
    /// Shown centred under the plot.
    pub x_label: &'a str,
}

const KEY_W: i32 = 26;
const KEY_GAP: i32 = 8;
const ENTRY_GAP: i32 = 28;
const LEGEND_ROW: i32 = 24;

pub(crate) struct Frame {
    pub width: u32,
    pub height: u32,
    title_lines: Vec<String>,
    subtitle_lines: Vec<String>,
    subtitle_top: i32,
    legend: Vec<(Key, String, i32, i32)>,
    y_label: String,
    y_label_top: i32,
    x_label: String,
    pub plot_left: i32,
    pub plot_right: i32,
    pub plot_top: i32,
    pub plot_bottom: i32,
    x_label_top: i32,
    caption_lines: Vec<String>,
    caption_top: i32,
}

impl Frame {
    /// Lays out a frame whose plot is `plot_h` px tall, starts `left_px` px from the left edge
    /// and stops `right_px` px from the right edge; `below_px` px are left free under the plot
    /// (for tick labels) before the x-axis title.
    pub(crate) fn new(
        t: &FrameText,
        legend: &[(Key, String)],
        left_px: i32,
        right_px: i32,
        plot_h: i32,
        below_px: i32,
    ) -> Result<Frame, String> {
        let text_px = WIDTH as i32 - 2 * MARGIN_X;
        let mut y = MARGIN_TOP;
        let title_lines = wrap(t.title, TITLE_SIZE, FontStyle::Bold, text_px)?;
        y += TITLE_LINE * title_lines.len() as i32;
        let subtitle_lines = wrap(t.subtitle, SUBTITLE_SIZE, FontStyle::Normal, text_px)?;
        let subtitle_top = y + 2;
        y += SUBTITLE_LINE * subtitle_lines.len() as i32 + 14;

        let mut placed = Vec::with_capacity(legend.len());
        if !legend.is_empty() {
            let mut x = MARGIN_X;
            let mut mid = y + 10;
            for (key, label) in legend {
                let w = KEY_W + KEY_GAP + text_width(label, LEGEND_SIZE, FontStyle::Normal)?;
                if x > MARGIN_X && x + w > MARGIN_X + text_px {
                    x = MARGIN_X;
                    mid += LEGEND_ROW;
                }
                placed.push((*key, label.clone(), x, mid));
                x += w + ENTRY_GAP;
            }
            y = mid + 10 + 14;
        }
        let y_label_top = y;
        if !t.y_label.trim().is_empty() {
            y += 26;
        }
        y += 6;
        let plot_top = y;
        y += plot_h.max(40);
        let plot_bottom = y;
        y += below_px;
        let x_label_top = y;
        if !t.x_label.trim().is_empty() {
            y += 24;
        }
        y += 14;
        let caption_lines = wrap(t.caption, CAPTION_SIZE, FontStyle::Normal, text_px)?;
        let caption_top = y;
        y += CAPTION_LINE * caption_lines.len() as i32 + MARGIN_BOTTOM;

        Ok(Frame {
            width: WIDTH,
            height: u32::try_from(y).unwrap_or(u32::MAX),
            title_lines,
            subtitle_lines,
            subtitle_top,
            legend: placed,
            y_label: t.y_label.trim().to_string(),
            y_label_top,
            x_label: t.x_label.trim().to_string(),
            plot_left: MARGIN_X + left_px,
            plot_right: WIDTH as i32 - MARGIN_X - right_px,
            plot_top,
            plot_bottom,
            x_label_top,
            caption_lines,
            caption_top,
        })
    }

    pub(crate) fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    /// Draws the title, subtitle, legend, axis titles and caption.
    pub(crate) fn draw<DB: DrawingBackend>(&self, p: &Painter<DB>) -> DrawResult<DB> {
        for (k, line) in self.title_lines.iter().enumerate() {
            let y = MARGIN_TOP + TITLE_LINE * k as i32;
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
        for (k, line) in self.subtitle_lines.iter().enumerate() {
            let y = self.subtitle_top + SUBTITLE_LINE * k as i32;
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
        for (key, label, x, mid) in &self.legend {
            let (x, mid) = (*x, *mid);
            match key {
                Key::Swatch(c) => {
                    p.rect((x, mid - 7), (x + KEY_W, mid + 7), c)?;
                }
                Key::Line(c) => p.line((x, mid), (x + KEY_W, mid), c, 3)?,
                Key::Dashed(c) => p.dashed(vec![(x, mid), (x + KEY_W, mid)], c, 2)?,
                Key::Dotted(c) => p.dotted(vec![(x, mid), (x + KEY_W, mid)], c, 2)?,
                Key::Dot(c) => p.dot((x + KEY_W / 2, mid), 5, c, &palette::BLACK)?,
                Key::Diamond(c) => p.diamond((x + KEY_W / 2, mid), 7, c)?,
                Key::Whisker => {
                    p.line((x + 2, mid), (x + KEY_W - 2, mid), &palette::WHISKER, 1)?;
                    p.line((x + 2, mid - 5), (x + 2, mid + 5), &palette::WHISKER, 1)?;
                    p.line(
                        (x + KEY_W - 2, mid - 5),
                        (x + KEY_W - 2, mid + 5),
                        &palette::WHISKER,
                        1,
                    )?;
                }
            }
            p.text(
                label,
                (x + KEY_W + KEY_GAP, mid),
                LEGEND_SIZE,
                FontStyle::Normal,
                &palette::TEXT,
                HPos::Left,
                VPos::Center,
            )?;
        }
        if !self.y_label.is_empty() {
            p.text(
                &self.y_label,
                (MARGIN_X, self.y_label_top),
                AXIS_TITLE_SIZE,
                FontStyle::Normal,
                &palette::TEXT,
                HPos::Left,
                VPos::Top,
            )?;
        }
        if !self.x_label.is_empty() {
            let x = (self.plot_left + self.plot_right) / 2;
            p.text(
                &self.x_label,
                (x, self.x_label_top),
                AXIS_TITLE_SIZE,
                FontStyle::Normal,
                &palette::TEXT,
                HPos::Center,
                VPos::Top,
            )?;
        }
        for (k, line) in self.caption_lines.iter().enumerate() {
            let y = self.caption_top + CAPTION_LINE * k as i32;
            p.text(
                line,
                (MARGIN_X, y),
                CAPTION_SIZE,
                FontStyle::Normal,
                &palette::TEXT_MUTED,
                HPos::Left,
                VPos::Top,
            )?;
        }
        Ok(())
    }

    /// Horizontal grid lines and left tick labels for a value axis running up the plot.
    pub(crate) fn draw_y_axis<DB: DrawingBackend>(
        &self,
        p: &Painter<DB>,
        axis: &Axis,
        pct: bool,
    ) -> DrawResult<DB> {
        for t in axis.ticks() {
            let y = axis.px(t, self.plot_bottom, self.plot_top);
            p.line((self.plot_left, y), (self.plot_right, y), &palette::GRID, 1)?;
            p.line(
                (self.plot_left - TICK_LEN, y),
                (self.plot_left, y),
                &palette::AXIS,
                1,
            )?;
            let mut label = format_number(t, axis.dp);
            if pct {
                label.push('%');
            }
            p.text(
                &label,
                (self.plot_left - TICK_LEN - 4, y),
                TICK_SIZE,
                FontStyle::Normal,
                &palette::TEXT,
                HPos::Right,
                VPos::Center,
            )?;
        }
        p.line(
            (self.plot_left, self.plot_top),
            (self.plot_left, self.plot_bottom),
            &palette::AXIS,
            1,
        )
    }

    /// Vertical grid lines and bottom tick labels for a value axis running across the plot.
    pub(crate) fn draw_x_axis<DB: DrawingBackend>(
        &self,
        p: &Painter<DB>,
        axis: &Axis,
        pct: bool,
        grid: bool,
    ) -> DrawResult<DB> {
        for t in axis.ticks() {
            let x = axis.px(t, self.plot_left, self.plot_right);
            if grid {
                p.line((x, self.plot_top), (x, self.plot_bottom), &palette::GRID, 1)?;
            }
            p.line(
                (x, self.plot_bottom),
                (x, self.plot_bottom + TICK_LEN),
                &palette::AXIS,
                1,
            )?;
            let mut label = format_number(t, axis.dp);
            if pct {
                label.push('%');
            }
            p.text(
                &label,
                (x, self.plot_bottom + TICK_LEN + 3),
                TICK_SIZE,
                FontStyle::Normal,
                &palette::TEXT,
                HPos::Center,
                VPos::Top,
            )?;
        }
        p.line(
            (self.plot_left, self.plot_bottom),
            (self.plot_right, self.plot_bottom),
            &palette::AXIS,
            1,
        )
    }
}

/// Width needed for tick labels of `axis` (plus tick and gap).
pub(crate) fn y_tick_px(axis: &Axis, pct: bool) -> Result<i32, String> {
    let mut w = 0;
    for t in axis.ticks() {
        let mut label = format_number(t, axis.dp);
        if pct {
            label.push('%');
        }
        w = w.max(text_width(&label, TICK_SIZE, FontStyle::Normal)?);
    }
    Ok(w + TICK_LEN + 10)
}

#[cfg(test)]
pub(crate) mod test_support {
    use std::path::Path;

    /// Checks the PNG signature and returns the IHDR width and height.
    pub(crate) fn png_size(path: &Path) -> (u32, u32) {
        let b = std::fs::read(path).unwrap();
        assert_eq!(&b[..8], b"\x89PNG\r\n\x1a\n", "{}", path.display());
        assert_eq!(&b[12..16], b"IHDR");
        let w = u32::from_be_bytes([b[16], b[17], b[18], b[19]]);
        let h = u32::from_be_bytes([b[20], b[21], b[22], b[23]]);
        (w, h)
    }

    /// Renders twice into two folders and checks the bytes match; returns the first pair's paths.
    pub(crate) fn render_twice(
        dir: &Path,
        stem: &str,
        render: impl Fn(&Path, &Path),
    ) -> (std::path::PathBuf, std::path::PathBuf) {
        let (a_png, a_svg) = (
            dir.join("a").join(format!("{stem}.png")),
            dir.join("a").join(format!("{stem}.svg")),
        );
        let (b_png, b_svg) = (
            dir.join("b").join(format!("{stem}.png")),
            dir.join("b").join(format!("{stem}.svg")),
        );
        render(&a_png, &a_svg);
        render(&b_png, &b_svg);
        assert_eq!(
            std::fs::read(&a_png).unwrap(),
            std::fs::read(&b_png).unwrap()
        );
        assert_eq!(
            std::fs::read(&a_svg).unwrap(),
            std::fs::read(&b_svg).unwrap()
        );
        (a_png, a_svg)
    }
}

/// Finish an atomic PNG + SVG pair: the PNG is already rendered to `png_tmp`; write the SVG to its own
/// temporary sibling, then rename both into place. On any failure both temporaries are removed and
/// neither final file is touched by a half-written version.
pub(crate) fn commit_png_svg(png_tmp: &Path, png_path: &Path, svg: &str, svg_path: &Path) -> Result<(), ChartError> {
    let svg_tmp = match temp_sibling(svg_path, "svg") {
        Ok(p) => p,
        Err(source) => {
            let _ = fs::remove_file(png_tmp);
            return Err(ChartError::Io {
                path: svg_path.to_path_buf(),
                source,
            });
        }
    };
    if let Err(source) = write_synced(&svg_tmp, svg.as_bytes()) {
        let _ = fs::remove_file(&svg_tmp);
        let _ = fs::remove_file(png_tmp);
        return Err(ChartError::Io {
            path: svg_path.to_path_buf(),
            source,
        });
    }
    if let Err(source) = crate::fsutil::rename_into_place(png_tmp, png_path) {
        let _ = fs::remove_file(png_tmp);
        let _ = fs::remove_file(&svg_tmp);
        return Err(ChartError::Io {
            path: png_path.to_path_buf(),
            source,
        });
    }
    if let Err(source) = crate::fsutil::rename_into_place(&svg_tmp, svg_path) {
        let _ = fs::remove_file(&svg_tmp);
        return Err(ChartError::Io {
            path: svg_path.to_path_buf(),
            source,
        });
    }
    Ok(())
}
