//! Reading an extract file (CSV or XLSX) into a header row and data rows of text cells, each with its
//! 1-based line (CSV) or worksheet row (XLSX) number, header = 1.

use super::encoding::{detect, open_decoded, sniff_delimiter, TextEncoding};
use super::quote_guard::{GuardLog, QuoteGuard};
use super::workbook_limits::{check_workbook, WorkbookLimits};
use super::IngestError;
use calamine::{open_workbook_auto, Data, Reader};
use std::path::Path;

#[derive(Debug, Clone)]
pub struct RawRow {
    pub line: u64,
    /// One buffer per row (not one allocation per cell): ingest reads tens of millions of rows.
    pub cells: csv::StringRecord,
}

/// A row the reader could not split into the header's columns.
#[derive(Debug, Clone)]
pub struct BadRow {
    pub line: u64,
    /// Reject reason code (`unparseable_row`, `unbalanced_quote`).
    pub reason: &'static str,
    pub message: String,
    pub text: String,
}

pub enum RowItem {
    Row(RawRow),
    Bad(BadRow),
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct FileFormat {
    pub kind: &'static str,
    pub encoding: Option<TextEncoding>,
    /// How an unusual encoding was recognised or handled (mixed lines, UTF-16 without a BOM).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoding_note: Option<String>,
    pub delimiter: Option<String>,
    pub sheet: Option<String>,
}

pub struct TableReader {
    pub headers: Vec<String>,
    pub format: FileFormat,
    /// Send, so a reader thread can parse while earlier rows are validated.
    pub rows: Box<dyn Iterator<Item = RowItem> + Send>,
    /// CSV only: counts physical lines as they are read (complete once `rows` is exhausted).
    pub lines: Option<GuardLog>,
}

/// Open a table with the default workbook limits (`seeds/ingest_defaults.toml`).
pub fn open_table(path: &Path, sheet: Option<&str>) -> Result<TableReader, IngestError> {
    open_table_with(path, sheet, &super::settings::IngestSettings::default().workbook)
}

pub fn open_table_with(path: &Path, sheet: Option<&str>, limits: &WorkbookLimits) -> Result<TableReader, IngestError> {
    let ext = path.extension().map(|e| e.to_string_lossy().to_lowercase()).unwrap_or_default();
    match ext.as_str() {
        "xlsx" | "xlsm" | "xls" | "ods" => open_xlsx(path, sheet, limits),
        _ => open_csv(path),
    }
}

/// Bytes read ahead to find the header line for delimiter sniffing.
const SNIFF_BYTES: usize = 1 << 16;

fn open_csv(path: &Path) -> Result<TableReader, IngestError> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| IngestError::io(path, e))?;
    let detected = detect(std::io::BufReader::new(file)).map_err(|e| IngestError::io(path, e))?;
    if detected.blank {
        return Err(IngestError::file(path, "the file is empty: expected a header row"));
    }
    let encoding = detected.encoding;
    let mut decoded = open_decoded(path, &detected).map_err(|e| IngestError::io(path, e))?;
    // Decoders return short reads: read until the first line is complete (or SNIFF_BYTES), then put it back.
    let mut head = Vec::new();
    let mut block = [0u8; 4096];
    while head.len() < SNIFF_BYTES && !head.contains(&b'\n') {
        let n = decoded.read(&mut block).map_err(|e| IngestError::io(path, e))?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&block[..n]);
    }
    let delimiter = sniff_delimiter(&head);
    let newlines = NewlineLog::default();
    let guard_log = GuardLog::default();
    let guarded = QuoteGuard::new(std::io::BufReader::new(std::io::Cursor::new(head).chain(decoded)), delimiter, guard_log.clone());
    let text = Counting { inner: guarded, pos: 0, log: newlines.clone() };
    let rdr = csv::ReaderBuilder::new().delimiter(delimiter).has_headers(false).flexible(true).from_reader(text);
    let mut records = rdr.into_byte_records();
    let header = match records.next() {
        Some(Ok(h)) => h,
        Some(Err(e)) => return Err(IngestError::file(path, &format!("cannot read the header row: {e}"))),
        None => return Err(IngestError::file(path, "the file is empty: expected a header row")),
    };
    let headers: Vec<String> = header.iter().map(|h| String::from_utf8_lossy(h).trim().to_string()).collect();
    let width = headers.len();
    let rows = records.map(move |rec| match rec {
        Ok(r) => {
            let line = r.position().map(|p| newlines.line_of(p.byte())).unwrap_or(0);
            // The stream is UTF-8 by construction (validated or decoded); stay lenient all the same.
            let mut cells = csv::StringRecord::from_byte_record(r)
                .unwrap_or_else(|e| e.into_byte_record().iter().map(|c| String::from_utf8_lossy(c).into_owned()).collect());
            // Trailing empty cells (a trailing delimiter) are harmless; anything else must match the header.
            let mut keep = cells.len();
            while keep > width && cells.get(keep - 1).is_some_and(|c| c.trim().is_empty()) {
                keep -= 1;
            }
            cells.truncate(keep);
            if cells.len() == width {
                RowItem::Row(RawRow { line, cells })
            } else {
                let message = format!("expected {width} fields, found {}", cells.len());
                RowItem::Bad(BadRow { line, reason: "unparseable_row", message, text: String::new() })
            }
        }
        Err(e) => {
            let line = e.position().map(|p| newlines.line_of(p.byte())).unwrap_or(0);
            RowItem::Bad(BadRow { line, reason: "unparseable_row", message: format!("unreadable row: {e}"), text: String::new() })
        }
    });
    let rows = with_stray_quotes(rows, guard_log.clone());
    Ok(TableReader {
        headers,
        format: FileFormat {
            kind: "csv",
            encoding: Some(encoding),
            encoding_note: detected.note(),
            delimiter: Some(match delimiter {
                b'\t' => "tab".to_string(),
                d => (d as char).to_string(),
            }),
            sheet: None,
        },
        rows: Box::new(rows),
        lines: Some(guard_log),
    })
}

/// The parser's rows with the guard's stray-quote lines put back in line order, as rejects.
fn with_stray_quotes(rows: impl Iterator<Item = RowItem> + Send, log: GuardLog) -> impl Iterator<Item = RowItem> + Send {
    let stray = |s: super::quote_guard::StrayQuote| {
        RowItem::Bad(BadRow {
            line: s.line,
            reason: "unbalanced_quote",
            message: "a quote opened in this line is never closed (it would swallow the lines after it); the line is set aside and reading resumes at the next line".into(),
            text: String::new(),
        })
    };
    let mut rows = rows.fuse();
    let mut queue: std::collections::VecDeque<RowItem> = std::collections::VecDeque::new();
    std::iter::from_fn(move || {
        if let Some(item) = queue.pop_front() {
            return Some(item);
        }
        match rows.next() {
            Some(item) => {
                let line = match &item {
                    RowItem::Row(r) => r.line,
                    RowItem::Bad(b) => b.line,
                };
                queue.extend(log.take_before(line).into_iter().map(stray));
                queue.push_back(item);
            }
            None => queue.extend(log.take_all().into_iter().map(stray)),
        }
        queue.pop_front()
    })
}

/// Physical line numbers from byte offsets, without holding the file. The csv crate's own line counter
/// undercounts on CRLF files, and a reject must point at the line an analyst sees in an editor, so the
/// decoded stream is counted as it is read: newline offsets not yet passed wait in a queue, which holds
/// no more than one read-ahead buffer's worth.
#[derive(Clone, Default)]
struct NewlineLog(std::sync::Arc<std::sync::Mutex<NewlineState>>);

#[derive(Default)]
struct NewlineState {
    pending: std::collections::VecDeque<u64>,
    passed: u64,
}

impl NewlineLog {
    /// 1-based line holding byte `offset`; offsets must be asked in increasing order (records are).
    fn line_of(&self, offset: u64) -> u64 {
        // Only the reading thread touches the log, so the lock is never contended (poisoning cannot lose data).
        let mut s = self.0.lock().unwrap_or_else(|p| p.into_inner());
        // A record's reported start can be the `\n` of the previous CRLF, so that newline counts as passed.
        while s.pending.front().is_some_and(|&n| n <= offset) {
            s.pending.pop_front();
            s.passed += 1;
        }
        s.passed + 1
    }
}

/// Records the offset of every newline that passes through.
struct Counting<R> {
    inner: R,
    pos: u64,
    log: NewlineLog,
}

impl<R: std::io::Read> std::io::Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut s = self.log.0.lock().unwrap_or_else(|p| p.into_inner());
        for i in memchr::memchr_iter(b'\n', &buf[..n]) {
            s.pending.push_back(self.pos + i as u64);
        }
        self.pos += n as u64;
        Ok(n)
    }
}

/// Whether a workbook cell is a date-time with a time of day (not midnight).
fn has_time_of_day(cell: &Data) -> bool {
    match cell {
        Data::DateTime(dt) => dt.as_datetime().is_some_and(|v| v.time() != chrono::NaiveTime::MIN),
        _ => false,
    }
}

/// A cell as text. A date cell at midnight is written as a date alone (its time is unknown) unless its
/// column holds times of day elsewhere (`column_has_times`): then midnight is a real time.
fn cell_text(cell: &Data, column_has_times: bool) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => if *b { "TRUE".into() } else { "FALSE".into() },
        Data::DateTime(dt) => match dt.as_datetime() {
            Some(v) if v.time() == chrono::NaiveTime::MIN && !column_has_times => v.format("%Y-%m-%d").to_string(),
            Some(v) => v.format("%Y-%m-%dT%H:%M:%S").to_string(),
            None => format!("{}", dt.as_f64()),
        },
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#ERROR {e:?}"),
    }
}

/// One used cell of a sheet: 0-based row and column, and its value.
type SheetCell = (u32, u32, Data);

/// The used cells of a sheet, in row order, stopping at the cell limit. XLSX sheets are streamed cell by cell
/// (a dense range of a sheet claiming cell XFD1048576 would be billions of cells); other workbook kinds are
/// read whole, then counted.
fn sheet_cells(
    wb: &mut calamine::Sheets<std::io::BufReader<std::fs::File>>,
    path: &Path,
    name: &str,
    limits: &WorkbookLimits,
) -> Result<Vec<SheetCell>, IngestError> {
    let unreadable = |e: String| IngestError::file(path, &format!("cannot read sheet \"{name}\": {e}"));
    let mut cells: Vec<SheetCell> = Vec::new();
    match wb {
        calamine::Sheets::Xlsx(x) => {
            let mut reader = x.worksheet_cells_reader(name).map_err(|e| unreadable(e.to_string()))?;
            while let Some(cell) = reader.next_cell().map_err(|e| unreadable(e.to_string()))? {
                let (r, c) = cell.get_position();
                let value = Data::from(cell.get_value().clone());
                if matches!(value, Data::Empty) {
                    continue;
                }
                if cells.len() as u64 >= limits.max_cells {
                    return Err(limits.too_many_cells(path, name));
                }
                cells.push((r, c, value));
            }
        }
        other => {
            let range = other.worksheet_range(name).map_err(|e| unreadable(e.to_string()))?;
            for (r, c, value) in range.used_cells() {
                if cells.len() as u64 >= limits.max_cells {
                    return Err(limits.too_many_cells(path, name));
                }
                let (r0, c0) = range.start().unwrap_or((0, 0));
                cells.push((r0 + r as u32, c0 + c as u32, value.clone()));
            }
        }
    }
    cells.sort_by_key(|&(r, c, _)| (r, c));
    Ok(cells)
}

fn open_xlsx(path: &Path, sheet: Option<&str>, limits: &WorkbookLimits) -> Result<TableReader, IngestError> {
    check_workbook(path, limits)?;
    let mut wb = open_workbook_auto(path).map_err(|e| IngestError::file(path, &format!("cannot open workbook: {e}")))?;
    let names = wb.sheet_names();
    let name = match sheet {
        Some(s) => names
            .iter()
            .find(|n| n.as_str() == s)
            .cloned()
            .ok_or_else(|| IngestError::file(path, &format!("no sheet named \"{s}\" (sheets: {})", names.join(", "))))?,
        None => names.first().cloned().ok_or_else(|| IngestError::file(path, "the workbook has no sheets"))?,
    };
    let cells = sheet_cells(&mut wb, path, &name, limits)?;
    // Data is often on a later sheet: name the others so the analyst can pick one.
    let Some(&(header_row, _, _)) = cells.first() else {
        let others: Vec<&str> = names.iter().filter(|n| **n != name).map(String::as_str).collect();
        let hint = if others.is_empty() { String::new() } else { format!(" (other sheets: {}; choose one with `sheet`)", others.join(", ")) };
        return Err(IngestError::file(path, &format!("sheet \"{name}\" is empty: expected a header row{hint}")));
    };
    // Columns left of the used area are empty: positions start at the first used column, and every row is as
    // wide as the used area (as a sheet's used range is).
    let first_col = cells.iter().map(|c| c.1).min().unwrap_or(0);
    let last_col = cells.iter().map(|c| c.1).max().unwrap_or(0);
    let used_width = (last_col - first_col) as usize + 1;
    let mut rows: Vec<(u32, Vec<String>)> = Vec::new();
    let mut has_times = vec![false; used_width];
    for (r, c, value) in &cells {
        if *r != header_row && has_time_of_day(value) {
            has_times[(c - first_col) as usize] = true;
        }
    }
    for (r, c, value) in &cells {
        if rows.last().is_none_or(|(last, _)| last != r) {
            rows.push((*r, vec![String::new(); used_width]));
        }
        let col = (c - first_col) as usize;
        let text = cell_text(value, *r != header_row && has_times[col]);
        if let Some((_, row)) = rows.last_mut() {
            row[col] = text;
        }
    }
    drop(cells);
    let mut rows = rows.into_iter();
    let headers: Vec<String> = rows.next().map(|(_, h)| h.iter().map(|c| c.trim().to_string()).collect()).unwrap_or_default();
    let width = headers.len();
    let data: Vec<RowItem> = rows
        .filter(|(_, cells)| cells.iter().any(|c| !c.is_empty()))
        .map(|(r, mut cells)| {
            cells.resize(width, String::new());
            RowItem::Row(RawRow { line: u64::from(r) + 1, cells: csv::StringRecord::from(cells) })
        })
        .collect();
    Ok(TableReader {
        headers,
        format: FileFormat { kind: "xlsx", encoding: None, encoding_note: None, delimiter: None, sheet: Some(name) },
        rows: Box::new(data.into_iter()),
        lines: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines_of(text: &[u8]) -> Vec<u64> {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.csv");
        std::fs::write(&path, text).expect("write");
        let table = open_table(&path, None).expect("opens");
        table
            .rows
            .map(|r| match r {
                RowItem::Row(r) => r.line,
                RowItem::Bad(b) => b.line,
            })
            .collect()
    }

    #[test]
    fn line_numbers_are_physical_for_lf_crlf_and_quoted_newlines() {
        assert_eq!(lines_of(b"a,b\n1,2\n3,4\n"), vec![2, 3]);
        assert_eq!(lines_of(b"a,b\r\n1,2\r\n3,4\r\n"), vec![2, 3]);
        assert_eq!(lines_of(b"a,b\r\n\"multi\r\nline\",2\r\n3,4\r\n"), vec![2, 4]);
    }

    #[test]
    fn short_rows_are_bad_and_trailing_delimiters_are_fine() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.csv");
        std::fs::write(&path, b"a;b;c\n1;2;3;\n4;5\n").expect("write");
        let t = open_table(&path, None).expect("opens");
        assert_eq!(t.format.delimiter.as_deref(), Some(";"));
        let items: Vec<RowItem> = t.rows.collect();
        assert!(matches!(&items[0], RowItem::Row(r) if r.cells == vec!["1", "2", "3"]));
        assert!(matches!(&items[1], RowItem::Bad(b) if b.line == 3 && b.message.contains("expected 3 fields, found 2")));
    }

    #[test]
    fn workbook_midnights_are_times_only_in_columns_that_hold_times() {
        use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.xlsx");
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        let (dt, d) = (Format::new().set_num_format("dd/mm/yyyy hh:mm"), Format::new().set_num_format("dd/mm/yyyy"));
        ws.write_string(0, 0, "call_at").expect("w");
        ws.write_string(0, 1, "referral_date").expect("w");
        let at = |s: &str| ExcelDateTime::parse_from_str(s).expect("datetime");
        ws.write_datetime_with_format(1, 0, &at("2025-01-31T00:00:00"), &dt).expect("w");
        ws.write_datetime_with_format(2, 0, &at("2025-01-31T23:15:00"), &dt).expect("w");
        ws.write_datetime_with_format(1, 1, &at("2025-02-01T00:00:00"), &d).expect("w");
        ws.write_datetime_with_format(2, 1, &at("2025-02-02T00:00:00"), &d).expect("w");
        wb.save(&path).expect("save");
        let t = open_table(&path, None).expect("opens");
        let rows: Vec<Vec<String>> = t
            .rows
            .map(|r| match r {
                RowItem::Row(r) => r.cells.iter().map(str::to_string).collect(),
                RowItem::Bad(b) => panic!("{}", b.message),
            })
            .collect();
        assert_eq!(rows[0], ["2025-01-31T00:00:00", "2025-02-01"]);
        assert_eq!(rows[1], ["2025-01-31T23:15:00", "2025-02-02"]);
    }

    #[test]
    fn empty_files_are_clear_errors() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("empty.csv");
        std::fs::write(&path, b"").expect("write");
        let err = open_table(&path, None).err().expect("empty file is an error");
        assert!(err.to_string().contains("empty"), "{err}");
    }
}
