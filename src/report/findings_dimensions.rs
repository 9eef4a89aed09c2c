//! Findings sentences for time, people, response and partner data, at the level real SNAs state them:
//! every sentence carries its number and denominator, says "significant" only when the test or interval
//! supports it, and flags small numbers.

use super::findings::{percent, thousands};
use super::table_rows::{num, text, Rows};

fn pct(x: f64) -> String {
    percent(x)
}

fn ci(lower: Option<f64>, upper: Option<f64>, as_percent: bool) -> String {
    match (lower, upper) {
        (Some(l), Some(u)) if as_percent => format!(" (95% CI {} to {})", pct(l), pct(u)),
        (Some(l), Some(u)) => format!(" (95% CI {l:.2} to {u:.2})"),
        _ => String::new(),
    }
}

/// "Domestic abuse offences increased by 12% (1,364 to 1,530) in 2025-26 compared with 2024-25; the change is
/// statistically significant (exact conditional test, p = 0.002)."
pub fn trend(periods: &Rows, theme: &str, label: &str) -> Option<String> {
    let row = periods.first(&[("theme", theme), ("period_index", "0")])?;
    let (now, before) = (num(row, "offences")?, num(row, "previous_offences")?);
    let (this, prev) = (text(row, "period")?, text(row, "compared_with")?);
    let change = num(row, "percent_change")?;
    let p = num(row, "p_value")?;
    let significant = text(row, "significant") == Some("true");
    let direction = if change > 0.0 { "increased" } else if change < 0.0 { "decreased" } else { "did not change" };
    let size = if change == 0.0 { String::new() } else { format!(" by {}", pct(change.abs() / 100.0)) };
    let verdict = if significant {
        format!("the change is statistically significant (exact conditional test, p = {p:.3})")
    } else {
        format!("the change is within what chance alone could produce (exact conditional test, p = {p:.2}), so it is not evidence of a real change")
    };
    Some(format!(
        "{label} offences {direction}{size} ({} to {}) in {this} compared with {prev}; {verdict}.",
        thousands(before as u64),
        thousands(now as u64)
    ))
}

/// "39% of serious violence offences (1,718 of 4,375) were committed during the night-time economy
/// (Fri, Sat, Sun nights 18:00 to 06:00), which covers 21% of the hours in a week."
pub fn night_time(nte: &Rows, theme: &str, label: &str) -> Option<String> {
    let row = nte.first(&[("theme", theme), ("window", "night_time_economy")])?;
    let (k, n, share, hours) = (num(row, "offences_in_window")?, num(row, "offences")?, num(row, "share")?, num(row, "week_hours_share")?);
    if n == 0.0 {
        return None;
    }
    let window = match (text(row, "window_days"), text(row, "window_start"), text(row, "window_end")) {
        (Some(days), Some(from), Some(to)) => format!("{} nights {from} to {to}", days.replace(',', ", ")),
        _ => "the configured night-time window".to_string(),
    };
    let comparison = match (num(row, "lower"), num(row, "upper")) {
        (Some(l), _) if l > hours => "more than",
        (_, Some(u)) if u < hours => "less than",
        _ => "in line with",
    };
    let timed = if num(row, "offences_time_unknown").unwrap_or(0.0) > 0.0 { " with a time of day recorded" } else { "" };
    Some(format!(
        "{} of {} offences{timed} ({} of {}) were committed during the night-time economy ({window}), {comparison} the {} of the week's hours it covers.",
        pct(share),
        label.to_lowercase(),
        thousands(k as u64),
        thousands(n as u64),
        pct(hours)
    ))
}

/// "The busiest hours were Saturday 23:00, Saturday 22:00 and Friday 23:00."
pub fn peak_hours(hours: &Rows, theme: &str) -> Option<String> {
    let mut bins: Vec<(f64, String)> = hours
        .matching(&[("theme", theme)])
        .into_iter()
        .filter_map(|r| Some((num(r, "weight")?, format!("{} {:02}:00", text(r, "weekday")?, num(r, "hour")? as u32))))
        .collect();
    if bins.iter().all(|b| b.0 <= 0.0) {
        return None;
    }
    bins.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let top: Vec<String> = bins.into_iter().take(3).map(|b| b.1).collect();
    let mut out = format!("The busiest hours of the week (offences spread over their recorded time window) began at {}.", top.join(", "));
    let first = hours.first(&[("theme", theme)]);
    let unknown = first.and_then(|r| num(r, "theme_offences_time_unknown")).unwrap_or(0.0);
    let known = first.and_then(|r| num(r, "theme_offences")).unwrap_or(0.0);
    if unknown > 0.0 {
        out.push_str(&format!(
            " {} of {} offences ({}) had a date but no time of day recorded and are left out of the hours and the night-time share.",
            thousands(unknown as u64),
            thousands((unknown + known) as u64),
            pct(unknown / (unknown + known))
        ));
    }
    Some(out)
}

/// "Young people under 25 were 38% of victims with a known age (1,234 of 3,210); 75% of young victims were
/// aged 18-24."
pub fn young_people(under25: &Rows, theme: &str, role: &str) -> Option<String> {
    let share = under25.first(&[("theme", theme), ("role", role), ("measure", "under 25 (of known age)")])?;
    let (k, n, s) = (num(share, "numerator")?, num(share, "denominator")?, num(share, "share")?);
    if n == 0.0 {
        return None;
    }
    let mut out = format!(
        "Young people under 25 were {} of {role}s with a known age ({} of {}){}.",
        pct(s),
        thousands(k as u64),
        thousands(n as u64),
        ci(num(share, "lower"), num(share, "upper"), true)
    );
    if let Some(older) = under25.first(&[("theme", theme), ("role", role), ("measure", "aged 18-24 (of under 25)")]) {
        if let Some(s) = num(older, "share") {
            out.push_str(&format!(" {} of young {role}s were aged 18-24.", pct(s)));
        }
    }
    Some(out)
}

/// "Females were 75% of domestic abuse victims (3,466 of 4,619)."
pub fn female_share(sex: &Rows, theme: &str, label: &str, role: &str) -> Option<String> {
    let f = sex.first(&[("theme", theme), ("role", role), ("sex", "F")])?;
    let (k, n, s) = (num(f, "count")?, num(f, "total")?, num(f, "share")?);
    if n == 0.0 {
        return None;
    }
    Some(format!(
        "Females were {} of {} {role}s ({} of {}){}.",
        pct(s),
        label.to_lowercase(),
        thousands(k as u64),
        thousands(n as u64),
        ci(num(f, "share_lower"), num(f, "share_upper"), true)
    ))
}

/// "Black residents aged under 25 were victims at 117.5 per 1,000 residents compared with 51.8 per 1,000 White
/// residents in this age group (rate ratio 2.27, 95% CI 2.13 to 2.42): a statistically significant difference."
pub fn disproportionality(eth: &Rows, theme: &str, role: &str, group: &str, age_group: &str) -> Option<String> {
    let row = eth.first(&[("theme", theme), ("role", role), ("age_group", age_group), ("ethnic_group", group), ("scope", "current period")])?;
    let reference = text(row, "reference_group")?;
    let refrow = eth.first(&[("theme", theme), ("role", role), ("age_group", age_group), ("ethnic_group", reference), ("scope", "current period")])?;
    let (rate, ref_rate, rr) = (num(row, "rate")?, num(refrow, "rate")?, num(row, "rate_ratio")?);
    let significant = text(row, "significant") == Some("true");
    let ages = if age_group == "all ages" { String::new() } else { format!(" aged {age_group}") };
    let in_group = if age_group == "all ages" { String::new() } else { " in this age group".to_string() };
    let verdict = if significant { "a statistically significant difference" } else { "the intervals overlap, so the difference may be chance" };
    let mut s = format!(
        "{group} residents{ages} were {role}s at {rate:.1} per 1,000 residents compared with {ref_rate:.1} per 1,000 {reference} residents{in_group} (rate ratio {rr:.2}{}): {verdict}.",
        ci(num(row, "rate_ratio_lower"), num(row, "rate_ratio_upper"), false)
    );
    if num(row, "count").is_some_and(|c| c < 10.0) {
        s.push_str(" This rests on fewer than 10 people.");
    }
    if text(row, "population_estimated") == Some("true") {
        s.push_str(" The population of this group is estimated (age and ethnicity from separate Census tables).");
    }
    Some(s)
}

/// "Ethnicity was not stated for 15% of victims (...)": the caveat real SNAs print beside ethnic rates.
pub fn ethnicity_missing(completeness: &Rows, theme: &str, role: &str) -> Option<String> {
    let row = completeness.first(&[("theme", theme), ("role", role), ("measure", "ethnicity not stated")])?;
    let (k, n, s) = (num(row, "numerator")?, num(row, "denominator")?, num(row, "share")?);
    (n > 0.0 && k > 0.0).then(|| format!("Ethnicity was not stated for {} of {role}s ({} of {}); rates by ethnic group count only those with a stated ethnicity.", pct(s), thousands(k as u64), thousands(n as u64)))
}

/// "The sanction detection rate was 12.0% (95% CI 11.5% to 12.6%): 530 of 4,375 offences."
pub fn sanction_detection(sd: &Rows, theme: &str, label: &str) -> Option<String> {
    let row = sd.first(&[("theme", theme), ("period_index", "0")])?;
    let (k, n, s) = (num(row, "sanction_detections")?, num(row, "offences")?, num(row, "share")?);
    (n > 0.0).then(|| {
        format!(
            "{} of {} offences ({} of {}) ended in a sanction detection{}.",
            pct(s),
            label.to_lowercase(),
            thousands(k as u64),
            thousands(n as u64),
            ci(num(row, "lower"), num(row, "upper"), true)
        )
    })
}

/// Partner statistics from `partners_shares` (current period), each as one sentence.
pub fn partner_shares(shares: &Rows) -> Vec<String> {
    let statements: [(&str, &str, &str); 6] = [
        ("las", "no_police_offence_nearby", "of ambulance assault call-outs had no police-recorded offence nearby in time and place (the \"hidden violence\" estimate)"),
        ("marac", "female_victim", "of MARAC referrals were for female victims"),
        ("marac", "victim_disability", "of MARAC referrals were for victims with a disability"),
        ("marac", "repeat_referral", "of MARAC referrals were repeats within 12 months of the victim's previous referral"),
        ("yot", "slcn_concern", "of children in the youth justice cohort had a speech, language, communication or neuro-disability concern"),
        ("yot+exclusions", "yot_children_in_exclusions", "of children in the youth justice cohort also appear in the school exclusions data"),
    ];
    statements
        .iter()
        .filter_map(|(source, stat, words)| {
            let row = shares.first(&[("source", source), ("statistic", stat), ("scope", "current")])?;
            let (k, n, p) = (num(row, "numerator")?, num(row, "denominator")?, num(row, "proportion")?);
            (n > 0.0).then(|| {
                let small = if n < 10.0 { " (fewer than 10 records: treat with caution)" } else { "" };
                format!("{} {words} ({} of {}){}{small}.", pct(p), thousands(k as u64), thousands(n as u64), ci(num(row, "lower"), num(row, "upper"), true))
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::table_rows::rows_of;

    #[test]
    fn trend_says_significant_only_when_the_test_does() {
        let rows = rows_of(&[
            &[("theme", "domestic_abuse"), ("period_index", "0"), ("offences", "1530"), ("previous_offences", "1364"), ("period", "2025-26"), ("compared_with", "2024-25"), ("percent_change", "12.17"), ("p_value", "0.00216"), ("significant", "true")],
            &[("theme", "sexual_violence"), ("period_index", "0"), ("offences", "55"), ("previous_offences", "50"), ("period", "2025-26"), ("compared_with", "2024-25"), ("percent_change", "10.0"), ("p_value", "0.67"), ("significant", "false")],
        ]);
        assert_eq!(
            trend(&rows, "domestic_abuse", "Domestic abuse").as_deref(),
            Some("Domestic abuse offences increased by 12% (1,364 to 1,530) in 2025-26 compared with 2024-25; the change is statistically significant (exact conditional test, p = 0.002).")
        );
        let s = trend(&rows, "sexual_violence", "Sexual violence").expect("finding");
        assert!(s.contains("increased by 10%") && s.contains("not evidence of a real change") && !s.contains("significant ("), "{s}");
    }

    #[test]
    fn disproportionality_names_both_rates_the_ratio_and_the_verdict() {
        let base = [("theme", "all_offences"), ("role", "victim"), ("age_group", "under 25"), ("scope", "current period"), ("reference_group", "White")];
        let black: Vec<(&str, &str)> = base.iter().copied().chain([("ethnic_group", "Black"), ("rate", "117.47"), ("rate_ratio", "2.2667"), ("rate_ratio_lower", "2.1250137990817737"), ("rate_ratio_upper", "2.418"), ("significant", "true"), ("count", "1828"), ("population_estimated", "false")]).collect();
        let white: Vec<(&str, &str)> = base.iter().copied().chain([("ethnic_group", "White"), ("rate", "51.82")]).collect();
        let rows = rows_of(&[&black, &white]);
        assert_eq!(
            disproportionality(&rows, "all_offences", "victim", "Black", "under 25").as_deref(),
            Some("Black residents aged under 25 were victims at 117.5 per 1,000 residents compared with 51.8 per 1,000 White residents in this age group (rate ratio 2.27 (95% CI 2.13 to 2.42)): a statistically significant difference.")
        );
    }

    #[test]
    fn night_time_share_is_compared_with_the_hours_it_covers() {
        let rows = rows_of(&[&[("theme", "serious_violence"), ("window", "night_time_economy"), ("window_days", "Fri,Sat,Sun"), ("window_start", "18:00"), ("window_end", "06:00"), ("offences_in_window", "1718"), ("offences", "4375"), ("share", "0.3927"), ("lower", "0.378"), ("upper", "0.407"), ("week_hours_share", "0.2143")]]);
        assert_eq!(
            night_time(&rows, "serious_violence", "Serious violence").as_deref(),
            Some("39% of serious violence offences (1,718 of 4,375) were committed during the night-time economy (Fri, Sat, Sun nights 18:00 to 06:00), more than the 21% of the week's hours it covers.")
        );
    }

    #[test]
    fn shares_carry_numerator_denominator_and_interval() {
        let rows = rows_of(&[&[("source", "marac"), ("statistic", "female_victim"), ("scope", "current"), ("numerator", "8"), ("denominator", "9"), ("proportion", "0.8889"), ("lower", "0.5670"), ("upper", "0.980")]]);
        assert_eq!(
            partner_shares(&rows),
            vec!["89% of MARAC referrals were for female victims (8 of 9) (95% CI 57% to 98%) (fewer than 10 records: treat with caution).".to_string()]
        );
    }
}
