//! Integration tests: drive the real `sna` binary end to end. One test binary (modules below) so polars
//! is linked once.

mod analysis_time;
mod bad_inputs;
mod analysis_partners;
mod analysis_periods;
mod analysis_people;
mod analysis_place;
mod cli_errors;
mod demo_end_to_end;
mod disclosure_check;
mod hostile_inputs;
mod init;
mod keys_and_stages;
mod police_export_styles;
mod public_tier;
mod real_extracts;
mod real_public_data;
mod report_charts;
mod report_maps;
mod report_findings;
mod report_tables;
mod rerun_ownership;
mod support;
mod validate;
