//! MARAC referrals, case level. Referrals are made on working days; each is either a repeat (a victim
//! referred within the last 12 months, chosen so the running repeat share tracks the planted one), an older
//! victim returning after more than 12 months (not a repeat), or a new victim. Victims are mostly women; a
//! planted share has a disability (a fixed attribute of the victim, so repeats carry it too).

use chrono::{Duration, Months, NaiveDate};
use rand::Rng;

use super::calendar::{self, YEARS};
use super::error::SynthError;
use super::layout::{Row, RowTag, Sink};
use super::partners::{
    Bad, Ctx, Home, HomeField, Layout, PartnerFile, SourceTruth, TextDate, add_duplicates, age_from, bad_plan,
    impossible_text, pick_clean, random_weekday, scatter, two_digit_text,
};
use super::rng::{self, SynthRng, Weighted, streams};
use super::truth::{Measure, measure};
use super::writers::{Cell, CsvFormat, Encoding};

const AGENCIES: [(usize, f64); 7] = [(0, 0.62), (1, 0.12), (2, 0.08), (3, 0.08), (4, 0.03), (5, 0.02), (6, 0.05)];
/// Referring agency as each file spells it: police, IDVA, health, children's services, housing, probation, other.
const AGENCY_TEXT: [[&str; 7]; 3] = [
    ["Police", "IDVA", "Health", "Children's Services", "Housing", "Probation", "Other"],
    ["Met Police", "IDVA Service", "GP", "CSC", "Housing Provider", "NPS", "Voluntary Sector"],
    ["Police", "IDVA", "Hospital", "Children's Social Care", "Housing", "Probation Service", "Education"],
];
const UNKNOWN_AGENCIES: [&str; 3] = ["Agency 7", "TBC", "Neighbour"];
const BASIS: [(usize, f64); 3] = [(0, 0.76), (1, 0.16), (2, 0.08)];
const BASIS_TEXT: [[&str; 3]; 3] = [
    ["Visible high risk", "Professional judgement", "Escalation"],
    ["High risk", "PJ", "Escalation"],
    ["Visible High Risk", "Professional Judgement", "Potential Escalation"],
];
const RELATIONSHIPS: [(usize, f64); 4] = [(0, 0.52), (1, 0.32), (2, 0.14), (3, 0.02)];
const RELATIONSHIP_TEXT: [[&str; 4]; 3] = [
    ["Intimate partner", "Ex-partner", "Family member", "Other"],
    ["Partner", "Ex partner", "Family", "Other"],
    ["Current partner", "Former partner", "Adult child", "Friend"],
];
const VICTIM_AGES: [(u32, u32, f64); 7] =
    [(16, 17, 0.015), (18, 24, 0.17), (25, 34, 0.33), (35, 44, 0.25), (45, 54, 0.14), (55, 64, 0.06), (65, 85, 0.035)];
/// Some victims come back after more than 12 months: a re-referral, not a repeat.
const RETURN_SHARE: f64 = 0.03;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Case,
    Date,
    Victim,
    Age,
    Sex,
    Ethnicity,
    Disability,
    Lgbt,
    Children,
    Agency,
    Basis,
    Dash,
    PerpAge,
    PerpSex,
    Relationship,
    HomeLsoa,
    HomeWard,
}

const LAYOUTS: [Layout<Col>; 3] = [
    Layout {
        path: "raw/marac/marac_referrals_2023-24.csv",
        sink: Sink::Csv(CsvFormat { delimiter: b',', encoding: Encoding::Utf8Bom, crlf: true }),
        dates: TextDate::Uk,
        columns: &[
            ("Case ID", Col::Case),
            ("Date of Referral", Col::Date),
            ("Victim ID", Col::Victim),
            ("Victim Age", Col::Age),
            ("Victim Gender", Col::Sex),
            ("Victim Ethnicity", Col::Ethnicity),
            ("Disability", Col::Disability),
            ("LGBT+", Col::Lgbt),
            ("No. of Children", Col::Children),
            ("Referring Agency", Col::Agency),
            ("Referral Reason", Col::Basis),
            ("DASH Score", Col::Dash),
            ("Perpetrator Age", Col::PerpAge),
            ("Perpetrator Gender", Col::PerpSex),
            ("Relationship to Victim", Col::Relationship),
            ("Home LSOA", Col::HomeLsoa),
        ],
    },
    Layout {
        path: "raw/marac/marac_referrals_2024-25.csv",
        sink: Sink::Csv(CsvFormat { delimiter: b',', encoding: Encoding::Utf8, crlf: false }),
        dates: TextDate::Uk,
        columns: &[
            ("MARAC Case Ref", Col::Case),
            ("Referral Date", Col::Date),
            ("Victim Ref", Col::Victim),
            ("Age", Col::Age),
            ("Sex", Col::Sex),
            ("Ethnicity", Col::Ethnicity),
            ("Victim Disability", Col::Disability),
            ("Victim LGBT", Col::Lgbt),
            ("Children in Household", Col::Children),
            ("Referred By", Col::Agency),
            ("Referral Basis", Col::Basis),
            ("DASH", Col::Dash),
            ("Perp Age", Col::PerpAge),
            ("Perp Sex", Col::PerpSex),
            ("Relationship", Col::Relationship),
            ("LSOA", Col::HomeLsoa),
        ],
    },
    Layout {
        path: "raw/marac/marac_referrals_2025-26.xlsx",
        sink: Sink::Xlsx { sheet: "MARAC 2025-26" },
        dates: TextDate::Uk,
        columns: &[
            ("Case Reference", Col::Case),
            ("Date Referred", Col::Date),
            ("Victim ID", Col::Victim),
            ("Victim Age", Col::Age),
            ("Victim Sex", Col::Sex),
            ("Victim Ethnicity Code", Col::Ethnicity),
            ("Victim Disabled", Col::Disability),
            ("LGBTQ+", Col::Lgbt),
            ("Number of Children", Col::Children),
            ("Referring Agency", Col::Agency),
            ("Basis of Referral", Col::Basis),
            ("DASH Risk Score", Col::Dash),
            ("Perpetrator Age", Col::PerpAge),
            ("Perpetrator Sex", Col::PerpSex),
            ("Relationship to Perpetrator", Col::Relationship),
            ("Home Ward", Col::HomeWard),
        ],
    },
];

#[derive(Debug, Clone)]
struct Victim {
    id: String,
    female: bool,
    disabled: bool,
    lgbt: bool,
    dob: NaiveDate,
    ethnicity: String,
    home: Home,
    children: u32,
    perp_male: bool,
    perp_age_gap: i64,
    relationship: usize,
}

#[derive(Debug, Clone)]
struct Referral {
    year: usize,
    date: NaiveDate,
    victim: usize,
    agency: usize,
    basis: usize,
    dash: u32,
}

pub struct MaracOutput {
    pub files: Vec<PartnerFile>,
    pub source: SourceTruth,
    pub female: Measure,
    pub disability: Measure,
    pub repeat: Measure,
}

struct Draw<'a> {
    ctx: &'a Ctx<'a>,
    ethnic: Weighted,
    wards: Weighted,
}

impl Draw<'_> {
    fn victim(&self, id: String, age: u32, on: NaiveDate, rng: &mut SynthRng) -> Result<Victim, SynthError> {
        let p = self.ctx.params;
        let female = rng::chance(rng, p.marac_female_share);
        let eth = self.ethnic.sample(rng);
        let ethnicity = if rng::chance(rng, 0.04) { "NS".to_string() } else { self.ctx.sde(eth, rng) };
        let children = *rng::pick(rng, &[(0u32, 0.35), (1, 0.25), (2, 0.20), (3, 0.12), (4, 0.05), (5, 0.03)]);
        let perp_male = if female { rng::chance(rng, 0.95) } else { rng::chance(rng, 0.4) };
        Ok(Victim {
            id,
            female,
            disabled: rng::chance(rng, p.marac_disability_share),
            lgbt: rng::chance(rng, 0.02),
            dob: calendar::dob_for_age(age, on, rng)?,
            ethnicity,
            home: self.ctx.draw_home(&self.wards, 0.05, 0.02, rng),
            children,
            perp_male,
            perp_age_gap: rng::int(rng, 0, 16) as i64 - 5,
            relationship: *rng::pick(rng, &RELATIONSHIPS),
        })
    }

    fn referral(&self, year: usize, date: NaiveDate, victim: usize, rng: &mut SynthRng) -> Referral {
        let basis = *rng::pick(rng, &BASIS);
        let dash = match basis {
            0 => 14 + (rng::unit(rng) * rng::unit(rng) * 14.0) as u32,
            1 => rng::int(rng, 6, 18) as u32,
            _ => rng::int(rng, 5, 20) as u32,
        };
        Referral { year, date, victim, agency: *rng::pick(rng, &AGENCIES), basis, dash: dash.min(27) }
    }
}

fn within_12_months(previous: NaiveDate, date: NaiveDate) -> bool {
    previous.checked_add_months(Months::new(12)).is_some_and(|limit| date <= limit)
}

pub fn generate(ctx: &Ctx) -> Result<MaracOutput, SynthError> {
    let p = ctx.params;
    let mut r = rng::stream(ctx.seed, streams::MARAC);
    let eth = ctx.ethnic_weights(16, 64);
    let draw = Draw {
        ctx,
        ethnic: Weighted::new(eth).ok_or_else(|| SynthError::seed("ethnic_composition.csv", "no adults"))?,
        wards: ctx.ward_weights(1.4)?,
    };
    let mut dates: Vec<(NaiveDate, usize)> = Vec::new();
    for year in 0..YEARS.len() {
        for _ in 0..ctx.per_year(p.marac_referrals_per_year_per_scale) {
            dates.push((random_weekday(year, &mut r)?, year));
        }
    }
    dates.sort();
    let mut victims: Vec<Victim> = Vec::new();
    let mut last: Vec<NaiveDate> = Vec::new();
    // Every referral so far, in date order; an entry is live while it is its victim's latest referral.
    let mut history: Vec<(NaiveDate, usize)> = Vec::new();
    let mut referrals: Vec<Referral> = Vec::new();
    let mut next_id = rng::int(&mut r, 20_000, 40_000);
    let (mut repeats, mut total) = (0usize, 0usize);
    for (date, year) in dates {
        // Repeats are steered towards the planted share (the first months have few victims to repeat).
        let share = if total == 0 { 0.0 } else { repeats as f64 / total as f64 };
        let p_repeat = (p.marac_repeat_share + 1.5 * (p.marac_repeat_share - share)).clamp(0.0, 0.9);
        // Victims last referred 14 days to 12 months ago may repeat; those referred earlier may return.
        let recent_from = history.partition_point(|&(d, _)| !within_12_months(d, date));
        let recent_to = history.partition_point(|&(d, _)| d + Duration::days(14) <= date);
        let live = |lo: usize, hi: usize, r: &mut SynthRng| {
            (lo < hi)
                .then(|| (0..20).map(|_| history[r.random_range(lo..hi)]).find(|&(d, v)| last[v] == d).map(|(_, v)| v))
                .flatten()
        };
        let u = rng::unit(&mut r);
        let recent = if u < p_repeat { live(recent_from, recent_to, &mut r) } else { None };
        let older = if recent.is_none() && u < p_repeat + RETURN_SHARE { live(0, recent_from, &mut r) } else { None };
        let victim = match (recent, older) {
            (Some(v), _) => {
                repeats += 1;
                v
            }
            (None, Some(v)) => v,
            (None, None) => {
                next_id += rng::int(&mut r, 1, 9);
                victims.push(draw.victim(format!("MV{next_id:06}"), age_from(&VICTIM_AGES, &mut r), date, &mut r)?);
                last.push(date);
                victims.len() - 1
            }
        };
        total += 1;
        last[victim] = date;
        history.push((date, victim));
        referrals.push(draw.referral(year, date, victim, &mut r));
    }

    let female = measure(p.marac_female_share, referrals.iter().map(|x| (x.year, victims[x.victim].female)));
    let disability = measure(p.marac_disability_share, referrals.iter().map(|x| (x.year, victims[x.victim].disabled)));
    let mut previous: Vec<Option<NaiveDate>> = vec![None; victims.len()];
    let mut repeat_items = Vec::with_capacity(referrals.len());
    for x in &referrals {
        repeat_items.push((x.year, previous[x.victim].is_some_and(|d| within_12_months(d, x.date))));
        previous[x.victim] = Some(x.date);
    }
    let repeat = measure(p.marac_repeat_share, repeat_items.into_iter());

    let mut rb = rng::keyed(ctx.seed, streams::PARTNER_BAD_ROWS, &[4]);
    let mut files = Vec::new();
    let mut status = Vec::new();
    for (year, layout) in LAYOUTS.iter().enumerate() {
        let field = if layout.pos(Col::HomeWard).is_some() { HomeField::Ward } else { HomeField::Lsoa };
        let mut seq = rng::int(&mut rb, 10, 60);
        let mut next_case = |rb: &mut SynthRng| {
            seq += rng::int(rb, 1, 3);
            format!("MARAC-{}-{seq:04}", YEARS[year].1)
        };
        let here: Vec<&Referral> = referrals.iter().filter(|x| x.year == year).collect();
        let mut rows = Vec::with_capacity(here.len());
        for x in &here {
            let v = &victims[x.victim];
            let age = calendar::age_on(v.dob, x.date);
            rows.push(Row { cells: render(ctx, v, x, age, layout, year, &next_case(&mut rb)), tag: RowTag::Clean });
            status.push((year, v.home.status(field)));
        }
        let kinds = [
            (Bad::ImpossibleDate, 0.15),
            (Bad::TwoDigitYear, 0.15),
            (Bad::UnknownCode, 0.2),
            (Bad::AgeOutOfRange, 0.15),
            (Bad::OutOfRange, 0.15),
            (Bad::MissingId, 0.1),
        ];
        let mut extra = Vec::new();
        for (kind, n) in bad_plan(here.len(), p.partner_bad_row_share, &kinds) {
            if kind.repaired() {
                // A real referral with an impossible victim age, a DASH score above 27 or an agency on no list.
                for i in pick_clean(&rows, n, &mut rb) {
                    let cells = &mut rows[i].cells;
                    let field = match kind {
                        Bad::AgeOutOfRange => {
                            let age = if rng::chance(&mut rb, 0.7) { rng::int(&mut rb, 13, 15) } else { 117 };
                            layout.set(cells, Col::Age, layout.int(age as i64));
                            "victim_age"
                        }
                        Bad::OutOfRange => {
                            layout.set(cells, Col::Dash, layout.int(rng::int(&mut rb, 28, 40) as i64));
                            "dash_score"
                        }
                        _ => {
                            let s = UNKNOWN_AGENCIES[rb.random_range(0..UNKNOWN_AGENCIES.len())];
                            layout.set(cells, Col::Agency, Cell::text(s));
                            "referring_agency"
                        }
                    };
                    rows[i].tag = kind.tag(field);
                }
                continue;
            }
            for _ in 0..n {
                let date = random_weekday(year, &mut rb)?;
                next_id += rng::int(&mut rb, 1, 9);
                let age = age_from(&VICTIM_AGES, &mut rb);
                let v = draw.victim(format!("MV{next_id:06}"), age, date, &mut rb)?;
                let x = draw.referral(year, date, 0, &mut rb);
                let mut cells = render(ctx, &v, &x, age, layout, year, &next_case(&mut rb));
                let field = match kind {
                    Bad::ImpossibleDate => {
                        layout.set(
                            &mut cells,
                            Col::Date,
                            Cell::Text(impossible_text(date, None, layout.dates, &mut rb)),
                        );
                        "referral_date"
                    }
                    Bad::TwoDigitYear => {
                        layout.set(&mut cells, Col::Date, Cell::Text(two_digit_text(date, None)));
                        "referral_date"
                    }
                    _ => {
                        layout.set(&mut cells, Col::Victim, Cell::Empty);
                        "victim_id"
                    }
                };
                extra.push(Row { cells, tag: kind.tag(field) });
            }
        }
        let rows = add_duplicates(scatter(rows, extra, &mut rb), (here.len() / 100).max(3), "case_id", &mut rb);
        files.push(PartnerFile { path: layout.path, header: layout.header(), sink: layout.sink, rows });
    }
    let source = SourceTruth::new(&files, status.into_iter());
    Ok(MaracOutput { files, source, female, disability, repeat })
}

fn render(ctx: &Ctx, v: &Victim, x: &Referral, age: u32, layout: &Layout<Col>, year: usize, case: &str) -> Vec<Cell> {
    let t = year.min(2);
    let yes_no = |b: bool| {
        Cell::text(match (t, b) {
            (1, true) => "Y",
            (1, false) => "N",
            (_, true) => "Yes",
            (_, false) => "No",
        })
    };
    let sex = |male: bool| {
        Cell::text(match (t, male) {
            (0, true) => "Male",
            (0, false) => "Female",
            (_, true) => "M",
            (_, false) => "F",
        })
    };
    // Within the accepted range whatever the victim's age, so a bad victim age is a row's only defect.
    let perp_age = (i64::from(age) + v.perp_age_gap).clamp(16, 100);
    layout
        .columns
        .iter()
        .map(|&(_, col)| match col {
            Col::Case => Cell::text(case),
            Col::Date => layout.date(x.date),
            Col::Victim => Cell::Text(v.id.clone()),
            Col::Age => layout.int(i64::from(age)),
            Col::Sex => sex(!v.female),
            Col::Ethnicity => Cell::Text(v.ethnicity.clone()),
            Col::Disability => yes_no(v.disabled),
            Col::Lgbt => yes_no(v.lgbt),
            Col::Children => layout.int(i64::from(v.children)),
            Col::Agency => Cell::text(AGENCY_TEXT[t][x.agency]),
            Col::Basis => Cell::text(BASIS_TEXT[t][x.basis]),
            Col::Dash => layout.int(i64::from(x.dash)),
            Col::PerpAge => layout.int(perp_age),
            Col::PerpSex => sex(v.perp_male),
            Col::Relationship => Cell::text(RELATIONSHIP_TEXT[t][v.relationship]),
            Col::HomeLsoa => v.home.cell(HomeField::Lsoa, ctx.lsoas, ctx.borough),
            Col::HomeWard => v.home.cell(HomeField::Ward, ctx.lsoas, ctx.borough),
        })
        .collect()
}
