//! Ambulance assault call-outs. A planted share (about 30%) are crews attending a police-recorded assault
//! (minutes after it, within 250 m); the rest are drawn from the night-heavy call-out profile and kept only
//! where no police offence lies within a safety margin beyond the linkage test (24 hours and 500 metres), so
//! about 70% have no police offence within 24 hours and 500 metres, as RAND and the West Midlands found.

use std::collections::HashMap;

use chrono::{Duration, NaiveDateTime, Timelike};
use rand::Rng;

use super::calendar::{self, HourOfWeek, WEEKEND_NIGHT_HOURS, YEARS, YearDays};
use super::error::SynthError;
use super::geometry::Pt;
use super::layout::{Row, RowTag, Sink};
use super::partners::{
    Bad, Ctx, Layout, PartnerFile, SourceTruth, TextDate, add_duplicates, bad_plan, impossible_text, pick_clean,
    scatter, two_digit_text,
};
use super::police::{Extra, Offence, PoliceData};
use super::rng::{self, SynthRng, Weighted, streams};
use super::truth::{Measure, measure};
use super::writers::{Cell, CsvFormat, Encoding};
use crate::geo::crs;

const ASSAULT: usize = 0;
const SEXUAL: usize = 1;
const STAB: usize = 2;
const GUNSHOT: usize = 3;
/// How each file spells the categories (canonical: assault, sexual_assault, stab_penetrating, gunshot).
const CATEGORY_TEXT: [[&str; 4]; 3] = [
    ["Assault", "Sexual Assault", "Stab/Penetrating", "Gunshot"],
    ["ASSAULT", "SEXUAL ASSAULT", "STABBING", "SHOOTING"],
    ["assault", "sexual assault", "stab wound", "GSW"],
];
const UNKNOWN_CATEGORIES: [&str; 4] = ["Fall", "RTC", "Overdose", "Card 99"];
/// Categories of call-outs with no police offence nearby.
const UNMATCHED_MIX: [(usize, f64); 4] = [(ASSAULT, 0.75), (SEXUAL, 0.04), (STAB, 0.19), (GUNSHOT, 0.02)];
/// Police offences an ambulance crew attends (assaults with or without injury, robbery, serious sexual offences).
const ATTENDED_CODES: [&str; 13] =
    ["1", "2", "5D", "8N", "8P", "8S", "105A", "105B", "34B", "19C", "19F", "20A", "17A"];
const DAY: [f64; 7] = [0.92, 0.90, 0.93, 0.98, 1.08, 1.15, 1.04];
/// Call-outs per year relative to 2023-24.
const TREND: [f64; 3] = [1.0, 1.03, 1.05];
/// Unmatched call-outs keep this much clear of every police offence, so coordinate rounding never matters.
const MARGIN_M: f64 = 100.0;
const MARGIN_H: f64 = 2.0;
const MATCH_MAX_OFFSET_M: f64 = 250.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Ref,
    At,
    Category,
    Easting,
    Northing,
    Latitude,
    Longitude,
    Lsoa,
    Age,
    Sex,
    Alcohol,
    Conveyed,
}

const LAYOUTS: [Layout<Col>; 3] = [
    Layout {
        path: "raw/las/las_assault_callouts_2023-24.csv",
        sink: Sink::Csv(CsvFormat { delimiter: b',', encoding: Encoding::Utf8Bom, crlf: true }),
        dates: TextDate::Uk,
        columns: &[
            ("Incident Number", Col::Ref),
            ("Call Date/Time", Col::At),
            ("Incident Category", Col::Category),
            ("Easting", Col::Easting),
            ("Northing", Col::Northing),
            ("LSOA Code", Col::Lsoa),
            ("Patient Age", Col::Age),
            ("Patient Sex", Col::Sex),
            ("Alcohol Involved", Col::Alcohol),
            ("Conveyed", Col::Conveyed),
        ],
    },
    Layout {
        path: "raw/las/las_assault_callouts_2024-25.xlsx",
        sink: Sink::Xlsx { sheet: "Assault callouts" },
        dates: TextDate::Uk,
        columns: &[
            ("CAD Ref", Col::Ref),
            ("Call Received", Col::At),
            ("Call Category", Col::Category),
            ("Latitude", Col::Latitude),
            ("Longitude", Col::Longitude),
            ("LSOA21CD", Col::Lsoa),
            ("Age", Col::Age),
            ("Gender", Col::Sex),
            ("Alcohol", Col::Alcohol),
            ("Conveyed to Hospital", Col::Conveyed),
        ],
    },
    Layout {
        path: "raw/las/las_assault_callouts_2025-26.csv",
        sink: Sink::Csv(CsvFormat { delimiter: b';', encoding: Encoding::Windows1252, crlf: false }),
        dates: TextDate::Iso,
        columns: &[
            ("Incident Ref", Col::Ref),
            ("Call Time", Col::At),
            ("Dispatch Category", Col::Category),
            ("Grid Easting", Col::Easting),
            ("Grid Northing", Col::Northing),
            ("Pt Age", Col::Age),
            ("Pt Sex", Col::Sex),
            ("ETOH", Col::Alcohol),
            ("Conveyed", Col::Conveyed),
        ],
    },
];

#[derive(Debug, Clone)]
struct Callout {
    year: usize,
    at: NaiveDateTime,
    category: usize,
    point: Pt,
    ward: usize,
    age: Option<u32>,
    sex: &'static str,
    /// 'Y', 'N' or 'U'
    alcohol: usize,
    conveyed: bool,
}

/// Police offences (those ingest stages with a point, whatever their HO code) by 1 km cell, for "is any
/// offence near here, then?".
pub struct PoliceIndex {
    cell_m: f64,
    cells: HashMap<(i64, i64), Vec<(i64, f64, f64)>>,
}

fn minutes(t: NaiveDateTime) -> i64 {
    t.and_utc().timestamp() / 60
}

impl PoliceIndex {
    /// From the staged police offences and any `other` offences the export also holds.
    pub fn new(police: &PoliceData, other: &[Offence], cell_m: f64) -> PoliceIndex {
        let mut cells: HashMap<(i64, i64), Vec<(i64, f64, f64)>> = HashMap::new();
        for o in police.offences.iter().filter(|o| o.extra.staged()).chain(other) {
            let (e, n) = (o.easting as f64, o.northing as f64);
            let key = ((e / cell_m).floor() as i64, (n / cell_m).floor() as i64);
            cells.entry(key).or_default().push((minutes(o.from), e, n));
        }
        PoliceIndex { cell_m, cells }
    }

    /// Is any offence committed within `hours` of `t` and `radius_m` of `p`? (`radius_m` <= the cell size)
    pub fn any_within(&self, p: Pt, t: NaiveDateTime, radius_m: f64, hours: f64) -> bool {
        let (cx, cy) = ((p[0] / self.cell_m).floor() as i64, (p[1] / self.cell_m).floor() as i64);
        let t0 = minutes(t);
        let dt = (hours * 60.0).round() as i64;
        let r2 = radius_m * radius_m;
        for x in cx - 1..=cx + 1 {
            for y in cy - 1..=cy + 1 {
                if let Some(list) = self.cells.get(&(x, y)) {
                    if list
                        .iter()
                        .any(|&(m, e, n)| (m - t0).abs() <= dt && (e - p[0]).powi(2) + (n - p[1]).powi(2) <= r2)
                    {
                        return true;
                    }
                }
            }
        }
        false
    }
}

/// What the ambulance generator planted.
pub struct LasOutput {
    pub files: Vec<PartnerFile>,
    pub source: SourceTruth,
    pub no_police_offence: Measure,
}

struct Draw<'a> {
    ctx: &'a Ctx<'a>,
    how: HourOfWeek,
    years: Vec<YearDays>,
    wards: Weighted,
}

impl Draw<'_> {
    fn person(&self, c: &mut Callout, rng: &mut SynthRng) {
        const AGES: [(u32, u32, f64); 7] = [
            (1, 15, 0.04),
            (16, 24, 0.28),
            (25, 34, 0.30),
            (35, 44, 0.18),
            (45, 54, 0.12),
            (55, 74, 0.07),
            (75, 95, 0.01),
        ];
        c.age = if rng::chance(rng, 0.08) { None } else { Some(super::partners::age_from(&AGES, rng)) };
        let female = if c.category == SEXUAL { 0.85 } else { 0.31 };
        let u = rng::unit(rng);
        c.sex = if u < 0.01 {
            "U"
        } else if u < 0.01 + female {
            "F"
        } else {
            "M"
        };
        let night = c.at.hour() >= 20 || c.at.hour() < 4;
        let (y, n) = if night { (0.50, 0.30) } else { (0.20, 0.60) };
        let u = rng::unit(rng);
        c.alcohol = if u < y {
            0
        } else if u < y + n {
            1
        } else {
            2
        };
        let conveyed = match c.category {
            STAB | GUNSHOT => 0.95,
            SEXUAL => 0.50,
            _ => 0.55,
        };
        c.conveyed = rng::chance(rng, conveyed);
    }

    /// A call-out anywhere in the borough at a time from the call-out profile.
    fn free(&self, year: usize, rng: &mut SynthRng) -> Result<Callout, SynthError> {
        let at = calendar::sample_datetime(&self.years[year], &self.how, rng)?;
        let ward = self.wards.sample(rng);
        let point = self.ctx.borough.sample_in_ward(ward, rng);
        let category = *rng::pick(rng, &UNMATCHED_MIX);
        Ok(Callout { year, at, category, point, ward, age: None, sex: "U", alcohol: 2, conveyed: false })
    }
}

/// Call-outs kept clear of `police` offences and of the `other` offences a Niche-style export adds.
pub fn generate(ctx: &Ctx, police: &PoliceData, other: &[Offence]) -> Result<LasOutput, SynthError> {
    let p = ctx.params;
    let mut r = rng::stream(ctx.seed, streams::LAS);
    let base = HourOfWeek::new(DAY, &ctx.data.hours_general)?;
    let draw = Draw {
        ctx,
        how: base.with_share(&WEEKEND_NIGHT_HOURS, p.las_weekend_night_share)?,
        years: YEARS.iter().map(|&(_, y)| YearDays::new(y)).collect::<Result<_, _>>()?,
        wards: ctx.ward_weights(1.6)?,
    };
    let index = PoliceIndex::new(police, other, 1_000.0);
    let clear_radius = p.las_match_radius_m + MARGIN_M;
    let clear_hours = p.las_match_hours + MARGIN_H;
    let attended: Vec<bool> = ctx.data.mix.iter().map(|t| ATTENDED_CODES.contains(&t.ho_code.as_str())).collect();

    let mut callouts: Vec<Callout> = Vec::new();
    for year in 0..YEARS.len() {
        let n = (ctx.per_year(p.las_callouts_per_year_per_scale) as f64 * TREND[year]).round() as usize;
        let n_matched = (n as f64 * (1.0 - p.las_no_police_share)).round() as usize;
        // Crews attending police-recorded assaults: distinct offences of the year, in the borough.
        let mut pool: Vec<usize> = (0..police.offences.len())
            .filter(|&i| {
                let o = &police.offences[i];
                o.year == year && o.extra == Extra::Clean && o.ward.is_some() && attended[o.code]
            })
            .collect();
        for k in 0..n_matched.min(pool.len()) {
            let j = r.random_range(k..pool.len());
            pool.swap(k, j);
            let o = &police.offences[pool[k]];
            let at = o.from + Duration::minutes(rng::int(&mut r, 4, 70) as i64);
            let origin = [o.easting as f64, o.northing as f64];
            let mut point = origin;
            for _ in 0..10 {
                let (d, theta) =
                    (rng::uniform(&mut r, 0.0, MATCH_MAX_OFFSET_M), rng::uniform(&mut r, 0.0, std::f64::consts::TAU));
                let cand = [origin[0] + d * theta.cos(), origin[1] + d * theta.sin()];
                if ctx.borough.ward_at(cand).is_some() {
                    point = cand;
                    break;
                }
            }
            let t = &ctx.data.mix[o.code];
            let category = if t.sexual {
                SEXUAL
            } else if o.flags.firearm {
                GUNSHOT
            } else if o.flags.knife || (t.ho_code == "5D" && rng::chance(&mut r, 0.3)) {
                STAB
            } else {
                ASSAULT
            };
            let ward = ctx.borough.ward_at(point).or(o.ward).unwrap_or(0);
            let mut c = Callout { year, at, category, point, ward, age: None, sex: "U", alcohol: 2, conveyed: false };
            draw.person(&mut c, &mut r);
            callouts.push(c);
        }
        // The rest: away from every police offence (resampled while one is near; the last try stands).
        for _ in n_matched.min(pool.len())..n {
            let mut c = draw.free(year, &mut r)?;
            for _ in 0..80 {
                if !index.any_within(c.point, c.at, clear_radius, clear_hours) {
                    break;
                }
                c = draw.free(year, &mut r)?;
            }
            draw.person(&mut c, &mut r);
            callouts.push(c);
        }
    }
    callouts.sort_by(|a, b| a.at.cmp(&b.at).then(a.point[0].total_cmp(&b.point[0])));

    let no_police_offence = measure(
        p.las_no_police_share,
        callouts.iter().map(|c| (c.year, !index.any_within(c.point, c.at, p.las_match_radius_m, p.las_match_hours))),
    );

    let mut rb = rng::keyed(ctx.seed, streams::PARTNER_BAD_ROWS, &[1]);
    let mut files = Vec::new();
    for (year, layout) in LAYOUTS.iter().enumerate() {
        let mut seq = rng::int(&mut rb, 1_000, 9_000);
        let mut next_ref = |rb: &mut SynthRng| {
            seq += rng::int(rb, 1, 4);
            match year {
                0 => format!("{:07}", 3_100_000 + seq),
                1 => format!("CAD-24-{seq:06}"),
                _ => format!("INC25{seq:06}"),
            }
        };
        let here: Vec<&Callout> = callouts.iter().filter(|c| c.year == year).collect();
        let mut rows = Vec::with_capacity(here.len());
        for c in &here {
            rows.push(Row { cells: render(ctx, c, layout, year, &next_ref(&mut rb))?, tag: RowTag::Clean });
        }
        let mut kinds = vec![
            (Bad::ImpossibleDate, 0.2),
            (Bad::UnknownCode, 0.2),
            (Bad::AgeOutOfRange, 0.15),
            (Bad::MissingId, 0.15),
        ];
        if layout.dates != TextDate::Iso {
            kinds.push((Bad::TwoDigitYear, 0.15));
        }
        let mut extra = Vec::new();
        for (kind, n) in bad_plan(here.len(), p.partner_bad_row_share, &kinds) {
            if kind.repaired() {
                // A real call-out coded outside the assault categories, or with an impossible age.
                for i in pick_clean(&rows, n, &mut rb) {
                    let field = if kind == Bad::UnknownCode {
                        let s = UNKNOWN_CATEGORIES[rb.random_range(0..UNKNOWN_CATEGORIES.len())];
                        layout.set(&mut rows[i].cells, Col::Category, Cell::text(s));
                        "category"
                    } else {
                        layout.set(&mut rows[i].cells, Col::Age, layout.int(rng::int(&mut rb, 130, 199) as i64));
                        "patient_age"
                    };
                    rows[i].tag = kind.tag(field);
                }
                continue;
            }
            for _ in 0..n {
                let mut c = draw.free(year, &mut rb)?;
                draw.person(&mut c, &mut rb);
                let mut cells = render(ctx, &c, layout, year, &next_ref(&mut rb))?;
                let field = match kind {
                    Bad::ImpossibleDate => {
                        let s = impossible_text(c.at.date(), Some(c.at.time()), layout.dates, &mut rb);
                        layout.set(&mut cells, Col::At, Cell::Text(s));
                        "call_at"
                    }
                    Bad::TwoDigitYear => {
                        layout.set(&mut cells, Col::At, Cell::Text(two_digit_text(c.at.date(), Some(c.at.time()))));
                        "call_at"
                    }
                    _ => {
                        layout.set(&mut cells, Col::Ref, Cell::Empty);
                        "incident_ref"
                    }
                };
                extra.push(Row { cells, tag: kind.tag(field) });
            }
        }
        let n_dup = bad_plan(here.len(), p.partner_bad_row_share, &[(Bad::Duplicate, 1.0)])[0].1 / 5 + 2;
        let rows = add_duplicates(scatter(rows, extra, &mut rb), n_dup, "incident_ref", &mut rb);
        files.push(PartnerFile { path: layout.path, header: layout.header(), sink: layout.sink, rows });
    }
    let source = SourceTruth::new(&files, callouts.iter().map(|c| (c.year, "point")));
    Ok(LasOutput { files, source, no_police_offence })
}

fn render(ctx: &Ctx, c: &Callout, layout: &Layout<Col>, year: usize, reference: &str) -> Result<Vec<Cell>, SynthError> {
    let mut cells = Vec::with_capacity(layout.columns.len());
    let (lon, lat) = crs::bng_to_wgs84(c.point[0], c.point[1])?;
    for &(_, col) in layout.columns {
        cells.push(match col {
            Col::Ref => Cell::text(reference),
            Col::At => layout.datetime(c.at),
            Col::Category => Cell::text(CATEGORY_TEXT[year.min(2)][c.category]),
            Col::Easting if year == 0 => Cell::Text(format!("{:.0}", c.point[0])),
            Col::Northing if year == 0 => Cell::Text(format!("{:.0}", c.point[1])),
            Col::Easting => Cell::Text(format!("{:.1}", c.point[0])),
            Col::Northing => Cell::Text(format!("{:.1}", c.point[1])),
            Col::Latitude => Cell::Number((lat * 1e6).round() / 1e6),
            Col::Longitude => Cell::Number((lon * 1e6).round() / 1e6),
            Col::Lsoa => Cell::Text(ctx.lsoas.list[ctx.lsoas.lsoa_at(c.point, c.ward)].code.clone()),
            Col::Age => c.age.map_or(Cell::Empty, |a| layout.int(i64::from(a))),
            Col::Sex => Cell::text(match (year, c.sex) {
                (1, "M") => "Male",
                (1, "F") => "Female",
                (1, _) => "Unknown",
                (_, s) => s,
            }),
            Col::Alcohol => Cell::text(match year {
                1 => ["Yes", "No", "Unknown"][c.alcohol],
                _ => ["Y", "N", "U"][c.alcohol],
            }),
            Col::Conveyed => Cell::text(match (year, c.conveyed) {
                (1, true) => "Yes",
                (1, false) => "No",
                (_, true) => "Y",
                (_, false) => "N",
            }),
        });
    }
    Ok(cells)
}
