//! Loud losses: a source that quarantines much of what it read, repairs one field in much of what it staged,
//! lost the time of day or the location of much of it, gets a warning naming the top reasons with example
//! values (printed at the end of the run, kept in the manifest, put at the top of the summary); a source
//! that staged nothing fails the run instead of reporting zeros. The shares are data
//! (`seeds/ingest_defaults.toml`, overridden by a pipeline's `[ingest]` table).

use super::rejects::RejectLog;
use super::SourceReport;
use crate::number_format::thousands;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Shares of a source above which its losses are called out.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LossThresholds {
    /// Rows quarantined, of rows read.
    pub quarantined_share: f64,
    /// Rows with one field repaired (nulled, kept off-list), of rows staged, per field.
    pub repaired_share: f64,
    /// Rows whose event time has no time of day, of rows staged.
    pub time_unknown_share: f64,
    /// Rows that could not be placed anywhere (no usable coordinates, LSOA or ward), of rows staged.
    pub unlocated_share: f64,
}

impl LossThresholds {
    /// Every share must lie in 0..=1. Errors are (key, message).
    pub fn check(&self) -> Result<(), (String, String)> {
        for (k, v) in [
            ("quarantined_share", self.quarantined_share),
            ("repaired_share", self.repaired_share),
            ("time_unknown_share", self.time_unknown_share),
            ("unlocated_share", self.unlocated_share),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return Err((format!("[ingest] {k}"), format!("{v} must be a share from 0 to 1, e.g. 0.2")));
            }
        }
        Ok(())
    }
}

impl Default for LossThresholds {
    fn default() -> Self {
        LossThresholds { quarantined_share: 0.2, repaired_share: 0.2, time_unknown_share: 0.2, unlocated_share: 0.2 }
    }
}

/// One call-out about a source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Warning {
    pub source: String,
    /// `quarantined`, `repaired`, `time_unknown`, `unlocated`.
    pub kind: String,
    pub message: String,
}

fn pct(n: u64, of: u64) -> String {
    if of == 0 { "0%".into() } else { format!("{:.1}%", n as f64 * 100.0 / of as f64) }
}


fn quoted(values: &[String]) -> String {
    if values.is_empty() { String::new() } else { format!(", e.g. {}", values.iter().map(|v| format!("\"{v}\"")).collect::<Vec<_>>().join(", ")) }
}

/// The top three (reason, field) groups of a reject log with up to three example values each.
pub fn top_reject_reasons(rejects: &RejectLog, of: u64) -> String {
    let mut groups: BTreeMap<(String, String), (u64, Vec<String>)> = BTreeMap::new();
    for (_, r) in rejects.rows() {
        let g = groups.entry((r.reason.clone(), r.field.clone())).or_default();
        g.0 += 1;
        let v: String = r.value.chars().take(40).collect();
        if g.1.len() < 3 && !v.is_empty() && !g.1.contains(&v) {
            g.1.push(v);
        }
    }
    let mut sorted: Vec<_> = groups.into_iter().collect();
    sorted.sort_by(|a, b| b.1 .0.cmp(&a.1 .0).then_with(|| a.0.cmp(&b.0)));
    sorted
        .iter()
        .take(3)
        .map(|((reason, field), (n, ex))| {
            let what = if field.is_empty() { reason.clone() } else { format!("{reason} in {field}") };
            format!("{what}: {} ({}){}", thousands(*n), pct(*n, of), quoted(ex))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Warnings about one ingested source.
pub fn warnings(report: &SourceReport, rejects: &RejectLog, t: &LossThresholds) -> Vec<Warning> {
    let mut out = Vec::new();
    let w = |kind: &str, message: String| Warning { source: report.source.clone(), kind: kind.into(), message };
    let (read, staged) = (report.rows_read, report.rows_staged);
    if read > 0 && report.rows_rejected as f64 > t.quarantined_share * read as f64 {
        out.push(w(
            "quarantined",
            format!(
                "{}: {} of {} rows ({}) were quarantined: {}; see {}",
                report.source,
                thousands(report.rows_rejected),
                thousands(read),
                pct(report.rows_rejected, read),
                top_reject_reasons(rejects, read),
                report.rejects
            ),
        ));
    }
    if staged == 0 {
        return out;
    }
    // Per field: the rows whose value of it was repaired (a row has one issue per field at most).
    let mut by_field: BTreeMap<&str, (u64, Vec<&super::field_issues::IssueGroup>)> = BTreeMap::new();
    for g in &report.field_issues {
        let e = by_field.entry(g.field.as_str()).or_default();
        e.0 += g.count;
        e.1.push(g);
    }
    for (field, (n, groups)) in by_field {
        if n as f64 <= t.repaired_share * staged as f64 {
            continue;
        }
        let detail: Vec<String> = groups
            .iter()
            .map(|g| {
                let ex: Vec<String> = g.values.iter().take(3).map(|(v, c)| format!("{v} ({})", thousands(*c))).collect();
                format!("{} {}{}", g.reason, g.repair, quoted(&ex).replace("\"", ""))
            })
            .collect();
        out.push(w(
            "repaired",
            format!(
                "{}: {field} could not be used as read in {} of {} staged rows ({}): {}. If these are local codes, map them in the pipeline file: [sources.{}] values.{field} = {{ \"<value in file>\" = \"<code>\" }}; see {}",
                report.source,
                thousands(n),
                thousands(staged),
                pct(n, staged),
                detail.join("; "),
                report.source,
                report.field_issues_file
            ),
        ));
    }
    if report.time_unknown as f64 > t.time_unknown_share * staged as f64 {
        out.push(w(
            "time_unknown",
            format!(
                "{}: {} of {} staged rows ({}) have a date but no time of day; they are left out of the time-of-day tables. If the export keeps the time in a column of its own, map both: [sources.{}] columns.<field> = [\"<date header>\", \"<time header>\"]",
                report.source,
                thousands(report.time_unknown),
                thousands(staged),
                pct(report.time_unknown, staged),
                report.source
            ),
        ));
    }
    let unlocated: u64 = report.files.iter().filter_map(|f| f.location_status.get("unlocated")).sum();
    if unlocated as f64 > t.unlocated_share * staged as f64 {
        out.push(w(
            "unlocated",
            format!(
                "{}: {} of {} staged rows ({}) could not be placed in a ward (no usable coordinates, LSOA or ward code); they count in area totals only",
                report.source,
                thousands(unlocated),
                thousands(staged),
                pct(unlocated, staged)
            ),
        ));
    }
    out
}

/// Why a source that staged nothing cannot be analysed, or None when it staged rows.
pub fn nothing_staged(report: &SourceReport, rejects: &RejectLog) -> Option<String> {
    if report.rows_staged > 0 {
        return None;
    }
    if report.rows_read == 0 {
        return Some(format!("{}: its files hold no data rows, so there is nothing to analyse", report.source));
    }
    Some(format!(
        "{}: none of its {} rows could be staged: {}; see {}. Fix the mapping (sna validate --pipeline shows what each file would stage) rather than report on nothing",
        report.source,
        thousands(report.rows_read),
        top_reject_reasons(rejects, report.rows_read),
        report.rejects
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::field_issues::IssueGroup;
    use crate::ingest::rejects::Reject;

    fn report(read: u64, staged: u64) -> SourceReport {
        SourceReport {
            source: "police_offences".into(),
            dictionary_sha256: String::new(),
            staged: String::new(),
            rejects: "rejects/police_offences.csv".into(),
            field_issues_file: "rejects/police_offences_field_issues.csv".into(),
            rows_read: read,
            rows_staged: staged,
            rows_rejected: read - staged,
            rows_repaired: 0,
            fields_repaired: 0,
            time_unknown: 0,
            field_issues: Vec::new(),
            files: Vec::new(),
            warnings: Vec::new(),
            nothing_staged: None,
        }
    }

    #[test]
    fn losses_over_the_thresholds_are_called_out_with_reasons_and_examples() {
        let t = LossThresholds::default();
        let mut log = RejectLog::default();
        for i in 0..30 {
            log.push("f.csv", Reject::new(i + 2, "bad_date", "committed_from", &format!("31/02/20{i:02}"), String::new()));
        }
        log.push("f.csv", Reject::new(40, "duplicate", "crime_ref", "CR1", String::new()));
        let mut r = report(100, 69);
        r.time_unknown = 50;
        r.field_issues = vec![IssueGroup {
            field: "outcome_code".into(),
            reason: "unknown_code".into(),
            repair: "nulled".into(),
            count: 40,
            values: vec![("Charged/Summonsed".into(), 30), ("NFA".into(), 10)],
            other_values: 0,
        }];
        let w = warnings(&r, &log, &t);
        let kinds: Vec<&str> = w.iter().map(|w| w.kind.as_str()).collect();
        assert_eq!(kinds, ["quarantined", "repaired", "time_unknown"]);
        assert!(w[0].message.contains("31 of 100 rows (31.0%)") && w[0].message.contains("bad_date in committed_from: 30 (30.0%), e.g. \"31/02/2000\""), "{}", w[0].message);
        assert!(w[0].message.contains("duplicate in crime_ref: 1"), "{}", w[0].message);
        assert!(w[1].message.contains("outcome_code could not be used as read in 40 of 69") && w[1].message.contains("Charged/Summonsed (30)"), "{}", w[1].message);
        assert!(w[2].message.contains("50 of 69 staged rows"), "{}", w[2].message);
        // Below the thresholds: quiet.
        let quiet = report(100, 95);
        assert!(warnings(&quiet, &RejectLog::default(), &t).is_empty());
        assert!(nothing_staged(&quiet, &RejectLog::default()).is_none());
        let none = report(100, 0);
        let why = nothing_staged(&none, &log).expect("nothing staged");
        assert!(why.contains("none of its 100 rows") && why.contains("bad_date in committed_from"), "{why}");
    }
}
