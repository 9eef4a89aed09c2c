//! Findings sentences generated from the tables, at the level real SNAs state them. Pure functions over
//! table rows so each sentence can be tested against known numbers.

pub use crate::number_format::thousands;

/// A ward's figures for one theme, as read from `place_wards`.
#[derive(Debug, Clone, PartialEq)]
pub struct WardFigures {
    pub code: String,
    pub name: String,
    pub offences: u64,
    pub rate: Option<f64>,
    pub lower: Option<f64>,
    pub upper: Option<f64>,
}

/// Area figures for one theme, as read from `place_area_totals`.
#[derive(Debug, Clone, PartialEq)]
pub struct AreaFigures {
    pub offences: u64,
    pub offences_outside_area: u64,
    pub offences_unlocated: u64,
    pub rate: Option<f64>,
}

/// Percentages as SNAs print them: whole numbers, one decimal below 10%.
pub fn percent(share: f64) -> String {
    let p = share * 100.0;
    if p > 0.0 && p < 10.0 { format!("{p:.1}%") } else { format!("{p:.0}%") }
}

fn join_names(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// "45% of serious violence offences (1,234 of 2,741) occurred in 2 wards: A and B."
pub fn top_wards(theme_label: &str, wards: &[WardFigures], area: &AreaFigures, n: usize) -> Option<String> {
    if area.offences == 0 {
        return None;
    }
    let mut ranked: Vec<&WardFigures> = wards.iter().filter(|w| w.offences > 0).collect();
    ranked.sort_by(|a, b| b.offences.cmp(&a.offences).then(a.code.cmp(&b.code)));
    let top: Vec<&WardFigures> = ranked.into_iter().take(n).collect();
    if top.is_empty() {
        return None;
    }
    let count: u64 = top.iter().map(|w| w.offences).sum();
    let names: Vec<&str> = top.iter().map(|w| w.name.as_str()).collect();
    let wards_word = if top.len() == 1 { "ward" } else { "wards" };
    Some(format!(
        "{} of {} offences ({} of {}) occurred in {} {wards_word}: {}.",
        percent(count as f64 / area.offences as f64),
        theme_label.to_lowercase(),
        thousands(count),
        thousands(area.offences),
        top.len(),
        join_names(&names)
    ))
}

/// "The highest rate was in A: 12.3 per 1,000 residents (95% CI 10.1 to 14.8), against 4.5 for the area;
/// its interval lies above the area rate."
pub fn highest_rate(area_name: &str, wards: &[WardFigures], area: &AreaFigures, confidence: f64) -> Option<String> {
    // No offence, no finding: "the highest rate was 0.0" describes missing data, not a place.
    if area.offences == 0 {
        return None;
    }
    let best = wards
        .iter()
        .filter(|w| w.rate.is_some() && w.offences > 0)
        .max_by(|a, b| a.rate.unwrap_or(0.0).total_cmp(&b.rate.unwrap_or(0.0)).then(b.code.cmp(&a.code)))?;
    let rate = best.rate?;
    let ci = match (best.lower, best.upper) {
        (Some(l), Some(u)) => format!(" ({:.0}% CI {l:.1} to {u:.1})", confidence * 100.0),
        _ => String::new(),
    };
    let mut s = format!("The highest rate was in {}: {rate:.1} per 1,000 residents{ci}", best.name);
    if let Some(ar) = area.rate {
        s.push_str(&format!(", against {ar:.1} for {area_name} as a whole"));
        match (best.lower, best.upper) {
            (Some(l), _) if l > ar => s.push_str("; its confidence interval lies wholly above the area rate"),
            (_, Some(u)) if u >= ar => s.push_str("; its confidence interval includes the area rate, so the difference may be chance"),
            _ => {}
        }
    }
    s.push('.');
    if best.offences < 10 {
        s.push_str(&format!(" This rests on {} offences, too few for a reliable rate.", best.offences));
    }
    Some(s)
}

/// Records that could not be placed in a ward, stated so readers know what ward tables leave out.
pub fn unplaced(area: &AreaFigures) -> Option<String> {
    let missing = area.offences_outside_area + area.offences_unlocated;
    if missing == 0 || area.offences == 0 {
        return None;
    }
    Some(format!(
        "{} of {} offences ({}) could not be placed in a ward ({} with no usable location, {} located outside the area's wards); they are counted in the area total only.",
        thousands(missing),
        thousands(area.offences),
        percent(missing as f64 / area.offences as f64),
        thousands(area.offences_unlocated),
        thousands(area.offences_outside_area)
    ))
}


#[cfg(test)]
mod tests {
    use super::*;

    fn ward(code: &str, name: &str, offences: u64, rate: f64, lower: f64, upper: f64) -> WardFigures {
        WardFigures { code: code.into(), name: name.into(), offences, rate: Some(rate), lower: Some(lower), upper: Some(upper) }
    }

    #[test]
    fn top_wards_states_share_counts_and_names() {
        let wards = vec![
            ward("W1", "West End", 450, 30.0, 27.0, 33.0),
            ward("W2", "St James's", 350, 25.0, 22.0, 28.0),
            ward("W3", "Soho", 200, 5.0, 4.0, 6.0),
        ];
        let area = AreaFigures { offences: 1000, offences_outside_area: 0, offences_unlocated: 0, rate: Some(8.0) };
        assert_eq!(
            top_wards("Serious violence", &wards, &area, 2).as_deref(),
            Some("80% of serious violence offences (800 of 1,000) occurred in 2 wards: West End and St James's.")
        );
        let s = highest_rate("Westminster", &wards, &area, 0.95).expect("finding");
        assert!(s.starts_with("The highest rate was in West End: 30.0 per 1,000 residents (95% CI 27.0 to 33.0), against 8.0"), "{s}");
        assert!(s.contains("wholly above"), "{s}");
    }

    #[test]
    fn overlapping_intervals_are_not_called_higher() {
        let wards = vec![ward("W1", "Small", 6, 9.0, 3.3, 19.6)];
        let area = AreaFigures { offences: 100, offences_outside_area: 3, offences_unlocated: 2, rate: Some(8.0) };
        let s = highest_rate("Area", &wards, &area, 0.95).expect("finding");
        assert!(s.contains("may be chance") && s.contains("too few"), "{s}");
        assert_eq!(
            unplaced(&area).as_deref(),
            Some("5 of 100 offences (5.0%) could not be placed in a ward (2 with no usable location, 3 located outside the area's wards); they are counted in the area total only.")
        );
    }

    #[test]
    fn no_offences_no_place_finding() {
        let wards = vec![ward("W1", "Barnes", 0, 0.0, 0.0, 0.2), ward("W2", "Kew", 0, 0.0, 0.0, 0.3)];
        let area = AreaFigures { offences: 0, offences_outside_area: 0, offences_unlocated: 0, rate: Some(0.0) };
        assert_eq!(highest_rate("Richmond", &wards, &area, 0.95), None);
        assert_eq!(top_wards("Serious violence", &wards, &area, 2), None);
    }

    #[test]
    fn formatting_helpers() {
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(thousands(999), "999");
        assert_eq!(percent(0.4512), "45%");
        assert_eq!(percent(0.087), "8.7%");
        assert_eq!(join_names(&["A", "B", "C"]), "A, B and C");
    }
}
