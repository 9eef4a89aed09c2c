//! Police records as plain rows for the person-level tables (people, response): offences of the configured
//! periods with their theme flags, and the victims and suspects linked to them. Persons are read once per run
//! (`inputs::load`) straight into these rows and shared, because holding the staged person files as frames
//! cost more memory, and time, than the rows. Person pseudonyms and the categorical fields (sex, ethnic
//! group, scheme) are interned to integers: the tables only count them.
//!
//! Links are by crime_ref code (`inputs::load` codes crime_ref as a dense integer, see `crime_codes`): a
//! person's `offence` is its offence's code, and the offence list is indexed by code, so linking needs no
//! join and no hashing. Ingest keeps one offence per crime_ref (later ones are rejected as duplicates).

use super::people::{theme_list, ThemeSel, ThemeSource, NOT_STATED};
use super::crime_codes::{code_count, codes_of};
use super::{AnalysisContext, AnalysisError};
use crate::ingest::pseudonymise::pseudonym_value;
use polars::prelude::*;

/// One offence, at the index of its crime_ref code.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OffenceRow {
    /// 0 = current period, 1.. previous ones; -1 (`OffenceRow::NONE`) when no offence of the configured
    /// periods has this code.
    pub period: i32,
    /// committed_from in epoch milliseconds.
    pub t_ms: Option<i64>,
    pub sanction_detection: bool,
    /// Bit i set when the offence is in theme i of `theme_list` (a mask, not a Vec per row: millions of rows).
    pub themes: u64,
}

impl OffenceRow {
    /// A code with no offence in the configured periods: counted by no table.
    pub const NONE: OffenceRow = OffenceRow { period: -1, t_ms: None, sanction_detection: false, themes: 0 };

    /// The offence a person record links to: `NONE` when its code has no offence of the configured periods
    /// (the staged offences run past them, and the vector stops at the last code of an offence in them).
    pub fn of(offences: &[OffenceRow], code: usize) -> &OffenceRow {
        offences.get(code).unwrap_or(&OffenceRow::NONE)
    }

    pub fn in_theme(&self, theme: usize) -> bool {
        theme < 64 && self.themes & (1 << theme) != 0
    }
}

/// One victim or suspect record with a crime_ref.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PersonRow {
    /// Its offence's crime_ref code: the index into the offence list.
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

/// Themes, offences and the persons linked to them, for the people and response tables.
pub struct PoliceRecords<'a> {
    pub themes: Vec<ThemeSel>,
    /// Indexed by crime_ref code.
    pub offences: Vec<OffenceRow>,
    pub victims: &'a Persons,
    pub suspects: &'a Persons,
}

impl<'a> PoliceRecords<'a> {
    pub fn load(ctx: &'a AnalysisContext) -> Result<PoliceRecords<'a>, AnalysisError> {
        let themes = theme_list(ctx);
        let offences = load_offences(ctx, &themes)?;
        Ok(PoliceRecords { themes, offences, victims: &ctx.staged.victims, suspects: &ctx.staged.suspects })
    }
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

/// Offences of every configured period with their theme flags (bits aligned with `themes`), indexed by
/// crime_ref code (`OffenceRow::NONE` at codes of no such offence).
pub fn load_offences(ctx: &AnalysisContext, themes: &[ThemeSel]) -> Result<Vec<OffenceRow>, AnalysisError> {
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
    let codes = df.column("crime_ref").and_then(codes_of).map_err(err("crime_ref codes"))?;
    let len = code_count(&codes);
    let mut by_code = vec![OffenceRow::NONE; len];
    for (o, code) in offences.into_iter().zip(codes.iter()) {
        if let Some(code) = code {
            by_code[code as usize] = o;
        }
    }
    Ok(by_code)
}

/// Person records (victims or suspects) of a staged person frame whose crime_ref is already coded, in their
/// staged order; records without a crime_ref are left out (they link to no offence).
pub fn persons_from_frame(df: &DataFrame) -> Result<Persons, AnalysisError> {
    let n = df.height();
    let codes = match df.column("crime_ref") {
        Err(_) => UInt32Chunked::full_null("crime_ref".into(), n),
        Ok(c) => codes_of(c).map_err(err("person crime_ref codes"))?,
    };
    let (ids, sexes, groups, schemes) = (str_col(df, "person_id")?, str_col(df, "sex")?, str_col(df, "ethnic_group")?, str_col(df, "ethnicity_scheme")?);
    let ages = i64_col(df, "age")?;
    let mut out = Persons { rows: Vec::with_capacity(n), labels: Vec::new() };
    let mut person_ids = PersonIds::default();
    // A handful of distinct values each: a linear scan beats hashing the string.
    let mut labels: Vec<(&str, u32)> = Vec::new();
    let fields = codes.iter().zip(ids.iter()).zip(sexes.iter()).zip(groups.iter()).zip(schemes.iter()).zip(ages.iter());
    for (((((code, id), sex), group), scheme), age) in fields {
        let Some(code) = code else { continue };
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
        out.rows.push(PersonRow { offence: code as usize, person: None, age: age.filter(|a| *a >= 0), sex, ethnic_group, scheme });
    }
    person_ids.number(&mut out.rows);
    Ok(out)
}

impl Persons {
    /// Youngest age per crime_ref code (`len` codes), for the definition's age conditions.
    pub fn youngest_by_code(&self, len: usize) -> Vec<Option<i64>> {
        let mut youngest: Vec<Option<i64>> = vec![None; len];
        for p in &self.rows {
            if let (Some(age), Some(y)) = (p.age, youngest.get_mut(p.offence)) {
                *y = Some(y.map_or(age, |y| y.min(age)));
            }
        }
        youngest
    }

    /// Number of records per crime_ref code (`len` codes).
    pub fn count_by_code(&self, len: usize) -> Vec<u64> {
        let mut counts = vec![0u64; len];
        for p in &self.rows {
            if let Some(c) = counts.get_mut(p.offence) {
                *c += 1;
            }
        }
        counts
    }
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
        // Numbers land in a compact vector first (records in sorted-id order are scattered, and scattered
        // writes into 4-byte slots cost far less than into whole rows), then go into the rows in one pass.
        let mut numbers = vec![u32::MAX; rows.len()];
        let mut next = 0u32;
        for run in self.pseudonyms.chunk_by(|a, b| a.0 == b.0) {
            run.iter().for_each(|&(_, r)| numbers[r as usize] = next);
            next += 1;
        }
        for run in self.others.chunk_by(|a, b| a.0 == b.0) {
            run.iter().for_each(|&(_, r)| numbers[r as usize] = next);
            next += 1;
        }
        for (row, n) in rows.iter_mut().zip(numbers) {
            row.person = (n != u32::MAX).then_some(n);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudonyms_numbered_by_value_and_other_ids_by_string() {
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
    fn persons_keep_their_code_and_records_without_one_are_left_out() {
        let persons = df!(
            "crime_ref" => [Some(2u32), Some(1), None, Some(2), Some(0)],
            "person_id" => [Some("P0000000000000000000000ff"), Some("a"), Some("b"), Some("c"), Some(" ")],
            "age" => [Some(17i64), Some(20), Some(30), Some(15), Some(-1)],
            "sex" => [Some("F"), Some("M"), Some("M"), Some("M"), None],
        )
        .expect("frame");
        let p = persons_from_frame(&persons).expect("persons");
        assert_eq!(p.rows.len(), 4);
        assert_eq!((p.rows[0].offence, p.rows[0].person, p.rows[0].age), (2, Some(0), Some(17)));
        assert_eq!((p.rows[3].offence, p.rows[3].person, p.rows[3].age), (0, None, None));
        assert_eq!((p.label(p.rows[0].sex), p.label(p.rows[3].sex)), ("F", "U"));
        assert_eq!(p.label(p.rows[3].ethnic_group), NOT_STATED);
        assert_eq!(p.youngest_by_code(4), vec![None, Some(20), Some(15), None]);
        assert_eq!(p.count_by_code(2), vec![1, 1], "codes beyond the length are not counted");
        let not_codes = df!("crime_ref" => ["C1"], "age" => [3i64]).expect("frame");
        assert!(persons_from_frame(&not_codes).is_err(), "string references must be coded first");
    }
}
