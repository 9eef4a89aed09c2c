//! `sna synth --police-style niche`: the police tables as a force's Niche (or CONNECT) all-crime export
//! looks, instead of the three yearly CRIS-style extracts. One offences, one victims and one suspects file for
//! all three years (UTF-8 with BOM, CRLF); headers a real export uses, many of them no dictionary alias (the
//! pipeline file maps them with `columns`); the start date and time in separate columns, some times left
//! blank; HO codes as officers key them (`08N`, `105a`, ` 3B`); markers `Y` or blank; premises, outcomes,
//! ethnicity, relationship and injury as text; BNG grid references. Occurrence numbers are the force's own.
//!
//! The records are the default style's (the same offences, victims, suspects, bad and repaired rows, so every
//! planted truth is the same), plus the rest of the notifiable offences a real all-crime export holds
//! (thefts, burglary, criminal damage, public order, drugs...), drawn on a stream of their own with no victims
//! or suspects: they are in no truth, only in the export counts of `truth.json`'s `police_export`.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{Duration, NaiveDate, NaiveDateTime, Timelike};
use rand::Rng;
use serde::Deserialize;

use super::bad_rows::{self, BadKind};
use super::calendar::{self, YEARS};
use super::data::{GenData, LOCATION_TYPES};
use super::error::SynthError;
use super::geometry::Borough;
use super::layout::{DateStyle, RowTag, Sink, fmt_date, person_id, written_dob, written_ho_code};
use super::police::{Extra, Flags, Ids, Link, Offence, OffenceSampler, PoliceData, SuspectRow, VictimRow, quick_outcome};
use super::population::Population;
use super::rng::{self, Weighted, mix64, streams};
use super::truth::PoliceExportTruth;
use super::writers::{Cell, CsvFormat, Encoding};
use super::Ledger;

const OTHER_MIX: &str = include_str!("../../seeds/synth/other_offences.csv");

pub const OFFENCES_PATH: &str = "raw/police/niche_offences_all.csv";
pub const VICTIMS_PATH: &str = "raw/police/niche_victims_all.csv";
pub const SUSPECTS_PATH: &str = "raw/police/niche_suspects_all.csv";

/// Excel's "CSV UTF-8" save: what a Niche report exported through Excel gives.
const FORMAT: CsvFormat = CsvFormat { delimiter: b',', encoding: Encoding::Utf8Bom, crlf: true };

pub const OFFENCE_HEADER: [&str; 19] = [
    "Occurrence Number",
    "Offence Start Date",
    "Offence Start Time",
    "Offence End Date",
    "Offence End Time",
    "Date Reported",
    "HOC",
    "Offence Title",
    "DA Marker",
    "Knife Marker",
    "Firearm Marker",
    "Corrosive Marker",
    "Hate Marker",
    "Alcohol Marker",
    "Premises Type",
    "Grid Easting",
    "Grid Northing",
    "HO Outcome",
    "Outcome Date",
];
/// Offence columns a planted bad row damages.
const REF: usize = 0;
const START_DATE: usize = 1;

pub const VICTIM_HEADER: [&str; 8] = [
    "Occurrence Number",
    "Victim Person ID",
    "Victim Age",
    "Victim DOB",
    "Victim Gender",
    "Victim Ethnicity",
    "Relationship to Suspect",
    "Injury",
];
pub const SUSPECT_HEADER: [&str; 6] =
    ["Occurrence Number", "Suspect Person ID", "Suspect Age", "Suspect Gender", "Suspect Ethnicity", "Suspect Status"];

/// Other notifiable offences per year, per clean offence of the default mix (a real all-crime export holds
/// several times the violence; this keeps the file a reasonable size at scale 1).
const OTHER_PER_MIX_OFFENCE: f64 = 1.25;
/// Other notifiable offences per year relative to 2023-24.
const OTHER_TREND: [f64; 3] = [1.0, 1.01, 0.98];
/// Offences exported with a blank start time (per thousand): the system holds a date only.
const TIME_UNKNOWN_PER_MILLE: u64 = 30;
/// Victim ages are exported as dates of birth for this financial year, as in the default style.
const DOB_YEAR: usize = 1;
/// The (fictional) force number at the front of every occurrence number.
const FORCE: &str = "98";
/// Keys of the per-row choices made by hashing (no random stream: the records stay the default style's).
const TIME_KEY: u64 = 0x4E49_4348_0000_0001;
const TEXT_KEY: u64 = 0x4E49_4348_0000_0002;

/// HO outcome types 1..=22 as the export prints them (descriptions and spellings of seeds/outcome_types.csv).
pub const OUTCOME_TEXT: [&str; 23] = [
    "",
    "Charged/Summonsed",
    "Caution - Youth",
    "Caution - Adult",
    "Taken into consideration",
    "Offender died",
    "Penalty Notice for Disorder",
    "Cannabis/Khat Warning",
    "Community Resolution",
    "Prosecution not in the public interest (CPS)",
    "Formal action against the offender not in the public interest (police)",
    "Prosecution prevented: suspect under age",
    "Prosecution prevented: suspect too ill",
    "Prosecution prevented: victim or key witness dead or too ill",
    "Evidential difficulties: suspect not identified; victim does not support further action",
    "Evidential difficulties: suspect identified; victim supports action",
    "Evidential difficulties: suspect identified; victim does not support action",
    "Prosecution time limit expired",
    "Investigation complete: no suspect identified",
    "National Fraud Intelligence Bureau filed",
    "Further action by another body or agency",
    "Further investigation to support formal action not in the public interest (police decision)",
    "Diversionary, educational or intervention activity; further action not in the public interest",
];

/// Premises types as the force's list spells them, per location type (the dictionary's location_type
/// spellings cover them, so no pipeline `values` mapping is needed).
pub const PREMISES: [&[&str]; 8] = [
    &["Street", "Street", "Footpath/Alleyway"],
    &["Dwelling", "House", "Flat"],
    &["Public House", "Nightclub"],
    &["Railway Station", "Bus/Coach"],
    &["School", "College"],
    &["Park", "Open Space"],
    &["Shop/Store", "Shopping Centre"],
    &["Other", "Car Park"],
];

/// SDE codes as the export prints them: `W1 - White British`, or in long form `White - ... (W1)`.
const SDE_TEXT: [(&str, &str, &str); 20] = [
    ("W1", "White British", "White - English/Welsh/Scottish/Northern Irish/British"),
    ("W2", "White Irish", "White - Irish"),
    ("W3", "Gypsy or Irish Traveller", "White - Gypsy or Irish Traveller"),
    ("W9", "Any Other White Background", "White - Any other White background"),
    ("M1", "White and Black Caribbean", "Mixed - White and Black Caribbean"),
    ("M2", "White and Black African", "Mixed - White and Black African"),
    ("M3", "White and Asian", "Mixed - White and Asian"),
    ("M9", "Any Other Mixed Background", "Mixed - Any other Mixed background"),
    ("A1", "Indian", "Asian or Asian British - Indian"),
    ("A2", "Pakistani", "Asian or Asian British - Pakistani"),
    ("A3", "Bangladeshi", "Asian or Asian British - Bangladeshi"),
    ("A4", "Chinese", "Asian or Asian British - Chinese"),
    ("A9", "Any Other Asian Background", "Asian or Asian British - Any other Asian background"),
    ("B1", "Black Caribbean", "Black or Black British - Caribbean"),
    ("B2", "Black African", "Black or Black British - African"),
    ("B9", "Any Other Black Background", "Black or Black British - Any other Black background"),
    ("O1", "Chinese", "Other Ethnic Group - Chinese"),
    ("O2", "Arab", "Other Ethnic Group - Arab"),
    ("O9", "Any Other Ethnic Group", "Other Ethnic Group - Any other ethnic group"),
    ("NS", "Not Stated", "Not Stated"),
];
const IC_TEXT: [(&str, &str); 7] = [
    ("IC1", "IC1 - White North European"),
    ("IC2", "IC2 - White South European"),
    ("IC3", "IC3 - Black"),
    ("IC4", "IC4 - Asian"),
    ("IC5", "IC5 - Oriental"),
    ("IC6", "IC6 - Arab"),
    ("IC9", "IC9 - Unknown"),
];

/// A notifiable offence of the rest of the all-crime export (`seeds/synth/other_offences.csv`).
#[derive(Debug, Clone, Deserialize)]
pub struct OtherType {
    pub ho_code: String,
    pub description: String,
    pub share: f64,
    pub location_profile: String,
    pub alcohol_share: f64,
    pub hate_share: f64,
}

/// The other notifiable offences (their `code` indexes `types`, not the default mix). None unless the
/// export is Niche-style.
pub struct OtherOffences {
    pub types: Vec<OtherType>,
    pub offences: Vec<Offence>,
}

fn parse_other(data: &GenData) -> Result<Vec<OtherType>, SynthError> {
    const FILE: &str = "other_offences.csv";
    let types: Vec<OtherType> = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(OTHER_MIX.as_bytes())
        .deserialize()
        .collect::<Result<_, _>>()
        .map_err(|e| SynthError::seed(FILE, e.to_string()))?;
    for t in &types {
        if !data.locations.contains_key(&t.location_profile) {
            return Err(SynthError::seed(FILE, format!("{}: unknown location profile {}", t.ho_code, t.location_profile)));
        }
        if t.share < 0.0 || !(0.0..=1.0).contains(&t.alcohol_share) || !(0.0..=1.0).contains(&t.hate_share) {
            return Err(SynthError::seed(FILE, format!("{}: shares must be 0..1", t.ho_code)));
        }
    }
    Ok(types)
}

impl OtherOffences {
    pub fn none() -> OtherOffences {
        OtherOffences { types: Vec::new(), offences: Vec::new() }
    }

    /// The other notifiable offences of the three years: general hours of the week, places pulled to the hot
    /// wards like other non-domestic offences, outcomes as for an offence with no suspect known.
    pub fn generate(
        seed: u64,
        scale: u32,
        borough: &Borough,
        pop: &Population,
        data: &GenData,
    ) -> Result<OtherOffences, SynthError> {
        let types = parse_other(data)?;
        let mix = Weighted::new(types.iter().map(|t| t.share))
            .ok_or_else(|| SynthError::seed("other_offences.csv", "no offence has a share"))?;
        let ward_weights: Vec<f64> = (0..borough.wards.len()).map(|w| pop.ward_total(w) as f64).collect();
        let sampler = OffenceSampler::new(data, borough, &ward_weights)?;
        let extract = calendar::extract_date()?;
        let base = data.params.offences_per_year_per_scale * f64::from(scale) * OTHER_PER_MIX_OFFENCE;
        let mut offences = Vec::new();
        for (year, trend) in OTHER_TREND.iter().enumerate() {
            let mut r = rng::keyed(seed, streams::OTHER_OFFENCES, &[year as u64]);
            for _ in 0..(base * trend).round() as usize {
                let code = mix.sample(&mut r);
                let t = &types[code];
                let from = calendar::sample_datetime(&sampler.years[year], sampler.how_general(), &mut r)?;
                // Thefts and burglaries are often found later: a window of up to a day.
                let to = if rng::chance(&mut r, 0.5) { Some(from + Duration::minutes(r.random_range(0..=1440))) } else { None };
                let u = rng::unit(&mut r);
                let reported = to.unwrap_or(from) + Duration::minutes((7.0 * 24.0 * 60.0 * u * u * u).floor() as i64);
                let location_name = rng::pick(&mut r, data.location_profile(&t.location_profile)?);
                let location = LOCATION_TYPES.iter().position(|l| l == location_name).unwrap_or(LOCATION_TYPES.len() - 1);
                let flags = Flags {
                    hate: rng::chance(&mut r, t.hate_share),
                    alcohol: rng::chance(&mut r, t.alcohol_share),
                    ..Flags::default()
                };
                let ward = sampler.pick_ward(Some(data.params.hot_ward_other_share), &mut r);
                let p = borough.sample_in_ward(ward, &mut r);
                let mut o = Offence {
                    year,
                    code,
                    domestic: false,
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
                };
                o.outcome = quick_outcome(&o, data, extract, &mut r);
                offences.push(o);
            }
        }
        Ok(OtherOffences { types, offences })
    }
}

/// The force's occurrence numbers: every offence of a year (the default style's and the other ones) numbered
/// in order of reporting, with gaps; orphaned victim and suspect rows point at numbers in those gaps.
struct Numbers {
    mix: Vec<u64>,
    other: Vec<u64>,
    orphan: BTreeMap<(usize, u64), u64>,
    /// Per year, (default-style crime number, occurrence number) of its offences, by crime number: where a
    /// row whose reference is missing sorts.
    by_seq: Vec<Vec<(u64, u64)>>,
}

impl Numbers {
    fn new(seed: u64, police: &PoliceData, other: &OtherOffences) -> Numbers {
        let mut mix = vec![0; police.offences.len()];
        let mut numbers_other = vec![0; other.offences.len()];
        let mut orphan = BTreeMap::new();
        for year in 0..YEARS.len() {
            let mut r = rng::keyed(seed, streams::NICHE, &[year as u64]);
            // (reported, from, 0 = default style / 1 = other, index)
            let mut order: Vec<(NaiveDateTime, NaiveDateTime, u8, usize)> = Vec::new();
            order.extend(police.offences.iter().enumerate().filter(|(_, o)| o.year == year).map(|(i, o)| (o.reported, o.from, 0, i)));
            order.extend(other.offences.iter().enumerate().filter(|(_, o)| o.year == year).map(|(i, o)| (o.reported, o.from, 1, i)));
            order.sort_unstable();
            let mut n = rng::int(&mut r, 1_000, 9_000);
            let mut gaps = Vec::new();
            for &(_, _, kind, i) in &order {
                let step = rng::int(&mut r, 1, 3);
                gaps.extend(n + 1..n + step);
                n += step;
                if kind == 0 { mix[i] = n } else { numbers_other[i] = n }
            }
            for i in (1..gaps.len()).rev() {
                gaps.swap(i, r.random_range(0..=i));
            }
            let links = police.victims.iter().map(|v| (v.year, v.link)).chain(police.suspects.iter().map(|s| (s.year, s.link)));
            for (y, link) in links {
                if let (true, Link::Orphan(seq)) = (y == year, link) {
                    let beyond = n + 10_000 + orphan.len() as u64;
                    orphan.entry((year, seq)).or_insert_with(|| gaps.pop().unwrap_or(beyond));
                }
            }
        }
        let by_seq = (0..YEARS.len())
            .map(|year| {
                let mut v: Vec<(u64, u64)> =
                    police.offences.iter().enumerate().filter(|(_, o)| o.year == year).map(|(i, o)| (o.seq, mix[i])).collect();
                v.sort_unstable();
                v
            })
            .collect();
        Numbers { mix, other: numbers_other, orphan, by_seq }
    }

    /// The number a victim or suspect row's occurrence number holds, and where it sorts (a row whose
    /// number is missing sorts where the default style put it, among the offences near its crime number).
    fn of_link(&self, year: usize, link: Link, sort_seq: u64) -> (Option<u64>, u64) {
        match link {
            Link::Offence(o) => (Some(self.mix[o]), self.mix[o]),
            Link::Orphan(seq) => {
                let n = self.orphan.get(&(year, seq)).copied().unwrap_or(seq * 2);
                (Some(n), n)
            }
            Link::Missing => {
                let here = self.by_seq.get(year).map(Vec::as_slice).unwrap_or_default();
                let at = here.partition_point(|&(seq, _)| seq < sort_seq);
                (None, here.get(at).or(here.last()).map_or(0, |&(_, n)| n))
            }
        }
    }
}

/// `98/012345/23`: force, number, year the financial year starts.
pub fn occurrence_number(year: usize, n: u64) -> String {
    format!("{FORCE}/{n:06}/{:02}", YEARS[year].1 % 100)
}

/// A per-row hash for choices that must not draw from a random stream.
fn row_hash(seed: u64, key: u64, year: usize, n: u64) -> u64 {
    mix64(seed ^ key ^ mix64(((year as u64) << 40) ^ n))
}

/// Whether the export left this offence's start time blank.
fn time_blank(seed: u64, year: usize, n: u64) -> bool {
    row_hash(seed, TIME_KEY, year, n) % 1000 < TIME_UNKNOWN_PER_MILLE
}

/// An HO code as keyed into the system: some with a leading zero (`08N`), in lower case (`105a`), after a
/// stray space (` 3B`) or with zero-padded parts (`04/01`).
pub fn keyed_ho_code(code: &str, h: u64) -> String {
    let b = code.as_bytes();
    let digit_letter = b.len() == 2 && b[0].is_ascii_digit() && b[1].is_ascii_alphabetic();
    let ends_letter = b.len() >= 3 && b.last().is_some_and(u8::is_ascii_alphabetic);
    match h % 20 {
        0..=4 if digit_letter => format!("0{code}"),
        5..=7 if ends_letter => code.to_lowercase(),
        8 => format!(" {code}"),
        9..=11 if code.contains('/') => code.split('/').map(|p| format!("{p:0>2}")).collect::<Vec<_>>().join("/"),
        _ => code.to_string(),
    }
}

fn marker(b: bool) -> Cell {
    if b { Cell::text("Y") } else { Cell::Empty }
}

fn date_cell(d: NaiveDate) -> Cell {
    Cell::Text(fmt_date(d, DateStyle::Uk))
}

fn time_cell(t: NaiveDateTime) -> Cell {
    Cell::Text(format!("{:02}:{:02}", t.hour(), t.minute()))
}

/// One offence as the export writes it.
fn offence_cells(o: &Offence, reference: &str, code: &str, description: &str, time_blank: bool, h: u64) -> Vec<Cell> {
    let premises = PREMISES[o.location.min(PREMISES.len() - 1)];
    let (outcome, outcome_date) = match o.outcome {
        Some((c, d)) => (Cell::text(OUTCOME_TEXT[usize::from(c).min(OUTCOME_TEXT.len() - 1)]), date_cell(d)),
        None => (Cell::Empty, Cell::Empty),
    };
    let time = |t: NaiveDateTime| if time_blank { Cell::Empty } else { time_cell(t) };
    vec![
        Cell::text(reference),
        date_cell(o.from.date()),
        time(o.from),
        o.to.map_or(Cell::Empty, |t| date_cell(t.date())),
        o.to.map_or(Cell::Empty, time),
        Cell::Text(format!("{} {:02}:{:02}", fmt_date(o.reported.date(), DateStyle::Uk), o.reported.hour(), o.reported.minute())),
        Cell::Text(keyed_ho_code(code, h)),
        Cell::text(description),
        marker(o.domestic),
        marker(o.flags.knife),
        marker(o.flags.firearm),
        marker(o.flags.corrosive),
        marker(o.flags.hate),
        marker(o.flags.alcohol),
        Cell::text(premises[((h >> 8) % premises.len() as u64) as usize]),
        Cell::Text(o.easting.to_string()),
        Cell::Text(o.northing.to_string()),
        outcome,
        outcome_date,
    ]
}

/// An ethnicity code as the export prints it: `B2 - Black African`, or now and then the long form
/// `Black or Black British - African (B2)`; a code the table lacks as it is.
pub fn ethnicity_text(code: &str, h: u64) -> String {
    if code.is_empty() {
        return String::new();
    }
    if let Some((_, short, long)) = SDE_TEXT.iter().find(|(c, _, _)| *c == code) {
        return if h.is_multiple_of(5) { format!("{long} ({code})") } else { format!("{code} - {short}") };
    }
    IC_TEXT.iter().find(|(c, _)| *c == code).map_or_else(|| code.to_string(), |(_, t)| t.to_string())
}

pub fn sex_text(sex: &str) -> &'static str {
    match sex {
        "M" => "Male",
        "F" => "Female",
        "X" => "Indeterminate",
        _ => "Unknown",
    }
}

pub fn relationship_text(r: &str) -> &'static str {
    match r {
        "partner" => "Current Partner",
        "ex-partner" => "Ex-Partner",
        "family" => "Relative",
        "acquaintance" => "Acquaintance",
        "stranger" => "Stranger",
        _ => "Not Recorded",
    }
}

pub fn injury_text(i: &str) -> &'static str {
    match i {
        "none" => "No Injury",
        "minor" => "Minor",
        "moderate" => "Moderate",
        "serious" => "Serious",
        _ => "Unknown",
    }
}

pub fn status_text(s: &str) -> &'static str {
    match s {
        "charged" => "Charged/Summonsed",
        "accused" => "Arrested",
        _ => "Named Suspect",
    }
}

/// What the three files held, for `truth.json`.
#[derive(Default)]
struct Counts {
    staged_clean: usize,
    staged_repaired: usize,
    other: BTreeMap<String, usize>,
    time_unknown: usize,
    without_outcome: usize,
}

/// Write the three Niche-style police files; returns the offence rows written per financial year and the
/// export's truth.
pub fn write_police(
    ledger: &mut Ledger,
    out_dir: &Path,
    seed: u64,
    police: &PoliceData,
    other: &OtherOffences,
    data: &GenData,
) -> Result<(Vec<usize>, PoliceExportTruth), SynthError> {
    let numbers = Numbers::new(seed, police, other);
    let mut counts = Counts::default();
    let rows_per_year = write_offences(ledger, out_dir, seed, police, other, data, &numbers, &mut counts)?;
    let victims_staged = write_victims(ledger, out_dir, seed, police, &numbers)?;
    let suspects_staged = write_suspects(ledger, out_dir, seed, police, &numbers)?;
    let other_total = counts.other.values().sum();
    let export = PoliceExportTruth {
        style: "niche".into(),
        files: vec![OFFENCES_PATH.into(), VICTIMS_PATH.into(), SUSPECTS_PATH.into()],
        offences_staged: counts.staged_clean + counts.staged_repaired,
        offences_clean: counts.staged_clean,
        offences_repaired: counts.staged_repaired,
        other_notifiable_offences: other_total,
        other_notifiable_by_code: counts.other,
        offences_time_unknown: counts.time_unknown,
        offences_without_outcome: counts.without_outcome,
        victims_staged,
        suspects_staged,
        note: "`truths` are measured on the records of the default style (the same offences, victims and suspects); \
               the other notifiable offences this export adds have no victims or suspects and are in no truth, but \
               tables over all offences (sanction detections, offences with a suspect) count them"
            .into(),
    };
    Ok((rows_per_year, export))
}

/// An offence row of the file: a default-style offence or an other notifiable one.
enum Item {
    Mix(usize),
    Other(usize),
}

#[allow(clippy::too_many_arguments)]
fn write_offences(
    ledger: &mut Ledger,
    out_dir: &Path,
    seed: u64,
    police: &PoliceData,
    other: &OtherOffences,
    data: &GenData,
    numbers: &Numbers,
    counts: &mut Counts,
) -> Result<Vec<usize>, SynthError> {
    let n_rows = police.offences.len() + other.offences.len();
    let mut f = ledger.open(out_dir, OFFENCES_PATH, &OFFENCE_HEADER, Sink::Csv(FORMAT), n_rows)?;
    let mut per_year = Vec::with_capacity(YEARS.len());
    for year in 0..YEARS.len() {
        let start = f.rows;
        let mut items: Vec<(u64, Item)> = Vec::new();
        items.extend((0..police.offences.len()).filter(|&i| police.offences[i].year == year).map(|i| (numbers.mix[i], Item::Mix(i))));
        items.extend((0..other.offences.len()).filter(|&i| other.offences[i].year == year).map(|i| (numbers.other[i], Item::Other(i))));
        items.sort_unstable_by_key(|(n, _)| *n);
        let render = |n: u64, item: &Item| -> (Vec<Cell>, &Offence) {
            let h = row_hash(seed, TEXT_KEY, year, n);
            let reference = occurrence_number(year, n);
            match *item {
                Item::Mix(i) => {
                    let o = &police.offences[i];
                    let staged = o.extra.staged();
                    let cells = offence_cells(o, &reference, written_ho_code(o, data), &data.mix[o.code].description, staged && time_blank(seed, year, n), h);
                    (cells, o)
                }
                Item::Other(i) => {
                    let o = &other.offences[i];
                    let t = &other.types[o.code.min(other.types.len() - 1)];
                    (offence_cells(o, &reference, &t.ho_code, &t.description, time_blank(seed, year, n), h), o)
                }
            }
        };
        // Duplicates: exact re-exports of clean rows (of any crime type), as many as the default style plants.
        let mut rb = rng::keyed(seed, streams::BAD_ROWS, &[year as u64, 5]);
        let n_mix_clean = police.offences.iter().filter(|o| o.year == year && o.extra == Extra::Clean).count();
        let n_dup = bad_rows::offence_plan(year, n_mix_clean, data.params.bad_row_share)
            .bad
            .into_iter()
            .find(|(k, _)| *k == BadKind::Duplicate)
            .map_or(0, |(_, n)| n);
        let clean_pos: Vec<usize> = (0..items.len())
            .filter(|&p| match items[p].1 {
                Item::Mix(i) => police.offences[i].extra == Extra::Clean,
                Item::Other(_) => true,
            })
            .collect();
        let mut inserts = bad_rows::duplicate_plan(&clean_pos, items.len(), n_dup, &mut rb).into_iter().peekable();
        for (pos, (n, item)) in items.iter().enumerate() {
            let (mut cells, o) = render(*n, item);
            let tag = match *item {
                Item::Mix(_) => RowTag::of(o.extra, || occurrence_number(year, *n), ""),
                Item::Other(_) => RowTag::Clean,
            };
            if let Extra::Bad(kind) = o.extra {
                match kind {
                    BadKind::ImpossibleDate => cells[START_DATE] = Cell::Text(bad_rows::impossible_date(o, &mut rb)),
                    BadKind::TwoDigitYear => cells[START_DATE] = Cell::Text(bad_rows::two_digit_date(o.from)),
                    BadKind::MissingCrimeRef => cells[REF] = Cell::Empty,
                    BadKind::Duplicate | BadKind::Orphan => {}
                }
            } else {
                match (item, o.extra) {
                    (Item::Other(i), _) => *counts.other.entry(other.types[other.offences[*i].code.min(other.types.len() - 1)].ho_code.clone()).or_default() += 1,
                    (Item::Mix(_), Extra::Repaired(_)) => counts.staged_repaired += 1,
                    _ => {}
                }
                if !matches!(o.extra, Extra::Repaired(_)) {
                    counts.staged_clean += 1;
                }
                counts.time_unknown += usize::from(matches!(cells[2], Cell::Empty));
                counts.without_outcome += usize::from(o.outcome.is_none());
            }
            f.push(cells, tag)?;
            while let Some((_, orig)) = inserts.next_if(|(at, _)| *at == pos) {
                let (n, item) = &items[orig];
                // A clean row renders the same every time: the copy is exact.
                f.push(render(*n, item).0, RowTag::Bad(BadKind::Duplicate))?;
            }
        }
        per_year.push(f.rows - start);
    }
    f.finish()?;
    Ok(per_year)
}

/// Rows of a person file in the export's order: by year, occurrence number, then order within the crime.
fn person_order<T>(rows: &[T], key: impl Fn(&T) -> (usize, u64, u32)) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..rows.len()).collect();
    idx.sort_by_key(|&i| (key(&rows[i]), i));
    idx
}

fn write_victims(ledger: &mut Ledger, out_dir: &Path, seed: u64, police: &PoliceData, numbers: &Numbers) -> Result<usize, SynthError> {
    let key = |v: &VictimRow| (v.year, numbers.of_link(v.year, v.link, v.sort_key.0).1, v.sort_key.1);
    let order = person_order(&police.victims, key);
    let mut f = ledger.open(out_dir, VICTIMS_PATH, &VICTIM_HEADER, Sink::Csv(FORMAT), order.len())?;
    let mut staged = 0;
    for (k, &i) in order.iter().enumerate() {
        let v = &police.victims[i];
        let (n, _) = numbers.of_link(v.year, v.link, v.sort_key.0);
        let person = &police.persons[v.person];
        let dob = v.year == DOB_YEAR;
        let (age, birth) = if dob {
            (Cell::Empty, date_cell(written_dob(v, police)?))
        } else {
            (Cell::Text(v.written_age().to_string()), Cell::Empty)
        };
        let h = row_hash(seed, TEXT_KEY, v.year, k as u64);
        let cells = vec![
            n.map_or(Cell::Empty, |n| Cell::Text(occurrence_number(v.year, n))),
            Cell::Text(person_id(person.id)),
            age,
            birth,
            Cell::text(sex_text(v.sex)),
            Cell::Text(ethnicity_text(&v.ethnicity, h)),
            Cell::text(relationship_text(v.relationship)),
            Cell::text(injury_text(v.injury)),
        ];
        staged += usize::from(v.extra.staged());
        let field = if dob { "date_of_birth" } else { "age" };
        f.push(cells, RowTag::of(v.extra, String::new, field))?;
    }
    f.finish()?;
    Ok(staged)
}

fn write_suspects(ledger: &mut Ledger, out_dir: &Path, seed: u64, police: &PoliceData, numbers: &Numbers) -> Result<usize, SynthError> {
    let key = |s: &SuspectRow| (s.year, numbers.of_link(s.year, s.link, s.sort_key.0).1, s.sort_key.1);
    let order = person_order(&police.suspects, key);
    let mut f = ledger.open(out_dir, SUSPECTS_PATH, &SUSPECT_HEADER, Sink::Csv(FORMAT), order.len())?;
    let mut staged = 0;
    for (k, &i) in order.iter().enumerate() {
        let s = &police.suspects[i];
        let (n, _) = numbers.of_link(s.year, s.link, s.sort_key.0);
        let h = row_hash(seed, TEXT_KEY ^ 1, s.year, k as u64);
        let cells = vec![
            n.map_or(Cell::Empty, |n| Cell::Text(occurrence_number(s.year, n))),
            Cell::Text(person_id(police.persons[s.person].id)),
            Cell::Text(s.age.to_string()),
            Cell::text(sex_text(s.sex)),
            Cell::Text(ethnicity_text(&s.ic, h)),
            Cell::text(status_text(s.status)),
        ];
        staged += usize::from(s.extra.staged());
        f.push(cells, RowTag::of(s.extra, String::new, "age"))?;
    }
    f.finish()?;
    Ok(staged)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dictionary::Registry;

    #[test]
    fn every_text_the_export_prints_reads_as_its_code() {
        let reg = Registry::embedded().expect("registry");
        let field = |source: &str, name: &str| {
            let d = reg.get(source).expect("dictionary");
            d.fields[d.field_index(name).expect("field")].codes.clone().expect("codes")
        };
        let outcomes = field("police_offences", "outcome_code");
        for (code, text) in OUTCOME_TEXT.iter().enumerate().skip(1) {
            assert_eq!(outcomes.canonical(text), Some(code.to_string().as_str()), "{text}");
        }
        let ethnicity = &reg.get("police_victims").expect("victims").ethnicity_codes;
        for (code, _, _) in SDE_TEXT {
            for h in [0, 1] {
                let text = ethnicity_text(code, h);
                assert_eq!(ethnicity.canonical(&text), Some(code), "{text}");
            }
        }
        for (code, _) in IC_TEXT {
            assert_eq!(ethnicity.canonical(&ethnicity_text(code, 0)), Some(code));
        }
        let sex = field("police_victims", "sex");
        for c in ["M", "F", "X", "U"] {
            assert_eq!(sex.canonical(sex_text(c)), Some(c));
        }
        let rel = field("police_victims", "relationship_to_suspect");
        for c in ["partner", "ex-partner", "family", "acquaintance", "stranger", "unknown"] {
            assert_eq!(rel.canonical(relationship_text(c)), Some(c));
        }
        let injury = field("police_victims", "injury_level");
        for c in ["none", "minor", "moderate", "serious", "unknown"] {
            assert_eq!(injury.canonical(injury_text(c)), Some(c));
        }
        let status = field("police_suspects", "status");
        for c in ["suspect", "accused", "charged"] {
            assert_eq!(status.canonical(status_text(c)), Some(c));
        }
    }

    #[test]
    fn niche_style_is_deterministic_and_holds_the_default_styles_records() {
        use crate::synth::{PoliceStyle, SynthOptions, generate};
        let dirs: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().expect("tempdir")).collect();
        let niche = SynthOptions { seed: 11, scale: 1, police_style: PoliceStyle::Niche };
        let a = generate(dirs[0].path(), &niche).expect("niche");
        let b = generate(dirs[1].path(), &niche).expect("niche again");
        let plain = generate(dirs[2].path(), &SynthOptions { seed: 11, scale: 1, police_style: PoliceStyle::Default }).expect("default");
        assert_eq!(a, b);
        for f in [OFFENCES_PATH, VICTIMS_PATH, SUSPECTS_PATH, "truth.json"] {
            let read = |d: &tempfile::TempDir| std::fs::read(d.path().join(f)).expect("file");
            assert!(read(&dirs[0]) == read(&dirs[1]), "{f} differs between runs of one seed");
        }
        // The police truths are the default style's: the same records.
        let (t, d) = (&a.truths, &plain.truths);
        assert_eq!(
            (&t.hot_ward_sv_share, &t.da_female_victim_share, &t.da_growth_2025_26, &t.black_white_u25_victim_rate_ratio),
            (&d.hot_ward_sv_share, &d.da_female_victim_share, &d.da_growth_2025_26, &d.black_white_u25_victim_rate_ratio)
        );
        assert_eq!(a.years.iter().map(|y| y.offences).collect::<Vec<_>>(), plain.years.iter().map(|y| y.offences).collect::<Vec<_>>());
        let planted = |t: &crate::synth::Truth| {
            let police = |l: &[crate::synth::truth::PlantedRowTruth]| l.iter().filter(|r| r.file.starts_with("raw/police/")).count();
            (police(&t.bad_rows), police(&t.repaired_rows))
        };
        assert_eq!(planted(&a), planted(&plain));
        assert!(plain.police_export.is_none());
        let export = a.police_export.as_ref().expect("export truth");
        let mix_staged: usize = plain.years.iter().map(|y| y.offences + y.outside_area).sum();
        assert_eq!(export.offences_staged, mix_staged + export.other_notifiable_offences);
        // The blank start times in the file are the ones truth.json counts (duplicates and bad rows aside).
        let text = std::fs::read_to_string(dirs[0].path().join(OFFENCES_PATH)).expect("offences");
        let bad: std::collections::BTreeSet<usize> =
            a.bad_rows.iter().filter(|r| r.file == OFFENCES_PATH).map(|r| r.line).collect();
        let mut rdr = csv::ReaderBuilder::new().from_reader(text.trim_start_matches('\u{feff}').as_bytes());
        let blank = rdr
            .records()
            .enumerate()
            .filter(|(i, r)| !bad.contains(&(i + 2)) && r.as_ref().is_ok_and(|r| r[2].is_empty()))
            .count();
        assert_eq!(blank, export.offences_time_unknown);
        let share = blank as f64 / export.offences_staged as f64;
        assert!((0.02..0.04).contains(&share), "{share}");
    }

    #[test]
    fn keyed_ho_codes_tidy_back_to_their_code() {
        let reg = Registry::embedded().expect("registry");
        let d = reg.get("police_offences").expect("offences");
        let codes = d.fields[d.field_index("ho_code").expect("ho_code")].codes.clone().expect("codes");
        let mut forms = std::collections::BTreeSet::new();
        for code in ["8N", "105A", "3B", "4/1", "37/2", "1", "28E", "92D"] {
            for h in 0..20 {
                let keyed = keyed_ho_code(code, h);
                assert_eq!(codes.canonical(&keyed), Some(code), "{keyed:?}");
                forms.insert(keyed);
            }
        }
        for odd in ["08N", "105a", " 3B", "04/01", "37/02"] {
            assert!(forms.contains(odd), "{odd} never written: {forms:?}");
        }
    }
}
