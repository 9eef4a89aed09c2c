//! An independent disclosure check of a run's public tier (`public/tables/*.csv`), written apart from the
//! suppression code (it uses neither `report::public` nor `stats::suppression`, nor the rules in
//! `seeds/public_tables.toml`): it plays the attacker who holds every published table and knows how the
//! tables are built.
//!
//! 1. It writes down, from the meaning of the tables, every linear relation between published cells it
//!    knows of: margins within a table (the wards of a theme, the age bands of a theme and role, the months of
//!    a period), the same total in two tables (offences per theme in the area totals, the periods, the night-time
//!    table and the hour-by-weekday grid; victims per theme in the area totals and the people tables), sums of
//!    categories (the police.uk proxy = its crime types), nested totals (under 25 = the age bands below 25; the
//!    under-25 theme = serious violence with a person under 25) and the hours of a time window.
//! 2. Each relation is checked on the restricted tables (`tables/*.csv`, unsuppressed): a relation that is
//!    built into the tables must hold exactly (or the checker's model is wrong); a relation that rests on the
//!    definition (e.g. under-25 theme inside serious violence) is kept only where it holds.
//! 3. The suppressed cells (`[c]`) are the unknowns; every relation becomes a linear equation in them with the
//!    published cells moved to the right-hand side. Exact (integer, fraction-free) Gauss-Jordan elimination
//!    tells which unknowns the system determines: a cell whose unit vector lies in the row space, i.e. whose
//!    reduced row holds no other unknown. Any such cell is a disclosure, reported with its table, row, column
//!    and recovered value.
//! 4. A suppressed row must not say why it was suppressed: method columns that vary with the size of a count
//!    (rates: "Exact" below 10, Byar's above) must be blank wherever that count is suppressed.
//!
//! `SNA_CHECK_OUT=<run folder> cargo test --test it disclosure_check::any_run -- --ignored` checks any run.

use crate::support::{demo_out, sna};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const SUPPRESSED: &str = "[c]";

/// A table as text: header and rows.
#[derive(Debug, Clone, Default)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    fn col(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }
    fn get(&self, row: usize, col: &str) -> Option<&str> {
        let c = self.col(col)?;
        self.rows.get(row).and_then(|r| r.get(c)).map(String::as_str)
    }
    /// Rows whose columns hold the given values.
    fn rows_where(&self, conditions: &[(&str, &str)]) -> Vec<usize> {
        (0..self.rows.len())
            .filter(|&r| conditions.iter().all(|(c, v)| self.get(r, c) == Some(*v)))
            .collect()
    }
    /// Rows grouped by the values of `keys` (every key must exist), in first-appearance order.
    fn groups(&self, keys: &[&str]) -> Vec<(Vec<String>, Vec<usize>)> {
        if keys.iter().any(|k| self.col(k).is_none()) {
            return Vec::new();
        }
        let mut out: Vec<(Vec<String>, Vec<usize>)> = Vec::new();
        for r in 0..self.rows.len() {
            let key: Vec<String> = keys.iter().map(|k| self.get(r, k).unwrap_or("").to_string()).collect();
            match out.iter_mut().find(|(k, _)| *k == key) {
                Some((_, rows)) => rows.push(r),
                None => out.push((key, vec![r])),
            }
        }
        out
    }
}

fn read_table(path: &Path) -> Table {
    let mut r = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let header = r.headers().unwrap_or_else(|e| panic!("{}: {e}", path.display())).iter().map(str::to_string).collect();
    let rows = r
        .records()
        .map(|rec| rec.unwrap_or_else(|e| panic!("{}: {e}", path.display())).iter().map(str::to_string).collect())
        .collect();
    Table { header, rows }
}

fn read_dir_tables(dir: &Path) -> BTreeMap<String, Table> {
    let mut out = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return out };
    for e in entries {
        let p = e.expect("dir entry").path();
        if p.extension().is_some_and(|x| x == "csv") {
            let name = p.file_stem().expect("stem").to_string_lossy().into_owned();
            out.insert(name, read_table(&p));
        }
    }
    out
}

/// One cell of one table.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cell {
    pub table: String,
    pub row: usize,
    pub column: String,
}

fn cell(table: &str, row: usize, column: &str) -> Cell {
    Cell { table: table.to_string(), row, column: column.to_string() }
}

/// Sum of coefficient x cell = 0.
#[derive(Debug, Clone)]
pub struct Relation {
    pub what: String,
    pub terms: Vec<(Cell, i64)>,
    /// Built into the tables (must hold on the restricted tier) rather than resting on the definition.
    pub structural: bool,
}

/// `total = sum(parts)`.
fn sum_is(what: String, total: Cell, parts: Vec<Cell>, structural: bool) -> Relation {
    let mut terms = vec![(total, 1)];
    terms.extend(parts.into_iter().map(|p| (p, -1)));
    Relation { what, terms, structural }
}

/// A published set: the public tables (suppressed) and, for checking the relations, the restricted ones.
pub struct RunTables {
    pub public: BTreeMap<String, Table>,
    pub restricted: BTreeMap<String, Table>,
}

impl RunTables {
    pub fn load(out: &Path) -> RunTables {
        RunTables { public: read_dir_tables(&out.join("public").join("tables")), restricted: read_dir_tables(&out.join("tables")) }
    }
}

/// Upper age of an age band label ("0-9" -> 9, "65+" -> None, "unknown" -> None).
fn band_upper(label: &str) -> Option<u32> {
    let (_, hi) = label.split_once('-')?;
    hi.trim().parse().ok()
}

fn weekday_number(d: &str) -> Option<usize> {
    ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].iter().position(|w| w.eq_ignore_ascii_case(d.trim()))
}

/// Whole hours of "HH:MM", or None when the time is not on the hour.
fn whole_hour(t: &str) -> Option<usize> {
    let (h, m) = t.split_once(':')?;
    (m.trim() == "00").then_some(())?;
    h.trim().parse().ok().filter(|h: &usize| *h < 24)
}

/// The hours of the week (weekday 0 = Mon, hour) a window covers: from `start` on each listed day to `end`,
/// on the next day when the window runs past midnight.
fn window_hours(days: &str, start: usize, end: usize) -> BTreeSet<(usize, usize)> {
    let mut out = BTreeSet::new();
    for d in days.split(',').filter_map(weekday_number) {
        if start < end {
            out.extend((start..end).map(|h| (d, h)));
        } else {
            out.extend((start..24).map(|h| (d, h)));
            out.extend((0..end).map(|h| ((d + 1) % 7, h)));
        }
    }
    out
}

/// Every relation between published cells the checker knows of (see the module docs).
pub fn relations(p: &BTreeMap<String, Table>) -> Vec<Relation> {
    let mut out = Vec::new();
    let t = |name: &str| p.get(name);

    // A table's total column repeated on each row of a group = the sum of the group's count column.
    let margin = |out: &mut Vec<Relation>, name: &str, keys: &[&str], count: &str, total: &str| {
        let Some(tb) = t(name) else { return };
        for (key, rows) in tb.groups(keys) {
            for &r in &rows {
                let parts = rows.iter().map(|&q| cell(name, q, count)).collect();
                out.push(sum_is(format!("{name}: {total} = sum of {count} by {keys:?} = {key:?}"), cell(name, r, total), parts, true));
            }
        }
    };

    // --- place ---------------------------------------------------------------------------------------
    if let Some(a) = t("place_area_totals") {
        for r in 0..a.rows.len() {
            let parts = ["offences_in_wards", "offences_outside_area", "offences_unlocated"].iter().map(|c| cell("place_area_totals", r, c)).collect();
            out.push(sum_is(format!("place_area_totals row {}: offences = in wards + outside + unlocated", r + 1), cell("place_area_totals", r, "offences"), parts, true));
            let theme = a.get(r, "theme").unwrap_or("");
            if let Some(w) = t("place_wards") {
                let parts = w.rows_where(&[("theme", theme)]).into_iter().map(|q| cell("place_wards", q, "offences")).collect();
                out.push(sum_is(format!("offences_in_wards of {theme} = sum of place_wards"), cell("place_area_totals", r, "offences_in_wards"), parts, true));
            }
            if let Some(pa) = t("people_age") {
                if let Some(&q) = pa.rows_where(&[("theme", theme), ("role", "victim")]).first() {
                    out.push(sum_is(format!("place_area_totals victims of {theme} = people_age victim total"), cell("place_area_totals", r, "victims"), vec![cell("people_age", q, "total")], true));
                }
            }
            let start = a.get(r, "period_start").unwrap_or("");
            if let Some(tp) = t("time_periods") {
                for q in tp.rows_where(&[("theme", theme), ("period_start", start)]) {
                    out.push(sum_is(format!("{theme}: time_periods offences = area total"), cell("time_periods", q, "offences"), vec![cell("place_area_totals", r, "offences")], true));
                }
            }
            if let Some(n) = t("time_nte") {
                for q in n.rows_where(&[("theme", theme)]) {
                    let parts = vec![cell("time_nte", q, "offences"), cell("time_nte", q, "offences_time_unknown")];
                    out.push(sum_is(format!("{theme}: area offences = time_nte offences + time unknown"), cell("place_area_totals", r, "offences"), parts, true));
                }
            }
            if let Some(h) = t("time_hour_weekday") {
                for q in h.rows_where(&[("theme", theme)]) {
                    out.push(sum_is(format!("{theme}: time_hour_weekday theme_offences = area total"), cell("time_hour_weekday", q, "theme_offences"), vec![cell("place_area_totals", r, "offences")], true));
                }
            }
        }
    }

    // --- people --------------------------------------------------------------------------------------
    margin(&mut out, "people_age", &["period_start", "theme", "role"], "count", "total");
    margin(&mut out, "people_sex", &["period_start", "theme", "role"], "count", "total");
    margin(&mut out, "people_ethnicity", &["scope", "periods", "period_start", "period_end", "theme", "role", "age_group"], "count", "total");
    if let Some(pa) = t("people_age") {
        for (key, rows) in pa.groups(&["period_start", "theme", "role"]) {
            let [start, theme, role] = [key[0].as_str(), key[1].as_str(), key[2].as_str()];
            let Some(&first) = rows.first() else { continue };
            let age_total = cell("people_age", first, "total");
            if let Some(s) = t("people_sex") {
                for q in s.rows_where(&[("period_start", start), ("theme", theme), ("role", role)]) {
                    out.push(sum_is(format!("{theme} {role}: people_sex total = people_age total"), cell("people_sex", q, "total"), vec![age_total.clone()], true));
                }
            }
            if let Some(e) = t("people_ethnicity") {
                let under_25: Vec<Cell> = rows
                    .iter()
                    .filter(|&&q| pa.get(q, "age_band").and_then(band_upper).is_some_and(|hi| hi < 25))
                    .map(|&q| cell("people_age", q, "count"))
                    .collect();
                for q in e.rows_where(&[("periods", "1"), ("period_start", start), ("theme", theme), ("role", role)]) {
                    match e.get(q, "age_group") {
                        Some("all ages") => out.push(sum_is(format!("{theme} {role}: people_ethnicity total = people_age total"), cell("people_ethnicity", q, "total"), vec![age_total.clone()], true)),
                        Some("under 25") if !under_25.is_empty() => out.push(sum_is(format!("{theme} {role}: people_ethnicity under-25 total = people_age bands below 25"), cell("people_ethnicity", q, "total"), under_25.clone(), true)),
                        _ => {}
                    }
                }
            }
        }
        // The under-25 theme is serious violence with a victim or suspect under 25 (in the definitions that
        // have it): its people under 25 are serious violence's.
        for r in pa.rows_where(&[("theme", "under_25")]) {
            if !pa.get(r, "age_band").and_then(band_upper).is_some_and(|hi| hi < 25) {
                continue;
            }
            let key = ["period_start", "role", "age_band"].map(|c| (c, pa.get(r, c).unwrap_or("")));
            for q in pa.rows_where(&[("theme", "serious_violence"), key[0], key[1], key[2]]) {
                out.push(sum_is(format!("people_age under_25 = serious_violence for {:?}", key), cell("people_age", r, "count"), vec![cell("people_age", q, "count")], false));
            }
        }
    }
    if let Some(e) = t("people_ethnicity") {
        for r in e.rows_where(&[("theme", "under_25"), ("age_group", "under 25")]) {
            let key = ["scope", "periods", "period_start", "role", "age_group", "ethnic_group"].map(|c| (c, e.get(r, c).unwrap_or("")));
            let mut cond = vec![("theme", "serious_violence")];
            cond.extend(key);
            for q in e.rows_where(&cond) {
                out.push(sum_is(format!("people_ethnicity under_25 = serious_violence for {:?}", key), cell("people_ethnicity", r, "count"), vec![cell("people_ethnicity", q, "count")], false));
            }
        }
    }

    // --- time ----------------------------------------------------------------------------------------
    if let Some(tp) = t("time_periods") {
        for r in 0..tp.rows.len() {
            let (theme, period) = (tp.get(r, "theme").unwrap_or(""), tp.get(r, "period").unwrap_or(""));
            if let Some(m) = t("time_months") {
                let parts = m.rows_where(&[("theme", theme), ("period", period)]).into_iter().map(|q| cell("time_months", q, "offences")).collect();
                out.push(sum_is(format!("{theme} {period}: time_periods offences = sum of time_months"), cell("time_periods", r, "offences"), parts, true));
            }
            let before = tp.get(r, "compared_with").unwrap_or("");
            if !before.is_empty() {
                for q in tp.rows_where(&[("theme", theme), ("period", before)]) {
                    out.push(sum_is(format!("{theme} {period}: previous_offences = offences of {before}"), cell("time_periods", r, "previous_offences"), vec![cell("time_periods", q, "offences")], true));
                }
            }
            let start = tp.get(r, "period_start").unwrap_or("");
            if let Some(sd) = t("response_sanction_detection") {
                for q in sd.rows_where(&[("theme", theme), ("scope", "period"), ("period_start", start)]) {
                    out.push(sum_is(format!("{theme} {period}: sanction-detection offences = time_periods offences"), cell("response_sanction_detection", q, "offences"), vec![cell("time_periods", r, "offences")], true));
                }
            }
        }
    }
    if let Some(h) = t("time_hour_weekday") {
        for (key, rows) in h.groups(&["theme", "period_start"]) {
            let Some(&first) = rows.first() else { continue };
            for c in ["theme_offences", "theme_offences_start_hour_only", "theme_offences_week_or_more", "theme_offences_time_unknown"] {
                for &r in &rows[1..] {
                    out.push(sum_is(format!("time_hour_weekday {key:?}: {c} is one figure on every row"), cell("time_hour_weekday", r, c), vec![cell("time_hour_weekday", first, c)], true));
                }
            }
            for c in ["offences_starting", "weight"] {
                let mut terms = vec![(cell("time_hour_weekday", first, "theme_offences"), 1), (cell("time_hour_weekday", first, "theme_offences_time_unknown"), -1)];
                terms.extend(rows.iter().map(|&r| (cell("time_hour_weekday", r, c), -1)));
                out.push(Relation { what: format!("time_hour_weekday {key:?}: the 168 hours' {c} = offences with a time"), terms, structural: true });
            }
            if let Some(n) = t("time_nte") {
                for q in n.rows_where(&[("theme", &key[0])]) {
                    out.push(sum_is(format!("{key:?}: time_nte time unknown = time_hour_weekday's"), cell("time_nte", q, "offences_time_unknown"), vec![cell("time_hour_weekday", first, "theme_offences_time_unknown")], true));
                    let (Some(start), Some(end)) = (n.get(q, "window_start").and_then(whole_hour), n.get(q, "window_end").and_then(whole_hour)) else { continue };
                    if n.get(q, "time_basis") != Some("committed_from") {
                        continue;
                    }
                    let hours = window_hours(n.get(q, "window_days").unwrap_or(""), start, end);
                    let parts = rows
                        .iter()
                        .copied()
                        .filter(|&r| {
                            let d = h.get(r, "weekday").and_then(weekday_number);
                            let hr = h.get(r, "hour").and_then(|x| x.parse::<usize>().ok());
                            d.zip(hr).is_some_and(|dh| hours.contains(&dh))
                        })
                        .map(|r| cell("time_hour_weekday", r, "offences_starting"))
                        .collect();
                    let window = n.get(q, "window").unwrap_or("");
                    out.push(sum_is(format!("{key:?}: time_nte {window} = its hours in time_hour_weekday"), cell("time_nte", q, "offences_in_window"), parts, true));
                }
            }
        }
    }

    // --- response ------------------------------------------------------------------------------------
    for (name, counts, structural) in [
        ("response_sanction_detection", &["offences", "sanction_detections"][..], true),
        ("response_repeat_victims", &["records_without_id"][..], false),
    ] {
        let Some(tb) = t(name) else { continue };
        for (key, rows) in tb.groups(&["theme"]) {
            let all: Vec<usize> = rows.iter().copied().filter(|&r| tb.get(r, "scope") != Some("period")).collect();
            let periods: Vec<usize> = rows.iter().copied().filter(|&r| tb.get(r, "scope") == Some("period")).collect();
            for &a in &all {
                for c in counts {
                    let parts = periods.iter().map(|&q| cell(name, q, c)).collect();
                    out.push(sum_is(format!("{name} {key:?}: all periods {c} = sum of the periods"), cell(name, a, c), parts, structural));
                }
            }
        }
    }

    // --- partners ------------------------------------------------------------------------------------
    margin(&mut out, "partners_marac_agencies", &["scope"], "referrals", "total_referrals");
    if let Some(g) = t("partners_exclusions_groups") {
        for (key, rows) in g.groups(&["scope"]) {
            let (all, groups): (Vec<usize>, Vec<usize>) = rows.iter().partition(|&&r| g.get(r, "ethnic_group") == Some("All"));
            for &a in &all {
                for c in ["exclusions", "pupils", "violence_related", "violence_related_pupils"] {
                    let parts = groups.iter().map(|&q| cell("partners_exclusions_groups", q, c)).collect();
                    out.push(sum_is(format!("partners_exclusions_groups {key:?}: All {c} = sum of the groups"), cell("partners_exclusions_groups", a, c), parts, true));
                }
            }
        }
    }

    // --- open data (police.uk) -----------------------------------------------------------------------
    // The proxy is the sum of its crime types, per ward, per month and in the area totals.
    for (name, keys, counts) in [
        ("open_place_wards", &["period_start", "ward_code"][..], &["offences"][..]),
        ("open_time_months", &["month"][..], &["offences"][..]),
        ("open_area_totals", &["period_start"][..], &["offences", "offences_unplaced"][..]),
    ] {
        let Some(tb) = t(name) else { continue };
        for (key, rows) in tb.groups(keys) {
            let (proxy, types): (Vec<usize>, Vec<usize>) = rows.iter().partition(|&&r| tb.get(r, "crime_types") == Some("proxy"));
            for &x in &proxy {
                for c in counts {
                    let parts = types.iter().map(|&q| cell(name, q, c)).collect();
                    out.push(sum_is(format!("{name} {key:?}: proxy {c} = sum of its crime types"), cell(name, x, c), parts, true));
                }
            }
        }
    }
    if let Some(a) = t("open_area_totals") {
        for r in 0..a.rows.len() {
            let ct = a.get(r, "crime_types").unwrap_or("");
            if let Some(w) = t("open_place_wards") {
                let mut parts = vec![cell("open_area_totals", r, "offences_unplaced")];
                parts.extend(w.rows_where(&[("crime_types", ct)]).into_iter().map(|q| cell("open_place_wards", q, "offences")));
                out.push(sum_is(format!("open_area_totals {ct}: offences = unplaced + sum of wards"), cell("open_area_totals", r, "offences"), parts, true));
            }
            if let Some(m) = t("open_time_months") {
                let parts = m.rows_where(&[("crime_types", ct)]).into_iter().map(|q| cell("open_time_months", q, "offences")).collect();
                out.push(sum_is(format!("open_area_totals {ct}: offences = sum of months"), cell("open_area_totals", r, "offences"), parts, false));
            }
        }
    }
    out
}

/// The number in a cell of the given set, or None for an empty or suppressed cell.
fn number(set: &BTreeMap<String, Table>, c: &Cell) -> Option<f64> {
    let v = set.get(&c.table)?.get(c.row, &c.column)?.trim();
    if v.is_empty() || v == SUPPRESSED {
        return None;
    }
    v.parse().ok()
}

fn holds(r: &Relation, set: &BTreeMap<String, Table>) -> Result<bool, String> {
    let mut sum = 0.0;
    let mut scale: f64 = 1.0;
    for (c, k) in &r.terms {
        let v = number(set, c).ok_or_else(|| format!("{}: {} row {} {} is not a number", r.what, c.table, c.row + 1, c.column))?;
        sum += *k as f64 * v;
        scale = scale.max(v.abs());
    }
    Ok(sum.abs() <= 1e-6 * scale)
}

/// The relations that hold on the restricted tables: structural ones must (else the checker is wrong and
/// this panics), definitional ones are kept where they do. Relations with an empty cell are dropped.
pub fn true_relations(run: &RunTables) -> Vec<Relation> {
    let mut kept = Vec::new();
    for r in relations(&run.public) {
        let empty = r.terms.iter().any(|(c, _)| run.public.get(&c.table).and_then(|t| t.get(c.row, &c.column)).is_none_or(|v| v.trim().is_empty()));
        if empty {
            continue;
        }
        match holds(&r, &run.restricted) {
            Ok(true) => kept.push(r),
            Ok(false) if !r.structural => {}
            Ok(false) => panic!("the checker's relation does not hold on the restricted tables: {}", r.what),
            Err(e) if run.restricted.is_empty() => panic!("no restricted tables to check the relations against: {e}"),
            Err(e) => panic!("{e}"),
        }
    }
    kept
}

fn gcd(a: i128, b: i128) -> i128 {
    let (mut a, mut b) = (a.abs(), b.abs());
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// A suppressed cell that the published relations give away, with its value.
#[derive(Debug, Clone)]
pub struct Recovered {
    pub cell: Cell,
    pub value: f64,
}

/// Exact linear recovery: every suppressed cell the relations determine.
pub fn recoveries(public: &BTreeMap<String, Table>, relations: &[Relation]) -> Vec<Recovered> {
    // Unknowns: the suppressed cells the relations name.
    let mut unknowns: BTreeMap<Cell, usize> = BTreeMap::new();
    for r in relations {
        for (c, _) in &r.terms {
            let hidden = public.get(&c.table).and_then(|t| t.get(c.row, &c.column)) == Some(SUPPRESSED);
            if hidden && !unknowns.contains_key(c) {
                let n = unknowns.len();
                unknowns.insert(c.clone(), n);
            }
        }
    }
    let names: Vec<Cell> = {
        let mut v = vec![None; unknowns.len()];
        for (c, &i) in &unknowns {
            v[i] = Some(c.clone());
        }
        v.into_iter().map(|c| c.expect("every index named")).collect()
    };
    // Equations: coefficients over unknowns, right-hand side from the published cells.
    let mut eqs: Vec<(BTreeMap<usize, i128>, f64)> = Vec::new();
    for r in relations {
        let mut coef: BTreeMap<usize, i128> = BTreeMap::new();
        let mut rhs = 0.0;
        for (c, k) in &r.terms {
            match unknowns.get(c) {
                Some(&i) => *coef.entry(i).or_default() += i128::from(*k),
                None => rhs -= *k as f64 * number(public, c).unwrap_or(0.0),
            }
        }
        coef.retain(|_, v| *v != 0);
        if !coef.is_empty() {
            eqs.push((coef, rhs));
        }
    }
    // Independent blocks: unknowns joined by a shared equation (union-find).
    let mut parent: Vec<usize> = (0..names.len()).collect();
    fn find(p: &mut [usize], mut i: usize) -> usize {
        while p[i] != i {
            p[i] = p[p[i]];
            i = p[i];
        }
        i
    }
    for (coef, _) in &eqs {
        let mut it = coef.keys();
        if let Some(&a) = it.next() {
            for &b in it {
                let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
                parent[ra] = rb;
            }
        }
    }
    let mut blocks: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (k, (coef, _)) in eqs.iter().enumerate() {
        if let Some(&a) = coef.keys().next() {
            let root = find(&mut parent, a);
            blocks.entry(root).or_default().push(k);
        }
    }
    let mut found = Vec::new();
    for eq_ids in blocks.values() {
        let cols: Vec<usize> = eq_ids.iter().flat_map(|&k| eqs[k].0.keys().copied()).collect::<BTreeSet<_>>().into_iter().collect();
        let at: BTreeMap<usize, usize> = cols.iter().enumerate().map(|(j, &c)| (c, j)).collect();
        let mut rows: Vec<(Vec<i128>, f64)> = eq_ids
            .iter()
            .map(|&k| {
                let mut v = vec![0i128; cols.len()];
                for (c, x) in &eqs[k].0 {
                    v[at[c]] = *x;
                }
                (v, eqs[k].1)
            })
            .collect();
        // Fraction-free Gauss-Jordan elimination, each row kept divided by the gcd of its entries.
        let mut pivots: Vec<(usize, usize)> = Vec::new(); // (row, column)
        let mut next = 0;
        for j in 0..cols.len() {
            let Some(p) = (next..rows.len()).find(|&i| rows[i].0[j] != 0) else { continue };
            rows.swap(next, p);
            let (pv, prhs) = rows[next].clone();
            for i in 0..rows.len() {
                if i == next || rows[i].0[j] == 0 {
                    continue;
                }
                let (a, b) = (pv[j], rows[i].0[j]);
                let row = &mut rows[i];
                for (x, y) in row.0.iter_mut().zip(&pv) {
                    *x = x.checked_mul(a).and_then(|l| y.checked_mul(b).and_then(|r| l.checked_sub(r))).expect("coefficients fit i128");
                }
                row.1 = row.1 * a as f64 - prhs * b as f64;
                let g = row.0.iter().fold(0, |g, &x| gcd(g, x));
                if g > 1 {
                    row.0.iter_mut().for_each(|x| *x /= g);
                    row.1 /= g as f64;
                }
            }
            pivots.push((next, j));
            next += 1;
        }
        for (i, j) in pivots {
            let (v, rhs) = &rows[i];
            if v.iter().enumerate().all(|(k, &x)| k == j || x == 0) {
                found.push(Recovered { cell: names[cols[j]].clone(), value: rhs / v[j] as f64 });
            }
        }
    }
    found.sort_by(|a, b| a.cell.cmp(&b.cell));
    found
}

/// Method columns whose value depends on the size of a count, and the count each rests on.
const COUNT_DEPENDENT_METHODS: &[(&str, &str, &str)] = &[
    ("place_wards", "method", "offences"),
    ("place_area_totals", "method", "offences"),
    ("people_age", "method", "count"),
    ("people_sex", "method", "count"),
    ("people_ethnicity", "method", "count"),
    ("people_ethnicity", "rate_ratio_method", "count"),
    ("partners_wards", "method", "count"),
    ("partners_exclusions_groups", "rate_method", "violence_related"),
    ("partners_exclusions_groups", "rate_ratio_method", "violence_related"),
    ("open_place_wards", "method", "offences"),
];

/// Suppressed rows that say why: a count-dependent method shown beside a suppressed count, or a method
/// column that varies within its table and is not known to the list above.
pub fn telling_rows(public: &BTreeMap<String, Table>) -> Vec<String> {
    let mut out = Vec::new();
    for (name, t) in public {
        for (h, col) in t.header.iter().enumerate() {
            if !col.ends_with("method") {
                continue;
            }
            let values: BTreeSet<&str> = t.rows.iter().filter_map(|r| r.get(h)).map(String::as_str).filter(|v| !v.is_empty()).collect();
            let rests_on = COUNT_DEPENDENT_METHODS.iter().find(|(n, c, _)| n == name && c == col).map(|(_, _, k)| *k);
            match rests_on {
                Some(count) => {
                    for r in 0..t.rows.len() {
                        let m = t.get(r, col).unwrap_or("");
                        if t.get(r, count) == Some(SUPPRESSED) && !m.is_empty() {
                            out.push(format!("{name} row {}: {col} = {m:?} beside a suppressed {count}", r + 1));
                        }
                    }
                }
                None if values.len() > 1 => {
                    let suppressed_rows = (0..t.rows.len()).any(|r| t.rows[r].iter().any(|v| v == SUPPRESSED));
                    if suppressed_rows {
                        out.push(format!("{name}: {col} takes {values:?}; which count does it rest on? (add it to COUNT_DEPENDENT_METHODS)"));
                    }
                }
                None => {}
            }
        }
    }
    out
}

/// Everything wrong with a run's public tier, one line each (empty when it is safe).
pub fn disclosures(out: &Path) -> Vec<String> {
    let run = RunTables::load(out);
    assert!(!run.public.is_empty(), "{}: no public tables", out.display());
    let rels = true_relations(&run);
    let mut found: Vec<String> = recoveries(&run.public, &rels)
        .into_iter()
        .map(|r| {
            let how: Vec<&str> = rels.iter().filter(|x| x.terms.iter().any(|(c, _)| *c == r.cell)).map(|x| x.what.as_str()).take(3).collect();
            format!("{} row {} {} = {} recovered (via {})", r.cell.table, r.cell.row + 1, r.cell.column, (r.value * 1000.0).round() / 1000.0, how.join("; "))
        })
        .collect();
    found.extend(telling_rows(&run.public));
    found
}

fn assert_safe(out: &Path) {
    let found = disclosures(out);
    assert!(found.is_empty(), "{}: {} disclosures in the public tier:\n{}", out.display(), found.len(), found.join("\n"));
}

fn run_shipped(pipeline: &str) -> PathBuf {
    let dir = tempfile::tempdir().expect("tempdir").keep();
    let out = dir.join("out");
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines").join(pipeline);
    sna()
        .env("SNA_PSEUDONYM_KEY", "test-key-for-real-public-data-123")
        .args(["--quiet", "run"])
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    out
}

#[test]
fn demo_public_tier_gives_nothing_away() {
    let out = demo_out();
    let run = RunTables::load(out);
    let rels = true_relations(&run);
    // The checker knows the relations the issue names.
    for what in ["offences_in_wards of knife_enabled", "people_ethnicity under-25 total = people_age bands below 25", "time_nte night_time_economy = its hours"] {
        assert!(rels.iter().any(|r| r.what.contains(what)), "no relation {what}");
    }
    assert!(run.public.values().any(|t| t.rows.iter().flatten().any(|v| v == SUPPRESSED)), "the demo suppresses something");
    assert_safe(out);
}

#[test]
fn city_of_london_public_tier_gives_nothing_away() {
    let out = run_shipped("city-of-london-2024.toml");
    let run = RunTables::load(&out);
    let rels = true_relations(&run);
    assert!(rels.iter().any(|r| r.what.contains("open_place_wards") && r.what.contains("proxy offences = sum of its crime types")));
    assert_safe(&out);
}

#[test]
fn bedfordshire_public_tier_gives_nothing_away() {
    assert_safe(&run_shipped("bedfordshire-2025.toml"));
}

/// Check any run folder: `SNA_CHECK_OUT=<out> cargo test --test it disclosure_check::any_run -- --ignored`.
#[test]
#[ignore]
fn any_run() {
    let out = std::env::var("SNA_CHECK_OUT").expect("SNA_CHECK_OUT names a run folder");
    assert_safe(Path::new(&out));
}

mod checker_finds {
    //! The checker itself must be able to fail: the three recoveries of issue 13, built by hand.
    use super::*;

    fn table(header: &[&str], rows: &[&[&str]]) -> Table {
        Table { header: header.iter().map(|s| s.to_string()).collect(), rows: rows.iter().map(|r| r.iter().map(|s| s.to_string()).collect()).collect() }
    }

    fn found(public: BTreeMap<String, Table>) -> Vec<(String, usize, String, f64)> {
        let rels = relations(&public);
        recoveries(&public, &rels).into_iter().map(|r| (r.cell.table, r.cell.row, r.cell.column, r.value)).collect()
    }

    #[test]
    fn outside_area_as_total_minus_wards() {
        let mut p = BTreeMap::new();
        p.insert(
            "place_area_totals".into(),
            table(
                &["period_start", "theme", "offences", "offences_in_wards", "offences_outside_area", "offences_unlocated", "victims"],
                &[&["2025-04-01", "knife_enabled", "627", "[c]", "[c]", "0", "683"]],
            ),
        );
        p.insert("place_wards".into(), table(&["theme", "ward_code", "offences"], &[&["knife_enabled", "A", "400"], &["knife_enabled", "B", "224"]]));
        let got = found(p.clone());
        assert!(got.contains(&("place_area_totals".into(), 0, "offences_outside_area".into(), 3.0)), "{got:?}");
        assert!(got.contains(&("place_area_totals".into(), 0, "offences_in_wards".into(), 624.0)), "{got:?}");
        // One ward suppressed as well: three unknowns, two equations, nothing determined.
        p.get_mut("place_wards").unwrap().rows[1][2] = "[c]".into();
        assert!(found(p).is_empty());
    }

    #[test]
    fn young_victims_as_under_25_total_minus_bands() {
        let mut p = BTreeMap::new();
        let age = |band: &'static str, count: &'static str| -> [&'static str; 6] { ["2025-04-01", "serious_violence", "victim", band, count, "100"] };
        let rows = [age("0-9", "[c]"), age("10-17", "30"), age("18-24", "40"), age("25-34", "[c]"), age("35+", "14")];
        let rows: Vec<&[&str]> = rows.iter().map(|r| &r[..]).collect();
        p.insert("people_age".into(), table(&["period_start", "theme", "role", "age_band", "count", "total"], &rows));
        p.insert(
            "people_ethnicity".into(),
            table(
                &["scope", "periods", "period_start", "period_end", "theme", "role", "age_group", "ethnic_group", "count", "total"],
                &[
                    &["current period", "1", "2025-04-01", "2026-03-31", "serious_violence", "victim", "under 25", "A", "50", "78"],
                    &["current period", "1", "2025-04-01", "2026-03-31", "serious_violence", "victim", "under 25", "B", "28", "78"],
                ],
            ),
        );
        let got = found(p);
        assert!(got.contains(&("people_age".into(), 0, "count".into(), 8.0)), "{got:?}");
        assert!(got.contains(&("people_age".into(), 3, "count".into(), 8.0)), "{got:?}");
    }

    #[test]
    fn robbery_as_proxy_minus_violence() {
        let mut p = BTreeMap::new();
        p.insert(
            "open_place_wards".into(),
            table(
                &["period_start", "crime_types", "ward_code", "offences"],
                &[
                    &["2024-04-01", "proxy", "Aldersgate", "22"],
                    &["2024-04-01", "Robbery", "Aldersgate", "[c]"],
                    &["2024-04-01", "Violence and sexual offences", "Aldersgate", "21"],
                    &["2024-04-01", "proxy", "Aldgate", "34"],
                    &["2024-04-01", "Robbery", "Aldgate", "[c]"],
                    &["2024-04-01", "Violence and sexual offences", "Aldgate", "31"],
                ],
            ),
        );
        let got = found(p);
        assert!(got.contains(&("open_place_wards".into(), 1, "offences".into(), 1.0)), "{got:?}");
        assert!(got.contains(&("open_place_wards".into(), 4, "offences".into(), 3.0)), "{got:?}");
    }

    #[test]
    fn a_nested_difference_is_found_although_no_equation_has_a_lone_cell() {
        // total = a + b + c, under = a + b: c = total - under, with two unknowns in each equation.
        let mut p = BTreeMap::new();
        let rows: Vec<&[&str]> = vec![
            &["2025-04-01", "serious_violence", "victim", "0-9", "[c]", "40"],
            &["2025-04-01", "serious_violence", "victim", "10-24", "[c]", "40"],
            &["2025-04-01", "serious_violence", "victim", "25-99", "[c]", "40"],
        ];
        p.insert("people_age".into(), table(&["period_start", "theme", "role", "age_band", "count", "total"], &rows));
        p.insert(
            "people_ethnicity".into(),
            table(
                &["scope", "periods", "period_start", "period_end", "theme", "role", "age_group", "ethnic_group", "count", "total"],
                &[&["current period", "1", "2025-04-01", "2026-03-31", "serious_violence", "victim", "under 25", "A", "33", "33"]],
            ),
        );
        let got = found(p);
        assert_eq!(got, vec![("people_age".into(), 2, "count".into(), 7.0)]);
    }

    #[test]
    fn a_method_that_says_under_10() {
        let mut p = BTreeMap::new();
        p.insert("open_place_wards".into(), table(&["crime_types", "offences", "method"], &[&["Robbery", "[c]", "Exact"], &["Robbery", "12", "Byars"]]));
        assert_eq!(telling_rows(&p).len(), 1);
        p.insert("other".into(), table(&["x", "method"], &[&["[c]", "Exact"], &["12", "Byars"]]));
        assert_eq!(telling_rows(&p).len(), 2, "an unknown varying method column is reported");
    }
}
