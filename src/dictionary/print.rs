//! Human-readable rendering of a dictionary for `sna dictionary NAME`.

use super::Dictionary;
use std::fmt::Write;

pub fn render(d: &Dictionary) -> String {
    let s = &d.file.source;
    let mut out = String::new();
    let _ = writeln!(out, "{} ({})", s.title, s.name);
    if !s.description.is_empty() {
        let _ = writeln!(out, "{}", s.description);
    }
    let _ = writeln!(out, "dictionary sha256: {}", d.hash);
    if let Some(k) = &s.unique_key {
        let _ = writeln!(out, "unique key: {k} (later copies are rejected as duplicate)");
    }
    if let Some(p) = &s.parent {
        let _ = writeln!(out, "links to: {} by {} (unlinked rows are rejected as orphan_record)", p.source, p.key);
    }
    let _ = writeln!(
        out,
        "A row is quarantined only when a required field is missing or unreadable or its key repeats; a bad optional value is nulled and logged in rejects/{}_field_issues.csv.",
        s.name
    );
    let _ = writeln!(out, "\nfield                     type      req  notes");
    for f in &d.fields {
        let spec = &f.spec;
        let mut notes: Vec<String> = Vec::new();
        if spec.pseudonymise {
            notes.push("pseudonymised".into());
        }
        if !spec.stage {
            notes.push("not staged".into());
        }
        if spec.ethnicity {
            notes.push("-> ethnic_group (5 ONS groups)".into());
        }
        if let (Some(lo), Some(hi)) = (spec.min, spec.max) {
            notes.push(format!("{lo}..{hi} else {}", spec.range_reason()));
        }
        if let Some(c) = &f.codes {
            let codes = c.codes();
            let shown: Vec<&str> = codes.iter().take(12).copied().collect();
            let more = if codes.len() > 12 { format!(" +{} more", codes.len() - 12) } else { String::new() };
            notes.push(format!("codes: {}{more}", shown.join(" ")));
        }
        if f.codes.is_some() {
            notes.push(match &f.on_unknown {
                super::OnUnknown::Keep => format!("other codes kept as read ({}_known = false)", spec.name),
                super::OnUnknown::Null => "other values nulled".to_string(),
                super::OnUnknown::MapTo(c) => format!("other values set to {c}"),
            });
        }
        if spec.normalise.is_some() {
            notes.push("codes tidied (case, spaces, leading zeros)".into());
        }
        if !spec.null_values.is_empty() {
            notes.push(format!("empty when: {}", spec.null_values.join(", ")));
        }
        if let Some(ff) = &spec.fill_from {
            notes.push(format!("filled from {}.{} when empty", ff.seed, ff.column));
        }
        let _ = writeln!(
            out,
            "{:<25} {:<9} {:<4} {}",
            spec.name,
            spec.kind.as_str(),
            if spec.required { "yes" } else { "" },
            notes.join("; ")
        );
        if !spec.aliases.is_empty() {
            let _ = writeln!(out, "{:<41}headers: {}", "", spec.aliases.join(", "));
        }
    }
    out
}
