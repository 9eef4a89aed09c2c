//! Allocator tuning for large runs.
//!
//! mimalloc (v3) hands freed memory back to the kernel a second after it is freed. Analysis builds and drops
//! column buffers of hundreds of megabytes one after another, so the same memory went back and forth: at
//! scale 100 the kernel spent 12.7 s (of a 25 s analyse) zeroing pages it had just been given back.
//! Keeping freed memory for reuse cut analyse to 19 s and ingest by 2 s, for about 0.7 GB more peak
//! resident memory (3.6 GB at scale 100, under the 4 GB target). `MIMALLOC_PURGE_DELAY` in the
//! environment still overrides it.

use std::ffi::{c_int, c_long};

// mimalloc's option API. The `mimalloc` crate links the library (libmimalloc-sys 0.1.49 builds mimalloc v3)
// but its Rust bindings do not name this option, so the two functions are declared here.
unsafe extern "C" {
    fn mi_option_set(option: c_int, value: c_long);
    fn mi_option_get(option: c_int) -> c_long;
}

/// `mi_option_purge_delay` in mimalloc v3's `mi_option_e` (include/mimalloc.h): milliseconds before freed
/// memory is returned to the OS, -1 for never.
const MI_OPTION_PURGE_DELAY: c_int = 15;

/// Keep freed memory in the process for reuse instead of returning it to the OS (unless the user set
/// `MIMALLOC_PURGE_DELAY`). Call once, early in `main`.
pub fn keep_freed_memory() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
        return;
    }
    // SAFETY: plain setter of a global option, valid at any time from any thread.
    unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
}

/// The purge delay in force (ms; -1 = never).
pub fn purge_delay() -> i64 {
    // SAFETY: plain getter of a global option.
    i64::from(unsafe { mi_option_get(MI_OPTION_PURGE_DELAY) })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checks the option number against the linked library: mimalloc v3's default purge delay is 1000 ms
    /// (src/options.c), and the neighbouring options default to 1 and 0, so a wrong index fails here.
    #[test]
    fn the_option_is_the_purge_delay() {
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
            return;
        }
        assert_eq!(purge_delay(), 1000);
    }
}
