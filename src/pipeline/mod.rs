//! The pipeline file, the orchestration of the three stages, and the run manifest.

pub mod analysis_options;
pub mod check;
pub mod config;
pub mod demo;
pub mod init;
pub mod manifest;
pub mod out_folder;
pub mod run;
pub mod run_id;
