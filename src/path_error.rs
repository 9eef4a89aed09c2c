//! io errors that name their path: a bare `Not a directory` does not say which folder.

use std::io;
use std::path::Path;

/// Wrap an io error with the path it happened on, keeping its kind.
pub fn at(path: &Path) -> impl Fn(io::Error) -> io::Error + '_ {
    move |e| io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}
