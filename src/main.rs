//! `sna` command line: parse, call the library, map errors to exit codes (0 ok, 1 run failed, 2 bad usage
//! or bad pipeline file).

use clap::{Parser, Subcommand};
use sna::error::SnaError;
use sna::pipeline::config::Pipeline;
use sna::pipeline::{demo, run};
use sna::progress::Progress;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "sna",
    version,
    about = "Serious Violence Strategic Needs Assessment pipeline",
    long_about = "Turns a Community Safety Partnership's raw extracts (police, ambulance, A&E, youth justice, MARAC, \
exclusions) into validated, pseudonymised Parquet, profile tables with confidence intervals, charts and findings.",
    after_help = "Examples:\n  sna demo --out out/demo\n  sna run pipelines/demo.toml --out out/exampleton\n  sna synth --out data/synthetic --seed 7\n  sna init data/2025\n  sna dictionary police_offences\n  sna validate --source police_offences raw/offences.csv"
)]
struct Cli {
    /// No progress or stage messages (errors are still printed)
    #[arg(long, short, global = true)]
    quiet: bool,
    /// Fail (exit 1) on any warning about the inputs: a source mostly quarantined, a field mostly unreadable,
    /// times or locations mostly missing
    #[arg(long, global = true)]
    strict: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generate the synthetic borough and run ingest, analyse and report on it
    #[command(after_help = "Example:\n  sna demo --out out/demo --seed 42")]
    Demo {
        /// Output folder (the synthetic input goes in OUT/input)
        #[arg(long, default_value = "out/demo")]
        out: PathBuf,
        /// Random seed for the synthetic borough
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Write even into a folder holding another pipeline's run (its outputs are replaced)
        #[arg(long)]
        force: bool,
    },
    /// Run ingest, analyse and report for a pipeline file
    #[command(
        after_help = "A rerun into the same folder replaces exactly the files the earlier run wrote (files you put there \
survive). Refused (exit 1): --out / or the home folder, a file, a folder holding files sna did not write, and a folder \
holding another pipeline's run (unless --force).\n\nExample:\n  sna run pipelines/exampleton.toml --out out/exampleton-2025"
    )]
    Run {
        pipeline: PathBuf,
        /// Output folder (default: the pipeline's [output] dir)
        #[arg(long)]
        out: Option<PathBuf>,
        /// Write even into a folder holding another pipeline's run (its outputs are replaced)
        #[arg(long)]
        force: bool,
    },
    /// Stage 1: raw extracts into staged/ Parquet, rejects/ and manifest.json
    Ingest {
        pipeline: PathBuf,
        #[arg(long)]
        out: Option<PathBuf>,
        /// Write even into a folder holding another pipeline's run (its outputs are replaced)
        #[arg(long)]
        force: bool,
    },
    /// Stage 2: staged Parquet into tables/
    Analyse {
        pipeline: PathBuf,
        #[arg(long)]
        out: Option<PathBuf>,
        /// Write even into a folder holding another pipeline's run (its outputs are replaced)
        #[arg(long)]
        force: bool,
    },
    /// Stage 3: tables into charts/ and report/
    Report {
        pipeline: PathBuf,
        #[arg(long)]
        out: Option<PathBuf>,
        /// Write even into a folder holding another pipeline's run (its outputs are replaced)
        #[arg(long)]
        force: bool,
    },
    /// Write the synthetic borough's raw extracts, reference data, truth.json and pipeline.toml
    #[command(after_help = "Examples:\n  sna synth --out data/synthetic --seed 7 && sna run data/synthetic/pipeline.toml\n  sna synth --police-style niche --out data/niche && sna run data/niche/pipeline.toml")]
    Synth {
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Multiply wards, residents and offences by K (1 to 200)
        #[arg(long, default_value_t = 1)]
        scale: u32,
        /// How the police tables are exported: `default` (three yearly extracts in three styles) or `niche`
        /// (one Niche/CONNECT all-crime export of offences, victims and suspects, with the force's own headers)
        #[arg(long, value_enum, default_value_t = PoliceStyleArg::Default)]
        police_style: PoliceStyleArg,
        /// Write into OUT even when it is not empty
        #[arg(long)]
        force: bool,
    },
    /// Check extracts against a source's dictionary, or a whole pipeline's sources, and print what would be staged,
    /// quarantined and repaired; writes nothing
    #[command(
        after_help = "Exit code 0 when every file could be read (even with invalid rows), 1 when a file cannot be read \
(empty, or a required column missing) or, with --pipeline, a source would stage nothing; 2 for an unknown source or a \
bad pipeline file (a mapped header the file does not have).\n\nExamples:\n  sna validate --source police_offences raw/police/offences_2024.csv\n  sna validate --source las --sheet Data --json raw/las.xlsx\n  sna validate --pipeline pipelines/exampleton.toml"
    )]
    Validate {
        /// Source name, as listed by `sna dictionary`
        #[arg(long, required_unless_present = "pipeline", conflicts_with = "pipeline")]
        source: Option<String>,
        /// Check every source of a pipeline file with its columns and values mappings instead
        #[arg(long)]
        pipeline: Option<PathBuf>,
        /// Sheet to read from XLSX files (default: the first)
        #[arg(long)]
        sheet: Option<String>,
        /// Print the report as JSON
        #[arg(long)]
        json: bool,
        #[arg(required_unless_present = "pipeline")]
        files: Vec<PathBuf>,
    },
    /// Say which source each extract below a folder is and write a commented pipeline file
    #[command(
        after_help = "Looks at every CSV and XLSX file below FOLDER (and GeoJSON ward boundaries), matches its headers \
against every source's dictionary, and writes a pipeline file with `columns` proposed for renamed headers and TODOs \
for what it could not find. Exit code 0 when a pipeline was written (even with TODOs), 1 when no file was recognised, \
2 for bad usage.\n\nExamples:\n  sna init data/2025\n  sna init data/2025 --out pipelines/exampleton-2025.toml\n  \
sna init data/2025 --force && sna validate --pipeline data/2025/pipeline.toml"
    )]
    Init {
        /// The folder holding the extracts and reference files (searched recursively)
        folder: PathBuf,
        /// The pipeline file to write (default FOLDER/pipeline.toml); paths in it are relative to its folder
        #[arg(long)]
        out: Option<PathBuf>,
        /// Overwrite the pipeline file if it exists
        #[arg(long)]
        force: bool,
    },
    /// Print a source's data dictionary (no name: list the sources)
    #[command(after_help = "Example:\n  sna dictionary police_victims")]
    Dictionary { name: Option<String> },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum PoliceStyleArg {
    Default,
    Niche,
}

impl From<PoliceStyleArg> for sna::synth::PoliceStyle {
    fn from(a: PoliceStyleArg) -> Self {
        match a {
            PoliceStyleArg::Default => sna::synth::PoliceStyle::Default,
            PoliceStyleArg::Niche => sna::synth::PoliceStyle::Niche,
        }
    }
}

fn load(path: &Path, out: &Option<PathBuf>, strict: bool) -> Result<(Pipeline, PathBuf), SnaError> {
    let mut p = Pipeline::from_path(path)?;
    p.strict = strict;
    let dir = out.clone().unwrap_or_else(|| p.output_dir.clone());
    Ok((p, dir))
}

fn dictionary(name: Option<String>) -> Result<(), SnaError> {
    let registry = sna::dictionary::Registry::embedded()?;
    match name {
        None => {
            for (n, d) in &registry.dictionaries {
                println!("{n:<20} {}", d.file.source.title);
            }
        }
        Some(n) => print!("{}", sna::dictionary::print::render(registry.get(&n)?)),
    }
    Ok(())
}

fn validate(source: &str, files: &[PathBuf], sheet: Option<&str>, json: bool) -> Result<(), SnaError> {
    let registry = sna::dictionary::Registry::embedded()?;
    let report = sna::ingest::validate::validate_files(registry.get(source)?, &sna::dictionary::mapping::SourceMapping::default(), files, sheet);
    if json {
        let text = serde_json::to_string_pretty(&report).map_err(|e| SnaError::io("writing the JSON report", std::io::Error::other(e)))?;
        println!("{text}");
    } else {
        print!("{}", sna::ingest::validate::render_text(&report));
    }
    // Files with invalid rows are still readable: only an unreadable file fails the command.
    match report.failure() {
        Some(e) => Err(e.into()),
        None => Ok(()),
    }
}

fn init(folder: PathBuf, out: Option<PathBuf>, force: bool) -> Result<(), SnaError> {
    let outcome = sna::pipeline::init::init(&sna::pipeline::init::InitOptions { folder: folder.clone(), out, force })?;
    print!("{}", outcome.summary);
    match outcome.written {
        Some(_) => Ok(()),
        None => Err(sna::pipeline::init::InitError::NothingRecognised { folder: folder.display().to_string() }.into()),
    }
}

fn execute(cli: Cli) -> Result<(), SnaError> {
    let progress = Progress::new(cli.quiet);
    match cli.command {
        Command::Demo { out, seed, force } => demo::demo(&out, seed, &progress, force),
        Command::Run { pipeline, out, force } => {
            let (p, dir) = load(&pipeline, &out, cli.strict)?;
            run::run_all(&p, &dir, &progress, force)
        }
        Command::Ingest { pipeline, out, force } => {
            let (p, dir) = load(&pipeline, &out, cli.strict)?;
            run::ingest_only(&p, &dir, &progress, force)
        }
        Command::Analyse { pipeline, out, force } => {
            let (p, dir) = load(&pipeline, &out, cli.strict)?;
            run::analyse_only(&p, &dir, &progress, force)
        }
        Command::Report { pipeline, out, force } => {
            let (p, dir) = load(&pipeline, &out, cli.strict)?;
            run::report_only(&p, &dir, &progress, force)
        }
        Command::Synth { out, seed, scale, police_style, force } => demo::synthesise(&out, seed, scale, police_style.into(), &progress, force),
        Command::Validate { pipeline: Some(path), .. } => {
            let (p, dir) = load(&path, &None, cli.strict)?;
            sna::pipeline::check::check_pipeline(&p, &dir)
        }
        Command::Validate { source, sheet, json, files, .. } => validate(source.as_deref().unwrap_or_default(), &files, sheet.as_deref(), json),
        Command::Init { folder, out, force } => init(folder, out, force),
        Command::Dictionary { name } => dictionary(name),
    }
}

fn main() -> ExitCode {
    sna::allocator::keep_freed_memory();
    let cli = Cli::parse();
    match execute(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", sna::error::printable(&e.to_string()));
            ExitCode::from(e.exit_code() as u8)
        }
    }
}
