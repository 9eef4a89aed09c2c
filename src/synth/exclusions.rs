//! School suspensions and permanent exclusions on school days, with pupil headcounts by ethnic group (written
//! to `reference/pupils.csv`) as denominators. Violence-related exclusions (any reason in the DfE subset PP PA
//! VP VA OW BW SM SB) are drawn per group in proportion to headcount x a planted relative rate, so Black pupils
//! are excluded for violence at about twice the rate of White pupils. A planted share of the youth justice
//! cohort is excluded too, under the same UPN.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use rand::Rng;
use serde::Serialize;

use super::calendar::{self, YEARS};
use super::data::{BLACK, ETHNIC_GROUPS, WHITE};
use super::error::SynthError;
use super::layout::{Row, RowTag, Sink};
use super::partners::{
    Bad, Ctx, Home, HomeField, Layout, PartnerFile, SourceTruth, TextDate, UpnPool, bad_plan, impossible_text,
    pick_distinct, random_weekday, scatter, two_digit_text,
};
use super::rng::{self, SynthRng, Weighted, streams};
use super::truth::{Measure, measure};
use super::writers::{Cell, CsvFormat, Encoding};
use super::yot::YotOutput;

/// The DfE violence-related subset (as flagged in seeds/dfe_exclusion_reasons.csv), with shares of reason 1.
const VIOLENT: [(&str, f64); 8] =
    [("PP", 0.35), ("PA", 0.12), ("VP", 0.15), ("VA", 0.20), ("OW", 0.06), ("BW", 0.04), ("SM", 0.04), ("SB", 0.04)];
const OTHER: [(&str, f64); 12] = [
    ("DB", 0.52),
    ("DA", 0.08),
    ("BU", 0.07),
    ("DM", 0.07),
    ("TH", 0.05),
    ("RA", 0.04),
    ("LG", 0.02),
    ("DS", 0.01),
    ("MT", 0.08),
    ("TB", 0.02),
    ("MB", 0.02),
    ("PH", 0.02),
];
/// "OT" (other) was withdrawn in 2020/21; "ZZ" and "XX" are placeholders.
const UNKNOWN_REASONS: [&str; 3] = ["OT", "ZZ", "XX"];
/// Relative rates (Asian, Black, Mixed, White, Other) of other exclusions; violence-related ones take the
/// planted Black ratio and these for the rest.
const OTHER_RATE: [f64; 5] = [0.45, 1.3, 1.5, 1.0, 0.8];
const VIOLENT_RATE: [f64; 5] = [0.45, f64::NAN, 1.7, 1.0, 0.8];
/// National curriculum years 1..=13 of excluded pupils.
const NC_YEAR: [f64; 13] = [0.015, 0.015, 0.02, 0.02, 0.025, 0.035, 0.10, 0.16, 0.21, 0.21, 0.15, 0.02, 0.01];
/// Suspension lengths in days.
const DAYS: [(u32, f64); 6] = [(1, 0.45), (2, 0.25), (3, 0.15), (4, 0.05), (5, 0.07), (10, 0.03)];
const PRIMARY_PER_SCALE: usize = 60;
const SECONDARY_PER_SCALE: usize = 15;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Id,
    School,
    Start,
    Type,
    Reason1,
    Reason2,
    Reason3,
    Sessions,
    NcYear,
    Age,
    Sex,
    Ethnicity,
    Sen,
    Fsm,
    HomeLsoa,
    HomeWard,
}

const LAYOUTS: [Layout<Col>; 3] = [
    Layout {
        path: "raw/exclusions/exclusions_2023-24.csv",
        sink: Sink::Csv(CsvFormat { delimiter: b',', encoding: Encoding::Utf8, crlf: false }),
        dates: TextDate::Uk,
        columns: &[
            ("UPN", Col::Id),
            ("School URN", Col::School),
            ("Start Date", Col::Start),
            ("Category", Col::Type),
            ("Reason 1", Col::Reason1),
            ("Reason 2", Col::Reason2),
            ("Reason 3", Col::Reason3),
            ("Sessions", Col::Sessions),
            ("NC Year", Col::NcYear),
            ("Age", Col::Age),
            ("Gender", Col::Sex),
            ("Ethnicity", Col::Ethnicity),
            ("SEN Provision", Col::Sen),
            ("FSM Eligible", Col::Fsm),
            ("Home LSOA", Col::HomeLsoa),
        ],
    },
    Layout {
        path: "raw/exclusions/exclusions_2024-25.xlsx",
        sink: Sink::Xlsx { sheet: "Exclusions" },
        dates: TextDate::Uk,
        columns: &[
            ("Pupil UPN", Col::Id),
            ("URN", Col::School),
            ("Exclusion Start Date", Col::Start),
            ("Exclusion Type", Col::Type),
            ("Reason1", Col::Reason1),
            ("Reason2", Col::Reason2),
            ("Reason3", Col::Reason3),
            ("Number of Sessions", Col::Sessions),
            ("Year Group", Col::NcYear),
            ("Age", Col::Age),
            ("Sex", Col::Sex),
            ("Ethnic Code", Col::Ethnicity),
            ("SEN Status", Col::Sen),
            ("FSM", Col::Fsm),
            ("LSOA", Col::HomeLsoa),
        ],
    },
    Layout {
        path: "raw/exclusions/exclusions_2025-26.csv",
        sink: Sink::Csv(CsvFormat { delimiter: b'\t', encoding: Encoding::Windows1252, crlf: true }),
        dates: TextDate::Dashed,
        columns: &[
            ("Pupil ID", Col::Id),
            ("School URN", Col::School),
            ("Exclusion Start", Col::Start),
            ("Exclusion Type", Col::Type),
            ("Reason 1", Col::Reason1),
            ("Reason 2", Col::Reason2),
            ("Reason 3", Col::Reason3),
            ("Sessions", Col::Sessions),
            ("NC Year", Col::NcYear),
            ("Age", Col::Age),
            ("Sex", Col::Sex),
            ("Ethnicity", Col::Ethnicity),
            ("SEN", Col::Sen),
            ("FSM", Col::Fsm),
            ("Home Ward", Col::HomeWard),
        ],
    },
];

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PupilCount {
    /// Financial-year label; the count is the January school census inside it.
    pub year: String,
    pub ethnic_group: String,
    pub headcount: u64,
}

/// Violence-related exclusions per 100 pupils, Black over White (ethnic group as recorded, SDE).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ExclusionRateRatio {
    pub target: f64,
    pub realised: f64,
    pub black_violent_exclusions: usize,
    pub black_pupils: u64,
    pub white_violent_exclusions: usize,
    pub white_pupils: u64,
    pub black_rate_per_100: f64,
    pub white_rate_per_100: f64,
    pub by_year: BTreeMap<String, f64>,
}

pub struct ExclusionsOutput {
    pub files: Vec<PartnerFile>,
    pub source: SourceTruth,
    pub rate_ratio: ExclusionRateRatio,
    pub yot_in_exclusions: Measure,
    pub pupils: Vec<PupilCount>,
}

#[derive(Debug, Clone)]
struct Pupil {
    upn: String,
    sex: usize,
    ethnicity: String,
    dob: NaiveDate,
    /// 'N', 'K' or 'E'
    sen: char,
    fsm: bool,
    home: Home,
    primary: usize,
    secondary: usize,
}

#[derive(Debug, Clone)]
struct Exclusion {
    pupil: usize,
    year: usize,
    start: NaiveDate,
    /// "SUSP", "PERM" or "LNCH"
    kind: &'static str,
    reasons: Vec<&'static str>,
    sessions: Option<u32>,
}

/// Term-time weekdays (approximate London terms: no summer, Christmas, Easter or half-term weeks).
pub fn is_school_day(d: NaiveDate) -> bool {
    let md = (d.month(), d.day());
    let holiday = md >= (7, 23) && md <= (9, 3)
        || md >= (12, 20)
        || md <= (1, 3)
        || (md >= (4, 1) && md <= (4, 14))
        || (md >= (10, 24) && md <= (10, 31))
        || (md >= (2, 14) && md <= (2, 20))
        || (md >= (5, 26) && md <= (5, 31));
    d.weekday().num_days_from_monday() < 5 && !holiday
}

fn school_day(year: usize, rng: &mut SynthRng) -> Result<NaiveDate, SynthError> {
    loop {
        let d = random_weekday(year, rng)?;
        if is_school_day(d) {
            return Ok(d);
        }
    }
}

/// National curriculum year on `d` of a pupil born on `dob` (age on 31 August before the school year, less 4).
fn nc_year(dob: NaiveDate, d: NaiveDate) -> Result<i64, SynthError> {
    let ay = if d.month() >= 9 { d.year() } else { d.year() - 1 };
    Ok(i64::from(calendar::age_on(dob, calendar::ymd(ay, 8, 31)?)) - 4)
}

struct Draw<'a> {
    ctx: &'a Ctx<'a>,
    wards: Weighted,
    schools: (Vec<String>, Vec<String>),
}

impl Draw<'_> {
    fn pupil(&self, upns: &mut UpnPool, eth: usize, on: NaiveDate, rng: &mut SynthRng) -> Result<Pupil, SynthError> {
        let ncy = 1 + *rng::pick(rng, &NC_YEAR.iter().copied().enumerate().collect::<Vec<_>>()) as u32;
        let ay = if on.month() >= 9 { on.year() } else { on.year() - 1 };
        let dob = calendar::dob_for_age(ncy + 4, calendar::ymd(ay, 8, 31)?, rng)?;
        let u = rng::unit(rng);
        let ethnicity = if u < 0.03 { "NS".to_string() } else { self.ctx.sde(eth, rng) };
        let sen = *rng::pick(rng, &[('N', 0.55), ('K', 0.33), ('E', 0.12)]);
        Ok(Pupil {
            upn: upns.next_upn(),
            sex: usize::from(rng::chance(rng, 0.26)),
            ethnicity,
            dob,
            sen,
            fsm: rng::chance(rng, 0.45),
            home: self.ctx.draw_home(&self.wards, 0.07, 0.02, rng),
            primary: rng.random_range(0..self.schools.0.len()),
            secondary: rng.random_range(0..self.schools.1.len()),
        })
    }

    fn exclusion(
        &self,
        pupil: usize,
        start: NaiveDate,
        violent: bool,
        rng: &mut SynthRng,
    ) -> Result<Exclusion, SynthError> {
        let (perm, lunch) = if violent { (0.025, 0.02) } else { (0.008, 0.04) };
        let u = rng::unit(rng);
        let kind = if u < perm {
            "PERM"
        } else if u < perm + lunch {
            "LNCH"
        } else {
            "SUSP"
        };
        let any: Vec<(&'static str, f64)> = VIOLENT.iter().chain(OTHER.iter()).copied().collect();
        let (first, more): (&[(&'static str, f64)], &[(&'static str, f64)]) =
            if violent { (&VIOLENT, &any) } else { (&OTHER, &OTHER) };
        let mut reasons = vec![*rng::pick(rng, first)];
        for p in [if violent { 0.25 } else { 0.20 }, if violent { 0.06 } else { 0.04 }] {
            if reasons.len() < 3 && rng::chance(rng, p) {
                let r = *rng::pick(rng, more);
                if !reasons.contains(&r) {
                    reasons.push(r);
                }
            }
        }
        let sessions = match kind {
            "PERM" => None,
            "LNCH" => Some(1),
            _ => Some(2 * *rng::pick(rng, &DAYS)),
        };
        let year = super::partners::year_of(start)
            .ok_or_else(|| SynthError::Calendar(format!("{start} outside the years")))?;
        Ok(Exclusion { pupil, year, start, kind, reasons, sessions })
    }
}

/// Planted row kinds of an exclusions file (two-digit years only where dates are not ISO).
fn kinds(layout: &Layout<Col>) -> Vec<(Bad, f64)> {
    let mut kinds =
        vec![(Bad::ImpossibleDate, 0.2), (Bad::UnknownCode, 0.25), (Bad::AgeOutOfRange, 0.2), (Bad::MissingId, 0.15)];
    if layout.dates != TextDate::Iso {
        kinds.push((Bad::TwoDigitYear, 0.15));
    }
    kinds
}

/// Pupils on roll by (year, ethnic group): residents of school age (5-14 and 60% of 15-19) in state schools.
fn headcounts(ctx: &Ctx) -> Vec<[u64; 5]> {
    let mut base = [0.0f64; 5];
    for ward in &ctx.pop.cells {
        for (b, band) in ward.iter().enumerate() {
            let bd = &ctx.data.bands[b];
            let f = match bd.min_age {
                5 | 10 => 1.0,
                15 => 0.6,
                _ => 0.0,
            };
            for sex in band {
                for (e, v) in sex.iter().enumerate() {
                    base[e] += *v as f64 * f * ctx.params.pupil_share_of_school_age;
                }
            }
        }
    }
    (0..YEARS.len()).map(|y| base.map(|b| (b * (1.0 + 0.01 * y as f64)).round() as u64)).collect()
}

pub fn generate(ctx: &Ctx, yot: &YotOutput, upns: &mut UpnPool) -> Result<ExclusionsOutput, SynthError> {
    let p = ctx.params;
    let mut r = rng::stream(ctx.seed, streams::EXCLUSIONS);
    let n_primary = PRIMARY_PER_SCALE * ctx.scale as usize;
    let n_secondary = SECONDARY_PER_SCALE * ctx.scale as usize;
    let urns = |base: u64, n: usize, r: &mut SynthRng| {
        let mut next = base;
        (0..n)
            .map(|_| {
                next += rng::int(r, 1, 90);
                next.to_string()
            })
            .collect::<Vec<_>>()
    };
    let primary = urns(100_100, n_primary, &mut r);
    // Secondary URNs follow the primary ones, so the two never collide at any scale.
    let secondary_base = primary.last().and_then(|u| u.parse::<u64>().ok()).unwrap_or(100_100) + 500;
    let schools = (primary, urns(secondary_base, n_secondary, &mut r));
    let draw = Draw { ctx, wards: ctx.ward_weights(1.3)?, schools };
    let hc = headcounts(ctx);
    let mut violent_rate = VIOLENT_RATE;
    violent_rate[BLACK] = p.black_white_violent_exclusion_rate_ratio;

    let mut pupils: Vec<Pupil> = Vec::new();
    let mut by_group: Vec<Vec<usize>> = vec![Vec::new(); 5];
    let mut events: Vec<Exclusion> = Vec::new();
    for (year, counts) in hc.iter().enumerate() {
        for (violent, base_rate, rel) in
            [(true, p.exclusion_violent_rate_white, &violent_rate), (false, p.exclusion_other_rate_white, &OTHER_RATE)]
        {
            let expected: Vec<f64> = (0..5).map(|g| counts[g] as f64 * base_rate * rel[g]).collect();
            let n = expected.iter().sum::<f64>().round() as usize;
            let groups = Weighted::new(expected.iter().copied())
                .ok_or_else(|| SynthError::seed("partner_params.csv", "no pupils to exclude"))?;
            for _ in 0..n {
                let g = groups.sample(&mut r);
                let start = school_day(year, &mut r)?;
                let mut chosen = None;
                if rng::chance(&mut r, p.repeat_excluded_pupil_share) && !by_group[g].is_empty() {
                    for _ in 0..5 {
                        let cand = by_group[g][r.random_range(0..by_group[g].len())];
                        if (1..=13).contains(&nc_year(pupils[cand].dob, start)?) {
                            chosen = Some(cand);
                            break;
                        }
                    }
                }
                let pupil = match chosen {
                    Some(x) => x,
                    None => {
                        pupils.push(draw.pupil(upns, g, start, &mut r)?);
                        by_group[g].push(pupils.len() - 1);
                        pupils.len() - 1
                    }
                };
                events.push(draw.exclusion(pupil, start, violent, &mut r)?);
            }
        }
    }

    // A planted share of the youth justice cohort, excluded while of school age (years 5-13), same UPN.
    let mut ry = rng::keyed(ctx.seed, streams::EXCLUSIONS, &[1]);
    let mut order: Vec<usize> = (0..yot.children.len()).collect();
    for i in (1..order.len()).rev() {
        order.swap(i, ry.random_range(0..=i));
    }
    let target = (yot.children.len() as f64 * p.yot_in_exclusions_share).round() as usize;
    let mut linked = vec![false; yot.children.len()];
    let mut n_linked = 0;
    for &c in &order {
        if n_linked == target {
            break;
        }
        let child = &yot.children[c];
        let k = 1 + usize::from(rng::chance(&mut ry, 0.5)) + usize::from(rng::chance(&mut ry, 0.25));
        let mut dates = Vec::new();
        for _ in 0..60 {
            if dates.len() == k {
                break;
            }
            let d = school_day(ry.random_range(0..YEARS.len()), &mut ry)?;
            if (5..=13).contains(&nc_year(child.dob, d)?) && !dates.contains(&d) {
                dates.push(d);
            }
        }
        if dates.is_empty() {
            continue;
        }
        let sen = match (child.sen, rng::chance(&mut ry, 0.3)) {
            (false, _) => 'N',
            (true, false) => 'K',
            (true, true) => 'E',
        };
        pupils.push(Pupil {
            upn: child.upn.clone(),
            sex: child.sex,
            ethnicity: child.ethnicity.clone(),
            dob: child.dob,
            sen,
            fsm: rng::chance(&mut ry, 0.6),
            home: child.home,
            primary: ry.random_range(0..draw.schools.0.len()),
            secondary: ry.random_range(0..draw.schools.1.len()),
        });
        for d in dates {
            let violent = rng::chance(&mut ry, 0.55);
            events.push(draw.exclusion(pupils.len() - 1, d, violent, &mut ry)?);
        }
        linked[c] = true;
        n_linked += 1;
    }
    events.sort_by(|a, b| a.start.cmp(&b.start).then(pupils[a.pupil].upn.cmp(&pupils[b.pupil].upn)));
    let yot_in_exclusions =
        measure(p.yot_in_exclusions_share, (0..yot.children.len()).map(|c| (yot.first_year[c], linked[c])));

    let pupil_counts = (0..YEARS.len())
        .flat_map(|y| (0..5).map(move |g| (y, g)))
        .map(|(y, g)| PupilCount {
            year: YEARS[y].0.to_string(),
            ethnic_group: ETHNIC_GROUPS[g].to_string(),
            headcount: hc[y][g],
        })
        .collect();

    let mut rb = rng::keyed(ctx.seed, streams::PARTNER_BAD_ROWS, &[5]);
    let mut files = Vec::new();
    let mut status = Vec::new();
    for (year, layout) in LAYOUTS.iter().enumerate() {
        let field = if layout.pos(Col::HomeWard).is_some() { HomeField::Ward } else { HomeField::Lsoa };
        let here: Vec<usize> = (0..events.len()).filter(|&i| events[i].year == year).collect();
        let plan = bad_plan(here.len(), p.partner_bad_row_share, &kinds(layout));
        // Real exclusions written with one bad value: an impossible age, or a reason 1 on no list (which the
        // rate ratio below sees as the file does).
        let mut written_age: BTreeMap<usize, u32> = BTreeMap::new();
        let mut repaired: BTreeMap<usize, RowTag> = BTreeMap::new();
        for &(kind, n) in plan.iter().filter(|(k, _)| k.repaired()) {
            let free: Vec<usize> = here.iter().copied().filter(|e| !repaired.contains_key(e)).collect();
            for e in pick_distinct(free, n, &mut rb) {
                let field = if kind == Bad::AgeOutOfRange {
                    written_age.insert(e, if rng::chance(&mut rb, 0.5) { 2 } else { 23 });
                    "age"
                } else {
                    events[e].reasons[0] = UNKNOWN_REASONS[rb.random_range(0..UNKNOWN_REASONS.len())];
                    "reason_1"
                };
                repaired.insert(e, kind.tag(field));
            }
        }
        let mut rows = Vec::with_capacity(here.len());
        for &ei in &here {
            let e = &events[ei];
            let cells = render(ctx, &draw, &pupils[e.pupil], e, layout, year, written_age.get(&ei).copied())?;
            rows.push(Row { cells, tag: repaired.remove(&ei).unwrap_or(RowTag::Clean) });
            status.push((year, pupils[e.pupil].home.status(field)));
        }
        let mut extra = Vec::new();
        for &(kind, n) in plan.iter().filter(|(k, _)| !k.repaired()) {
            for _ in 0..n {
                let start = school_day(year, &mut rb)?;
                let pupil = draw.pupil(upns, rb.random_range(0..5), start, &mut rb)?;
                let e = draw.exclusion(0, start, rng::chance(&mut rb, 0.4), &mut rb)?;
                let mut cells = render(ctx, &draw, &pupil, &e, layout, year, None)?;
                let field = match kind {
                    Bad::ImpossibleDate => {
                        layout.set(
                            &mut cells,
                            Col::Start,
                            Cell::Text(impossible_text(start, None, layout.dates, &mut rb)),
                        );
                        "exclusion_start"
                    }
                    Bad::TwoDigitYear => {
                        layout.set(&mut cells, Col::Start, Cell::Text(two_digit_text(start, None)));
                        "exclusion_start"
                    }
                    _ => {
                        layout.set(&mut cells, Col::Id, Cell::Empty);
                        "pupil_id"
                    }
                };
                extra.push(Row { cells, tag: kind.tag(field) });
            }
        }
        let rows = scatter(rows, extra, &mut rb);
        files.push(PartnerFile { path: layout.path, header: layout.header(), sink: layout.sink, rows });
    }
    let source = SourceTruth::new(&files, status.into_iter());
    // Measured on the exclusions as written: a reason 1 on no list is staged, but is no violence-related reason.
    let is_violent = |e: &Exclusion| e.reasons.iter().any(|r| VIOLENT.iter().any(|(v, _)| v == r));
    let group_of = |e: &Exclusion| pupils[e.pupil].ethnicity.chars().next();
    let count = |letter: char, year: Option<usize>| {
        events
            .iter()
            .filter(|e| year.is_none_or(|y| e.year == y) && is_violent(e) && group_of(e) == Some(letter))
            .count()
    };
    let (bp, wp): (u64, u64) = (hc.iter().map(|c| c[BLACK]).sum(), hc.iter().map(|c| c[WHITE]).sum());
    let rate = |n: usize, d: u64| if d == 0 { 0.0 } else { n as f64 / d as f64 * 100.0 };
    let (bv, wv) = (count('B', None), count('W', None));
    let ratio = |b: f64, w: f64| if w > 0.0 { b / w } else { 0.0 };
    let rate_ratio = ExclusionRateRatio {
        target: p.black_white_violent_exclusion_rate_ratio,
        realised: ratio(rate(bv, bp), rate(wv, wp)),
        black_violent_exclusions: bv,
        black_pupils: bp,
        white_violent_exclusions: wv,
        white_pupils: wp,
        black_rate_per_100: rate(bv, bp),
        white_rate_per_100: rate(wv, wp),
        by_year: (0..YEARS.len())
            .map(|y| {
                let v = ratio(rate(count('B', Some(y)), hc[y][BLACK]), rate(count('W', Some(y)), hc[y][WHITE]));
                (YEARS[y].0.to_string(), v)
            })
            .collect(),
    };
    Ok(ExclusionsOutput { files, source, rate_ratio, yot_in_exclusions, pupils: pupil_counts })
}

fn render(
    ctx: &Ctx,
    draw: &Draw,
    pupil: &Pupil,
    e: &Exclusion,
    layout: &Layout<Col>,
    year: usize,
    age: Option<u32>,
) -> Result<Vec<Cell>, SynthError> {
    let ncy = nc_year(pupil.dob, e.start)?;
    let age = age.unwrap_or_else(|| calendar::age_on(pupil.dob, e.start));
    let school = if ncy <= 6 { &draw.schools.0[pupil.primary] } else { &draw.schools.1[pupil.secondary] };
    let reason = |i: usize| e.reasons.get(i).map_or(Cell::Empty, |r| Cell::text(*r));
    Ok(layout
        .columns
        .iter()
        .map(|&(_, col)| match col {
            Col::Id => Cell::Text(pupil.upn.clone()),
            Col::School => Cell::Text(school.clone()),
            Col::Start => layout.date(e.start),
            Col::Type => Cell::text(match (year, e.kind) {
                (0, "PERM") => "Permanent exclusion",
                (0, "LNCH") => "Lunchtime",
                (0, _) => "Suspension",
                (2, "SUSP") => "FIXD",
                (_, k) => k,
            }),
            Col::Reason1 => reason(0),
            Col::Reason2 => reason(1),
            Col::Reason3 => reason(2),
            Col::Sessions => e.sessions.map_or(Cell::Empty, |s| layout.int(i64::from(s))),
            Col::NcYear if year == 0 => Cell::Text(format!("Y{ncy}")),
            Col::NcYear => layout.int(ncy),
            Col::Age => layout.int(i64::from(age)),
            Col::Sex => Cell::text(match (year, pupil.sex) {
                (0, 0) => "Male",
                (0, _) => "Female",
                (_, 0) => "M",
                _ => "F",
            }),
            Col::Ethnicity => Cell::Text(pupil.ethnicity.clone()),
            Col::Sen => Cell::Text(pupil.sen.to_string()),
            Col::Fsm => Cell::text(match (year, pupil.fsm) {
                (0, true) => "Y",
                (0, false) => "N",
                (1, true) => "Yes",
                (1, false) => "No",
                (_, true) => "1",
                _ => "0",
            }),
            Col::HomeLsoa => pupil.home.cell(HomeField::Lsoa, ctx.lsoas, ctx.borough),
            Col::HomeWard => pupil.home.cell(HomeField::Ward, ctx.lsoas, ctx.borough),
        })
        .collect())
}
