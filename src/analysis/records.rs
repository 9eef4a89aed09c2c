//! Police records as plain rows for the person-level tables (people, response): offences of the configured
//! periods with their theme flags, and the victims and suspects linked to them. Loaded once per run and
//! shared, because collecting the staged files is the costly part at scale. Person pseudonyms and the
//! categorical fields (sex, ethnic group, scheme) are interned to integers: the tables only count them.

use super::people::{theme_list, ThemeSel, ThemeSource, NOT_STATED};
use super::{AnalysisContext, AnalysisError};
use polars::prelude::*;

/// One offence of the configured periods.
#[derive(Debug, Clone, PartialEq)]
pub struct OffenceRow {
    pub crime_ref: String,
    /// 0 = current period.
    pub period: i32,
    /// committed_from in epoch milliseconds.
    pub t_ms: Option<i64>,
    pub sanction_detection: bool,
    /// In each theme of `theme_list`, in its order.
    pub themes: Vec<bool>,
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
        let offences = load_offences(ctx, &themes)?;
        let index: PlHashMap<&str, usize> = offences.iter().enumerate().map(|(i, o)| (o.crime_ref.as_str(), i)).collect();
        let victims = load_persons(ctx.staged.victims.clone(), &index)?;
        let suspects = load_persons(ctx.staged.suspects.clone(), &index)?;
        drop(index);
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

/// Borrowed string values of an optional column (all None without one).
fn strs<'a>(c: &'a Option<Column>, name: &str, n: usize) -> Result<Vec<Option<&'a str>>, AnalysisError> {
    match c {
        None => Ok(vec![None; n]),
        Some(c) => Ok(c.str().map_err(err(name))?.iter().collect()),
    }
}

fn opt_i64(df: &DataFrame, name: &str) -> Result<Vec<Option<i64>>, AnalysisError> {
    match cast_col(df, name, &DataType::Int64)? {
        None => Ok(vec![None; df.height()]),
        Some(c) => Ok(c.i64().map_err(err(name))?.iter().collect()),
    }
}

fn opt_bool(df: &DataFrame, name: &str) -> Result<Vec<bool>, AnalysisError> {
    match cast_col(df, name, &DataType::Boolean)? {
        None => Ok(vec![false; df.height()]),
        Some(c) => Ok(c.bool().map_err(err(name))?.iter().map(|v| v == Some(true)).collect()),
    }
}

/// Offences of every configured period with their theme flags (aligned with `themes`).
pub fn load_offences(ctx: &AnalysisContext, themes: &[ThemeSel]) -> Result<Vec<OffenceRow>, AnalysisError> {
    let lf = ctx.staged.offences.clone();
    let names: Vec<String> = lf
        .clone()
        .collect_schema()
        .map_err(err("offence schema"))?
        .iter_names()
        .map(|n| n.to_string())
        .collect();
    let mut cols = vec![col("crime_ref").cast(DataType::String), col("period_index").cast(DataType::Int32)];
    if names.iter().any(|n| n == "committed_from") {
        cols.push(col("committed_from").dt().timestamp(TimeUnit::Milliseconds).alias("t_ms"));
    }
    if names.iter().any(|n| n == "sanction_detection") {
        cols.push(col("sanction_detection"));
    }
    let mut flag_cols = Vec::new();
    for (i, t) in themes.iter().enumerate() {
        let source = match &t.source {
            ThemeSource::All => None,
            ThemeSource::Definition(c) | ThemeSource::Flag(c) => Some(c),
        };
        match source {
            // A flag the extract does not carry marks no offence.
            Some(c) if names.iter().any(|n| n == c) => {
                let alias = format!("__theme_{i}");
                cols.push(col(c.as_str()).cast(DataType::Boolean).fill_null(lit(false)).alias(alias.as_str()));
                flag_cols.push(Some(alias));
            }
            Some(_) => flag_cols.push(Some(String::new())),
            None => flag_cols.push(None),
        }
    }
    let df = lf.select(cols).collect().map_err(err("collecting offences for people and response"))?;
    let refs = cast_col(&df, "crime_ref", &DataType::String)?;
    let refs = strs(&refs, "crime_ref", df.height())?;
    let period = opt_i64(&df, "period_index")?;
    let t_ms = opt_i64(&df, "t_ms")?;
    let sd = opt_bool(&df, "sanction_detection")?;
    let mut flags = Vec::new();
    for c in &flag_cols {
        flags.push(match c {
            Some(c) => opt_bool(&df, c)?,
            None => vec![true; df.height()],
        });
    }
    Ok((0..df.height())
        .filter_map(|i| {
            let crime_ref = refs[i]?.to_string();
            let period = period[i]? as i32;
            Some(OffenceRow {
                crime_ref,
                period,
                t_ms: t_ms[i],
                sanction_detection: sd[i],
                themes: flags.iter().map(|f| f[i]).collect(),
            })
        })
        .collect())
}

/// Person records (victims or suspects) whose crime_ref is in `index` (crime_ref -> offence index).
pub fn load_persons(persons: LazyFrame, index: &PlHashMap<&str, usize>) -> Result<Persons, AnalysisError> {
    const COLUMNS: [&str; 6] = ["crime_ref", "person_id", "age", "sex", "ethnic_group", "ethnicity_scheme"];
    let lf = persons;
    let schema = lf.clone().collect_schema().map_err(err("person columns"))?;
    // Only the columns counted here: the staged files carry free text too.
    let cols: Vec<Expr> = COLUMNS.iter().filter(|c| schema.get(c).is_some()).map(|c| col(*c)).collect();
    let df = lf.select(cols).collect().map_err(err("collecting person records"))?;
    let n = df.height();
    let string = |name: &str| cast_col(&df, name, &DataType::String);
    let (refs, ids, sexes, groups, schemes) =
        (string("crime_ref")?, string("person_id")?, string("sex")?, string("ethnic_group")?, string("ethnicity_scheme")?);
    let refs = strs(&refs, "crime_ref", n)?;
    let ids = strs(&ids, "person_id", n)?;
    let sexes = strs(&sexes, "sex", n)?;
    let groups = strs(&groups, "ethnic_group", n)?;
    let schemes = strs(&schemes, "ethnicity_scheme", n)?;
    let ages = opt_i64(&df, "age")?;
    let mut out = Persons { rows: Vec::with_capacity(n), labels: Vec::new() };
    let mut person_ids: PlHashMap<&str, u32> = PlHashMap::with_capacity(n);
    let mut labels: PlHashMap<&str, u32> = PlHashMap::new();
    for i in 0..n {
        let Some(&offence) = refs[i].and_then(|r| index.get(r)) else { continue };
        let person = ids[i].filter(|s| !s.trim().is_empty()).map(|id| {
            let next = person_ids.len() as u32;
            *person_ids.entry(id).or_insert(next)
        });
        let mut intern = |v| *labels.entry(v).or_insert_with(|| out.intern(v));
        let sex = intern(sexes[i].filter(|s| !s.trim().is_empty()).unwrap_or("U"));
        let ethnic_group = intern(groups[i].filter(|s| !s.trim().is_empty()).unwrap_or(NOT_STATED));
        let scheme = intern(schemes[i].unwrap_or("none"));
        out.rows.push(PersonRow { offence, person, age: ages[i].filter(|a| *a >= 0), sex, ethnic_group, scheme });
    }
    Ok(out)
}
