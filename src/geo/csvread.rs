//! Shared CSV plumbing for the lookup and population readers: BOM-tolerant headers and true line numbers.

use std::path::Path;

use super::error::GeoError;

pub(crate) fn open(path: &Path, flexible: bool) -> Result<csv::Reader<std::fs::File>, GeoError> {
    let file = std::fs::File::open(path).map_err(|source| GeoError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(csv::ReaderBuilder::new()
        .flexible(flexible)
        .from_reader(file))
}

/// Header names, trimmed, with the UTF-8 BOM that ONS downloads start with removed from the first one.
pub(crate) fn header(
    rdr: &mut csv::Reader<std::fs::File>,
    path: &Path,
) -> Result<Vec<String>, GeoError> {
    let header = rdr.headers().map_err(|source| GeoError::Csv {
        path: path.to_path_buf(),
        line: Some(1),
        source,
    })?;
    Ok(header
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').trim().to_string())
        .collect())
}

/// File line numbers of records. The csv crate's `position().line()` is one short on CRLF files (the record
/// starts before the previous `\n` is consumed), and ONS/police files are CRLF, so count ourselves: each record
/// takes one line plus any newlines quoted inside its fields.
pub(crate) struct LineCounter {
    next: u64,
}

impl LineCounter {
    /// Start after a one-line header.
    pub(crate) fn after_header() -> LineCounter {
        LineCounter { next: 2 }
    }

    /// Line on which the record about to be (or just) read starts.
    pub(crate) fn current(&self) -> u64 {
        self.next
    }

    /// Advance past a record that was read successfully; returns the line it started on.
    pub(crate) fn consume(&mut self, record: &csv::StringRecord) -> u64 {
        let line = self.next;
        let embedded: usize = record
            .iter()
            .map(|f| f.bytes().filter(|&b| b == b'\n').count())
            .sum();
        self.next += 1 + embedded as u64;
        line
    }

    /// Advance past a record that failed to parse (its embedded newlines are unknown; assume none).
    pub(crate) fn skip(&mut self) {
        self.next += 1;
    }
}

pub(crate) fn csv_error(path: &Path, line: u64, source: csv::Error) -> GeoError {
    GeoError::Csv {
        path: path.to_path_buf(),
        line: Some(line),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_right_for_lf_crlf_and_quoted_newlines() {
        for text in [
            "h,x\na,1\n\"b\nb\",2\nc,3\n",
            "h,x\r\na,1\r\n\"b\r\nb\",2\r\nc,3\r\n",
        ] {
            let mut r = csv::Reader::from_reader(text.as_bytes());
            let mut rec = csv::StringRecord::new();
            let mut lc = LineCounter::after_header();
            let mut lines = vec![];
            while r.read_record(&mut rec).unwrap_or(false) {
                lines.push(lc.consume(&rec));
            }
            assert_eq!(lines, vec![2, 3, 5], "{text:?}");
        }
    }
}
