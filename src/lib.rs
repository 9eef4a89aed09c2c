//! sna: Serious Violence Strategic Needs Assessment pipeline.
//!
//! Three stages, each reading only what the previous one wrote to disk:
//! `ingest` (raw extracts -> validated, pseudonymised Parquet), `analyse` (Parquet -> profile tables with
//! statistics) and `report` (tables -> charts, findings, summary). `synth` builds a synthetic borough.

pub mod allocator;
pub mod analysis;
pub mod definition;
pub mod dictionary;
pub mod embedded;
pub mod error;
pub mod formula_cells;
pub mod fsutil;
pub mod geo;
pub mod ingest;
pub mod number_format;
pub mod personal_data;
pub mod output_journal;
pub mod path_error;
pub mod pipeline;
pub mod progress;
pub mod report;
pub mod stats;
pub mod step_timer;
pub mod synth;
pub mod table_io;

/// mimalloc instead of the system allocator: ingest and analysis allocate many small strings, and glibc's
/// malloc/free took close to half of ingest's time in profiles (scale 10: ingest 23.6 s -> 9.5 s, analyse
/// 10.4 s -> 5.9 s, identical outputs). Tuned in [`allocator`].
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
