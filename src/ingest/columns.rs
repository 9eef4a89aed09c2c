//! Column builders for staged tables: typed vectors filled row by row, then turned into a polars
//! DataFrame. Typed from the dictionary so a column's type never depends on its first value.

use crate::dictionary::values::Value;
use polars::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    Str,
    Int,
    Float,
    Bool,
    Date,
    Datetime,
}

/// Strings go straight into an Arrow string-view buffer (no heap string per cell is kept).
enum Data {
    Str(StringChunkedBuilder, usize),
    Int(Vec<Option<i64>>),
    Float(Vec<Option<f64>>),
    Bool(Vec<Option<bool>>),
    Date(Vec<Option<i32>>),
    Datetime(Vec<Option<i64>>),
}

pub struct ColumnBuilder {
    pub name: String,
    data: Data,
}

fn epoch() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()
}

impl ColumnBuilder {
    pub fn new(name: &str, kind: ColumnKind) -> ColumnBuilder {
        ColumnBuilder::with_capacity(name, kind, 1024)
    }

    /// A builder with room for `rows` values, so a chunk of known size fills without regrowing.
    pub fn with_capacity(name: &str, kind: ColumnKind, rows: usize) -> ColumnBuilder {
        let data = match kind {
            ColumnKind::Str => Data::Str(StringChunkedBuilder::new(name.into(), rows), 0),
            ColumnKind::Int => Data::Int(Vec::with_capacity(rows)),
            ColumnKind::Float => Data::Float(Vec::with_capacity(rows)),
            ColumnKind::Bool => Data::Bool(Vec::with_capacity(rows)),
            ColumnKind::Date => Data::Date(Vec::with_capacity(rows)),
            ColumnKind::Datetime => Data::Datetime(Vec::with_capacity(rows)),
        };
        ColumnBuilder { name: name.to_string(), data }
    }

    /// Append a value; a value of the wrong type is a programming error in the caller's schema, and is
    /// stored as null rather than panicking.
    pub fn push(&mut self, v: Option<Value>) {
        match &mut self.data {
            Data::Str(c, n) => {
                *n += 1;
                match v {
                    Some(Value::Str(s)) => c.append_value(s),
                    _ => c.append_null(),
                }
            }
            Data::Int(c) => c.push(match v {
                Some(Value::Int(i)) => Some(i),
                _ => None,
            }),
            Data::Float(c) => c.push(match v {
                Some(Value::Float(f)) => Some(f),
                Some(Value::Int(i)) => Some(i as f64),
                _ => None,
            }),
            Data::Bool(c) => c.push(match v {
                Some(Value::Bool(b)) => Some(b),
                _ => None,
            }),
            Data::Date(c) => c.push(match v {
                Some(Value::Date(d)) => Some((d - epoch()).num_days() as i32),
                Some(Value::DateTime(d)) => Some((d.date() - epoch()).num_days() as i32),
                _ => None,
            }),
            Data::Datetime(c) => c.push(match v {
                Some(Value::DateTime(d)) => Some(d.and_utc().timestamp_millis()),
                Some(Value::Date(d)) => d.and_hms_opt(0, 0, 0).map(|x| x.and_utc().timestamp_millis()),
                _ => None,
            }),
        }
    }

    /// Append borrowed text to a string column without allocating (other kinds store null, as `push` does).
    pub fn push_str(&mut self, v: Option<&str>) {
        match &mut self.data {
            Data::Str(c, n) => {
                *n += 1;
                match v {
                    Some(s) => c.append_value(s),
                    None => c.append_null(),
                }
            }
            _ => self.push(None),
        }
    }

    pub fn len(&self) -> usize {
        match &self.data {
            Data::Str(_, n) => *n,
            Data::Int(c) => c.len(),
            Data::Float(c) => c.len(),
            Data::Bool(c) => c.len(),
            Data::Date(c) => c.len(),
            Data::Datetime(c) => c.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The polars type [`ColumnBuilder::into_column`] produces for this kind.
    pub fn dtype(kind: ColumnKind) -> DataType {
        match kind {
            ColumnKind::Str => DataType::String,
            ColumnKind::Int => DataType::Int64,
            ColumnKind::Float => DataType::Float64,
            ColumnKind::Bool => DataType::Boolean,
            ColumnKind::Date => DataType::Date,
            ColumnKind::Datetime => DataType::Datetime(TimeUnit::Milliseconds, None),
        }
    }

    pub fn into_column(self) -> PolarsResult<Column> {
        let name: PlSmallStr = self.name.as_str().into();
        let s = match self.data {
            Data::Str(b, _) => b.finish().into_series().with_name(name),
            Data::Int(v) => Series::new(name, v),
            Data::Float(v) => Series::new(name, v),
            Data::Bool(v) => Series::new(name, v),
            Data::Date(v) => Series::new(name, v).cast(&DataType::Date)?,
            Data::Datetime(v) => Series::new(name, v).cast(&DataType::Datetime(TimeUnit::Milliseconds, None))?,
        };
        Ok(s.into())
    }
}

pub fn build_frame(columns: Vec<ColumnBuilder>) -> PolarsResult<DataFrame> {
    let cols: PolarsResult<Vec<Column>> = columns.into_iter().map(|c| c.into_column()).collect();
    DataFrame::new_infer_height(cols?)
}

/// The schema of the frames [`build_frame`] makes from builders of these names and kinds.
pub fn schema_of(columns: &[(String, ColumnKind)]) -> Schema {
    columns.iter().map(|(n, k)| Field::new(n.as_str().into(), ColumnBuilder::dtype(*k))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_frames_have_the_declared_schema_even_when_all_null() {
        let cols: Vec<(String, ColumnKind)> = [("s", ColumnKind::Str), ("i", ColumnKind::Int), ("f", ColumnKind::Float), ("b", ColumnKind::Bool), ("d", ColumnKind::Date), ("t", ColumnKind::Datetime)]
            .iter()
            .map(|(n, k)| (n.to_string(), *k))
            .collect();
        let mut builders: Vec<ColumnBuilder> = cols.iter().map(|(n, k)| ColumnBuilder::new(n, *k)).collect();
        for b in &mut builders {
            b.push(None);
        }
        let df = build_frame(builders).expect("frame");
        assert_eq!(df.schema().as_ref(), &schema_of(&cols));
    }
}
