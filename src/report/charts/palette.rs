//! The colours used by every chart: the Okabe-Ito colour-blind-safe palette plus neutrals.
//!
//! Okabe, M. and Ito, K. (2008) "Color Universal Design". The eight colours stay
//! distinguishable under the common forms of colour-vision deficiency.

use plotters::style::RGBColor;

/// Okabe-Ito black.
pub const BLACK: RGBColor = RGBColor(0, 0, 0);
/// Okabe-Ito orange.
pub const ORANGE: RGBColor = RGBColor(230, 159, 0);
/// Okabe-Ito sky blue.
pub const SKY_BLUE: RGBColor = RGBColor(86, 180, 233);
/// Okabe-Ito bluish green.
pub const BLUISH_GREEN: RGBColor = RGBColor(0, 158, 115);
/// Okabe-Ito yellow.
pub const YELLOW: RGBColor = RGBColor(240, 228, 66);
/// Okabe-Ito blue.
pub const BLUE: RGBColor = RGBColor(0, 114, 178);
/// Okabe-Ito vermillion.
pub const VERMILLION: RGBColor = RGBColor(213, 94, 0);
/// Okabe-Ito reddish purple.
pub const REDDISH_PURPLE: RGBColor = RGBColor(204, 121, 167);

/// The eight Okabe-Ito colours in their conventional order, for categorical series.
pub const CATEGORICAL: [RGBColor; 8] = [
    BLACK,
    ORANGE,
    SKY_BLUE,
    BLUISH_GREEN,
    YELLOW,
    BLUE,
    VERMILLION,
    REDDISH_PURPLE,
];

/// Chart background.
pub const BACKGROUND: RGBColor = RGBColor(255, 255, 255);
/// Titles, labels and other primary text.
pub const TEXT: RGBColor = RGBColor(33, 33, 33);
/// Subtitles, captions and value labels.
pub const TEXT_MUTED: RGBColor = RGBColor(85, 85, 85);
/// Axis lines and tick marks.
pub const AXIS: RGBColor = RGBColor(110, 110, 110);
/// Light grid lines behind the data.
pub const GRID: RGBColor = RGBColor(221, 221, 221);
/// Alternate-row banding behind long category lists.
pub const BAND: RGBColor = RGBColor(244, 244, 244);

/// Fill of the bars in a ranked bar chart.
pub const BAR_FILL: RGBColor = SKY_BLUE;
/// Outline of the bars in a ranked bar chart.
pub const BAR_EDGE: RGBColor = BLUE;
/// Confidence-interval whiskers.
pub const WHISKER: RGBColor = BLACK;
/// Reference lines such as the whole-area rate.
pub const REFERENCE: RGBColor = VERMILLION;
