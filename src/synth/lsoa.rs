//! Synthetic LSOAs: 6-10 per ward (each the Voronoi cell of a seed point inside its ward, so every point of the
//! borough has one), plus a few LSOAs of a neighbouring borough, written as an ONS LSOA-to-ward best-fit lookup
//! (`reference/lsoa21_to_ward.csv`, UTF-8 with BOM like the real download). Sources that give only an LSOA
//! (A&E, homes in YOT, MARAC and exclusions extracts) locate through it.

use super::error::SynthError;
use super::geometry::{Borough, Pt};
use super::layout::{Row, RowTag};
use super::partners::PartnerParams;
use super::rng::{self, SynthRng, streams};
use super::writers::Cell;
use super::{LAD_CODE, LAD_NAME};
use rand::Rng;

pub const LOOKUP_PATH: &str = "reference/lsoa21_to_ward.csv";
pub const LOOKUP_HEADER: [&str; 10] =
    ["LSOA21CD", "LSOA21NM", "LSOA21NMW", "WD23CD", "WD23NM", "WD23NMW", "LAD23CD", "LAD23NM", "LAD23NMW", "ObjectId"];
/// The neighbouring borough: homes and assaults just over the boundary locate to it (outside the area).
pub const NEIGHBOUR_LAD: (&str, &str) = ("E09099002", "Neighbourton");
const NEIGHBOUR_WARDS: [(&str, &str); 3] =
    [("E05099901", "Neighbourton Central"), ("E05099902", "Neighbourton North"), ("E05099903", "Riverside East")];

#[derive(Debug, Clone)]
pub struct Lsoa {
    pub code: String,
    pub name: String,
    /// Ward of the borough; `None` for the neighbouring borough's LSOAs.
    pub ward: Option<usize>,
    /// Index into the neighbour wards when `ward` is `None`.
    neighbour_ward: usize,
    seed: Pt,
}

#[derive(Debug, Clone)]
pub struct Lsoas {
    pub list: Vec<Lsoa>,
    /// LSOA indices of each ward of the borough.
    pub by_ward: Vec<Vec<usize>>,
    /// LSOA indices of the neighbouring borough.
    pub outside: Vec<usize>,
}

/// A nine-character LSOA code for the `i`-th LSOA: `E0199nnnn` up to 9,999 (every scale-1 code), then
/// `E0181nnnn`-style codes for the rest, so codes stay the ONS length and unique at large scales.
pub(super) fn lsoa_code(i: usize) -> String {
    if i < 9_999 { format!("E0199{:04}", i + 1) } else { format!("E01{:06}", 800_000 + i + 1) }
}

impl Lsoas {
    pub fn build(seed: u64, borough: &Borough, p: &PartnerParams) -> Lsoas {
        let mut r = rng::stream(seed, streams::LSOAS);
        let mut list = Vec::new();
        let mut by_ward = Vec::with_capacity(borough.wards.len());
        for (w, ward) in borough.wards.iter().enumerate() {
            // Bigger wards get more LSOAs (real LSOAs hold 1,000-3,000 residents).
            let km2 = ward.area_m2 / 1e6;
            let span = (p.lsoas_max_per_ward - p.lsoas_min_per_ward) as f64;
            let n = p.lsoas_min_per_ward + ((km2 - 1.0) / 5.0 * span).round().clamp(0.0, span) as usize;
            let mut here = Vec::with_capacity(n);
            for k in 0..n {
                let i = list.len();
                list.push(Lsoa {
                    code: lsoa_code(i),
                    name: format!("{LAD_NAME} {:03}{}", w + 1, (b'A' + k as u8) as char),
                    ward: Some(w),
                    neighbour_ward: 0,
                    seed: borough.sample_in_ward(w, &mut r),
                });
                here.push(i);
            }
            by_ward.push(here);
        }
        let mut outside = Vec::with_capacity(p.neighbour_lsoas);
        for k in 0..p.neighbour_lsoas {
            let i = list.len();
            let nw = k % NEIGHBOUR_WARDS.len();
            list.push(Lsoa {
                code: lsoa_code(i),
                name: format!(
                    "{} {:03}{}",
                    NEIGHBOUR_LAD.1,
                    nw + 1,
                    (b'A' + (k / NEIGHBOUR_WARDS.len()) as u8) as char
                ),
                ward: None,
                neighbour_ward: nw,
                seed: [0.0, 0.0],
            });
            outside.push(i);
        }
        Lsoas { list, by_ward, outside }
    }

    /// The LSOA of a point inside ward `ward`: the nearest of the ward's LSOA seeds.
    pub fn lsoa_at(&self, p: Pt, ward: usize) -> usize {
        let d2 = |i: usize| {
            let s = self.list[i].seed;
            (s[0] - p[0]).powi(2) + (s[1] - p[1]).powi(2)
        };
        let mut best = self.by_ward[ward][0];
        for &i in &self.by_ward[ward] {
            if d2(i) < d2(best) {
                best = i;
            }
        }
        best
    }

    pub fn random_in_ward(&self, ward: usize, rng: &mut SynthRng) -> usize {
        let here = &self.by_ward[ward];
        here[rng.random_range(0..here.len())]
    }

    pub fn random_outside(&self, rng: &mut SynthRng) -> usize {
        self.outside[rng.random_range(0..self.outside.len())]
    }

    /// The ward code an LSOA of the neighbouring borough belongs to (its own ward code for the borough's).
    pub fn ward_code_of(&self, lsoa: usize) -> &'static str {
        NEIGHBOUR_WARDS[self.list[lsoa].neighbour_ward % NEIGHBOUR_WARDS.len()].0
    }

    pub fn in_area(&self) -> usize {
        self.list.len() - self.outside.len()
    }

    /// The lookup's rows (ONS layout: Welsh names empty, ObjectId counting from 1), sorted by LSOA code.
    pub fn lookup_rows(&self, borough: &Borough) -> Result<Vec<Row>, SynthError> {
        let mut rows = Vec::with_capacity(self.list.len());
        for (i, l) in self.list.iter().enumerate() {
            let (wcd, wnm, lcd, lnm) = match l.ward {
                Some(w) => {
                    let ward = borough
                        .wards
                        .get(w)
                        .ok_or_else(|| SynthError::Geometry(format!("LSOA {} has no ward", l.code)))?;
                    (ward.code.clone(), ward.name.clone(), LAD_CODE, LAD_NAME)
                }
                None => {
                    let (c, n) = NEIGHBOUR_WARDS[l.neighbour_ward % NEIGHBOUR_WARDS.len()];
                    (c.to_string(), n.to_string(), NEIGHBOUR_LAD.0, NEIGHBOUR_LAD.1)
                }
            };
            let cells = vec![
                Cell::Text(l.code.clone()),
                Cell::Text(l.name.clone()),
                Cell::Empty,
                Cell::Text(wcd),
                Cell::Text(wnm),
                Cell::Empty,
                Cell::text(lcd),
                Cell::text(lnm),
                Cell::Empty,
                Cell::Text((i + 1).to_string()),
            ];
            rows.push(Row { cells, tag: RowTag::Clean });
        }
        Ok(rows)
    }
}
