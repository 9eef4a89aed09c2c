//! Where the report reads an analysis table from, per tier. The restricted tier reads `tables/<name>.parquet`;
//! the public tier reads only the suppressed `public/tables/<name>.csv`, where a suppressed count (`[c]`) or a
//! blanked derived value reads as null, never as zero, and dropped columns (cumulative shares, rolling sums)
//! are simply absent. Charts and maps built through this are therefore safe to publish by construction.

use super::public::SUPPRESSED;
use super::{ReportError, Tier};
use polars::prelude::*;
use std::path::{Path, PathBuf};

/// The folder a tier's outputs go under: `out` itself, or `out/public`.
pub fn tier_root(out: &Path, tier: Tier) -> PathBuf {
    match tier {
        Tier::Restricted => out.to_path_buf(),
        Tier::Public => out.join("public"),
    }
}

/// The table `name` for `tier`, or `None` when it was not produced (or, for the public tier, not published).
pub fn load_tier_table(out: &Path, tier: Tier, name: &str) -> Result<Option<DataFrame>, ReportError> {
    match tier {
        Tier::Restricted => {
            let path = out.join("tables").join(format!("{name}.parquet"));
            if !path.is_file() {
                return Ok(None);
            }
            crate::table_io::read_parquet(&path).map(Some).map_err(|e| ReportError::Table(e.to_string()))
        }
        Tier::Public => {
            let path = out.join("public").join("tables").join(format!("{name}.csv"));
            if !path.is_file() {
                return Ok(None);
            }
            read_suppressed_csv(&path).map(Some)
        }
    }
}

/// A suppressed CSV with `[c]` and empty cells as nulls and column types inferred from every row.
pub fn read_suppressed_csv(path: &Path) -> Result<DataFrame, ReportError> {
    let fail = |e: PolarsError| ReportError::Table(format!("{}: {e}", path.display()));
    CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(None)
        .map_parse_options(|o| o.with_null_values(Some(NullValues::AllColumnsSingle(SUPPRESSED.into()))))
        .try_into_reader_with_file_path(Some(path.to_path_buf()))
        .map_err(fail)?
        .finish()
        .map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suppressed_cells_read_as_null_not_zero() {
        let dir = tempfile::tempdir().unwrap();
        let tables = dir.path().join("public").join("tables");
        std::fs::create_dir_all(&tables).unwrap();
        std::fs::write(tables.join("t.csv"), "theme,ward,offences,rate\nsv,A,40,4.0\nsv,B,[c],\nsv,C,0,0.0\n").unwrap();
        let df = load_tier_table(dir.path(), Tier::Public, "t").unwrap().unwrap();
        let offences: Vec<Option<i64>> = df.column("offences").unwrap().i64().unwrap().iter().collect();
        assert_eq!(offences, vec![Some(40), None, Some(0)]);
        let rate: Vec<Option<f64>> = df.column("rate").unwrap().f64().unwrap().iter().collect();
        assert_eq!(rate, vec![Some(4.0), None, Some(0.0)]);
        assert!(load_tier_table(dir.path(), Tier::Public, "absent").unwrap().is_none());
        assert!(load_tier_table(dir.path(), Tier::Restricted, "t").unwrap().is_none(), "restricted reads parquet only");
    }
}
