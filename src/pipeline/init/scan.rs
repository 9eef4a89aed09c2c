//! The files below the folder, and each one's header row (every sheet of a workbook).

use crate::ingest::reader::open_table;
use calamine::Reader;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// CSV or workbook: an extract or a reference table.
    Table,
    /// JSON: possibly GeoJSON boundaries.
    Json,
}

#[derive(Debug, Clone)]
pub struct Found {
    /// The folder's path joined with the file's path below it (symlinks kept, so paths stay below it).
    pub path: PathBuf,
    /// Relative to the folder, `/`-separated, for messages.
    pub display: String,
    pub kind: Kind,
}

fn kind_of(path: &Path) -> Option<Kind> {
    let ext = path.extension()?.to_string_lossy().to_ascii_lowercase();
    match ext.as_str() {
        "csv" | "xlsx" | "xlsm" => Some(Kind::Table),
        "geojson" | "json" => Some(Kind::Json),
        _ => None,
    }
}

/// Every table and JSON file below `root`, sorted by path. Hidden files and folders are skipped, and so is
/// any folder holding a `manifest.json` (an sna output folder: its CSV tables are not extracts).
pub fn walk(root: &Path) -> std::io::Result<Vec<Found>> {
    let mut out = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    visit(root, "", &mut seen, &mut out)?;
    Ok(out)
}

fn visit(dir: &Path, prefix: &str, seen: &mut std::collections::BTreeSet<PathBuf>, out: &mut Vec<Found>) -> std::io::Result<()> {
    // A folder reached twice through symlinks is read once.
    if !seen.insert(dir.canonicalize()?) || dir.join("manifest.json").is_file() {
        return Ok(());
    }
    let mut entries: Vec<(String, PathBuf)> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok())
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
        // Hidden files, and the lock files Excel leaves beside an open workbook (`~$offences.xlsx`).
        .filter(|(name, _)| !name.starts_with('.') && !name.starts_with("~$"))
        .collect();
    entries.sort();
    for (name, path) in entries {
        let display = if prefix.is_empty() { name.clone() } else { format!("{prefix}/{name}") };
        // Broken symlinks and unreadable entries are passed over.
        let Ok(meta) = std::fs::metadata(&path) else { continue };
        if meta.is_dir() {
            visit(&path, &display, seen, out)?;
        } else if let Some(kind) = kind_of(&path).filter(|_| meta.is_file()) {
            out.push(Found { path, display, kind });
        }
    }
    Ok(())
}

/// One sheet's header row (a CSV file has one unnamed sheet).
#[derive(Debug, Clone)]
pub struct Sheet {
    pub name: Option<String>,
    /// The first sheet, which ingest reads when no `sheet` is given.
    pub first: bool,
    pub headers: Vec<String>,
}

/// The header row of a CSV file, or of every readable sheet of a workbook.
pub fn sheets(path: &Path) -> Result<Vec<Sheet>, String> {
    let ext = path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    if ext != "xlsx" && ext != "xlsm" {
        let t = open_table(path, None).map_err(|e| e.to_string())?;
        return Ok(vec![Sheet { name: None, first: true, headers: t.headers }]);
    }
    let names = calamine::open_workbook_auto(path).map_err(|e| format!("cannot open workbook: {e}"))?.sheet_names();
    let mut out = Vec::new();
    let mut first_error = None;
    for (i, name) in names.iter().enumerate() {
        match open_table(path, Some(name)) {
            Ok(t) => out.push(Sheet { name: Some(name.clone()), first: i == 0, headers: t.headers }),
            Err(e) => {
                first_error.get_or_insert_with(|| e.to_string());
            }
        }
    }
    if out.is_empty() {
        return Err(first_error.unwrap_or_else(|| "the workbook has no sheets".into()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walk_is_sorted_and_skips_hidden_and_output_folders() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        for p in ["b/x.csv", "a.CSV", ".hidden/y.csv", "c/.z.csv", "out/manifest.json", "out/tables/t.csv", "w.geojson", "notes.txt", "b/a.xlsx", "b/~$a.xlsx"] {
            let full = root.join(p);
            std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
            std::fs::write(full, "h\n").expect("write");
        }
        let found: Vec<String> = walk(root).expect("walk").into_iter().map(|f| f.display).collect();
        assert_eq!(found, vec!["a.CSV", "b/a.xlsx", "b/x.csv", "w.geojson"]);
    }
}
