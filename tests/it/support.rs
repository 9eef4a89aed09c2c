//! Shared helpers: the demo is run once per test process and its output folder shared by the tests
//! that only read it.

use assert_cmd::Command;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

pub fn sna() -> Command {
    Command::cargo_bin("sna").expect("the sna binary is built")
}

/// Run `sna demo` into a fresh temporary folder and return it (the folder lives for the process).
pub fn run_demo(seed: u64) -> PathBuf {
    run_demo_threads(seed, 2)
}

/// [`run_demo`] with rayon's and polars' thread pools pinned to `threads`.
pub fn run_demo_threads(seed: u64, threads: usize) -> PathBuf {
    let dir = tempfile::tempdir().expect("tempdir").keep();
    let out = dir.join("demo");
    let n = threads.to_string();
    sna()
        .env("RAYON_NUM_THREADS", &n)
        .env("POLARS_MAX_THREADS", &n)
        .args(["--quiet", "demo", "--seed", &seed.to_string(), "--out"])
        .arg(&out)
        .assert()
        .success();
    out
}

/// The seed-42 demo, run with two threads.
pub fn demo_out() -> &'static Path {
    static OUT: OnceLock<PathBuf> = OnceLock::new();
    OUT.get_or_init(|| run_demo(42))
}

/// A fresh `out` folder below `dir` holding the demo's staged files and manifest, ready for `sna analyse`.
/// `copy(name, from, to)` copies one staged file (or leaves it out, or rewrites it); it returns false to
/// leave the default copy to this function.
pub fn out_with_demo_staged(dir: &Path, mut copy: impl FnMut(&str, &Path, &Path) -> bool) -> PathBuf {
    let out = dir.join("out");
    std::fs::create_dir_all(out.join("staged")).expect("staged dir");
    for e in std::fs::read_dir(demo_out().join("staged")).expect("staged") {
        let from = e.expect("entry").path();
        let name = from.file_name().expect("name").to_string_lossy().to_string();
        let to = out.join("staged").join(&name);
        if !copy(&name, &from, &to) {
            std::fs::copy(&from, &to).expect("copy");
        }
    }
    std::fs::copy(demo_out().join("manifest.json"), out.join("manifest.json")).expect("manifest");
    out
}

pub fn read_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every file below `dir`, as paths relative to it, sorted.
pub fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let p = e.expect("dir entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).expect("below").to_path_buf());
            }
        }
    }
    out.sort();
    out
}

/// Ingest one file as a source of `dict` into `staged` (field issues beside it), as `sna ingest` would.
pub fn ingest_one(
    ctx: &sna::ingest::IngestContext,
    dict: &sna::dictionary::Dictionary,
    path: &Path,
    staged: &Path,
) -> Result<sna::ingest::source::SourceOutcome, sna::ingest::IngestError> {
    let input = sna::ingest::SourceInput { name: dict.name().to_string(), files: vec![sna::ingest::InputFile::plain(path.to_path_buf(), None)] };
    let issues = staged.with_extension("field_issues.csv");
    let provenance = Vec::new();
    let out = sna::ingest::source::SourceOutputs { staged, field_issues: &issues, provenance: &provenance };
    sna::ingest::source::ingest_source(ctx, dict, &input, None, &out)
}

/// truth.json's files: path -> (rows written, planted bad rows, planted repaired rows).
pub fn files_written(truth: &serde_json::Value) -> std::collections::HashMap<String, (u64, u64, u64)> {
    let n = |f: &serde_json::Value, k: &str| f[k].as_u64().unwrap_or_else(|| panic!("{k} missing in {f}"));
    truth["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| (f["path"].as_str().expect("path").to_string(), (n(f, "rows"), n(f, "bad_rows"), n(f, "repaired_rows"))))
        .collect()
}
