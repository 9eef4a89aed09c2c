//! `sna init FOLDER`: which source each file is, the reference files, and a pipeline file that parses and
//! runs. The synthetic borough's own pipeline is the yardstick: init's must stage the same rows.

use crate::real_public_data::public_data;
use crate::support::{read_json, sna};
use sna::dictionary::header_match::match_headers_mapped;
use sna::dictionary::mapping::MappedColumn;
use sna::dictionary::model::FieldSpec;
use sna::pipeline::config::{Pipeline, PopulationFormat, WardSource};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const KEY: &str = "some-test-key-1234567890";

fn init(folder: &Path) -> (i32, String, String) {
    let out = sna().arg("init").arg(folder).output().expect("sna init runs");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// The source a synthetic extract was written as, from its path.
fn synth_source(path: &str) -> Option<&'static str> {
    let table = [
        ("raw/police/offences_", "police_offences"),
        ("raw/police/victims_", "police_victims"),
        ("raw/police/suspects_", "police_suspects"),
        ("raw/las/", "las"),
        ("raw/ae/", "ae"),
        ("raw/yot/", "yot"),
        ("raw/marac/", "marac"),
        ("raw/exclusions/", "exclusions"),
    ];
    table.iter().find(|(p, _)| path.starts_with(p)).map(|(_, s)| *s)
}

/// Source -> its files, as the parsed pipeline lists them (canonical paths).
fn files_by_source(p: &Pipeline) -> BTreeMap<String, BTreeSet<PathBuf>> {
    p.sources
        .iter()
        .map(|s| (s.name.clone(), s.files.iter().map(|f| f.path.canonicalize().expect("listed file exists")).collect()))
        .collect()
}

fn rows_staged(out: &Path) -> BTreeMap<String, (u64, u64)> {
    let m = read_json(&out.join("manifest.json"));
    m["sources"]
        .as_array()
        .expect("sources")
        .iter()
        .map(|s| {
            let n = |k: &str| s[k].as_u64().unwrap_or_else(|| panic!("{k} in {s}"));
            (s["source"].as_str().expect("source").to_string(), (n("rows_read"), n("rows_staged")))
        })
        .collect()
}

#[test]
fn init_on_the_synthetic_borough_assigns_every_extract_and_stages_what_its_own_pipeline_does() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = dir.path().join("borough");
    sna().args(["--quiet", "synth", "--out"]).arg(&s).assert().success();
    let own = std::fs::read_to_string(s.join("pipeline.toml")).expect("synth pipeline");
    std::fs::remove_file(s.join("pipeline.toml")).expect("delete");

    let (code, stdout, stderr) = init(&s);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.contains("0 not recognised"), "{stdout}");
    assert!(stdout.contains("sna validate --pipeline") && stdout.contains("sna run "), "{stdout}");
    let written = s.join("pipeline.toml");
    let p = Pipeline::from_path(&written).unwrap_or_else(|e| panic!("{e}\n{}", std::fs::read_to_string(&written).unwrap_or_default()));

    // Every raw extract of truth.json, under the source it was written as; nothing else.
    let truth = read_json(&s.join("truth.json"));
    let mut expected: BTreeMap<String, BTreeSet<PathBuf>> = BTreeMap::new();
    for f in truth["files"].as_array().expect("files") {
        let path = f["path"].as_str().expect("path");
        if let Some(source) = synth_source(path) {
            expected.entry(source.to_string()).or_default().insert(s.join(path).canonicalize().expect("exists"));
            let line = stdout.lines().find(|l| l.trim_start().starts_with(path)).unwrap_or_else(|| panic!("{path} not in\n{stdout}"));
            assert!(line.contains(&format!("{source}: ")), "{line}");
        }
    }
    assert_eq!(expected.len(), 8);
    assert_eq!(files_by_source(&p), expected);

    // The reference files, into [geography] and [population].
    match &p.geography.wards {
        WardSource::Boundaries { path, code_property, name_property } => {
            assert!(path.ends_with("reference/wards.geojson"));
            assert_eq!((code_property.as_str(), name_property.as_str()), ("WD23CD", "WD23NM"));
        }
        other => panic!("expected ward boundaries, got {other:?}"),
    }
    assert!(p.geography.lsoa_lookup.as_ref().is_some_and(|l| l.ends_with("reference/lsoa21_to_ward.csv")));
    assert_eq!(p.population.len(), 1);
    assert_eq!(p.population[0].format, PopulationFormat::Long);
    assert!(p.population[0].path.ends_with("reference/population.csv"));
    assert!(p.pupils.as_ref().is_some_and(|x| x.ends_with("reference/pupils.csv")));
    assert_eq!(p.area, "Exampleton", "the wards file's only local authority");
    let synth_own = Pipeline::from_str(&own, "own.toml", &s).expect("synth pipeline parses");
    assert_eq!((p.period, p.previous.len()), (synth_own.period, synth_own.previous.len()), "the latest whole financial year and two before it");
    assert!(matches!(p.privacy.key, sna::pipeline::config::KeySource::Env(ref v) if v == "SNA_PSEUDONYM_KEY"));

    // init's pipeline runs and stages what the synth's own pipeline stages.
    sna().env("SNA_PSEUDONYM_KEY", KEY).args(["--quiet", "run"]).arg(&written).arg("--out").arg(s.join("out")).assert().success();
    std::fs::write(s.join("own.toml"), &own).expect("write own pipeline");
    sna().args(["--quiet", "ingest"]).arg(s.join("own.toml")).arg("--out").arg(dir.path().join("own-out")).assert().success();
    let (mine, theirs) = (rows_staged(&s.join("out")), rows_staged(&dir.path().join("own-out")));
    assert_eq!(mine.len(), 8);
    assert_eq!(mine, theirs);

    // A second init sees the run's output folder (it holds manifest.json) and leaves it out; the written
    // pipeline is not overwritten without --force.
    let (code, _, stderr) = init(&s);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--force"), "{stderr}");
    let out = sna().arg("init").arg(&s).arg("--force").output().expect("runs");
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains("out/"), "the output folder is skipped:\n{stdout}");
}

/// A one-ward boundary file, so a hand-made folder's pipeline has its geography.
fn write_ward(dir: &Path) {
    let ring = "[[-0.10,51.50],[-0.09,51.50],[-0.09,51.51],[-0.10,51.51],[-0.10,51.50]]";
    let fc = format!(
        r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","properties":{{"WD24CD":"E05000001","WD24NM":"Testward","LAD24CD":"E09000001","LAD24NM":"Testham"}},"geometry":{{"type":"Polygon","coordinates":[{ring}]}}}}]}}"#
    );
    std::fs::write(dir.join("wards.geojson"), fc).expect("write wards");
}

fn specs(name: &str) -> Vec<FieldSpec> {
    let reg = sna::dictionary::Registry::embedded().expect("registry");
    reg.get(name).expect("dictionary").fields.iter().map(|f| f.spec.clone()).collect()
}

#[test]
fn init_proposes_columns_for_a_renamed_police_export() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    std::fs::create_dir_all(root.join("police")).expect("mkdir");
    write_ward(root);
    let niche = "Occurrence Number,Offence Start Date,Offence Start Time,HOC,Outcome Text\nOCC-1,01/04/2025,23:15,8N,Charged\n";
    std::fs::write(root.join("police/niche_2025.csv"), niche).expect("write");
    std::fs::write(root.join("police/cris_2024.csv"), "CRIS No,Committed From,HO Code\nC-1,01/04/2024 10:00,8N\n").expect("write");
    // No HO code column, and a header with quotes, a hash and non-ASCII: the TODO must stay a comment.
    let odd = "Occurrence Number,Offence Start Date,Offence Start Time,Offence Description,DA Flag,Knife Flag,Location Type,Easting,Northing,Beat \"#1\" – Zoné\n\
               OCC-9,01/05/2025,10:00,Robbery,N,N,street,531000,181000,x\n";
    std::fs::write(root.join("police/niche_odd.csv"), odd).expect("write");

    let (code, stdout, stderr) = init(root);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let written = root.join("pipeline.toml");
    let text = std::fs::read_to_string(&written).expect("written");
    assert!(text.contains(r#"columns.committed_from = ["Offence Start Date", "Offence Start Time"]   # close match: "Offence Start Date" ~ "Offence Date""#), "{text}");
    assert!(text.contains(r#"columns.ho_code = "HOC"   # close match: "HOC" ~ "HO Code""#), "{text}");
    assert!(text.contains("# TODO: columns.ho_code = \"<header>\"   (required; headers in \"police/niche_odd.csv\""), "{text}");
    assert!(text.contains(r##"'Beat "#1" – Zoné'"##), "the odd header, written as a TOML string:\n{text}");
    let p = Pipeline::from_path(&written).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let source = p.source("police_offences").expect("offences");
    assert_eq!(source.files.len(), 3);
    let file = |name: &str| source.files.iter().find(|f| f.path.ends_with(name)).unwrap_or_else(|| panic!("{name}"));
    let n = &file("niche_2025.csv").mapping;
    assert_eq!(n.columns["committed_from"], MappedColumn::DateAndTime { date: "Offence Start Date".into(), time: "Offence Start Time".into() });
    assert_eq!(n.columns["ho_code"], MappedColumn::Header("HOC".into()));
    assert_eq!(n.columns["outcome_code"], MappedColumn::Header("Outcome Text".into()));
    // crime_ref needs no entry ("Occurrence Number" is an alias): as ingest maps the file, it is that column.
    let headers: Vec<String> = niche.lines().next().expect("header").split(',').map(str::to_string).collect();
    let fields = specs("police_offences");
    let m = match_headers_mapped(&fields, &headers, n).expect("mapping fits the file");
    let crime_ref = fields.iter().position(|f| f.name == "crime_ref").expect("crime_ref");
    assert_eq!(m.column_of(crime_ref).map(|c| headers[c].as_str()), Some("Occurrence Number"));
    let committed = fields.iter().position(|f| f.name == "committed_from").expect("committed_from");
    assert_eq!(m.time_column_of(committed).map(|c| headers[c].as_str()), Some("Offence Start Time"));
    // The standard file reads by aliases alone; the odd one has its own layout without a HO code.
    assert!(file("cris_2024.csv").mapping.columns.is_empty());
    assert!(!file("niche_odd.csv").mapping.columns.contains_key("ho_code"));
    assert!(text.contains("[[sources.police_offences.layouts]]"), "{text}");
}

#[test]
fn init_reports_an_unrecognisable_file_and_assigns_it_to_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    std::fs::write(root.join("staff.csv"), "Name,Address,Favourite colour\nA,B,C\n").expect("write");
    let (code, stdout, stderr) = init(root);
    assert_eq!(code, 1, "nothing recognised:\n{stdout}\n{stderr}");
    assert!(stdout.lines().any(|l| l.contains("staff.csv") && l.contains("not recognised")), "{stdout}");
    assert!(stderr.contains("no file below"), "{stderr}");
    assert!(!root.join("pipeline.toml").exists());

    write_ward(root);
    std::fs::write(root.join("offences.csv"), "CRIS No,Committed From,HO Code\nC-1,01/04/2024 10:00,8N\n").expect("write");
    let (code, stdout, _) = init(root);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.lines().any(|l| l.contains("staff.csv") && l.contains("not recognised")), "{stdout}");
    let text = std::fs::read_to_string(root.join("pipeline.toml")).expect("written");
    assert!(text.contains("# ---- not recognised") && text.contains(r#"#     headers: "Name", "Address", "Favourite colour""#), "{text}");
    let p = Pipeline::from_path(&root.join("pipeline.toml")).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let listed: Vec<&Path> = p.sources.iter().flat_map(|s| s.files.iter().map(|f| f.path.as_path())).collect();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].ends_with("offences.csv"));

    // Bad usage: exit 2.
    let missing = sna().arg("init").arg(root.join("nope")).output().expect("runs");
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("not a folder"));
    let exists = sna().arg("init").arg(root).output().expect("runs");
    assert_eq!(exists.status.code(), Some(2), "pipeline.toml exists");
    let elsewhere = root.join("pipelines/area.toml");
    sna().arg("init").arg(root).arg("--out").arg(&elsewhere).assert().success();
    let text = std::fs::read_to_string(&elsewhere).expect("written");
    assert!(text.contains(r#"files = ["../offences.csv"]"#), "paths relative to the pipeline's folder:\n{text}");
    Pipeline::from_path(&elsewhere).unwrap_or_else(|e| panic!("{e}\n{text}"));
}

#[test]
fn init_recognises_real_police_uk_files_and_london_wards() {
    let data = public_data();
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    std::fs::create_dir_all(root.join("police")).expect("mkdir");
    let mut csvs: Vec<PathBuf> = std::fs::read_dir(data.join("police_uk/city-of-london"))
        .expect("city-of-london files")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "csv"))
        .collect();
    csvs.sort();
    assert_eq!(csvs.len(), 24, "the public data's City of London files");
    for f in &csvs {
        std::os::unix::fs::symlink(f, root.join("police").join(f.file_name().expect("name"))).expect("symlink");
    }
    std::os::unix::fs::symlink(data.join("boundaries/london_wards_2022.geojson"), root.join("london_wards_2022.geojson")).expect("symlink");

    let (code, stdout, stderr) = init(root);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert_eq!(stdout.lines().filter(|l| l.contains("-city-of-london-street.csv") && l.contains("police_uk: ")).count(), 24, "{stdout}");
    assert!(stdout.contains("ward boundaries (WD22CD / WD22NM, 704 wards, 33 local authorities)"), "{stdout}");
    let written = root.join("pipeline.toml");
    let text = std::fs::read_to_string(&written).expect("written");
    let p = Pipeline::from_path(&written).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(p.sources.len(), 1);
    assert_eq!(p.sources[0].name, "police_uk");
    assert_eq!(p.sources[0].files.len(), 24);
    // Paths stay below the folder (the symlinks), written as one glob.
    assert!(text.contains(r#"files = ["police/*-city-of-london-street.csv"]"#), "{text}");
    match &p.geography.wards {
        WardSource::Boundaries { code_property, name_property, .. } => {
            assert_eq!((code_property.as_str(), name_property.as_str()), ("WD22CD", "WD22NM"));
        }
        other => panic!("expected ward boundaries, got {other:?}"),
    }
    // Most of the City of London Police's located crimes fall in the City's wards.
    let filter = p.geography.area_filter.as_ref().expect("area filter proposed");
    assert_eq!((filter.property.as_str(), filter.equals.clone()), ("LAD22CD", vec!["E09000001".to_string()]));
    assert_eq!(p.area, "City of London");
    assert_eq!((p.period.start.to_string(), p.period.end.to_string(), p.previous.len()), ("2024-04-01".into(), "2025-03-31".into(), 0));
}

/// The same with a police export in a layout the synthetic borough's default style never writes (one
/// Niche/CONNECT all-crime file, own headers, the time in its own column, text codes): init's pipeline,
/// with nothing edited, stages what the hand-written niche pipeline stages and gives the same tables.
#[test]
fn init_on_a_niche_police_export_runs_unedited_and_gives_the_hand_mapped_results() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = dir.path().join("borough");
    sna().args(["--quiet", "synth", "--police-style", "niche", "--out"]).arg(&s).assert().success();
    let own = std::fs::read_to_string(s.join("pipeline.toml")).expect("synth pipeline");
    std::fs::remove_file(s.join("pipeline.toml")).expect("delete");
    let (code, stdout, stderr) = init(&s);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    for (file, source) in [
        ("raw/police/niche_offences_all.csv", "police_offences"),
        ("raw/police/niche_victims_all.csv", "police_victims"),
        ("raw/police/niche_suspects_all.csv", "police_suspects"),
    ] {
        let line = stdout.lines().find(|l| l.trim_start().starts_with(file)).unwrap_or_else(|| panic!("{file} not in\n{stdout}"));
        assert!(line.contains(&format!("{source}: ")), "{line}");
    }
    let written = s.join("pipeline.toml");
    let text = std::fs::read_to_string(&written).expect("written");
    assert!(text.contains("columns.committed_from = [\"Offence Start Date\", \"Offence Start Time\"]"), "{text}");
    assert!(text.contains("columns.ho_code = \"HOC\""), "{text}");
    let p = Pipeline::from_path(&written).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(p.sources.len(), 8);

    sna().env("SNA_PSEUDONYM_KEY", KEY).args(["--quiet", "run"]).arg(&written).arg("--out").arg(s.join("out")).assert().success();
    std::fs::write(s.join("own.toml"), &own).expect("write own pipeline");
    sna().args(["--quiet", "run"]).arg(s.join("own.toml")).arg("--out").arg(dir.path().join("own-out")).assert().success();
    let (mine, theirs) = (rows_staged(&s.join("out")), rows_staged(&dir.path().join("own-out")));
    assert_eq!(mine, theirs);
    let truth = read_json(&s.join("truth.json"));
    let police = &truth["police_export"];
    assert_eq!(mine["police_offences"].1, police["offences_staged"].as_u64().expect("staged offences"), "{police}");
    let m = read_json(&s.join("out/manifest.json"));
    let offences = m["sources"].as_array().expect("sources").iter().find(|x| x["source"] == "police_offences").expect("offences").clone();
    assert_eq!(offences["time_unknown"], police["offences_time_unknown"], "offences with no start time are marked, not put at midnight");
    for table in ["place_area_totals.csv", "place_wards.csv", "time_periods.csv", "time_hour_weekday.csv", "people_sex.csv", "people_ethnicity.csv"] {
        let a = std::fs::read(s.join("out/tables").join(table)).expect("init run table");
        let b = std::fs::read(dir.path().join("own-out/tables").join(table)).expect("hand-mapped run table");
        assert!(a == b, "{table} differs between init's pipeline and the hand-mapped one");
    }
}
