//! Analysis settings: defaults from `seeds/analysis_defaults.toml`, overridden key by key by a pipeline's
//! `[analysis]` table, then checked. Thresholds and windows are data, never constants in code.

use chrono::{NaiveTime, Weekday};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TimeWindow {
    pub start: String,
    pub end: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NightWindow {
    /// Days on which the night starts ("Fri" = Friday evening into Saturday morning).
    pub days: Vec<String>,
    pub start: String,
    pub end: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LinkWindow {
    pub hours: f64,
    pub metres: f64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AnalysisOptions {
    pub multiplier: f64,
    pub confidence: f64,
    pub alpha: f64,
    pub reference_group: String,
    pub repeat_window_days: i64,
    pub top_wards: Vec<usize>,
    pub contiguity_tolerance_m: f64,
    pub fdr_method: String,
    pub nte: NightWindow,
    pub early_hours: TimeWindow,
    pub hidden_violence: LinkWindow,
    /// Harm-index weights (CSV `ho_code,weight`), e.g. Cambridge Crime Harm Index days; resolved path.
    #[serde(default)]
    pub harm_weights: Option<String>,
}

fn merge(base: &mut toml::Table, over: &toml::Table) {
    for (k, v) in over {
        match (base.get_mut(k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            _ => {
                base.insert(k.clone(), v.clone());
            }
        }
    }
}

pub fn parse_time(s: &str) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(s, "%H:%M").ok()
}

pub fn parse_weekday(s: &str) -> Option<Weekday> {
    s.parse::<Weekday>().ok()
}

impl AnalysisOptions {
    /// Defaults overridden by `overrides` (a pipeline's `[analysis]` table). Errors name the key.
    pub fn from_overrides(overrides: Option<&toml::Table>) -> Result<AnalysisOptions, (String, String)> {
        let defaults = include_str!("../../seeds/analysis_defaults.toml");
        let mut table: toml::Table = defaults.parse().map_err(|e: toml::de::Error| ("seeds/analysis_defaults.toml".to_string(), e.to_string()))?;
        if let Some(o) = overrides {
            merge(&mut table, o);
        }
        let o: AnalysisOptions = toml::Value::Table(table).try_into().map_err(|e: toml::de::Error| ("[analysis]".to_string(), e.to_string()))?;
        o.check().map_err(|(k, m)| (format!("[analysis] {k}"), m))?;
        Ok(o)
    }

    fn check(&self) -> Result<(), (String, String)> {
        let bad = |k: &str, m: String| Err((k.to_string(), m));
        if !(self.confidence > 0.0 && self.confidence < 1.0) {
            return bad("confidence", format!("{} must be between 0 and 1, e.g. 0.95", self.confidence));
        }
        if !(self.alpha > 0.0 && self.alpha < 1.0) {
            return bad("alpha", format!("{} must be between 0 and 1, e.g. 0.05", self.alpha));
        }
        if !(self.multiplier > 0.0) {
            return bad("multiplier", "must be positive, e.g. 1000".into());
        }
        if self.repeat_window_days <= 0 {
            return bad("repeat_window_days", "must be a positive number of days".into());
        }
        if !["benjamini-hochberg", "holm", "bonferroni"].contains(&self.fdr_method.as_str()) {
            return bad("fdr_method", format!("\"{}\" must be benjamini-hochberg, holm or bonferroni", self.fdr_method));
        }
        for (k, t) in [("nte.start", &self.nte.start), ("nte.end", &self.nte.end), ("early_hours.start", &self.early_hours.start), ("early_hours.end", &self.early_hours.end)] {
            if parse_time(t).is_none() {
                return bad(k, format!("\"{t}\" is not a time like 18:00"));
            }
        }
        for d in &self.nte.days {
            if parse_weekday(d).is_none() {
                return bad("nte.days", format!("\"{d}\" is not a weekday like Fri"));
            }
        }
        if !(self.hidden_violence.hours > 0.0 && self.hidden_violence.metres > 0.0) {
            return bad("hidden_violence", "hours and metres must be positive".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_load_and_overrides_replace_single_keys() {
        let d = AnalysisOptions::from_overrides(None).expect("defaults");
        assert_eq!((d.multiplier, d.confidence, d.nte.start.as_str()), (1000.0, 0.95, "18:00"));
        let over: toml::Table = "confidence = 0.998\n[nte]\nstart = \"21:00\"".parse().expect("toml");
        let o = AnalysisOptions::from_overrides(Some(&over)).expect("overridden");
        assert_eq!((o.confidence, o.nte.start.as_str(), o.nte.end.as_str()), (0.998, "21:00", "06:00"));
    }

    #[test]
    fn bad_settings_name_their_key() {
        for (text, key) in [("confidence = 1.5", "confidence"), ("[nte]\nstart = \"25:00\"", "nte.start"), ("colour = 1", "[analysis]"), ("[nte]\ndays = [\"Funday\"]", "nte.days")] {
            let over: toml::Table = text.parse().expect("toml");
            let (k, _) = AnalysisOptions::from_overrides(Some(&over)).expect_err(text);
            assert!(k.contains(key), "{text}: {k}");
        }
    }
}
