//! Ingest settings: `seeds/ingest_defaults.toml`, overridden key by key by a pipeline's `[ingest]` table.
//! Loss shares decide when a source is called out; workbook limits when a workbook is refused.

use super::losses::LossThresholds;
use super::workbook_limits::WorkbookLimits;
use serde::Deserialize;

const DEFAULTS: &str = include_str!("../../seeds/ingest_defaults.toml");

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IngestSettings {
    pub losses: LossThresholds,
    pub workbook: WorkbookLimits,
}

/// Every key of `[ingest]`, flat as users write them.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Flat {
    quarantined_share: f64,
    repaired_share: f64,
    time_unknown_share: f64,
    unlocated_share: f64,
    xlsx_max_uncompressed_mb: u64,
    xlsx_max_cells: u64,
}

impl IngestSettings {
    /// The defaults, overridden key by key. Errors are (key, message).
    pub fn from_overrides(overrides: Option<&toml::Table>) -> Result<IngestSettings, (String, String)> {
        let mut table: toml::Table =
            DEFAULTS.parse().map_err(|e: toml::de::Error| ("seeds/ingest_defaults.toml".to_string(), e.to_string()))?;
        if let Some(o) = overrides {
            for (k, v) in o {
                table.insert(k.clone(), v.clone());
            }
        }
        let f: Flat = toml::Value::Table(table).try_into().map_err(|e: toml::de::Error| ("[ingest]".to_string(), e.to_string()))?;
        let losses = LossThresholds {
            quarantined_share: f.quarantined_share,
            repaired_share: f.repaired_share,
            time_unknown_share: f.time_unknown_share,
            unlocated_share: f.unlocated_share,
        };
        losses.check()?;
        for (k, v) in [("xlsx_max_uncompressed_mb", f.xlsx_max_uncompressed_mb), ("xlsx_max_cells", f.xlsx_max_cells)] {
            if v == 0 {
                return Err((format!("[ingest] {k}"), "must be a positive number".to_string()));
            }
        }
        let workbook = WorkbookLimits { max_uncompressed_mb: f.xlsx_max_uncompressed_mb, max_cells: f.xlsx_max_cells };
        Ok(IngestSettings { losses, workbook })
    }
}

impl Default for IngestSettings {
    /// The embedded defaults (checked by a test, so the fallback is never reached in a release).
    fn default() -> Self {
        IngestSettings::from_overrides(None).unwrap_or(IngestSettings {
            losses: LossThresholds::default(),
            workbook: WorkbookLimits { max_uncompressed_mb: 1024, max_cells: 30_000_000 },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_data_and_checked() {
        let d = IngestSettings::from_overrides(None).expect("defaults parse");
        assert_eq!(d.losses, LossThresholds::default());
        assert_eq!(d.workbook, WorkbookLimits { max_uncompressed_mb: 1024, max_cells: 30_000_000 });
        let over: toml::Table = "quarantined_share = 0.5\nxlsx_max_cells = 99".parse().expect("toml");
        let o = IngestSettings::from_overrides(Some(&over)).expect("override");
        assert_eq!((o.losses.quarantined_share, o.workbook.max_cells), (0.5, 99));
        let bad: toml::Table = "quarantined_share = 5".parse().expect("toml");
        assert_eq!(IngestSettings::from_overrides(Some(&bad)).expect_err("range").0, "[ingest] quarantined_share");
        let zero: toml::Table = "xlsx_max_cells = 0".parse().expect("toml");
        assert_eq!(IngestSettings::from_overrides(Some(&zero)).expect_err("zero").0, "[ingest] xlsx_max_cells");
        let unknown: toml::Table = "lost_share = 0.1".parse().expect("toml");
        assert!(IngestSettings::from_overrides(Some(&unknown)).is_err());
    }
}
