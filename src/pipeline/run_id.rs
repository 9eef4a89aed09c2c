//! The run id: which ingest a folder's outputs come from. Ingest makes it, writes it into the manifest and
//! into every staged Parquet file; analyse copies it into every table it writes from that staged data; the
//! report states it and refuses tables or staged files that carry another.
//!
//! It is a hash of everything the run reads (tool version, pipeline text, every input and reference file's
//! bytes, the dictionaries and a fingerprint of the pseudonym key), not a clock reading: the same inputs give
//! the same id and so stay byte-identical, while any changed input gives another.

use super::config::{DefinitionRef, Pipeline, WardSource};
use crate::error::{Result, SnaError};
use crate::fsutil::sha256_file;
use crate::table_io::{writer_of, Writer};
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use thiserror::Error;

/// How many hex digits of the hash the id keeps (64 bits: ample to tell runs apart).
const RUN_ID_HEX: usize = 16;

#[derive(Debug, Error)]
pub enum RunIdError {
    #[error("{file} belongs to run {found}, but {manifest} is for run {expected}: the folder mixes two runs; remove the file if it was copied in, or run `sna {stage}` again")]
    Mismatch { file: String, found: String, expected: String, manifest: String, stage: String },
    #[error("{file} was written by an earlier version of sna that kept no list of its files, so it cannot be matched to run {expected} ({manifest}) nor replaced by this one: remove it, or use a new output folder")]
    Unrecorded { file: String, expected: String, manifest: String },
    #[error("{manifest}: {message}")]
    Manifest { manifest: String, message: String },
}

/// Every file the run reads, with the name it is hashed under (relative to the pipeline's folder, so the
/// same inputs in another folder give the same id).
fn inputs(p: &Pipeline) -> Vec<(String, PathBuf)> {
    let rel = |path: &Path| path.strip_prefix(&p.base_dir).unwrap_or(path).to_string_lossy().replace('\\', "/");
    let mut files: Vec<(String, PathBuf)> = Vec::new();
    for s in &p.sources {
        for f in &s.files {
            files.push((format!("source {} {}", s.name, rel(&f.path)), f.path.clone()));
        }
    }
    if let WardSource::Boundaries { path, .. } = &p.geography.wards {
        files.push((format!("wards {}", rel(path)), path.clone()));
    }
    for path in p.geography.lsoa_lookup.iter().chain(p.geography.lsoa11_lookup.iter()).chain(p.pupils.iter()) {
        files.push((format!("reference {}", rel(path)), path.clone()));
    }
    for f in &p.population {
        files.push((format!("population {}", rel(&f.path)), f.path.clone()));
    }
    if let DefinitionRef::File(path) = &p.definition {
        files.push((format!("definition {}", rel(path)), path.clone()));
    }
    files
}

/// The run id of ingesting `p` with the key whose fingerprint is `key_fingerprint` (a pseudonym of a fixed
/// label: it changes with the key and reveals nothing a staged pseudonym does not). Reads every input.
pub fn for_ingest(p: &Pipeline, dictionary_hashes: &[(String, String)], key_fingerprint: &str) -> Result<String> {
    let files = inputs(p);
    let hashes: Vec<String> = files
        .par_iter()
        .map(|(_, path)| sha256_file(path).map_err(|e| SnaError::io(format!("hashing {}", path.display()), e)))
        .collect::<Result<_>>()?;
    let mut h = Sha256::new();
    let mut line = |k: &str, v: &str| {
        h.update(k.as_bytes());
        h.update(b"\t");
        h.update(v.as_bytes());
        h.update(b"\n");
    };
    line("sna", env!("CARGO_PKG_VERSION"));
    line("pipeline", &hex::encode(Sha256::digest(p.text.as_bytes())));
    line("key", key_fingerprint);
    for (name, hash) in dictionary_hashes {
        line(&format!("dictionary {name}"), hash);
    }
    for ((name, _), hash) in files.iter().zip(&hashes) {
        line(name, hash);
    }
    let digest = hex::encode(h.finalize());
    Ok(digest.chars().take(RUN_ID_HEX).collect())
}

/// Check that every Parquet file `sna` wrote in `dir` carries `run_id` (files written by others are left
/// alone). `stage` is the command that would rewrite a mismatched file.
pub fn check_folder(dir: &Path, run_id: &str, manifest: &Path, stage: &str) -> Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(SnaError::io(format!("reading {}", dir.display()), e)),
    };
    let mut files: Vec<PathBuf> = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| SnaError::io(format!("reading {}", dir.display()), e))?.path();
        if path.extension().is_some_and(|x| x == "parquet") && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    let shown = |path: &Path| path.display().to_string();
    for path in files {
        let writer = writer_of(&path).map_err(|e| SnaError::Ingest(e.into()))?;
        match writer {
            Writer::Other => {}
            Writer::Sna { run_id: Some(found) } if found == run_id => {}
            Writer::Sna { run_id: Some(found) } => {
                return Err(RunIdError::Mismatch {
                    file: shown(&path),
                    found,
                    expected: run_id.to_string(),
                    manifest: shown(manifest),
                    stage: stage.to_string(),
                }
                .into())
            }
            Writer::Sna { run_id: None } => {
                return Err(RunIdError::Unrecorded { file: shown(&path), expected: run_id.to_string(), manifest: shown(manifest) }.into())
            }
        }
    }
    Ok(())
}
