//! A&E assault attendances in the ISTV minimum data set. Assault times follow the general hour-of-week profile
//! with Friday and Saturday nights (22:00-02:59) raised to a planted share, so attendances peak on those two
//! nights. Each row carries a free-text assault location description that reads like what receptionists type
//! (addresses, pub names, first names): ingest must never stage it.

use chrono::{Datelike, Duration, NaiveDateTime, Timelike};
use rand::Rng;
use serde::Serialize;

use super::calendar::{self, HourOfWeek, WEEKEND_NIGHT_HOURS, YEARS, YearDays};
use super::error::SynthError;
use super::layout::{Row, RowTag, Sink};
use super::partners::{
    Bad, Ctx, Home, HomeField, Layout, PartnerFile, SourceTruth, TextDate, add_duplicates, age_from, bad_plan,
    impossible_text, pick_clean, scatter, two_digit_text,
};
use super::rng::{self, SynthRng, Weighted, streams};
use super::truth::{Measure, measure};
use super::writers::{Cell, CsvFormat, Encoding};

/// ISTV assault methods (codes of seeds/istv_assault_methods.csv) and how often each is seen.
const METHODS: [(&str, &str, f64); 6] = [
    ("BP", "Body part (punch/kick/headbutt)", 0.62),
    ("KB", "Knife or blade", 0.11),
    ("BO", "Blunt object", 0.09),
    ("GB", "Glass or bottle", 0.09),
    ("FA", "Firearm", 0.01),
    ("OT", "Other", 0.08),
];
const UNKNOWN_METHODS: [&str; 4] = ["ZZ", "XX", "K9", "99"];
const LOCATION_TYPES: [&str; 7] =
    ["home", "street", "licensed premises", "school", "public transport", "workplace", "other"];
/// How each file spells the location types.
const LOCATION_TEXT: [[&str; 7]; 3] = [
    ["Home", "Street", "Licensed premises", "School", "Public transport", "Workplace", "Other"],
    ["HOME", "STREET/ROAD", "PUB/CLUB/BAR", "SCHOOL/COLLEGE", "PUBLIC TRANSPORT", "WORKPLACE", "OTHER"],
    ["Patient's home", "Street/road", "Pub/club/bar", "School", "Bus", "Place of work", "Other"],
];
const DAY: [f64; 7] = [0.95, 0.92, 0.94, 0.98, 1.05, 1.10, 1.06];
const SITES: [(&str, f64); 2] = [("RXE01", 0.86), ("RXE02", 0.14)];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Id,
    Site,
    Arrival,
    Assault,
    Method,
    MethodDescription,
    LocationType,
    LocationDescription,
    Age,
    Sex,
    Lsoa,
}

const LAYOUTS: [Layout<Col>; 3] = [
    Layout {
        path: "raw/ae/istv_assaults_2023-24.csv",
        sink: Sink::Csv(CsvFormat { delimiter: b',', encoding: Encoding::Utf8, crlf: false }),
        dates: TextDate::Uk,
        columns: &[
            ("Attendance ID", Col::Id),
            ("Site Code", Col::Site),
            ("Arrival Date Time", Col::Arrival),
            ("Assault Date Time", Col::Assault),
            ("Assault Method", Col::Method),
            ("Assault Method Description", Col::MethodDescription),
            ("Assault Location Type", Col::LocationType),
            ("Assault Location Description", Col::LocationDescription),
            ("Age", Col::Age),
            ("Sex", Col::Sex),
            ("LSOA", Col::Lsoa),
        ],
    },
    Layout {
        path: "raw/ae/istv_assaults_2024-25.csv",
        sink: Sink::Csv(CsvFormat { delimiter: b';', encoding: Encoding::Windows1252, crlf: true }),
        dates: TextDate::UkSeconds,
        columns: &[
            ("ATTENDANCE_ID", Col::Id),
            ("SITE_CODE_OF_TREATMENT", Col::Site),
            ("ARRIVAL_DATE_TIME", Col::Arrival),
            ("ASSAULT_DATE_TIME", Col::Assault),
            ("ASSAULT_METHOD", Col::Method),
            ("ASSAULT_LOCATION_TYPE", Col::LocationType),
            ("ASSAULT_LOCATION_DESCRIPTION", Col::LocationDescription),
            ("PATIENT_AGE", Col::Age),
            ("PATIENT_SEX", Col::Sex),
            ("LSOA_CODE", Col::Lsoa),
        ],
    },
    Layout {
        path: "raw/ae/istv_assaults_2025-26.xlsx",
        sink: Sink::Xlsx { sheet: "ISTV" },
        dates: TextDate::Uk,
        columns: &[
            ("Attendance Ref", Col::Id),
            ("Site", Col::Site),
            ("Arrival", Col::Arrival),
            ("Incident Date/Time", Col::Assault),
            ("Weapon", Col::Method),
            ("Weapon Description", Col::MethodDescription),
            ("Location Type", Col::LocationType),
            ("Location Detail", Col::LocationDescription),
            ("Patient Age", Col::Age),
            ("Patient Gender", Col::Sex),
            ("LSOA21CD", Col::Lsoa),
        ],
    },
];

#[derive(Debug, Clone)]
struct Attendance {
    year: usize,
    site: &'static str,
    assault: NaiveDateTime,
    arrival: NaiveDateTime,
    method: usize,
    location: usize,
    description: String,
    age: Option<u32>,
    sex: &'static str,
    place: Home,
}

/// Attendances by the night they fall in (22:00-02:59 counts to the evening's weekday).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct NightCount {
    pub night: String,
    pub attendances: usize,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct NightPeak {
    pub target: Vec<String>,
    /// The two nights with most attendances.
    pub realised: Vec<String>,
    pub nights: Vec<NightCount>,
}

pub struct AeOutput {
    pub files: Vec<PartnerFile>,
    pub source: SourceTruth,
    pub weekend_night: Measure,
    pub night_peak: NightPeak,
}

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// The weekday whose night (22:00-02:59) holds `t`, if it is a night hour.
pub fn night_of(t: NaiveDateTime) -> Option<usize> {
    let wd = t.weekday().num_days_from_monday() as usize;
    match t.hour() {
        22 | 23 => Some(wd),
        0..=2 => Some((wd + 6) % 7),
        _ => None,
    }
}

struct Draw<'a> {
    ctx: &'a Ctx<'a>,
    how: HourOfWeek,
    years: Vec<YearDays>,
    wards: Weighted,
}

impl Draw<'_> {
    fn attendance(&self, year: usize, rng: &mut SynthRng) -> Result<Attendance, SynthError> {
        let p = self.ctx.params;
        let assault = calendar::sample_datetime(&self.years[year], &self.how, rng)?;
        let u = rng::unit(rng);
        let delay = if u < 0.70 {
            rng::int(rng, 15, 120)
        } else if u < 0.95 {
            rng::int(rng, 121, 480)
        } else {
            rng::int(rng, 481, 1_440)
        };
        let arrival = assault + Duration::minutes(delay as i64);
        let method = *rng::pick(rng, &METHODS.iter().enumerate().map(|(i, m)| (i, m.2)).collect::<Vec<_>>());
        let night = assault.hour() >= 22 || assault.hour() < 3;
        let weights: [f64; 7] =
            if night { [0.18, 0.36, 0.30, 0.01, 0.06, 0.03, 0.06] } else { [0.26, 0.36, 0.10, 0.05, 0.06, 0.08, 0.09] };
        let location = *rng::pick(rng, &weights.iter().copied().enumerate().collect::<Vec<_>>());
        let place = self.ctx.draw_home(&self.wards, p.ae_outside_area_share, p.ae_missing_lsoa_share, rng);
        const AGES: [(u32, u32, f64); 6] =
            [(2, 15, 0.05), (16, 24, 0.30), (25, 34, 0.30), (35, 44, 0.18), (45, 64, 0.15), (65, 90, 0.02)];
        let age = if rng::chance(rng, 0.10) { None } else { Some(age_from(&AGES, rng)) };
        let u = rng::unit(rng);
        let sex = if u < 0.04 {
            ""
        } else if u < 0.05 {
            "U"
        } else if u < 0.38 {
            "F"
        } else {
            "M"
        };
        Ok(Attendance {
            year,
            site: *rng::pick(rng, &SITES),
            assault,
            arrival,
            method,
            location,
            description: description(location, rng),
            age,
            sex,
            place,
        })
    }
}

pub fn generate(ctx: &Ctx) -> Result<AeOutput, SynthError> {
    let p = ctx.params;
    let mut r = rng::stream(ctx.seed, streams::AE);
    let base = HourOfWeek::new(DAY, &ctx.data.hours_general)?;
    let draw = Draw {
        ctx,
        how: base.with_share(&WEEKEND_NIGHT_HOURS, p.ae_weekend_night_share)?,
        years: YEARS.iter().map(|&(_, y)| YearDays::new(y)).collect::<Result<_, _>>()?,
        wards: ctx.ward_weights(2.0)?,
    };
    let mut all: Vec<Attendance> = Vec::new();
    for year in 0..YEARS.len() {
        for _ in 0..ctx.per_year(p.ae_attendances_per_year_per_scale) {
            all.push(draw.attendance(year, &mut r)?);
        }
    }
    all.sort_by(|a, b| a.arrival.cmp(&b.arrival).then(a.assault.cmp(&b.assault)));

    let weekend_night =
        measure(p.ae_weekend_night_share, all.iter().map(|a| (a.year, calendar::is_weekend_night(a.assault))));
    let mut nights = [0usize; 7];
    for a in &all {
        if let Some(n) = night_of(a.assault) {
            nights[n] += 1;
        }
    }
    let mut order: Vec<usize> = (0..7).collect();
    order.sort_by_key(|&d| (std::cmp::Reverse(nights[d]), d));
    let night_peak = NightPeak {
        target: vec!["Fri".into(), "Sat".into()],
        realised: order[..2].iter().map(|&d| WEEKDAYS[d].to_string()).collect(),
        nights: (0..7).map(|d| NightCount { night: WEEKDAYS[d].into(), attendances: nights[d] }).collect(),
    };

    let mut rb = rng::keyed(ctx.seed, streams::PARTNER_BAD_ROWS, &[2]);
    let mut files = Vec::new();
    for (year, layout) in LAYOUTS.iter().enumerate() {
        let mut seq = rng::int(&mut rb, 100, 900);
        let mut next_id = |rb: &mut SynthRng| {
            seq += rng::int(rb, 1, 6);
            format!("RXE-{}-{seq:06}", 23 + year)
        };
        let here: Vec<&Attendance> = all.iter().filter(|a| a.year == year).collect();
        let mut rows = Vec::with_capacity(here.len());
        for a in &here {
            rows.push(Row { cells: render(ctx, a, layout, year, &next_id(&mut rb)), tag: RowTag::Clean });
        }
        let kinds = [
            (Bad::ImpossibleDate, 0.2),
            (Bad::TwoDigitYear, 0.15),
            (Bad::UnknownCode, 0.2),
            (Bad::AgeOutOfRange, 0.15),
            (Bad::MissingId, 0.15),
        ];
        let mut extra = Vec::new();
        for (kind, n) in bad_plan(here.len(), p.partner_bad_row_share, &kinds) {
            if kind.repaired() {
                // A real attendance with a method code on no list, or an impossible age.
                for i in pick_clean(&rows, n, &mut rb) {
                    let cells = &mut rows[i].cells;
                    let field = if kind == Bad::UnknownCode {
                        let s = UNKNOWN_METHODS[rb.random_range(0..UNKNOWN_METHODS.len())];
                        layout.set(cells, Col::Method, Cell::text(s));
                        // The description column (where present) would otherwise name a known method.
                        layout.set(cells, Col::MethodDescription, Cell::text("Not known"));
                        "assault_method_code"
                    } else {
                        layout.set(cells, Col::Age, layout.int(rng::int(&mut rb, 130, 240) as i64));
                        "patient_age"
                    };
                    rows[i].tag = kind.tag(field);
                }
                continue;
            }
            for _ in 0..n {
                let a = draw.attendance(year, &mut rb)?;
                let mut cells = render(ctx, &a, layout, year, &next_id(&mut rb));
                let field = match kind {
                    Bad::ImpossibleDate => {
                        let s = impossible_text(a.assault.date(), Some(a.assault.time()), layout.dates, &mut rb);
                        layout.set(&mut cells, Col::Assault, Cell::Text(s));
                        "assault_at"
                    }
                    Bad::TwoDigitYear => {
                        let s = two_digit_text(a.assault.date(), Some(a.assault.time()));
                        layout.set(&mut cells, Col::Assault, Cell::Text(s));
                        "assault_at"
                    }
                    _ => {
                        layout.set(&mut cells, Col::Id, Cell::Empty);
                        "attendance_id"
                    }
                };
                extra.push(Row { cells, tag: kind.tag(field) });
            }
        }
        let n_dup = (here.len() / 150).max(3);
        let rows = add_duplicates(scatter(rows, extra, &mut rb), n_dup, "attendance_id", &mut rb);
        files.push(PartnerFile { path: layout.path, header: layout.header(), sink: layout.sink, rows });
    }
    let source = SourceTruth::new(&files, all.iter().map(|a| (a.year, a.place.status(HomeField::Lsoa))));
    Ok(AeOutput { files, source, weekend_night, night_peak })
}

fn render(ctx: &Ctx, a: &Attendance, layout: &Layout<Col>, year: usize, id: &str) -> Vec<Cell> {
    layout
        .columns
        .iter()
        .map(|&(_, col)| match col {
            Col::Id => Cell::text(id),
            Col::Site => Cell::text(a.site),
            Col::Arrival => layout.datetime(a.arrival),
            Col::Assault => layout.datetime(a.assault),
            Col::Method => Cell::text(METHODS[a.method].0),
            Col::MethodDescription => Cell::text(METHODS[a.method].1),
            Col::LocationType => Cell::text(LOCATION_TEXT[year.min(2)][a.location]),
            Col::LocationDescription => Cell::Text(a.description.clone()),
            Col::Age => a.age.map_or(Cell::Empty, |v| layout.int(i64::from(v))),
            Col::Sex => Cell::text(match (year, a.sex) {
                (2, "M") => "Male",
                (2, "F") => "Female",
                (2, "U") => "Not known",
                (_, s) => s,
            }),
            Col::Lsoa => a.place.cell(HomeField::Lsoa, ctx.lsoas, ctx.borough),
        })
        .collect()
}

const STREETS: [&str; 24] = [
    "Acacia", "Larch", "Mill", "Station", "Church", "Market", "Victoria", "Albert", "Canal", "Bridge", "Park", "Grove",
    "Elm", "Rowan", "Cedar", "Windmill", "Chapel", "Kings", "Queens", "Orchard", "Tanner", "Cooper", "Fletcher",
    "Brook",
];
const SUFFIXES: [&str; 8] = ["Road", "Street", "Close", "Lane", "Avenue", "Way", "Gardens", "Terrace"];
const PUBS: [&str; 12] = [
    "Red Lion",
    "Kings Arms",
    "Crown",
    "White Hart",
    "Railway Tavern",
    "Prince Albert",
    "Rose and Crown",
    "Plough",
    "Royal Oak",
    "Bell",
    "Swan",
    "George",
];
const CLUBS: [&str; 5] = ["Pulse", "Atlantis", "Vibe", "Club Neon", "The Vault"];
const SHOPS: [&str; 8] = [
    "Tesco Express",
    "Kebab King",
    "Chicken Cottage",
    "Café Rouge",
    "Costcutter",
    "Lidl",
    "Ladbrokes",
    "Sainsbury's Local",
];
const NAMES: [&str; 14] = [
    "Jamie",
    "Kelly",
    "Dean",
    "Shannon",
    "Tyler",
    "Chantelle",
    "Marcus",
    "Leanne",
    "Kyle",
    "Aisha",
    "Connor",
    "Jade",
    "Reece",
    "Bianca",
];

fn any(rng: &mut SynthRng, list: &[&'static str]) -> &'static str {
    list[rng.random_range(0..list.len())]
}

/// A plausible, personal-data-laden ASSAULT LOCATION DESCRIPTION for a location type (no line breaks).
fn description(location: usize, rng: &mut SynthRng) -> String {
    let street = format!("{} {}", any(rng, &STREETS), any(rng, &SUFFIXES));
    let street2 = format!("{} {}", any(rng, &STREETS), any(rng, &SUFFIXES));
    let (pub_name, club, shop, name) = (any(rng, &PUBS), any(rng, &CLUBS), any(rng, &SHOPS), any(rng, &NAMES));
    let other_street = any(rng, &STREETS);
    let n = rng::int(rng, 1, 180);
    let flat = rng::int(rng, 1, 60);
    match (LOCATION_TYPES[location], rng.random_range(0..3)) {
        ("home", 0) => format!("pt's home address, {n} {street}"),
        ("home", 1) => format!("flat {flat}, {other_street} House, {street}"),
        ("home", _) => format!("partner's house ({name}), {n} {street}"),
        ("street", 0) => format!("outside {shop} on {street}"),
        ("street", 1) => format!("{street} near junction with {street2}"),
        ("street", _) => format!("alleyway behind {n} {street}"),
        ("licensed premises", 0) => format!("The {pub_name}, {street}"),
        ("licensed premises", 1) => format!("{club} nightclub, {street}"),
        ("licensed premises", _) => format!("outside the {pub_name} PH - friend {name} also hurt"),
        ("school", 0) => format!("{other_street} Academy school gates"),
        ("school", _) => format!("playground, St {name}'s primary"),
        ("public transport", 0) => format!("bus stop on {street}"),
        ("public transport", 1) => format!("{other_street} station platform 2"),
        ("public transport", _) => format!("on the {n} bus near {street}"),
        ("workplace", 0) => format!("at work - {shop}, {street}"),
        ("workplace", _) => format!("staff car park, {shop} {street}"),
        (_, 0) => format!("{other_street} Park by the play area"),
        (_, 1) => format!("canal towpath by {street}"),
        _ => format!("car park of {shop}, {street}"),
    }
}
