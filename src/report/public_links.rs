//! Links between published tables: "this cell equals the sum of those cells", the data form of a margin that
//! two tables share (`[[links]]` in `seeds/public_tables.toml`). Each link turns into one linear equation per
//! row of its total's table; the public tier suppresses over all of them together, so a cell hidden in one
//! table forces the complementary suppression in every table that shares its margin.

use serde::Deserialize;
use std::collections::BTreeMap;

/// One link: for each row of `total`'s table (that passes its filters), the total cell equals the sum of
/// every part term's matching cells (minus those marked `subtract`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Link {
    /// What the relation is, in words (for the README and error messages).
    pub why: String,
    pub total: LinkTerm,
    pub parts: Vec<LinkTerm>,
    /// Key columns of the total's row; a part row matches when its columns hold the same values (the
    /// part's own column names through its `keys`).
    #[serde(default)]
    pub on: Vec<String>,
}

/// Cells of one table in a link.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkTerm {
    pub table: String,
    /// A count column of `table`.
    pub column: String,
    /// Only rows whose column holds one of the values.
    #[serde(default, rename = "where")]
    pub only: BTreeMap<String, Vec<String>>,
    /// Not rows whose column holds one of the values.
    #[serde(default)]
    pub except: BTreeMap<String, Vec<String>>,
    /// The link's `on` column -> this table's column, where the names differ.
    #[serde(default)]
    pub keys: BTreeMap<String, String>,
    /// The figure is repeated on every matching row: take the first.
    #[serde(default)]
    pub one_row: bool,
    /// Subtracted from the sum instead of added.
    #[serde(default)]
    pub subtract: bool,
    /// Only the hours of the total row's weekly window.
    #[serde(default)]
    pub in_window: Option<WindowColumns>,
}

/// Where a weekly time window and an hour of the week are read from.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowColumns {
    /// The total's columns: days ("Fri,Sat,Sun"), start and end ("18:00"); a window past midnight ends on
    /// the next day. Windows not on whole hours match no hour cells, so the link does not apply.
    pub days: String,
    pub start: String,
    pub end: String,
    /// The part's columns: weekday name ("Mon") and hour (0-23).
    pub weekday: String,
    pub hour: String,
}

/// A published table as the links see it: header, text rows and where its count cells sit in the whole
/// publication (`cell(column, row)`).
pub struct LinkedTable<'a> {
    pub header: &'a [String],
    pub rows: &'a [Vec<String>],
    pub cell: &'a dyn Fn(&str, usize) -> Option<usize>,
}

impl LinkedTable<'_> {
    fn value(&self, row: usize, column: &str) -> Option<&str> {
        let c = self.header.iter().position(|h| h == column)?;
        self.rows.get(row).and_then(|r| r.get(c)).map(String::as_str)
    }
}

impl LinkTerm {
    /// Columns this term reads from its own table (beyond the `on` keys).
    fn own_columns(&self) -> Vec<&str> {
        let mut v = vec![self.column.as_str()];
        v.extend(self.only.keys().map(String::as_str));
        v.extend(self.except.keys().map(String::as_str));
        if let Some(w) = &self.in_window {
            v.extend([w.weekday.as_str(), w.hour.as_str()]);
        }
        v
    }

    fn key_column<'a>(&'a self, on: &'a str) -> &'a str {
        self.keys.get(on).map(String::as_str).unwrap_or(on)
    }

    fn passes(&self, t: &LinkedTable, row: usize) -> bool {
        let is = |col: &str, vals: &[String]| t.value(row, col).is_some_and(|v| vals.iter().any(|x| x == v));
        self.only.iter().all(|(c, vals)| is(c, vals)) && !self.except.iter().any(|(c, vals)| is(c, vals))
    }
}

impl Link {
    /// Why the link cannot be applied to these tables (a column it names is missing), or None. Links naming
    /// a table that is not published are simply not applied.
    pub fn check(&self, header_of: &dyn Fn(&str) -> Option<Vec<String>>) -> Result<(), String> {
        let mut missing = Vec::new();
        let mut need = |table: &str, cols: Vec<&str>| {
            if let Some(header) = header_of(table) {
                missing.extend(cols.into_iter().filter(|c| !header.iter().any(|h| h == c)).map(|c| format!("{table}.{c}")));
            }
        };
        let mut total_cols = self.total.own_columns();
        total_cols.extend(self.on.iter().map(String::as_str));
        need(&self.total.table, total_cols);
        for term in &self.parts {
            let mut cols = term.own_columns();
            cols.extend(self.on.iter().map(|o| term.key_column(o)));
            need(&term.table, cols);
            if let Some(w) = &term.in_window {
                need(&self.total.table, vec![w.days.as_str(), w.start.as_str(), w.end.as_str()]);
            }
        }
        if missing.is_empty() {
            Ok(())
        } else {
            missing.sort();
            missing.dedup();
            Err(format!("link \"{}\" names columns the tables lack: {}", self.why, missing.join(", ")))
        }
    }

    /// The link's equations (cell index, coefficient), one per total row whose every part term matched at
    /// least one row. Empty when a table it names is not published.
    pub fn equations(&self, tables: &BTreeMap<&str, LinkedTable>) -> Vec<Vec<(usize, i64)>> {
        let Some(total) = tables.get(self.total.table.as_str()) else { return Vec::new() };
        let parts: Option<Vec<&LinkedTable>> = self.parts.iter().map(|p| tables.get(p.table.as_str())).collect();
        let Some(parts) = parts else { return Vec::new() };
        let mut out = Vec::new();
        'rows: for r in 0..total.rows.len() {
            if !self.total.passes(total, r) {
                continue;
            }
            let Some(total_cell) = (total.cell)(&self.total.column, r) else { continue };
            let key: Vec<&str> = self.on.iter().map(|c| total.value(r, c).unwrap_or("")).collect();
            let mut eq: BTreeMap<usize, i64> = BTreeMap::new();
            *eq.entry(total_cell).or_default() += 1;
            for (term, t) in self.parts.iter().zip(&parts) {
                let hours = match &term.in_window {
                    Some(w) => match window_hours(total.value(r, &w.days), total.value(r, &w.start), total.value(r, &w.end)) {
                        Some(h) => Some((w, h)),
                        None => continue 'rows,
                    },
                    None => None,
                };
                let mut matched = 0;
                for q in 0..t.rows.len() {
                    let same_key = self.on.iter().zip(&key).all(|(o, v)| t.value(q, term.key_column(o)) == Some(*v));
                    if !same_key || !term.passes(t, q) {
                        continue;
                    }
                    if let Some((w, hours)) = &hours {
                        let at = weekday_index(t.value(q, &w.weekday).unwrap_or("")).zip(t.value(q, &w.hour).and_then(|h| h.trim().parse::<usize>().ok()));
                        if !at.is_some_and(|dh| hours.contains(&dh)) {
                            continue;
                        }
                    }
                    let Some(c) = (t.cell)(&term.column, q) else { continue };
                    *eq.entry(c).or_default() += if term.subtract { 1 } else { -1 };
                    matched += 1;
                    if term.one_row {
                        break;
                    }
                }
                if matched == 0 {
                    continue 'rows;
                }
            }
            let eq: Vec<(usize, i64)> = eq.into_iter().filter(|(_, k)| *k != 0).collect();
            if !eq.is_empty() {
                out.push(eq);
            }
        }
        out
    }
}

fn weekday_index(name: &str) -> Option<usize> {
    ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].iter().position(|d| name.trim().eq_ignore_ascii_case(d))
}

/// The hour "HH:00" as 0-23; None when not on a whole hour.
fn whole_hour(time: &str) -> Option<usize> {
    let (h, m) = time.trim().split_once(':')?;
    let h: usize = h.parse().ok()?;
    (m == "00" && h < 24).then_some(h)
}

/// (weekday, hour) cells of a weekly window: from `start` on each listed day up to `end`, which falls on
/// the next day when it is not after `start`. None when the window is not on whole hours.
fn window_hours(days: Option<&str>, start: Option<&str>, end: Option<&str>) -> Option<Vec<(usize, usize)>> {
    let (start, end) = (whole_hour(start?)?, whole_hour(end?)?);
    let mut out = Vec::new();
    for d in days?.split(',').map(weekday_index) {
        let d = d?;
        if start < end {
            out.extend((start..end).map(|h| (d, h)));
        } else {
            out.extend((start..24).map(|h| (d, h)));
            out.extend((0..end).map(|h| ((d + 1) % 7, h)));
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_on_whole_hours() {
        let nte = window_hours(Some("Fri,Sat"), Some("22:00"), Some("02:00")).unwrap();
        assert_eq!(nte, vec![(4, 22), (4, 23), (5, 0), (5, 1), (5, 22), (5, 23), (6, 0), (6, 1)]);
        let sun = window_hours(Some("Sun"), Some("23:00"), Some("01:00")).unwrap();
        assert_eq!(sun, vec![(6, 23), (0, 0)], "Sunday night runs into Monday");
        assert_eq!(window_hours(Some("Mon"), Some("00:00"), Some("06:00")).unwrap().len(), 6);
        assert!(window_hours(Some("Mon"), Some("18:30"), Some("06:00")).is_none(), "not on the hour: no link");
        assert!(window_hours(Some("Funday"), Some("18:00"), Some("06:00")).is_none());
    }
}
