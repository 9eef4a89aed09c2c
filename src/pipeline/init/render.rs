//! Writing the pipeline file and the summary. Every header and path is written through the `toml` crate's
//! string rendering (headers hold quotes, `#`, non-ASCII), and every TODO that would stop a run is a
//! comment, so the file parses as TOML and, once the required things are found, as a pipeline.

use super::period::Coverage;
use super::propose::Proposal;
use super::sections;
use super::{Extract, Findings};
use crate::dictionary::mapping::MappedColumn;
use crate::dictionary::Registry;
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

pub(super) fn string_list(items: &[String]) -> String {
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
        if crate::dictionary::header_match::fold(a) == crate::dictionary::header_match::fold(b) {
            let _ = writeln!(o, "{lead} two columns are named {} ({field}); ingest reads the first", toml_string(a));
            continue;
        }
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
    if !first.m.unused.is_empty() {
        let shown: Vec<String> = first.m.unused.iter().map(|h| toml_string(h)).collect();
        wrapped(o, "# not read (no field takes them; if one holds a field, map it: columns.<field> = \"<header>\"):", &shown);
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
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

pub(super) fn coverage_text(c: &Coverage) -> Option<String> {
    let (a, b, _) = c.main_run()?;
    let stray = c.rows_outside_main_run();
    let stray = if stray > 0 { format!("; {} outside that span", thousands(stray)) } else { String::new() };
    let rows = if c.rows == 1 { "1 dated row".to_string() } else { format!("{} dated rows", thousands(c.rows)) };
    Some(format!("{} to {} ({rows}{stray})", date_label(a), date_label(b)))
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
    let geo = sections::geography(f, base);
    o.push_str(&sections::assessment(f, geo.area.clone()));
    o.push_str(&geo.text);
    o.push_str(&sections::population(f, base, geo.has_lookup));
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
    o.push_str("suppress_below = 5   # public tier: counts 1..4 suppressed (0-2 need allow_unsafe_publication = true)\n");
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
