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

/// Youngest age per crime_ref of a person table, as `<alias>`.
fn youngest(persons: LazyFrame, alias: &str) -> LazyFrame {
    persons
        .group_by([col("crime_ref")])
        .agg([col("age").min().alias(alias)])
}

/// Add definition flags to offences. `victims` and `suspects` are the staged person tables (needed for
/// age-based themes; pass empty frames with crime_ref and age columns when a source is absent).
pub fn flag_offences(def: &Definition, offences: LazyFrame, victims: LazyFrame, suspects: LazyFrame) -> PolarsResult<LazyFrame> {
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
        .left_join(map, col("ho_code"), col("ho_code"))
        .left_join(youngest(victims, "youngest_victim_age"), col("crime_ref"), col("crime_ref"))
        .left_join(youngest(suspects, "youngest_suspect_age"), col("crime_ref"), col("crime_ref"));

    let in_scope = any_of(in_scope_cats.iter().map(|c| col("sv_category").eq(lit(c.as_str()))).collect()).fill_null(lit(false));
    lf = lf.with_column(in_scope.alias("in_scope"));

    let mut theme_exprs = Vec::new();
    for (key, theme) in &def.file.themes {
        let mut conds = vec![col("in_scope")];
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
                    let column = if p == "victim" { "youngest_victim_age" } else { "youngest_suspect_age" };
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
