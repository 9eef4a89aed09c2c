//! Police records as plain rows for the person-level tables (people, response): offences of the configured
//! periods with their theme flags, and the victims and suspects linked to them. Loaded once per run and
//! shared, because collecting the staged files is the costly part at scale. Person pseudonyms and the
//! categorical fields (sex, ethnic group, scheme) are interned to integers: the tables only count them.

use super::people::{theme_list, ThemeSel, ThemeSource, NOT_STATED};
use super::{AnalysisContext, AnalysisError};
use polars::prelude::*;

/// One offence of the configured periods.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OffenceRow {
    /// 0 = current period.
    pub period: i32,
    /// committed_from in epoch milliseconds.
    pub t_ms: Option<i64>,
    pub sanction_detection: bool,
    /// Bit i set when the offence is in theme i of `theme_list` (a mask, not a Vec per row: millions of rows).
    pub themes: u64,
}

impl OffenceRow {
    pub fn in_theme(&self, theme: usize) -> bool {
        theme < 64 && self.themes & (1 << theme) != 0
    }
}

/// One victim or suspect record linked to an offence of the offence list.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PersonRow {
    /// Index into the offence list.
    pub offence: usize,
    /// The pseudonymised `person_id`, interned (equal ids, equal numbers); None when not recorded.
    pub person: Option<u32>,
    pub age: Option<i64>,
    /// Indices into `Persons::labels`.
    pub sex: u32,
    pub ethnic_group: u32,
    pub scheme: u32,
}

/// Victim or suspect records with the distinct values of their categorical fields.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Persons {
    pub rows: Vec<PersonRow>,
    /// Distinct sex, ethnic group and scheme values, indexed by `PersonRow::{sex, ethnic_group, scheme}`.
    pub labels: Vec<String>,
}

impl Persons {
    pub fn label(&self, i: u32) -> &str {
        self.labels.get(i as usize).map_or("", String::as_str)
    }

    /// Index of `value` in `labels`, adding it when new.
    pub fn intern(&mut self, value: &str) -> u32 {
        match self.labels.iter().position(|l| l == value) {
            Some(i) => i as u32,
            None => {
                self.labels.push(value.to_string());
                (self.labels.len() - 1) as u32
            }
        }
    }
}

/// Themes, offences and the persons linked to them, loaded once for the people and response tables.
pub struct PoliceRecords {
    pub themes: Vec<ThemeSel>,
    pub offences: Vec<OffenceRow>,
    pub victims: Persons,
    pub suspects: Persons,
}

impl PoliceRecords {
    pub fn load(ctx: &AnalysisContext) -> Result<PoliceRecords, AnalysisError> {
        let themes = theme_list(ctx);
        let (offences, refs) = load_offences(ctx, &themes)?;
        let link = offence_of_code(&refs)?;
        // Independent tables: read on two threads.
        let (victims, suspects) =
            rayon::join(|| load_persons(ctx.staged.victims.clone(), &link), || load_persons(ctx.staged.suspects.clone(), &link));
        let (victims, suspects) = (victims?, suspects?);
        Ok(PoliceRecords { themes, offences, victims, suspects })
    }
}

/// No offence for this crime_ref code.
const NO_OFFENCE: u32 = u32::MAX;

/// Each crime_ref code's offence (the last offence with it), indexed by code. crime_ref is a dense integer
/// code since `inputs::load` (see `crime_codes`), below the number of staged offences, so persons link by
/// indexing this vector: no join, no hashing.
fn offence_of_code(refs: &Column) -> Result<Vec<u32>, AnalysisError> {
    // Strict: a reference that is not a code is a caller's error, not an offence without persons.
    let codes = refs.strict_cast(&DataType::UInt32).map_err(err("crime_ref codes"))?;
    let codes = codes.u32().map_err(err("crime_ref codes"))?;
    let len = codes.iter().flatten().max().map_or(0, |m| m as usize + 1);
    let mut link = vec![NO_OFFENCE; len];
    for (offence, code) in codes.iter().enumerate() {
        if let Some(code) = code {
            link[code as usize] = u32::try_from(offence).map_err(|_| AnalysisError::Input("over 4 billion offences".into()))?;
        }
    }
    Ok(link)
}

fn err(what: &str) -> impl Fn(PolarsError) -> AnalysisError + '_ {
    move |e| AnalysisError::polars(what, e)
}

/// A column cast to `dtype`, or None when the frame lacks it.
fn cast_col(df: &DataFrame, name: &str, dtype: &DataType) -> Result<Option<Column>, AnalysisError> {
    match df.column(name) {
        Err(_) => Ok(None),
        Ok(c) => c.cast(dtype).map(Some).map_err(err(name)),
    }
}

/// A string column, all null when the frame lacks it.
fn str_col(df: &DataFrame, name: &str) -> Result<StringChunked, AnalysisError> {
    match cast_col(df, name, &DataType::String)? {
        None => Ok(StringChunked::full_null(name.into(), df.height())),
        Some(c) => c.str().cloned().map_err(err(name)),
    }
}

fn i64_col(df: &DataFrame, name: &str) -> Result<Int64Chunked, AnalysisError> {
    match cast_col(df, name, &DataType::Int64)? {
        None => Ok(Int64Chunked::full_null(name.into(), df.height())),
        Some(c) => c.i64().cloned().map_err(err(name)),
    }
}

fn bool_col(df: &DataFrame, name: &str) -> Result<BooleanChunked, AnalysisError> {
    match cast_col(df, name, &DataType::Boolean)? {
        None => Ok(BooleanChunked::full_null(name.into(), df.height())),
        Some(c) => c.bool().cloned().map_err(err(name)),
    }
}

/// Offences of every configured period with their theme flags (bits aligned with `themes`), and their
/// crime_refs (aligned with the offences).
pub fn load_offences(ctx: &AnalysisContext, themes: &[ThemeSel]) -> Result<(Vec<OffenceRow>, Column), AnalysisError> {
    if themes.len() > 64 {
        return Err(AnalysisError::Input(format!("{} themes: at most 64 can be profiled", themes.len())));
    }
    let lf = ctx.staged.offences.clone();
    let names: Vec<String> = lf
        .clone()
        .collect_schema()
        .map_err(err("offence schema"))?
        .iter_names()
        .map(|n| n.to_string())
        .collect();
    let mut cols = vec![col("crime_ref"), col("period_index").cast(DataType::Int32)];
    if names.iter().any(|n| n == "committed_from") {
        cols.push(col("committed_from").dt().timestamp(TimeUnit::Milliseconds).alias("t_ms"));
    }
    if names.iter().any(|n| n == "sanction_detection") {
        cols.push(col("sanction_detection"));
    }
    // Per theme: Some(column) of its flag, Some("") for a flag the extract lacks (marks no offence), None
    // for every offence.
    let mut flag_cols = Vec::new();
    for (i, t) in themes.iter().enumerate() {
        let source = match &t.source {
            ThemeSource::All => None,
            ThemeSource::Definition(c) | ThemeSource::Flag(c) => Some(c),
        };
        match source {
            Some(c) if names.iter().any(|n| n == c) => {
                let alias = format!("__theme_{i}");
                cols.push(col(c.as_str()).cast(DataType::Boolean).fill_null(lit(false)).alias(alias.as_str()));
                flag_cols.push(Some(alias));
            }
            Some(_) => flag_cols.push(Some(String::new())),
            None => flag_cols.push(None),
        }
    }
    let df = lf
        .select(cols)
        .filter(col("crime_ref").is_not_null().and(col("period_index").is_not_null()))
        .collect()
        .map_err(err("collecting offences for people and response"))?;
    let period = i64_col(&df, "period_index")?;
    let t_ms = i64_col(&df, "t_ms")?;
    let sd = bool_col(&df, "sanction_detection")?;
    let mut offences: Vec<OffenceRow> = period
        .iter()
        .zip(t_ms.iter())
        .zip(sd.iter())
        .map(|((p, t), sd)| OffenceRow { period: p.unwrap_or(-1) as i32, t_ms: t, sanction_detection: sd == Some(true), themes: 0 })
        .collect();
    for (bit, c) in flag_cols.iter().enumerate() {
        match c {
            None => offences.iter_mut().for_each(|o| o.themes |= 1 << bit),
            Some(c) => {
                for (o, f) in offences.iter_mut().zip(bool_col(&df, c)?.iter()) {
                    if f == Some(true) {
                        o.themes |= 1 << bit;
                    }
                }
            }
        }
    }
    let refs = df.column("crime_ref").map_err(err("crime_ref"))?.clone();
    Ok((offences, refs))
}

/// Person records (victims or suspects) linked to an offence by `link` (crime_ref code -> offence index),
/// in their staged order; persons of no listed offence are left out.
pub fn load_persons(persons: LazyFrame, link: &[u32]) -> Result<Persons, AnalysisError> {
    let df = persons.collect().map_err(err("reading person records"))?;
    let n = df.height();
    let codes = match df.column("crime_ref") {
        Err(_) => UInt32Chunked::full_null("crime_ref".into(), n),
        Ok(c) => c.strict_cast(&DataType::UInt32).and_then(|c| c.u32().cloned()).map_err(err("person crime_ref codes"))?,
    };
    let (ids, sexes, groups, schemes) = (str_col(&df, "person_id")?, str_col(&df, "sex")?, str_col(&df, "ethnic_group")?, str_col(&df, "ethnicity_scheme")?);
    let ages = i64_col(&df, "age")?;
    let mut out = Persons { rows: Vec::with_capacity(n), labels: Vec::new() };
    let mut person_ids = PersonIds::default();
    // A handful of distinct values each: a linear scan beats hashing the string.
    let mut labels: Vec<(&str, u32)> = Vec::new();
    let fields = codes.iter().zip(ids.iter()).zip(sexes.iter()).zip(groups.iter()).zip(schemes.iter()).zip(ages.iter());
    for (((((code, id), sex), group), scheme), age) in fields {
        let offence = code.and_then(|c| link.get(c as usize)).copied().unwrap_or(NO_OFFENCE);
        if offence == NO_OFFENCE {
            continue;
        }
        if let Some(id) = id.filter(|s| !s.trim().is_empty()) {
            person_ids.add(id, out.rows.len());
        }
        let mut intern = |v| match labels.iter().find(|(l, _)| *l == v) {
            Some((_, i)) => *i,
            None => {
                let i = out.intern(v);
                labels.push((v, i));
                i
            }
        };
        let sex = intern(sex.filter(|s| !s.trim().is_empty()).unwrap_or("U"));
        let ethnic_group = intern(group.filter(|s| !s.trim().is_empty()).unwrap_or(NOT_STATED));
        let scheme = intern(scheme.unwrap_or("none"));
        out.rows.push(PersonRow { offence: offence as usize, person: None, age: age.filter(|a| *a >= 0), sex, ethnic_group, scheme });
    }
    person_ids.number(&mut out.rows);
    Ok(out)
}

/// Numbers person pseudonyms: equal ids, equal numbers. Ingest's pseudonyms (`P` + 24 lowercase hex
/// digits, see `ingest::pseudonymise`) are read as the 96-bit number they spell, exactly, so millions of
/// them are compared as integers rather than strings; any other id by its string. Numbers are given by
/// sorting (ids in order, then records in order) rather than a hash map: millions of random lookups into a
/// table far larger than the cache cost more than a sort.
#[derive(Default)]
struct PersonIds<'a> {
    /// (pseudonym value, record index)
    pseudonyms: Vec<(u128, u32)>,
    /// (other id, record index)
    others: Vec<(&'a str, u32)>,
}

impl<'a> PersonIds<'a> {
    fn add(&mut self, id: &'a str, record: usize) {
        let record = record as u32;
        match pseudonym_value(id) {
            Some(v) => self.pseudonyms.push((v, record)),
            None => self.others.push((id, record)),
        }
    }

    /// Sets `person` of every record added.
    fn number(mut self, rows: &mut [PersonRow]) {
        use rayon::slice::ParallelSliceMut;
        self.pseudonyms.par_sort_unstable();
        self.others.par_sort_unstable();
        let mut next = 0u32;
        for run in self.pseudonyms.chunk_by(|a, b| a.0 == b.0) {
            run.iter().for_each(|&(_, r)| rows[r as usize].person = Some(next));
            next += 1;
        }
        for run in self.others.chunk_by(|a, b| a.0 == b.0) {
            run.iter().for_each(|&(_, r)| rows[r as usize].person = Some(next));
            next += 1;
        }
    }
}

/// The number a pseudonym spells, when `id` is exactly `P` + 24 lowercase hex digits (so that two different
/// strings never give the same number).
fn pseudonym_value(id: &str) -> Option<u128> {
    let digits = id.strip_prefix('P')?.as_bytes();
    if digits.len() != 24 {
        return None;
    }
    let mut v: u128 = 0;
    for &b in digits {
        let d = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            _ => return None,
        };
        v = v << 4 | u128::from(d);
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudonyms_read_exactly_and_other_ids_by_string() {
        assert_eq!(pseudonym_value("P000000000000000000000000a"), None, "25 digits");
        assert_eq!(pseudonym_value("P00000000000000000000000a"), Some(10));
        assert_eq!(pseudonym_value("P0000000000000000000000ff"), Some(255));
        assert_eq!(pseudonym_value("P0000000000000000000000FF"), None, "upper case is another string");
        assert_eq!(pseudonym_value("Q0000000000000000000000ff"), None);
        let ids = ["P0000000000000000000000ff", "V-17", "P0000000000000000000000FF", "P0000000000000000000000ff", "V-17", "x", "P00000000000000000000000f"];
        let mut numbering = PersonIds::default();
        ids.iter().enumerate().for_each(|(i, id)| numbering.add(id, i));
        let mut rows = vec![PersonRow { offence: 0, person: None, age: None, sex: 0, ethnic_group: 0, scheme: 0 }; ids.len()];
        numbering.number(&mut rows);
        let numbers: Vec<Option<u32>> = rows.iter().map(|r| r.person).collect();
        // Pseudonyms in order of value, then other ids in string order.
        assert_eq!(numbers, [1, 3, 2, 1, 3, 4, 0].map(Some));
    }

    #[test]
    fn persons_link_to_the_last_offence_of_their_code_and_others_are_left_out() {
        let refs = Column::new("crime_ref".into(), [Some(2u32), Some(0), None, Some(2)]);
        let link = offence_of_code(&refs).expect("codes");
        assert_eq!(link, vec![1, NO_OFFENCE, 3]);
        let persons = df!(
            "crime_ref" => [Some(2u32), Some(1), None, Some(7), Some(0)],
            "person_id" => [Some("P0000000000000000000000ff"), Some("a"), Some("b"), Some("c"), Some(" ")],
            "age" => [Some(17i64), Some(20), Some(30), Some(40), Some(-1)],
            "sex" => [Some("F"), Some("M"), Some("M"), Some("M"), None],
        )
        .expect("frame");
        let p = load_persons(persons.lazy(), &link).expect("persons");
        assert_eq!(p.rows.len(), 2);
        assert_eq!((p.rows[0].offence, p.rows[0].person, p.rows[0].age), (3, Some(0), Some(17)));
        assert_eq!((p.rows[1].offence, p.rows[1].person, p.rows[1].age), (1, None, None));
        assert_eq!((p.label(p.rows[0].sex), p.label(p.rows[1].sex)), ("F", "U"));
        assert_eq!(p.label(p.rows[1].ethnic_group), NOT_STATED);
    }
}
