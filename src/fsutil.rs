//! Atomic file writes: write to a temporary name in the same folder, then rename, so a failed run never
//! leaves a half-written file that looks complete. Every file goes into place through
//! [`rename_into_place`], which lists it in the writing stage's journal first ([`crate::output_journal`]).
//! Errors name the path they happened on.

pub use crate::path_error::at;
use crate::output_journal::record;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Temporary sibling path that keeps the final extension (some writers infer the format from it).
pub fn temp_sibling(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!(".tmp-{}-{}", std::process::id(), name))
}

/// Put a finished temporary file at `path`: listed in the writing stage's journal, then renamed, so a run
/// killed at any point leaves no file of its own that a rerun does not know about.
pub fn rename_into_place(tmp: &Path, path: &Path) -> io::Result<()> {
    record(path)?;
    fs::rename(tmp, path)
}

/// Create `path`'s parent folders.
pub fn create_parent(path: &Path) -> io::Result<()> {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => fs::create_dir_all(parent).map_err(at(parent)),
        _ => Ok(()),
    }
}

/// Write bytes to `path` atomically, creating parent folders.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    create_parent(path)?;
    let tmp = temp_sibling(path);
    let written = (|| {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()
    })();
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    rename_into_place(&tmp, path)
}

/// Run `write` against a temporary sibling of `path`, then rename it into place. On error the temporary
/// file is removed and `path` is untouched.
pub fn with_atomic_file<T, E: From<io::Error>>(
    path: &Path,
    write: impl FnOnce(&Path) -> Result<T, E>,
) -> Result<T, E> {
    create_parent(path)?;
    let tmp = temp_sibling(path);
    match write(&tmp) {
        Ok(v) => {
            // The caller's error type may not carry a path: this one names it.
            if let Err(e) = rename_into_place(&tmp, path) {
                let _ = fs::remove_file(&tmp);
                return Err(at(path)(e).into());
            }
            Ok(v)
        }
        Err(e) => {
            let _ = fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// SHA-256 of a file's bytes, hex, read in blocks so large extracts are not held in memory.
pub fn sha256_file(path: &Path) -> io::Result<String> {
    use sha2::{Digest, Sha256};
    use std::io::Read;
    let mut f = fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}
