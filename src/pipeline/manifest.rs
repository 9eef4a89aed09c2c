//! `manifest.json`: what produced a run's outputs: tool version, config, definition and dictionary
//! hashes, input SHA-256s, rows read/staged/rejected per file, chosen parameters and timings. Each stage
//! updates its own section, so running stages separately still leaves one complete manifest.

use crate::fsutil::write_atomic;
use serde_json::{Map, Value};
use std::path::Path;

pub struct Manifest {
    root: Map<String, Value>,
}

impl Manifest {
    /// Load the manifest in `out_dir`, or start a new one.
    pub fn load(out_dir: &Path) -> Manifest {
        let root = std::fs::read_to_string(out_dir.join("manifest.json"))
            .ok()
            .and_then(|t| serde_json::from_str::<Value>(&t).ok())
            .and_then(|v| v.as_object().cloned())
            .unwrap_or_default();
        let mut m = Manifest { root };
        m.set("tool", serde_json::json!({ "name": "sna", "version": env!("CARGO_PKG_VERSION") }));
        m
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
        write_atomic(&out_dir.join("manifest.json"), format!("{text}\n").as_bytes())
    }
}

pub use crate::fsutil::sha256_file;
