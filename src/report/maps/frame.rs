//! The layout shared by every map: title, subtitle, ward polygons drawn north-up in British National
//! Grid metres, a legend column, north arrow, scale bar in km and a caption. One drawing routine
//! serves PNG and SVG; files are written atomically (temporary sibling, then rename) and identical
//! input gives identical bytes.

use std::fs;
use std::path::Path;

use geo::{Area, BoundingRect, InteriorPoint, MultiPolygon};
use plotters::coord::Shift;
use plotters::prelude::{
    BitMapBackend, DrawingArea, DrawingAreaErrorKind, DrawingBackend, IntoDrawingArea, PathElement,
    Polygon, Rectangle, SVGBackend, Text,
};
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{Color, FontStyle, RGBColor, TextStyle};

use crate::report::charts::common::{commit_png_svg, font, temp_sibling, text_width};
pub(crate) use crate::report::charts::common::{format_number, wrap};
use crate::report::charts::{ChartError, ensure_fonts_registered, palette};

pub(crate) const WIDTH: u32 = 1200;
const MARGIN_X: i32 = 28;
const MARGIN_TOP: i32 = 22;
const MARGIN_BOTTOM: i32 = 18;
const LEGEND_W: i32 = 330;
const GUTTER: i32 = 26;
/// Map panel height limits (px); the panel follows the area's aspect ratio within them.
const MIN_MAP_H: i32 = 420;
const MAX_MAP_H: i32 = 860;
/// Blank border inside the map panel so outlines are not clipped and the arrow has room.
const MAP_PAD: i32 = 16;

const TITLE_SIZE: f64 = 26.0;
const TITLE_LINE: i32 = 32;
const SUBTITLE_SIZE: f64 = 17.0;
const SUBTITLE_LINE: i32 = 23;
const LEGEND_TITLE_SIZE: f64 = 16.0;
const LEGEND_SIZE: f64 = 14.0;
const LEGEND_ROW: i32 = 27;
const NOTE_SIZE: f64 = 13.0;
const NOTE_LINE: i32 = 18;
const CAPTION_SIZE: f64 = 13.0;
const CAPTION_LINE: i32 = 18;
const PNG_TEXT_NUDGE: i32 = 2;

/// Ward outline colour: dark enough to read on the pale classes, light enough not to swamp small wards.
pub(crate) const OUTLINE: RGBColor = RGBColor(90, 90, 90);
/// Heavy outline for emphasised wards (e.g. Gi* islands).
pub(crate) const EMPHASIS: RGBColor = palette::BLACK;

/// One ward on the map.
pub(crate) struct MapWard<'a> {
    pub geometry: &'a MultiPolygon<f64>,
    pub fill: RGBColor,
    /// Draw a heavy outline around this ward.
    pub emphasis: bool,
    /// Ward name, printed on maps of at most [`MAX_LABELLED_WARDS`] wards where it fits.
    pub name: &'a str,
}

/// Maps with more wards than this are not labelled (the names would overlap).
pub(crate) const MAX_LABELLED_WARDS: usize = 40;
const LABEL_SIZE: f64 = 12.0;

/// One legend row: a swatch and its label.
pub(crate) struct LegendEntry {
    pub fill: RGBColor,
    /// The swatch is drawn with the heavy emphasis outline.
    pub emphasis: bool,
    pub label: String,
}

/// Everything one map needs.
pub(crate) struct MapSpec<'a> {
    pub title: String,
    pub subtitle: String,
    pub caption: String,
    pub legend_title: String,
    pub legend: Vec<LegendEntry>,
    /// Wrapped sentences under the legend (classification method, significance rule...).
    pub notes: Vec<String>,
    pub wards: Vec<MapWard<'a>>,
}

// ---------------------------------------------------------------------------------------------
// Text helpers.

// ---------------------------------------------------------------------------------------------
// Projection: BNG metres to pixels, equal scale on both axes, north up.

#[derive(Debug, Clone, Copy)]
struct Projection {
    min_x: f64,
    max_y: f64,
    /// Pixels per metre.
    scale: f64,
    left: f64,
    top: f64,
}

impl Projection {
    fn px(&self, x: f64, y: f64) -> (i32, i32) {
        (
            (self.left + (x - self.min_x) * self.scale).round() as i32,
            (self.top + (self.max_y - y) * self.scale).round() as i32,
        )
    }
}

/// A ring in pixels with consecutive duplicates removed (keeps rendering fast on detailed boundaries).
fn ring_px(proj: &Projection, ring: &geo::LineString<f64>) -> Vec<(i32, i32)> {
    let mut out: Vec<(i32, i32)> = Vec::with_capacity(ring.0.len().min(4096));
    for c in &ring.0 {
        if !(c.x.is_finite() && c.y.is_finite()) {
            continue;
        }
        let p = proj.px(c.x, c.y);
        if out.last() != Some(&p) {
            out.push(p);
        }
    }
    if out.len() > 1 && out.first() == out.last() {
        out.pop();
    }
    out
}

/// Bounding box (min_x, min_y, max_x, max_y) of all finite coordinates, or None.
fn bounds(wards: &[MapWard]) -> Option<(f64, f64, f64, f64)> {
    let mut b: Option<(f64, f64, f64, f64)> = None;
    for w in wards {
        for p in &w.geometry.0 {
            for c in p.exterior().0.iter().filter(|c| c.x.is_finite() && c.y.is_finite()) {
                b = Some(match b {
                    None => (c.x, c.y, c.x, c.y),
                    Some((a, bb, cc, d)) => (a.min(c.x), bb.min(c.y), cc.max(c.x), d.max(c.y)),
                });
            }
        }
    }
    b
}

/// A 1-2-5 length in metres no longer than `max_m` (at least 1 m).
pub(crate) fn scale_bar_metres(max_m: f64) -> f64 {
    if !(max_m.is_finite() && max_m >= 1.0) {
        return 1.0;
    }
    let mag = 10f64.powf(max_m.log10().floor());
    let norm = max_m / mag;
    let mult = if norm >= 5.0 {
        5.0
    } else if norm >= 2.0 {
        2.0
    } else {
        1.0
    };
    mult * mag
}

pub(crate) fn distance_label(m: f64) -> String {
    if m >= 1000.0 {
        let km = m / 1000.0;
        if (km - km.round()).abs() < 1e-9 {
            format!("{} km", format_number(km, 0))
        } else {
            format!("{} km", format_number(km, 1))
        }
    } else {
        format!("{} m", format_number(m, 0))
    }
}

// ---------------------------------------------------------------------------------------------
// Layout.

struct Layout {
    height: u32,
    title_lines: Vec<String>,
    subtitle_lines: Vec<String>,
    subtitle_top: i32,
    proj: Projection,
    legend_left: i32,
    legend_title_lines: Vec<String>,
    legend_labels: Vec<Vec<String>>,
    legend_top: i32,
    note_lines: Vec<String>,
    caption_lines: Vec<String>,
    caption_top: i32,
    bar_m: f64,
    bar_px: i32,
    furniture_top: i32,
}

/// Height of the north arrow and scale bar block under the legend.
const FURNITURE_H: i32 = 112;

impl Layout {
    fn new(spec: &MapSpec) -> Result<Layout, String> {
        let text_px = WIDTH as i32 - 2 * MARGIN_X;
        let mut y = MARGIN_TOP;
        let title_lines = wrap(&spec.title, TITLE_SIZE, FontStyle::Bold, text_px)?;
        y += TITLE_LINE * title_lines.len() as i32;
        let subtitle_lines = wrap(&spec.subtitle, SUBTITLE_SIZE, FontStyle::Normal, text_px)?;
        let subtitle_top = y + 2;
        y += SUBTITLE_LINE * subtitle_lines.len() as i32 + 16;

        // Legend column.
        let legend_left = WIDTH as i32 - MARGIN_X - LEGEND_W;
        let legend_title_lines = wrap(&spec.legend_title, LEGEND_TITLE_SIZE, FontStyle::Bold, LEGEND_W)?;
        let label_px = LEGEND_W - 40;
        let legend_labels = spec
            .legend
            .iter()
            .map(|e| wrap(&e.label, LEGEND_SIZE, FontStyle::Normal, label_px))
            .collect::<Result<Vec<_>, String>>()?;
        let mut note_lines = Vec::new();
        for n in &spec.notes {
            note_lines.extend(wrap(n, NOTE_SIZE, FontStyle::Normal, LEGEND_W)?);
            note_lines.push(String::new());
        }
        note_lines.pop();
        let legend_h = 22 * legend_title_lines.len() as i32
            + 8
            + legend_labels.iter().map(|l| LEGEND_ROW.max(18 * l.len() as i32 + 9)).sum::<i32>()
            + 12
            + NOTE_LINE * note_lines.len() as i32;
        // North arrow and scale bar sit under the legend, off the map, so they never hide a ward.
        let furniture_top = y + legend_h + 22;
        let legend_h = legend_h + 22 + FURNITURE_H;

        // Map panel, following the area's aspect ratio.
        let map_left = MARGIN_X;
        let map_right = legend_left - GUTTER;
        let map_w = map_right - map_left;
        let (min_x, min_y, max_x, max_y) = bounds(&spec.wards).unwrap_or((0.0, 0.0, 1.0, 1.0));
        let dx = (max_x - min_x).max(1.0);
        let dy = (max_y - min_y).max(1.0);
        let inner_w = f64::from(map_w - 2 * MAP_PAD);
        let want_h = (inner_w * dy / dx).round() as i32 + 2 * MAP_PAD;
        let map_h = want_h.clamp(MIN_MAP_H, MAX_MAP_H).max(legend_h.min(MAX_MAP_H));
        let inner_h = f64::from(map_h - 2 * MAP_PAD);
        let scale = (inner_w / dx).min(inner_h / dy);
        let map_top = y;
        let proj = Projection {
            min_x,
            max_y,
            scale,
            left: f64::from(map_left + MAP_PAD) + (inner_w - dx * scale) / 2.0,
            top: f64::from(map_top + MAP_PAD) + (inner_h - dy * scale) / 2.0,
        };
        let map_bottom = map_top + map_h;
        let bar_m = scale_bar_metres(f64::from(LEGEND_W - 60).min(0.3 * f64::from(map_w)) / scale);
        let bar_px = ((bar_m * scale).round() as i32).max(1);

        y = map_bottom.max(map_top + legend_h) + 16;
        let caption_lines = wrap(&spec.caption, CAPTION_SIZE, FontStyle::Normal, text_px)?;
        let caption_top = y;
        y += CAPTION_LINE * caption_lines.len() as i32 + MARGIN_BOTTOM;

        Ok(Layout {
            height: u32::try_from(y).unwrap_or(u32::MAX),
            title_lines,
            subtitle_lines,
            subtitle_top,
            proj,
            legend_left,
            legend_title_lines,
            legend_labels,
            legend_top: map_top,
            note_lines,
            caption_lines,
            caption_top,
            bar_m,
            bar_px,
            furniture_top,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Drawing.

type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

struct Painter<'r, DB: DrawingBackend> {
    root: &'r DrawingArea<DB, Shift>,
    nudge: i32,
}

impl<DB: DrawingBackend> Painter<'_, DB> {
    #[allow(clippy::too_many_arguments)]
    fn text(&self, s: &str, (x, y): (i32, i32), size: f64, style: FontStyle, color: &RGBColor, h: HPos, v: VPos) -> DrawResult<DB> {
        let dy = if matches!(v, VPos::Center) { (f64::from(self.nudge) * size / 10.0).round() as i32 } else { 0 };
        let ts: TextStyle = font(size, style).color(color).pos(Pos::new(h, v));
        self.root.draw(&Text::new(s, (x, y + dy), ts))
    }

    fn path(&self, pts: Vec<(i32, i32)>, color: &RGBColor, width: u32) -> DrawResult<DB> {
        self.root.draw(&PathElement::new(pts, color.stroke_width(width)))
    }

    fn rect(&self, a: (i32, i32), b: (i32, i32), color: &RGBColor) -> DrawResult<DB> {
        self.root.draw(&Rectangle::new([a, b], color.filled()))
    }

    fn rect_outline(&self, a: (i32, i32), b: (i32, i32), color: &RGBColor, width: u32) -> DrawResult<DB> {
        self.root.draw(&Rectangle::new([a, b], color.stroke_width(width)))
    }

    fn polygon(&self, pts: Vec<(i32, i32)>, color: &RGBColor) -> DrawResult<DB> {
        self.root.draw(&Polygon::new(pts, color.filled()))
    }
}

/// A polygon in pixels: exterior ring and holes.
type PixelPolygon = (Vec<(i32, i32)>, Vec<Vec<(i32, i32)>>);

fn closed(mut pts: Vec<(i32, i32)>) -> Vec<(i32, i32)> {
    if let Some(&first) = pts.first() {
        pts.push(first);
    }
    pts
}

fn draw_map<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, spec: &MapSpec, l: &Layout, nudge: i32) -> DrawResult<DB> {
    let p = Painter { root, nudge };
    root.fill(&palette::BACKGROUND)?;

    for (k, line) in l.title_lines.iter().enumerate() {
        p.text(line, (MARGIN_X, MARGIN_TOP + TITLE_LINE * k as i32), TITLE_SIZE, FontStyle::Bold, &palette::TEXT, HPos::Left, VPos::Top)?;
    }
    for (k, line) in l.subtitle_lines.iter().enumerate() {
        p.text(line, (MARGIN_X, l.subtitle_top + SUBTITLE_LINE * k as i32), SUBTITLE_SIZE, FontStyle::Normal, &palette::TEXT_MUTED, HPos::Left, VPos::Top)?;
    }

    // Fills, largest ward first so a ward inside another's hole is drawn over it; holes are cleared.
    let mut order: Vec<(usize, f64)> = spec.wards.iter().enumerate().map(|(i, w)| (i, w.geometry.unsigned_area())).collect();
    order.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let projected: Vec<Vec<PixelPolygon>> = spec
        .wards
        .iter()
        .map(|w| {
            w.geometry
                .0
                .iter()
                .map(|poly| (ring_px(&l.proj, poly.exterior()), poly.interiors().iter().map(|r| ring_px(&l.proj, r)).collect()))
                .collect()
        })
        .collect();
    for &(i, _) in &order {
        for (ext, holes) in &projected[i] {
            if ext.len() >= 3 {
                p.polygon(ext.clone(), &spec.wards[i].fill)?;
            }
            for h in holes.iter().filter(|h| h.len() >= 3) {
                p.polygon(h.clone(), &palette::BACKGROUND)?;
            }
        }
    }
    // Outlines, then the emphasised wards on top.
    for polys in &projected {
        for (ext, holes) in polys {
            for ring in std::iter::once(ext).chain(holes) {
                if ring.len() >= 2 {
                    p.path(closed(ring.clone()), &OUTLINE, 1)?;
                }
            }
        }
    }
    for (w, polys) in spec.wards.iter().zip(&projected) {
        if !w.emphasis {
            continue;
        }
        for (ext, _) in polys {
            if ext.len() >= 2 {
                p.path(closed(ext.clone()), &EMPHASIS, 3)?;
            }
        }
    }

    if spec.wards.len() <= MAX_LABELLED_WARDS {
        draw_labels(&p, spec, l)?;
    }
    draw_north_arrow(&p, l)?;
    draw_scale_bar(&p, l)?;
    draw_legend(&p, spec, l)?;

    for (k, line) in l.caption_lines.iter().enumerate() {
        p.text(line, (MARGIN_X, l.caption_top + CAPTION_LINE * k as i32), CAPTION_SIZE, FontStyle::Normal, &palette::TEXT_MUTED, HPos::Left, VPos::Top)?;
    }
    Ok(())
}

/// Ward names at an interior point of each ward's largest part, with a white halo, when they fit
/// inside the part's extent and do not collide with a name already placed (largest wards first).
fn draw_labels<DB: DrawingBackend>(p: &Painter<'_, DB>, spec: &MapSpec, l: &Layout) -> DrawResult<DB> {
    let mut candidates = Vec::new();
    for (i, w) in spec.wards.iter().enumerate() {
        let name = w.name.trim();
        let Some(part) = w.geometry.0.iter().max_by(|a, b| a.unsigned_area().total_cmp(&b.unsigned_area())) else { continue };
        let (Some(pt), Some(bb)) = (part.interior_point(), part.bounding_rect()) else { continue };
        let Ok(text_px) = text_width(name, LABEL_SIZE, FontStyle::Normal) else { continue };
        let (x, y) = l.proj.px(pt.x(), pt.y());
        let (left, top) = l.proj.px(bb.min().x, bb.max().y);
        let (right, bottom) = l.proj.px(bb.max().x, bb.min().y);
        let half = text_px / 2 + 2;
        if name.is_empty() || x - half < left || x + half > right || y - 8 < top || y + 8 > bottom {
            continue;
        }
        candidates.push((part.unsigned_area(), i, name, (x - half, y - 9, x + half, y + 9)));
    }
    candidates.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut placed: Vec<(i32, i32, i32, i32)> = Vec::new();
    for (_, _, name, bx) in candidates {
        if placed.iter().any(|o| bx.0 < o.2 && o.0 < bx.2 && bx.1 < o.3 && o.1 < bx.3) {
            continue;
        }
        placed.push(bx);
        let (x, y) = ((bx.0 + bx.2) / 2, (bx.1 + bx.3) / 2);
        for (dx, dy) in [(-1, -1), (0, -1), (1, -1), (-1, 0), (1, 0), (-1, 1), (0, 1), (1, 1)] {
            p.text(name, (x + dx, y + dy), LABEL_SIZE, FontStyle::Normal, &palette::BACKGROUND, HPos::Center, VPos::Center)?;
        }
        p.text(name, (x, y), LABEL_SIZE, FontStyle::Normal, &palette::TEXT, HPos::Center, VPos::Center)?;
    }
    Ok(())
}

fn draw_north_arrow<DB: DrawingBackend>(p: &Painter<'_, DB>, l: &Layout) -> DrawResult<DB> {
    let cx = l.legend_left + 12;
    let top = l.furniture_top;
    p.text("N", (cx, top), 16.0, FontStyle::Bold, &palette::TEXT, HPos::Center, VPos::Top)?;
    let tip = top + 22;
    // Half-filled arrow head: the classic north arrow reads at any size.
    p.polygon(vec![(cx, tip), (cx - 9, tip + 30), (cx, tip + 22)], &palette::TEXT)?;
    p.polygon(vec![(cx, tip), (cx + 9, tip + 30), (cx, tip + 22)], &palette::BACKGROUND)?;
    p.path(vec![(cx, tip), (cx - 9, tip + 30), (cx, tip + 22), (cx + 9, tip + 30), (cx, tip)], &palette::TEXT, 1)?;
    p.text("Map grid north (British National Grid)", (cx + 22, tip + 15), NOTE_SIZE, FontStyle::Normal, &palette::TEXT_MUTED, HPos::Left, VPos::Center)
}

fn draw_scale_bar<DB: DrawingBackend>(p: &Painter<'_, DB>, l: &Layout) -> DrawResult<DB> {
    let x0 = l.legend_left + 4;
    let y0 = l.furniture_top + 86;
    let y1 = y0 + 7;
    let half = l.bar_px / 2;
    p.rect((x0, y0), (x0 + half, y1), &palette::TEXT)?;
    p.rect_outline((x0, y0), (x0 + l.bar_px, y1), &palette::TEXT, 1)?;
    p.text("0", (x0, y0 - 3), 13.0, FontStyle::Normal, &palette::TEXT, HPos::Center, VPos::Bottom)?;
    p.text(&distance_label(l.bar_m), (x0 + l.bar_px, y0 - 3), 13.0, FontStyle::Normal, &palette::TEXT, HPos::Center, VPos::Bottom)
}

fn draw_legend<DB: DrawingBackend>(p: &Painter<'_, DB>, spec: &MapSpec, l: &Layout) -> DrawResult<DB> {
    let x = l.legend_left;
    let mut y = l.legend_top;
    for line in &l.legend_title_lines {
        p.text(line, (x, y), LEGEND_TITLE_SIZE, FontStyle::Bold, &palette::TEXT, HPos::Left, VPos::Top)?;
        y += 22;
    }
    y += 8;
    for (e, lines) in spec.legend.iter().zip(&l.legend_labels) {
        let row = LEGEND_ROW.max(18 * lines.len() as i32 + 9);
        p.rect((x, y + 2), (x + 30, y + 20), &e.fill)?;
        if e.emphasis {
            p.rect_outline((x + 1, y + 3), (x + 29, y + 19), &EMPHASIS, 3)?;
        } else {
            p.rect_outline((x, y + 2), (x + 30, y + 20), &OUTLINE, 1)?;
        }
        for (k, line) in lines.iter().enumerate() {
            p.text(line, (x + 40, y + 11 + 18 * k as i32), LEGEND_SIZE, FontStyle::Normal, &palette::TEXT, HPos::Left, VPos::Center)?;
        }
        y += row;
    }
    y += 12;
    for line in &l.note_lines {
        if !line.is_empty() {
            p.text(line, (x, y), NOTE_SIZE, FontStyle::Normal, &palette::TEXT_MUTED, HPos::Left, VPos::Top)?;
        }
        y += NOTE_LINE;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Output.

fn draw_error<E: std::error::Error + Send + Sync>(path: &Path, e: DrawingAreaErrorKind<E>) -> ChartError {
    ChartError::Draw { path: path.to_path_buf(), message: e.to_string() }
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> ChartError + '_ {
    move |source| ChartError::Io { path: path.to_path_buf(), source }
}

/// Draws `spec` and writes it to `png_path` and `svg_path` atomically.
pub(crate) fn render_map(spec: &MapSpec, png_path: &Path, svg_path: &Path) -> Result<(), ChartError> {
    if spec.wards.is_empty() || bounds(&spec.wards).is_none() {
        return Err(ChartError::NoData { path: png_path.to_path_buf() });
    }
    ensure_fonts_registered().map_err(|message| ChartError::Font { path: png_path.to_path_buf(), message })?;
    let l = Layout::new(spec).map_err(|message| ChartError::Font { path: png_path.to_path_buf(), message })?;

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, l.height)).into_drawing_area();
        draw_map(&root, spec, &l, 0).map_err(|e| draw_error(svg_path, e))?;
        root.present().map_err(|e| draw_error(svg_path, e))?;
    }

    let png_tmp = temp_sibling(png_path, "png").map_err(io(png_path))?;
    let drawn = (|| {
        let root = BitMapBackend::new(&png_tmp, (WIDTH, l.height)).into_drawing_area();
        draw_map(&root, spec, &l, PNG_TEXT_NUDGE).map_err(|e| draw_error(png_path, e))?;
        root.present().map_err(|e| draw_error(png_path, e))?;
        drop(root);
        fs::File::open(&png_tmp).and_then(|f| f.sync_all()).map_err(io(png_path))
    })();
    if let Err(e) = drawn {
        let _ = fs::remove_file(&png_tmp);
        return Err(e);
    }
    commit_png_svg(&png_tmp, png_path, &svg, svg_path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_bar_lengths_are_round() {
        assert_eq!(scale_bar_metres(3700.0), 2000.0);
        assert_eq!(scale_bar_metres(1000.0), 1000.0);
        assert_eq!(scale_bar_metres(560.0), 500.0);
        assert_eq!(scale_bar_metres(f64::NAN), 1.0);
        assert_eq!(distance_label(2000.0), "2 km");
        assert_eq!(distance_label(500.0), "500 m");
        assert_eq!(distance_label(20_000.0), "20 km");
        assert_eq!(format_number(1234.5, 1), "1,234.5");
    }
}
