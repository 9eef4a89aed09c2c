//! `report/summary.md`: the findings per theme with the charts, then data accounting and method notes.

use super::findings::{highest_rate, thousands, top_wards, unplaced, AreaFigures, WardFigures};
use super::ReportSettings;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

fn manifest(out: &Path) -> Option<serde_json::Value> {
    std::fs::read_to_string(out.join("manifest.json")).ok().and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
}

/// Ingest's warnings about the inputs (sources mostly quarantined, fields mostly unreadable, ...).
fn input_warnings(out: &Path) -> Vec<String> {
    let m = manifest(out);
    let Some(list) = m.as_ref().and_then(|m| m.get("warnings")).and_then(|w| w.as_array()) else { return vec![] };
    list.iter().filter_map(|w| w.get("message").and_then(|v| v.as_str()).map(str::to_string)).collect()
}

/// "police_offences outcome_code: 1,125 values nulled (unknown_code), e.g. "Evidential difficulties" (1,125)".
fn repaired_fields(out: &Path) -> Vec<String> {
    let m = manifest(out);
    let Some(sources) = m.as_ref().and_then(|m| m.get("sources")).and_then(|s| s.as_array()) else { return vec![] };
    let mut lines = Vec::new();
    for s in sources {
        let source = s.get("source").and_then(|v| v.as_str()).unwrap_or("");
        for g in s.get("field_issues").and_then(|g| g.as_array()).map(Vec::as_slice).unwrap_or(&[]) {
            let t = |k: &str| g.get(k).and_then(|v| v.as_str()).unwrap_or("");
            let examples: Vec<String> = g
                .get("values")
                .and_then(|v| v.as_array())
                .map(|vals| {
                    vals.iter()
                        .take(3)
                        .filter_map(|p| Some(format!("\"{}\" ({})", p.get(0)?.as_str()?.replace('|', "/"), thousands(p.get(1)?.as_u64()?))))
                        .collect()
                })
                .unwrap_or_default();
            let count = g.get("count").and_then(|v| v.as_u64()).unwrap_or(0);
            lines.push(format!("{source} `{}`: {} value(s) {} ({}), e.g. {}", t("field"), thousands(count), t("repair"), t("reason"), examples.join(", ")));
        }
    }
    lines
}

/// Rows read/staged/repaired/rejected per source, from the manifest written by ingest.
fn data_accounting(out: &Path) -> Vec<String> {
    let manifest = manifest(out);
    let Some(sources) = manifest.as_ref().and_then(|m| m.get("sources")).and_then(|s| s.as_array()) else {
        return vec![];
    };
    sources
        .iter()
        .map(|s| {
            let n = |k: &str| s.get(k).and_then(|v| v.as_u64()).unwrap_or(0);
            let reasons: BTreeMap<String, u64> = s
                .get("files")
                .and_then(|f| f.as_array())
                .map(|files| {
                    let mut m = BTreeMap::new();
                    for f in files {
                        if let Some(r) = f.get("rejects_by_reason").and_then(|r| r.as_object()) {
                            for (k, v) in r {
                                *m.entry(k.clone()).or_insert(0) += v.as_u64().unwrap_or(0);
                            }
                        }
                    }
                    m
                })
                .unwrap_or_default();
            let reasons: Vec<String> = reasons.iter().map(|(k, v)| format!("{k} {v}")).collect();
            format!(
                "| {} | {} | {} | {} | {} | {} | {} |",
                s.get("source").and_then(|v| v.as_str()).unwrap_or(""),
                thousands(n("rows_read")),
                thousands(n("rows_staged")),
                thousands(n("rows_repaired")),
                thousands(n("time_unknown")),
                thousands(n("rows_rejected")),
                if reasons.is_empty() { "-".to_string() } else { reasons.join(", ") }
            )
        })
        .collect()
}

/// The CRIS-to-CONNECT change (late February / March 2024) breaks the domestic-abuse and hate flags: say so
/// whenever the periods compared straddle it.
fn spans_connect_change(p: &crate::pipeline::config::Pipeline) -> bool {
    let change = chrono::NaiveDate::from_ymd_opt(2024, 3, 1).unwrap_or_default();
    let periods = p.all_periods();
    let start = periods.iter().map(|x| x.start).min();
    let end = periods.iter().map(|x| x.end).max();
    matches!((start, end), (Some(s), Some(e)) if s < change && change <= e)
}

const CONNECT_CAVEAT: &str = "The Metropolitan Police moved from CRIS to CONNECT in March 2024: domestic-abuse (and hate) flags before and after the change are not comparable, so trends in domestic abuse across it should be read with care.";

fn bullets(md: &mut String, heading: &str, items: Vec<String>) {
    if items.is_empty() {
        return;
    }
    let _ = writeln!(md, "**{heading}**\n");
    for i in items {
        let _ = writeln!(md, "- {i}");
    }
    let _ = writeln!(md);
}

/// `root` holds the `tables/` the findings read (the run folder, or `public/` for the published tier);
/// `out` is the run folder (manifest).
pub fn render(
    s: &ReportSettings,
    wards: &BTreeMap<String, Vec<WardFigures>>,
    areas: &BTreeMap<String, AreaFigures>,
    root: &Path,
    out: &Path,
    tier: super::Tier,
) -> String {
    use super::findings_dimensions as fd;
    use super::table_rows::Rows;
    let p = s.pipeline;
    let d = s.definition;
    let load = |name: &str| Rows::load(root, name).unwrap_or_default();
    let (periods, nte, hours) = (load("time_periods"), load("time_nte"), load("time_hour_weekday"));
    let (under25, sex, eth, completeness) = (load("people_under25"), load("people_sex"), load("people_ethnicity"), load("people_completeness"));
    let (sanctions, shares) = (load("response_sanction_detection"), load("partners_shares"));
    let connect = spans_connect_change(p);
    // Names and labels from inputs are text, never Markdown or HTML.
    let esc = super::markdown_text::md;
    let area_name = esc(&p.area);
    let escaped: BTreeMap<String, Vec<WardFigures>> =
        wards.iter().map(|(k, v)| (k.clone(), v.iter().map(|w| WardFigures { name: esc(&w.name), ..w.clone() }).collect())).collect();
    let wards = &escaped;
    let mut md = String::new();
    let _ = writeln!(md, "# {}\n", esc(&p.name));
    let _ = writeln!(md, "- Area: {area_name}");
    let _ = writeln!(md, "- Period: {}{}", p.period.label(), if p.previous.is_empty() { String::new() } else { format!(" (compared with the {} previous period(s))", p.previous.len()) });
    let _ = writeln!(md, "- Definition: {} version {} (sha256 {})", esc(d.name()), esc(&d.file.definition.version.to_string()), d.short_hash());
    match tier {
        super::Tier::Restricted => {
            let _ = writeln!(md, "- Restricted: unsuppressed figures for the partnership; not for publication.\n");
        }
        super::Tier::Public => {
            let _ = writeln!(
                md,
                "- Published version: built only from suppressed tables; counts from 1 to {} and any count that could be worked out from totals are not shown, nor the rates and shares resting on them.\n",
                p.privacy.suppress_below.saturating_sub(1)
            );
        }
    }
    if tier == super::Tier::Restricted {
        let warnings = input_warnings(out);
        if !warnings.is_empty() {
            let _ = writeln!(md, "## Warnings about the data\n");
            let _ = writeln!(md, "Read these before the findings: each describes data that was lost or could not be used as supplied.\n");
            for w in warnings {
                let _ = writeln!(md, "- **Warning:** {}", esc(&w));
            }
            let _ = writeln!(md);
        }
    }
    let _ = writeln!(md, "## Summary of the Strategic Needs Assessment\n");
    if wards.is_empty() {
        let _ = writeln!(
            md,
            "No record-level police offences (CRIS/CONNECT extract) were supplied, so the ward, time and people profiles of offences are not produced.\n"
        );
    }
    for theme in d.themes() {
        let (Some(w), Some(a)) = (wards.get(&theme.key), areas.get(&theme.key)) else { continue };
        let key = theme.key.as_str();
        let label = esc(&theme.label);
        let _ = writeln!(md, "### {label}\n");
        if a.offences == 0 {
            let _ = writeln!(
                md,
                "No {} offences were recorded in {}. If that is unexpected, check the warnings and `tables/quality_field_issues` (HO codes not on the list, for instance, fall in no category).\n",
                label.to_lowercase(),
                p.period.label()
            );
            continue;
        }
        let _ = writeln!(md, "{} offences in {}.\n", thousands(a.offences), p.period.label());
        bullets(&mut md, "Locations", [top_wards(&label, w, a, 2), highest_rate(&area_name, w, a, p.analysis.confidence), unplaced(a)].into_iter().flatten().collect());
        figure(&mut md, root, "charts", &format!("place_wards_{key}"), &format!("{label} by ward"));
        figure(&mut md, root, "maps", &format!("place_rates_{key}"), &format!("{label}: rate by ward (map)"));
        figure(&mut md, root, "maps", &format!("place_hotspots_{key}"), &format!("{label}: hot and cold spots (map)"));
        bullets(&mut md, "Times", [fd::night_time(&nte, key, &label), fd::peak_hours(&hours, key)].into_iter().flatten().collect());
        figure(&mut md, root, "charts", &format!("time_hour_weekday_{key}"), &format!("{label} by hour and weekday"));
        let age_group = if key.starts_with("under_25") { "under 25" } else { "all ages" };
        let mut people: Vec<String> = [fd::young_people(&under25, key, "victim"), fd::young_people(&under25, key, "suspect"), fd::female_share(&sex, key, &label, "victim")]
            .into_iter()
            .flatten()
            .collect();
        for group in ["Asian", "Black", "Mixed", "Other", "White"] {
            if let Some(f) = fd::disproportionality(&eth, key, "victim", group, age_group) {
                people.push(f);
            }
        }
        people.extend(fd::ethnicity_missing(&completeness, key, "victim"));
        bullets(&mut md, "Victims and offenders", people);
        figure(&mut md, root, "charts", &format!("people_ethnicity_victim_{key}"), &format!("{label}: victims by ethnic group"));
        let mut trends: Vec<String> = fd::trend(&periods, key, &label).into_iter().collect();
        if connect && key.contains("domestic") && !trends.is_empty() {
            trends.push(CONNECT_CAVEAT.to_string());
        }
        bullets(&mut md, "Trends", trends);
        figure(&mut md, root, "charts", &format!("time_months_{key}"), &format!("{label} by month"));
        bullets(&mut md, "Response", fd::sanction_detection(&sanctions, key, &label).into_iter().collect());
    }
    if let Some(section) = open_data_section(root, p) {
        md.push_str(&section);
    }
    let partner = fd::partner_shares(&shares);
    if !partner.is_empty() {
        let _ = writeln!(md, "## Partner data\n");
        for f in partner {
            let _ = writeln!(md, "- {f}");
        }
        let _ = writeln!(md);
    }
    let _ = writeln!(md, "## Data quality and caveats\n");
    if let Some(reason) = super::maps::unavailable_reason(s) {
        let _ = writeln!(md, "- {reason}");
    }
    if connect {
        let _ = writeln!(md, "- {CONNECT_CAVEAT}");
    }
    let _ = writeln!(md, "- Findings resting on fewer than 10 offences or people are marked; rates on them are unreliable.\n");
    if tier == super::Tier::Restricted {
        let _ = writeln!(md, "| source | rows read | staged | staged with values repaired | no time of day | quarantined | reasons |\n|---|---|---|---|---|---|---|");
        for row in data_accounting(out) {
            let _ = writeln!(md, "{row}");
        }
        let _ = writeln!(
            md,
            "\nQuarantined rows are listed with file, line, reason and field in `rejects/<source>.csv`; values that were nulled or kept off their code list (the row is staged) in `rejects/<source>_field_issues.csv`. Records with a date but no time of day are left out of the hour-of-day tables.\n"
        );
        bullets(&mut md, "Values repaired at ingest (rows staged; see `tables/quality_field_issues`)", repaired_fields(out));
    }
    let _ = writeln!(md, "## Methodology\n");
    let _ = writeln!(md, "- Definition text: \"{}\"", d.file.definition.text);
    if !d.file.definition.notes.is_empty() {
        let _ = writeln!(md, "- Definition notes: {}", d.file.definition.notes);
    }
    let _ = writeln!(
        md,
        "- Rates are offences per {} residents; {:.0}% confidence intervals use Byar's method for counts of 10 or more and the exact Poisson method below 10. Proportions use Wilson score intervals; rate ratios a log-normal interval (exact conditional when a count is zero); changes between periods an exact conditional (binomial) test.",
        thousands(p.analysis.multiplier as u64),
        p.analysis.confidence * 100.0
    );
    let _ = writeln!(md, "- Ward shares use all offences in the area as the denominator, including those that could not be placed in a ward. A ward is called higher or lower than the area only when its interval excludes the area rate.");
    let _ = writeln!(md, "- Times are spread over each offence's recorded window (aoristic); the night-time economy is {} nights {} to {}.", p.analysis.nte.days.join(", "), p.analysis.nte.start, p.analysis.nte.end);
    let _ = writeln!(md, "- Public tables suppress counts from 1 to {} (and any cell that could be recovered from totals).", p.privacy.suppress_below.saturating_sub(1));
    let _ = writeln!(md, "\n---\n\n{}", footer(s.run_id));
    md
}

/// The last line of the summary (and so of `index.html`): which tool and which run produced it.
pub fn footer(run_id: &str) -> String {
    format!(
        "Produced by sna {} from run {run_id} (the run id in `manifest.json`, and in the metadata of every staged file and table of the run).",
        env!("CARGO_PKG_VERSION")
    )
}

/// Embed `<root>/<dir>/<stem>.png` when that chart or map was drawn (a tier or a run may lack it), so the
/// page never links to a missing file.
fn figure(md: &mut String, root: &Path, dir: &str, stem: &str, alt: &str) {
    if root.join(dir).join(format!("{stem}.png")).is_file() {
        let _ = writeln!(md, "![{alt}](../{dir}/{stem}.png)\n");
    }
}

/// Open data (data.police.uk): place findings for the crime types the definition maps, stated as upper
/// bounds, and a plain statement of the sections the open data cannot support.
fn open_data_section(out: &Path, p: &crate::pipeline::config::Pipeline) -> Option<String> {
    use super::table_rows::{num, text, Rows};
    let totals = Rows::load(out, "open_area_totals")?;
    let wards = Rows::load(out, "open_place_wards")?;
    let proxy = totals.first(&[("crime_types", "proxy")])?;
    let area = AreaFigures {
        offences: num(proxy, "offences")? as u64,
        offences_outside_area: 0,
        offences_unlocated: num(proxy, "offences_unplaced").unwrap_or(0.0) as u64,
        rate: None,
    };
    let figures: Vec<WardFigures> = wards
        .matching(&[("crime_types", "proxy")])
        .into_iter()
        .filter_map(|r| {
            Some(WardFigures {
                code: text(r, "ward_code")?.to_string(),
                name: super::markdown_text::md(text(r, "ward_name")?),
                offences: num(r, "offences")? as u64,
                rate: num(r, "rate"),
                lower: num(r, "lower"),
                upper: num(r, "upper"),
            })
        })
        .collect();
    let mut md = String::new();
    let _ = writeln!(md, "### Open data: data.police.uk street-level crime\n");
    let _ = writeln!(md, "{} offences of the crime types that can hold serious violence in {} (an upper bound: {}).\n", thousands(area.offences), p.period.label(), super::markdown_text::md(text(proxy, "upper_bound_caveat").unwrap_or("")));
    for f in [top_wards("Violence, sexual and robbery", &figures, &area, 2), unplaced(&area)].into_iter().flatten() {
        let _ = writeln!(md, "- {f}");
    }
    let without = figures.iter().filter(|w| w.rate.is_none()).count();
    if without > 0 {
        let _ = writeln!(md, "- {without} of {} wards have no resident population in the denominators used, so their rates are not shown (not zero).", figures.len());
    }
    let _ = writeln!(
        md,
        "- Not available from open data: {}. The times, victims and offenders, and domestic-abuse sections therefore cannot be produced from this source.\n",
        text(proxy, "not_available").unwrap_or("time of day, demographics and flags")
    );
    figure(&mut md, out, "maps", "place_rates_police_uk_proxy", "Open data: rate by ward (map)");
    figure(&mut md, out, "charts", "open_time_months", "Open data: offences by month");
    Some(md)
}
