//! Test fixture shared by the report modules' unit tests: a minimal pipeline (with the privacy lines a test
//! needs) and the London preset definition, as `ReportSettings` borrows them.

use crate::definition::Definition;
use crate::dictionary::seeds::embedded_seeds;
use crate::pipeline::config::Pipeline;
use std::path::Path;

/// A one-source pipeline in `dir` (its ward and offence files written as placeholders) whose `[privacy]`
/// section is `demo_key = true` plus `privacy`, and the london-vru definition.
pub fn settings_parts(dir: &Path, privacy: &str) -> (Pipeline, Definition) {
    std::fs::write(dir.join("wards.geojson"), "{}").expect("write");
    std::fs::write(dir.join("off_1.csv"), "a").expect("write");
    let text = format!(
        r#"
[assessment]
name = "Test SNA"
area = "Testham"
period = {{ start = "2025-04-01", end = "2026-03-31" }}
previous_periods = 1
definition = "london-vru"
[geography]
wards = "wards.geojson"
ward_code_property = "WD23CD"
ward_name_property = "WD23NM"
[sources.police_offences]
files = ["off_*.csv"]
[privacy]
demo_key = true
{privacy}
"#
    );
    let p = Pipeline::from_str(&text, "t.toml", dir).expect("pipeline");
    let seeds = embedded_seeds().expect("seeds");
    let d = Definition::from_preset("london-vru", &seeds["ho_codes"]).expect("preset");
    (p, d)
}
