//! Reruns into a folder that already holds a run: each stage replaces exactly its own earlier outputs (even
//! after a run killed half-way), files the user put there survive, the manifest is rewritten, every output
//! names its run, and folders that are not a run's of the same pipeline are refused.

use crate::support::{demo_out, sna};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The folders a run writes, compared between a rerun and a fresh run.
const OUTPUT_FOLDERS: [&str; 7] = ["staged", "rejects", "tables", "charts", "maps", "report", "public"];

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read_dir") {
        let e = e.expect("entry");
        let target = to.join(e.file_name());
        if e.file_type().expect("type").is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).expect("copy");
        }
    }
}

/// Every file below `dir` (none when it is absent), relative and sorted.
fn files(dir: &Path) -> Vec<PathBuf> {
    if dir.is_dir() { crate::support::files_below(dir) } else { Vec::new() }
}

/// The run's outputs of `out` as (path, bytes), leaving out `skip` (the user's files).
fn outputs(out: &Path, skip: &[&str]) -> Vec<(PathBuf, Vec<u8>)> {
    OUTPUT_FOLDERS
        .iter()
        .flat_map(|f| files(&out.join(f)).into_iter().map(move |p| Path::new(f).join(p)))
        .filter(|p| !skip.iter().any(|s| p == Path::new(s)))
        .map(|p| {
            let bytes = std::fs::read(out.join(&p)).expect("read");
            (p, bytes)
        })
        .collect()
}

fn assert_same_outputs(rerun: &Path, fresh: &Path, skip: &[&str]) {
    let (a, b) = (outputs(rerun, skip), outputs(fresh, &[]));
    let names = |v: &[(PathBuf, Vec<u8>)]| v.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>();
    assert_eq!(names(&a), names(&b), "the rerun folder holds other files than a fresh run's");
    for ((p, x), (_, y)) in a.iter().zip(&b) {
        assert!(x == y, "{} differs between the rerun and a fresh run", p.display());
    }
}

/// A copy of the demo's input with two more pipeline files: `fewer.toml` (the demo pipeline with only its
/// ambulance source: the same pipeline, edited) and `other.toml` (the same with another assessment name).
fn inputs() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir").keep().join("input");
        copy_dir(&demo_out().join("input"), &dir);
        let text = std::fs::read_to_string(dir.join("pipeline.toml")).expect("pipeline");
        let (head, rest) = text.split_at(text.find("[sources.").expect("sources"));
        let tail = &rest[rest.find("[privacy]").expect("privacy")..];
        let fewer = format!("{head}[sources.las]\nfiles = [\"raw/las/las_assault_callouts_*\"]\n\n{tail}");
        std::fs::write(dir.join("fewer.toml"), &fewer).expect("fewer");
        let name = fewer.lines().find(|l| l.starts_with("name = ")).expect("name").to_string();
        std::fs::write(dir.join("other.toml"), fewer.replace(&name, "name = \"Another partnership's assessment\"")).expect("other");
        dir
    })
}

fn fewer() -> PathBuf {
    inputs().join("fewer.toml")
}

/// `fewer.toml` run into a fresh folder: what any rerun of it must leave.
fn fresh_fewer() -> &'static Path {
    static OUT: OnceLock<PathBuf> = OnceLock::new();
    OUT.get_or_init(|| {
        let out = tempfile::tempdir().expect("tempdir").keep().join("fresh");
        sna().args(["--quiet", "run"]).arg(fewer()).arg("--out").arg(&out).assert().success();
        out
    })
}

/// A copy of the demo's output folder (its journals are relative, so the copy is a run folder too).
fn demo_copy(name: &str) -> PathBuf {
    let out = tempfile::tempdir().expect("tempdir").keep().join(name);
    copy_dir(demo_out(), &out);
    out
}

fn stderr(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&a.get_output().stderr).into_owned()
}

fn manifest(out: &Path) -> serde_json::Value {
    crate::support::read_json(&out.join("manifest.json"))
}

#[test]
fn a_rerun_with_fewer_sources_leaves_exactly_what_a_fresh_folder_gets() {
    let out = demo_copy("rerun");
    let user_files = ["tables/my-notes.txt", "public/tables/my-notes.txt"];
    for f in user_files {
        std::fs::write(out.join(f), "the analyst's own notes").expect("user file");
    }
    assert!(outputs(&out, &user_files).len() > outputs(fresh_fewer(), &[]).len(), "the demo wrote more than the rerun will");
    sna().args(["--quiet", "run"]).arg(fewer()).arg("--out").arg(&out).assert().success();

    assert_same_outputs(&out, fresh_fewer(), &user_files);
    for f in user_files {
        assert_eq!(std::fs::read_to_string(out.join(f)).expect("user file survives"), "the analyst's own notes");
    }
    // Rewritten, not merged: the same sections as a fresh run's, naming only the rerun's sources.
    let (m, fresh) = (manifest(&out), manifest(fresh_fewer()));
    let keys = |m: &serde_json::Value| m.as_object().expect("object").keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&m), keys(&fresh));
    for k in ["run_id", "sources", "stages", "analysis", "report", "pipeline"] {
        assert_eq!(m[k], fresh[k], "manifest {k}");
    }
    assert_eq!(m["sources"].as_array().expect("sources").len(), 1);
}

#[test]
fn a_run_killed_half_way_leaves_nothing_of_the_old_run_after_a_rerun() {
    let out = demo_copy("killed");
    // The rerun's ingest finished; its analyse was killed after putting one table in place and with
    // temporaries of interrupted writes lying about.
    sna().args(["--quiet", "ingest"]).arg(fewer()).arg("--out").arg(&out).assert().success();
    let journal = out.join(".sna/written-analyse.txt");
    let mut listed = std::fs::read_to_string(&journal).expect("analyse journal");
    listed.push_str("tables/killed_half_written.csv\n");
    std::fs::write(&journal, listed).expect("journal");
    std::fs::write(out.join("tables/killed_half_written.csv"), "a,b\n").expect("killed table");
    let temporaries = ["tables/.tmp-99999-place_wards.parquet", "charts/.tmp-99999-3-chart.png", ".tmp-99999-manifest.json"];
    for t in temporaries {
        std::fs::write(out.join(t), "half").expect("temporary");
    }
    // The old run's tables are not this run's: the report will not describe them.
    let refused = sna().args(["--quiet", "report"]).arg(fewer()).arg("--out").arg(&out).assert().code(1);
    assert!(stderr(&refused).contains("manifest.json") && stderr(&refused).contains("analyse"), "{}", stderr(&refused));
    assert_eq!(manifest(&out)["stages"], serde_json::json!({ "ingest": "complete" }), "the manifest says analyse has not run");

    sna().args(["--quiet", "run"]).arg(fewer()).arg("--out").arg(&out).assert().success();
    assert_same_outputs(&out, fresh_fewer(), &[]);
    assert!(!out.join(".tmp-99999-manifest.json").exists(), "temporary at the top level");
    let left: Vec<PathBuf> = files(&out).into_iter().filter(|p| p.to_string_lossy().contains(".tmp-")).collect();
    assert!(left.is_empty(), "temporaries left: {left:?}");
}

#[test]
fn another_pipelines_folder_is_refused_unless_forced() {
    let out = tempfile::tempdir().expect("tempdir").keep().join("other");
    copy_dir(fresh_fewer(), &out);
    let before = std::fs::read(out.join("manifest.json")).expect("manifest");
    let refused = sna().args(["--quiet", "ingest"]).arg(inputs().join("other.toml")).arg("--out").arg(&out).assert().code(1);
    let e = stderr(&refused);
    assert!(e.contains(&out.display().to_string()) && e.contains("another pipeline") && e.contains("--force"), "{e}");
    assert!(e.contains("fewer.toml"), "names the pipeline whose run it is: {e}");
    assert_eq!(std::fs::read(out.join("manifest.json")).expect("manifest"), before, "nothing written");

    sna().args(["--quiet", "ingest", "--force"]).arg(inputs().join("other.toml")).arg("--out").arg(&out).assert().success();
    assert_eq!(manifest(&out)["pipeline"]["name"], "Another partnership's assessment");
    // An edited version of the same file is the same pipeline: no --force needed.
    let edited = inputs().join("other-edited.toml");
    let text = std::fs::read_to_string(inputs().join("other.toml")).expect("other");
    std::fs::write(&edited, text.replace("name = \"Another partnership's assessment\"", "name = \"Renamed\"")).expect("edited");
    let out2 = tempfile::tempdir().expect("tempdir").keep().join("edited");
    sna().args(["--quiet", "ingest"]).arg(&edited).arg("--out").arg(&out2).assert().success();
    std::fs::write(&edited, text.replace("name = \"Another partnership's assessment\"", "name = \"Renamed again\"")).expect("edited");
    sna().args(["--quiet", "ingest"]).arg(&edited).arg("--out").arg(&out2).assert().success();
}

#[test]
fn unusable_output_folders_are_refused_naming_the_path() {
    let pipeline = fewer();
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").expect("file");
    for (command, out) in [("run", PathBuf::from("/")), ("ingest", PathBuf::from("/")), ("run", file.clone()), ("run", file.join("below"))] {
        let a = sna().args(["--quiet", command]).arg(&pipeline).arg("--out").arg(&out).assert().code(1);
        let e = stderr(&a);
        assert!(e.starts_with(&format!("error: {}:", out.display())), "{command} --out {}: {e}", out.display());
    }
    let a = sna().args(["--quiet", "demo", "--out", "/"]).assert().code(1);
    assert!(stderr(&a).contains("root of the filesystem"), "{}", stderr(&a));
    assert_eq!(std::fs::read_to_string(&file).expect("file"), "x");
}

#[test]
fn a_folder_holding_files_sna_did_not_write_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("mine");
    std::fs::create_dir_all(&out).expect("mkdir");
    std::fs::write(out.join("budget.xlsx"), "the user's").expect("user file");
    let a = sna().args(["--quiet", "run"]).arg(fewer()).arg("--out").arg(&out).arg("--force").assert().code(1);
    let e = stderr(&a);
    assert!(e.contains(&out.display().to_string()) && e.contains("budget.xlsx"), "{e}");
    assert_eq!(files(&out), vec![PathBuf::from("budget.xlsx")], "nothing written");
}

#[test]
fn synth_refuses_a_non_empty_folder_unless_forced() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("synth");
    std::fs::create_dir_all(&out).expect("mkdir");
    std::fs::write(out.join("keep.txt"), "mine").expect("file");
    let a = sna().args(["--quiet", "synth", "--out"]).arg(&out).assert().code(1);
    assert!(stderr(&a).contains(&out.display().to_string()) && stderr(&a).contains("--force"), "{}", stderr(&a));
    assert_eq!(files(&out), vec![PathBuf::from("keep.txt")], "nothing written");
    sna().args(["--quiet", "synth", "--force", "--out"]).arg(&out).assert().success();
    assert!(out.join("pipeline.toml").is_file() && out.join("keep.txt").is_file());
}

/// Rewrite the Parquet file at `path` with another run id in its metadata (as a copy from another run has).
fn mark_with_run(path: &Path, run_id: &str) {
    let mut df = sna::table_io::read_parquet(path).expect("read");
    let provenance: Vec<(String, String)> = sna::table_io::read_provenance(path)
        .expect("provenance")
        .into_iter()
        .filter(|(k, _)| k != "sna_version")
        .map(|(k, v)| if k == "run_id" { (k, run_id.to_string()) } else { (k, v) })
        .collect();
    sna::table_io::write_parquet(&mut df, path, &provenance).expect("write");
}

#[test]
fn stages_refuse_files_of_another_run() {
    let out = tempfile::tempdir().expect("tempdir").keep().join("mixed");
    copy_dir(fresh_fewer(), &out);
    let run_id = manifest(&out)["run_id"].as_str().expect("run_id").to_string();
    let table = out.join("tables/partners_las_wards.parquet");
    let table = if table.is_file() { table } else { out.join("tables").join(files(&out.join("tables")).into_iter().find(|p| p.extension().is_some_and(|x| x == "parquet")).expect("a table")) };
    mark_with_run(&table, "0123456789abcdef");
    let a = sna().args(["--quiet", "report"]).arg(fewer()).arg("--out").arg(&out).assert().code(1);
    let e = stderr(&a);
    assert!(e.contains(&table.display().to_string()) && e.contains("0123456789abcdef") && e.contains(&run_id), "{e}");

    let staged = out.join("staged/las.parquet");
    mark_with_run(&staged, "fedcba9876543210");
    let a = sna().args(["--quiet", "analyse"]).arg(fewer()).arg("--out").arg(&out).assert().code(1);
    let e = stderr(&a);
    assert!(e.contains(&staged.display().to_string()) && e.contains("fedcba9876543210"), "{e}");
}

#[test]
fn every_output_names_its_run() {
    let out = demo_out();
    let m = manifest(out);
    let run_id = m["run_id"].as_str().expect("run_id");
    assert_eq!(run_id.len(), 16, "{run_id}");
    assert_eq!(m["stages"], serde_json::json!({ "ingest": "complete", "analyse": "complete", "report": "complete" }));
    for folder in ["staged", "tables"] {
        let parquet: Vec<PathBuf> = files(&out.join(folder)).into_iter().filter(|p| p.extension().is_some_and(|x| x == "parquet")).collect();
        assert!(parquet.len() > 5, "{folder}");
        for p in parquet {
            let provenance = sna::table_io::read_provenance(&out.join(folder).join(&p)).expect("provenance");
            assert!(provenance.contains(&("run_id".to_string(), run_id.to_string())), "{folder}/{}: {provenance:?}", p.display());
        }
    }
    for page in ["report/summary.md", "public/report/summary.md", "report/index.html", "public/report/index.html"] {
        let text = std::fs::read_to_string(out.join(page)).expect("page");
        let footer = text.trim_end().lines().rev().find(|l| !l.trim().is_empty() && !l.starts_with("</")).unwrap_or_default();
        assert!(footer.contains(&format!("from run {run_id}")), "{page} ends: {footer}");
    }
    use calamine::{open_workbook_auto, Reader};
    for book in ["report/tables.xlsx", "public/report/tables.xlsx"] {
        let mut wb = open_workbook_auto(out.join(book)).expect("workbook");
        let readme = wb.worksheet_range("README").expect("README sheet");
        assert!(readme.rows().any(|r| r.iter().any(|c| c.to_string().contains(run_id))), "{book} README names the run");
    }
}

#[test]
fn the_demo_reruns_into_its_own_folder() {
    let out = demo_copy("demo-again");
    sna().args(["--quiet", "demo", "--out"]).arg(&out).assert().success();
    // The same inputs: the same run id, and byte-identical outputs.
    assert_same_outputs(&out, demo_out(), &[]);
    assert_eq!(files(&out.join("input")), files(&demo_out().join("input")));
}
