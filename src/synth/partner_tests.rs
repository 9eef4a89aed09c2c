//! Tests of the partner sources, re-measured from the files as written: every planted truth within sampling
//! tolerance and equal to what truth.json says was realised (measured on the staged rows: clean and repaired),
//! every bad and repaired row where recorded and of its kind, every clean row valid (and every repaired row
//! valid but for its one bad value), and the LSOA lookup readable as an ONS lookup.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use chrono::{Datelike, Months, NaiveDate, NaiveDateTime};

use super::*;
use crate::dictionary::Registry;
use crate::dictionary::header_match::match_headers;

/// A file's header and rows (with 1-based physical line or worksheet row numbers; the header is line 1).
struct Table {
    header: Vec<String>,
    rows: Vec<(usize, Vec<String>)>,
}

fn read_table(path: &Path) -> Table {
    let mut all: Vec<Vec<String>> = Vec::new();
    if path.extension().is_some_and(|e| e == "xlsx") {
        use calamine::{Data, Reader, open_workbook_auto};
        let mut wb = open_workbook_auto(path).unwrap();
        let sheet = wb.sheet_names()[0].clone();
        let range = wb.worksheet_range(&sheet).unwrap();
        assert_eq!(range.start(), Some((0, 0)), "{}", path.display());
        for r in range.rows() {
            all.push(
                r.iter()
                    .map(|c| match c {
                        Data::String(s) => s.clone(),
                        Data::Float(f) if f.fract() == 0.0 => format!("{}", *f as i64),
                        Data::Float(f) => f.to_string(),
                        Data::Int(i) => i.to_string(),
                        Data::DateTime(d) => d.as_datetime().unwrap().format("%Y-%m-%dT%H:%M:%S").to_string(),
                        Data::Empty => String::new(),
                        other => panic!("{}: unexpected cell {other:?}", path.display()),
                    })
                    .collect(),
            );
        }
    } else {
        let bytes = std::fs::read(path).unwrap();
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
        let text = match std::str::from_utf8(bytes) {
            Ok(t) => t.to_string(),
            Err(_) => encoding_rs::WINDOWS_1252.decode(bytes).0.into_owned(),
        };
        let first = text.lines().next().unwrap_or_default();
        let delim = if first.contains('\t') {
            b'\t'
        } else if first.matches(';').count() > first.matches(',').count() {
            b';'
        } else {
            b','
        };
        let mut rdr = csv::ReaderBuilder::new().has_headers(false).delimiter(delim).from_reader(text.as_bytes());
        for rec in rdr.records() {
            let rec = rec.unwrap();
            assert!(rec.iter().all(|f| !f.contains('\n')), "{}: a field spans lines", path.display());
            all.push(rec.iter().map(str::to_string).collect());
        }
        assert_eq!(all.len(), text.lines().count(), "{}", path.display());
    }
    let header = all.remove(0);
    Table { header, rows: all.into_iter().enumerate().map(|(i, r)| (i + 2, r)).collect() }
}

fn parse_when(s: &str) -> Option<NaiveDateTime> {
    let s = s.trim();
    for f in ["%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
            return Some(t).filter(|t| t.year() >= 1900);
        }
    }
    for f in ["%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d"] {
        if let Ok(d) = NaiveDate::parse_from_str(s, f) {
            return d.and_hms_opt(0, 0, 0).filter(|t| t.year() >= 1900);
        }
    }
    None
}

fn share(n: usize, d: usize) -> f64 {
    n as f64 / d as f64
}

/// A planted row read back: (file, line, kind, field, row as canonical field -> text).
type PlantedRow = (String, usize, String, String, BTreeMap<String, String>);

/// One partner source read back: clean rows as canonical field -> text, its repaired rows (staged with one
/// value repaired) and its bad rows (quarantined).
struct Source {
    clean: Vec<BTreeMap<String, String>>,
    repaired: Vec<PlantedRow>,
    bad: Vec<PlantedRow>,
}

impl Source {
    /// The rows ingest stages: clean and repaired.
    fn staged(&self) -> Vec<&BTreeMap<String, String>> {
        self.clean.iter().chain(self.repaired.iter().map(|r| &r.4)).collect()
    }
}

/// (file, line) -> (kind, field) of the rows in truth.json's `list`.
fn planted_at(tj: &serde_json::Value, list: &str) -> HashMap<(String, usize), (String, String)> {
    tj[list]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                (b["file"].as_str().unwrap().to_string(), b["line"].as_u64().unwrap() as usize),
                (b["kind"].as_str().unwrap().to_string(), b["field"].as_str().unwrap().to_string()),
            )
        })
        .collect()
}

fn read_source(out: &Path, tj: &serde_json::Value, reg: &Registry, name: &str) -> Source {
    let dict = reg.get(name).unwrap();
    let specs: Vec<_> = dict.fields.iter().map(|f| f.spec.clone()).collect();
    let bad_at = planted_at(tj, "bad_rows");
    let repaired_at = planted_at(tj, "repaired_rows");
    let mut src = Source { clean: Vec::new(), repaired: Vec::new(), bad: Vec::new() };
    for f in tj["partner_sources"][name]["files"].as_array().unwrap() {
        let file = f.as_str().unwrap();
        let t = read_table(&out.join(file));
        let m = match_headers(&specs, &t.header);
        assert!(m.unmatched.is_empty() && m.ambiguous.is_empty(), "{file}: {:?} {:?}", m.unmatched, m.ambiguous);
        for (line, cells) in t.rows {
            assert_eq!(cells.len(), t.header.len(), "{file}:{line}");
            let row: BTreeMap<String, String> =
                m.columns.iter().map(|(&fi, &ci)| (specs[fi].name.clone(), cells[ci].trim().to_string())).collect();
            let at = (file.to_string(), line);
            match (bad_at.get(&at), repaired_at.get(&at)) {
                (Some(_), Some(_)) => panic!("{file}:{line} is both a bad and a repaired row"),
                (Some((kind, field)), None) => src.bad.push((file.to_string(), line, kind.clone(), field.clone(), row)),
                (None, Some((kind, field))) => {
                    src.repaired.push((file.to_string(), line, kind.clone(), field.clone(), row))
                }
                (None, None) => src.clean.push(row),
            }
        }
    }
    let st = &tj["partner_sources"][name];
    assert_eq!(src.staged().len() as u64, st["staged_rows"].as_u64().unwrap(), "{name}");
    assert_eq!(src.repaired.len() as u64, st["repaired_rows"].as_u64().unwrap(), "{name}");
    assert_eq!(src.bad.len() as u64, st["bad_rows"].as_u64().unwrap(), "{name}");
    src
}

fn get<'a>(row: &'a BTreeMap<String, String>, field: &str) -> &'a str {
    row.get(field).map_or("", String::as_str)
}

/// Every clean row is valid for the dictionary; every repaired row too but for the one value recorded, which
/// is bad in the way recorded; every bad row is bad in the way recorded.
fn check_rows(name: &str, src: &Source, reg: &Registry) {
    let dict = reg.get(name).unwrap();
    let key = dict.file.source.unique_key.clone();
    let event = dict.file.source.event_time.clone().unwrap();
    let range = |field: &str| {
        let f = &dict.fields[dict.field_index(field).unwrap()].spec;
        (f.min.unwrap_or(f64::MIN), f.max.unwrap_or(f64::MAX))
    };
    let mut keys = BTreeSet::new();
    let mut seen: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let staged = src.clean.iter().map(|r| (r, "")).chain(src.repaired.iter().map(|r| (&r.4, r.3.as_str())));
    for (row, repaired_field) in staged {
        assert!(parse_when(get(row, &event)).is_some(), "{name}: clean {event} {row:?}");
        for f in &dict.fields {
            // A repaired row's one bad value is checked below.
            if f.spec.name == repaired_field {
                continue;
            }
            let v = get(row, &f.spec.name);
            if f.spec.required {
                assert!(!v.is_empty(), "{name}: clean row lacks {} {row:?}", f.spec.name);
            }
            if let (Some(codes), false) = (&f.codes, v.is_empty()) {
                // A clean row never needs a repair: an off-list code would be a field issue.
                assert!(codes.canonical(v).is_some(), "{name}: clean {} {v:?} is not a known code", f.spec.name);
            }
            if let (Some(_), Ok(x)) = (f.spec.min.or(f.spec.max), v.parse::<f64>()) {
                let (lo, hi) = range(&f.spec.name);
                assert!(x >= lo && x <= hi, "{name}: clean {} {x}", f.spec.name);
            }
            seen.entry(f.spec.name.clone()).or_default().insert(v.to_string());
        }
        if let Some(k) = &key {
            assert!(keys.insert(get(row, k).to_string()), "{name}: clean key {} repeats", get(row, k));
        }
    }
    let mut kinds = BTreeSet::new();
    for (file, line, kind, field, row) in src.bad.iter().chain(&src.repaired) {
        let v = get(row, field);
        let at = format!("{file}:{line} {kind} {field}={v:?}");
        match kind.as_str() {
            "missing_id" => assert!(v.is_empty(), "{at}"),
            "duplicate" => assert!(key.as_deref() == Some(field.as_str()) && keys.contains(v), "{at}"),
            "impossible_date" => assert!(!v.is_empty() && parse_when(v).is_none(), "{at}"),
            "two_digit_year" => {
                let d = v.split(' ').next().unwrap_or_default();
                assert!(d.len() == 8 && d.split('/').all(|p| p.len() == 2), "{at}");
            }
            "unknown_code" => assert!(!v.is_empty() && !seen[field.as_str()].contains(v), "{at}"),
            "age_out_of_range" if field == "date_of_birth" => {
                let age = calendar::age_on(parse_when(v).unwrap().date(), parse_when(get(row, &event)).unwrap().date());
                assert!(!(10..=17).contains(&age), "{at}: age {age}");
            }
            "age_out_of_range" | "out_of_range" => {
                let (lo, hi) = range(field);
                let x: f64 = v.parse().unwrap();
                assert!(x < lo || x > hi, "{at}");
            }
            other => panic!("{at}: unexpected kind {other}"),
        }
        kinds.insert(kind.clone());
    }
    assert!(kinds.len() >= 5, "{name}: {kinds:?}");
}

fn truth_share(tj: &serde_json::Value, key: &str) -> (f64, f64, u64, u64) {
    let m = &tj["truths"][key];
    (
        m["target"].as_f64().unwrap(),
        m["realised"].as_f64().unwrap(),
        m["numerator"].as_u64().unwrap(),
        m["denominator"].as_u64().unwrap(),
    )
}

fn yes(v: &str) -> bool {
    matches!(v.to_ascii_lowercase().as_str(), "y" | "yes" | "1" | "true")
}

/// Located police offences as written (every staged row: clean, unknown-code and outside-area), as (minutes,
/// easting, northing).
fn police_points(out: &Path, tj: &serde_json::Value) -> Vec<(i64, f64, f64)> {
    let bad: BTreeSet<(String, usize)> = tj["bad_rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| (b["file"].as_str().unwrap().to_string(), b["line"].as_u64().unwrap() as usize))
        .collect();
    let mut pts = Vec::new();
    for y in ["2023-24", "2024-25", "2025-26"] {
        let file = format!("raw/police/offences_{y}.csv");
        let t = read_table(&out.join(&file));
        let latlon = t.header[13] == "Latitude";
        for (line, r) in &t.rows {
            if bad.contains(&(file.clone(), *line)) {
                continue;
            }
            let when = parse_when(&r[1]).unwrap();
            let (a, b): (f64, f64) = (r[13].parse().unwrap(), r[14].parse().unwrap());
            let (e, n) = if latlon { crate::geo::crs::wgs84_to_bng(b, a).unwrap() } else { (a, b) };
            pts.push((when.and_utc().timestamp() / 60, e, n));
        }
    }
    pts
}

#[test]
fn partner_truths_hold_in_the_files_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path();
    generate(out, &SynthOptions { seed: 2024, scale: 1, ..SynthOptions::default() }).unwrap();
    let tj: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("truth.json")).unwrap()).unwrap();
    let reg = Registry::embedded().unwrap();
    let sources: BTreeMap<&str, Source> =
        ["las", "ae", "yot", "marac", "exclusions"].into_iter().map(|n| (n, read_source(out, &tj, &reg, n))).collect();
    for (name, src) in &sources {
        check_rows(name, src, &reg);
    }

    // --- ambulance: ~70% with no police offence within 24 hours and 500 metres ---
    let mut grid: HashMap<(i64, i64), Vec<(i64, f64, f64)>> = HashMap::new();
    for p in police_points(out, &tj) {
        grid.entry(((p.1 / 1000.0).floor() as i64, (p.2 / 1000.0).floor() as i64)).or_default().push(p);
    }
    let mut unmatched = 0;
    let las = &sources["las"].staged();
    for row in las {
        let t = parse_when(get(row, "call_at")).unwrap().and_utc().timestamp() / 60;
        let (e, n) = match (get(row, "easting").parse::<f64>(), get(row, "northing").parse::<f64>()) {
            (Ok(e), Ok(n)) => (e, n),
            _ => crate::geo::crs::wgs84_to_bng(
                get(row, "longitude").parse().unwrap(),
                get(row, "latitude").parse().unwrap(),
            )
            .unwrap(),
        };
        let (cx, cy) = ((e / 1000.0).floor() as i64, (n / 1000.0).floor() as i64);
        let near = (cx - 1..=cx + 1).flat_map(|x| (cy - 1..=cy + 1).map(move |y| (x, y))).any(|c| {
            grid.get(&c).is_some_and(|l| {
                l.iter().any(|&(m, pe, pn)| (m - t).abs() <= 24 * 60 && (pe - e).hypot(pn - n) <= 500.0)
            })
        });
        unmatched += usize::from(!near);
    }
    let (target, realised, num, den) = truth_share(&tj, "las_no_police_offence_share");
    let got = share(unmatched, las.len());
    assert!((got - target).abs() < 0.03, "LAS with no police offence nearby: {got}");
    assert_eq!((unmatched as u64, las.len() as u64), (num, den), "truth.json realised {realised}");

    // --- A&E: Friday and Saturday nights are the peak ---
    let ae = &sources["ae"].staged();
    let times: Vec<NaiveDateTime> = ae.iter().map(|r| parse_when(get(r, "assault_at")).unwrap()).collect();
    let weekend = times.iter().filter(|t| calendar::is_weekend_night(**t)).count();
    let (target, _, num, _) = truth_share(&tj, "ae_weekend_night_share");
    assert!((share(weekend, ae.len()) - target).abs() < 0.03, "A&E weekend nights {}", share(weekend, ae.len()));
    assert_eq!(weekend as u64, num);
    let mut nights = [0usize; 7];
    for t in &times {
        if let Some(n) = ae::night_of(*t) {
            nights[n] += 1;
        }
    }
    let mut order: Vec<usize> = (0..7).collect();
    order.sort_by_key(|&d| std::cmp::Reverse(nights[d]));
    assert_eq!(order[..2].iter().copied().collect::<BTreeSet<_>>(), BTreeSet::from([4, 5]), "{nights:?}");
    assert!(nights[4].min(nights[5]) as f64 > 2.0 * *nights[..4].iter().max().unwrap() as f64, "{nights:?}");
    // Every attendance carries free text.
    assert!(ae.iter().all(|r| !get(r, "assault_location_description").is_empty()));

    // --- YOT: ~45% SLCN; ~30% also in the exclusions data under the same UPN ---
    for r in &sources["yot"].clean {
        let dob = get(r, "date_of_birth");
        let age = if dob.is_empty() {
            get(r, "age_at_offence").parse::<u32>().unwrap()
        } else {
            calendar::age_on(parse_when(dob).unwrap().date(), parse_when(get(r, "offence_date")).unwrap().date())
        };
        assert!((10..=17).contains(&age), "{r:?}");
    }
    let yot = &sources["yot"].staged();
    let mut slcn: BTreeMap<&str, bool> = BTreeMap::new();
    for r in yot {
        let prev = slcn.insert(get(r, "child_id"), yes(get(r, "slcn_concern")));
        assert!(prev.is_none_or(|p| p == yes(get(r, "slcn_concern"))), "SLCN is a fixed attribute of the child");
    }
    let (target, _, num, den) = truth_share(&tj, "yot_slcn_share");
    let got = share(slcn.values().filter(|v| **v).count(), slcn.len());
    assert!((got - target).abs() < 0.07, "YOT SLCN {got}");
    assert_eq!((slcn.values().filter(|v| **v).count() as u64, slcn.len() as u64), (num, den));
    let excluded: BTreeSet<&str> = sources["exclusions"].staged().into_iter().map(|r| get(r, "pupil_id")).collect();
    let both = slcn.keys().filter(|k| excluded.contains(*k)).count();
    let (target, _, num, _) = truth_share(&tj, "yot_in_exclusions_share");
    assert!((share(both, slcn.len()) - target).abs() < 0.05, "YOT in exclusions {}", share(both, slcn.len()));
    assert_eq!(both as u64, num);

    // --- MARAC: ~91% female, ~17% disabled, ~30% repeats within 12 months ---
    let marac = &sources["marac"].staged();
    let female = marac.iter().filter(|r| matches!(get(r, "victim_sex"), "F" | "Female")).count();
    let disabled = marac.iter().filter(|r| yes(get(r, "victim_disability"))).count();
    let mut dated: Vec<(NaiveDate, &str)> =
        marac.iter().map(|r| (parse_when(get(r, "referral_date")).unwrap().date(), get(r, "victim_id"))).collect();
    dated.sort();
    let mut last: HashMap<&str, NaiveDate> = HashMap::new();
    let mut repeats = 0;
    for (d, v) in dated {
        if last.get(v).is_some_and(|p| d <= p.checked_add_months(Months::new(12)).unwrap()) {
            repeats += 1;
        }
        last.insert(v, d);
    }
    for (key, n, tol) in [
        ("marac_female_victim_share", female, 0.03),
        ("marac_disability_share", disabled, 0.05),
        ("marac_repeat_share", repeats, 0.04),
    ] {
        let (target, _, num, den) = truth_share(&tj, key);
        assert!((share(n, marac.len()) - target).abs() < tol, "{key}: {}", share(n, marac.len()));
        assert_eq!((n as u64, marac.len() as u64), (num, den), "{key}");
    }

    // --- exclusions: Black pupils excluded for violence at ~2x the rate of White pupils ---
    let violent: BTreeSet<String> = reg.seeds["dfe_exclusion_reasons"]
        .keys()
        .filter(|k| reg.seeds["dfe_exclusion_reasons"].get(k, "violence_related") == Some("Y"))
        .map(str::to_string)
        .collect();
    assert_eq!(violent, ["BW", "OW", "PA", "PP", "SB", "SM", "VA", "VP"].into_iter().map(String::from).collect());
    let count = |letter: char| {
        sources["exclusions"]
            .staged()
            .into_iter()
            .filter(|r| get(r, "ethnicity_code").starts_with(letter))
            .filter(|r| ["reason_1", "reason_2", "reason_3"].iter().any(|f| violent.contains(get(r, f))))
            .count()
    };
    let pupils = read_table(&out.join("reference/pupils.csv"));
    assert_eq!(pupils.header, ["year", "ethnic_group", "headcount"]);
    let headcount =
        |g: &str| pupils.rows.iter().filter(|(_, r)| r[1] == g).map(|(_, r)| r[2].parse::<f64>().unwrap()).sum::<f64>();
    let rr = (count('B') as f64 / headcount("Black")) / (count('W') as f64 / headcount("White"));
    let t = &tj["truths"]["black_white_violent_exclusion_rate_ratio"];
    assert!((rr - 2.0).abs() < 0.3, "violent exclusion rate ratio {rr}");
    assert!((rr - t["realised"].as_f64().unwrap()).abs() < 1e-9, "{rr} vs {t}");
    assert_eq!(tj["pupils"].as_array().unwrap().len(), 15);
}

#[test]
fn lsoa_lookup_is_an_ons_lookup_covering_every_ward() {
    let dir = tempfile::tempdir().unwrap();
    let truth = generate(dir.path(), &SynthOptions { seed: 7, scale: 1, ..SynthOptions::default() }).unwrap();
    let path = dir.path().join(lsoa::LOOKUP_PATH);
    let bytes = std::fs::read(&path).unwrap();
    assert!(bytes.starts_with(
        b"\xEF\xBB\xBFLSOA21CD,LSOA21NM,LSOA21NMW,WD23CD,WD23NM,WD23NMW,LAD23CD,LAD23NM,LAD23NMW,ObjectId\n"
    ));
    let lookup = crate::geo::LsoaLookup::from_csv_path(&path).unwrap();
    assert_eq!(lookup.len(), truth.lsoas.in_area + truth.lsoas.outside_area);
    for w in &truth.wards {
        let here = lookup.lsoas_in_ward(&w.code);
        assert!((6..=10).contains(&here.len()), "{}: {} LSOAs", w.code, here.len());
        assert_eq!(here, truth.lsoas.by_ward[&w.code].iter().map(String::as_str).collect::<Vec<_>>());
    }
    // The neighbouring borough's LSOAs map to wards outside the area.
    let codes: BTreeSet<&str> = truth.wards.iter().map(|w| w.code.as_str()).collect();
    let outside = lookup.wards_in_lads(&[lsoa::NEIGHBOUR_LAD.0]);
    assert_eq!(outside.len(), 3);
    assert!(outside.iter().all(|w| !codes.contains(w.code.as_str())));
    // Homes and assaults are coded to these LSOAs: every status the partners expect occurs.
    let statuses: BTreeSet<&String> = truth.partner_sources.values().flat_map(|s| s.location_status.keys()).collect();
    for s in ["point", "lsoa", "ward_code", "outside_area", "unlocated"] {
        assert!(statuses.iter().any(|x| x.as_str() == s), "{s}");
    }
}
