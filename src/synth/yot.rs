//! Youth Justice Service caseload: children aged 10-17 entering the caseload each year, each with one or more
//! offences and outcomes. A planted share has a speech, language and communication or neuro-disability
//! concern (a fixed attribute of the child). Children carry UPNs from the pool the schools use, so the
//! exclusions generator can give a planted share of them exclusions under the same identifier.

use chrono::{Duration, NaiveDate};
use rand::Rng;

use super::calendar::{self, YEARS};
use super::error::SynthError;
use super::layout::{Row, RowTag, Sink};
use super::partners::{
    Bad, Ctx, Home, HomeField, Layout, PartnerFile, SourceTruth, TextDate, UpnPool, bad_plan, impossible_text,
    pick_clean, random_day, scatter, two_digit_text, window, year_of,
};
use super::rng::{self, SynthRng, Weighted, streams};
use super::truth::{Measure, measure};
use super::writers::{Cell, CsvFormat, Encoding};

/// YJB offence categories (as in seeds/yjb_offence_categories.csv), share of offences, gravity score range.
const CATEGORIES: [(&str, f64, u8, u8); 13] = [
    ("Violence against the person", 0.27, 2, 5),
    ("Robbery", 0.08, 5, 6),
    ("Sexual offences", 0.03, 4, 7),
    ("Theft and handling stolen goods", 0.12, 1, 3),
    ("Drugs offences", 0.12, 2, 4),
    ("Criminal damage", 0.07, 1, 3),
    ("Public order", 0.07, 2, 3),
    ("Motoring offences", 0.08, 1, 3),
    ("Breach of statutory order", 0.05, 2, 4),
    ("Domestic burglary", 0.03, 4, 6),
    ("Non-domestic burglary", 0.03, 3, 4),
    ("Vehicle theft / unauthorised taking", 0.03, 3, 4),
    ("Other", 0.02, 1, 3),
];
/// Outcomes: (full text, abbreviation used by the 2025-26 export).
const OUTCOMES: [(&str, &str); 8] = [
    ("Community Resolution", "CR"),
    ("Youth Caution", "YC"),
    ("Youth Conditional Caution", "YCC"),
    ("Referral Order", "Referral Order"),
    ("Youth Rehabilitation Order", "YRO"),
    ("Detention and Training Order", "DTO"),
    ("Section 250 Detention", "S250"),
    ("Fine", "Fine"),
];
/// Outcome weights by gravity: <= 2, 3-4, 5-6, 7-8.
const OUTCOME_BY_GRAVITY: [[f64; 8]; 4] = [
    [0.55, 0.30, 0.10, 0.05, 0.0, 0.0, 0.0, 0.0],
    [0.20, 0.25, 0.20, 0.25, 0.07, 0.0, 0.0, 0.03],
    [0.0, 0.0, 0.05, 0.45, 0.35, 0.12, 0.03, 0.0],
    [0.0, 0.0, 0.0, 0.20, 0.35, 0.35, 0.10, 0.0],
];
/// Outcomes abolished in 2013: an extract still holding them has unconverted legacy rows.
const UNKNOWN_OUTCOMES: [&str; 3] = ["Final Warning", "Reprimand", "Action Plan Order"];
/// Age at the first offence in the window, 10..=17.
const FIRST_AGE: [f64; 8] = [0.02, 0.04, 0.07, 0.11, 0.16, 0.21, 0.21, 0.18];
/// Relative chance of a child in each ethnic group (Asian, Black, Mixed, White, Other) entering the caseload.
const ETHNIC_RISK: [f64; 5] = [0.55, 2.6, 1.9, 0.85, 0.9];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Id,
    Dob,
    Age,
    Sex,
    Ethnicity,
    OffenceDate,
    Category,
    Gravity,
    Outcome,
    OutcomeDate,
    Fte,
    Slcn,
    Sen,
    LookedAfter,
    HomeLsoa,
    HomeWard,
}

/// The 2023-25 workbook (two financial years) and the 2025-26 CSV.
const LAYOUTS: [Layout<Col>; 2] = [
    Layout {
        path: "raw/yot/yjs_caseload_2023-25.xlsx",
        sink: Sink::Xlsx { sheet: "Caseload" },
        dates: TextDate::Uk,
        columns: &[
            ("Child ID", Col::Id),
            ("Date of Birth", Col::Dob),
            ("Sex", Col::Sex),
            ("Ethnicity", Col::Ethnicity),
            ("Offence Date", Col::OffenceDate),
            ("Offence Type", Col::Category),
            ("Gravity Score", Col::Gravity),
            ("Outcome", Col::Outcome),
            ("Outcome Date", Col::OutcomeDate),
            ("FTE", Col::Fte),
            ("SLCN", Col::Slcn),
            ("SEN", Col::Sen),
            ("LAC", Col::LookedAfter),
            ("Home LSOA", Col::HomeLsoa),
        ],
    },
    Layout {
        path: "raw/yot/yjs_caseload_2025-26.csv",
        sink: Sink::Csv(CsvFormat { delimiter: b',', encoding: Encoding::Utf8Bom, crlf: true }),
        dates: TextDate::Uk,
        columns: &[
            ("UPN", Col::Id),
            ("Age at Offence", Col::Age),
            ("Gender", Col::Sex),
            ("Ethnicity", Col::Ethnicity),
            ("Offence Date", Col::OffenceDate),
            ("Offence Category", Col::Category),
            ("Seriousness Score", Col::Gravity),
            ("Outcome Type", Col::Outcome),
            ("Outcome Date", Col::OutcomeDate),
            ("First Time Entrant", Col::Fte),
            ("Speech Language Communication Need", Col::Slcn),
            ("SEN", Col::Sen),
            ("Looked After", Col::LookedAfter),
            ("Home Ward", Col::HomeWard),
        ],
    },
];
/// Which layout holds each financial year.
const LAYOUT_OF_YEAR: [usize; 3] = [0, 0, 1];

#[derive(Debug, Clone)]
pub struct Child {
    pub upn: String,
    /// 0 = M, 1 = F.
    pub sex: usize,
    /// Ethnicity as recorded (an SDE code, `NS` or empty).
    pub ethnicity: String,
    pub dob: NaiveDate,
    pub slcn: bool,
    pub sen: bool,
    pub looked_after: bool,
    pub home: Home,
}

#[derive(Debug, Clone)]
struct Episode {
    child: usize,
    year: usize,
    offence: NaiveDate,
    category: usize,
    gravity: u8,
    outcome: usize,
    outcome_date: NaiveDate,
    fte: bool,
}

pub struct YotOutput {
    pub files: Vec<PartnerFile>,
    pub source: SourceTruth,
    pub slcn: Measure,
    /// Every child of the clean caseload.
    pub children: Vec<Child>,
    /// Financial year of each child's first clean row.
    pub first_year: Vec<usize>,
}

struct Draw<'a> {
    ctx: &'a Ctx<'a>,
    ethnic: Weighted,
    wards: Weighted,
}

impl Draw<'_> {
    fn child(&self, upns: &mut UpnPool, age: u32, on: NaiveDate, rng: &mut SynthRng) -> Result<Child, SynthError> {
        let eth = self.ethnic.sample(rng);
        let u = rng::unit(rng);
        let ethnicity = if u < 0.04 {
            "NS".to_string()
        } else if u < 0.06 {
            String::new()
        } else {
            self.ctx.sde(eth, rng)
        };
        Ok(Child {
            upn: upns.next_upn(),
            sex: usize::from(rng::chance(rng, 0.16)),
            ethnicity,
            dob: calendar::dob_for_age(age, on, rng)?,
            slcn: rng::chance(rng, self.ctx.params.yot_slcn_share),
            sen: rng::chance(rng, 0.38),
            looked_after: rng::chance(rng, 0.12),
            home: self.ctx.draw_home(&self.wards, 0.05, 0.02, rng),
        })
    }

    fn episode(&self, child: usize, offence: NaiveDate, fte: bool, rng: &mut SynthRng) -> Result<Episode, SynthError> {
        let category = *rng::pick(rng, &CATEGORIES.iter().enumerate().map(|(i, c)| (i, c.1)).collect::<Vec<_>>());
        let (_, _, lo, hi) = CATEGORIES[category];
        let gravity = rng::int(rng, u64::from(lo), u64::from(hi)) as u8;
        let band = match gravity {
            0..=2 => 0,
            3..=4 => 1,
            5..=6 => 2,
            _ => 3,
        };
        let outcome = *rng::pick(rng, &OUTCOME_BY_GRAVITY[band].iter().copied().enumerate().collect::<Vec<_>>());
        let days = if outcome == 0 { rng::int(rng, 1, 30) } else { rng::int(rng, 14, 150) };
        let outcome_date = (offence + Duration::days(days as i64)).min(calendar::extract_date()?);
        let year =
            year_of(offence).ok_or_else(|| SynthError::Calendar(format!("offence {offence} outside the years")))?;
        Ok(Episode { child, year, offence, category, gravity, outcome, outcome_date, fte })
    }
}

pub fn generate(ctx: &Ctx, upns: &mut UpnPool) -> Result<YotOutput, SynthError> {
    let p = ctx.params;
    let mut r = rng::stream(ctx.seed, streams::YOT);
    let eth_pop = ctx.ethnic_weights(10, 19);
    let draw = Draw {
        ctx,
        ethnic: Weighted::new((0..5).map(|e| eth_pop[e] * ETHNIC_RISK[e]))
            .ok_or_else(|| SynthError::seed("ethnic_composition.csv", "no children"))?,
        wards: ctx.ward_weights(1.8)?,
    };
    let (_, last_day) = window()?;
    let mut children = Vec::new();
    let mut episodes = Vec::new();
    for year in 0..YEARS.len() {
        for _ in 0..ctx.per_year(p.yot_children_per_year_per_scale) {
            let first = random_day(year, &mut r)?;
            let age = 10 + *rng::pick(&mut r, &FIRST_AGE.iter().copied().enumerate().collect::<Vec<_>>()) as u32;
            let child = draw.child(upns, age, first, &mut r)?;
            let c = children.len();
            episodes.push(draw.episode(c, first, rng::chance(&mut r, 0.72), &mut r)?);
            let mut date = first;
            for _ in 0..4 {
                if !rng::chance(&mut r, 0.45) {
                    break;
                }
                date += Duration::days(rng::int(&mut r, 20, 240) as i64);
                if date > last_day || calendar::age_on(child.dob, date) > 17 {
                    break;
                }
                episodes.push(draw.episode(c, date, false, &mut r)?);
            }
            children.push(child);
        }
    }
    episodes.sort_by_key(|e| (e.offence, e.child));
    let mut first_year = vec![usize::MAX; children.len()];
    for e in &episodes {
        first_year[e.child] = first_year[e.child].min(e.year);
    }
    let slcn = measure(p.yot_slcn_share, children.iter().enumerate().map(|(c, ch)| (first_year[c], ch.slcn)));

    let mut rb = rng::keyed(ctx.seed, streams::PARTNER_BAD_ROWS, &[3]);
    let mut files = Vec::new();
    let mut status = Vec::new();
    for (li, layout) in LAYOUTS.iter().enumerate() {
        let years: Vec<usize> = (0..YEARS.len()).filter(|&y| LAYOUT_OF_YEAR[y] == li).collect();
        let here: Vec<&Episode> = episodes.iter().filter(|e| years.contains(&e.year)).collect();
        let field = if layout.pos(Col::HomeWard).is_some() { HomeField::Ward } else { HomeField::Lsoa };
        let mut rows = Vec::with_capacity(here.len());
        for e in &here {
            rows.push(Row { cells: render(ctx, &children[e.child], e, layout), tag: RowTag::Clean });
            status.push((e.year, children[e.child].home.status(field)));
        }
        let kinds = [
            (Bad::AgeOutOfRange, 0.25),
            (Bad::ImpossibleDate, 0.2),
            (Bad::TwoDigitYear, 0.15),
            (Bad::UnknownCode, 0.2),
            (Bad::MissingId, 0.2),
        ];
        let mut extra = Vec::new();
        for (kind, n) in bad_plan(here.len(), p.partner_bad_row_share, &kinds) {
            if kind.repaired() {
                // A real episode with an age outside 10-17 (or a date of birth giving one), or a legacy outcome.
                for i in pick_clean(&rows, n, &mut rb) {
                    let field = if kind == Bad::AgeOutOfRange {
                        let age = if rng::chance(&mut rb, 0.5) { 9 } else { 19 };
                        if layout.pos(Col::Dob).is_some() {
                            let dob = calendar::dob_for_age(age, here[i].offence, &mut rb)?;
                            layout.set(&mut rows[i].cells, Col::Dob, layout.date(dob));
                            "date_of_birth"
                        } else {
                            layout.set(&mut rows[i].cells, Col::Age, layout.int(i64::from(age)));
                            "age_at_offence"
                        }
                    } else {
                        let s = UNKNOWN_OUTCOMES[rb.random_range(0..UNKNOWN_OUTCOMES.len())];
                        layout.set(&mut rows[i].cells, Col::Outcome, Cell::text(s));
                        "outcome_type"
                    };
                    rows[i].tag = kind.tag(field);
                }
                continue;
            }
            for _ in 0..n {
                let year = years[rb.random_range(0..years.len())];
                let offence = random_day(year, &mut rb)?;
                let age = rng::int(&mut rb, 12, 17) as u32;
                let child = draw.child(upns, age, offence, &mut rb)?;
                let e = draw.episode(0, offence, true, &mut rb)?;
                let mut cells = render_as(ctx, &child, &e, layout, age);
                let field = match kind {
                    Bad::ImpossibleDate => {
                        layout.set(
                            &mut cells,
                            Col::OffenceDate,
                            Cell::Text(impossible_text(offence, None, layout.dates, &mut rb)),
                        );
                        "offence_date"
                    }
                    Bad::TwoDigitYear => {
                        layout.set(&mut cells, Col::OffenceDate, Cell::Text(two_digit_text(offence, None)));
                        "offence_date"
                    }
                    _ => {
                        layout.set(&mut cells, Col::Id, Cell::Empty);
                        "child_id"
                    }
                };
                extra.push(Row { cells, tag: kind.tag(field) });
            }
        }
        let rows = scatter(rows, extra, &mut rb);
        files.push(PartnerFile { path: layout.path, header: layout.header(), sink: layout.sink, rows });
    }
    let source = SourceTruth::new(&files, status.into_iter());
    Ok(YotOutput { files, source, slcn, children, first_year })
}

fn render(ctx: &Ctx, child: &Child, e: &Episode, layout: &Layout<Col>) -> Vec<Cell> {
    render_as(ctx, child, e, layout, calendar::age_on(child.dob, e.offence))
}

/// A row for an episode, stating `age` where the layout gives ages rather than dates of birth.
fn render_as(ctx: &Ctx, child: &Child, e: &Episode, layout: &Layout<Col>, age: u32) -> Vec<Cell> {
    let csv = !layout.xlsx();
    let flag = |b: bool| {
        Cell::text(match (csv, b) {
            (true, true) => "Yes",
            (true, false) => "No",
            (false, true) => "Y",
            (false, false) => "N",
        })
    };
    layout
        .columns
        .iter()
        .map(|&(_, col)| match col {
            Col::Id => Cell::Text(child.upn.clone()),
            Col::Dob => layout.date(child.dob),
            Col::Age => layout.int(i64::from(age)),
            Col::Sex => Cell::text(match (csv, child.sex) {
                (true, 0) => "M",
                (true, _) => "F",
                (false, 0) => "Male",
                (false, _) => "Female",
            }),
            Col::Ethnicity => Cell::Text(child.ethnicity.clone()),
            Col::OffenceDate => layout.date(e.offence),
            Col::Category => Cell::text(CATEGORIES[e.category].0),
            Col::Gravity => layout.int(i64::from(e.gravity)),
            Col::Outcome => Cell::text(if csv { OUTCOMES[e.outcome].1 } else { OUTCOMES[e.outcome].0 }),
            Col::OutcomeDate => layout.date(e.outcome_date),
            Col::Fte => flag(e.fte),
            Col::Slcn => flag(child.slcn),
            Col::Sen => flag(child.sen),
            Col::LookedAfter => flag(child.looked_after),
            Col::HomeLsoa => child.home.cell(super::partners::HomeField::Lsoa, ctx.lsoas, ctx.borough),
            Col::HomeWard => child.home.cell(super::partners::HomeField::Ward, ctx.lsoas, ctx.borough),
        })
        .collect()
}
