//! Public tier: suppressed copies of the analysis tables in `public/tables/`.
//!
//! Which tables are published, which columns are counts, which columns rest on them and how cells group into
//! totals is data (`seeds/public_tables.toml`, embedded). The rule (primary suppression of 1..threshold-1,
//! complementary suppression over every group to a fixed point, optional rounding) is
//! [`crate::stats::suppression`]. Tables that have no rule are not published; the README lists them.

use super::ReportError;
use crate::pipeline::config::PrivacyConfig;
use crate::stats::suppression;
use polars::prelude::*;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// What a suppressed count shows.
pub const SUPPRESSED: &str = "[c]";

/// The publication rules, one per published table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicRules {
    pub tables: BTreeMap<String, TableRule>,
}

/// How one table is made safe (see the comments at the top of `seeds/public_tables.toml`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableRule {
    pub counts: Vec<String>,
    #[serde(default)]
    pub groups: Vec<Vec<String>>,
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
    /// Groups left with one suppressed cell and nothing to suppress beside it (their total must be suppressed
    /// where it is published).
    pub unprotected: Vec<String>,
}

/// Apply a rule to a table. Pure; fails (naming the columns) when the rule names columns the table lacks.
pub fn protect_table(t: &TextTable, rule: &TableRule, threshold: u32, round_to: u32) -> Result<Protected, String> {
    let col = |name: &str| t.header.iter().position(|h| h == name);
    let mut named: BTreeSet<&str> = BTreeSet::new();
    named.extend(rule.counts.iter().map(String::as_str));
    named.extend(rule.groups.iter().flatten().map(String::as_str));
    named.extend(rule.row_sums.iter().flatten().map(String::as_str));
    named.extend(rule.derived.iter().flat_map(|(k, v)| std::iter::once(k).chain(v)).map(String::as_str));
    named.extend(rule.reference_match.iter().map(String::as_str));
    named.extend(rule.reference_count.iter().map(String::as_str));
    named.extend(rule.reference_derived.iter().map(String::as_str));
    named.extend(rule.drop.iter().map(String::as_str));
    let missing: Vec<&str> = named.iter().copied().filter(|n| col(n).is_none()).collect();
    if !missing.is_empty() {
        return Err(format!("the rule names columns the table lacks: {}", missing.join(", ")));
    }
    if !rule.reference_match.is_empty() && rule.reference_match.len() != 2 {
        return Err("reference_match must name two columns".into());
    }
    for c in rule.row_sums.iter().flatten().chain(rule.derived.keys()).chain(rule.reference_count.iter()) {
        if !rule.counts.contains(c) {
            return Err(format!("{c} is used as a count but is not listed in counts"));
        }
    }
    let pos = |name: &str| col(name).unwrap_or(0); // every name was checked above
    let n = t.rows.len();
    let cell = |r: usize, c: usize| t.rows.get(r).and_then(|row| row.get(c)).map(String::as_str).unwrap_or("");
    let count_cols: Vec<usize> = rule.counts.iter().map(|c| pos(c)).collect();
    let count_index = |name: &str| rule.counts.iter().position(|c| c == name).unwrap_or(0);

    // Cell k * n + r is count column k on row r. Empty cells count as 0 (they are never shown as small).
    let values: Vec<f64> = count_cols
        .iter()
        .flat_map(|&c| (0..n).map(move |r| (r, c)))
        .map(|(r, c)| {
            let s = cell(r, c).trim();
            if s.is_empty() { 0.0 } else { s.parse::<f64>().unwrap_or(f64::NAN) }
        })
        .collect();

    // Group rows by each key list (first-appearance order, so the result is deterministic).
    let partitions: Vec<Vec<Vec<usize>>> = rule
        .groups
        .iter()
        .map(|keys| {
            let key_cols: Vec<usize> = keys.iter().map(|k| pos(k)).collect();
            let mut order: Vec<Vec<String>> = Vec::new();
            let mut members: BTreeMap<Vec<String>, Vec<usize>> = BTreeMap::new();
            for r in 0..n {
                let key: Vec<String> = key_cols.iter().map(|&c| cell(r, c).to_string()).collect();
                let e = members.entry(key.clone()).or_default();
                if e.is_empty() {
                    order.push(key);
                }
                e.push(r);
            }
            order.iter().filter_map(|k| members.remove(k)).collect()
        })
        .collect();
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut labels: Vec<String> = Vec::new();
    for (keys, parts) in rule.groups.iter().zip(&partitions) {
        for (k, count) in rule.counts.iter().enumerate() {
            for rows in parts {
                groups.push(rows.iter().map(|r| k * n + r).collect());
                let first = rows.first().copied().unwrap_or(0);
                let at: Vec<String> = keys.iter().map(|c| format!("{c}={}", cell(first, pos(c)))).collect();
                labels.push(format!("{count} by {}", at.join(", ")));
            }
        }
    }
    for sums in &rule.row_sums {
        for r in 0..n {
            groups.push(sums.iter().map(|c| count_index(c) * n + r).collect());
            labels.push(format!("{} on row {}", sums.join(" + "), r + 1));
        }
    }
    let primary = suppression::primary_suppress(&values, threshold);
    let s = suppression::secondary_suppress(&values, &primary, &groups);
    let hidden = |k: usize, r: usize| s.suppressed.get(k * n + r).copied().unwrap_or(false);

    let mut rows: Vec<Vec<String>> = t.rows.clone();
    let mut blank = vec![vec![false; t.header.len()]; n];
    for (k, &c) in count_cols.iter().enumerate() {
        for r in 0..n {
            let Some(out) = rows.get_mut(r).and_then(|row| row.get_mut(c)) else { continue };
            if hidden(k, r) {
                *out = SUPPRESSED.to_string();
                for d in rule.derived.get(&rule.counts[k]).into_iter().flatten() {
                    blank[r][pos(d)] = true;
                }
            } else if round_to > 1 && !out.trim().is_empty() {
                let v = values[k * n + r];
                *out = format!("{}", suppression::round_count(v, round_to));
            }
        }
    }
    if let (Some(rc), [a, b]) = (&rule.reference_count, rule.reference_match.as_slice()) {
        let (k, a, b) = (count_index(rc), pos(a), pos(b));
        for rows_in_group in partitions.first().into_iter().flatten() {
            let ref_hidden = rows_in_group.iter().any(|&r| cell(r, a) == cell(r, b) && hidden(k, r));
            if ref_hidden {
                for &r in rows_in_group {
                    for d in &rule.reference_derived {
                        blank[r][pos(d)] = true;
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
    let header = filter(&t.header);
    let rows = rows.iter().map(|r| filter(r)).collect();
    let n_primary = primary.iter().filter(|&&p| p).count();
    Ok(Protected {
        table: TextTable { header, rows },
        primary: n_primary,
        secondary: s.secondary.len(),
        unprotected: s.unprotected_groups.iter().filter_map(|&g| labels.get(g).cloned()).collect(),
    })
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
        w.write_record(r).map_err(|e| e.to_string())?;
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
    for name in &names {
        let Some(rule) = rules.tables.get(name) else {
            withheld.push((name.clone(), "no publication rule (not published by default)".into()));
            continue;
        };
        let path = tables_dir.join(format!("{name}.parquet"));
        let df = crate::table_io::read_parquet(&path).map_err(|e| ReportError::Table(e.to_string()))?;
        let protected = text_table(&df).and_then(|t| protect_table(&t, rule, threshold, round_to));
        match protected {
            Ok(p) => {
                let bytes = csv_bytes(&p.table).map_err(|e| ReportError::Table(format!("{name}: {e}")))?;
                let file = public_dir.join(format!("{name}.csv"));
                crate::fsutil::write_atomic(&file, &bytes).map_err(io_err(&file))?;
                written.push(format!("public/tables/{name}.csv"));
                published.push((name.clone(), p));
            }
            Err(reason) => withheld.push((name.clone(), reason)),
        }
    }
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
         parts of an area total) form a group. Wherever a group would hold exactly one suppressed cell, which \
         could be worked out as the total minus the other cells, the smallest other non-zero cell of the group is \
         suppressed too (if there is none, the smallest zero; ties go to the earlier row). This repeats until no \
         group holds a single suppressed cell.\n\n",
    );
    s.push_str(
        "**Derived figures.** Rates, confidence intervals, shares, percentages, ranks, ratios and tests that rest on \
         a suppressed count are left blank on that row; rate ratios are blank for a whole group when its \
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
    let unprotected: Vec<String> =
        published.iter().flat_map(|(n, p)| p.unprotected.iter().map(move |u| format!("- `{n}`: {u}"))).collect();
    if !unprotected.is_empty() {
        s.push_str("\nGroups with a single cell, whose total must be suppressed wherever it is published:\n\n");
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

    #[test]
    fn mismatched_rules_are_refused() {
        let rule = TableRule { counts: vec!["nope".into()], ..Default::default() };
        let t = table(&["a"], &[&["1"]]);
        assert!(protect_table(&t, &rule, 5, 0).unwrap_err().contains("nope"));
    }
}
