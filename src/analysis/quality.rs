//! Data quality: per staged source and field, completeness (share non-null); per source and file, rejects
//! by reason as ingest recorded them in `manifest.json`; per source, field and reason, the values ingest
//! repaired (from the manifest's summary); per located source, the shares of records that were unlocated
//! or outside the area (from the staged `location_status`).

use super::inputs::scan;
use super::partners::strings;
use super::{AnalysisContext, AnalysisError, TableSink};
use crate::stats::{wilson_interval, ProportionEstimate};
use polars::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Staged reference tables, not sources.
const REFERENCE: [&str; 2] = ["wards", "population"];
/// Provenance columns ingest adds to every staged table.
const PROVENANCE: [&str; 2] = ["source_file", "source_line"];

pub fn write_tables(ctx: &AnalysisContext, sink: &mut TableSink) -> Result<(), AnalysisError> {
    let out_dir = ctx.staged_dir.parent().map(Path::to_path_buf).unwrap_or_default();
    let manifest = read_manifest(&out_dir);
    let sources = staged_sources(&ctx.staged_dir, manifest.as_ref());
    let mut completeness = Vec::new();
    let mut location = Vec::new();
    for source in &sources {
        let path = ctx.staged_dir.join(format!("{source}.parquet"));
        if !path.is_file() {
            continue;
        }
        // Only counts are needed: aggregate in the scan rather than holding each whole table.
        let lf = scan(&path)?;
        completeness.extend(field_completeness(source, lf.clone())?);
        location.extend(location_shares(ctx, source, lf)?);
    }
    let rejects = manifest.as_ref().map(|m| reject_rows(m, &sources)).unwrap_or_default();
    let issues = manifest.as_ref().map(|m| field_issue_rows(m, &sources)).unwrap_or_default();
    sink.write("quality_completeness", completeness_table(ctx, &completeness))?;
    sink.write("quality_rejects", rejects_table(ctx, &rejects))?;
    sink.write("quality_field_issues", field_issues_table(ctx, &issues))?;
    sink.write("quality_location", location_table(ctx, &location))?;
    Ok(())
}

fn read_manifest(out_dir: &Path) -> Option<serde_json::Value> {
    let text = std::fs::read_to_string(out_dir.join("manifest.json")).ok()?;
    serde_json::from_str(&text).ok()
}

/// Sources with a staged table: those the manifest lists, else every `staged/*.parquet` but the reference
/// tables.
fn staged_sources(staged: &Path, manifest: Option<&serde_json::Value>) -> Vec<String> {
    let listed: Vec<String> = manifest
        .and_then(|m| m.get("sources"))
        .and_then(|s| s.as_array())
        .map(|a| a.iter().filter_map(|s| s.get("source").and_then(|v| v.as_str()).map(str::to_string)).collect())
        .unwrap_or_default();
    let mut out: Vec<String> = if listed.is_empty() {
        std::fs::read_dir(staged)
            .map(|rd| {
                rd.filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
                    .filter_map(|p: PathBuf| p.file_stem().map(|s| s.to_string_lossy().to_string()))
                    .filter(|s| !REFERENCE.contains(&s.as_str()))
                    .collect()
            })
            .unwrap_or_default()
    } else {
        listed
    };
    out.retain(|s| staged.join(format!("{s}.parquet")).is_file());
    out.sort();
    out.dedup();
    out
}

#[derive(Debug, Clone)]
pub struct Completeness {
    source: String,
    field: String,
    rows: u64,
    non_null: u64,
}

fn field_completeness(source: &str, lf: LazyFrame) -> Result<Vec<Completeness>, AnalysisError> {
    let e = |e| AnalysisError::polars(&format!("completeness of {source}"), e);
    let schema = lf.clone().collect_schema().map_err(e)?;
    // Not fields of the extract: provenance and ingest's links to a parent's staged row (`<parent>_row`).
    let fields: Vec<String> =
        schema.iter_names().filter(|n| !PROVENANCE.contains(&n.as_str()) && !n.ends_with("_row")).map(|n| n.to_string()).collect();
    let mut exprs: Vec<Expr> = vec![len().cast(DataType::UInt64).alias("__rows")];
    exprs.extend(fields.iter().enumerate().map(|(i, f)| col(f.as_str()).null_count().cast(DataType::UInt64).alias(format!("__null_{i}"))));
    let counts = lf.select(exprs).collect().map_err(e)?;
    let count = |name: &str| -> Result<u64, AnalysisError> {
        Ok(counts.column(name).and_then(|c| c.u64().cloned()).map_err(e)?.get(0).unwrap_or(0))
    };
    let rows = count("__rows")?;
    let mut out = Vec::with_capacity(fields.len());
    for (i, field) in fields.into_iter().enumerate() {
        let nulls = count(&format!("__null_{i}"))?;
        out.push(Completeness { source: source.to_string(), field, rows, non_null: rows - nulls });
    }
    Ok(out)
}

fn completeness_table(ctx: &AnalysisContext, rows: &[Completeness]) -> PolarsResult<DataFrame> {
    let n = rows.len();
    df!(
        "definition" => vec![ctx.definition.name().to_string(); n],
        "definition_sha256" => vec![ctx.definition.sha256.clone(); n],
        "source" => rows.iter().map(|r| r.source.clone()).collect::<Vec<_>>(),
        "field" => rows.iter().map(|r| r.field.clone()).collect::<Vec<_>>(),
        "rows" => rows.iter().map(|r| r.rows).collect::<Vec<_>>(),
        "non_null" => rows.iter().map(|r| r.non_null).collect::<Vec<_>>(),
        "completeness" => rows.iter().map(|r| if r.rows > 0 { Some(r.non_null as f64 / r.rows as f64) } else { None }).collect::<Vec<_>>(),
    )
}

#[derive(Debug, Clone)]
pub struct RejectRow {
    source: String,
    file: String,
    rows_read: u64,
    rows_staged: u64,
    reason: String,
    rejects: u64,
}

/// One row per source, file and reject reason; a file with no rejects gets one row with reason "none".
fn reject_rows(manifest: &serde_json::Value, sources: &[String]) -> Vec<RejectRow> {
    let mut out = Vec::new();
    let Some(list) = manifest.get("sources").and_then(|s| s.as_array()) else { return out };
    let num = |v: &serde_json::Value, k: &str| v.get(k).and_then(|x| x.as_u64()).unwrap_or(0);
    for s in list {
        let Some(name) = s.get("source").and_then(|v| v.as_str()) else { continue };
        if !sources.iter().any(|x| x == name) {
            continue;
        }
        for f in s.get("files").and_then(|f| f.as_array()).map(Vec::as_slice).unwrap_or(&[]) {
            let file = f.get("path").and_then(|v| v.as_str()).unwrap_or("").to_string();
            let (read, staged) = (num(f, "rows_read"), num(f, "rows_staged"));
            let reasons: BTreeMap<String, u64> = f
                .get("rejects_by_reason")
                .and_then(|r| r.as_object())
                .map(|o| o.iter().map(|(k, v)| (k.clone(), v.as_u64().unwrap_or(0))).collect())
                .unwrap_or_default();
            let row = |reason: String, rejects: u64| RejectRow { source: name.to_string(), file: file.clone(), rows_read: read, rows_staged: staged, reason, rejects };
            if reasons.is_empty() {
                out.push(row("none".into(), 0));
            }
            for (reason, k) in reasons {
                out.push(row(reason, k));
            }
        }
    }
    out
}

fn rejects_table(ctx: &AnalysisContext, rows: &[RejectRow]) -> PolarsResult<DataFrame> {
    let n = rows.len();
    df!(
        "definition" => vec![ctx.definition.name().to_string(); n],
        "definition_sha256" => vec![ctx.definition.sha256.clone(); n],
        "source" => rows.iter().map(|r| r.source.clone()).collect::<Vec<_>>(),
        "file" => rows.iter().map(|r| r.file.clone()).collect::<Vec<_>>(),
        "rows_read" => rows.iter().map(|r| r.rows_read).collect::<Vec<_>>(),
        "rows_staged" => rows.iter().map(|r| r.rows_staged).collect::<Vec<_>>(),
        "reason" => rows.iter().map(|r| r.reason.clone()).collect::<Vec<_>>(),
        "rejects" => rows.iter().map(|r| r.rejects).collect::<Vec<_>>(),
        "share_of_rows_read" => rows.iter().map(|r| if r.rows_read > 0 { Some(r.rejects as f64 / r.rows_read as f64) } else { None }).collect::<Vec<_>>(),
    )
}

#[derive(Debug, Clone, PartialEq)]
pub struct IssueRow {
    source: String,
    field: String,
    reason: String,
    repair: String,
    value: String,
    rows: u64,
    rows_staged: u64,
}

/// Repaired values as ingest summarised them in the manifest: one row per source, field, reason and value
/// (commonest first, the rest as "(other values)"), e.g. every HO code not on the list with its count.
fn field_issue_rows(manifest: &serde_json::Value, sources: &[String]) -> Vec<IssueRow> {
    let mut out = Vec::new();
    let Some(list) = manifest.get("sources").and_then(|s| s.as_array()) else { return out };
    let text = |v: &serde_json::Value, k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_string();
    for s in list {
        let name = text(s, "source");
        if !sources.contains(&name) {
            continue;
        }
        let staged = s.get("rows_staged").and_then(|x| x.as_u64()).unwrap_or(0);
        for g in s.get("field_issues").and_then(|g| g.as_array()).map(Vec::as_slice).unwrap_or(&[]) {
            let row = |value: String, rows: u64| IssueRow {
                source: name.clone(),
                field: text(g, "field"),
                reason: text(g, "reason"),
                repair: text(g, "repair"),
                value,
                rows,
                rows_staged: staged,
            };
            for pair in g.get("values").and_then(|v| v.as_array()).map(Vec::as_slice).unwrap_or(&[]) {
                if let (Some(v), Some(n)) = (pair.get(0).and_then(|x| x.as_str()), pair.get(1).and_then(|x| x.as_u64())) {
                    out.push(row(v.to_string(), n));
                }
            }
            let other = g.get("other_values").and_then(|x| x.as_u64()).unwrap_or(0);
            if other > 0 {
                out.push(row("(other values)".into(), other));
            }
        }
    }
    out
}

fn field_issues_table(ctx: &AnalysisContext, rows: &[IssueRow]) -> PolarsResult<DataFrame> {
    let n = rows.len();
    let text = |f: &dyn Fn(&IssueRow) -> &str| rows.iter().map(|r| f(r).to_string()).collect::<Vec<_>>();
    df!(
        "definition" => vec![ctx.definition.name().to_string(); n],
        "definition_sha256" => vec![ctx.definition.sha256.clone(); n],
        "source" => text(&|r| &r.source),
        "field" => text(&|r| &r.field),
        "reason" => text(&|r| &r.reason),
        "repair" => text(&|r| &r.repair),
        "value" => text(&|r| &r.value),
        "rows" => rows.iter().map(|r| r.rows).collect::<Vec<_>>(),
        "rows_staged" => rows.iter().map(|r| r.rows_staged).collect::<Vec<_>>(),
        "share_of_rows_staged" => rows.iter().map(|r| if r.rows_staged > 0 { Some(r.rows as f64 / r.rows_staged as f64) } else { None }).collect::<Vec<_>>(),
    )
}

#[derive(Debug, Clone)]
pub struct LocationRow {
    source: String,
    status: String,
    records: u64,
    rows: u64,
    estimate: Option<ProportionEstimate>,
}

/// Records by `location_status` (every status seen, plus `unlocated` and `outside_area` even at zero).
/// Sources that are not located (no `location_status`) give no rows.
fn location_shares(ctx: &AnalysisContext, source: &str, lf: LazyFrame) -> Result<Vec<LocationRow>, AnalysisError> {
    let e = |e| AnalysisError::polars(&format!("location status of {source}"), e);
    if lf.clone().collect_schema().map_err(e)?.get("location_status").is_none() {
        return Ok(Vec::new());
    }
    let counts = lf
        .group_by([col("location_status").cast(DataType::String)])
        .agg([len().cast(DataType::UInt64).alias("__records")])
        .collect()
        .map_err(e)?;
    let statuses = strings(&counts, "location_status")?;
    let records = counts.column("__records").and_then(|c| c.u64().cloned()).map_err(e)?;
    let mut by: BTreeMap<String, u64> = BTreeMap::from([("unlocated".to_string(), 0), ("outside_area".to_string(), 0)]);
    for (s, k) in statuses.into_iter().zip(records.iter()) {
        *by.entry(s.unwrap_or_else(|| "not recorded".into())).or_insert(0) += k.unwrap_or(0);
    }
    let rows = by.values().sum();
    Ok(by
        .into_iter()
        .map(|(status, k)| LocationRow { source: source.to_string(), status, records: k, rows, estimate: wilson_interval(k, rows, ctx.confidence).ok() })
        .collect())
}

fn location_table(ctx: &AnalysisContext, rows: &[LocationRow]) -> PolarsResult<DataFrame> {
    let n = rows.len();
    let est = |f: &dyn Fn(&ProportionEstimate) -> f64| rows.iter().map(|r| r.estimate.as_ref().map(f)).collect::<Vec<Option<f64>>>();
    df!(
        "definition" => vec![ctx.definition.name().to_string(); n],
        "definition_sha256" => vec![ctx.definition.sha256.clone(); n],
        "source" => rows.iter().map(|r| r.source.clone()).collect::<Vec<_>>(),
        "location_status" => rows.iter().map(|r| r.status.clone()).collect::<Vec<_>>(),
        "records" => rows.iter().map(|r| r.records).collect::<Vec<_>>(),
        "rows" => rows.iter().map(|r| r.rows).collect::<Vec<_>>(),
        "share" => est(&|e| e.proportion),
        "lower" => est(&|e| e.lower),
        "upper" => est(&|e| e.upper),
        "method" => rows.iter().map(|r| r.estimate.as_ref().map(|e| e.method.to_string())).collect::<Vec<_>>(),
        "confidence" => vec![ctx.confidence; n],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_come_from_the_manifest_per_file_and_reason() {
        let m: serde_json::Value = serde_json::from_str(
            r#"{"sources":[{"source":"las","files":[{"path":"a.csv","rows_read":10,"rows_staged":7,"rejects_by_reason":{"bad_date":2,"duplicate":1}},{"path":"b.csv","rows_read":5,"rows_staged":5,"rejects_by_reason":{}}]},{"source":"gone","files":[]}]}"#,
        )
        .expect("json");
        let rows = reject_rows(&m, &["las".to_string()]);
        let got: Vec<(String, String, u64)> = rows.iter().map(|r| (r.file.clone(), r.reason.clone(), r.rejects)).collect();
        assert_eq!(got, [("a.csv".into(), "bad_date".into(), 2), ("a.csv".into(), "duplicate".into(), 1), ("b.csv".into(), "none".into(), 0)]);
    }

    #[test]
    fn repaired_values_come_from_the_manifest_with_their_frequencies() {
        let m: serde_json::Value = serde_json::from_str(
            r#"{"sources":[{"source":"police_offences","rows_staged":100,"field_issues":[{"field":"ho_code","reason":"unknown_code","repair":"kept as read","count":9,"values":[["99X",6],["12Z",2]],"other_values":1}]}]}"#,
        )
        .expect("json");
        let rows = field_issue_rows(&m, &["police_offences".to_string()]);
        let got: Vec<(&str, u64)> = rows.iter().map(|r| (r.value.as_str(), r.rows)).collect();
        assert_eq!(got, [("99X", 6), ("12Z", 2), ("(other values)", 1)]);
        assert!(rows.iter().all(|r| r.field == "ho_code" && r.rows_staged == 100));
        assert!(field_issue_rows(&m, &["las".to_string()]).is_empty());
    }
}
