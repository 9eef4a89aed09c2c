//! Progress display: indicatif bars on a terminal, nothing when not a TTY or under `--quiet`. Stage
//! announcements ("[2/3] analyse: ...") go to stderr unless quiet, like a numbered pipeline of steps.

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;

#[derive(Debug, Clone, Copy)]
pub struct Progress {
    quiet: bool,
    bars: bool,
}

impl Progress {
    pub fn new(quiet: bool) -> Progress {
        Progress { quiet, bars: !quiet && std::io::stderr().is_terminal() }
    }

    pub fn silent() -> Progress {
        Progress { quiet: true, bars: false }
    }

    /// A row counter for reading one file.
    pub fn rows(&self, label: &str) -> ProgressBar {
        if !self.bars {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::new_spinner();
        if let Ok(style) = ProgressStyle::with_template("  {spinner} {msg} {human_pos} rows ({per_sec})") {
            bar.set_style(style);
        }
        bar.set_message(label.to_string());
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        bar
    }

    pub fn say(&self, message: &str) {
        if !self.quiet {
            eprintln!("{message}");
        }
    }
}
