//! Quarantined rows: every row that cannot be staged goes to `rejects/<source>.csv` with the file, line,
//! reason code and field, so rows read = rows staged + rows rejected holds for every file.

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
            // Cells that a spreadsheet would run as a formula are prefixed with an apostrophe.
            let value = defuse_formula(&r.value);
            w.write_record([source, file.as_str(), line.as_str(), &r.reason, &r.field, &value, &r.message])?;
        }
        let bytes = w.into_inner().map_err(|e| std::io::Error::other(e.to_string()))?;
        write_atomic(path, &bytes)
    }
}

/// Prefix text a spreadsheet would treat as a formula, so opening the rejects file is safe.
pub fn defuse_formula(v: &str) -> String {
    match v.chars().next() {
        Some('=' | '+' | '-' | '@') if v.parse::<f64>().is_err() => format!("'{v}"),
        _ => v.to_string(),
    }
}
