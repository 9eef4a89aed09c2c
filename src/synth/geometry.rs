//! The synthetic borough's wards: Voronoi cells of relaxed random sites clipped to a convex outline, with
//! every shared edge replaced by one irregular (midpoint-displaced) polyline that both neighbours use, so
//! the wards tile the borough exactly. All coordinates are British National Grid metres.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::error::SynthError;
use super::rng::{self, SynthRng, streams};
use crate::geo::crs;

pub type Pt = [f64; 2];

/// Vertices closer than this are the same vertex.
const MERGE_TOL_M: f64 = 0.001;
/// Relative amplitude of midpoint displacement at each subdivision level.
const EDGE_AMPLITUDE: f64 = 0.14;
/// Edges are subdivided until segments are shorter than about this.
const EDGE_MIN_SEGMENT_M: f64 = 45.0;
const EDGE_MAX_DEPTH: u32 = 6;
/// Ward areas accepted before and after the edges are roughened (km²).
const CELL_AREA_KM2: (f64, f64) = (1.2, 5.6);
const WARD_AREA_KM2: (f64, f64) = (1.0, 6.0);
/// Generated offence points keep this far from any ward boundary, so rounding never changes their ward.
pub const POINT_MARGIN_M: f64 = 2.0;

#[derive(Debug, Clone)]
pub struct Ward {
    pub code: String,
    pub name: String,
    /// Counter-clockwise ring, open (first vertex not repeated).
    pub ring: Vec<Pt>,
    pub area_m2: f64,
    pub centroid: Pt,
    pub bbox: [f64; 4],
    /// Coarse cells over the bbox classified once, so most point tests skip the polygon.
    grid: Grid,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CellState {
    /// Every point of the cell is inside the ward and at least [`POINT_MARGIN_M`] from its boundary.
    Inside,
    /// No point of the cell is inside the ward.
    Outside,
    /// Test the polygon.
    Mixed,
}

#[derive(Debug, Clone, Default)]
struct Grid {
    origin: Pt,
    nx: usize,
    ny: usize,
    states: Vec<CellState>,
}

const GRID_CELL_M: f64 = 120.0;

impl Grid {
    fn new(ring: &[Pt], b: &[f64; 4]) -> Grid {
        let nx = (((b[2] - b[0]) / GRID_CELL_M).ceil() as usize).max(1);
        let ny = (((b[3] - b[1]) / GRID_CELL_M).ceil() as usize).max(1);
        let half_diag = GRID_CELL_M * std::f64::consts::FRAC_1_SQRT_2;
        let mut states = Vec::with_capacity(nx * ny);
        for j in 0..ny {
            for i in 0..nx {
                let c = [b[0] + (i as f64 + 0.5) * GRID_CELL_M, b[1] + (j as f64 + 0.5) * GRID_CELL_M];
                let d = dist_to_ring(c, ring);
                states.push(if d <= half_diag + POINT_MARGIN_M + 1.0 {
                    CellState::Mixed
                } else if point_in_ring(c, ring) {
                    CellState::Inside
                } else {
                    CellState::Outside
                });
            }
        }
        Grid { origin: [b[0], b[1]], nx, ny, states }
    }

    fn state(&self, p: Pt) -> CellState {
        let (fx, fy) = ((p[0] - self.origin[0]) / GRID_CELL_M, (p[1] - self.origin[1]) / GRID_CELL_M);
        if fx < 0.0 || fy < 0.0 || self.states.is_empty() {
            return CellState::Outside;
        }
        let (i, j) = (fx as usize, fy as usize);
        if i >= self.nx || j >= self.ny {
            return CellState::Outside;
        }
        self.states[j * self.nx + i]
    }
}

impl Ward {
    fn new(code: String, ring: Vec<Pt>) -> Ward {
        let b = bbox(&ring);
        Ward {
            code,
            name: String::new(),
            area_m2: signed_area(&ring),
            centroid: centroid(&ring),
            grid: Grid::new(&ring, &b),
            bbox: b,
            ring,
        }
    }

    /// Is `p` inside this ward?
    pub fn contains(&self, p: Pt) -> bool {
        match self.grid.state(p) {
            CellState::Inside => true,
            CellState::Outside => false,
            CellState::Mixed => point_in_ring(p, &self.ring),
        }
    }

    /// Is `p` inside this ward and at least [`POINT_MARGIN_M`] from its boundary?
    fn contains_with_margin(&self, p: Pt) -> bool {
        match self.grid.state(p) {
            CellState::Inside => true,
            CellState::Outside => false,
            CellState::Mixed => point_in_ring(p, &self.ring) && dist_to_ring(p, &self.ring) >= POINT_MARGIN_M,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Borough {
    pub centre: Pt,
    /// Sorted by code.
    pub wards: Vec<Ward>,
    /// The borough boundary (union of the wards), counter-clockwise, open.
    pub outline: Vec<Pt>,
    pub area_m2: f64,
    pub bbox: [f64; 4],
    /// Ward indices sharing an edge, each list sorted.
    pub neighbours: Vec<Vec<usize>>,
    /// The two adjacent central wards, sorted.
    pub hot: [usize; 2],
}

pub fn signed_area(ring: &[Pt]) -> f64 {
    let n = ring.len();
    let mut s = 0.0;
    for i in 0..n {
        let a = ring[i];
        let b = ring[(i + 1) % n];
        s += a[0] * b[1] - b[0] * a[1];
    }
    s / 2.0
}

pub fn centroid(ring: &[Pt]) -> Pt {
    let n = ring.len();
    let (mut cx, mut cy, mut a2) = (0.0, 0.0, 0.0);
    // Shift to the first vertex for numerical stability with large BNG coordinates.
    let o = ring[0];
    for i in 0..n {
        let a = [ring[i][0] - o[0], ring[i][1] - o[1]];
        let b = [ring[(i + 1) % n][0] - o[0], ring[(i + 1) % n][1] - o[1]];
        let c = a[0] * b[1] - b[0] * a[1];
        cx += (a[0] + b[0]) * c;
        cy += (a[1] + b[1]) * c;
        a2 += c;
    }
    if a2.abs() < f64::EPSILON {
        return o;
    }
    [o[0] + cx / (3.0 * a2), o[1] + cy / (3.0 * a2)]
}

pub fn bbox(ring: &[Pt]) -> [f64; 4] {
    let mut b = [f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY];
    for p in ring {
        b[0] = b[0].min(p[0]);
        b[1] = b[1].min(p[1]);
        b[2] = b[2].max(p[0]);
        b[3] = b[3].max(p[1]);
    }
    b
}

fn in_bbox(p: Pt, b: &[f64; 4]) -> bool {
    p[0] >= b[0] && p[0] <= b[2] && p[1] >= b[1] && p[1] <= b[3]
}

/// Even-odd point in polygon.
pub fn point_in_ring(p: Pt, ring: &[Pt]) -> bool {
    let n = ring.len();
    let mut inside = false;
    let mut j = n - 1;
    for i in 0..n {
        let (a, b) = (ring[i], ring[j]);
        if (a[1] > p[1]) != (b[1] > p[1]) {
            let x = a[0] + (p[1] - a[1]) * (b[0] - a[0]) / (b[1] - a[1]);
            if p[0] < x {
                inside = !inside;
            }
        }
        j = i;
    }
    inside
}

fn dist2_to_segment(p: Pt, a: Pt, b: Pt) -> f64 {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 { (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2).clamp(0.0, 1.0) } else { 0.0 };
    let (qx, qy) = (a[0] + t * dx - p[0], a[1] + t * dy - p[1]);
    qx * qx + qy * qy
}

/// Distance from `p` to the boundary of `ring`.
pub fn dist_to_ring(p: Pt, ring: &[Pt]) -> f64 {
    let n = ring.len();
    (0..n).map(|i| dist2_to_segment(p, ring[i], ring[(i + 1) % n])).fold(f64::INFINITY, f64::min).sqrt()
}

fn orient(a: Pt, b: Pt, c: Pt) -> f64 {
    (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
}

fn on_segment(a: Pt, b: Pt, p: Pt) -> bool {
    p[0] >= a[0].min(b[0]) && p[0] <= a[0].max(b[0]) && p[1] >= a[1].min(b[1]) && p[1] <= a[1].max(b[1])
}

/// Do closed segments `ab` and `cd` meet anywhere other than at a shared endpoint?
fn segments_conflict(a: Pt, b: Pt, c: Pt, d: Pt) -> bool {
    let shared = [(a, c), (a, d), (b, c), (b, d)].into_iter().find(|(p, q)| p == q).map(|(p, _)| p);
    if let Some(s) = shared {
        // Two segments from one vertex conflict only if they overlap (collinear, same direction).
        let u = if a == s { b } else { a };
        let v = if c == s { d } else { c };
        if u == v {
            return true;
        }
        let cross = orient(s, u, v);
        let dot = (u[0] - s[0]) * (v[0] - s[0]) + (u[1] - s[1]) * (v[1] - s[1]);
        return cross == 0.0 && dot > 0.0;
    }
    let o1 = orient(a, b, c);
    let o2 = orient(a, b, d);
    let o3 = orient(c, d, a);
    let o4 = orient(c, d, b);
    if ((o1 > 0.0 && o2 < 0.0) || (o1 < 0.0 && o2 > 0.0)) && ((o3 > 0.0 && o4 < 0.0) || (o3 < 0.0 && o4 > 0.0)) {
        return true;
    }
    (o1 == 0.0 && on_segment(a, b, c))
        || (o2 == 0.0 && on_segment(a, b, d))
        || (o3 == 0.0 && on_segment(c, d, a))
        || (o4 == 0.0 && on_segment(c, d, b))
}

/// Monotone-chain convex hull, counter-clockwise.
fn convex_hull(mut pts: Vec<Pt>) -> Vec<Pt> {
    pts.sort_by(|a, b| a[0].total_cmp(&b[0]).then(a[1].total_cmp(&b[1])));
    pts.dedup();
    if pts.len() < 3 {
        return pts;
    }
    let mut lower: Vec<Pt> = Vec::new();
    for &p in &pts {
        while lower.len() >= 2 && orient(lower[lower.len() - 2], lower[lower.len() - 1], p) <= 0.0 {
            lower.pop();
        }
        lower.push(p);
    }
    let mut upper: Vec<Pt> = Vec::new();
    for &p in pts.iter().rev() {
        while upper.len() >= 2 && orient(upper[upper.len() - 2], upper[upper.len() - 1], p) <= 0.0 {
            upper.pop();
        }
        upper.push(p);
    }
    lower.pop();
    upper.pop();
    lower.extend(upper);
    lower
}

/// Keep the part of convex `poly` where `n . p <= c`.
fn clip_half_plane(poly: &[Pt], n: Pt, c: f64) -> Vec<Pt> {
    let mut out = Vec::with_capacity(poly.len() + 1);
    let len = poly.len();
    for k in 0..len {
        let cur = poly[k];
        let nxt = poly[(k + 1) % len];
        let dc = n[0] * cur[0] + n[1] * cur[1] - c;
        let dn = n[0] * nxt[0] + n[1] * nxt[1] - c;
        if dc <= 0.0 {
            out.push(cur);
        }
        if (dc <= 0.0) != (dn <= 0.0) {
            let t = dc / (dc - dn);
            out.push([cur[0] + (nxt[0] - cur[0]) * t, cur[1] + (nxt[1] - cur[1]) * t]);
        }
    }
    out
}

fn voronoi_cells(sites: &[Pt], outline: &[Pt]) -> Vec<Vec<Pt>> {
    sites
        .iter()
        .enumerate()
        .map(|(i, &s)| {
            let mut poly = outline.to_vec();
            for (j, &t) in sites.iter().enumerate() {
                if i == j || poly.is_empty() {
                    continue;
                }
                let n = [t[0] - s[0], t[1] - s[1]];
                let m = [(s[0] + t[0]) / 2.0, (s[1] + t[1]) / 2.0];
                poly = clip_half_plane(&poly, n, n[0] * m[0] + n[1] * m[1]);
            }
            poly
        })
        .collect()
}

fn make_outline(rng: &mut SynthRng, centre: Pt, radius: f64) -> Vec<Pt> {
    const N: usize = 16;
    let stretch = rng::uniform(rng, 1.0, 1.18);
    let tilt = rng::uniform(rng, 0.0, std::f64::consts::PI);
    let pts: Vec<Pt> = (0..N)
        .map(|k| {
            let theta = std::f64::consts::TAU * k as f64 / N as f64 + rng::uniform(rng, -0.12, 0.12);
            let r = radius * rng::uniform(rng, 0.86, 1.12);
            let (x, y) = (r * theta.cos() * stretch, r * theta.sin() / stretch);
            let (c, s) = (tilt.cos(), tilt.sin());
            [centre[0] + x * c - y * s, centre[1] + x * s + y * c]
        })
        .collect();
    convex_hull(pts)
}

fn sample_in(rng: &mut SynthRng, ring: &[Pt], b: &[f64; 4]) -> Pt {
    loop {
        let p = [rng::uniform(rng, b[0], b[2]), rng::uniform(rng, b[1], b[3])];
        if point_in_ring(p, ring) {
            return p;
        }
    }
}

/// Vertices merged within [`MERGE_TOL_M`].
struct Registry {
    pts: Vec<Pt>,
}

impl Registry {
    fn id(&mut self, p: Pt) -> usize {
        let tol2 = MERGE_TOL_M * MERGE_TOL_M;
        if let Some(i) = self.pts.iter().position(|q| (q[0] - p[0]).powi(2) + (q[1] - p[1]).powi(2) <= tol2) {
            return i;
        }
        self.pts.push(p);
        self.pts.len() - 1
    }
}

/// Cells as rings of vertex ids, and every undirected edge with the cells using it.
struct Topology {
    verts: Vec<Pt>,
    rings: Vec<Vec<usize>>,
    /// (low id, high id) -> cells using the edge.
    edges: BTreeMap<(usize, usize), Vec<usize>>,
}

impl Topology {
    fn new(cells: &[Vec<Pt>], outline: &[Pt]) -> Option<Topology> {
        let mut reg = Registry { pts: Vec::new() };
        let mut rings = Vec::with_capacity(cells.len());
        for cell in cells {
            let mut ids: Vec<usize> = cell.iter().map(|&p| reg.id(p)).collect();
            ids.dedup();
            while ids.len() > 1 && ids.first() == ids.last() {
                ids.pop();
            }
            if ids.len() < 3 {
                return None;
            }
            rings.push(ids);
        }
        let mut edges: BTreeMap<(usize, usize), Vec<usize>> = BTreeMap::new();
        let mut directed: BTreeMap<(usize, usize), usize> = BTreeMap::new();
        for (c, ring) in rings.iter().enumerate() {
            for k in 0..ring.len() {
                let (a, b) = (ring[k], ring[(k + 1) % ring.len()]);
                if directed.insert((a, b), c).is_some() {
                    return None; // the same directed edge twice: overlapping cells
                }
                edges.entry((a.min(b), a.max(b))).or_default().push(c);
            }
        }
        for (&(a, b), users) in &edges {
            let ok = match users.len() {
                2 => true,
                1 => {
                    let (pa, pb) = (reg.pts[a], reg.pts[b]);
                    let mid = [(pa[0] + pb[0]) / 2.0, (pa[1] + pb[1]) / 2.0];
                    [pa, pb, mid].iter().all(|&p| dist_to_ring(p, outline) < 10.0 * MERGE_TOL_M)
                }
                _ => false,
            };
            if !ok {
                return None;
            }
        }
        Some(Topology { verts: reg.pts, rings, edges })
    }

    /// Interior points of each edge's polyline, from low id to high id.
    fn roughen(
        &self,
        seed: u64,
        attempt: u64,
        amp: &BTreeMap<(usize, usize), f64>,
    ) -> BTreeMap<(usize, usize), Vec<Pt>> {
        let mut out = BTreeMap::new();
        for &(a, b) in self.edges.keys() {
            let mut r = rng::keyed(seed, streams::EDGES, &[attempt, a as u64, b as u64]);
            let mut pts = Vec::new();
            let k = amp.get(&(a, b)).copied().unwrap_or(0.0);
            displace(self.verts[a], self.verts[b], k, EDGE_MAX_DEPTH, &mut r, &mut pts);
            out.insert((a, b), pts);
        }
        out
    }

    /// Edges whose polylines cross another polyline (empty when the roughened tiling is valid).
    fn conflicts(&self, lines: &BTreeMap<(usize, usize), Vec<Pt>>) -> Vec<(usize, usize)> {
        struct Seg {
            edge: (usize, usize),
            a: Pt,
            b: Pt,
        }
        let mut segs: Vec<Seg> = Vec::new();
        for (&(a, b), interior) in lines {
            let mut prev = self.verts[a];
            for &p in interior.iter().chain(std::iter::once(&self.verts[b])) {
                segs.push(Seg { edge: (a, b), a: prev, b: p });
                prev = p;
            }
        }
        // Uniform grid over the segments' extent.
        const CELL: f64 = 250.0;
        let all: Vec<Pt> = segs.iter().flat_map(|s| [s.a, s.b]).collect();
        let bb = bbox(&all);
        let nx = (((bb[2] - bb[0]) / CELL).ceil() as usize).max(1);
        let ny = (((bb[3] - bb[1]) / CELL).ceil() as usize).max(1);
        let mut grid: Vec<Vec<usize>> = vec![Vec::new(); nx * ny];
        let cell_of = |x: f64, y: f64| {
            let i = (((x - bb[0]) / CELL) as usize).min(nx - 1);
            let j = (((y - bb[1]) / CELL) as usize).min(ny - 1);
            (i, j)
        };
        for (k, s) in segs.iter().enumerate() {
            let (i0, j0) = cell_of(s.a[0].min(s.b[0]), s.a[1].min(s.b[1]));
            let (i1, j1) = cell_of(s.a[0].max(s.b[0]), s.a[1].max(s.b[1]));
            for i in i0..=i1 {
                for j in j0..=j1 {
                    grid[j * nx + i].push(k);
                }
            }
        }
        let mut bad = std::collections::BTreeSet::new();
        for bucket in &grid {
            for (x, &i) in bucket.iter().enumerate() {
                for &j in &bucket[x + 1..] {
                    let (s, t) = (&segs[i], &segs[j]);
                    if segments_conflict(s.a, s.b, t.a, t.b) {
                        bad.insert(s.edge);
                        bad.insert(t.edge);
                    }
                }
            }
        }
        bad.into_iter().collect()
    }

    fn ward_ring(&self, cell: usize, lines: &BTreeMap<(usize, usize), Vec<Pt>>) -> Vec<Pt> {
        let ring = &self.rings[cell];
        let mut out = Vec::new();
        for k in 0..ring.len() {
            let (a, b) = (ring[k], ring[(k + 1) % ring.len()]);
            out.push(self.verts[a]);
            if let Some(interior) = lines.get(&(a.min(b), a.max(b))) {
                if a < b {
                    out.extend(interior.iter().copied());
                } else {
                    out.extend(interior.iter().rev().copied());
                }
            }
        }
        out
    }

    /// The borough boundary: boundary edges chained in their cells' direction.
    fn outline(&self, lines: &BTreeMap<(usize, usize), Vec<Pt>>) -> Option<Vec<Pt>> {
        let mut next: BTreeMap<usize, usize> = BTreeMap::new();
        for (c, ring) in self.rings.iter().enumerate() {
            for k in 0..ring.len() {
                let (a, b) = (ring[k], ring[(k + 1) % ring.len()]);
                let boundary = self.edges.get(&(a.min(b), a.max(b))).is_some_and(|u| u.len() == 1 && u[0] == c);
                if boundary && next.insert(a, b).is_some() {
                    return None;
                }
            }
        }
        let start = *next.keys().next()?;
        let mut out = Vec::new();
        let mut a = start;
        for _ in 0..next.len() {
            let b = *next.get(&a)?;
            out.push(self.verts[a]);
            let interior = lines.get(&(a.min(b), a.max(b)))?;
            if a < b {
                out.extend(interior.iter().copied());
            } else {
                out.extend(interior.iter().rev().copied());
            }
            a = b;
            if a == start {
                break;
            }
        }
        (a == start && out.len() >= 3).then_some(out)
    }
}

/// Midpoint displacement of segment `p`-`q`: pushes the interior points, in order, to `out`.
fn displace(p: Pt, q: Pt, amp: f64, depth: u32, rng: &mut SynthRng, out: &mut Vec<Pt>) {
    let (dx, dy) = (q[0] - p[0], q[1] - p[1]);
    let len = (dx * dx + dy * dy).sqrt();
    if depth == 0 || len < 2.0 * EDGE_MIN_SEGMENT_M {
        return;
    }
    let off = rng::uniform(rng, -1.0, 1.0) * amp * len;
    let m = [(p[0] + q[0]) / 2.0 - dy / len * off, (p[1] + q[1]) / 2.0 + dx / len * off];
    displace(p, m, amp, depth - 1, rng, out);
    out.push(m);
    displace(m, q, amp, depth - 1, rng, out);
}

/// Build `n_wards` wards (names empty) around `centre` with outline radius `radius` metres.
/// A nine-character ward code for the `i`-th ward in reading order: `E05099nnn` for the first 900 (every
/// code up to scale 45; `E05099901`.. are the neighbouring borough's wards), then `E05100nnn`.. beyond.
pub(super) fn ward_code(i: usize) -> String {
    if i < 900 { format!("E05099{:03}", i + 1) } else { format!("E05{:06}", 100_000 + i + 1) }
}

/// Lloyd relaxation rounds for the ward sites. Random sites give cell areas whose spread grows with the
/// number of wards, so that beyond a few hundred wards some cell almost always falls outside the accepted
/// sizes; more rounds even the cells out. Up to 200 wards (scale 10) the original two rounds are kept so
/// those boroughs are unchanged.
fn lloyd_rounds(n_wards: usize) -> usize {
    if n_wards <= 200 { 2 } else { 8 }
}

pub fn build(seed: u64, n_wards: usize, centre: Pt, radius: f64) -> Result<Borough, SynthError> {
    if n_wards < 2 {
        return Err(SynthError::Options("a borough needs at least two wards".into()));
    }
    for attempt in 0..200u64 {
        let mut r = rng::keyed(seed, streams::GEOMETRY, &[attempt]);
        let outline = make_outline(&mut r, centre, radius);
        let ob = bbox(&outline);
        let mut sites: Vec<Pt> = (0..n_wards).map(|_| sample_in(&mut r, &outline, &ob)).collect();
        for _ in 0..lloyd_rounds(n_wards) {
            let cells = voronoi_cells(&sites, &outline);
            if cells.iter().any(|c| c.len() < 3) {
                break;
            }
            sites = cells.iter().map(|c| centroid(c)).collect();
        }
        let cells = voronoi_cells(&sites, &outline);
        let areas_ok = cells.iter().all(|c| {
            let a = if c.len() >= 3 { signed_area(c) / 1e6 } else { 0.0 };
            a >= CELL_AREA_KM2.0 && a <= CELL_AREA_KM2.1
        });
        if !areas_ok {
            continue;
        }
        let Some(topo) = Topology::new(&cells, &outline) else { continue };
        let mut amp: BTreeMap<(usize, usize), f64> = topo.edges.keys().map(|&e| (e, EDGE_AMPLITUDE)).collect();
        let mut lines = topo.roughen(seed, attempt, &amp);
        for round in 0..12 {
            let bad = topo.conflicts(&lines);
            if bad.is_empty() {
                break;
            }
            for e in bad {
                if let Some(a) = amp.get_mut(&e) {
                    *a = if round >= 10 { 0.0 } else { *a * 0.5 };
                }
            }
            lines = topo.roughen(seed, attempt, &amp);
        }
        if !topo.conflicts(&lines).is_empty() {
            continue;
        }
        let rings: Vec<Vec<Pt>> = (0..cells.len()).map(|c| topo.ward_ring(c, &lines)).collect();
        if rings.iter().any(|r| {
            let a = signed_area(r) / 1e6;
            a < WARD_AREA_KM2.0 || a > WARD_AREA_KM2.1
        }) {
            continue;
        }
        let Some(boundary) = topo.outline(&lines) else { continue };
        // Codes in reading order: north to south in 1.5 km rows, west to east within a row.
        let mut order: Vec<usize> = (0..rings.len()).collect();
        let centroids: Vec<Pt> = rings.iter().map(|r| centroid(r)).collect();
        order.sort_by(|&i, &j| {
            let row = |c: Pt| (-(c[1] / 1500.0)).floor();
            row(centroids[i]).total_cmp(&row(centroids[j])).then(centroids[i][0].total_cmp(&centroids[j][0]))
        });
        let mut position = vec![0usize; order.len()];
        for (new, &old) in order.iter().enumerate() {
            position[old] = new;
        }
        let mut neighbours = vec![Vec::new(); rings.len()];
        for users in topo.edges.values() {
            if let [a, b] = users[..] {
                neighbours[position[a]].push(position[b]);
                neighbours[position[b]].push(position[a]);
            }
        }
        for n in &mut neighbours {
            n.sort_unstable();
            n.dedup();
        }
        let sorted: Vec<Ward> =
            order.iter().enumerate().map(|(i, &old)| Ward::new(ward_code(i), rings[old].clone())).collect();
        let area_m2 = signed_area(&boundary);
        let centre_of_mass = centroid(&boundary);
        let d2 = |p: Pt| (p[0] - centre_of_mass[0]).powi(2) + (p[1] - centre_of_mass[1]).powi(2);
        let first = (0..sorted.len())
            .min_by(|&i, &j| d2(sorted[i].centroid).total_cmp(&d2(sorted[j].centroid)))
            .ok_or_else(|| SynthError::Geometry("no wards".into()))?;
        let second = neighbours[first]
            .iter()
            .copied()
            .min_by(|&i, &j| d2(sorted[i].centroid).total_cmp(&d2(sorted[j].centroid)))
            .ok_or_else(|| SynthError::Geometry("central ward has no neighbour".into()))?;
        return Ok(Borough {
            centre: centre_of_mass,
            bbox: bbox(&boundary),
            outline: boundary,
            area_m2,
            wards: sorted,
            neighbours,
            hot: [first.min(second), first.max(second)],
        });
    }
    Err(SynthError::Geometry("no valid ward tiling after 200 attempts".into()))
}

impl Borough {
    /// The ward containing `p`, if any.
    pub fn ward_at(&self, p: Pt) -> Option<usize> {
        self.wards.iter().position(|w| in_bbox(p, &w.bbox) && w.contains(p))
    }

    /// A uniformly random point in ward `w`, at least [`POINT_MARGIN_M`] from its boundary.
    pub fn sample_in_ward(&self, w: usize, rng: &mut SynthRng) -> Pt {
        let ward = &self.wards[w];
        loop {
            let p = [rng::uniform(rng, ward.bbox[0], ward.bbox[2]), rng::uniform(rng, ward.bbox[1], ward.bbox[3])];
            if ward.contains_with_margin(p) {
                return p;
            }
        }
    }

    /// A random point between `min_m` and `max_m` metres outside the borough boundary.
    pub fn sample_outside(&self, rng: &mut SynthRng, min_m: f64, max_m: f64) -> Pt {
        let c = self.centre;
        let reach =
            self.outline.iter().map(|p| ((p[0] - c[0]).powi(2) + (p[1] - c[1]).powi(2)).sqrt()).fold(0.0, f64::max);
        loop {
            let theta = rng::uniform(rng, 0.0, std::f64::consts::TAU);
            let r = rng::uniform(rng, reach * 0.5, reach + max_m);
            let p = [c[0] + r * theta.cos(), c[1] + r * theta.sin()];
            if point_in_ring(p, &self.outline) {
                continue;
            }
            let d = dist_to_ring(p, &self.outline);
            if d >= min_m && d <= max_m {
                return p;
            }
        }
    }

    /// The wards as an ONS-style GeoJSON FeatureCollection in WGS84, one feature per line.
    pub fn to_geojson(&self, lad_code: &str, lad_name: &str) -> Result<String, SynthError> {
        let q = |s: &str| serde_json::to_string(s).unwrap_or_else(|_| format!("\"{s}\""));
        let mut out = String::from("{\"type\":\"FeatureCollection\",\"features\":[\n");
        for (i, w) in self.wards.iter().enumerate() {
            let _ = write!(
                out,
                "{{\"type\":\"Feature\",\"properties\":{{\"WD23CD\":{},\"WD23NM\":{},\"LAD23CD\":{},\"LAD23NM\":{}}},\
                 \"geometry\":{{\"type\":\"Polygon\",\"coordinates\":[[",
                q(&w.code),
                q(&w.name),
                q(lad_code),
                q(lad_name)
            );
            for (k, p) in w.ring.iter().chain(w.ring.first()).enumerate() {
                let (lon, lat) = crs::bng_to_wgs84(p[0], p[1])?;
                let _ = write!(out, "{}[{lon:.8},{lat:.8}]", if k == 0 { "" } else { "," });
            }
            out.push_str("]]}}");
            out.push_str(if i + 1 < self.wards.len() { ",\n" } else { "\n" });
        }
        out.push_str("]}\n");
        Ok(out)
    }
}
