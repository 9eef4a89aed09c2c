//! Ingest benchmark: generate a 1,000,000-offence CRIS-style extract over the synthetic borough, ingest it
//! (read, validate, locate by point-in-polygon, stage Parquet) and report rows per second and peak resident
//! memory. No pass/fail: targets are judged by reading the numbers, never by timed assertions in tests.
//!
//!     cargo bench --bench ingest                 # 1,000,000 offences
//!     SNA_BENCH_ROWS=200000 cargo bench --bench ingest

use sna::pipeline::config::Pipeline;
use sna::pipeline::run;
use sna::progress::Progress;
use sna::synth::{generate, write_offence_extract, SynthOptions};
use std::time::Instant;

/// Peak resident set size of this process so far, from /proc (Linux), in MiB.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rows: u64 = std::env::var("SNA_BENCH_ROWS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let dir = tempfile::tempdir()?;
    let input = dir.path().join("input");
    let seed = 42;

    let t = Instant::now();
    generate(&input, &SynthOptions { seed, scale: 1, ..SynthOptions::default() })?;
    let extract = input.join("bench").join("offences_big.csv");
    std::fs::create_dir_all(extract.parent().ok_or("no parent")?)?;
    write_offence_extract(&extract, rows, seed)?;
    let generated = t.elapsed().as_secs_f64();
    let bytes = std::fs::metadata(&extract)?.len();

    let pipeline_text = format!(
        r#"
[assessment]
name = "ingest benchmark"
area = "Exampleton"
period = {{ start = "2025-04-01", end = "2026-03-31" }}
definition = "london-vru"
[geography]
wards = "reference/wards.geojson"
ward_code_property = "WD23CD"
ward_name_property = "WD23NM"
[population]
files = [{{ path = "reference/population.csv", format = "long" }}]
[sources.police_offences]
files = ["{}"]
[privacy]
demo_key = true
"#,
        extract.strip_prefix(&input)?.display()
    );
    let pipeline = Pipeline::from_str(&pipeline_text, "bench.toml", &input)?;
    let out = dir.path().join("out");
    let rss_before = peak_rss_mib().unwrap_or(0.0);
    let t = Instant::now();
    run::ingest(&pipeline, &out, &Progress::silent())?;
    let secs = t.elapsed().as_secs_f64();
    let manifest: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json"))?)?;
    let read = manifest["sources"][0]["rows_read"].as_u64().unwrap_or(0);
    let staged = manifest["sources"][0]["rows_staged"].as_u64().unwrap_or(0);

    println!("ingest benchmark ({} build)", if cfg!(debug_assertions) { "debug" } else { "release" });
    println!("  extract             {rows} offences, {:.1} MiB, generated in {generated:.1} s", bytes as f64 / 1048576.0);
    println!("  rows read / staged  {read} / {staged}");
    println!("  ingest wall time    {secs:.2} s");
    println!("  ingest rows/second  {:.0}", read as f64 / secs);
    println!("  peak RSS            {:.0} MiB (before ingest {:.0} MiB)", peak_rss_mib().unwrap_or(0.0), rss_before);
    Ok(())
}
