//! Reference geography: ward boundaries, point-in-ward location, LSOA lookups, resolution of extract
//! locations, and ward population denominators. All geometry is held in British National Grid metres.

pub mod contiguity;
pub mod crs;
mod csvread;
pub mod error;
mod cell_grid;
pub mod locator;
pub mod lsoa_lookup;
pub mod population;
pub mod population_ts007a;
pub mod population_ts021;
pub mod resolve;
mod ward_checks;
pub mod wards;

#[cfg(test)]
pub(crate) mod testdata;

pub use crs::{CrsError, bng_to_wgs84, wgs84_to_bng};
pub use error::GeoError;
pub use locator::Locator;
pub use lsoa_lookup::{Lsoa11Lookup, LsoaLookup, WardRef};
pub use population::{ALL, Population, PopulationCell, PopulationLoadReport, age_band_bounds};
pub use resolve::{Geography, LocationStatus, Resolved};
pub use wards::{AreaFilter, Ward, WardSet};
