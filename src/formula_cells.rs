//! Text a spreadsheet would run. A CSV cell starting with `=`, `+`, `-` or `@` (or a tab or carriage return
//! before one) is read by Excel and LibreOffice as a formula, so a ward name, a label or a file name such as
//! `=HYPERLINK(...)` in an extract would become a live formula in the analyst's spreadsheet (CSV
//! injection). Every CSV `sna` writes passes its text through [`defuse_formula`], which puts an apostrophe in
//! front, as spreadsheets themselves do to mark text. Numbers (`-0.5`) and a lone sign are left alone.

use std::borrow::Cow;

pub fn defuse_formula(v: &str) -> Cow<'_, str> {
    let risky = matches!(v.chars().next(), Some('=' | '+' | '-' | '@' | '\t' | '\r'));
    if risky && v.chars().count() > 1 && v.trim().parse::<f64>().is_err() {
        Cow::Owned(format!("'{v}"))
    } else {
        Cow::Borrowed(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused_and_numbers_kept() {
        assert_eq!(defuse_formula("=HYPERLINK(\"http://x\",\"y\")"), "'=HYPERLINK(\"http://x\",\"y\")");
        assert_eq!(defuse_formula("+cmd|' /C calc'!A0"), "'+cmd|' /C calc'!A0");
        assert_eq!(defuse_formula("@SUM(1+1)"), "'@SUM(1+1)");
        assert_eq!(defuse_formula("\t=1+1"), "'\t=1+1");
        for kept in ["-0.5", "+3", "-", "Barnsbury", "2024-04-01", "", "1e-3"] {
            assert_eq!(defuse_formula(kept), kept);
        }
    }
}
