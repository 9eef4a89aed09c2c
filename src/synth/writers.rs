//! File writers: CSV in the encodings and dialects partners really send (UTF-8 with or without BOM,
//! Windows-1252, comma/semicolon/tab, CRLF or LF), XLSX workbooks, and atomic writes (temp sibling + rename).

use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDateTime, NaiveTime, Timelike};
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook};

use super::error::SynthError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf8Bom,
    Windows1252,
}

impl Encoding {
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "utf-8",
            Encoding::Utf8Bom => "utf-8-bom",
            Encoding::Windows1252 => "windows-1252",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsvFormat {
    pub delimiter: u8,
    pub encoding: Encoding,
    pub crlf: bool,
}

/// One cell of an output row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(f64),
    /// A calendar date: an Excel date in workbooks, `31/01/2025` in CSV.
    Date(chrono::NaiveDate),
    /// A date and time: an Excel date-time in workbooks, `31/01/2025 23:15` in CSV.
    DateTime(chrono::NaiveDateTime),
    Empty,
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }

    pub fn as_csv(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", *n as i64),
            Cell::Number(n) => format!("{n}"),
            Cell::Date(d) => d.format("%d/%m/%Y").to_string(),
            Cell::DateTime(t) => t.format("%d/%m/%Y %H:%M").to_string(),
            Cell::Empty => String::new(),
        }
    }
}

fn temp_sibling(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!(".tmp-{}-{}", std::process::id(), name))
}

fn ensure_parent(path: &Path) -> Result<(), SynthError> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent).map_err(|e| SynthError::io(parent, e))?;
    }
    Ok(())
}

/// Write `bytes` to `path` atomically, creating parent folders.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), SynthError> {
    with_atomic_file(path, |tmp| {
        let mut f = fs::File::create(tmp).map_err(|e| SynthError::io(tmp, e))?;
        f.write_all(bytes).map_err(|e| SynthError::io(tmp, e))?;
        f.sync_all().map_err(|e| SynthError::io(tmp, e))
    })
}

/// Run `write` against a temporary sibling of `path`, then rename it into place; on error the temporary
/// file is removed and `path` is untouched.
pub fn with_atomic_file<T>(path: &Path, write: impl FnOnce(&Path) -> Result<T, SynthError>) -> Result<T, SynthError> {
    ensure_parent(path)?;
    let tmp = temp_sibling(path);
    match write(&tmp) {
        Ok(v) => {
            crate::fsutil::rename_into_place(&tmp, path).map_err(|e| SynthError::io(path, e))?;
            Ok(v)
        }
        Err(e) => {
            let _ = fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// A CSV writer over any sink with the given dialect (the BOM is the caller's business).
pub fn csv_writer<W: Write>(sink: W, fmt: CsvFormat) -> csv::Writer<W> {
    csv::WriterBuilder::new()
        .delimiter(fmt.delimiter)
        .terminator(if fmt.crlf { csv::Terminator::CRLF } else { csv::Terminator::Any(b'\n') })
        .quote_style(csv::QuoteStyle::Necessary)
        .from_writer(sink)
}

/// The bytes of a CSV file: header then rows, encoded as `fmt` says (the reference [`CsvStream`] is tested
/// against).
#[cfg(test)]
pub fn csv_bytes(path: &Path, header: &[&str], rows: &[Vec<Cell>], fmt: CsvFormat) -> Result<Vec<u8>, SynthError> {
    let csv_err = |e: csv::Error| SynthError::Csv { path: path.to_path_buf(), source: e };
    let mut w = csv_writer(Vec::new(), fmt);
    w.write_record(header).map_err(csv_err)?;
    let mut record: Vec<String> = Vec::new();
    for row in rows {
        record.clear();
        record.extend(row.iter().map(Cell::as_csv));
        w.write_record(&record).map_err(csv_err)?;
    }
    let utf8 = w.into_inner().map_err(|e| SynthError::io(path, e.into_error()))?;
    match fmt.encoding {
        Encoding::Utf8 => Ok(utf8),
        Encoding::Utf8Bom => {
            let mut out = Vec::with_capacity(utf8.len() + 3);
            out.extend_from_slice(b"\xEF\xBB\xBF");
            out.extend_from_slice(&utf8);
            Ok(out)
        }
        Encoding::Windows1252 => {
            let text = String::from_utf8(utf8)
                .map_err(|_| SynthError::Encoding { path: path.to_path_buf(), encoding: "utf-8".into() })?;
            let (bytes, _, had_errors) = encoding_rs::WINDOWS_1252.encode(&text);
            if had_errors {
                return Err(SynthError::Encoding { path: path.to_path_buf(), encoding: "windows-1252".into() });
            }
            Ok(bytes.into_owned())
        }
    }
}

/// A one-sheet workbook: bold header in row 1, then the rows (numbers as numbers, empty cells left blank).
pub fn write_xlsx(path: &Path, sheet: &str, header: &[&str], rows: &[Vec<Cell>]) -> Result<(), SynthError> {
    let xerr = |e: rust_xlsxwriter::XlsxError| SynthError::Xlsx { path: path.to_path_buf(), source: e };
    let mut wb = Workbook::new();
    // Fast compression: this runs unoptimised in debug builds and tests.
    wb.set_zip_compression_level(1);
    // A fixed creation time keeps the bytes reproducible.
    let created = ExcelDateTime::from_ymd(2026, 4, 20).map_err(xerr)?;
    wb.set_properties(&DocProperties::new().set_creation_datetime(&created).set_author("sna synth"));
    let ws = wb.add_worksheet();
    ws.set_name(sheet).map_err(xerr)?;
    let bold = Format::new().set_bold();
    let date_fmt = Format::new().set_num_format("dd/mm/yyyy");
    let datetime_fmt = Format::new().set_num_format("dd/mm/yyyy hh:mm");
    for (c, h) in header.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold).map_err(xerr)?;
    }
    for (r, row) in rows.iter().enumerate() {
        let r = (r + 1) as u32;
        for (c, cell) in row.iter().enumerate() {
            let c = c as u16;
            match cell {
                Cell::Text(s) if !s.is_empty() => {
                    ws.write_string(r, c, s).map_err(xerr)?;
                }
                Cell::Number(n) => {
                    ws.write_number(r, c, *n).map_err(xerr)?;
                }
                Cell::Date(d) => {
                    ws.write_datetime_with_format(
                        r,
                        c,
                        excel_datetime(d.and_time(NaiveTime::MIN)).map_err(xerr)?,
                        &date_fmt,
                    )
                    .map_err(xerr)?;
                }
                Cell::DateTime(t) => {
                    ws.write_datetime_with_format(r, c, excel_datetime(*t).map_err(xerr)?, &datetime_fmt)
                        .map_err(xerr)?;
                }
                _ => {}
            }
        }
    }
    let bytes = wb.save_to_buffer().map_err(xerr)?;
    write_atomic(path, &bytes)
}

/// An Excel serial date-time (whole seconds; the reader rounds to the millisecond, so minutes survive exactly).
fn excel_datetime(t: NaiveDateTime) -> Result<ExcelDateTime, rust_xlsxwriter::XlsxError> {
    let year = u16::try_from(t.year()).map_err(|_| rust_xlsxwriter::XlsxError::DateTimeRangeError(t.to_string()))?;
    ExcelDateTime::from_ymd(year, t.month() as u8, t.day() as u8)?.and_hms(
        t.hour() as u16,
        t.minute() as u8,
        t.second(),
    )
}

pub fn write_json<T: serde::Serialize>(path: &Path, what: &str, value: &T) -> Result<(), SynthError> {
    let mut bytes =
        serde_json::to_vec_pretty(value).map_err(|e| SynthError::Json { what: what.to_string(), source: e })?;
    bytes.push(b'\n');
    write_atomic(path, &bytes)
}

/// Stream rows to `path` atomically through a buffered writer (UTF-8, optional BOM), never holding them.
pub fn stream_csv(
    path: &Path,
    header: &[&str],
    fmt: CsvFormat,
    mut rows: impl FnMut(&mut csv::Writer<BufWriter<fs::File>>) -> Result<(), SynthError>,
) -> Result<(), SynthError> {
    with_atomic_file(path, |tmp| {
        let file = fs::File::create(tmp).map_err(|e| SynthError::io(tmp, e))?;
        let mut buf = BufWriter::with_capacity(1 << 20, file);
        if fmt.encoding == Encoding::Utf8Bom {
            buf.write_all(b"\xEF\xBB\xBF").map_err(|e| SynthError::io(tmp, e))?;
        }
        let mut w = csv_writer(buf, fmt);
        w.write_record(header).map_err(|e| SynthError::Csv { path: tmp.to_path_buf(), source: e })?;
        rows(&mut w)?;
        let buf = w.into_inner().map_err(|e| SynthError::io(tmp, e.into_error()))?;
        let file = buf.into_inner().map_err(|e| SynthError::io(tmp, e.into_error()))?;
        file.sync_all().map_err(|e| SynthError::io(tmp, e))
    })
}

/// A writer that re-encodes the UTF-8 it is given as Windows-1252 (a single-byte, stateless encoding, so
/// encoding chunk by chunk gives the same bytes as encoding the whole text). A character split across two
/// writes is held back until it is complete; an unmappable character is an error.
pub struct Windows1252Writer<W: Write> {
    inner: W,
    pending: Vec<u8>,
}

impl<W: Write> Windows1252Writer<W> {
    pub fn new(inner: W) -> Self {
        Windows1252Writer { inner, pending: Vec::new() }
    }

    pub fn into_inner(mut self) -> std::io::Result<W> {
        if !self.pending.is_empty() {
            return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, "incomplete UTF-8 at end of CSV"));
        }
        self.inner.flush()?;
        // Move the inner writer out without running our own flush-on-drop (there is none).
        let Windows1252Writer { inner, .. } = self;
        Ok(inner)
    }
}

impl<W: Write> Write for Windows1252Writer<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.pending.extend_from_slice(buf);
        let valid = match std::str::from_utf8(&self.pending) {
            Ok(s) => s.len(),
            Err(e) if e.error_len().is_none() => e.valid_up_to(),
            Err(_) => return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, "CSV text is not UTF-8")),
        };
        let text = std::str::from_utf8(&self.pending[..valid])
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "CSV text is not UTF-8"))?;
        let (bytes, _, had_errors) = encoding_rs::WINDOWS_1252.encode(text);
        if had_errors {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "a character has no Windows-1252 encoding",
            ));
        }
        self.inner.write_all(&bytes)?;
        self.pending.drain(..valid);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// The byte sink under a streaming CSV writer: the buffered temporary file, re-encoded when asked.
pub enum EncodedFile {
    Utf8(BufWriter<fs::File>),
    Windows1252(Windows1252Writer<BufWriter<fs::File>>),
}

impl Write for EncodedFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            EncodedFile::Utf8(w) => w.write(buf),
            EncodedFile::Windows1252(w) => w.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            EncodedFile::Utf8(w) => w.flush(),
            EncodedFile::Windows1252(w) => w.flush(),
        }
    }
}

/// A CSV file written row by row into a temporary sibling and renamed into place by [`CsvStream::finish`];
/// dropped unfinished (an error on the way), the temporary file is removed. Writes exactly the bytes
/// writing the whole file at once would, without holding the rows.
pub struct CsvStream {
    path: PathBuf,
    tmp: PathBuf,
    writer: Option<csv::Writer<EncodedFile>>,
    record: Vec<String>,
}

impl CsvStream {
    pub fn create(path: &Path, header: &[&str], fmt: CsvFormat) -> Result<CsvStream, SynthError> {
        ensure_parent(path)?;
        let tmp = temp_sibling(path);
        let file = fs::File::create(&tmp).map_err(|e| SynthError::io(&tmp, e))?;
        let mut stream = CsvStream { path: path.to_path_buf(), tmp: tmp.clone(), writer: None, record: Vec::new() };
        let mut buf = BufWriter::with_capacity(1 << 20, file);
        if fmt.encoding == Encoding::Utf8Bom {
            buf.write_all(b"\xEF\xBB\xBF").map_err(|e| SynthError::io(&tmp, e))?;
        }
        let sink = match fmt.encoding {
            Encoding::Windows1252 => EncodedFile::Windows1252(Windows1252Writer::new(buf)),
            Encoding::Utf8 | Encoding::Utf8Bom => EncodedFile::Utf8(buf),
        };
        let mut w = csv_writer(sink, fmt);
        w.write_record(header).map_err(|e| stream.csv_err(e))?;
        stream.writer = Some(w);
        Ok(stream)
    }

    fn csv_err(&self, e: csv::Error) -> SynthError {
        match e.kind() {
            csv::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::InvalidData => {
                SynthError::Encoding { path: self.path.clone(), encoding: "windows-1252".into() }
            }
            _ => SynthError::Csv { path: self.path.clone(), source: e },
        }
    }

    /// An I/O error of the temporary file; text that cannot be encoded (only possible for Windows-1252).
    fn io_err(&self, e: std::io::Error) -> SynthError {
        if e.kind() == std::io::ErrorKind::InvalidData {
            SynthError::Encoding { path: self.path.clone(), encoding: "windows-1252".into() }
        } else {
            SynthError::io(&self.tmp, e)
        }
    }

    /// Write one row.
    pub fn write(&mut self, cells: &[Cell]) -> Result<(), SynthError> {
        self.record.clear();
        self.record.extend(cells.iter().map(Cell::as_csv));
        let res = match self.writer.as_mut() {
            Some(w) => w.write_record(&self.record),
            None => return Err(SynthError::io(&self.path, std::io::Error::other("CSV stream already finished"))),
        };
        res.map_err(|e| self.csv_err(e))
    }

    /// Flush, sync and rename into place.
    pub fn finish(mut self) -> Result<(), SynthError> {
        let w = self
            .writer
            .take()
            .ok_or_else(|| SynthError::io(&self.path, std::io::Error::other("CSV stream already finished")))?;
        let tmp = self.tmp.clone();
        let sink = w.into_inner().map_err(|e| self.io_err(e.into_error()))?;
        let buf = match sink {
            EncodedFile::Utf8(b) => b,
            EncodedFile::Windows1252(w) => w.into_inner().map_err(|e| self.io_err(e))?,
        };
        let file = buf.into_inner().map_err(|e| SynthError::io(&tmp, e.into_error()))?;
        file.sync_all().map_err(|e| SynthError::io(&tmp, e))?;
        drop(file);
        crate::fsutil::rename_into_place(&tmp, &self.path).map_err(|e| SynthError::io(&self.path, e))?;
        // Renamed: nothing left for Drop to clean up.
        self.tmp = PathBuf::new();
        Ok(())
    }
}

impl Drop for CsvStream {
    fn drop(&mut self) {
        if !self.tmp.as_os_str().is_empty() {
            self.writer = None;
            let _ = fs::remove_file(&self.tmp);
        }
    }
}
