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
        // Each crime_ref's offence (the last offence with it): persons link by a join on crime_ref, an
        // integer code since `inputs::load` (see `crime_codes`), so no string is hashed or copied here.
        let link = DataFrame::new(refs.len(), vec![refs])
            .map_err(err("offence references"))?
            .lazy()
            .with_row_index("__offence", None)
            .group_by([col("crime_ref")])
            .agg([col("__offence").max()]);
        let victims = load_persons(ctx.staged.victims.clone(), link.clone())?;
        let suspects = load_persons(ctx.staged.suspects.clone(), link)?;
        Ok(PoliceRecords { themes, offences, victims, suspects })
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

/// Person records (victims or suspects) linked to an offence by `link` (crime_ref -> `__offence`), in their
/// staged order; persons of no listed offence are left out.
pub fn load_persons(persons: LazyFrame, link: LazyFrame) -> Result<Persons, AnalysisError> {
    let mut args = JoinArgs::new(JoinType::Inner);
    args.maintain_order = MaintainOrderJoin::Left;
    let df = persons
        .join(link, [col("crime_ref")], [col("crime_ref")], args)
        .collect()
        .map_err(err("linking person records to offences"))?;
    let n = df.height();
    let (ids, sexes, groups, schemes) = (str_col(&df, "person_id")?, str_col(&df, "sex")?, str_col(&df, "ethnic_group")?, str_col(&df, "ethnicity_scheme")?);
    let ages = i64_col(&df, "age")?;
    let offences = i64_col(&df, "__offence")?;
    let mut out = Persons { rows: Vec::with_capacity(n), labels: Vec::new() };
    let mut person_ids: PlHashMap<&str, u32> = PlHashMap::with_capacity(n);
    let mut labels: PlHashMap<&str, u32> = PlHashMap::new();
    let fields = offences.iter().zip(ids.iter()).zip(sexes.iter()).zip(groups.iter()).zip(schemes.iter()).zip(ages.iter());
    for (((((offence, id), sex), group), scheme), age) in fields {
        let Some(offence) = offence.and_then(|o| usize::try_from(o).ok()) else { continue };
        let person = id.filter(|s| !s.trim().is_empty()).map(|id| {
            let next = person_ids.len() as u32;
            *person_ids.entry(id).or_insert(next)
        });
        let mut intern = |v| *labels.entry(v).or_insert_with(|| out.intern(v));
        let sex = intern(sex.filter(|s| !s.trim().is_empty()).unwrap_or("U"));
        let ethnic_group = intern(group.filter(|s| !s.trim().is_empty()).unwrap_or(NOT_STATED));
        let scheme = intern(scheme.unwrap_or("none"));
        out.rows.push(PersonRow { offence, person, age: age.filter(|a| *a >= 0), sex, ethnic_group, scheme });
    }
    Ok(out)
}
