//! The layout of every police extract file: path, header, dialect, date/flag/coordinate styles, and the
//! rendering of offences, victims and suspects into rows. Each year looks like a different system export
//! (CRIS in 2023-24, a CONNECT Excel-to-CSV export in 2024-25, a newer URN-based export in 2025-26).

use chrono::{Datelike, Months, NaiveDate, NaiveDateTime, Timelike};

use super::bad_rows::{BadKind, Repair};
use super::calendar;
use super::data::{GenData, LOCATION_TYPES};
use super::error::SynthError;
use super::police::{Extra, Link, Offence, PoliceData, SuspectRow, VictimRow};
use super::writers::{Cell, CsvFormat, Encoding};
use crate::geo::crs;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateStyle {
    /// `31/01/2025 23:15`, dates `31/01/2025`.
    Uk,
    /// `2025-01-31T23:15:00`, dates `2025-01-31`.
    Iso,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagStyle {
    YN,
    YesNo,
    TrueFalse,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coords {
    /// Easting, northing in whole metres.
    Bng,
    /// Latitude, longitude in WGS84, 6 decimals.
    LatLon,
}

#[derive(Debug, Clone, Copy)]
pub struct OffenceLayout {
    pub path: &'static str,
    pub header: [&'static str; 17],
    pub csv: CsvFormat,
    pub dates: DateStyle,
    pub flags: FlagStyle,
    pub coords: Coords,
}

/// Offence file column positions.
pub mod col {
    pub const REF: usize = 0;
    pub const FROM: usize = 1;
}

pub const REF_PREFIX: [&str; 3] = ["CRIS-2324-", "CON-2425-", "URN-2526-"];

pub fn crime_ref(year: usize, seq: u64) -> String {
    format!("{}{seq:06}", REF_PREFIX[year])
}

pub const OFFENCES: [OffenceLayout; 3] = [
    OffenceLayout {
        path: "raw/police/offences_2023-24.csv",
        header: [
            "CRIS No",
            "Committed From",
            "Committed To",
            "Reported Date",
            "HO Code",
            "Offence Description",
            "DA Flag",
            "Knife Flag",
            "Firearm Flag",
            "Corrosive Flag",
            "Hate Flag",
            "Alcohol Flag",
            "Location Type",
            "Easting",
            "Northing",
            "Outcome Code",
            "Outcome Date",
        ],
        csv: CsvFormat { delimiter: b',', encoding: Encoding::Utf8Bom, crlf: true },
        dates: DateStyle::Uk,
        flags: FlagStyle::YN,
        coords: Coords::Bng,
    },
    OffenceLayout {
        path: "raw/police/offences_2024-25.csv",
        header: [
            "Crime Reference",
            "Date From",
            "Date To",
            "Date Reported",
            "Home Office Code",
            "Offence",
            "Domestic Abuse",
            "Knife Used",
            "Firearm Used",
            "Corrosive Used",
            "Hate Crime",
            "Alcohol Related",
            "Location Type",
            "X",
            "Y",
            "Outcome",
            "Outcome Date",
        ],
        csv: CsvFormat { delimiter: b';', encoding: Encoding::Windows1252, crlf: false },
        dates: DateStyle::Uk,
        flags: FlagStyle::YesNo,
        coords: Coords::Bng,
    },
    OffenceLayout {
        path: "raw/police/offences_2025-26.csv",
        header: [
            "URN",
            "Committed From",
            "Committed To",
            "Reported At",
            "HO Class",
            "Offence Description",
            "DA Flag",
            "Knife Flag",
            "Firearm Flag",
            "Corrosive Flag",
            "Hate Flag",
            "Alcohol Flag",
            "Location Type",
            "Latitude",
            "Longitude",
            "Outcome Code",
            "Outcome Date",
        ],
        csv: CsvFormat { delimiter: b',', encoding: Encoding::Utf8, crlf: false },
        dates: DateStyle::Iso,
        flags: FlagStyle::TrueFalse,
        coords: Coords::LatLon,
    },
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sink {
    Csv(CsvFormat),
    Xlsx { sheet: &'static str },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgeField {
    Age,
    DateOfBirth,
}

#[derive(Debug, Clone, Copy)]
pub struct PersonLayout {
    pub path: &'static str,
    pub header: &'static [&'static str],
    pub sink: Sink,
    pub age: AgeField,
}

const UTF8_COMMA: CsvFormat = CsvFormat { delimiter: b',', encoding: Encoding::Utf8, crlf: false };

pub const VICTIMS: [PersonLayout; 3] = [
    PersonLayout {
        path: "raw/police/victims_2023-24.csv",
        header: &[
            "CRIS No",
            "Victim ID",
            "Victim Surname",
            "Age",
            "Sex",
            "Ethnicity",
            "Relationship to Suspect",
            "Injury Level",
        ],
        sink: Sink::Csv(UTF8_COMMA),
        age: AgeField::Age,
    },
    PersonLayout {
        path: "raw/police/victims_2024-25.csv",
        header: &[
            "CRIS No",
            "Victim ID",
            "Victim Surname",
            "Date of Birth",
            "Sex",
            "Ethnicity",
            "Relationship to Suspect",
            "Injury Level",
        ],
        sink: Sink::Csv(UTF8_COMMA),
        age: AgeField::DateOfBirth,
    },
    PersonLayout {
        path: "raw/police/victims_2025-26.xlsx",
        header: &[
            "Crime Reference",
            "Victim ID",
            "Victim Surname",
            "Age",
            "Sex",
            "Ethnicity",
            "Relationship to Suspect",
            "Injury Level",
        ],
        sink: Sink::Xlsx { sheet: "Victims" },
        age: AgeField::Age,
    },
];

const SUSPECT_HEADER: &[&str] = &["CRIS No", "Suspect ID", "Age", "Sex", "Ethnic Appearance", "Status"];

pub const SUSPECTS: [PersonLayout; 3] = [
    PersonLayout {
        path: "raw/police/suspects_2023-24.csv",
        header: SUSPECT_HEADER,
        sink: Sink::Csv(UTF8_COMMA),
        age: AgeField::Age,
    },
    PersonLayout {
        path: "raw/police/suspects_2024-25.csv",
        header: SUSPECT_HEADER,
        sink: Sink::Csv(CsvFormat { delimiter: b'\t', encoding: Encoding::Utf8, crlf: false }),
        age: AgeField::Age,
    },
    PersonLayout {
        path: "raw/police/suspects_2025-26.csv",
        header: SUSPECT_HEADER,
        sink: Sink::Csv(UTF8_COMMA),
        age: AgeField::Age,
    },
];

pub fn fmt_datetime(dt: NaiveDateTime, style: DateStyle) -> String {
    let (y, m, d, hh, mm, ss) = (dt.year(), dt.month(), dt.day(), dt.hour(), dt.minute(), dt.second());
    match style {
        DateStyle::Uk => format!("{d:02}/{m:02}/{y:04} {hh:02}:{mm:02}"),
        DateStyle::Iso => format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}"),
    }
}

pub fn fmt_date(date: NaiveDate, style: DateStyle) -> String {
    let (y, m, d) = (date.year(), date.month(), date.day());
    match style {
        DateStyle::Uk => format!("{d:02}/{m:02}/{y:04}"),
        DateStyle::Iso => format!("{y:04}-{m:02}-{d:02}"),
    }
}

pub fn flag(b: bool, style: FlagStyle) -> &'static str {
    match (style, b) {
        (FlagStyle::YN, true) => "Y",
        (FlagStyle::YN, false) => "N",
        (FlagStyle::YesNo, true) => "Yes",
        (FlagStyle::YesNo, false) => "No",
        (FlagStyle::TrueFalse, true) => "TRUE",
        (FlagStyle::TrueFalse, false) => "FALSE",
    }
}

/// An offence as written (before any deliberate corruption).
pub fn render_offence(o: &Offence, layout: &OffenceLayout, data: &GenData) -> Result<Vec<Cell>, SynthError> {
    let t = &data.mix[o.code];
    let f = layout.flags;
    let (c1, c2) = match layout.coords {
        Coords::Bng => (o.easting.to_string(), o.northing.to_string()),
        Coords::LatLon => {
            let (lon, lat) = crs::bng_to_wgs84(o.easting as f64, o.northing as f64)?;
            (format!("{lat:.6}"), format!("{lon:.6}"))
        }
    };
    let (outcome, outcome_date) = match o.outcome {
        Some((c, d)) => (c.to_string(), fmt_date(d, layout.dates)),
        None => (String::new(), String::new()),
    };
    Ok(vec![
        Cell::Text(crime_ref(o.year, o.seq)),
        Cell::Text(fmt_datetime(o.from, layout.dates)),
        o.to.map_or(Cell::Empty, |t| Cell::Text(fmt_datetime(t, layout.dates))),
        Cell::Text(fmt_datetime(o.reported, layout.dates)),
        Cell::Text(written_ho_code(o, data).to_string()),
        Cell::Text(t.description.clone()),
        Cell::text(flag(o.domestic, f)),
        Cell::text(flag(o.flags.knife, f)),
        Cell::text(flag(o.flags.firearm, f)),
        Cell::text(flag(o.flags.corrosive, f)),
        Cell::text(flag(o.flags.hate, f)),
        Cell::text(flag(o.flags.alcohol, f)),
        Cell::text(LOCATION_TYPES[o.location]),
        Cell::Text(c1),
        Cell::Text(c2),
        if outcome.is_empty() { Cell::Empty } else { Cell::Text(outcome) },
        if outcome_date.is_empty() { Cell::Empty } else { Cell::Text(outcome_date) },
    ])
}

/// The HO code an offence is written with: its own, or the code on no list it was planted with.
pub fn written_ho_code<'d>(o: &Offence, data: &'d GenData) -> &'d str {
    match o.extra {
        Extra::Repaired(r) => r.code().unwrap_or(data.mix[o.code].ho_code.as_str()),
        _ => data.mix[o.code].ho_code.as_str(),
    }
}

fn link_ref(link: Link, year: usize, police: &PoliceData) -> Cell {
    match link {
        Link::Offence(o) => Cell::Text(crime_ref(year, police.offences[o].seq)),
        Link::Orphan(seq) => Cell::Text(crime_ref(year, seq)),
        Link::Missing => Cell::Empty,
    }
}

pub fn person_id(id: u64) -> String {
    format!("PER-{id:07}")
}

/// The date a person row's age refers to: the committed-from date of its offence.
fn event_date(link: Link, police: &PoliceData) -> Option<NaiveDate> {
    match link {
        Link::Offence(o) => Some(police.offences[o].from.date()),
        _ => None,
    }
}

/// The date of birth written for a victim: the person's, unless the row's age says otherwise (an impossible
/// age, or a bad row's template age), when it is the event date that many years back.
pub fn written_dob(v: &VictimRow, police: &PoliceData) -> Result<NaiveDate, SynthError> {
    let person = &police.persons[v.person];
    let age = v.written_age();
    Ok(match event_date(v.link, police) {
        Some(date) if calendar::age_on(person.dob, date) != age => date
            .checked_sub_months(Months::new(12 * age))
            .ok_or_else(|| SynthError::Calendar(format!("age {age} on {date}")))?,
        _ => person.dob,
    })
}

pub fn render_victim(v: &VictimRow, layout: &PersonLayout, police: &PoliceData) -> Result<Vec<Cell>, SynthError> {
    let person = &police.persons[v.person];
    let age = match (layout.age, layout.sink) {
        (AgeField::Age, Sink::Xlsx { .. }) => Cell::Number(f64::from(v.written_age())),
        (AgeField::Age, Sink::Csv(_)) => Cell::Text(v.written_age().to_string()),
        (AgeField::DateOfBirth, _) => Cell::Text(fmt_date(written_dob(v, police)?, DateStyle::Uk)),
    };
    Ok(vec![
        link_ref(v.link, v.year, police),
        Cell::Text(person_id(person.id)),
        Cell::Text(format!("SURNAME-{:05}", person.surname_no)),
        age,
        Cell::text(v.sex),
        if v.ethnicity.is_empty() { Cell::Empty } else { Cell::Text(v.ethnicity.to_string()) },
        Cell::text(v.relationship),
        Cell::text(v.injury),
    ])
}

pub fn render_suspect(s: &SuspectRow, police: &PoliceData) -> Vec<Cell> {
    let person = &police.persons[s.person];
    vec![
        link_ref(s.link, s.year, police),
        Cell::Text(person_id(person.id)),
        Cell::Text(s.age.to_string()),
        Cell::text(s.sex),
        Cell::Text(s.ic.to_string()),
        Cell::text(s.status),
    ]
}

/// What a written row is, for the truth file.
#[derive(Debug, Clone, PartialEq)]
pub enum RowTag {
    Clean,
    Bad(BadKind),
    Outside {
        crime_ref: String,
    },
    /// A partner-source row written to be rejected.
    Planted(Planted),
    /// A real record written with one bad value: ingest stages it, repairs the value and logs a field issue
    /// with this reason and field.
    Repaired(Planted),
}

/// A deliberately bad row: its kind, the reason ingest must give (reject reason, or field-issue reason for a
/// repaired row) and the field it must name (partner sources name their fields differently, and a victim's
/// impossible age is blamed on the date of birth it came from, so these travel with the row).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Planted {
    pub kind: &'static str,
    pub reason: &'static str,
    pub field: &'static str,
}

impl RowTag {
    /// The tag of a police row; `age_field` is the field an impossible age is read from in this file.
    pub fn of(extra: Extra, crime_ref: impl FnOnce() -> String, age_field: &'static str) -> RowTag {
        match extra {
            Extra::Clean => RowTag::Clean,
            Extra::Bad(k) => RowTag::Bad(k),
            Extra::Outside => RowTag::Outside { crime_ref: crime_ref() },
            Extra::Repaired(r) => RowTag::Repaired(Planted { kind: r.name(), reason: r.reason(), field: repaired_field(r, age_field) }),
        }
    }

    /// Whether ingest stages the row.
    pub fn staged(&self) -> bool {
        !matches!(self, RowTag::Bad(_) | RowTag::Planted(_))
    }
}

/// The field a repaired police value is logged under.
fn repaired_field(r: Repair, age_field: &'static str) -> &'static str {
    match r {
        Repair::UnknownCode(_) => "ho_code",
        Repair::AgeOutOfRange => age_field,
    }
}

impl AgeField {
    /// The canonical field an age is read from in a file of this layout.
    pub fn field(self) -> &'static str {
        match self {
            AgeField::Age => "age",
            AgeField::DateOfBirth => "date_of_birth",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Row {
    pub cells: Vec<Cell>,
    pub tag: RowTag,
}

/// True for years whose 1 January falls in a leap year (used for impossible dates).
pub fn is_leap(year: i32) -> bool {
    NaiveDate::from_ymd_opt(year, 2, 29).is_some_and(|d| d.year() == year)
}
