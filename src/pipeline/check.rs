//! `sna validate --pipeline FILE`: every source of a pipeline read with its `columns` and `values`,
//! linked, pseudonymised and located exactly as `sna ingest` would, into a temporary folder that is removed
//! afterwards; what would be staged, quarantined and repaired is printed per file. Nothing is written to
//! the pipeline's output folder.

use super::config::Pipeline;
use super::run::ingest_stage;
use crate::error::{Result, SnaError};
use crate::progress::Progress;
use crate::number_format::thousands;
use serde_json::Value;
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// A folder under the system's temporary directory, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> std::io::Result<Scratch> {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        let dir = std::env::temp_dir().join(format!("sna-validate-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        Ok(Scratch(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn n(v: &Value, k: &str) -> u64 {
    v.get(k).and_then(Value::as_u64).unwrap_or(0)
}


fn counts(map: Option<&Value>) -> Vec<(String, u64)> {
    let mut v: Vec<(String, u64)> = map
        .and_then(Value::as_object)
        .map(|m| m.iter().map(|(k, x)| (k.clone(), x.as_u64().unwrap_or(0))).collect())
        .unwrap_or_default();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v
}

fn joined(v: &[(String, u64)]) -> String {
    v.iter().map(|(k, x)| format!("{k} {}", thousands(*x))).collect::<Vec<_>>().join(", ")
}

/// The per-source, per-file account of a manifest's `sources`.
pub fn render(manifest: &Value, out_dir: &Path) -> String {
    let mut out = String::new();
    let sources = manifest.get("sources").and_then(Value::as_array).cloned().unwrap_or_default();
    for s in &sources {
        let name = s.get("source").and_then(Value::as_str).unwrap_or("");
        let files = s.get("files").and_then(Value::as_array).cloned().unwrap_or_default();
        let _ = writeln!(
            out,
            "\n{name}: {} file(s): {} rows read, {} would be staged ({} with values repaired), {} would be quarantined",
            files.len(),
            thousands(n(s, "rows_read")),
            thousands(n(s, "rows_staged")),
            thousands(n(s, "rows_repaired")),
            thousands(n(s, "rows_rejected"))
        );
        for f in &files {
            let path = f.get("path").and_then(Value::as_str).unwrap_or("");
            let _ = writeln!(
                out,
                "  {path}: {} read, {} staged, {} quarantined",
                thousands(n(f, "rows_read")),
                thousands(n(f, "rows_staged")),
                thousands(n(f, "rows_rejected"))
            );
            if let Some(cols) = f.get("columns_matched").and_then(Value::as_object) {
                let shown: Vec<String> = cols.iter().map(|(k, h)| format!("{k} <- \"{}\"", h.as_str().unwrap_or(""))).collect();
                let _ = writeln!(out, "    columns: {}", shown.join(", "));
            }
            let ignored: Vec<String> = f
                .get("columns_ignored")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).map(|h| format!("\"{h}\"")).collect())
                .unwrap_or_default();
            if !ignored.is_empty() {
                let _ = writeln!(out, "    ignored columns (not staged): {}", ignored.join(", "));
            }
            let rejects = counts(f.get("rejects_by_reason"));
            if !rejects.is_empty() {
                let _ = writeln!(out, "    quarantined by reason: {}", joined(&rejects));
            }
            if let Some(issues) = f.get("field_issues").and_then(Value::as_object) {
                for (field, reasons) in issues {
                    let _ = writeln!(out, "    repaired {field}: {}", joined(&counts(Some(reasons))));
                }
            }
            if n(f, "time_unknown") > 0 {
                let _ = writeln!(out, "    no time of day: {} row(s) (left out of the time-of-day tables)", thousands(n(f, "time_unknown")));
            }
            let located = counts(f.get("location_status"));
            if !located.is_empty() {
                let _ = writeln!(out, "    location: {}", joined(&located));
            }
        }
        // The commonest repaired values of the whole source, so local codes can be mapped at once.
        for g in s.get("field_issues").and_then(Value::as_array).cloned().unwrap_or_default() {
            let values: Vec<String> = g
                .get("values")
                .and_then(Value::as_array)
                .map(|vals| {
                    vals.iter()
                        .take(5)
                        .filter_map(|pair| Some(format!("\"{}\" ({})", pair.get(0)?.as_str()?, thousands(pair.get(1)?.as_u64()?))))
                        .collect()
                })
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  values of {} ({}, {}): {}",
                g.get("field").and_then(Value::as_str).unwrap_or(""),
                g.get("reason").and_then(Value::as_str).unwrap_or(""),
                g.get("repair").and_then(Value::as_str).unwrap_or(""),
                values.join(", ")
            );
        }
    }
    let warnings: Vec<String> = manifest
        .get("warnings")
        .and_then(Value::as_array)
        .map(|w| w.iter().filter_map(|x| x.get("message").and_then(Value::as_str).map(str::to_string)).collect())
        .unwrap_or_default();
    if !warnings.is_empty() {
        let _ = writeln!(out, "\n{} warning(s):", warnings.len());
        for w in warnings {
            let _ = writeln!(out, "  warning: {w}");
        }
    }
    let _ = writeln!(out, "\nNothing was written to {} (this was a check).", out_dir.display());
    out
}

/// Every file's header row against its source's dictionary and mapping, so that all the mapping problems of
/// a pipeline are listed at once (ingest stops at the first).
fn header_problems(p: &Pipeline) -> Result<Vec<(bool, String)>> {
    let registry = crate::dictionary::Registry::embedded()?;
    let mut problems = Vec::new();
    for s in &p.sources {
        let dict = registry.get(&s.name)?;
        for f in &s.files {
            let display = f.path.strip_prefix(&p.base_dir).unwrap_or(&f.path).display().to_string();
            let table = crate::ingest::reader::open_table_with(&f.path, f.sheet.as_deref(), &p.ingest.workbook)
                .and_then(|t| crate::ingest::reshape::apply(dict.file.reshape.as_ref(), &f.path, t));
            let found = match table {
                Ok(t) => t.headers,
                Err(e) => {
                    problems.push((false, e.to_string()));
                    continue;
                }
            };
            if let Err(e) = crate::ingest::source::map_headers(dict, &s.name, &display, &found, &f.mapping) {
                problems.push((e.is_usage(), e.to_string()));
            }
        }
    }
    Ok(problems)
}

/// Check `p`'s sources; print the account; fail as `sna ingest` would (a source with nothing staged, a
/// mapped header missing, `--strict` warnings).
pub fn check_pipeline(p: &Pipeline, out_dir: &Path) -> Result<()> {
    let problems = header_problems(p)?;
    if !problems.is_empty() {
        println!("{} ({}): {} file(s) cannot be read as mapped:", p.name, p.origin, problems.len());
        for (_, m) in &problems {
            println!("  {m}");
        }
        let message = format!("{} file(s) cannot be read as mapped (listed above); nothing was checked further", problems.len());
        // A mapping naming a header the file lacks is a pipeline-file error (exit 2); anything else exit 1.
        return Err(if problems.iter().all(|(usage, _)| *usage) {
            SnaError::Usage(message)
        } else {
            SnaError::Ingest(crate::ingest::IngestError::File { file: p.origin.clone(), message })
        });
    }
    let scratch = Scratch::new().map_err(|e| SnaError::io("creating a temporary folder for the check", e))?;
    let verdict = ingest_stage(p, &scratch.0, &Progress::new(true))?;
    let manifest: Option<Value> = std::fs::read_to_string(scratch.0.join("manifest.json")).ok().and_then(|t| serde_json::from_str(&t).ok());
    println!("{} ({}): {} source(s)", p.name, p.origin, p.sources.len());
    if let Some(m) = &manifest {
        print!("{}", render(m, out_dir));
    }
    verdict.check(p.strict)
}
