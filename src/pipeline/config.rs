//! The pipeline file (TOML) parsed into typed, validated configuration. Every error names the file, the
//! key and what was expected; `main` maps these to exit code 2.

use chrono::{Datelike, Months, NaiveDate};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use thiserror::Error;
use super::analysis_options::AnalysisOptions;
use crate::dictionary::mapping::{MappedColumn, SourceMapping};
pub use crate::ingest::InputFile;
use crate::ingest::settings::IngestSettings;
pub use crate::report::maps::classes::{ClassMethod, DEFAULT_CLASS_COUNT, MAX_CLASS_COUNT, MIN_CLASS_COUNT};

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("{file}: cannot read: {source}")]
    Read { file: String, source: std::io::Error },
    #[error("{file}: {message}")]
    Parse { file: String, message: String },
    #[error("{file}: {key}: {message}")]
    Invalid { file: String, key: String, message: String },
    #[error("{file}: {key}: file not found: {path}")]
    MissingFile { file: String, key: String, path: String },
    #[error("{file}: {key}: pattern {pattern} matched no files")]
    NoMatch { file: String, key: String, pattern: String },
}

// ---- the file as written --------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPipeline {
    assessment: RawAssessment,
    geography: RawGeography,
    #[serde(default)]
    population: Option<RawPopulation>,
    #[serde(default)]
    sources: BTreeMap<String, RawSource>,
    #[serde(default)]
    privacy: RawPrivacy,
    #[serde(default)]
    analysis: Option<toml::Table>,
    #[serde(default)]
    ingest: Option<toml::Table>,
    #[serde(default)]
    output: Option<RawOutput>,
    #[serde(default)]
    report: RawReport,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAssessment {
    name: String,
    area: String,
    period: RawPeriod,
    #[serde(default)]
    previous_periods: u32,
    definition: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPeriod {
    start: toml::Value,
    end: toml::Value,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGeography {
    #[serde(default)]
    wards: Option<String>,
    #[serde(default)]
    ward_code_property: Option<String>,
    #[serde(default)]
    ward_name_property: Option<String>,
    /// Without a boundary file: the lookup's wards in these local authorities.
    #[serde(default)]
    local_authorities: Option<Vec<String>>,
    #[serde(default)]
    area_filter: Option<RawAreaFilter>,
    #[serde(default)]
    lsoa_lookup: Option<String>,
    #[serde(default)]
    lsoa11_lookup: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAreaFilter {
    property: String,
    equals: OneOrMany,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPopulation {
    #[serde(default)]
    files: Vec<RawPopulationFile>,
    /// Pupils on roll by year and ethnic group (`year,ethnic_group,headcount`), for exclusion rates.
    #[serde(default)]
    pupils: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPopulationFile {
    path: String,
    format: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    files: Vec<String>,
    #[serde(default)]
    sheet: Option<String>,
    /// canonical field -> the file's header, or [date header, time header]
    #[serde(default)]
    columns: BTreeMap<String, RawColumn>,
    /// canonical field -> { value in the file = canonical value }
    #[serde(default)]
    values: BTreeMap<String, BTreeMap<String, String>>,
    /// Files of the same source exported in another layout (a system change mid-series), each with its own
    /// `columns` and `values` on top of the source's.
    #[serde(default)]
    layouts: Vec<RawLayout>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLayout {
    files: Vec<String>,
    #[serde(default)]
    sheet: Option<String>,
    #[serde(default)]
    columns: BTreeMap<String, RawColumn>,
    #[serde(default)]
    values: BTreeMap<String, BTreeMap<String, String>>,
}

/// A layout's mapping: `inherited` columns and values, overridden field by field by its own.
fn source_mapping(
    dict: &crate::dictionary::Dictionary,
    at: &str,
    inherited: BTreeMap<String, MappedColumn>,
    columns: BTreeMap<String, RawColumn>,
    values: BTreeMap<String, BTreeMap<String, String>>,
    inherited_values: &BTreeMap<String, BTreeMap<String, String>>,
) -> Result<SourceMapping, (String, String)> {
    let mut cols = inherited;
    for (field, c) in columns {
        let mapped = match c {
            RawColumn::Header(h) => MappedColumn::Header(h),
            RawColumn::Pair(v) => match <[String; 2]>::try_from(v) {
                Ok([date, time]) => MappedColumn::DateAndTime { date, time },
                Err(v) => {
                    return Err((
                        format!("{at} columns.{field}"),
                        format!("a list must be [\"<date header>\", \"<time header>\"], got {} header(s)", v.len()),
                    ))
                }
            },
        };
        cols.insert(field, mapped);
    }
    let mut vals = inherited_values.clone();
    vals.extend(values);
    SourceMapping::new(dict, cols, vals).map_err(|(k, m)| (format!("{at} {k}"), m))
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RawColumn {
    Header(String),
    Pair(Vec<String>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPrivacy {
    #[serde(default)]
    pseudonym_key_env: Option<String>,
    #[serde(default)]
    pseudonym_key_file: Option<String>,
    /// Synthetic data only: use the fixed, public demo key.
    #[serde(default)]
    demo_key: bool,
    #[serde(default = "default_suppress_below")]
    suppress_below: u32,
    #[serde(default)]
    round_to: u32,
    /// Needed to publish with `suppress_below` under [`SAFE_SUPPRESS_BELOW`] (ONS: counts of 1 and 2 are never safe).
    #[serde(default)]
    allow_unsafe_publication: bool,
}

impl Default for RawPrivacy {
    fn default() -> Self {
        RawPrivacy {
            pseudonym_key_env: None,
            pseudonym_key_file: None,
            demo_key: false,
            suppress_below: default_suppress_below(),
            round_to: 0,
            allow_unsafe_publication: false,
        }
    }
}

fn default_suppress_below() -> u32 {
    5
}

/// The lowest `[privacy] suppress_below` accepted without `allow_unsafe_publication = true`: below it the
/// public tier would show counts of 1 or 2.
pub const SAFE_SUPPRESS_BELOW: u32 = 3;

/// `[report]`: how the report draws things. Bad values are rejected while parsing, so the error names the
/// key and the TOML line like an unknown key does.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReport {
    #[serde(default)]
    map_classes: ClassMethod,
    #[serde(default, deserialize_with = "class_count")]
    map_class_count: Option<usize>,
}

fn class_count<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<usize>, D::Error> {
    let n = i64::deserialize(d)?;
    let range = MIN_CLASS_COUNT as i64..=MAX_CLASS_COUNT as i64;
    if range.contains(&n) {
        Ok(Some(n as usize))
    } else {
        Err(serde::de::Error::custom(format!(
            "[report] map_class_count: {n} must be from {MIN_CLASS_COUNT} to {MAX_CLASS_COUNT}"
        )))
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOutput {
    dir: String,
}

// ---- the typed configuration ----------------------------------------------------------------------

/// An inclusive date range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Period {
    pub start: NaiveDate,
    pub end: NaiveDate,
}

impl Period {
    pub fn contains(&self, d: NaiveDate) -> bool {
        self.start <= d && d <= self.end
    }
    /// "1 Apr 2025 to 31 Mar 2026"
    pub fn label(&self) -> String {
        format!("{} to {}", self.start.format("%-d %b %Y"), self.end.format("%-d %b %Y"))
    }
    /// "2025-26" for a financial year, otherwise the ISO dates.
    pub fn short_label(&self) -> String {
        if self.start.month() == 4 && self.start.day() == 1 && self.end == fy_end(self.start.year()) {
            format!("{}-{:02}", self.start.year(), (self.start.year() + 1) % 100)
        } else {
            format!("{}..{}", self.start, self.end)
        }
    }
    /// The period of equal length immediately before this one. Whole-month periods step back by whole
    /// months (so financial years stay financial years); others by their length in days.
    pub fn previous(&self) -> Option<Period> {
        let whole_months = self.start.day() == 1 && self.end.succ_opt().map(|d| d.day() == 1).unwrap_or(false);
        if whole_months {
            let months = (self.end.year() - self.start.year()) * 12 + self.end.month() as i32 - self.start.month() as i32 + 1;
            let start = self.start.checked_sub_months(Months::new(months as u32))?;
            let end = self.start.pred_opt()?;
            Some(Period { start, end })
        } else {
            let len = (self.end - self.start).num_days() + 1;
            let end = self.start.pred_opt()?;
            let start = end.checked_sub_signed(chrono::Duration::days(len - 1))?;
            Some(Period { start, end })
        }
    }
}

fn fy_end(start_year: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(start_year + 1, 3, 31).unwrap_or(NaiveDate::MIN)
}

#[derive(Debug, Clone)]
pub enum DefinitionRef {
    Preset(String),
    File(PathBuf),
}

#[derive(Debug, Clone)]
pub struct AreaFilter {
    pub property: String,
    pub equals: Vec<String>,
}

/// Where the area's wards come from.
#[derive(Debug, Clone)]
pub enum WardSource {
    /// A boundary file (GeoJSON) and the properties holding ward code and name.
    Boundaries { path: PathBuf, code_property: String, name_property: String },
    /// No boundaries: the LSOA lookup's wards in these local authorities; records locate through LSOAs.
    Lookup { local_authorities: Vec<String> },
}

#[derive(Debug, Clone)]
pub struct GeographyConfig {
    pub wards: WardSource,
    pub area_filter: Option<AreaFilter>,
    pub lsoa_lookup: Option<PathBuf>,
    pub lsoa11_lookup: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PopulationFormat {
    /// `long`: `area_code,age_band,sex,ethnic_group,population` (ward or LSOA codes).
    Long,
    /// `census-ts007a`: Census 2021 TS007A age bands by LSOA, Nomis bulk CSV (needs `lsoa_lookup`).
    CensusTs007a,
    /// `nomis-ts021`: Census 2021 TS021 ethnic group by LSOA, Nomis web export (needs `lsoa_lookup`).
    NomisTs021,
}

impl PopulationFormat {
    /// Every format with the name used in the pipeline file.
    pub const ALL: [(PopulationFormat, &'static str); 3] = [
        (PopulationFormat::Long, "long"),
        (PopulationFormat::CensusTs007a, "census-ts007a"),
        (PopulationFormat::NomisTs021, "nomis-ts021"),
    ];

    pub fn name(self) -> &'static str {
        Self::ALL.iter().find(|(f, _)| *f == self).map_or("long", |(_, n)| n)
    }

    pub fn from_name(name: &str) -> Option<PopulationFormat> {
        Self::ALL.iter().find(|(_, n)| n.eq_ignore_ascii_case(name.trim())).map(|(f, _)| *f)
    }

    /// True for formats keyed by LSOA, which reach wards only through the LSOA-to-ward lookup.
    pub fn needs_lsoa_lookup(self) -> bool {
        !matches!(self, PopulationFormat::Long)
    }
}

#[derive(Debug, Clone)]
pub struct PopulationFile {
    pub path: PathBuf,
    pub format: PopulationFormat,
}

#[derive(Debug, Clone)]
pub struct SourceConfig {
    pub name: String,
    /// Every file, in path order, each with its sheet and its layout's `columns` and `values`.
    pub files: Vec<InputFile>,
}

#[derive(Debug, Clone)]
pub enum KeySource {
    Env(String),
    File(PathBuf),
    Demo,
}

#[derive(Debug, Clone)]
pub struct PrivacyConfig {
    pub key: KeySource,
    pub suppress_below: u32,
    pub round_to: u32,
}

/// `[report]` options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportOptions {
    /// Choropleth classes: `map_classes = "natural_breaks"` (default) or `"quantiles"`.
    pub map_classes: ClassMethod,
    /// Wanted number of choropleth classes, 3 to 7 (`map_class_count`, default 5).
    pub map_class_count: usize,
}

impl Default for ReportOptions {
    fn default() -> Self {
        ReportOptions { map_classes: ClassMethod::default(), map_class_count: DEFAULT_CLASS_COUNT }
    }
}

#[derive(Debug, Clone)]
pub struct Pipeline {
    /// Where the configuration came from (for messages and the manifest).
    pub origin: String,
    pub text: String,
    pub base_dir: PathBuf,
    pub name: String,
    pub area: String,
    pub period: Period,
    /// Earlier periods of equal length, most recent first.
    pub previous: Vec<Period>,
    pub definition: DefinitionRef,
    pub geography: GeographyConfig,
    pub population: Vec<PopulationFile>,
    /// Pupil headcounts for exclusion rates (`[population] pupils`).
    pub pupils: Option<PathBuf>,
    pub sources: Vec<SourceConfig>,
    pub privacy: PrivacyConfig,
    pub analysis: AnalysisOptions,
    /// When a source's losses are called out (`[ingest]`, defaults in `seeds/ingest_defaults.toml`).
    pub ingest: IngestSettings,
    /// Fail the run on any warning about the inputs (`--strict`).
    pub strict: bool,
    pub report: ReportOptions,
    pub output_dir: PathBuf,
}

impl Pipeline {
    pub fn from_path(path: &Path) -> Result<Pipeline, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| ConfigError::Read { file: path.display().to_string(), source })?;
        let base = path.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."));
        let base = if base.as_os_str().is_empty() { PathBuf::from(".") } else { base };
        Pipeline::from_str(&text, &path.display().to_string(), &base)
    }

    /// Parse pipeline text whose relative paths are relative to `base_dir`.
    pub fn from_str(text: &str, origin: &str, base_dir: &Path) -> Result<Pipeline, ConfigError> {
        let file = origin.to_string();
        let raw: RawPipeline = toml::from_str(text).map_err(|e| ConfigError::Parse {
            file: file.clone(),
            message: e.to_string().trim_end().replace("TOML parse error", "error"),
        })?;
        let invalid = |key: &str, message: String| ConfigError::Invalid { file: file.clone(), key: key.to_string(), message };
        let resolve = |p: &str| -> PathBuf {
            let p = Path::new(p);
            if p.is_absolute() { p.to_path_buf() } else { base_dir.join(p) }
        };
        let existing = |key: &str, p: &str| -> Result<PathBuf, ConfigError> {
            let path = resolve(p);
            if path.is_file() {
                Ok(path)
            } else {
                Err(ConfigError::MissingFile { file: file.clone(), key: key.to_string(), path: path.display().to_string() })
            }
        };

        let a = raw.assessment;
        let start = parse_date(&a.period.start).map_err(|m| invalid("[assessment] period.start", m))?;
        let end = parse_date(&a.period.end).map_err(|m| invalid("[assessment] period.end", m))?;
        if end < start {
            return Err(invalid("[assessment] period", format!("end {end} is before start {start}")));
        }
        let period = Period { start, end };
        // Refused up front: each previous period is a full pass over the data, and no police system holds
        // digital records that far back (annual refreshes compare 3 to 5 years).
        const MAX_PREVIOUS_PERIODS: u32 = 20;
        if a.previous_periods > MAX_PREVIOUS_PERIODS {
            return Err(invalid(
                "[assessment] previous_periods",
                format!("{} is more than {MAX_PREVIOUS_PERIODS}; SNAs compare 3 to 5 earlier periods", a.previous_periods),
            ));
        }
        let mut previous = Vec::new();
        let mut p = period;
        for _ in 0..a.previous_periods {
            p = p.previous().ok_or_else(|| invalid("[assessment] previous_periods", "reaches before the calendar".into()))?;
            previous.push(p);
        }
        if a.name.trim().is_empty() {
            return Err(invalid("[assessment] name", "must not be empty".into()));
        }
        let definition = if crate::embedded::definition_text(&a.definition).is_some() {
            DefinitionRef::Preset(a.definition.clone())
        } else if a.definition.ends_with(".toml") {
            DefinitionRef::File(existing("[assessment] definition", &a.definition)?)
        } else {
            let presets: Vec<&str> = crate::embedded::DEFINITIONS.iter().map(|(n, _)| *n).collect();
            return Err(invalid(
                "[assessment] definition",
                format!("\"{}\" is neither a preset ({}) nor a .toml file", a.definition, presets.join(", ")),
            ));
        };

        let g = raw.geography;
        let wards = match (g.wards, g.local_authorities) {
            (Some(path), None) => WardSource::Boundaries {
                path: existing("[geography] wards", &path)?,
                code_property: g.ward_code_property.ok_or_else(|| invalid("[geography] ward_code_property", "is required with wards (e.g. \"WD22CD\")".into()))?,
                name_property: g.ward_name_property.ok_or_else(|| invalid("[geography] ward_name_property", "is required with wards (e.g. \"WD22NM\")".into()))?,
            },
            (None, Some(lads)) => {
                if g.lsoa_lookup.is_none() {
                    return Err(invalid("[geography] local_authorities", "needs lsoa_lookup (the lookup supplies the wards)".into()));
                }
                if lads.is_empty() {
                    return Err(invalid("[geography] local_authorities", "lists no local authority codes".into()));
                }
                WardSource::Lookup { local_authorities: lads }
            }
            (Some(_), Some(_)) => return Err(invalid("[geography]", "give wards (a boundary file) or local_authorities (with lsoa_lookup), not both".into())),
            (None, None) => return Err(invalid("[geography]", "give wards (a boundary file) or local_authorities with lsoa_lookup".into())),
        };
        let geography = GeographyConfig {
            wards,
            area_filter: g.area_filter.map(|f| AreaFilter {
                property: f.property,
                equals: match f.equals {
                    OneOrMany::One(s) => vec![s],
                    OneOrMany::Many(v) => v,
                },
            }),
            lsoa_lookup: g.lsoa_lookup.as_deref().map(|p| existing("[geography] lsoa_lookup", p)).transpose()?,
            lsoa11_lookup: g.lsoa11_lookup.as_deref().map(|p| existing("[geography] lsoa11_lookup", p)).transpose()?,
        };

        let mut population = Vec::new();
        let pupils = raw.population.as_ref().and_then(|p| p.pupils.clone()).map(|f| existing("[population] pupils", &f)).transpose()?;
        for (i, f) in raw.population.map(|p| p.files).unwrap_or_default().into_iter().enumerate() {
            let key = format!("[population] files[{i}]");
            let Some(format) = PopulationFormat::from_name(&f.format) else {
                let names: Vec<&str> = PopulationFormat::ALL.iter().map(|(_, n)| *n).collect();
                return Err(invalid(
                    &format!("{key} format"),
                    format!("\"{}\" is not a population format (supported: {})", f.format, names.join(", ")),
                ));
            };
            if format.needs_lsoa_lookup() && geography.lsoa_lookup.is_none() {
                return Err(invalid(
                    &format!("{key} format"),
                    format!("{} is by LSOA; set [geography] lsoa_lookup so LSOAs can be summed into wards", format.name()),
                ));
            }
            population.push(PopulationFile { path: existing(&key, &f.path)?, format });
        }

        let mut sources = Vec::new();
        let registry = if raw.sources.is_empty() {
            None
        } else {
            Some(crate::dictionary::Registry::embedded().map_err(|e| invalid("[sources]", e.to_string()))?)
        };
        for (name, s) in raw.sources {
            let key = format!("[sources.{name}] files");
            let Some(dict) = registry.as_ref().and_then(|r| r.get(&name).ok()) else {
                let known: Vec<&str> = crate::embedded::DICTIONARIES.iter().map(|(n, _)| *n).collect();
                return Err(invalid(&format!("[sources.{name}]"), format!("unknown source (known: {})", known.join(", "))));
            };
            let top = format!("[sources.{name}]");
            let base_mapping = source_mapping(dict, &top, BTreeMap::new(), s.columns, s.values, &BTreeMap::new()).map_err(|(k, m)| invalid(&k, m))?;
            let mut layouts = vec![(top.clone(), s.files, s.sheet, base_mapping.clone())];
            for (i, l) in s.layouts.into_iter().enumerate() {
                let at = format!("{top} layouts[{i}]");
                let mapping = source_mapping(dict, &at, base_mapping.columns.clone(), l.columns, l.values, &base_mapping.values)
                    .map_err(|(k, m)| invalid(&k, m))?;
                if l.files.is_empty() {
                    return Err(invalid(&format!("{at} files"), "lists no files".into()));
                }
                let sheet = l.sheet.or_else(|| layouts[0].2.clone());
                layouts.push((at, l.files, sheet, mapping));
            }
            if layouts.iter().all(|(_, f, _, _)| f.is_empty()) {
                return Err(invalid(&key, "lists no files".into()));
            }
            let mut files: Vec<InputFile> = Vec::new();
            let mut owner: BTreeMap<PathBuf, String> = BTreeMap::new();
            for (at, patterns, sheet, mapping) in layouts {
                let mapping = std::sync::Arc::new(mapping);
                let files_key = format!("{at} files");
                let mut these = Vec::new();
                for pattern in &patterns {
                    let matched = expand_glob(&resolve(pattern)).map_err(|m| invalid(&files_key, m))?;
                    if matched.is_empty() {
                        return Err(ConfigError::NoMatch { file: file.clone(), key: files_key.clone(), pattern: pattern.clone() });
                    }
                    these.extend(matched);
                }
                these.sort();
                these.dedup();
                // The same file matched twice (two patterns, `./` spellings, a symlink) is read once.
                let mut seen = std::collections::BTreeSet::new();
                for path in these {
                    let identity = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
                    if !seen.insert(identity.clone()) {
                        continue;
                    }
                    if let Some(first) = owner.insert(identity, at.clone()) {
                        return Err(invalid(&files_key, format!("{} is already listed by {first}: each file has one layout", path.display())));
                    }
                    files.push(InputFile { path, sheet: sheet.clone(), mapping: mapping.clone() });
                }
            }
            files.sort_by(|a, b| a.path.cmp(&b.path));
            sources.push(SourceConfig { name, files });
        }

        let pv = raw.privacy;
        let key = match (pv.pseudonym_key_env, pv.pseudonym_key_file, pv.demo_key) {
            (Some(env), None, false) => KeySource::Env(env),
            (None, Some(f), false) => KeySource::File(existing("[privacy] pseudonym_key_file", &f)?),
            (None, None, true) => KeySource::Demo,
            (None, None, false) => {
                return Err(invalid("[privacy]", "set pseudonym_key_env or pseudonym_key_file (the key that pseudonymises person ids)".into()))
            }
            _ => return Err(invalid("[privacy]", "give exactly one of pseudonym_key_env, pseudonym_key_file, demo_key".into())),
        };
        if pv.suppress_below < SAFE_SUPPRESS_BELOW && !pv.allow_unsafe_publication {
            let shows = if pv.suppress_below <= 1 { "every count, however small".to_string() } else { "counts of 2".to_string() };
            return Err(invalid(
                "[privacy] suppress_below",
                format!(
                    "{} would publish {shows} in the public tier (public/); use {SAFE_SUPPRESS_BELOW} or more (5 is usual), or set \
                     allow_unsafe_publication = true in [privacy] if the public tier will really not be published",
                    pv.suppress_below
                ),
            ));
        }
        if pv.round_to > 0 && pv.round_to != 5 && pv.round_to != 10 {
            return Err(invalid("[privacy] round_to", format!("{} must be 0, 5 or 10", pv.round_to)));
        }
        let mut analysis = AnalysisOptions::from_overrides(raw.analysis.as_ref()).map_err(|(k, m)| invalid(&k, m))?;
        if let Some(w) = analysis.harm_weights.clone() {
            analysis.harm_weights = Some(existing("[analysis] harm_weights", &w)?.display().to_string());
        }
        let ingest = IngestSettings::from_overrides(raw.ingest.as_ref()).map_err(|(k, m)| invalid(&k, m))?;
        let output_dir = resolve(raw.output.map(|o| o.dir).as_deref().unwrap_or("out"));

        Ok(Pipeline {
            origin: file.clone(),
            text: text.to_string(),
            base_dir: base_dir.to_path_buf(),
            name: a.name,
            area: a.area,
            period,
            previous,
            definition,
            geography,
            population,
            pupils,
            sources,
            privacy: PrivacyConfig { key, suppress_below: pv.suppress_below, round_to: pv.round_to },
            analysis,
            ingest,
            strict: false,
            report: ReportOptions {
                map_classes: raw.report.map_classes,
                map_class_count: raw.report.map_class_count.unwrap_or(DEFAULT_CLASS_COUNT),
            },
            output_dir,
        })
    }

    /// The current period followed by the previous ones, oldest last.
    pub fn all_periods(&self) -> Vec<Period> {
        std::iter::once(self.period).chain(self.previous.iter().copied()).collect()
    }

    pub fn source(&self, name: &str) -> Option<&SourceConfig> {
        self.sources.iter().find(|s| s.name == name)
    }
}

fn parse_date(v: &toml::Value) -> Result<NaiveDate, String> {
    let s = match v {
        toml::Value::String(s) => s.clone(),
        toml::Value::Datetime(d) => d.to_string(),
        other => return Err(format!("{other} is not a date (expected \"YYYY-MM-DD\")")),
    };
    NaiveDate::parse_from_str(&s, "%Y-%m-%d").map_err(|_| format!("\"{s}\" is not a date (expected YYYY-MM-DD)"))
}

fn expand_glob(pattern: &Path) -> Result<Vec<PathBuf>, String> {
    let text = pattern.to_string_lossy();
    let paths = glob::glob(&text).map_err(|e| format!("bad pattern {text}: {e}"))?;
    let mut out = Vec::new();
    for p in paths {
        let p = p.map_err(|e| format!("{e}"))?;
        if p.is_file() {
            out.push(p);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> (tempfile::TempDir, String) {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("wards.geojson"), "{}").expect("write");
        std::fs::write(dir.path().join("off_1.csv"), "a").expect("write");
        let text = r#"
[assessment]
name = "Test SNA"
area = "Testham"
period = { start = "2025-04-01", end = "2026-03-31" }
previous_periods = 2
definition = "london-vru"
[geography]
wards = "wards.geojson"
ward_code_property = "WD23CD"
ward_name_property = "WD23NM"
[sources.police_offences]
files = ["off_*.csv"]
[privacy]
demo_key = true
"#
        .to_string();
        (dir, text)
    }

    #[test]
    fn valid_pipeline_parses_with_financial_year_history() {
        let (dir, text) = base();
        let p = Pipeline::from_str(&text, "t.toml", dir.path()).expect("valid");
        assert_eq!(p.previous.len(), 2);
        assert_eq!(p.previous[0].start, NaiveDate::from_ymd_opt(2024, 4, 1).expect("d"));
        assert_eq!(p.previous[1].end, NaiveDate::from_ymd_opt(2024, 3, 31).expect("d"));
        assert_eq!(p.period.short_label(), "2025-26");
        assert_eq!(p.sources[0].files.len(), 1);
    }

    #[test]
    fn a_file_matched_twice_or_through_a_symlink_is_read_once() {
        let (dir, text) = base();
        let raw = dir.path().join("raw");
        std::fs::create_dir_all(&raw).expect("mkdir");
        std::fs::write(raw.join("off_a.csv"), "a").expect("write");
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(&raw, raw.join("loop")).expect("symlink loop");
            std::os::unix::fs::symlink(raw.join("off_a.csv"), dir.path().join("off_link.csv")).expect("symlink");
        }
        let t = text.replace("files = [\"off_*.csv\"]", "files = [\"off_*.csv\", \"raw/off_a.csv\", \"raw/./off_a.csv\", \"raw/**/off_*.csv\"]");
        let p = Pipeline::from_str(&t, "t.toml", dir.path()).expect("valid");
        let names: Vec<String> = p.sources[0].files.iter().map(|f| f.path.display().to_string()).collect();
        // off_1.csv, and off_a.csv once (the symlink off_link.csv and the loop's copies are the same file).
        assert_eq!(names.len(), 2, "{names:?}");
    }

    #[test]
    fn errors_say_which_key_and_what_was_expected() {
        let (dir, text) = base();
        let err = |t: String| Pipeline::from_str(&t, "t.toml", dir.path()).expect_err("should fail").to_string();
        let e = err(text.replace("previous_periods = 2", "previous_periods = 2\ncolour = \"red\""));
        assert!(e.contains("unknown field `colour`") && e.contains("line"), "{e}");
        let e = err(text.replace("2025-04-01", "2025-02-31"));
        assert!(e.contains("period.start") && e.contains("2025-02-31"), "{e}");
        let e = err(text.replace("wards.geojson", "nope.geojson"));
        assert!(e.contains("[geography] wards") && e.contains("file not found"), "{e}");
        let e = err(text.replace("off_*.csv", "missing_*.csv"));
        assert!(e.contains("matched no files"), "{e}");
        let e = err(text.replace("previous_periods = 2", "previous_periods = 100000"));
        assert!(e.contains("previous_periods") && e.contains("more than 20"), "{e}");
        let e = err(text.replace("london-vru", "narnia"));
        assert!(e.contains("neither a preset"), "{e}");
        let e = err(text.replace("[sources.police_offences]", "[sources.police_offencez]"));
        assert!(e.contains("unknown source"), "{e}");
    }

    #[test]
    fn unsafe_suppression_thresholds_need_an_explicit_allowance() {
        let (dir, text) = base();
        let parse = |privacy: &str| Pipeline::from_str(&text.replace("demo_key = true", &format!("demo_key = true\n{privacy}")), "t.toml", dir.path());
        for t in [0, 1, 2] {
            let e = parse(&format!("suppress_below = {t}")).expect_err("refused").to_string();
            assert!(e.contains("[privacy] suppress_below") && e.contains("allow_unsafe_publication = true"), "{e}");
            let p = parse(&format!("suppress_below = {t}\nallow_unsafe_publication = true")).expect("allowed");
            assert_eq!(p.privacy.suppress_below, t);
        }
        assert_eq!(parse("suppress_below = 3").expect("safe").privacy.suppress_below, 3);
        assert_eq!(parse("").expect("default").privacy.suppress_below, 5);
    }

    #[test]
    fn source_columns_and_values_map_a_real_layout() {
        let (dir, text) = base();
        let parse = |extra: &str| Pipeline::from_str(&text.replace("files = [\"off_*.csv\"]", &format!("files = [\"off_*.csv\"]\n{extra}")), "t.toml", dir.path());
        let p = parse(
            "columns = { crime_ref = \"Occurrence Number\", committed_from = [\"Offence Start Date\", \"Offence Start Time\"] }\nvalues.location_type = { \"PUBLIC HOUSE\" = \"licensed premises\" }",
        )
        .expect("valid");
        let m = &p.sources[0].files[0].mapping;
        assert_eq!(m.columns["crime_ref"], MappedColumn::Header("Occurrence Number".into()));
        assert_eq!(m.columns["committed_from"], MappedColumn::DateAndTime { date: "Offence Start Date".into(), time: "Offence Start Time".into() });
        assert_eq!(m.value("location_type", "Public House"), Some("licensed premises"));
        let err = |extra: &str| parse(extra).expect_err("should fail").to_string();
        let e = err("columns = { crime_reference = \"Ref\" }");
        assert!(e.contains("[sources.police_offences] columns.crime_reference") && e.contains("no field crime_reference"), "{e}");
        let e = err("columns = { committed_from = [\"A\", \"B\", \"C\"] }");
        assert!(e.contains("columns.committed_from") && e.contains("got 3"), "{e}");
        let e = err("values.location_type = { \"PH\" = \"pub house\" }");
        assert!(e.contains("values.location_type.\"PH\"") && e.contains("is not a location_type code"), "{e}");
        let e = err("colums = { crime_ref = \"Ref\" }");
        assert!(e.contains("unknown field `colums`"), "{e}");
    }

    #[test]
    fn a_source_can_hold_files_of_several_layouts() {
        let (dir, text) = base();
        std::fs::write(dir.path().join("niche.csv"), "a").expect("write");
        let with = |layouts: &str| {
            let t = text.replace("files = [\"off_*.csv\"]", &format!("files = [\"off_*.csv\"]\nvalues.location_type = {{ \"PH\" = \"licensed premises\" }}\n{layouts}"));
            Pipeline::from_str(&t, "t.toml", dir.path())
        };
        let p = with("[[sources.police_offences.layouts]]\nfiles = [\"niche.csv\"]\ncolumns = { crime_ref = \"Occurrence Number\" }").expect("valid");
        let files = &p.sources[0].files;
        assert_eq!(files.len(), 2);
        let niche = files.iter().find(|f| f.path.ends_with("niche.csv")).expect("niche");
        let plain = files.iter().find(|f| f.path.ends_with("off_1.csv")).expect("off_1");
        assert_eq!(niche.mapping.columns["crime_ref"], MappedColumn::Header("Occurrence Number".into()));
        assert!(plain.mapping.columns.is_empty());
        assert_eq!(niche.mapping.value("location_type", "ph"), Some("licensed premises"), "values are inherited");
        let e = with("[[sources.police_offences.layouts]]\nfiles = [\"off_*.csv\"]").expect_err("twice").to_string();
        assert!(e.contains("layouts[0] files") && e.contains("already listed by [sources.police_offences]"), "{e}");
    }

    #[test]
    fn report_map_classes() {
        let (dir, text) = base();
        let parse = |t: String| Pipeline::from_str(&t, "t.toml", dir.path());
        let p = parse(text.clone()).expect("valid");
        assert_eq!(p.report, ReportOptions { map_classes: ClassMethod::NaturalBreaks, map_class_count: 5 });
        let p = parse(format!("{text}[report]\nmap_classes = \"quantiles\"\nmap_class_count = 7\n")).expect("valid");
        assert_eq!(p.report, ReportOptions { map_classes: ClassMethod::Quantiles, map_class_count: 7 });
        let p = parse(format!("{text}[report]\nmap_classes = \"natural_breaks\"\n")).expect("valid");
        assert_eq!(p.report.map_classes, ClassMethod::NaturalBreaks);
        let err = |t: String| parse(t).expect_err("should fail").to_string();
        let e = err(format!("{text}[report]\nmap_classes = \"jenks\"\n"));
        assert!(e.contains("map_classes") && e.contains("line") && e.contains("natural_breaks"), "{e}");
        let e = err(format!("{text}[report]\nmap_class_count = 9\n"));
        assert!(e.contains("map_class_count") && e.contains("line") && e.contains("from 3 to 7"), "{e}");
        let e = err(format!("{text}[report]\nmap_colours = 5\n"));
        assert!(e.contains("unknown field `map_colours`") && e.contains("line"), "{e}");
    }

    #[test]
    fn population_formats() {
        let (dir, text) = base();
        std::fs::write(dir.path().join("pop.csv"), "a").expect("write");
        std::fs::write(dir.path().join("lk.csv"), "a").expect("write");
        let with = |format: &str, lookup: bool| {
            let geo = if lookup { "ward_name_property = \"WD23NM\"\nlsoa_lookup = \"lk.csv\"" } else { "ward_name_property = \"WD23NM\"" };
            let t = text.replace("ward_name_property = \"WD23NM\"", geo).replace(
                "[privacy]",
                &format!("[population]\nfiles = [{{ path = \"pop.csv\", format = \"{format}\" }}]\n[privacy]"),
            );
            Pipeline::from_str(&t, "t.toml", dir.path())
        };
        for (f, name) in PopulationFormat::ALL {
            let p = with(name, true).expect("valid");
            assert_eq!(p.population[0].format, f);
            assert_eq!(f.name(), name);
        }
        let e = with("census-ts007b", true).expect_err("unknown").to_string();
        assert!(e.contains("[population] files[0] format") && e.contains("supported: long, census-ts007a, nomis-ts021"), "{e}");
        let e = with("nomis-ts021", false).expect_err("needs lookup").to_string();
        assert!(e.contains("set [geography] lsoa_lookup"), "{e}");
        assert!(with("long", false).is_ok(), "long takes ward codes without a lookup");
    }
}
