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
        // Secondary suppression: no group with exactly one suppressed cell (the groups' own counts; links
        // across tables are checked by disclosure_check).
        let grouped = rule.group_counts.as_ref().is_none_or(|g| g.contains(count));
        for keys in rule.groups.iter().filter(|_| grouped) {
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

#[test]
fn public_charts_maps_and_workbook_come_only_from_suppressed_tables() {
    let out = demo_out();
    let public = out.join("public");
    let charts = stems(&public.join("charts"), "png");
    for prefix in ["place_wards_", "time_hour_weekday_", "time_months_", "people_ethnicity_victim_"] {
        assert!(charts.iter().any(|c| c.starts_with(prefix)), "public {prefix}* chart: {charts:?}");
    }
    // Lorenz and funnel need every ward's count; Gi* rests on the unpublished hotspot table.
    assert!(!charts.iter().any(|c| c.starts_with("place_lorenz_") || c.starts_with("place_funnel_")), "{charts:?}");
    let maps = stems(&public.join("maps"), "png");
    assert!(maps.iter().any(|m| m.starts_with("place_rates_")), "{maps:?}");
    assert!(!maps.iter().any(|m| m.starts_with("place_hotspots_")), "{maps:?}");
    for stem in charts.iter().filter(|c| !c.starts_with("place_wards_")) {
        let svg = std::fs::read_to_string(public.join("charts").join(format!("{stem}.svg"))).expect("svg");
        assert!(svg.contains("suppressed"), "{stem}: the public caption states the suppression rule");
    }
    let geojson = std::fs::read_to_string(public.join("maps").join("place_wards_serious_violence.geojson")).expect("public geojson");
    assert!(geojson.contains("\"suppressed\"") && !geojson.contains("gi_star"), "public GeoJSON: suppression flag, no Gi*");

    let book = public.join("report").join("tables.xlsx");
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(&book).expect("public/report/tables.xlsx");
    let sheets = calamine::Reader::sheet_names(&wb);
    assert!(sheets.iter().any(|s| s == "README") && sheets.iter().any(|s| s.starts_with("place_wards")), "{sheets:?}");
    assert!(!sheets.iter().any(|s| s.starts_with("quality_")), "unpublished tables stay out: {sheets:?}");
    let readme = calamine::Reader::worksheet_range(&mut wb, "README").expect("README sheet");
    let text: String = readme.rows().flat_map(|r| r.iter().map(|c| c.to_string())).collect::<Vec<_>>().join(" ");
    assert!(text.contains("1 to 4"), "the public workbook states the threshold");

    // The public page embeds the public charts and maps, and only files that exist.
    let summary = std::fs::read_to_string(public.join("report").join("summary.md")).expect("public summary");
    assert!(summary.contains("../maps/place_rates_serious_violence.png"), "public summary embeds the public map");
    assert!(summary.contains("../charts/time_hour_weekday_serious_violence.png"));
    for line in summary.lines().filter(|l| l.starts_with("![")) {
        let target = line.split("](../").nth(1).and_then(|t| t.strip_suffix(')')).expect("image link");
        assert!(public.join(target).is_file(), "public summary links a missing file: {target}");
    }
}
