//! `sna demo`: generate the synthetic borough, then run the embedded demo pipeline on it.

use super::config::Pipeline;
use super::run::run_all;
use crate::error::{Result, SnaError};
use crate::progress::Progress;
use crate::synth::{generate, PoliceStyle, SynthOptions};
use std::path::Path;

/// Write the synthetic borough into `dir` with its `pipeline.toml` (the one that reads its police export
/// style).
pub fn synthesise(dir: &Path, seed: u64, scale: u32, police_style: PoliceStyle, progress: &Progress) -> Result<()> {
    let style = match police_style {
        PoliceStyle::Default => String::new(),
        other => format!(", {} police export", other.name()),
    };
    progress.say(&format!("synth: writing the synthetic borough (seed {seed}, scale {scale}{style}) to {}", dir.display()));
    generate(dir, &SynthOptions { seed, scale, police_style })?;
    let pipeline = match police_style {
        PoliceStyle::Default => crate::embedded::DEMO_PIPELINE,
        PoliceStyle::Niche => crate::embedded::NICHE_PIPELINE,
    };
    crate::fsutil::write_atomic(&dir.join("pipeline.toml"), pipeline.as_bytes())
        .map_err(|e| SnaError::io(format!("writing {}", dir.join("pipeline.toml").display()), e))?;
    Ok(())
}

pub fn demo(out: &Path, seed: u64, progress: &Progress) -> Result<()> {
    let input = out.join("input");
    synthesise(&input, seed, 1, PoliceStyle::Default, progress)?;
    let pipeline = Pipeline::from_path(&input.join("pipeline.toml"))?;
    run_all(&pipeline, out, progress)?;
    progress.say(&format!("demo done: open {}", out.join("report").join("summary.md").display()));
    Ok(())
}
