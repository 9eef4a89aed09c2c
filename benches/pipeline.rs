//! Full-pipeline benchmark: the synthetic borough at several scales (1 = ~45,000 offences over three years,
//! with victims, suspects and every partner source in proportion), run through ingest, analyse and report, plus
//! a point-in-polygon benchmark against the 704 real London ward polygons. Prints, per stage, wall time, rows
//! per second and peak resident memory, and writes the same as `bench-results.json`.
//!
//! No pass/fail: targets are judged by reading the numbers, never by timed assertions in tests.
//!
//!     cargo bench --bench pipeline                          # scales 1, 10 and 100
//!     SNA_BENCH_SCALES=1,10 cargo bench --bench pipeline
//!     SNA_BENCH_THREADS=1 ...                               # pin rayon and polars to N threads
//!
//! Generated inputs are kept in `$CARGO_TARGET_DIR/bench-data/scale-K` (or `target/bench-data`), so a second
//! run skips generation; delete the folder to regenerate. Results go to `bench-results.json` in the crate root,
//! or to `SNA_BENCH_RESULTS`.
//!
//! Peak memory per stage: Linux keeps the process's high-water mark in `VmHWM`; writing 5 to
//! `/proc/self/clear_refs` resets it to the current resident size before each stage, so each stage's figure is
//! the most the process held while that stage ran (including anything an earlier stage left resident).

use serde_json::json;
use sna::geo::{Locator, WardSet};
use sna::pipeline::config::Pipeline;
use sna::pipeline::run;
use sna::progress::Progress;
use sna::synth::{generate, SynthOptions};
use std::path::{Path, PathBuf};
use std::time::Instant;

type BenchResult<T> = Result<T, Box<dyn std::error::Error>>;

fn status_kib(field: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Peak resident set size since the last reset, in MiB.
fn peak_rss_mib() -> f64 {
    status_kib("VmHWM:").unwrap_or(0.0) / 1024.0
}

/// Reset the peak to the current resident size (Linux 4.0+); false where unsupported.
fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

struct Stage {
    scale: u32,
    stage: &'static str,
    seconds: f64,
    rows: u64,
    peak_rss_mib: f64,
}

impl Stage {
    fn rows_per_second(&self) -> f64 {
        if self.seconds > 0.0 { self.rows as f64 / self.seconds } else { 0.0 }
    }
}

fn measure<T>(scale: u32, stage: &'static str, rows: impl FnOnce(&T) -> u64, f: impl FnOnce() -> BenchResult<T>) -> BenchResult<Stage> {
    reset_peak_rss();
    let t = Instant::now();
    let value = f()?;
    let seconds = t.elapsed().as_secs_f64();
    let peak = peak_rss_mib();
    let stage = Stage { scale, stage, seconds, rows: rows(&value), peak_rss_mib: peak };
    eprintln!("  scale {scale:>3} {stage_name:<8} {seconds:>8.2} s  {rows:>10} rows  {peak:>7.0} MiB", stage_name = stage.stage, rows = stage.rows);
    Ok(stage)
}

fn bench_data_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("bench-data")
}

fn manifest(out: &Path) -> BenchResult<serde_json::Value> {
    Ok(serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json"))?)?)
}

fn sum_sources(m: &serde_json::Value, field: &str) -> u64 {
    m["sources"].as_array().map(|a| a.iter().filter_map(|s| s[field].as_u64()).sum()).unwrap_or(0)
}

/// Rows in every table the analysis wrote (what the report stage reads).
fn table_rows(out: &Path) -> BenchResult<u64> {
    let mut rows = 0u64;
    for e in std::fs::read_dir(out.join("tables"))? {
        let path = e?.path();
        if path.extension().is_some_and(|x| x == "csv") {
            let mut r = csv::Reader::from_path(&path)?;
            rows += r.records().count() as u64;
        }
    }
    Ok(rows)
}

fn bench_scale(scale: u32) -> BenchResult<Vec<Stage>> {
    let input = bench_data_dir().join(format!("scale-{scale}"));
    let mut stages = Vec::new();
    if !input.join("truth.json").is_file() {
        let _ = std::fs::remove_dir_all(&input);
        stages.push(measure(scale, "synth", |_| 0, || {
            sna::pipeline::demo::synthesise(&input, 42, scale, sna::synth::PoliceStyle::Default, &Progress::silent(), false)?;
            Ok(())
        })?);
    } else {
        eprintln!("  scale {scale:>3} synth    (reusing {})", input.display());
    }
    let pipeline = Pipeline::from_path(&input.join("pipeline.toml"))?;
    let out = tempfile::tempdir()?;
    let out = out.path();
    let progress = Progress::silent();
    stages.push(measure(scale, "ingest", |_| sum_sources(&manifest(out).unwrap_or_default(), "rows_read"), || {
        Ok(run::ingest(&pipeline, out, &progress).map(|_| ())?)
    })?);
    let staged = sum_sources(&manifest(out)?, "rows_staged");
    stages.push(measure(scale, "analyse", |_| staged, || Ok(run::analyse(&pipeline, out, &progress)?))?);
    let tables = table_rows(out)?;
    stages.push(measure(scale, "report", |_| tables, || Ok(run::report(&pipeline, out, &progress)?))?);
    let run: Vec<&Stage> = stages.iter().filter(|s| s.stage != "synth").collect();
    let total = Stage {
        scale,
        stage: "total",
        seconds: run.iter().map(|s| s.seconds).sum(),
        rows: run.first().map(|s| s.rows).unwrap_or(0),
        peak_rss_mib: run.iter().map(|s| s.peak_rss_mib).fold(0.0, f64::max),
    };
    eprintln!("  scale {scale:>3} total    {:>8.2} s", total.seconds);
    stages.push(total);
    Ok(stages)
}

/// Point-in-polygon throughput against the real London wards (704 polygons): points spread uniformly over
/// the boundaries' bounding box, located with the same R-tree + exact test ingest uses.
fn bench_pip(points: usize) -> BenchResult<Option<Stage>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/public/boundaries/london_wards_2022.geojson");
    if !path.is_file() {
        eprintln!("  pip: {} is missing; skipped", path.display());
        return Ok(None);
    }
    let wards = WardSet::from_geojson_path(&path, "WD22CD", "WD22NM", None)?;
    let locator = Locator::new(&wards);
    let b = wards.bounds().ok_or("no ward bounds")?;
    // A fixed low-discrepancy grid (Weyl sequence): reproducible without a random generator.
    let (w, h) = (b.width(), b.height());
    let pts: Vec<(f64, f64)> = (0..points)
        .map(|i| {
            let u = (i as f64 * 0.754_877_666_246_692_7).fract();
            let v = (i as f64 * 0.569_840_290_998_053_2).fract();
            (b.min().x + u * w, b.min().y + v * h)
        })
        .collect();
    eprintln!("  pip: {} wards, {} polygon parts, {points} points", wards.len(), locator.polygon_count());
    let mut inside = 0;
    let stage = measure(0, "pip", |_| points as u64, || {
        inside = locator.locate_many(&pts).iter().filter(|l| l.is_some()).count();
        Ok(())
    })?;
    eprintln!("  pip: {inside} of {points} points fell in a ward");
    Ok(Some(stage))
}

fn main() -> BenchResult<()> {
    // As `sna` itself does.
    sna::allocator::keep_freed_memory();
    if let Ok(n) = std::env::var("SNA_BENCH_THREADS") {
        // Both pools read these before first use.
        unsafe {
            std::env::set_var("RAYON_NUM_THREADS", &n);
            std::env::set_var("POLARS_MAX_THREADS", &n);
        }
    }
    let scales: Vec<u32> = std::env::var("SNA_BENCH_SCALES")
        .unwrap_or_else(|_| "1,10,100".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let profile = if cfg!(debug_assertions) { "debug" } else { "release" };
    eprintln!("pipeline benchmark ({profile} build), peak-RSS reset per stage: {}", reset_peak_rss());
    let mut stages = Vec::new();
    if let Some(s) = bench_pip(5_000_000)? {
        stages.push(s);
    }
    for scale in scales {
        stages.extend(bench_scale(scale)?);
    }

    println!("\n| scale | stage | wall s | rows | rows/s | peak RSS MiB |\n|---:|---|---:|---:|---:|---:|");
    for s in &stages {
        let scale = if s.stage == "pip" { "-".to_string() } else { s.scale.to_string() };
        println!("| {scale} | {} | {:.2} | {} | {:.0} | {:.0} |", s.stage, s.seconds, s.rows, s.rows_per_second(), s.peak_rss_mib);
    }
    let results = json!({
        "profile": profile,
        "threads": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        "rayon_threads": std::env::var("RAYON_NUM_THREADS").ok(),
        "stages": stages.iter().map(|s| json!({
            "scale": s.scale, "stage": s.stage, "seconds": s.seconds, "rows": s.rows,
            "rows_per_second": s.rows_per_second(), "peak_rss_mib": s.peak_rss_mib,
        })).collect::<Vec<_>>(),
    });
    let target = std::env::var_os("SNA_BENCH_RESULTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("bench-results.json"));
    std::fs::write(&target, serde_json::to_string_pretty(&results)? + "\n")?;
    eprintln!("wrote {}", target.display());
    Ok(())
}
