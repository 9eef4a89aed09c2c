//! Process-wide registration of the embedded DejaVu Sans fonts with plotters.

use std::sync::OnceLock;

use plotters::style::{FontStyle, register_font};

/// The family name every chart uses for its text. It is backed by DejaVu Sans from the
/// `dejavu` crate, never by a system font. SVG output names this family, so SVG viewers
/// substitute their own sans-serif face.
pub const FONT_FAMILY: &str = "sans-serif";

static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();

/// Registers DejaVu Sans regular and bold as the `"sans-serif"` family, exactly once per
/// process. Safe to call from any thread, any number of times; must precede any drawing or
/// text measurement. Returns a description of the failure if the embedded fonts are invalid.
pub fn ensure_fonts_registered() -> Result<(), String> {
    REGISTERED
        .get_or_init(|| {
            register_font(FONT_FAMILY, FontStyle::Normal, dejavu::sans::regular())
                .map_err(|_| "DejaVu Sans regular is not a valid font".to_string())?;
            register_font(FONT_FAMILY, FontStyle::Bold, dejavu::sans::bold())
                .map_err(|_| "DejaVu Sans bold is not a valid font".to_string())?;
            Ok(())
        })
        .clone()
}
