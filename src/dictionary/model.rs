//! The data-dictionary file format: one TOML per source describing canonical fields, their types, header
//! aliases, code lists and validation rules. See `data-dictionaries/*.toml`.

use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DictionaryFile {
    pub source: SourceMeta,
    #[serde(default)]
    pub location: Option<LocationSpec>,
    #[serde(default)]
    pub age: Option<AgeSpec>,
    #[serde(default)]
    pub reshape: Option<Reshape>,
    #[serde(rename = "field")]
    pub fields: Vec<FieldSpec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceMeta {
    pub name: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// A field whose value must be unique across all of the source's files (later copies are `duplicate`).
    #[serde(default)]
    pub unique_key: Option<String>,
    /// The field that dates the event (age at event, period filtering).
    #[serde(default)]
    pub event_time: Option<String>,
    /// Rows must link to a staged row of another source (e.g. victims -> offences).
    #[serde(default)]
    pub parent: Option<ParentLink>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParentLink {
    pub source: String,
    pub key: String,
    /// The parent's event-time field, used to turn a date of birth into age at the event.
    #[serde(default)]
    pub event_time: Option<String>,
}

/// Which fields carry the location; any may be absent from a given file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocationSpec {
    pub easting: Option<String>,
    pub northing: Option<String>,
    pub latitude: Option<String>,
    pub longitude: Option<String>,
    pub lsoa: Option<String>,
    pub ward: Option<String>,
}

/// How a wide file becomes one record per value before validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReshapeKind {
    /// One column per month (`202401`, ...): one record per row x month.
    MonthsWide,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reshape {
    pub kind: ReshapeKind,
    /// Field that receives the month (from the column header).
    pub month_field: String,
    /// Field that receives the cell value.
    pub value_field: String,
}

/// Age at the event: taken from `field`, else derived from `date_of_birth` at the event time.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgeSpec {
    pub field: String,
    pub date_of_birth: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    String,
    Int,
    Float,
    Bool,
    Date,
    Datetime,
    /// Month precision (`2024-01`, `202401`, `01/2024`), staged as the first day of the month.
    Month,
    Code,
}

impl FieldType {
    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::String => "string",
            FieldType::Int => "int",
            FieldType::Float => "float",
            FieldType::Bool => "bool",
            FieldType::Date => "date",
            FieldType::Datetime => "datetime",
            FieldType::Month => "month",
            FieldType::Code => "code",
        }
    }
}

/// Fill a field from a seed table when the extract leaves it empty (e.g. MPS categories from the HO code).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FillFrom {
    pub seed: String,
    pub key: String,
    pub column: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: FieldType,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub min: Option<f64>,
    #[serde(default)]
    pub max: Option<f64>,
    /// Reject reason for a value outside min..max (default `out_of_range`).
    #[serde(default)]
    pub range_reason: Option<String>,
    /// Inline code list: canonical code -> accepted spellings (matched case-insensitively).
    #[serde(default)]
    pub codes: Option<BTreeMap<String, Vec<String>>>,
    /// Code list from a seed table (its first column holds the codes).
    #[serde(default)]
    pub code_list: Option<String>,
    /// What to do with a value not in the code list (it never quarantines the record): "keep" it as read
    /// and stage `<name>_known = false` (the default for required fields), "null" it (the default for
    /// optional ones), or a canonical code to put instead. Every such value is logged as a field issue.
    #[serde(default)]
    pub on_unknown: Option<String>,
    /// How raw codes are tidied before lookup: "ho_code" (upper case, no spaces, no leading zeros:
    /// ` 08n ` -> `8N`, `4/01` -> `4/1`).
    #[serde(default)]
    pub normalise: Option<String>,
    #[serde(default)]
    pub fill_from: Option<FillFrom>,
    /// Free text typed into the source system (a description, an "other" box): the extract's text is never
    /// staged, whatever it holds. The staged value comes from `fill_from` (the code list's description of the
    /// row's code), so only a bounded vocabulary reaches the staged data; a free-text field needs `fill_from`
    /// or `stage = false`.
    #[serde(default)]
    pub free_text: bool,
    /// Replace the value with a keyed pseudonym.
    #[serde(default)]
    pub pseudonymise: bool,
    /// Map to the 5 ONS ethnic groups (adds `ethnic_group` and `ethnicity_scheme`).
    #[serde(default)]
    pub ethnicity: bool,
    /// Write to staged data (false for coordinates converted elsewhere, dates of birth, free text).
    #[serde(default = "yes")]
    pub stage: bool,
    /// Personal data: never echoed into rejects either.
    #[serde(default)]
    pub sensitive: bool,
    /// Values that mean "nothing recorded" for this field (matched ignoring case), read as empty without a
    /// repair: `Under investigation` is no outcome yet, not an unknown outcome.
    #[serde(default)]
    pub null_values: Vec<String>,
}

/// Values any export may write for an empty cell (matched ignoring case), read as empty in every field.
pub const EMPTY_VALUES: [&str; 4] = ["null", "n/a", "#n/a", "-"];

impl FieldSpec {
    /// Whether a trimmed cell means "nothing recorded".
    #[inline]
    pub fn is_empty_value(&self, s: &str) -> bool {
        // Checked on every cell: the length test keeps ordinary values off the comparisons.
        s.is_empty()
            || (s.len() <= 4 && matches!(s.as_bytes()[0], b'n' | b'N' | b'#' | b'-') && EMPTY_VALUES.iter().any(|e| s.eq_ignore_ascii_case(e)))
            || (!self.null_values.is_empty() && self.null_values.iter().any(|e| s.eq_ignore_ascii_case(e.trim())))
    }
}

fn yes() -> bool {
    true
}

impl FieldSpec {
    pub fn range_reason(&self) -> &str {
        self.range_reason.as_deref().unwrap_or("out_of_range")
    }
    /// Whether a value of this field may be echoed into the rejects file.
    pub fn may_echo(&self) -> bool {
        !(self.sensitive || self.pseudonymise)
    }
}
