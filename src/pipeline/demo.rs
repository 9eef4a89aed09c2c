//! `sna demo`: generate the synthetic borough, then run the embedded demo pipeline on it. `sna synth`: the
//! borough alone.

use super::config::Pipeline;
use super::out_folder::{claim, claim_empty, PipelineIdentity};
use super::run::run_all;
use crate::error::{Result, SnaError};
use crate::output_journal::begin_stage;
use crate::progress::Progress;
use crate::synth::{generate, PoliceStyle, SynthOptions};
use std::path::Path;

/// The demo's stage that writes its synthetic input (`<out>/input`), journalled like the others so a
/// rerun replaces exactly the earlier demo's input.
const SYNTH: &str = "synth";

/// `sna synth`: write the synthetic borough into `dir` with its `pipeline.toml`, into an absent or empty
/// folder only unless `force` (it would write over what is there).
pub fn synthesise(dir: &Path, seed: u64, scale: u32, police_style: PoliceStyle, progress: &Progress, force: bool) -> Result<()> {
    claim_empty(dir, force)?;
    write_borough(dir, seed, scale, police_style, progress)
}

/// The borough and the pipeline that reads its police export style.
fn write_borough(dir: &Path, seed: u64, scale: u32, police_style: PoliceStyle, progress: &Progress) -> Result<()> {
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

/// The demo pipeline's assessment name, read from the embedded file (before its input exists).
fn demo_name() -> Result<String> {
    let table: toml::Table = toml::from_str(crate::embedded::DEMO_PIPELINE)
        .map_err(|e| SnaError::Usage(format!("the embedded demo pipeline: {e}")))?;
    Ok(table.get("assessment").and_then(|a| a.get("name")).and_then(|n| n.as_str()).unwrap_or("demo").to_string())
}

/// `sna demo`: the borough into `<out>/input`, then the whole run into `out`. A rerun into its own folder is
/// the same pipeline's; a folder holding another pipeline's run needs `force`.
pub fn demo(out: &Path, seed: u64, progress: &Progress, force: bool) -> Result<()> {
    let input = out.join("input");
    claim(out, &PipelineIdentity::new(&demo_name()?, &input.join("pipeline.toml")), force)?;
    {
        let _outputs = begin_stage(out, SYNTH)
            .map_err(|e| SnaError::io(format!("{SYNTH}: clearing the earlier demo input in {}", out.display()), e))?;
        write_borough(&input, seed, 1, PoliceStyle::Default, progress)?;
    }
    let pipeline = Pipeline::from_path(&input.join("pipeline.toml"))?;
    run_all(&pipeline, out, progress, force)?;
    progress.say(&format!("demo done: open {}", out.join("report").join("summary.md").display()));
    Ok(())
}
