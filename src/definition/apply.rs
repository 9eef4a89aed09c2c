//! Applying a definition to staged offences with polars: adds `sv_category`, `in_scope`, one
//! `theme_<key>` column per theme, `serious_violence` and `weapon_<kind>` flags.

use super::{Definition, SERIOUS_VIOLENCE};
use polars::prelude::*;

/// Name of the flag column for a theme key.
pub fn theme_column(key: &str) -> String {
    if key == SERIOUS_VIOLENCE { SERIOUS_VIOLENCE.to_string() } else { format!("theme_{key}") }
}

fn flag(name: &str) -> Expr {
    col(name).fill_null(lit(false))
}

fn any_of(exprs: Vec<Expr>) -> Expr {
    exprs.into_iter().reduce(|a, b| a.or(b)).unwrap_or_else(|| lit(false))
}

/// Offence columns the caller supplies: the youngest victim's and suspect's age (null when none is recorded).
pub const YOUNGEST_VICTIM_AGE: &str = "youngest_victim_age";
pub const YOUNGEST_SUSPECT_AGE: &str = "youngest_suspect_age";

/// Add definition flags to offences. The offences must carry `YOUNGEST_VICTIM_AGE` and
/// `YOUNGEST_SUSPECT_AGE` (for age-based themes; null when no person or age is recorded).
pub fn flag_offences(def: &Definition, offences: LazyFrame) -> PolarsResult<LazyFrame> {
    let in_scope_cats: Vec<&String> = def.file.serious_violence.categories.iter().collect();
    let mut codes: Vec<String> = Vec::new();
    let mut cats: Vec<String> = Vec::new();
    for (key, cat) in &def.file.categories {
        for code in &cat.ho_codes {
            codes.push(code.clone());
            cats.push(key.clone());
        }
    }
    let map = df!("ho_code" => codes, "sv_category" => cats)?.lazy();
    let mut lf = offences
        .left_join(map, col("ho_code"), col("ho_code"));
    // A category that needs a flag (alcohol-related assault) holds its codes only when the flag is set.
    for (key, cat) in &def.file.categories {
        if let Some(f) = &cat.requires_flag {
            let cond = col("sv_category").eq(lit(key.as_str())).and(flag(f).not());
            lf = lf.with_column(when(cond).then(lit(NULL).cast(DataType::String)).otherwise(col("sv_category")).alias("sv_category"));
        }
    }

    let mut scope_terms: Vec<Expr> = in_scope_cats.iter().map(|c| col("sv_category").eq(lit(c.as_str())).fill_null(lit(false))).collect();
    scope_terms.extend(def.file.serious_violence.also_flags.iter().map(|f| flag(f)));
    let in_scope = any_of(scope_terms);
    lf = lf.with_column(in_scope.alias("in_scope"));

    let mut theme_exprs = Vec::new();
    for (key, theme) in &def.file.themes {
        let mut conds = if theme.base.as_deref() == Some("all") { vec![lit(true)] } else { vec![col("in_scope")] };
        if !theme.exclude_location_types.is_empty() {
            let excluded = any_of(theme.exclude_location_types.iter().map(|t| col("location_type").eq(lit(t.as_str()))).collect());
            conds.push(col("location_type").is_not_null().and(excluded.not()).fill_null(lit(false)));
        }
        if let Some(f) = &theme.flag {
            conds.push(flag(f));
        }
        if !theme.categories.is_empty() {
            conds.push(any_of(theme.categories.iter().map(|c| col("sv_category").eq(lit(c.as_str()))).collect()).fill_null(lit(false)));
        }
        if let Some(age) = theme.person_age_under {
            let person_conds = theme
                .persons
                .iter()
                .map(|p| {
                    let column = if p == "victim" { YOUNGEST_VICTIM_AGE } else { YOUNGEST_SUSPECT_AGE };
                    col(column).lt(lit(age)).fill_null(lit(false))
                })
                .collect();
            conds.push(any_of(person_conds));
        }
        let e = conds.into_iter().reduce(|a, b| a.and(b)).unwrap_or_else(|| lit(false));
        theme_exprs.push(e.alias(theme_column(key)));
    }
    lf = lf.with_columns(theme_exprs);

    let within = &def.file.serious_violence.within_themes;
    let sv = if within.is_empty() {
        col("in_scope")
    } else {
        col("in_scope").and(any_of(within.iter().map(|t| col(theme_column(t))).collect()))
    };
    lf = lf.with_column(sv.alias(SERIOUS_VIOLENCE));
    let weapons: Vec<Expr> = def
        .file
        .weapons
        .iter()
        .map(|(kind, column)| col(SERIOUS_VIOLENCE).and(flag(column)).alias(format!("weapon_{kind}")))
        .collect();
    if !weapons.is_empty() {
        lf = lf.with_columns(weapons);
    }
    Ok(lf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::definition::Definition;
    use crate::dictionary::seeds::embedded_seeds;

    /// Ten offences whose status under each definition was worked out by hand from the definition texts:
    /// ref, HO code, DA, knife, alcohol, location type, youngest victim age, youngest suspect age.
    #[allow(clippy::type_complexity)]
    const EXTRACT: &[(&str, &str, bool, bool, bool, Option<&str>, Option<i64>, Option<i64>)] = &[
        ("A", "8N", false, false, false, Some("street"), Some(19), None), // ABH, young victim, in public
        ("B", "8N", false, false, false, Some("street"), Some(40), Some(45)), // ABH, adults, no DA
        ("C", "8N", true, false, false, Some("dwelling"), Some(30), Some(33)), // domestic ABH at home
        ("D", "19C", false, false, false, Some("dwelling"), Some(30), Some(40)), // rape of an adult
        ("E", "105A", false, true, false, Some("street"), Some(20), None), // common assault with a knife
        ("F", "34A", false, false, false, Some("retail"), None, Some(17)), // business robbery by a 17-year-old
        ("G", "105A", false, false, true, Some("licensed premises"), None, Some(22)), // drunk common assault
        ("H", "105A", false, false, false, Some("street"), None, Some(22)), // common assault, no flags
        ("I", "8N", false, false, false, Some("dwelling"), Some(19), None), // young victim, at home
        ("J", "8N", false, false, false, None, Some(19), None),              // young victim, place unknown
    ];

    fn serious_violence_refs(preset: &str) -> (Vec<String>, DataFrame) {
        let seeds = embedded_seeds().expect("seeds");
        let def = Definition::from_preset(preset, &seeds["ho_codes"]).expect("preset");
        let offences = df!(
            "crime_ref" => EXTRACT.iter().map(|r| r.0).collect::<Vec<_>>(),
            "ho_code" => EXTRACT.iter().map(|r| r.1).collect::<Vec<_>>(),
            "flag_domestic" => EXTRACT.iter().map(|r| r.2).collect::<Vec<_>>(),
            "flag_knife" => EXTRACT.iter().map(|r| r.3).collect::<Vec<_>>(),
            "flag_firearm" => vec![false; EXTRACT.len()],
            "flag_corrosive" => vec![false; EXTRACT.len()],
            "flag_alcohol" => EXTRACT.iter().map(|r| r.4).collect::<Vec<_>>(),
            "location_type" => EXTRACT.iter().map(|r| r.5).collect::<Vec<_>>(),
            YOUNGEST_VICTIM_AGE => EXTRACT.iter().map(|r| r.6).collect::<Vec<_>>(),
            YOUNGEST_SUSPECT_AGE => EXTRACT.iter().map(|r| r.7).collect::<Vec<_>>(),
        )
        .expect("offences");
        let flagged = flag_offences(&def, offences.lazy())
            .expect("flags")
            .sort(["crime_ref"], Default::default())
            .collect()
            .expect("collect");
        let refs = flagged.column("crime_ref").and_then(|c| c.str().cloned()).expect("refs");
        let sv = flagged.column(SERIOUS_VIOLENCE).and_then(|c| c.bool().cloned()).expect("sv");
        let out = (0..flagged.height()).filter(|&i| sv.get(i) == Some(true)).filter_map(|i| refs.get(i).map(str::to_string)).collect();
        (out, flagged)
    }

    fn theme_refs(df: &DataFrame, theme: &str) -> Vec<String> {
        let refs = df.column("crime_ref").and_then(|c| c.str().cloned()).expect("refs");
        let t = df.column(&theme_column(theme)).and_then(|c| c.bool().cloned()).expect("theme");
        (0..df.height()).filter(|&i| t.get(i) == Some(true)).filter_map(|i| refs.get(i).map(str::to_string)).collect()
    }

    #[test]
    fn london_counts_listed_offences_only_in_the_under_25_domestic_and_sexual_contexts() {
        let (sv, df) = serious_violence_refs("london-vru");
        assert_eq!(sv, ["A", "C", "D", "I", "J"]);
        assert_eq!(theme_refs(&df, "under_25"), ["A", "I", "J"]);
        assert_eq!(theme_refs(&df, "domestic_abuse"), ["C"]);
        assert_eq!(theme_refs(&df, "sexual_violence"), ["D"]);
        assert_eq!(theme_refs(&df, "knife_enabled"), Vec::<String>::new(), "105A is not a London offence, knife or not");
    }

    #[test]
    fn richmond_counts_all_ages_and_knife_enabled_crime() {
        let (sv, df) = serious_violence_refs("richmond");
        assert_eq!(sv, ["A", "B", "C", "D", "E", "I", "J"]);
        assert_eq!(theme_refs(&df, "knife_enabled"), ["E"]);
    }

    #[test]
    fn avon_and_somerset_counts_public_space_violence_for_under_25s() {
        let (sv, df) = serious_violence_refs("avon-somerset");
        assert_eq!(sv, ["A", "E", "F", "G"], "dwelling (I) and unknown places (J) are not public space");
        assert_eq!(theme_refs(&df, "domestic_abuse"), ["C"], "a wider-commitment theme outside the serious-violence count");
        assert_eq!(theme_refs(&df, "sexual_violence"), ["D"]);
    }
}
