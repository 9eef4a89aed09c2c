//! Analysis tables as plain rows of text cells, for findings sentences: the report needs a handful of
//! values per table, looked up by column name, and tests can build the same rows by hand.

use std::collections::BTreeMap;
use std::path::Path;

pub type Row = BTreeMap<String, String>;

#[derive(Debug, Clone, Default)]
pub struct Rows {
    pub rows: Vec<Row>,
}

impl Rows {
    /// `tables/<name>.csv`, or None when analysis did not produce it (source not supplied).
    pub fn load(out: &Path, name: &str) -> Option<Rows> {
        let mut r = csv::Reader::from_path(out.join("tables").join(format!("{name}.csv"))).ok()?;
        let headers = r.headers().ok()?.clone();
        let rows = r
            .records()
            .filter_map(|rec| rec.ok())
            .map(|rec| headers.iter().zip(rec.iter()).map(|(h, v)| (h.to_string(), v.to_string())).collect())
            .collect();
        Some(Rows { rows })
    }

    /// Rows whose columns equal the given values.
    pub fn matching(&self, conditions: &[(&str, &str)]) -> Vec<&Row> {
        self.rows.iter().filter(|r| conditions.iter().all(|(k, v)| r.get(*k).map(|x| x.as_str()) == Some(*v))).collect()
    }

    pub fn first(&self, conditions: &[(&str, &str)]) -> Option<&Row> {
        self.matching(conditions).into_iter().next()
    }
}

pub fn num(row: &Row, column: &str) -> Option<f64> {
    row.get(column).and_then(|v| v.parse::<f64>().ok()).filter(|v| v.is_finite())
}

pub fn text<'a>(row: &'a Row, column: &str) -> Option<&'a str> {
    row.get(column).map(|s| s.as_str()).filter(|s| !s.is_empty())
}

/// Build rows by hand (tests): each row is a list of (column, value).
pub fn rows_of(rows: &[&[(&str, &str)]]) -> Rows {
    Rows { rows: rows.iter().map(|r| r.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()).collect() }
}
