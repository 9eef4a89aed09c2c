//! What was planted and what was realised: `truth.json`. Every planted pattern is measured on the records
//! ingest should stage (clean rows, and repaired rows with their repaired value unknown) and recorded next to
//! its target, so tests of the rest of the pipeline can compare their findings with what is really in the data.

use std::collections::BTreeMap;

use chrono::{Months, NaiveDate};
use serde::Serialize;

use super::ae::NightPeak;
use super::calendar::{self, YEARS};
use super::data::{BLACK, GenData, WHITE};
use super::exclusions::{ExclusionRateRatio, PupilCount};
use super::geometry::Borough;
use super::partners::{PartnerParams, SourceTruth};
use super::police::{Extra, Link, PoliceData};
use super::population::Population;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Truth {
    pub generator: String,
    pub seed: u64,
    pub scale: u32,
    pub area: Area,
    pub wards: Vec<WardTruth>,
    pub hot_wards: HotWards,
    pub years: Vec<YearTruth>,
    pub truths: Truths,
    pub definitions: Definitions,
    pub files: Vec<FileTruth>,
    /// Rows ingest must quarantine, by kind.
    pub bad_row_counts: BTreeMap<String, usize>,
    pub bad_row_counts_by_file: BTreeMap<String, BTreeMap<String, usize>>,
    /// Every row ingest must quarantine (`rejects/<source>.csv`), with the reject reason and field.
    pub bad_rows: Vec<PlantedRowTruth>,
    /// Rows ingest must stage with one value repaired, by kind.
    pub repaired_row_counts: BTreeMap<String, usize>,
    pub repaired_row_counts_by_file: BTreeMap<String, BTreeMap<String, usize>>,
    /// Every row ingest must stage with one value repaired and log in `rejects/<source>_field_issues.csv`,
    /// with the field-issue reason and field. The truths count these records with that value unknown.
    pub repaired_rows: Vec<PlantedRowTruth>,
    pub outside_area: Vec<OutsideTruth>,
    /// The synthetic LSOAs and their lookup.
    pub lsoas: LsoaTruth,
    /// Pupils on roll by year and ethnic group (`reference/pupils.csv`): exclusion rate denominators.
    pub pupils: Vec<PupilCount>,
    /// What ingest should stage from each partner source.
    pub partner_sources: BTreeMap<String, SourceTruth>,
    /// The police export, when it is not the default style (`sna synth --police-style niche`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub police_export: Option<PoliceExportTruth>,
}

/// A police export in another style: its files and what ingest should stage from them.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PoliceExportTruth {
    pub style: String,
    pub files: Vec<String>,
    /// Offence rows ingest stages, every crime type: `offences_clean + offences_repaired`.
    pub offences_staged: usize,
    /// Clean offence rows: the default style's (in the borough and outside it) and the other notifiable
    /// offences.
    pub offences_clean: usize,
    /// Offences under an HO code on no list (staged with `ho_code_known = false`).
    pub offences_repaired: usize,
    /// Of `offences_clean`, the other notifiable offences this export adds (no victims or suspects; in no
    /// truth).
    pub other_notifiable_offences: usize,
    pub other_notifiable_by_code: BTreeMap<String, usize>,
    /// Staged offences exported with a blank start time (ingest marks them `time_unknown`).
    pub offences_time_unknown: usize,
    /// Staged offences with no HO outcome yet (blank `HO Outcome`).
    pub offences_without_outcome: usize,
    /// Victim and suspect rows ingest stages.
    pub victims_staged: usize,
    pub suspects_staged: usize,
    pub note: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LsoaTruth {
    pub lookup: String,
    /// LSOAs of the borough (their best-fit ward is one of its wards).
    pub in_area: usize,
    /// LSOAs of the neighbouring borough listed in the lookup.
    pub outside_area: usize,
    /// Ward code -> its LSOA codes.
    pub by_ward: BTreeMap<String, Vec<String>>,
}

/// Planted truths of the partner sources (flattened into `truths`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PartnerTruths {
    /// Ambulance call-outs with no police offence (staged, with a point) committed within 24 hours and 500 metres.
    pub las_no_police_offence_share: Measure,
    /// A&E attendances whose assault was Fri 22:00-Sat 02:59 or Sat 22:00-Sun 02:59.
    pub ae_weekend_night_share: Measure,
    /// A&E attendances by night of the week: Friday and Saturday nights are the two busiest.
    pub ae_night_peak: NightPeak,
    /// Distinct YOT children with a speech/language/communication or neuro-disability concern.
    pub yot_slcn_share: Measure,
    /// Distinct YOT children who also appear (same raw UPN, so same pseudonym) in the exclusions data.
    pub yot_in_exclusions_share: Measure,
    /// MARAC referrals whose victim is recorded female.
    pub marac_female_victim_share: Measure,
    /// MARAC referrals whose victim has a disability.
    pub marac_disability_share: Measure,
    /// MARAC referrals of a victim within 12 months of their previous referral.
    pub marac_repeat_share: Measure,
    pub black_white_violent_exclusion_rate_ratio: ExclusionRateRatio,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PartnerDefinitions {
    pub las_no_police_offence: String,
    pub ae_weekend_night: String,
    pub yot_cohort: String,
    pub marac_repeat: String,
    pub violent_exclusion: String,
    pub exclusion_rate: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Area {
    pub lad_code: String,
    pub lad_name: String,
    pub ward_count: usize,
    pub total_residents: u64,
    pub area_km2: f64,
    pub crs_generated: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct WardTruth {
    pub code: String,
    pub name: String,
    pub area_km2: f64,
    pub residents: u64,
    pub hot: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct HotWards {
    pub codes: Vec<String>,
    pub names: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct YearTruth {
    pub year: String,
    pub start: String,
    pub end: String,
    /// Staged offences located in the borough: clean ones and those recorded under an HO code on no list.
    pub offences: usize,
    /// Of `offences`, those recorded under an HO code on no list (staged with `ho_code_known = false`, in
    /// no offence category, so never serious violence).
    pub unknown_code_offences: usize,
    pub sv_offences: usize,
    pub da_offences: usize,
    /// Staged victim rows (one per victim per offence), those with an impossible age included.
    pub victims: usize,
    /// Of `victims`, those whose age is written impossibly (staged with age unknown).
    pub victims_age_unknown: usize,
    pub suspects: usize,
    /// Offences staged as outside_area (kept, no ward).
    pub outside_area: usize,
    /// Rows written to the offences file, header excluded (clean + unknown-code + outside + bad).
    pub offence_rows_written: usize,
}

/// A planted share: target, realised over all years, and per year.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Measure {
    pub target: f64,
    pub realised: f64,
    pub numerator: usize,
    pub denominator: usize,
    pub by_year: BTreeMap<String, Share>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Share {
    pub realised: f64,
    pub numerator: usize,
    pub denominator: usize,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Growth {
    pub target: f64,
    pub realised: f64,
    pub from_year: String,
    pub to_year: String,
    pub from_count: usize,
    pub to_count: usize,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RateRatio {
    pub target: f64,
    pub realised: f64,
    pub black_victims_u25: usize,
    pub black_population_u25: u64,
    pub white_victims_u25: usize,
    pub white_population_u25: u64,
    pub black_rate_per_1000: f64,
    pub white_rate_per_1000: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Truths {
    /// Located serious-violence offences in the two hot wards.
    pub hot_ward_sv_share: Measure,
    /// Non-domestic serious violence committed (from) Fri 22:00-Sat 03:00 or Sat 22:00-Sun 03:00.
    pub weekend_night_sv_share: Measure,
    pub da_dwelling_share: Measure,
    /// DA offences committed (from) 18:00-23:59.
    pub da_evening_share: Measure,
    /// DA victim rows with sex F (X/U count in the denominator).
    pub da_female_victim_share: Measure,
    /// DA victim rows of known age aged 16 or over.
    pub da_victims_aged_16_plus_share: Measure,
    /// Distinct DA victims with two or more DA offences within 12 months of each other.
    pub da_repeat_victim_share: Measure,
    pub da_growth_2024_25: Growth,
    pub da_growth_2025_26: Growth,
    /// Victim rows of known age under 25 per resident under 25, Black over White (SDE group as recorded).
    pub black_white_u25_victim_rate_ratio: RateRatio,
    pub sanction_detection_share: Measure,
    pub offences_with_suspect_share: Measure,
    /// Offences with victims that have two.
    pub two_victim_share: Measure,
    /// Filled in once the partner sources are generated (the police truths are measured first, so the
    /// police rows can be dropped before the partner sources are built).
    #[serde(flatten)]
    pub partners: Option<PartnerTruths>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Definitions {
    pub serious_violence_codes: Vec<String>,
    pub weekend_night: String,
    pub da_evening: String,
    pub under_25: String,
    pub sanction_detection: String,
    pub age_at: String,
    #[serde(flatten)]
    pub partners: PartnerDefinitions,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FileTruth {
    pub path: String,
    /// `csv`, `xlsx` or `geojson`.
    pub format: String,
    /// `utf-8`, `utf-8-bom` or `windows-1252` (null for XLSX).
    pub encoding: Option<String>,
    /// `comma`, `semicolon` or `tab` (CSV only).
    pub delimiter: Option<String>,
    /// `crlf` or `lf` (null for XLSX).
    pub line_ending: Option<String>,
    /// Worksheet name (XLSX only).
    pub sheet: Option<String>,
    pub header: Vec<String>,
    /// Data rows (header excluded); features for GeoJSON.
    pub rows: usize,
    /// Rows ingest must quarantine.
    pub bad_rows: usize,
    /// Rows ingest must stage with one value repaired.
    pub repaired_rows: usize,
    /// Why the file is not in its source's usual form (e.g. a workbook export too big for one worksheet,
    /// written as CSV); omitted when it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A planted row: where it is, what was done to it, and the reason and canonical field ingest must give
/// (reject reason for a bad row, field-issue reason for a repaired one).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PlantedRowTruth {
    pub file: String,
    /// 1-based physical line (CSV) or worksheet row (XLSX); the header is line 1.
    pub line: usize,
    pub kind: String,
    pub reason: String,
    pub field: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct OutsideTruth {
    pub file: String,
    pub line: usize,
    pub crime_ref: String,
}

fn ratio(n: usize, d: usize) -> f64 {
    if d == 0 { 0.0 } else { n as f64 / d as f64 }
}

/// Count (numerator, denominator) per year over items, then build a Measure.
pub(super) fn measure<I: Iterator<Item = (usize, bool)>>(target: f64, items: I) -> Measure {
    let mut per = vec![(0usize, 0usize); YEARS.len()];
    for (year, hit) in items {
        per[year].1 += 1;
        if hit {
            per[year].0 += 1;
        }
    }
    let numerator = per.iter().map(|p| p.0).sum();
    let denominator = per.iter().map(|p| p.1).sum();
    let by_year = per
        .iter()
        .enumerate()
        .map(|(y, &(n, d))| (YEARS[y].0.to_string(), Share { realised: ratio(n, d), numerator: n, denominator: d }))
        .collect();
    Measure { target, realised: ratio(numerator, denominator), numerator, denominator, by_year }
}

pub struct Measured {
    pub years: Vec<YearTruth>,
    pub truths: Truths,
}

/// Measure every planted truth on the records ingest stages: clean rows, offences recorded under an HO code
/// on no list (in no category), and victims written with an impossible age (age unknown).
pub fn measure_all(data: &GenData, borough: &Borough, pop: &Population, police: &PoliceData) -> Measured {
    let p = &data.params;
    // Staged offences in the borough (outside-area offences are staged too, but never in a ward).
    let staged: Vec<usize> = (0..police.offences.len())
        .filter(|&i| matches!(police.offences[i].extra, Extra::Clean | Extra::Repaired(_)))
        .collect();
    let offences = &police.offences;
    let unknown_code = |i: usize| matches!(offences[i].extra, Extra::Repaired(_));
    // An offence recorded under a code on no list is in no category: never serious violence.
    let sv = |i: usize| data.mix[offences[i].code].serious_violence && !unknown_code(i);
    let hot = |i: usize| {
        let o = &offences[i];
        borough.ward_at([o.easting as f64, o.northing as f64]).is_some_and(|w| borough.hot.contains(&w))
    };
    let located = |i: usize| borough.ward_at([offences[i].easting as f64, offences[i].northing as f64]).is_some();

    let hot_ward_sv_share = measure(
        p.hot_ward_sv_share,
        staged.iter().filter(|&&i| sv(i) && located(i)).map(|&i| (offences[i].year, hot(i))),
    );
    let weekend_night_sv_share = measure(
        p.weekend_night_sv_share,
        staged
            .iter()
            .filter(|&&i| sv(i) && !offences[i].domestic)
            .map(|&i| (offences[i].year, calendar::is_weekend_night(offences[i].from))),
    );
    let da: Vec<usize> = staged.iter().copied().filter(|&i| offences[i].domestic).collect();
    let da_dwelling_share = measure(
        police.expected.da_dwelling_share,
        da.iter().map(|&i| (offences[i].year, super::data::LOCATION_TYPES[offences[i].location] == "dwelling")),
    );
    let da_evening_share = measure(
        police.expected.da_evening_share,
        da.iter().map(|&i| (offences[i].year, chrono::Timelike::hour(&offences[i].from) >= 18)),
    );
    let staged_victims: Vec<usize> = (0..police.victims.len())
        .filter(|&v| matches!(police.victims[v].extra, Extra::Clean | Extra::Repaired(_)))
        .collect();
    let victim_offence = |v: usize| match police.victims[v].link {
        Link::Offence(o) => Some(o),
        _ => None,
    };
    let da_victims: Vec<usize> =
        staged_victims.iter().copied().filter(|&v| victim_offence(v).is_some_and(|o| offences[o].domestic)).collect();
    let da_female_victim_share = measure(
        police.expected.da_female_victim_share,
        da_victims.iter().map(|&v| (police.victims[v].year, police.victims[v].sex == "F")),
    );
    let da_victims_aged_16_plus_share = measure(
        1.0,
        da_victims
            .iter()
            .filter_map(|&v| police.victims[v].staged_age().map(|age| (police.victims[v].year, age >= 16))),
    );

    // Repeat DA victims: any two DA victimisations of one person within 12 months.
    let mut by_person: BTreeMap<usize, Vec<(NaiveDate, usize)>> = BTreeMap::new();
    for &v in &da_victims {
        if let Some(o) = victim_offence(v) {
            by_person.entry(police.victims[v].person).or_default().push((offences[o].from.date(), offences[o].year));
        }
    }
    let mut repeat_items = Vec::new();
    for dates in by_person.values_mut() {
        dates.sort_unstable();
        let repeat =
            dates.windows(2).any(|w| w[0].0.checked_add_months(Months::new(12)).is_some_and(|lim| w[1].0 <= lim));
        repeat_items.push((dates.first().map_or(0, |d| d.1), repeat));
    }
    let da_repeat_victim_share = measure(p.da_repeat_victim_share, repeat_items.into_iter());

    let count_year =
        |year: usize, f: &dyn Fn(usize) -> bool| staged.iter().filter(|&&i| offences[i].year == year && f(i)).count();
    let da_counts: Vec<usize> = (0..YEARS.len()).map(|y| count_year(y, &|i| offences[i].domestic)).collect();
    let growth = |from: usize, to: usize, target: f64| Growth {
        target,
        realised: ratio(da_counts[to], da_counts[from]),
        from_year: YEARS[from].0.to_string(),
        to_year: YEARS[to].0.to_string(),
        from_count: da_counts[from],
        to_count: da_counts[to],
    };

    // Disproportionality: victim rows under 25 by recorded SDE group over residents under 25.
    let u25 = data.under25_bands();
    let group_victims = |letter: char| {
        staged_victims
            .iter()
            .filter(|&&v| {
                police.victims[v].staged_age().is_some_and(|a| a < 25) && police.victims[v].ethnicity.starts_with(letter)
            })
            .count()
    };
    let (bv, wv) = (group_victims('B'), group_victims('W'));
    let (bp, wp) = (pop.group_in_bands(BLACK, u25), pop.group_in_bands(WHITE, u25));
    let rate = |n: usize, d: u64| if d == 0 { 0.0 } else { n as f64 / d as f64 * 1000.0 };
    let rr = RateRatio {
        target: p.black_u25_victim_rate_ratio,
        realised: if rate(wv, wp) > 0.0 { rate(bv, bp) / rate(wv, wp) } else { 0.0 },
        black_victims_u25: bv,
        black_population_u25: bp,
        white_victims_u25: wv,
        white_population_u25: wp,
        black_rate_per_1000: rate(bv, bp),
        white_rate_per_1000: rate(wv, wp),
    };

    let sanction_detection_share = measure(
        p.sanction_detection_share,
        staged.iter().map(|&i| (offences[i].year, offences[i].outcome.is_some_and(|(c, _)| (1..=8).contains(&c)))),
    );
    let offences_with_suspect_share = measure(
        police.expected.suspect_share,
        staged.iter().map(|&i| (offences[i].year, !offences[i].suspects.is_empty())),
    );
    let two_victim_share = measure(
        p.second_victim_share,
        staged
            .iter()
            .filter(|&&i| !offences[i].victims.is_empty())
            .map(|&i| (offences[i].year, offences[i].victims.len() >= 2)),
    );

    let years = (0..YEARS.len())
        .map(|y| {
            let start_year = YEARS[y].1;
            YearTruth {
                year: YEARS[y].0.to_string(),
                start: format!("{start_year}-04-01"),
                end: format!("{}-03-31", start_year + 1),
                offences: count_year(y, &|_| true),
                unknown_code_offences: count_year(y, &unknown_code),
                sv_offences: count_year(y, &sv),
                da_offences: da_counts[y],
                victims: staged_victims.iter().filter(|&&v| police.victims[v].year == y).count(),
                victims_age_unknown: staged_victims
                    .iter()
                    .filter(|&&v| police.victims[v].year == y && police.victims[v].staged_age().is_none())
                    .count(),
                suspects: police.suspects.iter().filter(|s| s.year == y && s.extra == Extra::Clean).count(),
                outside_area: offences.iter().filter(|o| o.year == y && o.extra == Extra::Outside).count(),
                offence_rows_written: 0,
            }
        })
        .collect();

    Measured {
        years,
        truths: Truths {
            hot_ward_sv_share,
            weekend_night_sv_share,
            da_dwelling_share,
            da_evening_share,
            da_female_victim_share,
            da_victims_aged_16_plus_share,
            da_repeat_victim_share,
            da_growth_2024_25: growth(0, 1, p.da_growth_2024_25),
            da_growth_2025_26: growth(1, 2, p.da_growth_2025_26),
            black_white_u25_victim_rate_ratio: rr,
            sanction_detection_share,
            offences_with_suspect_share,
            two_victim_share,
            partners: None,
        },
    }
}

pub fn definitions(data: &GenData, pp: &PartnerParams) -> Definitions {
    Definitions {
        serious_violence_codes: data.mix.iter().filter(|t| t.serious_violence).map(|t| t.ho_code.clone()).collect(),
        weekend_night: "committed_from Fri 22:00-Sat 02:59 or Sat 22:00-Sun 02:59".into(),
        da_evening: "committed_from 18:00-23:59".into(),
        under_25: "age 0-24 at committed_from; population bands 0-4..20-24".into(),
        sanction_detection: "HO outcome type 1..8 (type 5 is never generated, so 1-4 and 6-8 give the same count)"
            .into(),
        age_at: "committed_from date (2024-25 victims give date of birth instead of age); victims written with an \
                 impossible age (repaired_rows) have no age and count in no age group"
            .into(),
        partners: PartnerDefinitions {
            las_no_police_offence: format!(
                "no staged police offence (clean, outside_area or under an HO code on no list) whose committed_from \
                 is within {} hours either side of call_at and whose point is within {} metres",
                pp.las_match_hours, pp.las_match_radius_m
            ),
            ae_weekend_night: "assault_at Fri 22:00-Sat 02:59 or Sat 22:00-Sun 02:59; a night runs 22:00-02:59 and \
                               counts to the evening's weekday"
                .into(),
            yot_cohort: "distinct child_id with at least one staged row; by_year = financial year of the child's \
                         first staged row"
                .into(),
            marac_repeat: "a referral whose victim_id had a previous staged referral no more than 12 calendar months \
                           earlier (referral_date <= previous + 12 months)"
                .into(),
            violent_exclusion: "any of reason_1..reason_3 in the violence_related subset of \
                                seeds/dfe_exclusion_reasons.csv (PP PA VP VA OW BW SM SB); suspensions, lunchtime and \
                                permanent exclusions all count"
                .into(),
            exclusion_rate:
                "violence-related exclusions per 100 pupils on roll (reference/pupils.csv, summed over the \
                             years), ethnic group from the recorded SDE code (NS and blank excluded)"
                    .into(),
        },
    }
}
