//! Offence references as integers. crime_ref is a string in every staged police table and the analysis
//! links persons to offences by it (youngest victim and suspect, victims per offence, person tables):
//! replacing it once by a dense u32 code lets those links index vectors by code (`records`) instead of
//! hashing strings. This is the path for staged persons without ingest's offence rows (see `inputs`).

use super::AnalysisError;
use polars::prelude::*;

/// A coded crime_ref column as codes. Strict: a reference that is not a code (a string not yet coded) is the
/// caller's error, not an offence without persons.
pub fn codes_of(c: &Column) -> PolarsResult<UInt32Chunked> {
    c.strict_cast(&DataType::UInt32).and_then(|c| c.u32().cloned())
}

/// How long a vector indexed by these codes must be (one past the largest).
pub fn code_count(codes: &UInt32Chunked) -> usize {
    codes.iter().flatten().max().map_or(0, |m| m as usize + 1)
}

fn err(what: &str) -> impl Fn(PolarsError) -> AnalysisError + '_ {
    move |e| AnalysisError::polars(what, e)
}

/// Replaces crime_ref by its code in the offence scan and the person tables. Equal refs get equal codes;
/// a missing ref, and a person ref that matches no offence, get null, which joins to nothing (as a string
/// that matches no offence did).
pub fn code_crime_refs(offences: LazyFrame, victims: DataFrame, suspects: DataFrame) -> Result<(LazyFrame, DataFrame, DataFrame), AnalysisError> {
    let schema = offences.clone().collect_schema().map_err(err("offence columns"))?;
    if schema.get("crime_ref").is_none() {
        return Ok((offences, victims, suspects));
    }
    let refs = offences.clone().select([col("crime_ref").cast(DataType::String)]).collect().map_err(err("reading crime_ref"))?;
    let refs = refs.column("crime_ref").and_then(|c| c.str().cloned()).map_err(err("crime_ref"))?;
    let mut codes: PlHashMap<&str, u32> = PlHashMap::with_capacity(refs.len());
    let offence_codes: UInt32Chunked = refs
        .iter()
        .map(|r| {
            r.map(|r| {
                let next = codes.len() as u32;
                *codes.entry(r).or_insert(next)
            })
        })
        .collect();
    let victims = code_persons(victims, &codes)?;
    let suspects = code_persons(suspects, &codes)?;
    // The scan is not held in memory: the codes go in by row number, in the scan's row order.
    let n = offence_codes.len();
    let rows: Vec<IdxSize> = (0..n).map(|i| i as IdxSize).collect();
    let link = DataFrame::new(n, vec![Column::new("__row".into(), rows), offence_codes.with_name("__code".into()).into_column()])
        .map_err(err("crime_ref codes"))?;
    let mut args = JoinArgs::new(JoinType::Left);
    args.maintain_order = MaintainOrderJoin::Left;
    let cols: Vec<Expr> =
        schema.iter_names().map(|name| if name == "crime_ref" { col("__code").alias("crime_ref") } else { col(name.clone()) }).collect();
    let offences = offences.with_row_index("__row", None).join(link.lazy(), [col("__row")], [col("__row")], args).select(cols);
    Ok((offences, victims, suspects))
}

fn code_persons(df: DataFrame, codes: &PlHashMap<&str, u32>) -> Result<DataFrame, AnalysisError> {
    let Ok(c) = df.column("crime_ref") else { return Ok(df) };
    let refs = c.cast(&DataType::String).map_err(err("person crime_ref"))?;
    let refs = refs.str().map_err(err("person crime_ref"))?;
    let coded: UInt32Chunked = refs.iter().map(|r| r.and_then(|r| codes.get(r).copied())).collect();
    let mut df = df;
    df.with_column(coded.with_name("crime_ref".into()).into_column()).map_err(err("person crime_ref"))?;
    Ok(df)
}
