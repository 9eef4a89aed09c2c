//! Whether a run may write into an output folder, checked before anything is written. Refused: the
//! filesystem root or the home folder; a path that is a file; a folder whose top level holds files `sna` did
//! not write (it would mix a run with someone else's files); a folder holding another pipeline's run (unless
//! `--force`). A rerun of the same pipeline (an edited version of the same file counts) is accepted: each
//! stage then removes its own earlier outputs (see [`crate::output_journal`]).

use super::config::Pipeline;
use super::manifest;
use crate::output_journal::{has_journals, is_temporary, listed, JOURNAL_DIR, MANIFEST};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// The output folders `sna` writes at the top level: accepted in a run folder even when no journal lists
/// them.
const STAGE_FOLDERS: [&str; 8] = ["staged", "rejects", "tables", "charts", "maps", "report", "public", "input"];

/// Files a desktop's file browser leaves in any folder it shows; not the user's data.
const FILE_BROWSER_LITTER: [&str; 3] = [".DS_Store", "Thumbs.db", "desktop.ini"];

/// How many foreign names a refusal lists.
const NAMES_SHOWN: usize = 5;

#[derive(Debug, Error)]
pub enum OutFolderError {
    #[error("{path}: refusing to write a run into {what}; choose a folder of its own below it")]
    Reserved { path: String, what: &'static str },
    #[error("{path}: is not a folder (a file of that name exists); choose another output folder")]
    NotAFolder { path: String },
    #[error("{path}: holds files sna did not write ({names}); sna only writes into an empty folder or one holding its own earlier run: choose another output folder")]
    Foreign { path: String, names: String },
    #[error("{path}: holds the run of another pipeline, \"{name}\" ({origin}); choose another output folder, or pass --force to replace that run's outputs")]
    OtherPipeline { path: String, name: String, origin: String },
    #[error("{path}: is not empty; pass --force to write over what is there")]
    NotEmpty { path: String },
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
}

/// What names a pipeline across runs: its assessment name and the file it came from.
#[derive(Debug, Clone)]
pub struct PipelineIdentity {
    pub name: String,
    /// The pipeline file, as an absolute path where it can be made one.
    pub origin: String,
}

impl PipelineIdentity {
    pub fn of(p: &Pipeline) -> PipelineIdentity {
        PipelineIdentity::new(&p.name, Path::new(&p.origin))
    }

    pub fn new(name: &str, origin: &Path) -> PipelineIdentity {
        PipelineIdentity { name: name.to_string(), origin: absolute(origin).display().to_string() }
    }

    /// Whether the run recorded in a manifest's `pipeline` section is this pipeline's: the same file (perhaps
    /// edited since) or the same assessment name.
    fn recorded_in(&self, section: &serde_json::Value) -> bool {
        let name = section.get("name").and_then(|v| v.as_str());
        let origin = section.get("origin_absolute").or_else(|| section.get("origin")).and_then(|v| v.as_str());
        name == Some(self.name.as_str()) || origin.is_some_and(|o| absolute(Path::new(o)).display().to_string() == self.origin)
    }
}

/// `path` made absolute, through links where it exists.
fn absolute(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).or_else(|_| std::path::absolute(path)).unwrap_or_else(|_| path.to_path_buf())
}

fn shown(path: &Path) -> String {
    path.display().to_string()
}

/// The root of a filesystem or the home folder: never an output folder.
fn reserved(out: &Path) -> Option<&'static str> {
    let full = absolute(out);
    if full.parent().is_none() {
        return Some("the root of the filesystem");
    }
    let home = std::env::var_os("HOME").or_else(|| std::env::var_os("USERPROFILE")).map(PathBuf::from);
    if home.is_some_and(|h| absolute(&h) == full) {
        return Some("the home folder");
    }
    None
}

/// The top-level entries of `out` that `sna` did not write.
fn foreign_entries(out: &Path) -> Result<Vec<String>, OutFolderError> {
    let io = |source| OutFolderError::Io { path: shown(out), source };
    let written: BTreeSet<String> = listed(out)
        .map_err(io)?
        .iter()
        .filter_map(|rel| rel.split('/').next().map(str::to_string))
        .collect();
    // A run folder (its manifest or journals say so) may hold stage folders no journal lists: written
    // before journals were kept, or staged files copied in by hand. What is in them is never removed.
    let run_folder = has_journals(out) || out.join(MANIFEST).is_file();
    let mut foreign = Vec::new();
    for entry in std::fs::read_dir(out).map_err(io)? {
        let entry = entry.map_err(io)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let ours = name == MANIFEST
            || name == JOURNAL_DIR
            || is_temporary(&name)
            || FILE_BROWSER_LITTER.contains(&name.as_str())
            || written.contains(&name)
            || (run_folder && STAGE_FOLDERS.contains(&name.as_str()))
            // A folder a killed run created before listing its first file holds nothing to protect.
            || is_empty_dir(&entry.path());
        if !ours {
            foreign.push(name);
        }
    }
    foreign.sort();
    Ok(foreign)
}

fn is_empty_dir(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.is_dir()) && std::fs::read_dir(path).is_ok_and(|mut d| d.next().is_none())
}

/// Refuse an output location that could never be right: the root, the home folder, a file.
fn check_location(out: &Path) -> Result<bool, OutFolderError> {
    if let Some(what) = reserved(out) {
        return Err(OutFolderError::Reserved { path: shown(out), what });
    }
    match std::fs::metadata(out) {
        Ok(m) if m.is_dir() => Ok(true),
        Ok(_) => Err(OutFolderError::NotAFolder { path: shown(out) }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(source) => Err(OutFolderError::Io { path: shown(out), source }),
    }
}

/// May `who`'s run write into `out`? An absent or empty folder, or one holding only `sna`'s files from a run
/// of the same pipeline; another pipeline's run only with `force`.
pub fn claim(out: &Path, who: &PipelineIdentity, force: bool) -> Result<(), OutFolderError> {
    if !check_location(out)? {
        return Ok(());
    }
    let foreign = foreign_entries(out)?;
    if !foreign.is_empty() {
        let mut names: Vec<String> = foreign.iter().take(NAMES_SHOWN).cloned().collect();
        if foreign.len() > NAMES_SHOWN {
            names.push(format!("and {} more", foreign.len() - NAMES_SHOWN));
        }
        return Err(OutFolderError::Foreign { path: shown(out), names: names.join(", ") });
    }
    let recorded = manifest::read(out).and_then(|m| m.get("pipeline").cloned());
    match recorded {
        Some(section) if !force && !who.recorded_in(&section) => Err(OutFolderError::OtherPipeline {
            path: shown(out),
            name: section.get("name").and_then(|v| v.as_str()).unwrap_or("unnamed").to_string(),
            origin: section.get("origin").and_then(|v| v.as_str()).unwrap_or("unknown file").to_string(),
        }),
        _ => Ok(()),
    }
}

/// May a generator write into `out` (`sna synth`)? Only an absent or empty folder, unless `force`.
pub fn claim_empty(out: &Path, force: bool) -> Result<(), OutFolderError> {
    if !check_location(out)? || force {
        return Ok(());
    }
    let mut entries = std::fs::read_dir(out).map_err(|source| OutFolderError::Io { path: shown(out), source })?;
    match entries.next() {
        None => Ok(()),
        Some(_) => Err(OutFolderError::NotEmpty { path: shown(out) }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn who(name: &str, origin: &Path) -> PipelineIdentity {
        PipelineIdentity::new(name, origin)
    }

    #[test]
    fn the_root_and_files_are_refused_and_a_new_folder_is_fine() {
        let dir = tempfile::tempdir().unwrap();
        let me = who("A", &dir.path().join("a.toml"));
        assert!(matches!(claim(Path::new("/"), &me, true), Err(OutFolderError::Reserved { .. })));
        let file = dir.path().join("f");
        std::fs::write(&file, "x").unwrap();
        let e = claim(&file, &me, true).unwrap_err();
        assert!(e.to_string().contains(&file.display().to_string()), "{e}");
        claim(&dir.path().join("new"), &me, false).unwrap();
    }

    #[test]
    fn foreign_top_level_files_are_refused_even_with_force() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
        std::fs::create_dir_all(dir.path().join("tables")).unwrap();
        std::fs::write(dir.path().join("tables/t.csv"), "x").unwrap();
        let e = claim(dir.path(), &who("A", Path::new("a.toml")), true).unwrap_err();
        assert!(e.to_string().contains("notes.txt") && e.to_string().contains("tables"), "{e}");
    }

    #[test]
    fn another_pipelines_run_needs_force_and_the_same_file_or_name_does_not() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.toml");
        std::fs::write(&a, "").unwrap();
        let out = dir.path().join("out");
        std::fs::create_dir_all(&out).unwrap();
        let manifest = serde_json::json!({ "pipeline": { "name": "A", "origin": a.display().to_string(), "origin_absolute": absolute(&a).display().to_string() } });
        std::fs::write(out.join(MANIFEST), manifest.to_string()).unwrap();
        assert!(matches!(claim(&out, &who("B", &dir.path().join("b.toml")), false), Err(OutFolderError::OtherPipeline { .. })));
        claim(&out, &who("B", &dir.path().join("b.toml")), true).unwrap();
        claim(&out, &who("A renamed", &a), false).unwrap();
        claim(&out, &who("A", &dir.path().join("copy.toml")), false).unwrap();
    }

    #[test]
    fn a_generator_writes_only_into_an_empty_folder_unless_forced() {
        let dir = tempfile::tempdir().unwrap();
        claim_empty(dir.path(), false).unwrap();
        std::fs::write(dir.path().join("x"), "x").unwrap();
        assert!(matches!(claim_empty(dir.path(), false), Err(OutFolderError::NotEmpty { .. })));
        claim_empty(dir.path(), true).unwrap();
    }
}
