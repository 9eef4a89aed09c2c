//! Bad usage and bad pipeline files: a clear message naming the key, and exit code 2.

use crate::support::sna;
use predicates::str::contains;

fn pipeline(dir: &std::path::Path, text: &str) -> std::path::PathBuf {
    std::fs::write(dir.join("wards.geojson"), "{\"type\":\"FeatureCollection\",\"features\":[]}").expect("write");
    std::fs::write(dir.join("offences.csv"), "CRIS No\n").expect("write");
    let p = dir.join("p.toml");
    std::fs::write(&p, text).expect("write");
    p
}

const GOOD: &str = r#"
[assessment]
name = "Test"
area = "Testham"
period = { start = "2025-04-01", end = "2026-03-31" }
definition = "london-vru"
[geography]
wards = "wards.geojson"
ward_code_property = "WD23CD"
ward_name_property = "WD23NM"
[sources.police_offences]
files = ["offences.csv"]
[privacy]
demo_key = true
"#;

#[test]
fn unknown_key_is_exit_2_with_its_name_and_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = pipeline(dir.path(), &GOOD.replace("definition = \"london-vru\"", "definition = \"london-vru\"\ncolour = 1"));
    sna().arg("run").arg(&p).assert().code(2).stderr(contains("unknown field `colour`")).stderr(contains("line 7"));
}

#[test]
fn bad_date_is_exit_2_naming_the_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = pipeline(dir.path(), &GOOD.replace("2026-03-31", "2026-02-30"));
    sna().arg("ingest").arg(&p).assert().code(2).stderr(contains("period.end")).stderr(contains("2026-02-30"));
}

#[test]
fn missing_file_is_exit_2_naming_the_key_and_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = pipeline(dir.path(), &GOOD.replace("\"offences.csv\"", "\"nowhere_*.csv\""));
    sna().arg("run").arg(&p).assert().code(2).stderr(contains("[sources.police_offences] files")).stderr(contains("nowhere_*.csv"));
    let p = pipeline(dir.path(), &GOOD.replace("wards.geojson", "lost.geojson"));
    sna().arg("run").arg(&p).assert().code(2).stderr(contains("[geography] wards")).stderr(contains("lost.geojson"));
}

#[test]
fn missing_pseudonym_key_is_exit_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = pipeline(dir.path(), &GOOD.replace("demo_key = true", "pseudonym_key_env = \"SNA_TEST_KEY_THAT_IS_NOT_SET\""));
    sna()
        .arg("ingest")
        .arg(&p)
        .env_remove("SNA_TEST_KEY_THAT_IS_NOT_SET")
        .assert()
        .code(2)
        .stderr(contains("SNA_TEST_KEY_THAT_IS_NOT_SET is not set"));
    // All spaces is blank, not unset: said so.
    sna()
        .arg("ingest")
        .arg(&p)
        .env("SNA_TEST_KEY_THAT_IS_NOT_SET", "    ")
        .assert()
        .code(2)
        .stderr(contains("SNA_TEST_KEY_THAT_IS_NOT_SET is set but blank"));
}

#[test]
fn dictionary_prints_fields_and_rejects_unknown_sources() {
    sna()
        .args(["dictionary", "police_victims"])
        .assert()
        .success()
        .stdout(contains("person_id"))
        .stdout(contains("pseudonymised"))
        .stdout(contains("Date of Birth"));
    sna().args(["dictionary"]).assert().success().stdout(contains("police_offences"));
    sna().args(["dictionary", "nope"]).assert().code(2).stderr(contains("unknown source"));
}

#[test]
fn bad_usage_is_exit_2() {
    sna().args(["frobnicate"]).assert().code(2);
    sna().args(["run"]).assert().code(2);
}
