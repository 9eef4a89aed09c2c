//! Repaired values, accounted for like rejects: every value of a staged row that could not be used as read
//! (nulled, kept off-list, set to a stand-in code, time left unknown) goes to
//! `rejects/<source>_field_issues.csv` with its file, line, field, reason and what was done, and is summed
//! by field and reason (with the commonest values) for the manifest and the data-quality table.
//!
//! Rows are streamed to the file as they are staged, so a column of codes nobody mapped in a multi-million
//! row extract costs disk, not memory; the summary keeps counts and a bounded set of values.

use super::rejects::defuse_formula;
use super::row::FieldIssue;
use crate::fsutil::temp_sibling;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Distinct values counted per field and reason; rarer values beyond this are summed as "other values".
const MAX_DISTINCT: usize = 1000;
/// Values listed per field and reason in the summary, commonest first.
pub const TOP_VALUES: usize = 20;

/// One field and reason of one source: how many values were repaired, how, and which values they were.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct IssueGroup {
    pub field: String,
    pub reason: String,
    pub repair: String,
    pub count: u64,
    /// (value, rows), commonest first, at most [`TOP_VALUES`]; personal values are `[redacted]`.
    pub values: Vec<(String, u64)>,
    /// Rows whose value is not among `values`.
    pub other_values: u64,
}

#[derive(Default)]
struct Tally {
    repair: String,
    count: u64,
    values: BTreeMap<String, u64>,
    overflow: u64,
}

pub struct FieldIssueLog {
    source: String,
    path: PathBuf,
    tmp: PathBuf,
    writer: Option<csv::Writer<std::io::BufWriter<std::fs::File>>>,
    tallies: BTreeMap<(String, String), Tally>,
}

impl FieldIssueLog {
    /// Start `path` (written to a temporary sibling until [`FieldIssueLog::finish`]).
    pub fn create(source: &str, path: &Path) -> std::io::Result<FieldIssueLog> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let tmp = temp_sibling(path);
        let mut writer = csv::Writer::from_writer(std::io::BufWriter::new(std::fs::File::create(&tmp)?));
        writer.write_record(["source", "file", "line", "field", "reason", "value", "repair", "expected"])?;
        Ok(FieldIssueLog { source: source.to_string(), path: path.to_path_buf(), tmp, writer: Some(writer), tallies: BTreeMap::new() })
    }

    pub fn push(&mut self, file: &str, issue: &FieldIssue) -> std::io::Result<()> {
        let repair = issue.repair.describe();
        // Personal data that slipped into another column is never echoed, here or in the summary.
        let redacted = crate::personal_data::redact(&issue.value);
        if let Some(w) = self.writer.as_mut() {
            let line = issue.line.to_string();
            let value = defuse_formula(&super::rejects::clip(&redacted));
            w.write_record([self.source.as_str(), &defuse_formula(file), &line, &issue.field, &issue.reason, &value, &repair, &issue.expected])?;
        }
        let t = self.tallies.entry((issue.field.clone(), issue.reason.clone())).or_default();
        t.count += 1;
        if t.repair.is_empty() {
            t.repair = repair;
        } else if t.repair != repair && !t.repair.ends_with(" (and others)") {
            t.repair.push_str(" (and others)");
        }
        let shown: String = redacted.chars().take(80).collect();
        let room = t.values.len() < MAX_DISTINCT;
        match t.values.get_mut(&shown) {
            Some(n) => *n += 1,
            None if room => {
                t.values.insert(shown, 1);
            }
            None => t.overflow += 1,
        }
        Ok(())
    }

    /// Put the file in place and return the summary by field and reason.
    pub fn finish(mut self) -> std::io::Result<Vec<IssueGroup>> {
        if let Some(w) = self.writer.take() {
            let mut inner = w.into_inner().map_err(|e| std::io::Error::other(e.to_string()))?;
            inner.flush()?;
            inner.get_ref().sync_all()?;
            drop(inner);
            crate::fsutil::rename_into_place(&self.tmp, &self.path)?;
        }
        let tallies = std::mem::take(&mut self.tallies);
        Ok(tallies
            .into_iter()
            .map(|((field, reason), t)| {
                let mut values: Vec<(String, u64)> = t.values.into_iter().collect();
                // Commonest first; ties by value, so the summary does not depend on arrival order.
                values.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                let listed: u64 = values.iter().take(TOP_VALUES).map(|(_, n)| n).sum();
                values.truncate(TOP_VALUES);
                IssueGroup { field, reason, repair: t.repair, count: t.count, values, other_values: t.count - listed }
            })
            .collect())
    }
}

impl Drop for FieldIssueLog {
    /// A log never finished (the ingest failed) leaves no temporary file behind.
    fn drop(&mut self) {
        if self.writer.take().is_some() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::row::Repair;

    fn issue(line: u64, value: &str) -> FieldIssue {
        FieldIssue { line, field: "outcome_code".into(), reason: "unknown_code".into(), value: value.into(), repair: Repair::Nulled, expected: "a code".into() }
    }

    #[test]
    fn issues_are_written_in_order_and_summarised_by_value() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("rejects").join("x_field_issues.csv");
        let mut log = FieldIssueLog::create("x", &path).expect("create");
        for (line, v) in [(2, "Cautioned"), (3, "=cmd()"), (4, "Cautioned"), (5, "NFA")] {
            log.push("f.csv", &issue(line, v)).expect("push");
        }
        assert!(!path.exists(), "only a finished log is in place");
        let groups = log.finish().expect("finish");
        assert_eq!(groups.len(), 1);
        let g = &groups[0];
        assert_eq!((g.count, g.other_values, g.repair.as_str()), (4, 0, "nulled"));
        assert_eq!(g.values[0], ("Cautioned".to_string(), 2));
        let text = std::fs::read_to_string(&path).expect("read");
        assert_eq!(text.lines().count(), 5);
        assert!(text.contains("x,f.csv,3,outcome_code,unknown_code,'=cmd(),nulled,a code"), "{text}");
    }

    #[test]
    fn an_unfinished_log_leaves_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("y_field_issues.csv");
        let mut log = FieldIssueLog::create("y", &path).expect("create");
        log.push("f.csv", &issue(2, "v")).expect("push");
        drop(log);
        assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 0);
    }
}
