//! Limits on what a workbook may expand into. An `.xlsx` is a zip archive: a 2 MB file can decompress into
//! gigabytes of sheet XML or shared strings (a zip bomb), and a sheet can claim a million rows from a few
//! kilobytes. The archive is measured before the workbook library sees it (declared sizes, then the bytes
//! actually inflated, since declared sizes can lie), and the sheet reader stops at a cell limit. Both limits
//! are settings (`[ingest] xlsx_max_uncompressed_mb`, `xlsx_max_cells`; defaults in
//! `seeds/ingest_defaults.toml`). A file whose name says workbook but whose bytes are text is named as such.

use super::IngestError;
use serde::{Deserialize, Serialize};
use std::io::Read;
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkbookLimits {
    /// The archive's contents once decompressed, in MiB.
    pub max_uncompressed_mb: u64,
    /// Cells read from one sheet.
    pub max_cells: u64,
}

impl WorkbookLimits {
    fn max_bytes(&self) -> u64 {
        self.max_uncompressed_mb.saturating_mul(1 << 20)
    }

    /// The error for a sheet with more cells than allowed.
    pub fn too_many_cells(&self, path: &Path, sheet: &str) -> IngestError {
        IngestError::file(
            path,
            &format!(
                "sheet \"{sheet}\" holds more than {} cells, the limit for one sheet; if the workbook is genuine, raise it with [ingest] xlsx_max_cells = <cells> in the pipeline file (or export the sheet as CSV)",
                self.max_cells
            ),
        )
    }
}

/// What the first bytes say a file is.
enum Signature {
    Zip,
    /// The old binary `.xls` (OLE compound file).
    Ole,
    Text,
    Other,
}

fn signature(head: &[u8]) -> Signature {
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        Signature::Zip
    } else if head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        Signature::Ole
    } else if !head.is_empty() && !head.contains(&0) && std::str::from_utf8(head).is_ok_and(|t| t.chars().all(|c| !c.is_control() || c.is_whitespace())) {
        Signature::Text
    } else if !head.is_empty() && !head.contains(&0) && head.iter().all(|&b| b >= 0x20 || b"\t\r\n".contains(&b)) {
        Signature::Text // Windows-1252 text
    } else {
        Signature::Other
    }
}

/// Refuse a file that is not a workbook, or an archive that expands beyond the limit.
pub fn check_workbook(path: &Path, limits: &WorkbookLimits) -> Result<(), IngestError> {
    let mut file = std::fs::File::open(path).map_err(|e| IngestError::io(path, e))?;
    let mut head = [0u8; 512];
    let mut n = 0;
    while n < head.len() {
        match file.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(m) => n += m,
            Err(e) => return Err(IngestError::io(path, e)),
        }
    }
    match signature(&head[..n]) {
        Signature::Zip => check_archive(path, limits),
        Signature::Ole => Ok(()),
        Signature::Text => Err(IngestError::file(
            path,
            "is named as a workbook but holds text, not a workbook (a CSV file saved with an .xlsx name?); rename it to .csv",
        )),
        Signature::Other if n == 0 => Err(IngestError::file(path, "the file is empty: expected a workbook")),
        Signature::Other => Err(IngestError::file(path, "is named as a workbook but is not one (not a zip archive or an .xls file)")),
    }
}

fn check_archive(path: &Path, limits: &WorkbookLimits) -> Result<(), IngestError> {
    let file = std::fs::File::open(path).map_err(|e| IngestError::io(path, e))?;
    let mut zip = zip::ZipArchive::new(std::io::BufReader::new(file))
        .map_err(|e| IngestError::file(path, &format!("cannot open workbook: the zip archive is damaged ({e})")))?;
    let cap = limits.max_bytes();
    let too_big = |what: &str| {
        IngestError::file(
            path,
            &format!(
                "the workbook {what} more than {} MiB when decompressed, the limit (a damaged or malicious file, or a very large export); if it is genuine, raise it with [ingest] xlsx_max_uncompressed_mb = <MiB> in the pipeline file, or export the sheet as CSV",
                limits.max_uncompressed_mb
            ),
        )
    };
    let declared: u64 = (0..zip.len()).filter_map(|i| zip.by_index_raw(i).ok().map(|f| f.size())).fold(0u64, u64::saturating_add);
    if declared > cap {
        return Err(too_big("declares"));
    }
    // Declared sizes can lie: inflate every entry once, counting, and stop at the limit.
    let mut total = 0u64;
    let mut sink = [0u8; 1 << 16];
    for i in 0..zip.len() {
        let mut entry = zip
            .by_index(i)
            .map_err(|e| IngestError::file(path, &format!("cannot open workbook: the zip archive is damaged ({e})")))?;
        loop {
            let m = entry
                .read(&mut sink)
                .map_err(|e| IngestError::file(path, &format!("cannot open workbook: the zip archive is damaged ({e})")))?;
            if m == 0 {
                break;
            }
            total += m as u64;
            if total > cap {
                return Err(too_big("expands to"));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zip_with(path: &Path, entries: &[(&str, Vec<u8>)]) {
        let f = std::fs::File::create(path).unwrap();
        let mut z = zip::ZipWriter::new(f);
        let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        for (name, bytes) in entries {
            z.start_file(*name, opts).unwrap();
            z.write_all(bytes).unwrap();
        }
        z.finish().unwrap();
    }

    #[test]
    fn an_archive_expanding_past_the_limit_is_refused_with_the_setting_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bomb.xlsx");
        zip_with(&path, &[("xl/sharedStrings.xml", vec![b'a'; 3 << 20])]);
        assert!(std::fs::metadata(&path).unwrap().len() < 64 * 1024, "compresses well");
        let limits = WorkbookLimits { max_uncompressed_mb: 2, max_cells: 10 };
        let e = check_workbook(&path, &limits).unwrap_err().to_string();
        assert!(e.contains("bomb.xlsx") && e.contains("2 MiB") && e.contains("xlsx_max_uncompressed_mb"), "{e}");
        assert!(check_workbook(&path, &WorkbookLimits { max_uncompressed_mb: 4, max_cells: 10 }).is_ok());
    }

    #[test]
    fn text_named_as_a_workbook_is_named_as_text() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("offences.xlsx");
        std::fs::write(&path, "crime_ref,committed_from\nC1,01/01/2025\n").unwrap();
        let e = check_workbook(&path, &crate::ingest::settings::IngestSettings::default().workbook).unwrap_err().to_string();
        assert!(e.contains("offences.xlsx") && e.contains("holds text") && e.contains("rename it to .csv"), "{e}");
        std::fs::write(&path, [0x00u8, 0x01, 0x02, 0xFF]).unwrap();
        let e = check_workbook(&path, &crate::ingest::settings::IngestSettings::default().workbook).unwrap_err().to_string();
        assert!(e.contains("is not one"), "{e}");
    }
}
