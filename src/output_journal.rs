//! Which files `sna` wrote in an output folder. Each stage keeps a journal, `<out>/.sna/written-<stage>.txt`,
//! and every file it puts in place is listed there *before* it is renamed into place (see
//! [`crate::fsutil::rename_into_place`]), so even a run killed half-way leaves a complete list. When the stage
//! runs again it first removes exactly the files its journal lists (and the folders they leave empty), and
//! the `.tmp-*` leftovers of interrupted writes; a file anyone else put in the folder is never touched.

use crate::path_error::at;
use std::collections::BTreeSet;
use std::fs;
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;

/// The folder (below an output folder) holding the journals.
pub const JOURNAL_DIR: &str = ".sna";

/// The run's record, rewritten by every run rather than removed: not a stage's output.
pub const MANIFEST: &str = "manifest.json";

/// The journal of one stage's files, below `out`.
pub fn journal_path(out: &Path, stage: &str) -> PathBuf {
    out.join(JOURNAL_DIR).join(format!("written-{stage}.txt"))
}

/// A journal being appended to while its stage runs.
struct Active {
    root: PathBuf,
    journal: PathBuf,
    file: fs::File,
}

/// The stages writing now (one at a time in a run; a list so unrelated folders never mix).
static ACTIVE: Mutex<Vec<Active>> = Mutex::new(Vec::new());

fn active() -> std::sync::MutexGuard<'static, Vec<Active>> {
    // A panic elsewhere while holding the lock leaves the list usable.
    ACTIVE.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// While alive, every file put in place below its folder is listed in the stage's journal.
#[must_use = "the journal records writes only while this is alive"]
pub struct StageOutputs {
    journal: PathBuf,
}

impl Drop for StageOutputs {
    fn drop(&mut self) {
        active().retain(|a| a.journal != self.journal);
    }
}

/// Start `stage` in `out`: remove the files its journal lists from earlier runs and every `.tmp-*` leftover,
/// empty the journal and record this run's files in it until the returned guard is dropped.
pub fn begin_stage(out: &Path, stage: &str) -> io::Result<StageOutputs> {
    let journal = journal_path(out, stage);
    for rel in read_journal(&journal)? {
        remove_listed(out, &rel)?;
    }
    sweep_temporaries(out)?;
    let dir = out.join(JOURNAL_DIR);
    fs::create_dir_all(&dir).map_err(at(&dir))?;
    let file = fs::File::create(&journal).map_err(at(&journal))?;
    let mut list = active();
    list.retain(|a| a.journal != journal);
    list.push(Active { root: out.to_path_buf(), journal: journal.clone(), file });
    Ok(StageOutputs { journal })
}

/// List `path` in the journal of the stage writing below it (if any), before it is put in place.
pub fn record(path: &Path) -> io::Result<()> {
    let mut list = active();
    // The innermost folder being written wins (a stage folder inside another's is not expected, but safe).
    let Some(a) = list.iter_mut().filter(|a| path.starts_with(&a.root)).max_by_key(|a| a.root.components().count()) else {
        return Ok(());
    };
    let Some(rel) = relative_line(path.strip_prefix(&a.root).unwrap_or(path)) else { return Ok(()) };
    if rel == MANIFEST {
        return Ok(());
    }
    // One write per line on an unbuffered file: the line is in the kernel's hands before the rename.
    a.file.write_all(format!("{rel}\n").as_bytes()).map_err(at(&a.journal))
}

/// Every path (relative to `out`, `/`-separated) that any stage's journal below `out` lists.
pub fn listed(out: &Path) -> io::Result<BTreeSet<String>> {
    let dir = out.join(JOURNAL_DIR);
    let mut all = BTreeSet::new();
    let entries = match fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(all),
        Err(e) => return Err(at(&dir)(e)),
    };
    for entry in entries {
        let path = entry.map_err(at(&dir))?.path();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if name.starts_with("written-") && name.ends_with(".txt") {
            all.extend(read_journal(&path)?);
        }
    }
    Ok(all)
}

/// Whether `out` has journals (it was written by a `sna` that keeps them).
pub fn has_journals(out: &Path) -> bool {
    out.join(JOURNAL_DIR).is_dir()
}

/// A journal's safe lines: relative paths of plain components, none inside the journal folder itself.
fn read_journal(journal: &Path) -> io::Result<Vec<String>> {
    let text = match fs::read(journal) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(at(journal)(e)),
    };
    let mut seen = BTreeSet::new();
    Ok(text
        .lines()
        .filter_map(|l| relative_line(Path::new(l.trim_end_matches('\r'))))
        .filter(|l| seen.insert(l.clone()))
        .collect())
}

/// `rel` as a journal line, or None when it could point outside the folder (absolute, `..`) or into
/// the journal folder.
fn relative_line(rel: &Path) -> Option<String> {
    let mut parts = Vec::new();
    for c in rel.components() {
        match c {
            Component::Normal(s) => parts.push(s.to_str()?.to_string()),
            Component::CurDir => {}
            _ => return None,
        }
    }
    match parts.first() {
        None => None,
        Some(first) if first == JOURNAL_DIR => None,
        Some(_) => Some(parts.join("/")),
    }
}

/// Remove one listed file if it is still there (never a folder, never through a link to a folder), then
/// the folders it leaves empty, up to `out`.
fn remove_listed(out: &Path, rel: &str) -> io::Result<()> {
    let path = out.join(rel);
    match fs::symlink_metadata(&path) {
        Ok(m) if !m.is_dir() => fs::remove_file(&path).map_err(at(&path))?,
        Ok(_) => return Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(at(&path)(e)),
    }
    let mut dir = path.parent();
    while let Some(d) = dir.filter(|d| d.starts_with(out) && *d != out) {
        // Fails (and stops) at the first folder that still holds something: someone else's file.
        if fs::remove_dir(d).is_err() {
            break;
        }
        dir = d.parent();
    }
    Ok(())
}

/// Whether `name` is a temporary sibling left by an interrupted atomic write (`.tmp-<pid>-...`).
pub fn is_temporary(name: &str) -> bool {
    name.strip_prefix(".tmp-")
        .and_then(|rest| rest.split_once('-'))
        .is_some_and(|(pid, _)| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()))
}

/// Remove every `.tmp-<pid>-*` file below `out` (not following links, not in the journal folder).
fn sweep_temporaries(out: &Path) -> io::Result<()> {
    let mut stack = vec![out.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = match fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(at(&dir)(e)),
        };
        for entry in entries {
            let entry = entry.map_err(at(&dir))?;
            let path = entry.path();
            let kind = entry.file_type().map_err(at(&path))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if kind.is_dir() {
                if !(dir == out && name == JOURNAL_DIR) {
                    stack.push(path);
                }
            } else if is_temporary(&name) {
                fs::remove_file(&path).map_err(at(&path))?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(path: &Path) {
        record(path).unwrap();
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, "x").unwrap();
    }

    #[test]
    fn a_rerun_removes_exactly_the_stages_earlier_files() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        {
            let _g = begin_stage(&out, "analyse").unwrap();
            put(&out.join("tables/a.csv"));
            put(&out.join("tables/deep/b.csv"));
            put(&out.join("manifest.json"));
        }
        // Not sna's: a user's file beside them, and another stage's file.
        fs::write(out.join("tables/mine.csv"), "user").unwrap();
        {
            let _g = begin_stage(&out, "report").unwrap();
            put(&out.join("report/summary.md"));
        }
        fs::write(out.join("tables/.tmp-123-c.csv"), "half").unwrap();
        let listed_before = listed(&out).unwrap();
        assert!(listed_before.contains("tables/a.csv") && listed_before.contains("report/summary.md"), "{listed_before:?}");
        assert!(!listed_before.contains("manifest.json"), "the manifest is the run's, not a stage's");

        let _g = begin_stage(&out, "analyse").unwrap();
        assert!(!out.join("tables/a.csv").exists() && !out.join("tables/deep").exists());
        assert!(!out.join("tables/.tmp-123-c.csv").exists(), "leftover temporary");
        assert!(out.join("tables/mine.csv").exists(), "the user's file survives");
        assert!(out.join("report/summary.md").exists(), "another stage's file is its own");
        assert!(out.join("manifest.json").exists());
        assert_eq!(fs::read_to_string(journal_path(&out, "analyse")).unwrap(), "", "journal emptied");
    }

    #[test]
    fn journal_lines_that_leave_the_folder_are_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let outside = dir.path().join("outside.txt");
        fs::write(&outside, "keep").unwrap();
        fs::create_dir_all(out.join(JOURNAL_DIR)).unwrap();
        let listed = format!("../outside.txt\n{}\n.sna/written-ingest.txt\n/etc/passwd\n", outside.display());
        fs::write(journal_path(&out, "ingest"), listed).unwrap();
        let _g = begin_stage(&out, "ingest").unwrap();
        assert!(outside.exists());
    }

    #[test]
    fn temporary_names_are_recognised() {
        assert!(is_temporary(".tmp-4242-summary.md"));
        assert!(is_temporary(".tmp-4242-7-chart.png"));
        assert!(!is_temporary(".tmp-notes.txt"));
        assert!(!is_temporary("tmp-1-x"));
        assert!(!is_temporary(".tmp--x"));
    }
}
