//! `manifest.json`: what produced a run's outputs: tool version, run id, config, definition and dictionary
//! hashes, input SHA-256s, rows read/staged/rejected per file, chosen parameters, timings, and how far each
//! stage got. Ingest starts a new manifest for every run (nothing from an earlier run is kept); analyse and
//! report continue the run it names and add their sections, so running stages separately still leaves one
//! manifest, and a run killed half-way leaves one that says which stage did not finish.

use super::run_id::RunIdError;
use crate::fsutil::write_atomic;
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// A stage that has started but not finished (or was killed).
pub const RUNNING: &str = "running";
/// A stage that finished.
pub const COMPLETE: &str = "complete";

pub struct Manifest {
    root: Map<String, Value>,
}

/// The manifest file of an output folder.
pub fn manifest_path(out_dir: &Path) -> PathBuf {
    out_dir.join(crate::output_journal::MANIFEST)
}

/// The manifest in `out_dir` as JSON, if there is a readable one.
pub fn read(out_dir: &Path) -> Option<Value> {
    std::fs::read_to_string(manifest_path(out_dir)).ok().and_then(|t| serde_json::from_str::<Value>(&t).ok())
}

impl Manifest {
    /// A new run's manifest (ingest): the tool, the run id and when it started; no stage done yet.
    pub fn start(run_id: &str) -> Manifest {
        let mut m = Manifest { root: Map::new() };
        m.set("tool", serde_json::json!({ "name": "sna", "version": env!("CARGO_PKG_VERSION") }));
        m.set("run_id", serde_json::json!(run_id));
        m.set("started_utc", serde_json::json!(chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()));
        m.set("stages", Value::Object(Map::new()));
        m
    }

    /// The manifest of the run in `out_dir`, to continue with a later stage: `after` must have completed in it.
    pub fn continue_run(out_dir: &Path, after: &str) -> Result<Manifest, RunIdError> {
        let path = manifest_path(out_dir);
        let problem = |message: String| RunIdError::Manifest { manifest: path.display().to_string(), message };
        let root = read(out_dir)
            .and_then(|v| v.as_object().cloned())
            .ok_or_else(|| problem(format!("missing or unreadable: run `sna {after}` first")))?;
        let m = Manifest { root };
        if m.run_id().is_none() {
            return Err(problem(format!("names no run (written by an older sna): run `sna {after}` again")));
        }
        match m.stage(after) {
            Some(COMPLETE) => Ok(m),
            Some(status) => Err(problem(format!("`sna {after}` of run {} is {status}, not complete (was it stopped?): run it again", m.run_id().unwrap_or_default()))),
            None => Err(problem(format!("run {} has no {after} stage: run `sna {after}` first", m.run_id().unwrap_or_default()))),
        }
    }

    pub fn run_id(&self) -> Option<&str> {
        self.root.get("run_id").and_then(Value::as_str)
    }

    /// How far `stage` got in this run (`running` or `complete`), if it started.
    pub fn stage(&self, stage: &str) -> Option<&str> {
        self.root.get("stages").and_then(|s| s.get(stage)).and_then(Value::as_str)
    }

    pub fn set_stage(&mut self, stage: &str, status: &str) {
        let stages = self.root.entry("stages").or_insert_with(|| Value::Object(Map::new()));
        if let Some(s) = stages.as_object_mut() {
            s.insert(stage.to_string(), serde_json::json!(status));
        }
    }

    /// Forget what a stage recorded (its outputs are about to be replaced).
    pub fn forget_stage(&mut self, stage: &str, sections: &[&str]) {
        for key in sections {
            self.root.remove(*key);
        }
        if let Some(s) = self.root.get_mut("stages").and_then(Value::as_object_mut) {
            s.remove(stage);
        }
        if let Some(t) = self.root.get_mut("timings_seconds").and_then(Value::as_object_mut) {
            t.remove(stage);
        }
    }

    pub fn set(&mut self, key: &str, value: Value) {
        self.root.insert(key.to_string(), value);
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.root.get(key)
    }

    pub fn set_timing(&mut self, stage: &str, seconds: f64) {
        let timings = self.root.entry("timings_seconds").or_insert_with(|| Value::Object(Map::new()));
        if let Some(t) = timings.as_object_mut() {
            t.insert(stage.to_string(), serde_json::json!((seconds * 1000.0).round() / 1000.0));
        }
    }

    pub fn write(&self, out_dir: &Path) -> std::io::Result<()> {
        let text = serde_json::to_string_pretty(&Value::Object(self.root.clone())).map_err(std::io::Error::other)?;
        write_atomic(&manifest_path(out_dir), format!("{text}\n").as_bytes())
    }
}

pub use crate::fsutil::sha256_file;
