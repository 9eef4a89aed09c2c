//! Writing the pipeline file and the summary. Every header and path is written through the `toml` crate's
//! string rendering (headers hold quotes, `#`, non-ASCII), and every TODO that would stop a run is a
//! comment, so the file parses as TOML and, once the required things are found, as a pipeline.

use super::area;
use super::period::{self, Coverage, GuessKind};
use super::propose::Proposal;
use super::reference::{Boundaries, Reference};
use super::{Extract, Findings, ReferenceFile};
use crate::dictionary::mapping::MappedColumn;
use crate::dictionary::Registry;
use crate::pipeline::config::Period;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Component, Path, PathBuf};

/// Sources in the order analysts think of them; any others follow by name.
const SOURCE_ORDER: [&str; 10] =
    ["police_offences", "police_victims", "police_suspects", "las", "ae", "yot", "marac", "exclusions", "police_uk", "mps_ward"];

/// A string as a one-line TOML string. The `toml` crate picks the quoting; where it picks a multi-line
/// form (a header holding a line break, or both kinds of quote) the string is written with escapes
/// instead, so it can sit in a comment, an inline table or a key.
pub fn toml_string(s: &str) -> String {
    let t = toml::Value::String(s.to_string()).to_string();
    if !t.starts_with("\"\"\"") && !t.starts_with("'''") && !t.contains(['\n', '\r']) {
        return t;
    }
    let mut o = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\r' => o.push_str("\\r"),
            '\t' => o.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(o, "\\u{:04X}", c as u32);
            }
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

/// A TOML key: bare when it can be, else quoted.
pub fn toml_key(k: &str) -> String {
    if !k.is_empty() && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
        k.to_string()
    } else {
        toml_string(k)
    }
}

fn column_value(c: &MappedColumn) -> String {
    match c {
        MappedColumn::Header(h) => toml_string(h),
        MappedColumn::DateAndTime { date, time } => format!("[{}, {}]", toml_string(date), toml_string(time)),
    }
}

/// `path` relative to the folder `base` (both absolute), `/`-separated.
pub fn relative(base: &Path, path: &Path) -> String {
    let b: Vec<Component> = base.components().collect();
    let p: Vec<Component> = path.components().collect();
    let common = b.iter().zip(&p).take_while(|(x, y)| x == y).count();
    let mut parts: Vec<String> = vec!["..".to_string(); b.len() - common];
    parts.extend(p[common..].iter().map(|c| c.as_os_str().to_string_lossy().into_owned()));
    if parts.is_empty() { ".".to_string() } else { parts.join("/") }
}

/// A path with `.` and `..` resolved by name (the base is canonical, so this is where the OS goes).
fn lexical(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// A path as the pipeline's `files` reads it: relative to `base`, glob characters escaped.
fn file_pattern(base: &Path, path: &Path) -> String {
    glob::Pattern::escape(&relative(base, path))
}

/// The glob `<prefix>*<suffix>` for a folder's file names, the prefix and suffix cut at word edges
/// (`offences_2023-24.csv`, `offences_2024-25.csv` -> `offences_*.csv`).
fn name_glob(names: &[String]) -> String {
    let first = names.first().map(String::as_str).unwrap_or("");
    let mut prefix: String = first.to_string();
    for n in names {
        let common = prefix.chars().zip(n.chars()).take_while(|(a, b)| a == b).count();
        prefix = prefix.chars().take(common).collect();
    }
    // Back to a word edge: after the last separator, else before trailing digits.
    prefix = match prefix.rfind(|c: char| !c.is_alphanumeric()) {
        Some(i) => prefix[..i + prefix[i..].chars().next().map_or(1, char::len_utf8)].to_string(),
        None => prefix.trim_end_matches(|c: char| c.is_ascii_digit()).to_string(),
    };
    let rests: Vec<String> = names.iter().map(|n| n[prefix.len().min(n.len())..].chars().rev().collect()).collect();
    let mut suffix: String = rests.first().cloned().unwrap_or_default();
    for r in &rests {
        let common = suffix.chars().zip(r.chars()).take_while(|(a, b)| a == b).count();
        suffix = suffix.chars().take(common).collect();
    }
    let suffix: String = suffix.chars().rev().collect();
    let suffix = suffix.trim_start_matches(|c: char| c.is_alphanumeric()).to_string();
    format!("{}*{}", glob::Pattern::escape(&prefix), glob::Pattern::escape(&suffix))
}

/// The `files` entries for a group: per folder, a glob when it matches exactly these files, else each file.
fn file_patterns(base: &Path, files: &[&Path]) -> Vec<String> {
    let mut by_dir: BTreeMap<PathBuf, Vec<&Path>> = BTreeMap::new();
    for f in files {
        by_dir.entry(f.parent().map(Path::to_path_buf).unwrap_or_default()).or_default().push(f);
    }
    let mut out = Vec::new();
    for (dir, fs) in by_dir {
        if fs.len() >= 2 {
            let names: Vec<String> = fs.iter().map(|f| f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()).collect();
            let rel = relative(base, &dir);
            let pattern = if rel == "." { name_glob(&names) } else { format!("{}/{}", glob::Pattern::escape(&rel), name_glob(&names)) };
            let wanted: BTreeSet<PathBuf> = fs.iter().map(|f| lexical(f)).collect();
            let matched: Option<BTreeSet<PathBuf>> = glob::glob(&base.join(&pattern).to_string_lossy())
                .ok()
                .map(|paths| paths.filter_map(Result::ok).filter(|p| p.is_file()).map(|p| lexical(&p)).collect());
            if matched.as_ref() == Some(&wanted) {
                out.push(pattern);
                continue;
            }
        }
        out.extend(fs.iter().map(|f| file_pattern(base, f)));
    }
    out
}

fn string_list(items: &[String]) -> String {
    format!("[{}]", items.iter().map(|s| toml_string(s)).collect::<Vec<_>>().join(", "))
}

/// Files of one source that read the same way: one `[sources.<name>]` table or one layout.
struct Group<'a> {
    files: Vec<&'a Extract>,
    sheet: Option<String>,
}

impl Group<'_> {
    fn first(&self) -> Option<&Extract> {
        self.files.first().copied()
    }
    fn fields(&self) -> BTreeSet<String> {
        self.first().map(|e| e.m.proposals.proposals.iter().map(|p| p.field.clone()).collect()).unwrap_or_default()
    }
}

/// Group a source's files by sheet and mapping; files whose headers differ but read the same way (all by
/// aliases, say) share one group.
fn groups<'a>(files: &[&'a Extract]) -> Vec<Group<'a>> {
    let mut out: Vec<(String, Group<'a>)> = Vec::new();
    for e in files {
        let key = format!("{:?}|{}", e.sheet, e.m.layout_key());
        match out.iter_mut().find(|(k, _)| *k == key) {
            Some((_, g)) => g.files.push(e),
            None => out.push((key, Group { files: vec![e], sheet: e.sheet.clone() })),
        }
    }
    out.into_iter().map(|(_, g)| g).collect()
}

/// The group for the source's own table: layouts inherit its columns (and sheet) and cannot drop them, so
/// its columns must be ones every other group overrides, and it names no sheet. None: every group is a
/// layout under a table with no files of its own.
fn main_group(gs: &[Group]) -> Option<usize> {
    if gs.len() == 1 {
        return Some(0);
    }
    (0..gs.len())
        .filter(|&i| gs[i].sheet.is_none() && (0..gs.len()).all(|j| j == i || gs[i].fields().is_subset(&gs[j].fields())))
        .max_by(|&a, &b| gs[a].files.len().cmp(&gs[b].files.len()).then(b.cmp(&a)))
}

fn proposal_line(p: &Proposal) -> String {
    format!("columns.{} = {}   # {}\n", toml_key(&p.field), column_value(&p.column), p.reason)
}

fn header_list(headers: &[String]) -> String {
    headers.iter().map(|h| toml_string(h)).collect::<Vec<_>>().join(", ")
}

/// The keys of one table or layout: files, sheet, columns, TODOs for required fields.
fn group_body(o: &mut String, base: &Path, g: &Group) {
    let paths: Vec<&Path> = g.files.iter().map(|e| e.found.path.as_path()).collect();
    let _ = writeln!(o, "files = {}", string_list(&file_patterns(base, &paths)));
    if let Some(s) = &g.sheet {
        let _ = writeln!(o, "sheet = {}", toml_string(s));
    }
    let Some(first) = g.first() else { return };
    if !first.m.by_alias.is_empty() {
        wrapped(o, "# read by the dictionary's aliases, no entry needed:", &first.m.by_alias);
    }
    for (field, a, b, required) in &first.m.ambiguous {
        let lead = if *required { "# TODO: check:" } else { "# note:" };
        let _ = writeln!(
            o,
            "{lead} {} and {} both match {field}; ingest reads {} (to read the other: columns.{} = {})",
            toml_string(a),
            toml_string(b),
            toml_string(a),
            toml_key(field),
            toml_string(b)
        );
    }
    for p in &first.m.proposals.proposals {
        o.push_str(&proposal_line(p));
    }
    for u in &first.m.proposals.unplaced {
        if u.tied.is_empty() {
            let _ = writeln!(
                o,
                "# TODO: columns.{} = \"<header>\"   (required; headers in {}: {})",
                toml_key(&u.field),
                toml_string(&first.found.display),
                header_list(&first.headers)
            );
        } else {
            let options: Vec<String> = u.tied.iter().map(|h| toml_string(h)).collect();
            let _ = writeln!(o, "# TODO: columns.{} = {}   (required; these match equally well: keep one)", toml_key(&u.field), options.join(" or "));
        }
    }
}

/// `lead` and the words after it as comment lines of about 110 characters.
fn wrapped(o: &mut String, lead: &str, words: &[String]) {
    let mut line = lead.to_string();
    for (i, w) in words.iter().enumerate() {
        let piece = if i + 1 < words.len() { format!("{w},") } else { w.clone() };
        if line.len() + 1 + piece.len() > 110 && line.len() > 2 {
            let _ = writeln!(o, "{line}");
            line = "#  ".to_string();
        }
        line.push(' ');
        line.push_str(&piece);
    }
    let _ = writeln!(o, "{line}");
}

fn date_label(d: chrono::NaiveDate) -> String {
    d.format("%-d %b %Y").to_string()
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn coverage_text(c: &Coverage) -> Option<String> {
    let (a, b, _) = c.main_run()?;
    let stray = c.rows_outside_main_run();
    let stray = if stray > 0 { format!("; {} outside that span", thousands(stray)) } else { String::new() };
    Some(format!("{} to {} ({} dated rows{stray})", date_label(a), date_label(b), thousands(c.rows)))
}

fn source_section(o: &mut String, registry: &Registry, base: &Path, source: &str, files: &[&Extract]) {
    let title = registry.get(source).map(|d| d.file.source.title.clone()).unwrap_or_default();
    let _ = writeln!(o, "\n# ---- {source}: {title}");
    // Runs of files that match alike (a month per file) are one line.
    let mut i = 0;
    while i < files.len() {
        let e = files[i];
        let sheet = |e: &Extract| e.sheet.as_ref().map(|s| format!(" (sheet {})", toml_string(s))).unwrap_or_default();
        let run = files[i..].iter().take_while(|x| x.m.counts() == e.m.counts() && x.sheet == e.sheet).count();
        if run >= 4 {
            let last = files[i + run - 1];
            let _ = writeln!(o, "#   {run} files, {} to {}{}: {}", toml_string(&e.found.display), toml_string(&last.found.display), sheet(e), e.m.counts());
        } else {
            for x in &files[i..i + run] {
                let _ = writeln!(o, "#   {}{}: {}", toml_string(&x.found.display), sheet(x), x.m.counts());
            }
        }
        i += run;
    }
    let mut cov = Coverage::default();
    for e in files {
        cov.merge(&e.coverage);
    }
    if let Some(t) = coverage_text(&cov) {
        let _ = writeln!(o, "#   dates: {t}");
    }
    let gs = groups(files);
    let main = main_group(&gs);
    let _ = writeln!(o, "[sources.{}]", toml_key(source));
    match main {
        Some(i) => group_body(o, base, &gs[i]),
        None => o.push_str("files = []   # each layout below lists its own files\n"),
    }
    for (i, g) in gs.iter().enumerate() {
        if Some(i) == main {
            continue;
        }
        let _ = writeln!(o, "# another export layout of {source}: its own columns on top of the ones above");
        let _ = writeln!(o, "[[sources.{}.layouts]]", toml_key(source));
        group_body(o, base, g);
    }
}

fn ordered_sources(f: &Findings) -> Vec<(String, Vec<&Extract>)> {
    let mut by = super::by_source(f);
    let mut out = Vec::new();
    for s in SOURCE_ORDER {
        if let Some(v) = by.remove(s) {
            out.push((s.to_string(), v));
        }
    }
    out.extend(by);
    out
}

/// The reference files of one kind.
fn refs<'a>(f: &'a Findings, pred: impl Fn(&Reference) -> bool) -> Vec<&'a ReferenceFile> {
    f.references.iter().filter(|r| pred(&r.reference)).collect()
}

struct Geography {
    text: String,
    /// The area's name when the geography names one local authority.
    area: Option<(String, String)>,
    has_lookup: bool,
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

fn geography(f: &Findings, base: &Path) -> Geography {
    let mut o = String::from("\n[geography]\n");
    let wards = refs(f, |r| matches!(r, Reference::Wards(_)));
    let lookups = refs(f, |r| matches!(r, Reference::LsoaLookup));
    let lookup = lookups.first().map(|r| (r, area::lookup_lads(&r.found.path)));
    let mut guessed: Vec<(String, f64)> = lookup.as_ref().and_then(|(_, l)| l.as_ref()).map(|l| area::lads_of_lsoas(f, l)).unwrap_or_default();
    if guessed.is_empty() {
        if let Some(ReferenceFile { found, reference: Reference::Wards(b), .. }) = wards.first().copied() {
            if b.lads.len() > 1 {
                guessed = area::lads_of_points(f, &found.path, b);
            }
        }
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

fn population(f: &Findings, base: &Path, has_lookup: bool) -> String {
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

fn assessment(f: &Findings, area: Option<(String, String)>) -> String {
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

fn unrecognised(f: &Findings) -> String {
    if f.unrecognised.is_empty() {
        return String::new();
    }
    let mut o = String::from("\n# ---- not recognised: no source matched well enough (add them by hand if they are extracts)\n");
    for u in &f.unrecognised {
        let _ = writeln!(o, "#   {}: {}", toml_string(&u.found.display), u.why);
        if !u.headers.is_empty() {
            let _ = writeln!(o, "#     headers: {}", header_list(&u.headers));
        }
    }
    o
}

/// The whole pipeline file.
pub fn pipeline_text(registry: &Registry, f: &Findings, base: &Path, folder: &Path) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# Pipeline written by `sna init` from {} ({} files looked at).", toml_string(&folder.display().to_string()), f.extracts.len() + f.references.len() + f.unrecognised.len());
    o.push_str("# Paths are relative to this file's folder. Settle each TODO (a commented-out key is one to write),\n");
    o.push_str("# then: sna validate --pipeline <this file> and sna run <this file>.\n\n");
    let geo = geography(f, base);
    o.push_str(&assessment(f, geo.area.clone()));
    o.push_str(&geo.text);
    o.push_str(&population(f, base, geo.has_lookup));
    for (source, files) in ordered_sources(f) {
        source_section(&mut o, registry, base, &source, &files);
    }
    let missing: Vec<&str> = SOURCE_ORDER.iter().copied().filter(|s| !f.extracts.iter().any(|e| e.m.source == *s)).collect();
    if !missing.is_empty() {
        let names: Vec<String> = missing.iter().map(|s| s.to_string()).collect();
        o.push('\n');
        wrapped(&mut o, "# No files found for:", &names);
        o.push_str("# (`sna dictionary NAME` shows the headers each source expects)\n");
    }
    o.push_str(&unrecognised(f));
    o.push_str("\n[privacy]\n");
    o.push_str("# The secret (16+ characters) that turns person ids into pseudonyms, read from this environment variable;\n");
    o.push_str("# keep it outside the repository and use the same one every year so people link across years\n");
    o.push_str("# (or pseudonym_key_file = \"...\").\n");
    o.push_str("pseudonym_key_env = \"SNA_PSEUDONYM_KEY\"\n");
    o.push_str("suppress_below = 5   # public tier: counts 1..4 suppressed\n");
    o.push_str("\n[output]\ndir = \"out\"\n");
    o
}

/// What was found, one line per file.
pub fn summary_lines(f: &Findings, folder: &Path) -> String {
    let mut rows: Vec<(String, String)> = Vec::new();
    for e in &f.extracts {
        let sheet = e.sheet.as_ref().map(|s| format!(" [{s}]")).unwrap_or_default();
        rows.push((format!("{}{sheet}", e.found.display), e.m.describe()));
    }
    for r in &f.references {
        rows.push((r.found.display.clone(), r.reference.describe()));
    }
    for u in &f.unrecognised {
        rows.push((u.found.display.clone(), u.why.clone()));
    }
    rows.sort();
    let width = rows.iter().map(|(p, _)| p.chars().count()).max().unwrap_or(0).min(60);
    let mut o = format!("sna init: {} files below {}\n", rows.len(), folder.display());
    for (p, what) in rows {
        let _ = writeln!(o, "  {p:<width$}  {what}");
    }
    o
}

/// Totals and the next commands.
pub fn closing_lines(f: &Findings, out: &Path, todos: usize, problem: Option<String>) -> String {
    let sources: BTreeSet<&str> = f.extracts.iter().map(|e| e.m.source.as_str()).collect();
    let mut o = format!(
        "\nWrote {}: {} extract(s) in {} source(s), {} reference file(s), {} not recognised; {todos} TODO(s).\n",
        out.display(),
        f.extracts.len(),
        sources.len(),
        f.references.len(),
        f.unrecognised.len()
    );
    if let Some(p) = problem {
        let _ = writeln!(o, "It does not run yet: {p}");
    }
    o.push_str("Next:\n");
    let shown = out.display().to_string();
    let _ = writeln!(o, "  sna validate --pipeline {shown}");
    let _ = writeln!(o, "  sna run {shown}");
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_headers_are_valid_toml_on_one_line() {
        for h in ["plain", "say \"hi\"", "it's \"x\"", "a\nb", "tab\there", "ünï #x", "back\\slash", "\u{7f}", "\"'\r\n"] {
            let s = toml_string(h);
            assert!(!s.contains('\n') && !s.contains('\r'), "{s}");
            let doc = format!("k = {s}   # {s}\n[t]\n{} = 1\n", toml_key(h));
            let v: toml::Table = toml::from_str(&doc).unwrap_or_else(|e| panic!("{doc}: {e}"));
            assert_eq!(v.get("k").and_then(|x| x.as_str()), Some(h));
            assert!(v.get("t").and_then(|t| t.as_table()).is_some_and(|t| t.contains_key(h)), "{doc}");
        }
        assert_eq!(toml_key("crime_ref"), "crime_ref");
        assert_eq!(toml_key("a b"), "\"a b\"");
    }

    #[test]
    fn relative_paths_and_globs_cover_exactly_the_files() {
        assert_eq!(relative(Path::new("/a/b"), Path::new("/a/b/c/d.csv")), "c/d.csv");
        assert_eq!(relative(Path::new("/a/b/x"), Path::new("/a/c/d.csv")), "../../c/d.csv");
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(name_glob(&names(&["offences_2023-24.csv", "offences_2024-25.csv"])), "offences_*.csv");
        assert_eq!(name_glob(&names(&["victims_2023-24.csv", "victims_2025-26.xlsx"])), "victims_*");
        assert_eq!(name_glob(&names(&["off2023.csv", "off2024.csv"])), "off*.csv");
        assert_eq!(name_glob(&names(&["a [1].csv", "a [2].csv"])), "a [[]*[]].csv");

        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().canonicalize().expect("canon");
        std::fs::create_dir_all(root.join("raw")).expect("mkdir");
        for n in ["offences_1.csv", "offences_2.csv", "offences_old.csv", "victims_1.csv"] {
            std::fs::write(root.join("raw").join(n), "x").expect("write");
        }
        let p = |n: &str| root.join("raw").join(n);
        let (a, b, c) = (p("offences_1.csv"), p("offences_2.csv"), p("offences_old.csv"));
        assert_eq!(file_patterns(&root, &[&a, &b, &c]), vec!["raw/offences_*.csv"]);
        // The glob would also take offences_old.csv: list the files instead.
        assert_eq!(file_patterns(&root, &[&a, &b]), vec!["raw/offences_1.csv", "raw/offences_2.csv"]);
        let elsewhere = root.join("pipelines");
        std::fs::create_dir_all(&elsewhere).expect("mkdir");
        assert_eq!(file_patterns(&elsewhere, &[&a, &b, &c]), vec!["../raw/offences_*.csv"]);
    }
}
