//! The `[assessment]`, `[geography]` and `[population]` sections: the period from the data's dates, the
//! ward boundaries or lookup and where the data are, and the population files.

use super::area;
use super::period::{self, Coverage, GuessKind};
use super::reference::{Boundaries, Reference};
use super::render::{coverage_text, relative, string_list, toml_string};
use super::{Findings, ReferenceFile};
use crate::pipeline::config::Period;
use std::fmt::Write as _;
use std::path::Path;

/// The reference files of one kind.
fn refs(f: &Findings, pred: impl Fn(&Reference) -> bool) -> Vec<&ReferenceFile> {
    f.references.iter().filter(|r| pred(&r.reference)).collect()
}

pub struct Geography {
    pub text: String,
    /// The area's name when the geography names one local authority.
    pub area: Option<(String, String)>,
    pub has_lookup: bool,
}

fn lad_lines(o: &mut String, lads: &[(String, String, usize)], unit: &str) {
    const SHOWN: usize = 40;
    o.push_str("# local authorities in this file:\n");
    for (code, name, n) in lads.iter().take(SHOWN) {
        let _ = writeln!(o, "#   {code} {} ({n} {unit})", toml_string(name));
    }
    if lads.len() > SHOWN {
        let _ = writeln!(o, "#   ... and {} more", lads.len() - SHOWN);
    }
}

pub fn geography(f: &Findings, base: &Path) -> Geography {
    let mut o = String::from("\n[geography]\n");
    let wards = refs(f, |r| matches!(r, Reference::Wards(_)));
    let lookups = refs(f, |r| matches!(r, Reference::LsoaLookup));
    let lookup = lookups.first().map(|r| (r, area::lookup_lads(&r.found.path)));
    let mut guessed: Vec<(String, f64)> = lookup.as_ref().and_then(|(_, l)| l.as_ref()).map(|l| area::lads_of_lsoas(f, l)).unwrap_or_default();
    // No lookup to place the LSOA codes: place the points in the wards instead.
    if let Some(ReferenceFile { found, reference: Reference::Wards(b), .. }) = wards.first().copied()
        && guessed.is_empty()
        && b.lads.len() > 1
    {
        guessed = area::lads_of_points(f, &found.path, b);
    }
    let mut area = None;
    match wards.first().map(|r| (r, &r.reference)) {
        Some((r, Reference::Wards(b))) => {
            let _ = writeln!(o, "wards = {}   # {} wards", toml_string(&file_pattern_plain(base, &r.found.path)), b.features);
            let _ = writeln!(o, "ward_code_property = {}", toml_string(&b.code_property));
            match &b.name_property {
                Some(n) => {
                    let _ = writeln!(o, "ward_name_property = {}", toml_string(n));
                }
                None => {
                    let _ = writeln!(
                        o,
                        "ward_name_property = {}   # TODO: no property of ward names found; name the one that holds them",
                        toml_string(&b.code_property)
                    );
                }
            }
            area = wards_area(&mut o, b, &guessed);
            for other in wards.iter().skip(1) {
                let _ = writeln!(o, "# also ward boundaries: {} ({})", toml_string(&other.found.display), other.reference.describe());
            }
        }
        _ => {
            if let Some((r, l)) = &lookup {
                let lads = l.as_ref().map(|l| l.lads.clone()).unwrap_or_default();
                o.push_str("# No ward boundaries found: the wards are the lookup's wards in these local authorities, and\n");
                o.push_str("# records locate through their LSOA codes.\n");
                let _ = writeln!(o, "lsoa_lookup = {}", toml_string(&file_pattern_plain(base, &r.found.path)));
                if lads.len() == 1 {
                    let (code, (name, _)) = lads.iter().next().map(|(c, v)| (c.clone(), v.clone())).unwrap_or_default();
                    let _ = writeln!(o, "local_authorities = {}   # the only one in the lookup", string_list(std::slice::from_ref(&code)));
                    area = Some((name, format!("the only local authority in {}", toml_string(&r.found.display))));
                } else if !guessed.is_empty() {
                    let codes: Vec<String> = guessed.iter().map(|(c, _)| c.clone()).collect();
                    let shares = area::shares(&guessed, |c| lads.get(c).map(|v| v.0.clone()).unwrap_or_default());
                    let _ = writeln!(o, "local_authorities = {}   # TODO: check: where the data's LSOAs fall ({shares})", string_list(&codes));
                } else {
                    let _ = writeln!(o, "# TODO: local_authorities = [\"<LAD code>\", ...]   (the lookup covers {} local authorities)", lads.len());
                }
            } else {
                o.push_str("# TODO: no ward boundaries or LSOA-to-ward lookup found. Give either a ward boundary GeoJSON\n");
                o.push_str("# (ONS \"Wards (December 2022) Boundaries UK BGC\", WGS84 or British National Grid):\n");
                o.push_str("# wards = \"reference/wards.geojson\"\n# ward_code_property = \"WD22CD\"\n# ward_name_property = \"WD22NM\"\n");
                o.push_str("# or, without boundaries, the ONS \"LSOA (2021) to Electoral Ward (2025) to LAD (2025) Best Fit Lookup\"\n");
                o.push_str("# and your local authorities (records then locate through their LSOA codes):\n");
                o.push_str("# lsoa_lookup = \"reference/lsoa21_to_ward25_lad25_ew.csv\"\n# local_authorities = [\"E09000001\"]\n");
            }
        }
    }
    if !wards.is_empty() {
        match &lookup {
            Some((r, _)) => {
                let _ = writeln!(o, "lsoa_lookup = {}   # ONS LSOA to ward lookup: records with only an LSOA code locate through it", toml_string(&file_pattern_plain(base, &r.found.path)));
            }
            None => o.push_str("# lsoa_lookup = \"reference/lsoa21_to_ward.csv\"   # optional: ONS LSOA to ward lookup, for records with only an LSOA code\n"),
        }
    }
    if let Some(r) = refs(f, |r| matches!(r, Reference::Lsoa11Lookup)).first() {
        let _ = writeln!(o, "lsoa11_lookup = {}   # ONS LSOA 2011 to 2021 lookup, for older LSOA codes", toml_string(&file_pattern_plain(base, &r.found.path)));
    }
    let extra: Vec<&ReferenceFile> = refs(f, |r| matches!(r, Reference::Lsoas(_) | Reference::Deprivation));
    if !extra.is_empty() {
        o.push_str("# Also found, not read by this version of sna:\n");
        for r in extra {
            let sheet = r.sheet.as_ref().map(|s| format!(", sheet {}", toml_string(s))).unwrap_or_default();
            let _ = writeln!(o, "#   {}: {}{sheet}", toml_string(&r.found.display), r.reference.describe());
        }
    }
    let has_lookup = lookup.is_some();
    Geography { text: o, area, has_lookup }
}

/// A path for a key that takes one file (not a glob).
fn file_pattern_plain(base: &Path, path: &Path) -> String {
    relative(base, path)
}

/// `area_filter` for a boundary file of several local authorities; the area when it holds one.
fn wards_area(o: &mut String, b: &Boundaries, guessed: &[(String, f64)]) -> Option<(String, String)> {
    let lp = b.lad_property.as_ref()?;
    if b.lads.len() == 1 {
        let (_, name, _) = &b.lads[0];
        return (!name.is_empty()).then(|| (name.clone(), format!("the only local authority in the ward boundaries ({lp})")));
    }
    let known: Vec<String> = guessed.iter().map(|(c, _)| c.clone()).filter(|c| b.lads.iter().any(|(x, _, _)| x == c)).collect();
    if known.is_empty() {
        let _ = writeln!(o, "# TODO: keep only your area's wards ({} local authorities in this file), e.g.:", b.lads.len());
        let example = b.lads.first().map(|(c, _, _)| c.clone()).unwrap_or_default();
        let _ = writeln!(o, "# area_filter = {{ property = {}, equals = {} }}", toml_string(lp), toml_string(&example));
    } else {
        let _ = writeln!(
            o,
            "area_filter = {{ property = {}, equals = {} }}   # TODO: check: where the data are ({})",
            toml_string(lp),
            string_list(&known),
            area::shares(guessed, |c| b.lads.iter().find(|(x, _, _)| x == c).map(|(_, n, _)| n.clone()).unwrap_or_default())
        );
    }
    lad_lines(o, &b.lads, "wards");
    match known.as_slice() {
        [one] => b.lads.iter().find(|(c, n, _)| c == one && !n.is_empty()).map(|(_, n, _)| (n.clone(), "where the data are".to_string())),
        _ => None,
    }
}

pub fn population(f: &Findings, base: &Path, has_lookup: bool) -> String {
    let mut o = String::from("\n[population]\n");
    let pops = refs(f, |r| matches!(r, Reference::Population(_)));
    let mut files = Vec::new();
    let mut waiting = Vec::new();
    for r in &pops {
        let Reference::Population(fmt) = r.reference else { continue };
        let entry = format!("{{ path = {}, format = {} }}", toml_string(&relative(base, &r.found.path)), toml_string(fmt.name()));
        if fmt.needs_lsoa_lookup() && !has_lookup {
            waiting.push(entry);
        } else {
            files.push(entry);
        }
    }
    if !files.is_empty() {
        o.push_str("# ward denominators are built from these files\nfiles = [\n");
        for e in &files {
            let _ = writeln!(o, "  {e},");
        }
        o.push_str("]\n");
    }
    if !waiting.is_empty() {
        o.push_str("# TODO: these are by LSOA and need [geography] lsoa_lookup to be summed into wards:\n");
        for e in &waiting {
            let _ = writeln!(o, "#   {e},");
        }
    }
    if files.is_empty() && waiting.is_empty() {
        o.push_str("# TODO: no population file found; rates per 1,000 residents need ward denominators. Census 2021 by LSOA\n");
        o.push_str("# from Nomis (summed to wards through [geography] lsoa_lookup), or a long CSV\n");
        o.push_str("# (area_code,age_band,sex,ethnic_group,population) of local mid-year estimates:\n");
        o.push_str("# files = [\n#   { path = \"reference/census2021_ts007a_age_lsoa.csv\", format = \"census-ts007a\" },\n");
        o.push_str("#   { path = \"reference/census2021_ts021_ethnicity_lsoa_nomis.csv\", format = \"nomis-ts021\" },\n# ]\n");
    }
    match refs(f, |r| matches!(r, Reference::Pupils)).first() {
        Some(r) => {
            let _ = writeln!(o, "pupils = {}   # pupils on roll by year and ethnic group: exclusion rates", toml_string(&relative(base, &r.found.path)));
        }
        None if f.extracts.iter().any(|e| e.m.source == "exclusions") => {
            o.push_str("# pupils = \"reference/pupils.csv\"   # optional: pupils on roll (year,ethnic_group,headcount), for exclusion rates\n");
        }
        None => {}
    }
    o
}

/// The coverage that sets the period: police offences first, then the public police sources, else all.
fn period_coverage(f: &Findings) -> (String, Coverage) {
    for source in ["police_offences", "police_uk", "mps_ward"] {
        let mut c = Coverage::default();
        for e in f.extracts.iter().filter(|e| e.m.source == source) {
            c.merge(&e.coverage);
        }
        if !c.is_empty() {
            return (source.to_string(), c);
        }
    }
    let mut c = Coverage::default();
    for e in &f.extracts {
        c.merge(&e.coverage);
    }
    ("the extracts".to_string(), c)
}

fn financial_label(p: &Period) -> String {
    p.short_label()
}

pub fn assessment(f: &Findings, area: Option<(String, String)>) -> String {
    let mut o = String::from("[assessment]\n");
    let (from, cov) = period_coverage(f);
    let guess = period::guess(&cov);
    let label = match guess {
        Some(g) if g.kind == GuessKind::CalendarYear => g.period.start.format("%Y").to_string(),
        Some(g) if g.kind == GuessKind::FinancialYear => financial_label(&g.period),
        _ => String::new(),
    };
    let title = |a: &str| {
        let mut t = format!("{a} Serious Violence Strategic Needs Assessment");
        if !label.is_empty() {
            t.push(' ');
            t.push_str(&label);
        }
        t.trim().to_string()
    };
    match &area {
        Some((name, why)) => {
            let _ = writeln!(o, "name = {}", toml_string(&title(name)));
            let _ = writeln!(o, "area = {}   # TODO: check: {why}", toml_string(name));
        }
        None => {
            let _ = writeln!(o, "name = {}", toml_string(&title("")));
            o.push_str("area = \"TODO area\"   # TODO: the area's name, used in titles and findings\n");
        }
    }
    if let Some(t) = coverage_text(&cov) {
        let _ = writeln!(o, "# {from} dates run from {t}");
    }
    match guess {
        Some(g) => {
            let what = match g.kind {
                GuessKind::FinancialYear => "the latest whole financial year in the data",
                GuessKind::CalendarYear => "the latest whole calendar year in the data (no whole financial year)",
                GuessKind::DataSpan => "TODO: check: the data cover less than a year; this is their span",
            };
            let _ = writeln!(o, "period = {{ start = \"{}\", end = \"{}\" }}   # {what}", g.period.start, g.period.end);
            let before = match (g.previous, g.kind) {
                (0, _) => "no whole earlier period in the data".to_string(),
                (n, GuessKind::FinancialYear) => format!("the {n} financial year(s) before it are in the data too"),
                (n, _) => format!("the {n} year(s) before it are in the data too"),
            };
            let _ = writeln!(o, "previous_periods = {}   # {before} (trends and change)", g.previous);
        }
        None => {
            let today = chrono::Local::now().date_naive();
            let y = if chrono::Datelike::month(&today) >= 4 { chrono::Datelike::year(&today) - 1 } else { chrono::Datelike::year(&today) - 2 };
            let _ = writeln!(o, "period = {{ start = \"{y}-04-01\", end = \"{}-03-31\" }}   # TODO: no event dates could be read; set the period", y + 1);
            o.push_str("previous_periods = 0\n");
        }
    }
    let presets: Vec<&str> = crate::embedded::DEFINITIONS.iter().map(|(n, _)| *n).collect();
    let _ = writeln!(o, "definition = \"london-vru\"   # serious-violence definition: a preset ({}) or a .toml file", presets.join(", "));
    o
}
