//! The embedded tables that parameterise the generator (`seeds/synth/*.csv`): offence mix, age structure,
//! age/sex risk curves, ethnic composition, hour-of-day profiles, location profiles, ward-name syllables and
//! the planted targets. Everything the generator "believes" about the borough lives in these files.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::error::SynthError;

const OFFENCE_MIX: &str = include_str!("../../seeds/synth/offence_mix.csv");
const AGE_PROFILE: &str = include_str!("../../seeds/synth/age_profile.csv");
const AGE_RISK: &str = include_str!("../../seeds/synth/age_risk.csv");
const ETHNIC: &str = include_str!("../../seeds/synth/ethnic_composition.csv");
const HOURS: &str = include_str!("../../seeds/synth/hour_profile.csv");
const LOCATIONS: &str = include_str!("../../seeds/synth/location_profile.csv");
const SYLLABLES: &str = include_str!("../../seeds/synth/ward_syllables.csv");
const PARAMS: &str = include_str!("../../seeds/synth/params.csv");

/// The five ONS high-level ethnic groups, in the order used throughout the generator.
pub const ETHNIC_GROUPS: [&str; 5] = ["Asian", "Black", "Mixed", "White", "Other"];
pub const BLACK: usize = 1;
pub const WHITE: usize = 3;
pub const SEXES: [&str; 2] = ["M", "F"];

/// Risk curves by age band and sex (columns of `age_risk.csv`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RiskGroup {
    Violence,
    Sexual,
    Robbery,
    Domestic,
    Child,
    Constable,
    Suspect,
}

impl RiskGroup {
    pub const ALL: [RiskGroup; 7] = [
        RiskGroup::Violence,
        RiskGroup::Sexual,
        RiskGroup::Robbery,
        RiskGroup::Domestic,
        RiskGroup::Child,
        RiskGroup::Constable,
        RiskGroup::Suspect,
    ];

    fn parse(s: &str) -> Option<RiskGroup> {
        RiskGroup::ALL.into_iter().find(|g| g.name() == s)
    }

    pub fn name(self) -> &'static str {
        match self {
            RiskGroup::Violence => "violence",
            RiskGroup::Sexual => "sexual",
            RiskGroup::Robbery => "robbery",
            RiskGroup::Domestic => "domestic",
            RiskGroup::Child => "child",
            RiskGroup::Constable => "constable",
            RiskGroup::Suspect => "suspect",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Injury {
    None,
    Low,
    High,
    Fatal,
}

#[derive(Debug, Clone)]
pub struct OffenceType {
    pub ho_code: String,
    pub description: String,
    pub share: f64,
    pub serious_violence: bool,
    pub sexual: bool,
    pub domestic_share: f64,
    pub knife_share: f64,
    pub firearm_share: f64,
    pub corrosive_share: f64,
    pub hate_share: f64,
    pub alcohol_share: f64,
    pub victimless: bool,
    /// `Some(0)` male only, `Some(1)` female only, `None` either.
    pub victim_sex: Option<usize>,
    pub victim_min_age: u32,
    pub victim_max_age: u32,
    pub risk_group: RiskGroup,
    pub location_profile: String,
    pub injury: Injury,
}

#[derive(Debug, Clone)]
pub struct AgeBand {
    pub label: String,
    pub min_age: u32,
    pub max_age: u32,
    pub share: f64,
    pub male_share: f64,
}

#[derive(Debug, Clone)]
pub struct EthnicGroup {
    pub name: String,
    pub min_share: f64,
    pub max_share: f64,
    /// SDE 18+1 codes with weights.
    pub sde: Vec<(String, f64)>,
    /// Officer-observed IC codes with weights.
    pub ic: Vec<(String, f64)>,
}

#[derive(Debug, Clone)]
pub struct Syllables {
    pub stems: Vec<String>,
    pub endings: Vec<String>,
    pub prefixes: Vec<String>,
    pub suffixes: Vec<String>,
}

/// Planted targets and sizes (`params.csv`).
#[derive(Debug, Clone)]
pub struct Params {
    pub residents_per_scale: f64,
    pub ward_min_residents: f64,
    pub ward_max_residents: f64,
    pub wards_per_scale: u32,
    pub borough_radius_m: f64,
    pub offences_per_year_per_scale: f64,
    pub hot_ward_sv_share: f64,
    pub hot_ward_other_share: f64,
    pub weekend_night_sv_share: f64,
    pub da_growth_2024_25: f64,
    pub da_growth_2025_26: f64,
    pub black_u25_victim_rate_ratio: f64,
    pub da_repeat_victim_share: f64,
    pub second_victim_share: f64,
    pub second_suspect_share: f64,
    pub sanction_detection_share: f64,
    pub not_stated_ethnicity_share: f64,
    pub bad_row_share: f64,
    pub outside_area_share: f64,
}

#[derive(Debug, Clone)]
pub struct GenData {
    pub params: Params,
    pub mix: Vec<OffenceType>,
    pub bands: Vec<AgeBand>,
    /// risk[group][band][sex]
    risk: Vec<Vec<[f64; 2]>>,
    pub ethnic: Vec<EthnicGroup>,
    pub hours_general: [f64; 24],
    pub hours_domestic: [f64; 24],
    pub locations: BTreeMap<String, Vec<(String, f64)>>,
    pub syllables: Syllables,
}

impl GenData {
    pub fn risk(&self, group: RiskGroup, band: usize, sex: usize) -> f64 {
        self.risk[group.index()][band][sex]
    }

    pub fn location_profile(&self, name: &str) -> Result<&[(String, f64)], SynthError> {
        self.locations
            .get(name)
            .map(Vec::as_slice)
            .ok_or_else(|| SynthError::seed("location_profile.csv", format!("no profile named {name}")))
    }

    /// Index of the age band holding `age`.
    pub fn band_of(&self, age: u32) -> usize {
        self.bands.iter().position(|b| age >= b.min_age && age <= b.max_age).unwrap_or(self.bands.len() - 1)
    }

    /// Number of 5-year bands wholly under 25 (the "under 25" group).
    pub fn under25_bands(&self) -> usize {
        self.bands.iter().take_while(|b| b.max_age < 25).count()
    }

    pub fn load() -> Result<GenData, SynthError> {
        let params = parse_params()?;
        let bands = parse_bands()?;
        let risk = parse_risk(&bands)?;
        let mix = parse_mix()?;
        let ethnic = parse_ethnic()?;
        let (hours_general, hours_domestic) = parse_hours()?;
        let locations = parse_locations()?;
        let syllables = parse_syllables()?;
        for t in &mix {
            if !locations.contains_key(&t.location_profile) {
                return Err(SynthError::seed(
                    "offence_mix.csv",
                    format!("{}: unknown location profile {}", t.ho_code, t.location_profile),
                ));
            }
        }
        for needed in ["general", "night", "domestic"] {
            if !locations.contains_key(needed) {
                return Err(SynthError::seed("location_profile.csv", format!("profile {needed} is required")));
            }
        }
        Ok(GenData { params, mix, bands, risk, ethnic, hours_general, hours_domestic, locations, syllables })
    }
}

fn reader(text: &str) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(text.as_bytes())
}

fn rows<T: for<'de> Deserialize<'de>>(file: &str, text: &str) -> Result<Vec<T>, SynthError> {
    reader(text).deserialize().collect::<Result<Vec<T>, _>>().map_err(|e| SynthError::seed(file, e.to_string()))
}

fn yes_no(file: &str, v: &str) -> Result<bool, SynthError> {
    match v {
        "Y" => Ok(true),
        "N" => Ok(false),
        other => Err(SynthError::seed(file, format!("expected Y or N, got {other:?}"))),
    }
}

fn parse_params() -> Result<Params, SynthError> {
    #[derive(Deserialize)]
    struct Row {
        key: String,
        value: f64,
    }
    let map: BTreeMap<String, f64> = rows::<Row>("params.csv", PARAMS)?.into_iter().map(|r| (r.key, r.value)).collect();
    let get = |k: &str| -> Result<f64, SynthError> {
        map.get(k).copied().ok_or_else(|| SynthError::seed("params.csv", format!("missing key {k}")))
    };
    Ok(Params {
        residents_per_scale: get("residents_per_scale")?,
        ward_min_residents: get("ward_min_residents")?,
        ward_max_residents: get("ward_max_residents")?,
        wards_per_scale: get("wards_per_scale")? as u32,
        borough_radius_m: get("borough_radius_m")?,
        offences_per_year_per_scale: get("offences_per_year_per_scale")?,
        hot_ward_sv_share: get("hot_ward_sv_share")?,
        hot_ward_other_share: get("hot_ward_other_share")?,
        weekend_night_sv_share: get("weekend_night_sv_share")?,
        da_growth_2024_25: get("da_growth_2024_25")?,
        da_growth_2025_26: get("da_growth_2025_26")?,
        black_u25_victim_rate_ratio: get("black_u25_victim_rate_ratio")?,
        da_repeat_victim_share: get("da_repeat_victim_share")?,
        second_victim_share: get("second_victim_share")?,
        second_suspect_share: get("second_suspect_share")?,
        sanction_detection_share: get("sanction_detection_share")?,
        not_stated_ethnicity_share: get("not_stated_ethnicity_share")?,
        bad_row_share: get("bad_row_share")?,
        outside_area_share: get("outside_area_share")?,
    })
}

fn parse_bands() -> Result<Vec<AgeBand>, SynthError> {
    #[derive(Deserialize)]
    struct Row {
        age_band: String,
        min_age: u32,
        max_age: u32,
        share: f64,
        male_share: f64,
    }
    let bands: Vec<AgeBand> = rows::<Row>("age_profile.csv", AGE_PROFILE)?
        .into_iter()
        .map(|r| AgeBand {
            label: r.age_band,
            min_age: r.min_age,
            max_age: r.max_age,
            share: r.share,
            male_share: r.male_share,
        })
        .collect();
    if bands.len() != 18 {
        return Err(SynthError::seed("age_profile.csv", format!("expected 18 bands, got {}", bands.len())));
    }
    for (i, b) in bands.iter().enumerate() {
        let contiguous = i == 0 || bands[i - 1].max_age + 1 == b.min_age;
        if !contiguous || b.max_age < b.min_age || !(0.0..=1.0).contains(&b.male_share) || b.share <= 0.0 {
            return Err(SynthError::seed("age_profile.csv", format!("band {} is inconsistent", b.label)));
        }
    }
    Ok(bands)
}

fn parse_risk(bands: &[AgeBand]) -> Result<Vec<Vec<[f64; 2]>>, SynthError> {
    const FILE: &str = "age_risk.csv";
    let mut rdr = reader(AGE_RISK);
    let header = rdr.headers().map_err(|e| SynthError::seed(FILE, e.to_string()))?.clone();
    let col = |name: &str| {
        header.iter().position(|h| h == name).ok_or_else(|| SynthError::seed(FILE, format!("no column {name}")))
    };
    let band_col = col("age_band")?;
    let sex_col = col("sex")?;
    let group_cols: Vec<usize> = RiskGroup::ALL.iter().map(|g| col(g.name())).collect::<Result<_, _>>()?;
    let mut risk = vec![vec![[f64::NAN; 2]; bands.len()]; RiskGroup::ALL.len()];
    for rec in rdr.records() {
        let rec = rec.map_err(|e| SynthError::seed(FILE, e.to_string()))?;
        let band = rec.get(band_col).unwrap_or_default();
        let b = bands
            .iter()
            .position(|x| x.label == band)
            .ok_or_else(|| SynthError::seed(FILE, format!("unknown band {band}")))?;
        let sex = rec.get(sex_col).unwrap_or_default();
        let s = SEXES.iter().position(|x| *x == sex).ok_or_else(|| SynthError::seed(FILE, format!("sex {sex}")))?;
        for (g, &c) in group_cols.iter().enumerate() {
            let v: f64 = rec
                .get(c)
                .unwrap_or_default()
                .parse()
                .map_err(|_| SynthError::seed(FILE, format!("band {band} sex {sex}: not a number")))?;
            if v < 0.0 {
                return Err(SynthError::seed(FILE, "negative risk"));
            }
            risk[g][b][s] = v;
        }
    }
    if risk.iter().flatten().flatten().any(|v| v.is_nan()) {
        return Err(SynthError::seed(FILE, "every band x sex needs a row"));
    }
    Ok(risk)
}

fn parse_mix() -> Result<Vec<OffenceType>, SynthError> {
    const FILE: &str = "offence_mix.csv";
    #[derive(Deserialize)]
    struct Row {
        ho_code: String,
        description: String,
        share: f64,
        serious_violence: String,
        sexual: String,
        domestic_share: f64,
        knife_share: f64,
        firearm_share: f64,
        corrosive_share: f64,
        hate_share: f64,
        alcohol_share: f64,
        victimless: String,
        victim_sex: String,
        victim_min_age: u32,
        victim_max_age: u32,
        risk_group: String,
        location_profile: String,
        injury_profile: String,
    }
    let mut out = Vec::new();
    for r in rows::<Row>(FILE, OFFENCE_MIX)? {
        let risk_group = RiskGroup::parse(&r.risk_group)
            .ok_or_else(|| SynthError::seed(FILE, format!("{}: risk group {}", r.ho_code, r.risk_group)))?;
        let victim_sex = match r.victim_sex.as_str() {
            "*" => None,
            "M" => Some(0),
            "F" => Some(1),
            other => return Err(SynthError::seed(FILE, format!("{}: victim_sex {other}", r.ho_code))),
        };
        let injury = match r.injury_profile.as_str() {
            "none" => Injury::None,
            "low" => Injury::Low,
            "high" => Injury::High,
            "fatal" => Injury::Fatal,
            other => return Err(SynthError::seed(FILE, format!("{}: injury {other}", r.ho_code))),
        };
        let shares =
            [r.domestic_share, r.knife_share, r.firearm_share, r.corrosive_share, r.hate_share, r.alcohol_share];
        if r.share <= 0.0 || shares.iter().any(|s| !(0.0..=1.0).contains(s)) || r.victim_min_age > r.victim_max_age {
            return Err(SynthError::seed(FILE, format!("{}: shares or ages out of range", r.ho_code)));
        }
        out.push(OffenceType {
            serious_violence: yes_no(FILE, &r.serious_violence)?,
            sexual: yes_no(FILE, &r.sexual)?,
            victimless: yes_no(FILE, &r.victimless)?,
            ho_code: r.ho_code,
            description: r.description,
            share: r.share,
            domestic_share: r.domestic_share,
            knife_share: r.knife_share,
            firearm_share: r.firearm_share,
            corrosive_share: r.corrosive_share,
            hate_share: r.hate_share,
            alcohol_share: r.alcohol_share,
            victim_sex,
            victim_min_age: r.victim_min_age,
            victim_max_age: r.victim_max_age,
            risk_group,
            location_profile: r.location_profile,
            injury,
        });
    }
    let codes: std::collections::BTreeSet<&str> = out.iter().map(|t| t.ho_code.as_str()).collect();
    if codes.len() != out.len() || out.is_empty() {
        return Err(SynthError::seed(FILE, "HO codes must be unique and the mix non-empty"));
    }
    Ok(out)
}

/// `A1:0.30 A2:0.15 ...` -> weighted codes.
fn weighted_codes(file: &str, text: &str) -> Result<Vec<(String, f64)>, SynthError> {
    let mut out = Vec::new();
    for part in text.split_whitespace() {
        let (code, w) = part.split_once(':').ok_or_else(|| SynthError::seed(file, format!("bad entry {part}")))?;
        let w: f64 = w.parse().map_err(|_| SynthError::seed(file, format!("bad weight in {part}")))?;
        out.push((code.to_string(), w));
    }
    if out.is_empty() {
        return Err(SynthError::seed(file, "empty code list"));
    }
    Ok(out)
}

fn parse_ethnic() -> Result<Vec<EthnicGroup>, SynthError> {
    const FILE: &str = "ethnic_composition.csv";
    #[derive(Deserialize)]
    struct Row {
        ethnic_group: String,
        min_share: f64,
        max_share: f64,
        sde_codes: String,
        ic_codes: String,
    }
    let rows = rows::<Row>(FILE, ETHNIC)?;
    let mut out = Vec::new();
    for name in ETHNIC_GROUPS {
        let r = rows
            .iter()
            .find(|r| r.ethnic_group == name)
            .ok_or_else(|| SynthError::seed(FILE, format!("missing group {name}")))?;
        if !(0.0 < r.min_share && r.min_share <= r.max_share && r.max_share < 1.0) {
            return Err(SynthError::seed(FILE, format!("{name}: share range")));
        }
        out.push(EthnicGroup {
            name: name.to_string(),
            min_share: r.min_share,
            max_share: r.max_share,
            sde: weighted_codes(FILE, &r.sde_codes)?,
            ic: weighted_codes(FILE, &r.ic_codes)?,
        });
    }
    Ok(out)
}

fn parse_hours() -> Result<([f64; 24], [f64; 24]), SynthError> {
    #[derive(Deserialize)]
    struct Row {
        hour: usize,
        general: f64,
        domestic: f64,
    }
    let mut g = [f64::NAN; 24];
    let mut d = [f64::NAN; 24];
    for r in rows::<Row>("hour_profile.csv", HOURS)? {
        if r.hour >= 24 || r.general < 0.0 || r.domestic < 0.0 {
            return Err(SynthError::seed("hour_profile.csv", format!("hour {}", r.hour)));
        }
        g[r.hour] = r.general;
        d[r.hour] = r.domestic;
    }
    if g.iter().chain(d.iter()).any(|v| v.is_nan()) {
        return Err(SynthError::seed("hour_profile.csv", "every hour 0..23 needs a row"));
    }
    Ok((g, d))
}

pub const LOCATION_TYPES: [&str; 8] =
    ["street", "dwelling", "licensed premises", "transport", "school", "park", "retail", "other"];

fn parse_locations() -> Result<BTreeMap<String, Vec<(String, f64)>>, SynthError> {
    #[derive(Deserialize)]
    struct Row {
        profile: String,
        location_type: String,
        weight: f64,
    }
    let mut out: BTreeMap<String, Vec<(String, f64)>> = BTreeMap::new();
    for r in rows::<Row>("location_profile.csv", LOCATIONS)? {
        if !LOCATION_TYPES.contains(&r.location_type.as_str()) || r.weight < 0.0 {
            return Err(SynthError::seed("location_profile.csv", format!("location type {}", r.location_type)));
        }
        out.entry(r.profile).or_default().push((r.location_type, r.weight));
    }
    Ok(out)
}

fn parse_syllables() -> Result<Syllables, SynthError> {
    #[derive(Deserialize)]
    struct Row {
        part: String,
        text: String,
    }
    let mut s = Syllables { stems: vec![], endings: vec![], prefixes: vec![], suffixes: vec![] };
    for r in rows::<Row>("ward_syllables.csv", SYLLABLES)? {
        match r.part.as_str() {
            "stem" => s.stems.push(r.text),
            "ending" => s.endings.push(r.text),
            "prefix" => s.prefixes.push(r.text),
            "suffix" => s.suffixes.push(r.text),
            other => return Err(SynthError::seed("ward_syllables.csv", format!("part {other}"))),
        }
    }
    if s.stems.is_empty() || s.endings.is_empty() || s.prefixes.is_empty() || s.suffixes.is_empty() {
        return Err(SynthError::seed("ward_syllables.csv", "every part needs at least one entry"));
    }
    Ok(s)
}
