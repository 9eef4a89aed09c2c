//! The findings text on the synthetic borough states the planted truths, with numbers and verdicts.

use crate::support::{demo_out, read_json};

fn summary() -> String {
    std::fs::read_to_string(demo_out().join("report/summary.md")).expect("summary.md")
}

fn section<'a>(text: &'a str, heading: &str) -> &'a str {
    let start = text.find(heading).unwrap_or_else(|| panic!("no section {heading}"));
    let rest = &text[start + heading.len()..];
    let end = rest.find("\n### ").or_else(|| rest.find("\n## ")).unwrap_or(rest.len());
    &rest[..end]
}

#[test]
fn findings_state_the_planted_truths() {
    let s = summary();
    let truth = read_json(&demo_out().join("input/truth.json"));
    // Place: the two hot wards, by name, in the top-wards sentence.
    let sv = section(&s, "### Serious violence\n");
    for name in truth["hot_wards"]["names"].as_array().expect("names") {
        assert!(sv.contains(name.as_str().expect("name")), "{sv}");
    }
    // Time: the weekend-night peak.
    assert!(sv.contains("night-time economy (Fri, Sat, Sun nights 18:00 to 06:00), more than"), "{sv}");
    let peak = sv.lines().find(|l| l.contains("busiest hours")).expect("peak sentence");
    assert!(["Fri 2", "Sat 2", "Sat 0", "Sun 0"].iter().any(|h| peak.contains(h)), "{peak}");
    // Trend: domestic abuse up and significant; the CRIS-to-CONNECT caveat next to it.
    let da = section(&s, "### Domestic abuse\n");
    let trend = da.lines().find(|l| l.starts_with("- Domestic abuse offences")).expect("DA trend");
    assert!(trend.contains("increased by") && trend.contains("statistically significant"), "{trend}");
    assert!(da.contains("CRIS to CONNECT"), "{da}");
    // People: Black residents under 25 are victims at a significantly higher rate.
    let u25 = section(&s, "### Under-25 serious violence\n");
    let black = u25.lines().find(|l| l.starts_with("- Black residents aged under 25")).expect("disproportionality sentence");
    assert!(black.contains("statistically significant"), "{black}");
    // Domestic abuse victims mostly female; partner data present.
    assert!(da.contains("Females were"), "{da}");
    let partners = section(&s, "## Partner data\n");
    assert!(partners.contains("of ambulance assault call-outs had no police-recorded offence nearby"), "{partners}");
    assert!(partners.contains("of MARAC referrals were for female victims"), "{partners}");
}

#[test]
fn no_finding_says_higher_without_an_interval_or_test_behind_it() {
    for line in summary().lines().filter(|l| l.starts_with("- ")) {
        if line.contains("significant") && !line.contains("not evidence") && !line.contains("may be chance") {
            assert!(line.contains("CI") || line.contains("p = "), "a significance claim without its interval or test: {line}");
        }
    }
}

#[test]
fn the_html_report_is_offline_and_references_only_files_that_exist() {
    let report = demo_out().join("report");
    let html = std::fs::read_to_string(report.join("index.html")).expect("index.html");
    assert!(html.contains("Summary of the Strategic Needs Assessment"));
    assert!(!html.contains("http://") && !html.contains("https://") && !html.contains("<script"), "no network, no scripts");
    let refs = sna::report::html::references(&html);
    assert!(refs.iter().any(|r| r.ends_with(".png")), "the charts are shown");
    for r in refs {
        let target = report.join(&r);
        assert!(target.is_file(), "index.html references {r}, which does not exist");
    }
}

#[test]
fn the_published_tier_has_its_own_summary_charts_and_page_built_from_suppressed_tables() {
    let public = demo_out().join("public");
    let summary = std::fs::read_to_string(public.join("report/summary.md")).expect("public summary");
    assert!(summary.contains("Published version: built only from suppressed tables"), "{summary}");
    assert!(!summary.contains("| source | rows read"), "the restricted data-accounting table is not published");
    let html = std::fs::read_to_string(public.join("report/index.html")).expect("public index.html");
    for r in sna::report::html::references(&html) {
        assert!(public.join("report").join(&r).is_file(), "public index.html references {r}, which does not exist");
    }
    // Every number in a public ward chart comes from the suppressed table: a ward whose count is suppressed
    // has no rate there, so the chart shows it as n/a.
    let table = std::fs::read_to_string(public.join("tables/place_wards.csv")).expect("public place_wards");
    if table.contains("[c]") {
        let svgs: String = std::fs::read_dir(public.join("charts")).expect("charts").filter_map(|e| e.ok()).filter(|e| e.path().extension().is_some_and(|x| x == "svg")).map(|e| std::fs::read_to_string(e.path()).unwrap_or_default()).collect();
        assert!(svgs.contains("n/a"), "suppressed wards are drawn as n/a");
    }
}
