//! Police offences, victims and suspects for three financial years. Offences are drawn per year (code,
//! DA flag, time of week, place), then victims and suspects are attached in one chronological pass so that
//! people recur: repeat DA victims, people who are victims in several years, victims who are later suspects.
//! Extra offence rows destined to be bad, out-of-area or unknown-code rows are drawn the same way and flagged;
//! victims whose age is to be written impossibly are existing victims, flagged.

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{Duration, NaiveDate, NaiveDateTime, Timelike};
use rand::Rng;

use super::bad_rows::{self, BadKind, Repair};
use super::calendar::{self, HourOfWeek, WEEKEND_NIGHT_HOURS, YEARS, YearDays};
use super::data::{BLACK, GenData, Injury, LOCATION_TYPES, OffenceType, RiskGroup};
use super::error::SynthError;
use super::geometry::Borough;
use super::population::{N_ETH, Population};
use super::rng::{self, SynthRng, Weighted, streams};

/// What an offence or person row is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Extra {
    /// A good row: measured for the planted truths.
    Clean,
    /// A row written to be rejected by ingest.
    Bad(BadKind),
    /// A real record written with one bad value: staged by ingest with that value repaired, and measured
    /// for the planted truths with it unknown.
    Repaired(Repair),
    /// An offence located 1-5 km outside the borough (staged, not rejected).
    Outside,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Flags {
    pub knife: bool,
    pub firearm: bool,
    pub corrosive: bool,
    pub hate: bool,
    pub alcohol: bool,
}

#[derive(Debug, Clone)]
pub struct Offence {
    pub year: usize,
    pub code: usize,
    pub domestic: bool,
    pub from: NaiveDateTime,
    pub to: Option<NaiveDateTime>,
    pub reported: NaiveDateTime,
    pub flags: Flags,
    /// Index into [`LOCATION_TYPES`].
    pub location: usize,
    pub easting: i64,
    pub northing: i64,
    /// The ward the point was drawn in (`None` outside the borough).
    pub ward: Option<usize>,
    /// HO outcome type and date; `None` = under investigation.
    pub outcome: Option<(u8, NaiveDate)>,
    /// Crime reference number within its year.
    pub seq: u64,
    pub extra: Extra,
    /// Indices of the offence's victim rows (its clean ones, which are always consecutive).
    pub victims: Ids,
    /// Indices of the offence's suspect rows (consecutive too).
    pub suspects: Ids,
}

impl Extra {
    /// Whether ingest stages the row (clean, repaired and out-of-area rows; not bad ones).
    pub fn staged(self) -> bool {
        !matches!(self, Extra::Bad(_))
    }
}

/// A short run of consecutive row indices (an offence's victims or suspects), kept in 8 bytes rather than
/// a heap-allocated `Vec` per offence: millions of offences at large scales.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ids {
    start: u32,
    len: u32,
}

impl Ids {
    /// Append row `i`, which must follow the last one (rows of one offence are pushed together).
    pub fn push(&mut self, i: usize) {
        debug_assert!(self.len == 0 || i == self.start as usize + self.len as usize);
        if self.len == 0 {
            self.start = i as u32;
        }
        self.len += 1;
    }

    pub fn len(&self) -> usize {
        self.len as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn first(&self) -> Option<usize> {
        (self.len > 0).then_some(self.start as usize)
    }

    pub fn iter(&self) -> std::ops::Range<usize> {
        self.start as usize..self.start as usize + self.len as usize
    }
}

#[derive(Debug, Clone)]
pub struct Person {
    pub id: u64,
    pub surname_no: u32,
    /// 0 = M, 1 = F.
    pub sex: usize,
    pub eth: usize,
    pub sde: Arc<str>,
    pub dob: NaiveDate,
}

/// Which offence a victim or suspect row points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    Offence(usize),
    /// A crime reference number (in the row's year) that no offence file holds.
    Orphan(u64),
    /// The crime reference is left empty.
    Missing,
}

#[derive(Debug, Clone)]
pub struct VictimRow {
    pub year: usize,
    pub link: Link,
    pub person: usize,
    pub age: u32,
    pub sex: &'static str,
    /// Recorded ethnicity: the SDE code, `NS` or empty.
    pub ethnicity: Arc<str>,
    pub relationship: &'static str,
    pub injury: &'static str,
    pub extra: Extra,
    /// Position in its file: (crime ref number, order within the crime).
    pub sort_key: (u64, u32),
}

impl VictimRow {
    /// The age written to the extract (212 for a victim planted with an impossible age).
    pub fn written_age(&self) -> u32 {
        match self.extra {
            Extra::Repaired(Repair::AgeOutOfRange) => 212,
            _ => self.age,
        }
    }

    /// The age ingest stages: unknown for a victim written with an impossible age.
    pub fn staged_age(&self) -> Option<u32> {
        match self.extra {
            Extra::Repaired(Repair::AgeOutOfRange) => None,
            _ => Some(self.age),
        }
    }
}

#[derive(Debug, Clone)]
pub struct SuspectRow {
    pub year: usize,
    pub link: Link,
    pub person: usize,
    pub age: u32,
    pub sex: &'static str,
    pub ic: Arc<str>,
    pub status: &'static str,
    pub extra: Extra,
    pub sort_key: (u64, u32),
}

#[derive(Debug, Clone)]
pub struct PoliceData {
    pub offences: Vec<Offence>,
    pub persons: Vec<Person>,
    pub victims: Vec<VictimRow>,
    pub suspects: Vec<SuspectRow>,
    /// Expected values implied by the generator's parameters (recorded as targets).
    pub expected: Expected,
}

#[derive(Debug, Clone, Copy)]
pub struct Expected {
    pub da_evening_share: f64,
    pub da_dwelling_share: f64,
    pub da_female_victim_share: f64,
    pub suspect_share: f64,
}

const DA_DAY: [f64; 7] = [1.0, 0.97, 0.97, 0.98, 1.02, 1.08, 1.10];
const GENERAL_DAY: [f64; 7] = [0.96, 0.94, 0.96, 0.99, 1.06, 1.10, 0.99];
/// Non-DA offence totals relative to 2023-24 (DA growth comes from params.csv).
const NON_DA_TREND: [f64; 3] = [1.0, 1.015, 0.99];
/// Share of outcomes still "under investigation" by year (recent years have more).
const UNDER_INVESTIGATION: [f64; 3] = [0.03, 0.08, 0.25];
/// Sanction detections. Type 5 (offender died) is never generated: sources disagree on whether it counts,
/// so leaving it out makes "1..8" and "1-4, 6-8" the same set.
const SANCTION_DETECTIONS: [(u8, f64); 7] =
    [(1, 0.62), (2, 0.04), (3, 0.08), (4, 0.02), (6, 0.05), (7, 0.02), (8, 0.17)];
const OTHER_WITH_SUSPECT: [(u8, f64); 12] = [
    (9, 0.03),
    (10, 0.03),
    (11, 0.005),
    (12, 0.005),
    (13, 0.01),
    (14, 0.20),
    (15, 0.14),
    (16, 0.30),
    (17, 0.01),
    (20, 0.04),
    (21, 0.15),
    (22, 0.08),
];
const NO_SUSPECT: [(u8, f64); 5] = [(18, 0.78), (14, 0.12), (21, 0.05), (20, 0.03), (19, 0.02)];
const REL_DA: [(&str, f64); 3] = [("partner", 0.50), ("ex-partner", 0.30), ("family", 0.20)];
const REL_CHILD: [(&str, f64); 4] = [("family", 0.55), ("acquaintance", 0.25), ("stranger", 0.10), ("unknown", 0.10)];
const REL_CONSTABLE: [(&str, f64); 2] = [("stranger", 0.9), ("unknown", 0.1)];
const REL_OTHER: [(&str, f64); 4] = [("acquaintance", 0.30), ("stranger", 0.45), ("unknown", 0.20), ("family", 0.05)];
const INJ_LOW: [(&str, f64); 3] = [("minor", 0.75), ("moderate", 0.22), ("serious", 0.03)];
const INJ_HIGH: [(&str, f64); 3] = [("minor", 0.20), ("moderate", 0.45), ("serious", 0.35)];
/// Recorded sex: mostly as the person, a few X (another term) and U (unknown).
const SEX_X: f64 = 0.004;
const SEX_U: f64 = 0.006;
const DA_REPEAT_WINDOW_DAYS: i64 = 330;
const OUTSIDE_MIN_M: f64 = 1_000.0;
const OUTSIDE_MAX_M: f64 = 5_000.0;

pub fn is_robbery(t: &OffenceType) -> bool {
    t.ho_code.starts_with("34")
}

/// Draws single offences: code, DA flag, times, place and flags.
pub struct OffenceSampler<'a> {
    data: &'a GenData,
    borough: &'a Borough,
    mix_da: Weighted,
    mix_non_da: Weighted,
    how_general: HourOfWeek,
    how_sv: HourOfWeek,
    how_da: HourOfWeek,
    pub years: Vec<YearDays>,
    wards_all: Weighted,
    wards_cold: Weighted,
    wards_hot: Weighted,
    cold: Vec<usize>,
    /// Share of offences flagged DA in the mix.
    pub da_fraction: f64,
}

impl<'a> OffenceSampler<'a> {
    /// `ward_weights`: relative chance of each ward holding an offence that is not pulled to the hot wards.
    pub fn new(data: &'a GenData, borough: &'a Borough, ward_weights: &[f64]) -> Result<Self, SynthError> {
        let mix_da = Weighted::new(data.mix.iter().map(|t| t.share * t.domestic_share))
            .ok_or_else(|| SynthError::seed("offence_mix.csv", "no code has a domestic share"))?;
        let mix_non_da = Weighted::new(data.mix.iter().map(|t| t.share * (1.0 - t.domestic_share)))
            .ok_or_else(|| SynthError::seed("offence_mix.csv", "no non-domestic offences"))?;
        let da_fraction = mix_da.total() / (mix_da.total() + mix_non_da.total());
        let how_general = HourOfWeek::new(GENERAL_DAY, &data.hours_general)?;
        let how_sv = how_general.with_share(&WEEKEND_NIGHT_HOURS, data.params.weekend_night_sv_share)?;
        let how_da = HourOfWeek::new(DA_DAY, &data.hours_domestic)?;
        let years = YEARS.iter().map(|&(_, y)| YearDays::new(y)).collect::<Result<Vec<_>, _>>()?;
        let hot = borough.hot;
        let cold: Vec<usize> = (0..borough.wards.len()).filter(|w| !hot.contains(w)).collect();
        let bad_weights = || SynthError::Geometry("ward weights must be positive".into());
        let wards_all = Weighted::new(ward_weights.iter().copied()).ok_or_else(bad_weights)?;
        let wards_cold = Weighted::new(cold.iter().map(|&w| ward_weights[w])).ok_or_else(bad_weights)?;
        let wards_hot = Weighted::new(hot.iter().map(|&w| ward_weights[w])).ok_or_else(bad_weights)?;
        Ok(OffenceSampler {
            data,
            borough,
            mix_da,
            mix_non_da,
            how_general,
            how_sv,
            how_da,
            years,
            wards_all,
            wards_cold,
            wards_hot,
            cold,
            da_fraction,
        })
    }

    pub fn how_da(&self) -> &HourOfWeek {
        &self.how_da
    }

    /// The hour-of-week profile of offences that are neither domestic nor serious violence.
    pub fn how_general(&self) -> &HourOfWeek {
        &self.how_general
    }

    /// A ward: pulled to the hot wards with chance `hot_share`, else among the others (`None`: any ward,
    /// by the sampler's weights).
    pub fn pick_ward(&self, hot_share: Option<f64>, rng: &mut SynthRng) -> usize {
        match hot_share {
            Some(p) if rng::chance(rng, p) => self.borough.hot[self.wards_hot.sample(rng)],
            Some(_) => self.cold[self.wards_cold.sample(rng)],
            None => self.wards_all.sample(rng),
        }
    }

    /// One clean offence in financial year `year` (index into [`YEARS`]).
    pub fn sample(&self, year: usize, domestic: bool, rng: &mut SynthRng) -> Result<Offence, SynthError> {
        let data = self.data;
        let code = if domestic { self.mix_da.sample(rng) } else { self.mix_non_da.sample(rng) };
        let t = &data.mix[code];
        let how = if domestic {
            &self.how_da
        } else if t.serious_violence {
            &self.how_sv
        } else {
            &self.how_general
        };
        let from = calendar::sample_datetime(&self.years[year], how, rng)?;
        let to = if rng::chance(rng, 0.4) { Some(from + Duration::minutes(rng.random_range(0..=720))) } else { None };
        let span = to.map_or(0, |t| (t - from).num_minutes());
        let max_delay = (7 * 24 * 60 - span) as f64;
        let u = rng::unit(rng);
        let reported = to.unwrap_or(from) + Duration::minutes((max_delay * u * u * u).floor() as i64);
        let night = calendar::is_night_hour(from.hour());
        let profile = if domestic {
            "domestic"
        } else if t.location_profile == "general" && night {
            "night"
        } else {
            t.location_profile.as_str()
        };
        let location_name = rng::pick(rng, data.location_profile(profile)?);
        let location = LOCATION_TYPES.iter().position(|l| l == location_name).unwrap_or(LOCATION_TYPES.len() - 1);
        let alcohol = if night && !domestic { (t.alcohol_share * 1.8).min(0.9) } else { t.alcohol_share };
        let flags = Flags {
            knife: rng::chance(rng, t.knife_share),
            firearm: rng::chance(rng, t.firearm_share),
            corrosive: rng::chance(rng, t.corrosive_share),
            hate: rng::chance(rng, t.hate_share),
            alcohol: rng::chance(rng, alcohol),
        };
        let hot_share = if t.serious_violence {
            Some(data.params.hot_ward_sv_share)
        } else if domestic {
            None
        } else {
            Some(data.params.hot_ward_other_share)
        };
        let ward = self.pick_ward(hot_share, rng);
        let p = self.borough.sample_in_ward(ward, rng);
        Ok(Offence {
            year,
            code,
            domestic,
            from,
            to,
            reported,
            flags,
            location,
            easting: p[0].round() as i64,
            northing: p[1].round() as i64,
            ward: Some(ward),
            outcome: None,
            seq: 0,
            extra: Extra::Clean,
            victims: Ids::default(),
            suspects: Ids::default(),
        })
    }
}

/// Flattened population cell index `(band * 2 + sex) * N_ETH + eth` back to (band, sex, ethnic group).
fn uncell(c: usize) -> (usize, usize, usize) {
    (c / (2 * N_ETH), (c / N_ETH) % 2, c % N_ETH)
}

/// Age range and draw weights over population cells for one kind of victim or suspect.
struct CellDraw {
    dist: Weighted,
    min_age: u32,
    max_age: u32,
}

/// Chance of a victim (or suspect) coming from each borough population cell: residents x age/sex risk x
/// the share of the band inside the allowed ages x (for victims) the planted Black-under-25 factor.
fn cell_draw(
    data: &GenData,
    pop: &Population,
    group: RiskGroup,
    sex: Option<usize>,
    min_age: u32,
    max_age: u32,
    black_u25_factor: f64,
) -> Option<CellDraw> {
    let u25 = data.under25_bands();
    let weights = (0..data.bands.len() * 2 * N_ETH).map(|c| {
        let (b, s, e) = uncell(c);
        if sex.is_some_and(|x| x != s) {
            return 0.0;
        }
        let band = &data.bands[b];
        let lo = band.min_age.max(min_age);
        let hi = band.max_age.min(max_age);
        if lo > hi {
            return 0.0;
        }
        let frac = f64::from(hi - lo + 1) / f64::from(band.max_age - band.min_age + 1);
        let factor = if e == BLACK && b < u25 { black_u25_factor } else { 1.0 };
        pop.borough_cell(b, s, e) as f64 * data.risk(group, b, s) * frac * factor
    });
    Weighted::new(weights).map(|dist| CellDraw { dist, min_age, max_age })
}

struct People<'a> {
    data: &'a GenData,
    persons: Vec<Person>,
    next_id: u64,
    rng: SynthRng,
    /// The seed lists' SDE and IC codes (and `NS`, empty) as shared strings: one allocation each, not one
    /// per person or row.
    codes: Codes,
}

struct Codes {
    sde: Vec<Vec<(Arc<str>, f64)>>,
    ic: Vec<Vec<(Arc<str>, f64)>>,
    not_stated: Arc<str>,
    blank: Arc<str>,
    ic9: Arc<str>,
}

impl Codes {
    fn new(data: &GenData) -> Codes {
        let shared = |list: &[(String, f64)]| list.iter().map(|(c, w)| (Arc::from(c.as_str()), *w)).collect();
        Codes {
            sde: data.ethnic.iter().map(|e| shared(&e.sde)).collect(),
            ic: data.ethnic.iter().map(|e| shared(&e.ic)).collect(),
            not_stated: Arc::from("NS"),
            blank: Arc::from(""),
            ic9: Arc::from("IC9"),
        }
    }
}

impl People<'_> {
    fn new_person(&mut self, sex: usize, eth: usize, age: u32, date: NaiveDate) -> Result<usize, SynthError> {
        let sde = rng::pick(&mut self.rng, &self.codes.sde[eth]).clone();
        let dob = calendar::dob_for_age(age, date, &mut self.rng)?;
        self.next_id += rng::int(&mut self.rng, 1, 7);
        let surname_no = self.rng.random_range(0..100_000);
        self.persons.push(Person { id: self.next_id, surname_no, sex, eth, sde, dob });
        Ok(self.persons.len() - 1)
    }

    fn draw(&mut self, d: &CellDraw, date: NaiveDate) -> Result<usize, SynthError> {
        let (b, s, e) = uncell(d.dist.sample(&mut self.rng));
        let band = &self.data.bands[b];
        let age =
            rng::int(&mut self.rng, u64::from(band.min_age.max(d.min_age)), u64::from(band.max_age.min(d.max_age)))
                as u32;
        self.new_person(s, e, age, date)
    }

    fn age(&self, p: usize, date: NaiveDate) -> u32 {
        calendar::age_on(self.persons[p].dob, date)
    }

    fn recorded_sex(&mut self, p: usize) -> &'static str {
        let r = rng::unit(&mut self.rng);
        if r < SEX_X {
            "X"
        } else if r < SEX_X + SEX_U {
            "U"
        } else if self.persons[p].sex == 0 {
            "M"
        } else {
            "F"
        }
    }

    fn recorded_ethnicity(&mut self, p: usize) -> Arc<str> {
        let ns = self.data.params.not_stated_ethnicity_share;
        let r = rng::unit(&mut self.rng);
        if r < ns * 2.0 / 3.0 {
            self.codes.not_stated.clone()
        } else if r < ns {
            self.codes.blank.clone()
        } else {
            self.persons[p].sde.clone()
        }
    }

    fn ic_code(&mut self, p: usize) -> Arc<str> {
        if rng::chance(&mut self.rng, 0.08) {
            return self.codes.ic9.clone();
        }
        let eth = self.persons[p].eth;
        rng::pick(&mut self.rng, &self.codes.ic[eth]).clone()
    }
}

fn fits(t: &OffenceType, person: &Person, age: u32, domestic: bool) -> bool {
    let min = if domestic { t.victim_min_age.max(16) } else { t.victim_min_age };
    t.victim_sex.is_none_or(|s| s == person.sex) && age >= min && age <= t.victim_max_age
}

/// Population-cell draws for victims (per offence type, non-DA and DA) and suspects.
struct Draws {
    victim: Vec<[Option<CellDraw>; 2]>,
    suspect_any: CellDraw,
    /// DA suspects aged 16+, by sex.
    suspect_by_sex: [CellDraw; 2],
}

fn no_cells() -> SynthError {
    SynthError::seed("age_risk.csv", "an offence type has no eligible population cell")
}

impl Draws {
    fn new(data: &GenData, pop: &Population) -> Result<Draws, SynthError> {
        let p = &data.params;
        let factor = p.black_u25_victim_rate_ratio;
        let mut victim_draws: Vec<[Option<CellDraw>; 2]> = Vec::with_capacity(data.mix.len());
        for t in &data.mix {
            let normal = cell_draw(data, pop, t.risk_group, t.victim_sex, t.victim_min_age, t.victim_max_age, factor);
            let da = if t.domestic_share > 0.0 {
                cell_draw(
                    data,
                    pop,
                    RiskGroup::Domestic,
                    t.victim_sex,
                    t.victim_min_age.max(16),
                    t.victim_max_age,
                    factor,
                )
            } else {
                None
            };
            victim_draws.push([normal, da]);
        }
        let suspect_any = cell_draw(data, pop, RiskGroup::Suspect, None, 10, 95, 1.0).ok_or_else(no_cells)?;
        let suspect_by_sex = [
            cell_draw(data, pop, RiskGroup::Suspect, Some(0), 16, 95, 1.0).ok_or_else(no_cells)?,
            cell_draw(data, pop, RiskGroup::Suspect, Some(1), 16, 95, 1.0).ok_or_else(no_cells)?,
        ];
        Ok(Draws { victim: victim_draws, suspect_any, suspect_by_sex })
    }
}

/// Generate every offence, victim and suspect for the three years.
pub fn generate(
    seed: u64,
    scale: u32,
    borough: &Borough,
    pop: &Population,
    data: &GenData,
) -> Result<PoliceData, SynthError> {
    let ward_weights: Vec<f64> = (0..borough.wards.len()).map(|w| pop.ward_total(w) as f64).collect();
    let sampler = OffenceSampler::new(data, borough, &ward_weights)?;
    let mut offences = draw_offences(seed, scale, borough, data, &sampler)?;
    let draws = Draws::new(data, pop)?;
    let mut people = People {
        data,
        persons: Vec::new(),
        next_id: 0,
        rng: rng::stream(seed, streams::PEOPLE),
        codes: Codes::new(data),
    };
    people.next_id = rng::int(&mut people.rng, 10_000, 90_000);
    let mut order: Vec<usize> = (0..offences.len()).filter(|&i| offences[i].extra == Extra::Clean).collect();
    order.sort_by_key(|&i| (offences[i].from, i));
    let (mut victims, mut suspects) = attach_people(&mut offences, &order, &mut people, &draws)?;
    let suspect_share = assign_outcomes(seed, &mut offences, &mut suspects, &order, data)?;
    let used = assign_refs(seed, &mut offences, &mut victims, &mut suspects);
    let bad = BadPersonRows { seed, data, offences: &offences, order: &order, draws: &draws };
    bad.add(&used, &mut people, &mut victims, &mut suspects)?;

    let expected = Expected {
        da_evening_share: sampler.how_da().share_of_day_hours(18..=23),
        da_dwelling_share: {
            let prof = data.location_profile("domestic")?;
            let total: f64 = prof.iter().map(|(_, w)| w).sum();
            prof.iter().filter(|(l, _)| l == "dwelling").map(|(_, w)| w).sum::<f64>() / total
        },
        da_female_victim_share: expected_da_female(data, &draws.victim),
        suspect_share,
    };
    // Trim the growth slack of the big vectors (millions of rows at large scales).
    let mut persons = people.persons;
    persons.shrink_to_fit();
    offences.shrink_to_fit();
    victims.shrink_to_fit();
    suspects.shrink_to_fit();
    Ok(PoliceData { offences, persons, victims, suspects, expected })
}

/// Clean offences for each year, then the extra rows destined to be bad or out of the area.
fn draw_offences(
    seed: u64,
    scale: u32,
    borough: &Borough,
    data: &GenData,
    sampler: &OffenceSampler,
) -> Result<Vec<Offence>, SynthError> {
    let p = &data.params;
    let base = p.offences_per_year_per_scale * f64::from(scale);
    let da_growth = [1.0 / p.da_growth_2024_25, 1.0, p.da_growth_2025_26];
    let mut offences: Vec<Offence> = Vec::new();
    for year in 0..YEARS.len() {
        let mut r = rng::keyed(seed, streams::OFFENCES, &[year as u64]);
        // 2024-25 is the reference year; 2023-24 wobbles by up to 1% ("roughly flat"); 2025-26 grows exactly.
        let wobble = if year == 0 { rng::uniform(&mut r, 0.99, 1.01) } else { 1.0 };
        let n_da = (base * sampler.da_fraction * da_growth[year] * wobble).round() as usize;
        let n_other = (base * (1.0 - sampler.da_fraction) * NON_DA_TREND[year] * rng::uniform(&mut r, 0.995, 1.005))
            .round() as usize;
        let mut kinds: Vec<bool> = (0..n_da).map(|_| true).chain((0..n_other).map(|_| false)).collect();
        // Shuffle so DA and non-DA offences interleave in the draw order.
        for i in (1..kinds.len()).rev() {
            kinds.swap(i, r.random_range(0..=i));
        }
        for domestic in kinds {
            offences.push(sampler.sample(year, domestic, &mut r)?);
        }
        let n_clean = n_da + n_other;
        let mut rb = rng::keyed(seed, streams::BAD_ROWS, &[year as u64, 0]);
        let n_outside = ((n_clean as f64 * p.outside_area_share).round() as usize).max(3);
        for _ in 0..n_outside {
            let mut o = sampler.sample(year, false, &mut rb)?;
            let q = borough.sample_outside(&mut rb, OUTSIDE_MIN_M, OUTSIDE_MAX_M);
            o.easting = q[0].round() as i64;
            o.northing = q[1].round() as i64;
            o.ward = None;
            o.extra = Extra::Outside;
            offences.push(o);
        }
        let plan = bad_rows::offence_plan(year, n_clean, p.bad_row_share);
        for &(kind, n) in &plan.bad {
            if kind == BadKind::Duplicate {
                continue; // duplicates are copies of clean rows, added when the file is written
            }
            for _ in 0..n {
                let mut o = sampler.sample(year, false, &mut rb)?;
                o.extra = Extra::Bad(kind);
                offences.push(o);
            }
        }
        // Offences recorded under a code on no list: real (staged) offences with no victims or suspects.
        for _ in 0..plan.repaired {
            let mut o = sampler.sample(year, false, &mut rb)?;
            let code = rb.random_range(0..bad_rows::UNKNOWN_CODES.len()) as u8;
            o.extra = Extra::Repaired(Repair::UnknownCode(code));
            offences.push(o);
        }
    }

    Ok(offences)
}

/// Victims and suspects in one chronological pass over the clean offences (`order`), so people recur.
fn attach_people(
    offences: &mut [Offence],
    order: &[usize],
    people: &mut People,
    draws: &Draws,
) -> Result<(Vec<VictimRow>, Vec<SuspectRow>), SynthError> {
    let p = &people.data.params;
    let data = people.data;
    // Reusing a recent DA victim with probability r gives about r / (1 - r) repeat victims (minus re-picks).
    let t_rep = p.da_repeat_victim_share;
    let da_reuse = (t_rep / (1.0 + t_rep)) * 1.30;

    let mut victims: Vec<VictimRow> = Vec::new();
    let mut suspects: Vec<SuspectRow> = Vec::new();
    // (date, person, suspect of that offence)
    let mut da_history: Vec<(NaiveDate, usize, Option<usize>)> = Vec::new();
    let mut victim_people: Vec<usize> = Vec::new();
    let mut suspect_people: Vec<usize> = Vec::new();
    for &oi in order {
        let (year, code, domestic, date) = {
            let o = &offences[oi];
            (o.year, o.code, o.domestic, o.from.date())
        };
        let t = &data.mix[code];
        let mut linked_suspect: Option<usize> = None;
        let mut these: Vec<usize> = Vec::new();
        if !t.victimless {
            let n = if rng::chance(&mut people.rng, p.second_victim_share) { 2 } else { 1 };
            for k in 0..n {
                let mut chosen: Option<usize> = None;
                if k == 0 && domestic && rng::chance(&mut people.rng, da_reuse) {
                    let cutoff = date - Duration::days(DA_REPEAT_WINDOW_DAYS);
                    let start = da_history.partition_point(|(d, _, _)| *d < cutoff);
                    if start < da_history.len() {
                        let (_, person, susp) = da_history[people.rng.random_range(start..da_history.len())];
                        if fits(t, &people.persons[person], people.age(person, date), true) {
                            chosen = Some(person);
                            linked_suspect = susp;
                        }
                    }
                } else if k == 0 && !domestic && !victim_people.is_empty() && rng::chance(&mut people.rng, 0.03) {
                    let person = victim_people[people.rng.random_range(0..victim_people.len())];
                    if fits(t, &people.persons[person], people.age(person, date), false) {
                        chosen = Some(person);
                    }
                }
                let person = match chosen {
                    Some(x) => x,
                    None => {
                        let draw = draws.victim[code][usize::from(domestic)].as_ref().ok_or_else(no_cells)?;
                        people.draw(draw, date)?
                    }
                };
                if these.contains(&person) {
                    continue;
                }
                these.push(person);
            }
        }
        for (k, &person) in these.iter().enumerate() {
            let relationship = *rng::pick(
                &mut people.rng,
                if domestic {
                    &REL_DA[..]
                } else if t.risk_group == RiskGroup::Child {
                    &REL_CHILD[..]
                } else if t.risk_group == RiskGroup::Constable {
                    &REL_CONSTABLE[..]
                } else {
                    &REL_OTHER[..]
                },
            );
            let injury = match t.injury {
                Injury::None => "none",
                Injury::Low => *rng::pick(&mut people.rng, &INJ_LOW),
                Injury::High => *rng::pick(&mut people.rng, &INJ_HIGH),
                Injury::Fatal => "serious",
            };
            let row = VictimRow {
                year,
                link: Link::Offence(oi),
                person,
                age: people.age(person, date),
                sex: people.recorded_sex(person),
                ethnicity: people.recorded_ethnicity(person),
                relationship,
                injury,
                extra: Extra::Clean,
                sort_key: (0, k as u32),
            };
            offences[oi].victims.push(victims.len());
            victims.push(row);
            victim_people.push(person);
        }

        let p_suspect = if domestic {
            0.85
        } else if t.victimless {
            0.97
        } else if is_robbery(t) {
            0.30
        } else if t.sexual {
            0.55
        } else {
            0.50
        };
        let mut suspects_here: Vec<usize> = Vec::new();
        if rng::chance(&mut people.rng, p_suspect) {
            let n = if rng::chance(&mut people.rng, p.second_suspect_share) { 2 } else { 1 };
            for k in 0..n {
                let roll = rng::unit(&mut people.rng);
                let mut chosen = if k == 0 { linked_suspect } else { None };
                if chosen.is_none() && roll < 0.10 && !suspect_people.is_empty() {
                    chosen = Some(suspect_people[people.rng.random_range(0..suspect_people.len())]);
                } else if chosen.is_none() && roll < 0.15 && !victim_people.is_empty() {
                    chosen = Some(victim_people[people.rng.random_range(0..victim_people.len())]);
                }
                let person = match chosen {
                    Some(x) if !these.contains(&x) && people.age(x, date) >= 10 => x,
                    _ if domestic => {
                        let victim_sex = these.first().map_or(1, |&v| people.persons[v].sex);
                        let sex = if rng::chance(&mut people.rng, 0.85) { 1 - victim_sex } else { victim_sex };
                        people.draw(&draws.suspect_by_sex[sex], date)?
                    }
                    _ => people.draw(&draws.suspect_any, date)?,
                };
                if suspects_here.contains(&person) {
                    continue;
                }
                suspects_here.push(person);
                let row = SuspectRow {
                    year,
                    link: Link::Offence(oi),
                    person,
                    age: people.age(person, date),
                    sex: if rng::chance(&mut people.rng, 0.02) {
                        "U"
                    } else if people.persons[person].sex == 0 {
                        "M"
                    } else {
                        "F"
                    },
                    ic: people.ic_code(person),
                    status: "suspect",
                    extra: Extra::Clean,
                    sort_key: (0, k as u32),
                };
                offences[oi].suspects.push(suspects.len());
                suspects.push(row);
                suspect_people.push(person);
            }
        }
        if let (true, Some(&v)) = (domestic, these.first()) {
            da_history.push((date, v, suspects_here.first().copied()));
        }
    }

    Ok((victims, suspects))
}

/// Outcomes (sanction detections need a suspect) and suspect statuses; returns the share of clean
/// offences with a suspect.
fn assign_outcomes(
    seed: u64,
    offences: &mut [Offence],
    suspects: &mut [SuspectRow],
    order: &[usize],
    data: &GenData,
) -> Result<f64, SynthError> {
    let p = &data.params;
    let n_clean = order.len().max(1);
    let with_suspect = order.iter().filter(|&&i| !offences[i].suspects.is_empty()).count().max(1);
    let suspect_share = with_suspect as f64 / n_clean as f64;
    let q_sd = (p.sanction_detection_share / suspect_share).min(0.95);
    let mut ro = rng::stream(seed, streams::OUTCOMES);
    let extract = calendar::extract_date()?;
    for o in offences.iter_mut() {
        let has_suspect = !o.suspects.is_empty();
        let reported = o.reported.date();
        let room = (extract - reported).num_days().max(1) as u64;
        let (code, max_days) = if has_suspect && rng::chance(&mut ro, q_sd) {
            (Some(*rng::pick(&mut ro, &SANCTION_DETECTIONS)), 240)
        } else if rng::chance(&mut ro, UNDER_INVESTIGATION[o.year]) {
            (None, 0)
        } else if has_suspect {
            (Some(*rng::pick(&mut ro, &OTHER_WITH_SUSPECT)), 150)
        } else {
            (Some(*rng::pick(&mut ro, &NO_SUSPECT)), 90)
        };
        o.outcome = code.map(|c| {
            let u = rng::unit(&mut ro);
            let days = ((max_days as f64 * u * u).floor() as u64 + 1).min(room);
            (c, reported + Duration::days(days as i64))
        });
        for (k, s) in o.suspects.iter().enumerate() {
            suspects[s].status = match o.outcome {
                Some((1, _)) if k == 0 || rng::chance(&mut ro, 0.6) => "charged",
                Some((1..=8, _)) => "accused",
                _ if rng::chance(&mut ro, 0.15) => "accused",
                _ => "suspect",
            };
        }
    }

    Ok(suspect_share)
}

/// Crime reference numbers, allocated in order of reporting within each year (with small gaps, as real
/// systems leave). Returns the numbers used per year.
fn assign_refs(
    seed: u64,
    offences: &mut [Offence],
    victims: &mut [VictimRow],
    suspects: &mut [SuspectRow],
) -> Vec<BTreeSet<u64>> {
    let mut rr = rng::stream(seed, streams::REFS);
    let mut used: Vec<BTreeSet<u64>> = vec![BTreeSet::new(); YEARS.len()];
    for (year, used_refs) in used.iter_mut().enumerate() {
        let mut idx: Vec<usize> = (0..offences.len()).filter(|&i| offences[i].year == year).collect();
        idx.sort_by_key(|&i| (offences[i].reported, offences[i].from, i));
        let mut seq = rng::int(&mut rr, 100, 900);
        for i in idx {
            seq += rng::int(&mut rr, 1, 3);
            offences[i].seq = seq;
            used_refs.insert(seq);
        }
    }
    for v in victims.iter_mut() {
        if let Link::Offence(o) = v.link {
            v.sort_key.0 = offences[o].seq;
        }
    }
    for s in suspects.iter_mut() {
        if let Link::Offence(o) = s.link {
            s.sort_key.0 = offences[o].seq;
        }
    }

    used
}

/// Planted victim and suspect rows: extra rows with orphaned or missing crime refs, and existing victims
/// flagged to have their age written impossibly.
struct BadPersonRows<'a> {
    seed: u64,
    data: &'a GenData,
    offences: &'a [Offence],
    order: &'a [usize],
    draws: &'a Draws,
}

impl BadPersonRows<'_> {
    fn add(
        &self,
        used: &[BTreeSet<u64>],
        people: &mut People,
        victims: &mut Vec<VictimRow>,
        suspects: &mut Vec<SuspectRow>,
    ) -> Result<(), SynthError> {
        let (seed, offences, order, p) = (self.seed, self.offences, self.order, &self.data.params);
        let clean_victims = victims.len();
        let clean_suspects = suspects.len();
        for (year, used_refs) in used.iter().enumerate() {
            let mut rb = rng::keyed(seed, streams::BAD_ROWS, &[year as u64, 1]);
            let year_offences: Vec<usize> = order.iter().copied().filter(|&i| offences[i].year == year).collect();
            let with_victims: Vec<usize> =
                year_offences.iter().copied().filter(|&i| !offences[i].victims.is_empty()).collect();
            let lo = used_refs.first().copied().unwrap_or(1);
            let hi = used_refs.last().copied().unwrap_or(1);
            let mut gaps: Vec<u64> = (lo..hi).filter(|s| !used_refs.contains(s)).collect();
            for i in (1..gaps.len()).rev() {
                gaps.swap(i, rb.random_range(0..=i));
            }
            let mut next_gap = || gaps.pop().unwrap_or_else(|| hi + 10_000 + rb.random_range(0..10_000u64));
            let n_victims = victims[..clean_victims].iter().filter(|v| v.year == year).count();
            let n_suspects = suspects[..clean_suspects].iter().filter(|s| s.year == year).count();
            let victim_plan = bad_rows::victim_plan(year, n_victims, p.bad_row_share);
            let suspect_plan = bad_rows::suspect_plan(year, n_suspects, p.bad_row_share);
            let mut orphan_seqs: Vec<u64> = Vec::new();
            for &(kind, n) in victim_plan.bad.iter().chain(suspect_plan.iter()) {
                if kind == BadKind::Orphan {
                    for _ in 0..n {
                        orphan_seqs.push(next_gap());
                    }
                }
            }
            orphan_seqs.reverse();
            let mut rp = rng::keyed(seed, streams::BAD_ROWS, &[year as u64, 2]);
            let pick_offence = |r: &mut SynthRng| with_victims[r.random_range(0..with_victims.len())];
            if with_victims.is_empty() {
                continue;
            }
            // Victims whose age is written impossibly: existing victims of the year, flagged.
            let mut candidates: Vec<usize> =
                (0..clean_victims).filter(|&v| victims[v].year == year && victims[v].extra == Extra::Clean).collect();
            for k in 0..victim_plan.repaired.min(candidates.len()) {
                let j = rp.random_range(k..candidates.len());
                candidates.swap(k, j);
                victims[candidates[k]].extra = Extra::Repaired(Repair::AgeOutOfRange);
            }
            for (kind, n) in victim_plan.bad {
                for _ in 0..n {
                    let host = pick_offence(&mut rp);
                    // `with_victims` holds only offences with victims.
                    let Some(first) = offences[host].victims.first() else { continue };
                    let template = victims[first].clone();
                    let date = offences[host].from.date();
                    let (link, seq) = match kind {
                        BadKind::Orphan => {
                            let s = orphan_seqs.pop().unwrap_or(hi + 20_000);
                            (Link::Orphan(s), s)
                        }
                        _ => (Link::Missing, rng::int(&mut rp, lo, hi)),
                    };
                    let age = template.age;
                    let person = {
                        let eth = rp.random_range(0..N_ETH);
                        let sex = rp.random_range(0..2);
                        people.new_person(sex, eth, age.min(100), date)?
                    };
                    victims.push(VictimRow {
                        year,
                        link,
                        person,
                        age,
                        sex: people.recorded_sex(person),
                        ethnicity: people.recorded_ethnicity(person),
                        extra: Extra::Bad(kind),
                        sort_key: (seq, 50),
                        ..template
                    });
                }
            }
            for (kind, n) in suspect_plan {
                for _ in 0..n {
                    let host = year_offences[rp.random_range(0..year_offences.len())];
                    let date = offences[host].from.date();
                    let (link, seq) = match kind {
                        BadKind::Orphan => {
                            let s = orphan_seqs.pop().unwrap_or(hi + 30_000);
                            (Link::Orphan(s), s)
                        }
                        _ => (Link::Missing, rng::int(&mut rp, lo, hi)),
                    };
                    let draw = &self.draws.suspect_any;
                    let person = people.draw(draw, date)?;
                    let row = SuspectRow {
                        year,
                        link,
                        person,
                        age: people.age(person, date),
                        sex: if people.persons[person].sex == 0 { "M" } else { "F" },
                        ic: people.ic_code(person),
                        status: "suspect",
                        extra: Extra::Bad(kind),
                        sort_key: (seq, 50),
                    };
                    suspects.push(row);
                }
            }
        }

        Ok(())
    }
}

/// Expected share of DA victims recorded female, from the DA code mix and the DA victim draws.
fn expected_da_female(data: &GenData, draws: &[[Option<CellDraw>; 2]]) -> f64 {
    let mut num = 0.0;
    let mut den = 0.0;
    for (code, t) in data.mix.iter().enumerate() {
        let w = t.share * t.domestic_share;
        if w <= 0.0 {
            continue;
        }
        if let Some(d) = &draws[code][1] {
            let total = d.dist.total();
            let mut female = 0.0;
            let mut prev = 0.0;
            for c in 0..data.bands.len() * 2 * N_ETH {
                let cum = d.dist.cumulative_at(c);
                if uncell(c).1 == 1 {
                    female += cum - prev;
                }
                prev = cum;
            }
            num += w * female / total;
            den += w;
        }
    }
    if den > 0.0 { num / den * (1.0 - SEX_X - SEX_U) } else { 0.0 }
}

/// An outcome for a stand-alone offence (no suspects known): sanction detections at the planted share,
/// otherwise mostly "no suspect identified", a few still under investigation.
pub fn quick_outcome(o: &Offence, data: &GenData, extract: NaiveDate, rng: &mut SynthRng) -> Option<(u8, NaiveDate)> {
    let code = if rng::chance(rng, data.params.sanction_detection_share) {
        *rng::pick(rng, &SANCTION_DETECTIONS)
    } else if rng::chance(rng, UNDER_INVESTIGATION[o.year]) {
        return None;
    } else {
        *rng::pick(rng, &NO_SUSPECT)
    };
    let reported = o.reported.date();
    let room = (extract - reported).num_days().max(1);
    let days = rng.random_range(1..=120i64).min(room);
    Some((code, reported + Duration::days(days)))
}
