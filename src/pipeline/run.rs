//! Orchestration: the three stages, each reading only what the previous one wrote to disk, each
//! announcing itself and recording what it did in the manifest.

use super::config::{DefinitionRef, KeySource, Pipeline, WardSource};
use super::manifest::{manifest_path, sha256_file, Manifest, COMPLETE, RUNNING};
use super::out_folder::{self, PipelineIdentity};
use super::run_id;
use crate::analysis::{run_analysis, AnalysisSettings};
use crate::definition::Definition;
use crate::dictionary::Registry;
use crate::error::{Result, SnaError};
use crate::geo::{AreaFilter, Geography, Lsoa11Lookup, LsoaLookup, WardSet};
use crate::ingest::pseudonymise::{Pseudonymiser, DEMO_KEY};
use crate::ingest::losses::Warning;
use crate::ingest::{ingest_all, IngestContext, SourceInput};
use crate::output_journal::{begin_stage, StageOutputs};
use crate::progress::Progress;
use crate::report::{run_report, ReportSettings};
use serde_json::json;
use std::path::Path;
use std::time::Instant;

/// The stages, as named in the manifest's `stages` and the output journals.
pub const INGEST: &str = "ingest";
pub const ANALYSE: &str = "analyse";
pub const REPORT: &str = "report";

/// Pseudonymised into the run id's key fingerprint (see [`run_id::for_ingest`]).
const KEY_FINGERPRINT_LABEL: &str = "sna run id";

fn pseudonymiser(p: &Pipeline, progress: &Progress) -> Result<(Pseudonymiser, String)> {
    let (key, described) = match &p.privacy.key {
        KeySource::Env(var) => match std::env::var(var) {
            Ok(v) if !v.trim().is_empty() => (v.trim().as_bytes().to_vec(), format!("environment variable {var}")),
            Ok(_) => {
                return Err(SnaError::Usage(format!(
                    "{}: [privacy] pseudonym_key_env: environment variable {var} is set but blank (only spaces); set it to a secret of at least 16 characters",
                    p.origin
                )))
            }
            Err(_) => {
                return Err(SnaError::Usage(format!(
                    "{}: [privacy] pseudonym_key_env: environment variable {var} is not set; set it to a secret of at least 16 characters, kept out of the repository",
                    p.origin
                )))
            }
        },
        KeySource::File(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| SnaError::io(format!("pseudonym key file {}", path.display()), e))?;
            (text.trim().as_bytes().to_vec(), format!("key file {}", path.display()))
        }
        KeySource::Demo => {
            progress.say("  note: using the public demo pseudonym key; synthetic data only, never real data");
            (DEMO_KEY.as_bytes().to_vec(), "demo key (public; synthetic data only)".to_string())
        }
    };
    let p = Pseudonymiser::new(&key).map_err(|m| SnaError::Usage(format!("pseudonym key: {m}")))?;
    Ok((p, described))
}

fn load_geography(p: &Pipeline) -> Result<Geography> {
    let g = &p.geography;
    let filter = g.area_filter.as_ref().map(|f| AreaFilter { property: f.property.clone(), equals: f.equals.clone() });
    let lsoa = g.lsoa_lookup.as_ref().map(LsoaLookup::from_csv_path).transpose()?;
    let wards = match (&g.wards, &lsoa) {
        (WardSource::Boundaries { path, code_property, name_property }, _) => {
            WardSet::from_geojson_path(path, code_property, name_property, filter.as_ref())?
        }
        (WardSource::Lookup { local_authorities }, Some(lookup)) => WardSet::from_lookup(lookup, local_authorities)?,
        (WardSource::Lookup { .. }, None) => return Err(SnaError::Usage("[geography] local_authorities needs lsoa_lookup".into())),
    };
    let lsoa11 = g.lsoa11_lookup.as_ref().map(Lsoa11Lookup::from_csv_path).transpose()?;
    Ok(Geography::new(wards, lsoa, lsoa11))
}

fn definition(p: &Pipeline, registry: &Registry) -> Result<Definition> {
    let ho = registry
        .seeds
        .get("ho_codes")
        .ok_or_else(|| SnaError::Usage("seed table ho_codes is missing".into()))?;
    Ok(match &p.definition {
        DefinitionRef::Preset(name) => Definition::from_preset(name, ho)?,
        DefinitionRef::File(path) => Definition::from_path(path, ho)?,
    })
}

fn rel(p: &Pipeline, path: &Path) -> String {
    path.strip_prefix(&p.base_dir).unwrap_or(path).display().to_string()
}

fn file_entry(p: &Pipeline, path: &Path) -> Result<serde_json::Value> {
    let sha = sha256_file(path).map_err(|e| SnaError::io(format!("hashing {}", path.display()), e))?;
    Ok(json!({ "path": rel(p, path), "sha256": sha }))
}

/// What ingest found wrong with the inputs: warnings, and the sources that staged nothing.
pub struct IngestVerdict {
    pub warnings: Vec<Warning>,
    /// Why each source that staged nothing did so.
    pub empty: Vec<String>,
}

impl IngestVerdict {
    /// Fails when a source staged nothing, or (`strict`) on any warning.
    pub fn check(&self, strict: bool) -> Result<()> {
        if !self.empty.is_empty() {
            return Err(SnaError::Ingest(crate::ingest::IngestError::NothingStaged { sources: self.empty.join("\n  ") }));
        }
        if strict && !self.warnings.is_empty() {
            return Err(SnaError::Ingest(crate::ingest::IngestError::Strict { count: self.warnings.len() }));
        }
        Ok(())
    }
}

/// Stage 1: reference data and every source into `staged/`, quarantine into `rejects/`. Returns the
/// warnings about the inputs; fails when a source staged nothing (or, with `--strict`, on any warning).
pub fn ingest(p: &Pipeline, out: &Path, progress: &Progress) -> Result<Vec<Warning>> {
    let verdict = ingest_stage(p, out, progress)?;
    if let Err(e) = verdict.check(p.strict) {
        print_warnings(&verdict.warnings);
        return Err(e);
    }
    Ok(verdict.warnings)
}

/// Stage 1 without judging the result (see [`IngestVerdict::check`]).
pub fn ingest_stage(p: &Pipeline, out: &Path, progress: &Progress) -> Result<IngestVerdict> {
    let started = Instant::now();
    progress.say(&format!("[1/3] ingest: {} source(s) into {}", p.sources.len(), out.join("staged").display()));
    let registry = Registry::embedded()?;
    // What analyse will need is checked before anything is written, not after a long ingest.
    definition(p, &registry)?;
    if let Some(w) = &p.analysis.harm_weights {
        crate::analysis::place_harm::load_weights(Path::new(w)).map_err(|m| SnaError::Usage(format!("[analysis] harm_weights: {m}")))?;
    }
    let (pseudonymiser, key_described) = pseudonymiser(p, progress)?;
    let dictionary_hashes: Vec<(String, String)> =
        p.sources.iter().filter_map(|s| registry.get(&s.name).ok().map(|d| (s.name.clone(), d.hash.clone()))).collect();
    let run_id = run_id::for_ingest(p, &dictionary_hashes, &pseudonymiser.pseudonym(KEY_FINGERPRINT_LABEL))?;
    let geography = load_geography(p)?;
    let ctx = IngestContext { geography: &geography, pseudonymiser: &pseudonymiser, progress: *progress, base_dir: &p.base_dir, settings: p.ingest, run_id: &run_id };
    let inputs: Vec<SourceInput> = p
        .sources
        .iter()
        .map(|s| SourceInput { name: s.name.clone(), files: s.files.clone() })
        .collect();
    // Swapped coordinate columns stop the run while the folder still holds the earlier run untouched.
    crate::ingest::coordinate_check::check_coordinates(&ctx, &registry, &inputs)?;

    // From here on the folder changes: the earlier run's staged files go, and a new manifest says so.
    let _outputs = begin(out, INGEST)?;
    let mut m = Manifest::start(&run_id);
    m.set("pipeline", pipeline_section(p));
    m.set_stage(INGEST, RUNNING);
    write_manifest(&m, out)?;

    let reference = crate::ingest::reference::stage_reference(p, &geography, out, &run_id)?;
    let reports = ingest_all(&ctx, &registry, &inputs, out)?;

    let mut reference_files = Vec::new();
    if let WardSource::Boundaries { path, .. } = &p.geography.wards {
        reference_files.push(file_entry(p, path)?);
    }
    for f in p.geography.lsoa_lookup.iter().chain(p.geography.lsoa11_lookup.iter()) {
        reference_files.push(file_entry(p, f)?);
    }
    for f in &p.population {
        reference_files.push(file_entry(p, &f.path)?);
    }
    let dictionaries: serde_json::Map<String, serde_json::Value> = dictionary_hashes.into_iter().map(|(n, h)| (n, json!(h))).collect();
    m.set("dictionaries_sha256", serde_json::Value::Object(dictionaries));
    let mut reference_json = serde_json::to_value(&reference).unwrap_or_default();
    if let Some(obj) = reference_json.as_object_mut() {
        obj.insert("files".into(), json!(reference_files));
    }
    m.set("reference", reference_json);
    m.set("pseudonym_key", json!(key_described));
    m.set("sources", serde_json::to_value(&reports).unwrap_or_default());
    let warnings: Vec<Warning> = reports.iter().flat_map(|r| r.warnings.iter().cloned()).collect();
    m.set("warnings", json!(warnings));
    let rejected: u64 = reports.iter().map(|r| r.rows_rejected).sum();
    let read: u64 = reports.iter().map(|r| r.rows_read).sum();
    m.set_timing(INGEST, started.elapsed().as_secs_f64());
    m.set_stage(INGEST, COMPLETE);
    write_manifest(&m, out)?;
    progress.say(&format!(
        "  ingest done: {read} rows read, {rejected} quarantined (see {}); run {run_id}",
        out.join("rejects").display()
    ));
    let empty: Vec<String> = reports.iter().filter_map(|r| r.nothing_staged.clone()).collect();
    Ok(IngestVerdict { warnings, empty })
}

/// The manifest's account of the pipeline; `origin_absolute` tells a rerun of the same file from another
/// pipeline's run (see [`super::out_folder`]).
fn pipeline_section(p: &Pipeline) -> serde_json::Value {
    json!({
        "name": p.name, "area": p.area, "origin": p.origin,
        "origin_absolute": PipelineIdentity::of(p).origin,
        "sha256": hex::encode(<sha2::Sha256 as sha2::Digest>::digest(p.text.as_bytes())),
        "period": p.period, "previous_periods": p.previous,
    })
}

fn write_manifest(m: &Manifest, out: &Path) -> Result<()> {
    let path = manifest_path(out);
    m.write(out).map_err(|e| SnaError::io(format!("writing {}", path.display()), e))
}

/// Start `stage`'s outputs in `out`: its earlier files are removed and this run's listed as written.
fn begin(out: &Path, stage: &str) -> Result<StageOutputs> {
    begin_stage(out, stage).map_err(|e| SnaError::io(format!("{stage}: clearing its earlier outputs in {}", out.display()), e))
}

/// Warnings go to stderr whatever `--quiet` says: they are about the results, not progress.
fn print_warnings(warnings: &[Warning]) {
    if warnings.is_empty() {
        return;
    }
    eprintln!("{} warning(s) about the inputs (also in manifest.json and at the top of report/summary.md):", warnings.len());
    for w in warnings {
        eprintln!("  warning: {}", w.message);
    }
}


/// Stage 2: staged Parquet into `tables/`, continuing the run ingest recorded in the manifest.
pub fn analyse(p: &Pipeline, out: &Path, progress: &Progress) -> Result<()> {
    let started = Instant::now();
    let registry = Registry::embedded()?;
    let def = definition(p, &registry)?;
    progress.say(&format!("[2/3] analyse: definition {} ({}), period {}", def.name(), def.short_hash(), p.period.label()));
    let mut m = Manifest::continue_run(out, INGEST)?;
    let run_id = m.run_id().unwrap_or_default().to_string();
    run_id::check_folder(&out.join("staged"), &run_id, &manifest_path(out), INGEST)?;

    let _outputs = begin(out, ANALYSE)?;
    m.forget_stage(ANALYSE, &["definition", "analysis"]);
    m.forget_stage(REPORT, &["report"]);
    m.set_stage(ANALYSE, RUNNING);
    write_manifest(&m, out)?;
    let summary = run_analysis(
        out,
        &AnalysisSettings { definition: &def, period: p.period, previous: &p.previous, options: &p.analysis, run_id: &run_id },
    )?;
    m.set(
        "definition",
        json!({ "name": def.name(), "version": def.file.definition.version, "sha256": def.sha256, "origin": def.origin }),
    );
    m.set("analysis", json!({ "options": p.analysis, "tables": summary.tables }));
    m.set_timing(ANALYSE, started.elapsed().as_secs_f64());
    m.set_stage(ANALYSE, COMPLETE);
    write_manifest(&m, out)?;
    progress.say(&format!("  analyse done: {} tables in {}", summary.tables.len(), out.join("tables").display()));
    Ok(())
}

/// Stage 3: tables into charts and the summary. Refuses tables or staged files of another run than the
/// manifest's (copied in, or left by a run that stopped half-way).
pub fn report(p: &Pipeline, out: &Path, progress: &Progress) -> Result<()> {
    let started = Instant::now();
    progress.say("[3/3] report: charts and summary");
    let registry = Registry::embedded()?;
    let def = definition(p, &registry)?;
    let mut m = Manifest::continue_run(out, ANALYSE)?;
    let run_id = m.run_id().unwrap_or_default().to_string();
    let manifest = manifest_path(out);
    run_id::check_folder(&out.join("staged"), &run_id, &manifest, INGEST)?;
    run_id::check_folder(&out.join("tables"), &run_id, &manifest, ANALYSE)?;

    let _outputs = begin(out, REPORT)?;
    m.forget_stage(REPORT, &["report"]);
    m.set_stage(REPORT, RUNNING);
    write_manifest(&m, out)?;
    let written = run_report(out, &ReportSettings { pipeline: p, definition: &def, run_id: &run_id })?;
    m.set("report", json!({ "files": written }));
    m.set_timing(REPORT, started.elapsed().as_secs_f64());
    m.set_stage(REPORT, COMPLETE);
    write_manifest(&m, out)?;
    progress.say(&format!("  report done: {}", out.join("report").join("summary.md").display()));
    Ok(())
}

/// Whether `p`'s run may write into `out` (see [`super::out_folder::claim`]).
pub fn claim(p: &Pipeline, out: &Path, force: bool) -> Result<()> {
    Ok(out_folder::claim(out, &PipelineIdentity::of(p), force)?)
}

/// `sna run`: the three stages into `out` (see [`claim`] for which folders it refuses).
pub fn run_all(p: &Pipeline, out: &Path, progress: &Progress, force: bool) -> Result<()> {
    claim(p, out, force)?;
    let warnings = ingest(p, out, progress)?;
    analyse(p, out, progress)?;
    report(p, out, progress)?;
    // Repeated at the end, where the analyst looks once the run is over.
    print_warnings(&warnings);
    Ok(())
}

/// `sna ingest` alone: the stage, then its warnings.
pub fn ingest_only(p: &Pipeline, out: &Path, progress: &Progress, force: bool) -> Result<()> {
    claim(p, out, force)?;
    let warnings = ingest(p, out, progress)?;
    print_warnings(&warnings);
    Ok(())
}

/// `sna analyse` alone.
pub fn analyse_only(p: &Pipeline, out: &Path, progress: &Progress, force: bool) -> Result<()> {
    claim(p, out, force)?;
    analyse(p, out, progress)
}

/// `sna report` alone.
pub fn report_only(p: &Pipeline, out: &Path, progress: &Progress, force: bool) -> Result<()> {
    claim(p, out, force)?;
    report(p, out, progress)
}
