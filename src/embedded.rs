//! Data files compiled into the binary so `sna demo`, `sna dictionary` and preset definitions work with no
//! files beside the executable. The files in the repository are the source of truth; this only embeds them.

/// (source name, TOML text) for every data dictionary.
pub const DICTIONARIES: &[(&str, &str)] = &[
    ("police_offences", include_str!("../data-dictionaries/police_offences.toml")),
    ("police_victims", include_str!("../data-dictionaries/police_victims.toml")),
    ("police_suspects", include_str!("../data-dictionaries/police_suspects.toml")),
    ("las", include_str!("../data-dictionaries/las.toml")),
    ("ae", include_str!("../data-dictionaries/ae.toml")),
    ("yot", include_str!("../data-dictionaries/yot.toml")),
    ("marac", include_str!("../data-dictionaries/marac.toml")),
    ("exclusions", include_str!("../data-dictionaries/exclusions.toml")),
    ("police_uk", include_str!("../data-dictionaries/police_uk.toml")),
    ("mps_ward", include_str!("../data-dictionaries/mps_ward.toml")),
];

/// (seed name, CSV text) for every reference code list.
pub const SEEDS: &[(&str, &str)] = &[
    ("ho_codes", include_str!("../seeds/ho_codes.csv")),
    ("outcome_types", include_str!("../seeds/outcome_types.csv")),
    ("ethnicity_codes", include_str!("../seeds/ethnicity_codes.csv")),
    ("dfe_exclusion_reasons", include_str!("../seeds/dfe_exclusion_reasons.csv")),
    ("istv_assault_methods", include_str!("../seeds/istv_assault_methods.csv")),
    ("yjb_outcome_types", include_str!("../seeds/yjb_outcome_types.csv")),
    ("yjb_offence_categories", include_str!("../seeds/yjb_offence_categories.csv")),
    ("police_uk_crime_types", include_str!("../seeds/police_uk_crime_types.csv")),
];

/// Titles and one-line descriptions of the analysis tables, in report order (TOML, `[[table]]` entries).
pub const REPORT_TABLES: &str = include_str!("../seeds/report_tables.toml");

/// (preset name, TOML text) for every built-in serious-violence definition.
pub const DEFINITIONS: &[(&str, &str)] = &[
    ("london-vru", include_str!("../pipelines/definitions/london-vru.toml")),
    ("richmond", include_str!("../pipelines/definitions/richmond.toml")),
    ("avon-somerset", include_str!("../pipelines/definitions/avon-somerset.toml")),
];

/// Public-tier rules: which analysis tables are published and how (read by `report::public`).
pub const PUBLIC_TABLES: &str = include_str!("../seeds/public_tables.toml");

/// The pipeline `sna demo` runs, with paths relative to the synthetic borough's folder.
pub const DEMO_PIPELINE: &str = include_str!("../pipelines/demo.toml");

/// The same for the synthetic borough with a Niche-style police export (`sna synth --police-style niche`):
/// its `columns` and `values` map the export's own headers and codes.
pub const NICHE_PIPELINE: &str = include_str!("../pipelines/demo-niche.toml");

pub fn dictionary_text(name: &str) -> Option<&'static str> {
    DICTIONARIES.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

pub fn seed_text(name: &str) -> Option<&'static str> {
    SEEDS.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

pub fn definition_text(name: &str) -> Option<&'static str> {
    DEFINITIONS.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}
