//! Chart rendering for the `report` stage.
//!
//! Every chart is drawn with the DejaVu Sans fonts embedded by the `dejavu` crate, registered
//! with plotters under the family name `"sans-serif"` (see [`ensure_fonts_registered`]); no
//! system fonts are ever consulted. Output files are written atomically (temporary sibling,
//! then rename) and are byte-for-byte deterministic for identical input.

mod error;
mod fonts;
pub mod palette;
mod ward_bars;

pub use error::ChartError;
pub use fonts::{FONT_FAMILY, ensure_fonts_registered};
pub use ward_bars::{WardBar, WardBarChart, render_ward_bars};
pub mod common;
pub mod heatmap;
pub mod series;
pub mod group_rates;
pub mod lorenz;
pub mod funnel;
