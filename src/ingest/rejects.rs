//! Quarantined rows: every row that cannot be staged goes to `rejects/<source>.csv` with the file, line,
//! reason code and field, so rows read = rows staged + rows rejected holds for every file.

use crate::personal_data::redact;
use crate::fsutil::write_atomic;
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, Clone, PartialEq)]
pub struct Reject {
    pub line: u64,
    pub reason: String,
    pub field: String,
    /// The offending value, or `[redacted]` for personal fields.
    pub value: String,
    pub message: String,
}

impl Reject {
    pub fn new(line: u64, reason: &str, field: &str, value: &str, message: String) -> Reject {
        Reject { line, reason: reason.to_string(), field: field.to_string(), value: value.to_string(), message }
    }
}

/// Rejects of one source, grouped by file in reading order.
#[derive(Debug, Default)]
pub struct RejectLog {
    rows: Vec<(String, Reject)>,
}

impl RejectLog {
    pub fn push(&mut self, file: &str, reject: Reject) {
        self.rows.push((file.to_string(), reject));
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn by_reason(&self, file: &str) -> BTreeMap<String, u64> {
        let mut m = BTreeMap::new();
        for (f, r) in &self.rows {
            if f == file {
                *m.entry(r.reason.clone()).or_insert(0) += 1;
            }
        }
        m
    }

    pub fn rows(&self) -> &[(String, Reject)] {
        &self.rows
    }

    /// Write `rejects/<source>.csv` (always written, header only when nothing was rejected).
    pub fn write(&self, source: &str, path: &Path) -> std::io::Result<()> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(["source", "file", "line", "reason", "field", "value", "message"])?;
        for (file, r) in &self.rows {
            let line = r.line.to_string();
            // Cells that a spreadsheet would run as a formula are prefixed with an apostrophe; very long
            // values are cut so the file still opens in a spreadsheet (32,767 characters a cell); personal
            // data that slipped into another column is redacted.
            let value = defuse_formula(&clip(&redact(&r.value)));
            let message = defuse_formula(&clip(&redact(&r.message)));
            let file = defuse_formula(file);
            w.write_record([source, file.as_ref(), line.as_str(), &r.reason, &r.field, &value, &message])?;
        }
        let bytes = w.into_inner().map_err(|e| std::io::Error::other(e.to_string()))?;
        write_atomic(path, &bytes)
    }
}

/// Longest value or message written to a rejects file, in characters.
pub const MAX_REJECT_TEXT: usize = 1000;

pub(crate) fn clip(v: &str) -> String {
    match v.char_indices().nth(MAX_REJECT_TEXT) {
        None => v.to_string(),
        Some((i, _)) => format!("{}... [{} characters]", &v[..i], v.chars().count()),
    }
}

/// Prefix text a spreadsheet would treat as a formula, so opening the rejects file is safe.
pub fn defuse_formula(v: &str) -> String {
    crate::formula_cells::defuse_formula(v).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_values_are_clipped_and_formulas_defused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("r.csv");
        let mut log = RejectLog::default();
        log.push("f.csv", Reject::new(2, "bad_date", "committed_from", &"x".repeat(5000), "too long".into()));
        log.push("f.csv", Reject::new(3, "bad_date", "committed_from", "=HYPERLINK(\"http://x\")", "m".into()));
        log.write("src", &path).expect("write");
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(text.contains("... [5000 characters]") && text.len() < 2000, "{}", text.len());
        assert!(text.contains("'=HYPERLINK"));
        assert_eq!(defuse_formula("-12.5"), "-12.5");
    }
}
