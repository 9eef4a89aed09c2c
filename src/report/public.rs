//! Public tier: suppressed copies of the analysis tables in `public/tables/`.
//!
//! Which tables are published, which columns are counts, which columns rest on them, how cells group into
//! totals and which cells of different tables are the same figure or a sum of others (`[[links]]`) is data
//! (`seeds/public_tables.toml`, embedded). The whole published set is protected together: every group, row
//! sum and link is one linear relation over the cells of all tables, and the rule (primary suppression of
//! 1..threshold-1, complementary suppression over every relation to a fixed point with an exact check that no
//! suppressed cell can be worked out, optional rounding) is [`crate::stats::suppression::suppress_linked`].
//! Tables that have no rule are not published; the README lists them.

use super::ReportError;
use super::public_links::{Link, LinkedTable};
use crate::pipeline::config::PrivacyConfig;
use crate::stats::recoverable::Equation;
use crate::stats::suppression;
use polars::prelude::*;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// What a suppressed count shows.
pub const SUPPRESSED: &str = "[c]";

/// The publication rules, one per published table, and the links between tables.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicRules {
    pub tables: BTreeMap<String, TableRule>,
    #[serde(default)]
    pub links: Vec<Link>,
}

/// How one table is made safe (see the comments at the top of `seeds/public_tables.toml`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableRule {
    pub counts: Vec<String>,
    #[serde(default)]
    pub groups: Vec<Vec<String>>,
    /// The count columns `groups` apply to (all counts when absent).
    #[serde(default)]
    pub group_counts: Option<Vec<String>>,
    #[serde(default)]
    pub row_sums: Vec<Vec<String>>,
    #[serde(default)]
    pub derived: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub reference_match: Vec<String>,
    #[serde(default)]
    pub reference_count: Option<String>,
    #[serde(default)]
    pub reference_derived: Vec<String>,
    #[serde(default)]
    pub drop: Vec<String>,
}

impl PublicRules {
    /// The rules compiled into the binary.
    pub fn embedded() -> Result<Self, ReportError> {
        Self::parse(crate::embedded::PUBLIC_TABLES)
    }

    pub fn parse(text: &str) -> Result<Self, ReportError> {
        toml::from_str(text).map_err(|e| ReportError::Table(format!("seeds/public_tables.toml: {e}")))
    }
}

/// A table as text: column names and, per row, one cell per column (empty for null).
#[derive(Debug, Clone, PartialEq)]
pub struct TextTable {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// A protected table and what was done to it.
#[derive(Debug, Clone, PartialEq)]
pub struct Protected {
    pub table: TextTable,
    pub primary: usize,
    pub secondary: usize,
    /// Suppressed cells that published relations still determine, with nothing left to suppress beside
    /// them (a group's total is known without being published here: it must be suppressed where it is).
    pub unprotected: Vec<String>,
}

/// Apply a rule to one table on its own (no links). Pure; fails (naming the columns) when the rule names
/// columns the table lacks.
pub fn protect_table(t: &TextTable, rule: &TableRule, threshold: u32, round_to: u32) -> Result<Protected, String> {
    let rules = PublicRules { tables: [("table".to_string(), rule.clone())].into_iter().collect(), links: Vec::new() };
    let mut out = protect_tables(&[("table".to_string(), t.clone())], &rules, threshold, round_to)?;
    out.pop().map(|(_, p)| p).unwrap_or_else(|| Err("no table".into()))
}

/// Why a rule cannot be applied to a table, naming the columns.
fn check_rule(t: &TextTable, rule: &TableRule) -> Result<(), String> {
    let has = |name: &str| t.header.iter().any(|h| h == name);
    let mut named: BTreeSet<&str> = BTreeSet::new();
    named.extend(rule.counts.iter().map(String::as_str));
    named.extend(rule.groups.iter().flatten().map(String::as_str));
    named.extend(rule.row_sums.iter().flatten().map(String::as_str));
    named.extend(rule.derived.iter().flat_map(|(k, v)| std::iter::once(k).chain(v)).map(String::as_str));
    named.extend(rule.reference_match.iter().map(String::as_str));
    named.extend(rule.reference_count.iter().map(String::as_str));
    named.extend(rule.reference_derived.iter().map(String::as_str));
    named.extend(rule.drop.iter().map(String::as_str));
    let missing: Vec<&str> = named.iter().copied().filter(|n| !has(n)).collect();
    if !missing.is_empty() {
        return Err(format!("the rule names columns the table lacks: {}", missing.join(", ")));
    }
    if !rule.reference_match.is_empty() && rule.reference_match.len() != 2 {
        return Err("reference_match must name two columns".into());
    }
    let as_counts = rule.row_sums.iter().flatten().chain(rule.derived.keys()).chain(&rule.reference_count).chain(rule.group_counts.iter().flatten());
    for c in as_counts {
        if !rule.counts.contains(c) {
            return Err(format!("{c} is used as a count but is not listed in counts"));
        }
    }
    Ok(())
}

/// One table taking part: its rule and where its cells start in the whole publication (cell
/// `base + k * rows + r` is count column k on row r).
struct Member<'a> {
    name: &'a str,
    table: &'a TextTable,
    rule: &'a TableRule,
    base: usize,
}

impl Member<'_> {
    fn n(&self) -> usize {
        self.table.rows.len()
    }
    fn pos(&self, name: &str) -> usize {
        self.table.header.iter().position(|h| h == name).unwrap_or(0) // names are checked before
    }
    fn text(&self, r: usize, c: usize) -> &str {
        self.table.rows.get(r).and_then(|row| row.get(c)).map(String::as_str).unwrap_or("")
    }
    fn count_index(&self, name: &str) -> Option<usize> {
        self.rule.counts.iter().position(|c| c == name)
    }
    fn cell(&self, column: &str, r: usize) -> Option<usize> {
        self.count_index(column).filter(|_| r < self.n()).map(|k| self.base + k * self.n() + r)
    }
    /// Count values, column by column. Empty cells count as 0 (they are never shown as small).
    fn values(&self) -> Vec<f64> {
        let cols: Vec<usize> = self.rule.counts.iter().map(|c| self.pos(c)).collect();
        cols.iter()
            .flat_map(|&c| (0..self.n()).map(move |r| (r, c)))
            .map(|(r, c)| {
                let s = self.text(r, c).trim();
                if s.is_empty() { 0.0 } else { s.parse::<f64>().unwrap_or(f64::NAN) }
            })
            .collect()
    }
    /// Rows grouped by each key list (first-appearance order, so the result is deterministic).
    fn partitions(&self) -> Vec<Vec<Vec<usize>>> {
        self.rule
            .groups
            .iter()
            .map(|keys| {
                let key_cols: Vec<usize> = keys.iter().map(|k| self.pos(k)).collect();
                let mut order: Vec<Vec<String>> = Vec::new();
                let mut members: BTreeMap<Vec<String>, Vec<usize>> = BTreeMap::new();
                for r in 0..self.n() {
                    let key: Vec<String> = key_cols.iter().map(|&c| self.text(r, c).to_string()).collect();
                    let e = members.entry(key.clone()).or_default();
                    if e.is_empty() {
                        order.push(key);
                    }
                    e.push(r);
                }
                order.iter().filter_map(|k| members.remove(k)).collect()
            })
            .collect()
    }
    /// The table's own relations: each group (its sum is treated as published) and each row sum.
    fn equations(&self) -> Vec<Equation> {
        let mut out = Vec::new();
        let grouped = |c: &String| self.rule.group_counts.as_ref().is_none_or(|g| g.contains(c));
        for parts in self.partitions() {
            for count in self.rule.counts.iter().filter(|c| grouped(c)) {
                for rows in &parts {
                    out.push(rows.iter().filter_map(|&r| self.cell(count, r)).map(|i| (i, 1)).collect());
                }
            }
        }
        for sums in &self.rule.row_sums {
            for r in 0..self.n() {
                out.push(sums.iter().filter_map(|c| self.cell(c, r)).map(|i| (i, 1)).collect());
            }
        }
        out
    }
}

/// Protect a set of tables together: the rules' groups and row sums within each table and the links between
/// them are one system of relations, suppressed to a fixed point. Returns each table's result (an error
/// names what in its rule, or in a link naming it, does not fit; such a table is left out of the set). Fails
/// only when the system cannot be solved exactly.
pub fn protect_tables(
    tables: &[(String, TextTable)],
    rules: &PublicRules,
    threshold: u32,
    round_to: u32,
) -> Result<Vec<(String, Result<Protected, String>)>, String> {
    let mut refused: BTreeMap<&str, String> = BTreeMap::new();
    for (name, t) in tables {
        match rules.tables.get(name) {
            None => {
                refused.insert(name, "no publication rule".into());
            }
            Some(rule) => {
                if let Err(e) = check_rule(t, rule) {
                    refused.insert(name, e);
                }
            }
        }
    }
    // A link that does not fit the tables leaves out every table it names (publishing them without the
    // link could give a cell away). Repeat: a table left out may leave another link's check moot.
    loop {
        let in_set = |n: &str| tables.iter().find(|(name, _)| name == n && !refused.contains_key(n)).map(|(_, t)| t);
        let mut bad: Vec<(String, String)> = Vec::new();
        for link in &rules.links {
            let header_of = |n: &str| in_set(n).map(|t| t.header.clone());
            let count_error = std::iter::once(&link.total).chain(&link.parts).find_map(|term| {
                let not_count = in_set(&term.table).is_some()
                    && !rules.tables.get(&term.table).is_some_and(|r| r.counts.contains(&term.column));
                not_count.then(|| format!("link \"{}\": {}.{} is not a count column", link.why, term.table, term.column))
            });
            if let Some(e) = link.check(&header_of).err().or(count_error) {
                for term in std::iter::once(&link.total).chain(&link.parts) {
                    if in_set(&term.table).is_some() {
                        bad.push((term.table.clone(), e.clone()));
                    }
                }
            }
        }
        if bad.is_empty() {
            break;
        }
        for (name, e) in bad {
            if let Some((n, _)) = tables.iter().find(|(n, _)| *n == name) {
                refused.entry(n.as_str()).or_insert(e);
            }
        }
    }

    let mut members: Vec<Member> = Vec::new();
    let mut base = 0;
    for (name, t) in tables {
        let Some(rule) = rules.tables.get(name).filter(|_| !refused.contains_key(name.as_str())) else { continue };
        members.push(Member { name, table: t, rule, base });
        base += rule.counts.len() * t.rows.len();
    }
    let values: Vec<f64> = members.iter().flat_map(|m| m.values()).collect();
    let mut equations: Vec<Equation> = members.iter().flat_map(|m| m.equations()).collect();
    let cell_fns: Vec<Box<dyn Fn(&str, usize) -> Option<usize> + '_>> =
        members.iter().map(|m| Box::new(move |c: &str, r: usize| m.cell(c, r)) as Box<dyn Fn(&str, usize) -> Option<usize>>).collect();
    let linked: BTreeMap<&str, LinkedTable> = members
        .iter()
        .zip(&cell_fns)
        .map(|(m, f)| (m.name, LinkedTable { header: &m.table.header, rows: &m.table.rows, cell: f.as_ref() }))
        .collect();
    for link in &rules.links {
        equations.extend(link.equations(&linked));
    }
    let primary = suppression::primary_suppress(&values, threshold);
    let s = suppression::suppress_linked(&values, &primary, &equations).map_err(|e| e.to_string())?;

    let mut out = Vec::new();
    for (name, _) in tables {
        if let Some(why) = refused.get(name.as_str()) {
            out.push((name.clone(), Err(why.clone())));
            continue;
        }
        let Some(m) = members.iter().find(|m| m.name == name) else { continue };
        let flag = |flags: &[bool], k: usize, r: usize| flags.get(m.base + k * m.n() + r).copied().unwrap_or(false);
        let hidden = |k: usize, r: usize| flag(&s.suppressed, k, r);
        let table = render(m, &hidden, &values, round_to);
        let cells = m.rule.counts.len() * m.n();
        let of_table = |i: &&usize| (m.base..m.base + cells).contains(*i);
        let n_primary = (0..cells).filter(|i| primary.get(m.base + i).copied().unwrap_or(false)).count();
        let unprotected = s
            .unprotected
            .iter()
            .filter(of_table)
            .map(|&i| {
                let (k, r) = ((i - m.base) / m.n().max(1), (i - m.base) % m.n().max(1));
                format!("{} on row {}", m.rule.counts.get(k).map(String::as_str).unwrap_or("?"), r + 1)
            })
            .collect();
        let secondary = s.secondary.iter().filter(of_table).count();
        out.push((name.clone(), Ok(Protected { table, primary: n_primary, secondary, unprotected })));
    }
    Ok(out)
}

/// The published text of one table: suppressed counts as `[c]`, what rests on them blank, the rest rounded,
/// dropped columns removed.
fn render(m: &Member, hidden: &dyn Fn(usize, usize) -> bool, values: &[f64], round_to: u32) -> TextTable {
    let (t, rule, n) = (m.table, m.rule, m.n());
    let mut rows: Vec<Vec<String>> = t.rows.clone();
    let mut blank = vec![vec![false; t.header.len()]; n];
    for (k, count) in rule.counts.iter().enumerate() {
        let c = m.pos(count);
        for r in 0..n {
            let Some(out) = rows.get_mut(r).and_then(|row| row.get_mut(c)) else { continue };
            if hidden(k, r) {
                *out = SUPPRESSED.to_string();
                for d in rule.derived.get(count).into_iter().flatten() {
                    if let Some(b) = blank.get_mut(r).and_then(|row| row.get_mut(m.pos(d))) {
                        *b = true;
                    }
                }
            } else if round_to > 1 && !out.trim().is_empty() {
                let v = values.get(m.base + k * n + r).copied().unwrap_or(f64::NAN);
                *out = format!("{}", suppression::round_count(v, round_to));
            }
        }
    }
    if let (Some(rc), [a, b]) = (&rule.reference_count, rule.reference_match.as_slice()) {
        let (k, a, b) = (m.count_index(rc).unwrap_or(0), m.pos(a), m.pos(b));
        for rows_in_group in m.partitions().first().into_iter().flatten() {
            let ref_hidden = rows_in_group.iter().any(|&r| m.text(r, a) == m.text(r, b) && hidden(k, r));
            if ref_hidden {
                for &r in rows_in_group {
                    for d in &rule.reference_derived {
                        if let Some(b) = blank.get_mut(r).and_then(|row| row.get_mut(m.pos(d))) {
                            *b = true;
                        }
                    }
                }
            }
        }
    }
    for (row, flags) in rows.iter_mut().zip(&blank) {
        for (v, &b) in row.iter_mut().zip(flags) {
            if b {
                v.clear();
            }
        }
    }
    let keep: Vec<bool> = t.header.iter().map(|h| !rule.drop.contains(h)).collect();
    let filter = |row: &[String]| -> Vec<String> {
        row.iter().zip(&keep).filter(|(_, k)| **k).map(|(v, _)| v.clone()).collect()
    };
    TextTable { header: filter(&t.header), rows: rows.iter().map(|r| filter(r)).collect() }
}

fn text_table(df: &DataFrame) -> Result<TextTable, String> {
    let mut header = Vec::new();
    let mut cols: Vec<Vec<String>> = Vec::new();
    for c in df.columns() {
        header.push(c.name().as_str().to_string());
        let s = c.cast(&DataType::String).map_err(|e| format!("{}: {e}", c.name()))?;
        let s = s.str().map_err(|e| format!("{}: {e}", c.name()))?;
        cols.push(s.iter().map(|v| v.unwrap_or_default().to_string()).collect());
    }
    let rows = (0..df.height()).map(|r| cols.iter().map(|c| c.get(r).cloned().unwrap_or_default()).collect()).collect();
    Ok(TextTable { header, rows })
}

fn csv_bytes(t: &TextTable) -> Result<Vec<u8>, String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&t.header).map_err(|e| e.to_string())?;
    for r in &t.rows {
        // Text a spreadsheet would run as a formula is defused (see crate::formula_cells).
        w.write_record(r.iter().map(|c| crate::formula_cells::defuse_formula(c).into_owned())).map_err(|e| e.to_string())?;
    }
    w.into_inner().map_err(|e| e.to_string())
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> ReportError + '_ {
    move |source| ReportError::Io { path: path.display().to_string(), source }
}

/// Read `tables/*.parquet` under `out`, write suppressed CSVs and a README to `public/tables/`; returns the
/// files written, relative to `out`. CSVs in `public/tables/` from an earlier run that are not published now
/// are removed, so a table dropped from the rules never lingers.
pub fn write_public_tables(out: &Path, privacy: &PrivacyConfig) -> Result<Vec<String>, ReportError> {
    let rules = PublicRules::embedded()?;
    let (threshold, round_to) = (privacy.suppress_below, privacy.round_to);
    let tables_dir = out.join("tables");
    let public_dir = out.join("public").join("tables");
    let mut names: Vec<String> = match std::fs::read_dir(&tables_dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().to_str().and_then(|n| n.strip_suffix(".parquet")).map(str::to_string))
            .filter(|n| !n.starts_with('.'))
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(io_err(&tables_dir)(e)),
    };
    names.sort();
    let mut written = Vec::new();
    let mut published: Vec<(String, Protected)> = Vec::new();
    let mut withheld: Vec<(String, String)> = Vec::new();
    let mut texts: Vec<(String, TextTable)> = Vec::new();
    for name in &names {
        if !rules.tables.contains_key(name) {
            withheld.push((name.clone(), "no publication rule (not published by default)".into()));
            continue;
        }
        let path = tables_dir.join(format!("{name}.parquet"));
        let df = crate::table_io::read_parquet(&path).map_err(|e| ReportError::Table(e.to_string()))?;
        match text_table(&df) {
            Ok(t) => texts.push((name.clone(), t)),
            Err(reason) => withheld.push((name.clone(), reason)),
        }
    }
    // Protected together, so a margin shared by two tables is suppressed consistently in both.
    let protected = protect_tables(&texts, &rules, threshold, round_to)
        .map_err(|e| ReportError::Table(format!("{}: {e}", tables_dir.display())))?;
    for (name, p) in protected {
        match p {
            Ok(p) => {
                let bytes = csv_bytes(&p.table).map_err(|e| ReportError::Table(format!("{name}: {e}")))?;
                let file = public_dir.join(format!("{name}.csv"));
                crate::fsutil::write_atomic(&file, &bytes).map_err(io_err(&file))?;
                written.push(format!("public/tables/{name}.csv"));
                published.push((name, p));
            }
            Err(reason) => withheld.push((name, reason)),
        }
    }
    withheld.sort();
    if let Ok(entries) = std::fs::read_dir(&public_dir) {
        for e in entries.filter_map(|e| e.ok()) {
            let file = e.file_name().to_string_lossy().into_owned();
            let stale = file.strip_suffix(".csv").is_some_and(|n| !published.iter().any(|(p, _)| p == n));
            if stale {
                std::fs::remove_file(e.path()).map_err(io_err(&e.path()))?;
            }
        }
    }
    let readme = public_dir.join("README.md");
    let text = readme_text(threshold, round_to, &published, &withheld, &rules);
    crate::fsutil::write_atomic(&readme, text.as_bytes()).map_err(io_err(&readme))?;
    written.push("public/tables/README.md".to_string());
    Ok(written)
}

/// The statement of the rule published beside the tables.
pub fn readme_text(
    threshold: u32,
    round_to: u32,
    published: &[(String, Protected)],
    withheld: &[(String, String)],
    rules: &PublicRules,
) -> String {
    let mut s = String::from("# Public tables\n\n");
    if threshold > 1 {
        s.push_str(&format!(
            "**Primary suppression.** Counts from 1 to {} are shown as `{SUPPRESSED}`. Zero is shown as 0.\n\n",
            threshold - 1
        ));
    } else {
        s.push_str("**Primary suppression.** Off (`[privacy] suppress_below` is below 2).\n\n");
    }
    s.push_str(
        "**Secondary (complementary) suppression.** Cells whose sum is published (the wards of a theme, the age \
         bands of a theme and role, the months of a period, the rows and columns of the hour-by-weekday grid, the \
         parts of an area total) form a group, and so do cells of different tables that are the same figure or a \
         sum of others (listed below: the same total in two tables, a category that is the sum of others, a \
         total nested in another). All the tables are protected together. Wherever a group would hold exactly one \
         suppressed cell, which could be worked out as the total minus the other cells, the smallest other \
         non-zero cell of the group is suppressed too (if there is none, the smallest zero; ties go to the earlier \
         row). Then every suppressed cell is checked exactly against all the relations together (linear algebra: \
         could any sums and differences of published figures give it?); one that could, e.g. as one total minus a \
         nested one, takes another cell of its relations with it. This repeats until no suppressed cell can be \
         worked out.\n\n",
    );
    s.push_str(
        "**Derived figures.** Rates, confidence intervals, shares, percentages, ranks, ratios and tests that rest on \
         a suppressed count are left blank on that row, and so is the name of the method behind them (which would \
         otherwise tell a count under 10, with its exact interval, from a larger one); rate ratios are blank for a whole group when its \
         reference group's count is suppressed. Cumulative shares and rolling totals are not published, since \
         differences between neighbouring rows would reveal single cells.\n\n",
    );
    if round_to > 1 {
        s.push_str(&format!(
            "**Rounding.** Published counts are rounded to the nearest {round_to} (halves upwards). Rates, shares and \
             intervals are computed from the unrounded counts, so they may not match the rounded counts exactly.\n\n"
        ));
    } else {
        s.push_str("**Rounding.** None: unsuppressed counts are exact.\n\n");
    }
    s.push_str("## Published\n\n| table | count columns | suppressed (primary) | suppressed (secondary) |\n|---|---|---|---|\n");
    for (name, p) in published {
        let counts = rules.tables.get(name).map(|r| r.counts.join(", ")).unwrap_or_default();
        s.push_str(&format!("| `{name}` | {counts} | {} | {} |\n", p.primary, p.secondary));
    }
    let names: BTreeSet<&str> = published.iter().map(|(n, _)| n.as_str()).collect();
    let links: Vec<String> = rules
        .links
        .iter()
        .filter(|l| std::iter::once(&l.total).chain(&l.parts).all(|t| names.contains(t.table.as_str())))
        .map(|l| format!("- {}", l.why))
        .collect();
    if !links.is_empty() {
        s.push_str("\nRelations between tables kept consistent:\n\n");
        s.push_str(&links.join("\n"));
        s.push('\n');
    }
    let unprotected: Vec<String> =
        published.iter().flat_map(|(n, p)| p.unprotected.iter().map(move |u| format!("- `{n}`: {u}"))).collect();
    if !unprotected.is_empty() {
        s.push_str("\nSuppressed cells that a group's total (not published here) would still give away; that total must be suppressed wherever it is published:\n\n");
        s.push_str(&unprotected.join("\n"));
        s.push('\n');
    }
    s.push_str("\n## Not published\n\n");
    if withheld.is_empty() {
        s.push_str("None.\n");
    }
    for (name, why) in withheld {
        s.push_str(&format!("- `{name}`: {why}\n"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(header: &[&str], rows: &[&[&str]]) -> TextTable {
        TextTable {
            header: header.iter().map(|s| s.to_string()).collect(),
            rows: rows.iter().map(|r| r.iter().map(|s| s.to_string()).collect()).collect(),
        }
    }

    #[test]
    fn embedded_rules_parse() {
        let rules = PublicRules::embedded().unwrap();
        assert!(rules.tables.contains_key("place_wards"));
        assert!(!rules.tables.contains_key("quality_rejects"));
    }

    #[test]
    fn wards_get_complementary_suppression_and_blank_rates() {
        let rule = TableRule {
            counts: vec!["offences".into()],
            groups: vec![vec!["theme".into()]],
            derived: [("offences".to_string(), vec!["rate".to_string()])].into_iter().collect(),
            drop: vec!["cumulative_share".into()],
            ..Default::default()
        };
        let t = table(
            &["theme", "ward", "offences", "rate", "cumulative_share"],
            &[
                &["sv", "A", "40", "4.0", "0.5"],
                &["sv", "B", "30", "3.0", "0.9"],
                &["sv", "C", "3", "0.3", "1.0"],
                &["da", "A", "20", "2.0", "0.5"],
                &["da", "B", "0", "0.0", "0.5"],
                &["da", "C", "20", "2.0", "1.0"],
            ],
        );
        let p = protect_table(&t, &rule, 5, 0).unwrap();
        assert_eq!(p.table.header, vec!["theme", "ward", "offences", "rate"]);
        let got: Vec<(&str, &str)> = p.table.rows.iter().map(|r| (r[2].as_str(), r[3].as_str())).collect();
        assert_eq!(got, vec![("40", "4.0"), ("[c]", ""), ("[c]", ""), ("20", "2.0"), ("0", "0.0"), ("20", "2.0")]);
        assert_eq!((p.primary, p.secondary), (1, 1));
        let rounded = protect_table(&t, &rule, 5, 10).unwrap();
        assert_eq!(rounded.table.rows[0][2], "40");
        assert_eq!(rounded.table.rows[3][2], "20");
        assert_eq!(rounded.table.rows[4][2], "0");
    }

    #[test]
    fn row_sums_and_reference_rows() {
        let rule = TableRule {
            counts: vec!["count".into()],
            groups: vec![vec!["role".into()]],
            derived: [("count".to_string(), vec!["rr".to_string()])].into_iter().collect(),
            reference_match: vec!["group".into(), "reference".into()],
            reference_count: Some("count".into()),
            reference_derived: vec!["rr".into()],
            ..Default::default()
        };
        let t = table(
            &["role", "group", "reference", "count", "rr"],
            &[
                &["v", "W", "W", "2", ""],
                &["v", "B", "W", "50", "1.5"],
                &["v", "A", "W", "60", "1.2"],
                &["s", "W", "W", "30", ""],
                &["s", "B", "W", "40", "1.1"],
            ],
        );
        let p = protect_table(&t, &rule, 5, 0).unwrap();
        let rr: Vec<&str> = p.table.rows.iter().map(|r| r[4].as_str()).collect();
        assert_eq!(rr, vec!["", "", "", "", "1.1"], "victim ratios all rest on the suppressed reference");
        assert_eq!(p.table.rows[1][3], "[c]");

        let sums = TableRule {
            counts: vec!["all".into(), "in".into(), "out".into()],
            row_sums: vec![vec!["all".into(), "in".into(), "out".into()]],
            ..Default::default()
        };
        let t = table(&["all", "in", "out"], &[&["100", "97", "3"]]);
        let p = protect_table(&t, &sums, 5, 0).unwrap();
        assert_eq!(p.table.rows[0], vec!["100", "[c]", "[c]"], "the smallest other member goes with the small one");
    }

    const AREA: &str = "period_start,theme,offences,offences_in_wards,offences_outside_area,offences_unlocated,victims,rate,lower,upper,method";
    const WARDS: &str = "period_start,theme,rank,ward_code,offences,victims,rate,lower,upper,method,count_rank,share,cumulative_share,vs_area,vs_area_method";
    const AGE: &str = "period_start,theme,role,age_band,count,total,share,share_lower,share_upper,share_method,rate,lower,upper,method";
    const ETHNICITY: &str = "scope,periods,period_start,period_end,theme,role,age_group,ethnic_group,count,total,share,rate,lower,upper,method,reference_group,rate_ratio,rate_ratio_lower,rate_ratio_upper,rate_ratio_method,significant";
    const OPEN_WARDS: &str = "period_start,crime_types,ward_code,offences,rate,lower,upper,method";

    /// A table with the given header (comma-separated) and rows of (column, value); other cells empty.
    fn sparse(header: &str, rows: &[&[(&str, &str)]]) -> TextTable {
        let header: Vec<String> = header.split(',').map(str::to_string).collect();
        let rows = rows
            .iter()
            .map(|r| header.iter().map(|h| r.iter().find(|(c, _)| c == h).map(|(_, v)| v.to_string()).unwrap_or_default()).collect())
            .collect();
        TextTable { header, rows }
    }

    fn protect_all(tables: Vec<(&str, TextTable)>) -> BTreeMap<String, TextTable> {
        let rules = PublicRules::embedded().unwrap();
        let tables: Vec<(String, TextTable)> = tables.into_iter().map(|(n, t)| (n.to_string(), t)).collect();
        protect_tables(&tables, &rules, 5, 0).unwrap().into_iter().map(|(n, p)| (n, p.unwrap().table)).collect()
    }

    fn column<'a>(t: &'a TextTable, name: &str) -> Vec<&'a str> {
        let c = t.header.iter().position(|h| h == name).unwrap();
        t.rows.iter().map(|r| r[c].as_str()).collect()
    }

    #[test]
    fn outside_the_area_is_not_the_area_total_minus_the_wards() {
        // Issue 13: knife-enabled offences outside the area = 627 - (sum of the wards) = 3.
        let area = sparse(AREA, &[&[("period_start", "2025-04-01"), ("theme", "knife_enabled"), ("offences", "627"), ("offences_in_wards", "624"), ("offences_outside_area", "3"), ("offences_unlocated", "0"), ("victims", "683"), ("method", "Byars")]]);
        let ward = |code: &'static str, n: &'static str| -> Vec<(&'static str, &'static str)> { vec![("period_start", "2025-04-01"), ("theme", "knife_enabled"), ("ward_code", code), ("offences", n), ("victims", n), ("method", "Byars")] };
        let (a, b, c) = (ward("A", "400"), ward("B", "200"), ward("C", "24"));
        let wards = sparse(WARDS, &[&a, &b, &c]);
        let alone = protect_table(&wards, &PublicRules::embedded().unwrap().tables["place_wards"], 5, 0).unwrap();
        assert!(!alone.table.rows.iter().flatten().any(|v| v == SUPPRESSED), "on its own the ward table has nothing small");
        let out = protect_all(vec![("place_area_totals", area), ("place_wards", wards)]);
        let area = &out["place_area_totals"];
        assert_eq!(column(area, "offences_outside_area"), vec!["[c]"]);
        assert_eq!(column(area, "offences_in_wards"), vec!["[c]"], "complement in the area row");
        assert_eq!(column(area, "offences"), vec!["627"]);
        // in_wards is the wards' sum, so the smallest ward goes too (with its rate and method).
        assert_eq!(column(&out["place_wards"], "offences"), vec!["400", "200", "[c]"]);
        assert_eq!(column(&out["place_wards"], "method"), vec!["Byars", "Byars", ""]);
        assert_eq!(column(&out["place_wards"], "victims"), vec!["400", "200", "24"], "victims have no such link");
    }

    #[test]
    fn young_victims_are_not_the_under_25_total_minus_two_bands() {
        // Issue 13: victims aged 0-9 = the under-25 total by ethnic group minus the 10-17 and 18-24 bands.
        let bands = [("0-9", "3"), ("10-17", "30"), ("18-24", "40"), ("25-34", "60"), ("35-44", "7"), ("45+", "20")];
        let rows: Vec<Vec<(&str, &str)>> = bands
            .iter()
            .map(|&(b, n)| vec![("period_start", "2025-04-01"), ("theme", "serious_violence"), ("role", "victim"), ("age_band", b), ("count", n), ("total", "160"), ("method", if n.len() < 2 { "Exact" } else { "Byars" })])
            .collect();
        let refs: Vec<&[(&str, &str)]> = rows.iter().map(|r| &r[..]).collect();
        let age = sparse(AGE, &refs);
        let eth = |group: &'static str, n: &'static str| -> Vec<(&'static str, &'static str)> {
            vec![("scope", "current period"), ("periods", "1"), ("period_start", "2025-04-01"), ("period_end", "2026-03-31"), ("theme", "serious_violence"), ("role", "victim"), ("age_group", "under 25"), ("ethnic_group", group), ("reference_group", "A"), ("count", n), ("total", "73")]
        };
        let (a, b) = (eth("A", "40"), eth("B", "33"));
        let ethnicity = sparse(ETHNICITY, &[&a, &b]);
        let alone = protect_table(&age, &TableRule { counts: vec!["count".into()], groups: vec![vec!["theme".into(), "role".into()]], ..Default::default() }, 5, 0).unwrap();
        assert_eq!(column(&alone.table, "count"), vec!["[c]", "30", "40", "60", "[c]", "20"], "the per-table rule: 0-9 = 73 - 30 - 40");
        let out = protect_all(vec![("people_age", age), ("people_ethnicity", ethnicity)]);
        let counts = column(&out["people_age"], "count");
        // 0-9 small; 35-44 its complement in the age bands; 10-17 for the under-25 total; then 35-44 = total -
        // under 25 - the rest, so the smallest other band (45+) goes as well.
        assert_eq!(counts, vec!["[c]", "[c]", "40", "60", "[c]", "[c]"]);
        // Independently: no suppressed band is determined by the total and the under-25 total.
        let hidden: Vec<bool> = counts.iter().map(|v| *v == SUPPRESSED).collect();
        let eqs = vec![(0..6).map(|i| (i, 1)).collect(), vec![(0, 1), (1, 1), (2, 1)]];
        assert!(crate::stats::recoverable::determined_cells(&eqs, &hidden).unwrap().is_empty());
        assert_eq!(column(&out["people_age"], "method")[0], "", "the method would say the count is under 10");
    }

    #[test]
    fn robbery_per_ward_is_not_the_proxy_minus_violence() {
        // Issue 13, City of London: robbery in a ward = proxy 22 - violence and sexual offences 21 = 1.
        let row = |ct: &'static str, ward: &'static str, n: &'static str| -> Vec<(&'static str, &'static str)> {
            vec![("period_start", "2024-04-01"), ("crime_types", ct), ("ward_code", ward), ("offences", n), ("method", if n.len() < 2 { "Exact" } else { "Byars" })]
        };
        let rows = [
            row("proxy", "Aldersgate", "22"),
            row("proxy", "Bishopsgate", "399"),
            row("Robbery", "Aldersgate", "1"),
            row("Robbery", "Bishopsgate", "20"),
            row("Violence and sexual offences", "Aldersgate", "21"),
            row("Violence and sexual offences", "Bishopsgate", "379"),
        ];
        let refs: Vec<&[(&str, &str)]> = rows.iter().map(|r| &r[..]).collect();
        let out = protect_all(vec![("open_place_wards", sparse(OPEN_WARDS, &refs))]);
        let counts = column(&out["open_place_wards"], "offences");
        assert_eq!(counts[2], "[c]");
        assert!(counts[0] == "[c]" || counts[4] == "[c]", "the proxy or the violence of the same ward: {counts:?}");
        assert_eq!(counts.iter().filter(|v| **v == SUPPRESSED).count(), 2, "no area totals here, so no ward sums: {counts:?}");
        assert_eq!(column(&out["open_place_wards"], "method")[2], "");
    }

    #[test]
    fn a_link_that_does_not_fit_withholds_its_tables() {
        let mut rules = PublicRules::parse(
            "[tables.a]\ncounts = [\"n\"]\n[tables.b]\ncounts = [\"n\"]\n[tables.c]\ncounts = [\"n\"]\n\
             [[links]]\nwhy = \"a is b\"\ntotal = { table = \"a\", column = \"n\" }\non = [\"k\"]\nparts = [{ table = \"b\", column = \"n\" }]",
        )
        .unwrap();
        let t = |h: &str| TextTable { header: h.split(',').map(str::to_string).collect(), rows: vec![vec!["x".into(), "7".into()]] };
        let tables = vec![("a".to_string(), t("k,n")), ("b".to_string(), t("key,n")), ("c".to_string(), t("k,n"))];
        let out = protect_tables(&tables, &rules, 5, 0).unwrap();
        assert!(out[0].1.as_ref().unwrap_err().contains("b.k"), "{:?}", out[0]);
        assert!(out[1].1.is_err() && out[2].1.is_ok());
        rules.links[0].parts[0].keys.insert("k".into(), "key".into());
        let out = protect_tables(&tables, &rules, 5, 0).unwrap();
        assert!(out.iter().all(|(_, p)| p.is_ok()), "{out:?}");
    }

    #[test]
    fn mismatched_rules_are_refused() {
        let rule = TableRule { counts: vec!["nope".into()], ..Default::default() };
        let t = table(&["a"], &[&["1"]]);
        assert!(protect_table(&t, &rule, 5, 0).unwrap_err().contains("nope"));
    }
}
