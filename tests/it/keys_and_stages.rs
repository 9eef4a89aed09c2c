//! The commands a real analyst types: `sna synth`, then the stages one by one with a secret key from the
//! environment. Pseudonyms must depend on the key (the public demo key gives different ones).

use crate::support::{demo_out, sna};
use sna::table_io::read_parquet;
use std::collections::BTreeSet;

fn person_ids(dir: &std::path::Path) -> BTreeSet<String> {
    let df = read_parquet(&dir.join("staged/police_victims.parquet")).expect("staged victims");
    let ids = df.column("person_id").and_then(|c| c.str().cloned()).expect("person_id");
    ids.iter().flatten().map(str::to_string).collect()
}

#[test]
fn synth_then_stages_with_an_environment_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("borough");
    sna().args(["--quiet", "synth", "--seed", "42", "--out"]).arg(&input).assert().success();
    for f in ["truth.json", "pipeline.toml", "reference/wards.geojson", "reference/population.csv"] {
        assert!(input.join(f).is_file(), "synth wrote no {f}");
    }
    let pipeline = input.join("pipeline.toml");
    let text = std::fs::read_to_string(&pipeline).expect("pipeline");
    let text = text.replace("demo_key = true", "pseudonym_key_env = \"SNA_IT_PSEUDONYM_KEY\"");
    std::fs::write(&pipeline, text).expect("write pipeline");
    let out = dir.path().join("out");
    let key = "a-long-secret-key-for-the-integration-test";
    sna().args(["--quiet", "ingest"]).arg(&pipeline).arg("--out").arg(&out).env("SNA_IT_PSEUDONYM_KEY", key).assert().success();
    sna().args(["--quiet", "analyse"]).arg(&pipeline).arg("--out").arg(&out).assert().success();
    sna().args(["--quiet", "report"]).arg(&pipeline).arg("--out").arg(&out).assert().success();
    assert!(out.join("report/summary.md").is_file());
    let manifest = std::fs::read_to_string(out.join("manifest.json")).expect("manifest");
    assert!(manifest.contains("environment variable SNA_IT_PSEUDONYM_KEY"));
    assert!(!manifest.contains(key), "the key itself must never be written");
    for stage in ["\"ingest\"", "\"analyse\"", "\"report\""] {
        assert!(manifest.contains(stage), "manifest lacks timing for {stage}");
    }
    // Same raw people, different key: no pseudonym in common with the demo-key run.
    let with_key = person_ids(&out);
    let with_demo_key = person_ids(demo_out());
    assert!(with_key.len() > 1000);
    assert_eq!(with_key.len(), with_demo_key.len(), "same people either way");
    assert!(with_key.is_disjoint(&with_demo_key), "pseudonyms must depend on the key");
    // Stage outputs are the same as the one-command demo's tables.
    for t in ["tables/place_wards.csv", "tables/place_area_totals.csv"] {
        assert_eq!(std::fs::read(out.join(t)).expect("a"), std::fs::read(demo_out().join(t)).expect("b"), "{t}");
    }
}

/// Victims and suspects carry `police_offences_row`, the row of their offence in the staged offences: the
/// offence at that row has the person's crime_ref, for every person.
#[test]
fn persons_link_to_their_staged_offence_row() {
    let staged = demo_out().join("staged");
    let offences = read_parquet(&staged.join("police_offences.parquet")).expect("staged offences");
    let refs = offences.column("crime_ref").and_then(|c| c.str().cloned()).expect("crime_ref");
    for source in ["police_victims", "police_suspects"] {
        let persons = read_parquet(&staged.join(format!("{source}.parquet"))).expect("staged persons");
        let own = persons.column("crime_ref").and_then(|c| c.str().cloned()).expect("person crime_ref");
        let rows = persons.column("police_offences_row").and_then(|c| c.i64().cloned()).expect("offence row");
        assert!(persons.height() > 1000, "{source}");
        for (r, row) in own.iter().zip(rows.iter()) {
            let row = row.expect("every staged person has an offence row");
            assert_eq!(refs.get(row as usize), r, "{source}: row {row}");
        }
    }
}

/// A staged folder from before ingest recorded offence rows (persons without `police_offences_row`) is
/// analysed by coding the reference strings instead, and gives the same tables.
#[test]
fn persons_without_offence_rows_give_the_same_tables() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = crate::support::out_with_demo_staged(dir.path(), |name, from, to| {
        if name != "police_victims.parquet" && name != "police_suspects.parquet" {
            return false;
        }
        let mut df = read_parquet(from).expect("persons").drop("police_offences_row").expect("offence row column");
        let provenance = sna::table_io::read_provenance(from).expect("provenance");
        sna::table_io::write_parquet(&mut df, to, &provenance).expect("write persons");
        true
    });
    sna().args(["--quiet", "analyse"]).arg(demo_out().join("input/pipeline.toml")).arg("--out").arg(&out).assert().success();
    let tables = crate::support::files_below(&demo_out().join("tables"));
    let csvs: Vec<_> = tables.iter().filter(|t| t.extension().is_some_and(|e| e == "csv")).collect();
    assert!(csvs.len() > 20, "{} tables", csvs.len());
    for t in csvs {
        let (a, b) = (out.join("tables").join(t), demo_out().join("tables").join(t));
        let (x, y) = (std::fs::read_to_string(&a).expect("table"), std::fs::read_to_string(&b).expect("demo table"));
        let first = x.lines().zip(y.lines()).find(|(l, m)| l != m);
        assert!(x == y, "{} differs: {first:?}", t.display());
    }
}
