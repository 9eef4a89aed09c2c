//! Swapped coordinate columns, caught before anything is written. An export that puts northings under
//! "Easting" (or latitude under "Longitude") is read without a single bad value, and every record then
//! lies outside the area. Before ingest writes anything, the first rows of each located file are placed as
//! read and with the pair swapped; when almost none fall near the area as read and most do swapped, the run
//! stops and names the mapping that fixes it.

use super::reader::{open_table_with, RowItem};
use super::row::RowReader;
use super::source::map_headers;
use super::{IngestContext, IngestError, SourceInput};
use crate::dictionary::values::{ParseOptions, Value};
use crate::dictionary::Registry;
use crate::geo::wgs84_to_bng;
use geo::Rect;

/// Rows read from the top of each file.
const SAMPLE_ROWS: usize = 2000;
/// Fewer points than this prove nothing.
const MIN_POINTS: usize = 20;
/// Records may lie a little outside the area (offences just over the boundary): the area's box, widened.
const MARGIN_M: f64 = 5000.0;

#[derive(Clone, Copy)]
enum Pair {
    EastingNorthing(usize, usize),
    LongitudeLatitude(usize, usize),
}

fn number(v: Option<&Option<Value>>) -> Option<f64> {
    match v {
        Some(Some(Value::Float(f))) => Some(*f),
        Some(Some(Value::Int(i))) => Some(*i as f64),
        _ => None,
    }
}

fn near(area: &Rect<f64>, p: Option<(f64, f64)>) -> bool {
    p.is_some_and(|(e, n)| {
        e >= area.min().x - MARGIN_M && e <= area.max().x + MARGIN_M && n >= area.min().y - MARGIN_M && n <= area.max().y + MARGIN_M
    })
}

/// Fails on the first located file whose coordinate columns look swapped. Files that cannot be opened or
/// mapped are left to ingest, which reports them in full.
pub fn check_coordinates(ctx: &IngestContext, registry: &Registry, inputs: &[SourceInput]) -> Result<(), IngestError> {
    let Some(area) = ctx.geography.wards.bounds() else { return Ok(()) };
    for input in inputs {
        let Ok(dict) = registry.get(&input.name) else { continue };
        let Some(loc) = &dict.file.location else { continue };
        let idx = |n: &Option<String>| n.as_ref().and_then(|n| dict.field_index(n));
        let pairs: Vec<Pair> = [
            idx(&loc.easting).zip(idx(&loc.northing)).map(|(e, n)| Pair::EastingNorthing(e, n)),
            idx(&loc.longitude).zip(idx(&loc.latitude)).map(|(x, y)| Pair::LongitudeLatitude(x, y)),
        ]
        .into_iter()
        .flatten()
        .collect();
        for file in &input.files {
            let Ok(table) = open_table_with(&file.path, file.sheet.as_deref(), &ctx.settings.workbook) else { continue };
            let display = ctx.display_path(&file.path);
            let Ok(headers) = map_headers(dict, &input.name, &display, &table.headers, &file.mapping) else { continue };
            let reader = RowReader::new(dict, &headers, &file.mapping, ParseOptions { excel_serials: table.format.kind == "xlsx" });
            let names = table.headers.clone();
            let sample: Vec<Vec<Option<Value>>> = table
                .rows
                .take(SAMPLE_ROWS)
                .filter_map(|item| match item {
                    RowItem::Row(r) => reader.parse(r.line, &r.cells).ok().map(|p| p.values),
                    RowItem::Bad(_) => None,
                })
                .collect();
            for &pair in &pairs {
                let (a, b) = match pair {
                    Pair::EastingNorthing(a, b) | Pair::LongitudeLatitude(a, b) => (a, b),
                };
                let place = |x: f64, y: f64| match pair {
                    Pair::EastingNorthing(..) => Some((x, y)),
                    Pair::LongitudeLatitude(..) => wgs84_to_bng(x, y).ok(),
                };
                let (mut points, mut as_read, mut swapped) = (0usize, 0usize, 0usize);
                for values in &sample {
                    let (Some(x), Some(y)) = (number(values.get(a)), number(values.get(b))) else { continue };
                    points += 1;
                    as_read += usize::from(near(&area, place(x, y)));
                    swapped += usize::from(near(&area, place(y, x)));
                }
                if points >= MIN_POINTS && as_read * 20 <= points && swapped * 2 > points {
                    let (fa, fb) = (&dict.fields[a].spec.name, &dict.fields[b].spec.name);
                    let (ha, hb) = (headers.describe(a, &names).unwrap_or_default(), headers.describe(b, &names).unwrap_or_default());
                    return Err(IngestError::file(
                        &file.path,
                        &format!(
                            "the {fa} and {fb} columns look swapped: of the first {points} rows with coordinates, {as_read} lie in or near the area as read and {swapped} with the two exchanged. Nothing was written. If the export swaps them, map them the other way round in the pipeline file: [sources.{}] columns = {{ {fa} = \"{hb}\", {fb} = \"{ha}\" }}",
                            input.name
                        ),
                    ));
                }
            }
        }
    }
    Ok(())
}

