//! The serious-violence definition file format (`pipelines/definitions/*.toml`).

use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DefinitionFile {
    pub definition: DefinitionMeta,
    pub categories: BTreeMap<String, Category>,
    pub serious_violence: SeriousViolence,
    #[serde(default)]
    pub weapons: BTreeMap<String, String>,
    #[serde(default)]
    pub themes: BTreeMap<String, Theme>,
    /// data.police.uk crime type -> the categories it may contain. Open data cannot separate them, so a
    /// crime type maps to a set and counts are upper bounds of the definition.
    #[serde(default)]
    pub police_uk: BTreeMap<String, OpenDataMapping>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenDataMapping {
    pub categories: Vec<String>,
    /// What the crime type holds beyond the definition (stated in reports).
    pub caveat: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DefinitionMeta {
    pub name: String,
    pub version: String,
    pub title: String,
    pub source: String,
    pub text: String,
    #[serde(default)]
    pub notes: String,
    /// Presentation order of themes (default: the order of `within_themes`, then alphabetical).
    #[serde(default)]
    pub theme_order: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    pub label: String,
    pub ho_codes: Vec<String>,
    /// The codes belong to the category only when this offence flag is set (e.g. alcohol-related assault).
    #[serde(default)]
    pub requires_flag: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeriousViolence {
    pub categories: Vec<String>,
    /// When set, a listed offence is serious violence only if it falls in one of these themes.
    #[serde(default)]
    pub within_themes: Vec<String>,
    /// Offences with any of these flags are in scope whatever their code (knife- or gun-enabled crime).
    #[serde(default)]
    pub also_flags: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Theme {
    pub label: String,
    /// "in_scope" (default): drawn from serious-violence offences; "all": from every offence (for themes a
    /// definition commits to beyond its serious-violence scope, e.g. domestic abuse in Avon and Somerset).
    #[serde(default)]
    pub base: Option<String>,
    /// Location types that take an offence out of the theme (e.g. dwelling, for public-space violence). An
    /// offence with no recorded location type is also left out, as it cannot be shown to be in public.
    #[serde(default)]
    pub exclude_location_types: Vec<String>,
    /// An offence flag that must be true (e.g. flag_domestic).
    #[serde(default)]
    pub flag: Option<String>,
    /// Categories the offence must be in.
    #[serde(default)]
    pub categories: Vec<String>,
    /// Some person of the named kinds is younger than this.
    #[serde(default)]
    pub person_age_under: Option<i64>,
    /// "victim" and/or "suspect".
    #[serde(default)]
    pub persons: Vec<String>,
}
