//! Location resolution for extract records: point, else LSOA, else ward code (extracts.md, "Location is
//! resolved...").

use super::locator::Locator;
use super::lsoa_lookup::{Lsoa11Lookup, LsoaLookup, normalise_code};
use super::wards::WardSet;

/// How a record's ward was decided; written to `location_status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LocationStatus {
    /// Point-in-polygon on the record's coordinates.
    Point,
    /// The record's LSOA through the best-fit LSOA-to-ward lookup.
    Lsoa,
    /// The ward code given in the record.
    WardCode,
    /// The record is located, but not in any ward of the area.
    OutsideArea,
    /// Nothing usable to locate the record.
    Unlocated,
}

impl LocationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            LocationStatus::Point => "point",
            LocationStatus::Lsoa => "lsoa",
            LocationStatus::WardCode => "ward_code",
            LocationStatus::OutsideArea => "outside_area",
            LocationStatus::Unlocated => "unlocated",
        }
    }
}

impl std::fmt::Display for LocationStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Result of [`Geography::resolve`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// Index into [`Geography::wards`]; `None` unless status is Point, Lsoa or WardCode.
    pub ward: Option<usize>,
    pub status: LocationStatus,
    /// The record's LSOA as a 2021 code (2011 codes translated), whatever decided the ward; `None` when no LSOA
    /// was given or it is unknown to the loaded lookups. With no lookups loaded at all, the given code, trimmed
    /// and upper-cased, unverified.
    pub lsoa21: Option<String>,
}

/// The assessment area's geography: wards plus optional LSOA lookups.
#[derive(Debug, Clone)]
pub struct Geography {
    pub wards: WardSet,
    has_boundaries: bool,
    locator: Locator,
    lsoa: Option<LsoaLookup>,
    lsoa11: Option<Lsoa11Lookup>,
}

/// A GSS code is a letter and 8 digits (`E05009312`); anything else ("N/A", "Unknown") cannot be a place
/// outside the area, so it is treated as missing.
fn is_gss_code(code: &str) -> bool {
    let b = code.as_bytes();
    b.len() == 9 && b[0].is_ascii_uppercase() && b[1..].iter().all(u8::is_ascii_digit)
}

impl Geography {
    pub fn new(
        wards: WardSet,
        lsoa: Option<LsoaLookup>,
        lsoa11: Option<Lsoa11Lookup>,
    ) -> Geography {
        let locator = Locator::new(&wards);
        Geography {
            has_boundaries: wards.has_boundaries(),
            wards,
            locator,
            lsoa,
            lsoa11,
        }
    }

    pub fn locator(&self) -> &Locator {
        &self.locator
    }

    pub fn lsoa_lookup(&self) -> Option<&LsoaLookup> {
        self.lsoa.as_ref()
    }

    pub fn lsoa11_lookup(&self) -> Option<&Lsoa11Lookup> {
        self.lsoa11.as_ref()
    }

    /// The 2021 LSOA code for a code as given in an extract (2011 or 2021).
    ///
    /// A code the 2021 lookup knows is taken as 2021 (no code in the ONS files is both a 2021 code and a 2011
    /// code that became something else); otherwise the 2011 lookup translates it.
    pub fn lsoa21_for(&self, code: &str) -> Option<String> {
        let code = normalise_code(code);
        if code.is_empty() {
            return None;
        }
        if let Some(l) = &self.lsoa
            && l.contains_lsoa(&code)
        {
            return Some(code.into_owned());
        }
        if let Some(l11) = &self.lsoa11
            && let Some(c21) = l11.to_2021(&code)
        {
            return Some(c21.to_string());
        }
        if self.lsoa.is_none() && self.lsoa11.is_none() {
            return Some(code.into_owned());
        }
        None
    }

    /// Resolve one record, in order:
    /// 1. a finite BNG point: inside a ward -> Point; outside every ward -> OutsideArea (a valid point is
    ///    trusted over an LSOA or ward code that disagrees with it);
    /// 2. else an LSOA (2011 codes translated to 2021) known to the lookup: its ward in the set -> Lsoa, its ward
    ///    elsewhere -> OutsideArea;
    /// 3. else a ward code: in the set -> WardCode; another well-formed GSS code -> OutsideArea;
    /// 4. else Unlocated. Unknown LSOA codes and malformed ward codes fall through as if absent.
    pub fn resolve(
        &self,
        point_bng: Option<(f64, f64)>,
        lsoa_code: Option<&str>,
        ward_code: Option<&str>,
    ) -> Resolved {
        let lsoa21 = lsoa_code.and_then(|c| self.lsoa21_for(c));
        let done = |ward: Option<usize>, status: LocationStatus| Resolved {
            ward,
            status,
            lsoa21: lsoa21.clone(),
        };

        // Without ward boundaries a point cannot be placed, so it does not count against the LSOA.
        if let Some((e, n)) = point_bng.filter(|_| self.has_boundaries)
            && e.is_finite()
            && n.is_finite()
        {
            return match self.locator.locate(e, n) {
                Some(w) => done(Some(w), LocationStatus::Point),
                None => done(None, LocationStatus::OutsideArea),
            };
        }

        if let (Some(l), Some(c21)) = (&self.lsoa, &lsoa21)
            && let Some(wr) = l.ward_for_lsoa(c21)
        {
            return match self.wards.index_of(&wr.code) {
                Some(w) => done(Some(w), LocationStatus::Lsoa),
                None => done(None, LocationStatus::OutsideArea),
            };
        }

        if let Some(code) = ward_code {
            let code = normalise_code(code);
            if let Some(w) = self.wards.index_of(&code) {
                return done(Some(w), LocationStatus::WardCode);
            }
            if is_gss_code(&code) {
                return done(None, LocationStatus::OutsideArea);
            }
        }

        done(None, LocationStatus::Unlocated)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::testdata::{self, CELL, X0, Y0};
    use crate::geo::wards::AreaFilter;

    /// Grid wards plus lookups where LSOA E01000001 -> grid ward E05000009, E01000002 -> a ward elsewhere,
    /// and 2011 code E01000099 was split into E01000002 and E01000001 (lowest = E01000001).
    fn geography() -> (Geography, tempfile::TempDir) {
        let dir = tempfile::tempdir().expect("tmp");
        let l21 = dir.path().join("l21.csv");
        std::fs::write(
            &l21,
            "\u{feff}LSOA21CD,WD25CD,WD25NM,LAD25CD\nE01000001,E05000009,Centre,E09000099\nE01000002,E05999999,Elsewhere,E09000098\n",
        )
        .expect("write");
        let l11 = dir.path().join("l11.csv");
        std::fs::write(
            &l11,
            "LSOA11CD,LSOA21CD,CHGIND\nE01000001,E01000001,U\nE01000002,E01000002,U\nE01000099,E01000002,S\nE01000099,E01000001,S\n",
        )
        .expect("write");
        let g = Geography::new(
            testdata::grid_bng(),
            Some(LsoaLookup::from_csv_path(&l21).expect("l21")),
            Some(Lsoa11Lookup::from_csv_path(&l11).expect("l11")),
        );
        (g, dir)
    }

    fn code(g: &Geography, r: &Resolved) -> Option<String> {
        r.ward.map(|i| g.wards.wards[i].code.clone())
    }

    #[test]
    fn status_strings() {
        let all = [
            LocationStatus::Point,
            LocationStatus::Lsoa,
            LocationStatus::WardCode,
            LocationStatus::OutsideArea,
            LocationStatus::Unlocated,
        ];
        let s: Vec<_> = all.iter().map(|s| s.to_string()).collect();
        assert_eq!(
            s,
            ["point", "lsoa", "ward_code", "outside_area", "unlocated"]
        );
    }

    #[test]
    fn resolution_order() {
        let (g, _dir) = geography();
        let centre = Some((X0 + 0.5 * CELL, Y0 + 0.5 * CELL)); // cell (0,0) = E05000005
        let outside = Some((X0 - 5_000.0, Y0));

        let r = g.resolve(centre, Some("E01000001"), Some("E05000004"));
        assert_eq!(
            (r.status, code(&g, &r)),
            (LocationStatus::Point, Some("E05000005".into()))
        );
        assert_eq!(r.lsoa21.as_deref(), Some("E01000001"));

        // A valid point outside wins over an LSOA inside the area.
        let r = g.resolve(outside, Some("E01000001"), Some("E05000004"));
        assert_eq!((r.status, r.ward), (LocationStatus::OutsideArea, None));

        // A non-finite point is no point.
        let r = g.resolve(Some((f64::NAN, Y0)), Some("E01000001"), None);
        assert_eq!(
            (r.status, code(&g, &r)),
            (LocationStatus::Lsoa, Some("E05000009".into()))
        );

        let r = g.resolve(None, Some(" e01000001 "), Some("E05000004"));
        assert_eq!(
            (r.status, code(&g, &r)),
            (LocationStatus::Lsoa, Some("E05000009".into()))
        );

        // LSOA known, ward outside the set: outside, even with an in-area ward code.
        let r = g.resolve(None, Some("E01000002"), Some("E05000004"));
        assert_eq!((r.status, r.ward), (LocationStatus::OutsideArea, None));
        assert_eq!(r.lsoa21.as_deref(), Some("E01000002"));

        // 2011 split code: lowest 2021 code, E01000001, which is in the area.
        let r = g.resolve(None, Some("E01000099"), None);
        assert_eq!(
            (r.status, code(&g, &r)),
            (LocationStatus::Lsoa, Some("E05000009".into()))
        );
        assert_eq!(r.lsoa21.as_deref(), Some("E01000001"));

        // Unknown LSOA falls through to the ward code.
        let r = g.resolve(None, Some("E01234567"), Some("e05000004"));
        assert_eq!(
            (r.status, code(&g, &r)),
            (LocationStatus::WardCode, Some("E05000004".into()))
        );
        assert_eq!(r.lsoa21, None);

        let r = g.resolve(None, None, Some("E05123456"));
        assert_eq!((r.status, r.ward), (LocationStatus::OutsideArea, None));
        let r = g.resolve(None, None, Some("Unknown"));
        assert_eq!((r.status, r.ward), (LocationStatus::Unlocated, None));
        let r = g.resolve(None, Some(""), Some(" "));
        assert_eq!(
            (r.status, r.ward, r.lsoa21),
            (LocationStatus::Unlocated, None, None)
        );
        let r = g.resolve(None, None, None);
        assert_eq!(r.status, LocationStatus::Unlocated);
    }

    #[test]
    fn without_lookups_lsoa_is_passed_through_and_ignored() {
        let g = Geography::new(testdata::grid_bng(), None, None);
        let r = g.resolve(None, Some("e01000001"), None);
        assert_eq!(
            (r.status, r.lsoa21.as_deref()),
            (LocationStatus::Unlocated, Some("E01000001"))
        );
        let r = g.resolve(None, Some("E01000001"), Some("E05000001"));
        assert_eq!(r.status, LocationStatus::WardCode);
    }

    #[test]
    fn real_city_of_london_geography() {
        let filter = AreaFilter {
            property: "LAD22CD".into(),
            equals: vec!["E09000001".into()],
        };
        let wards = WardSet::from_geojson_path(
            testdata::public_file("boundaries/london_wards_2022.geojson"),
            "WD22CD",
            "WD22NM",
            Some(&filter),
        )
        .expect("wards");
        let l21 = LsoaLookup::from_csv_path(testdata::public_file(
            "lookups/lsoa21_to_ward25_lad25_ew.csv",
        ))
        .expect("l21");
        let l11 = Lsoa11Lookup::from_csv_path(testdata::public_file(
            "lookups/lsoa11_to_lsoa21_lad22_ew.csv",
        ))
        .expect("l11");
        // Every City ward in the lookup is one of the boundary file's wards (2022 codes = 2025 codes).
        for w in l21.wards_in_lads(&["E09000001"]) {
            assert!(wards.index_of(&w.code).is_some(), "{}", w.code);
        }
        let g = Geography::new(wards, Some(l21), Some(l11));
        let name = |r: &Resolved| r.ward.map(|i| g.wards.wards[i].name.clone());

        let bank = crate::geo::crs::wgs84_to_bng(-0.0886, 51.5142).expect("grid");
        let r = g.resolve(Some(bank), None, None);
        assert_eq!(
            (r.status, name(&r).as_deref()),
            (LocationStatus::Point, Some("Walbrook"))
        );

        let r = g.resolve(None, Some("E01032739"), None);
        assert_eq!(
            (r.status, name(&r).as_deref()),
            (LocationStatus::Lsoa, Some("Walbrook"))
        );

        // Barking and Dagenham 021B (2011) -> 021G (2021) -> Gascoigne ward, outside the City.
        let r = g.resolve(None, Some("E01000048"), None);
        assert_eq!(
            (r.status, r.lsoa21.as_deref()),
            (LocationStatus::OutsideArea, Some("E01034479"))
        );

        let r = g.resolve(None, None, Some("E05009312"));
        assert_eq!(
            (r.status, name(&r).as_deref()),
            (LocationStatus::WardCode, Some("Walbrook"))
        );
    }
}
