//! The public tier (`public/tables/`): only tables with a publication rule appear; no count shows 1..4 (the
//! demo's `suppress_below = 5`); figures resting on a suppressed count are blank; no group of cells whose sum
//! is published holds a single suppressed cell (it would be total minus the others).

use crate::support::demo_out;
use sna::report::public::{PublicRules, SUPPRESSED, TableRule};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

const THRESHOLD: f64 = 5.0;

fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let header: Vec<String> = r.headers().expect("header").iter().map(str::to_string).collect();
    let rows = r
        .records()
        .map(|rec| rec.unwrap_or_else(|e| panic!("{}: {e}", path.display())).iter().map(str::to_string).collect())
        .collect();
    (header, rows)
}

fn stems(dir: &Path, ext: &str) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .map(|p| p.file_stem().expect("stem").to_string_lossy().into_owned())
        .collect()
}

fn check_table(name: &str, rule: &TableRule, header: &[String], rows: &[Vec<String>]) -> usize {
    let col = |c: &str| header.iter().position(|h| h == c).unwrap_or_else(|| panic!("{name}: no column {c}"));
    for d in &rule.drop {
        assert!(!header.contains(d), "{name}: dropped column {d} is published");
    }
    let mut suppressed = 0;
    for count in &rule.counts {
        let k = col(count);
        for (i, row) in rows.iter().enumerate() {
            let v = row[k].as_str();
            if v == SUPPRESSED {
                suppressed += 1;
                for d in rule.derived.get(count).into_iter().flatten() {
                    assert_eq!(row[col(d)], "", "{name} row {}: {d} rests on suppressed {count}", i + 1);
                }
                continue;
            }
            if v.is_empty() {
                continue;
            }
            let x: f64 = v.parse().unwrap_or_else(|_| panic!("{name} row {}: {count} = {v:?}", i + 1));
            assert!(!(x > 0.0 && x < THRESHOLD), "{name} row {}: {count} = {v} is published", i + 1);
        }
        // Secondary suppression: no group with exactly one suppressed cell.
        for keys in &rule.groups {
            let key_cols: Vec<usize> = keys.iter().map(|c| col(c)).collect();
            let mut hidden: BTreeMap<Vec<&str>, usize> = BTreeMap::new();
            for row in rows {
                let key = key_cols.iter().map(|&c| row[c].as_str()).collect();
                *hidden.entry(key).or_default() += usize::from(row[k] == SUPPRESSED);
            }
            for (key, n) in hidden {
                assert_ne!(n, 1, "{name}: {count} by {keys:?} = {key:?} has one suppressed cell");
            }
        }
    }
    for sums in &rule.row_sums {
        for (i, row) in rows.iter().enumerate() {
            let n = sums.iter().filter(|c| row[col(c)] == SUPPRESSED).count();
            assert_ne!(n, 1, "{name} row {}: one suppressed cell among {sums:?}", i + 1);
        }
    }
    suppressed
}

#[test]
fn public_tables_hide_small_counts_and_what_rests_on_them() {
    let out = demo_out();
    let public = out.join("public").join("tables");
    let rules = PublicRules::embedded().expect("embedded rules");
    let analysed = stems(&out.join("tables"), "parquet");
    let published = stems(&public, "csv");
    let expected: BTreeSet<String> = analysed.iter().filter(|n| rules.tables.contains_key(*n)).cloned().collect();
    assert_eq!(published, expected, "exactly the tables with a rule are published");
    assert!(published.contains("place_wards") && published.contains("people_ethnicity"), "{published:?}");
    for unlisted in ["quality_rejects", "partners_counts", "place_lorenz", "people_under25"] {
        assert!(analysed.contains(unlisted), "the demo writes {unlisted}");
        assert!(!public.join(format!("{unlisted}.csv")).exists(), "{unlisted} is not for publication");
    }
    let mut total_suppressed = 0;
    for name in &published {
        let (header, rows) = read_csv(&public.join(format!("{name}.csv")));
        assert!(!rows.is_empty(), "{name} is empty");
        total_suppressed += check_table(name, &rules.tables[name], &header, &rows);
    }
    assert!(total_suppressed > 0, "the demo has small cells, so something must be suppressed");

    let readme = std::fs::read_to_string(public.join("README.md")).expect("public/tables/README.md");
    assert!(readme.contains("Counts from 1 to 4"), "{readme}");
    assert!(readme.contains("Secondary (complementary) suppression"), "{readme}");
    assert!(readme.contains("`quality_rejects`"), "the README lists what is not published");
}
