//! Seeded random streams. Every component draws from its own ChaCha8 stream derived from the user seed and a
//! component constant, so adding draws to one component never shifts another; fine-grained streams (one per
//! ward edge, one per retry) are keyed by mixing extra integers into the seed.

use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub type SynthRng = ChaCha8Rng;

/// Component constants (arbitrary, fixed forever: changing one changes that component's output).
pub mod streams {
    pub const GEOMETRY: u64 = 0x4745_4F4D_0000_0001;
    pub const EDGES: u64 = 0x4544_4745_0000_0002;
    pub const NAMES: u64 = 0x4E41_4D45_0000_0003;
    pub const POPULATION: u64 = 0x504F_5055_0000_0004;
    pub const OFFENCES: u64 = 0x4F46_4645_0000_0005;
    pub const PEOPLE: u64 = 0x5045_4F50_0000_0006;
    pub const OUTCOMES: u64 = 0x4F55_5443_0000_0007;
    pub const BAD_ROWS: u64 = 0x4241_4452_0000_0008;
    pub const REFS: u64 = 0x5245_4653_0000_0009;
    pub const STREAM_EXTRACT: u64 = 0x5354_524D_0000_000A;
    pub const LSOAS: u64 = 0x4C53_4F41_0000_000B;
    pub const LAS: u64 = 0x4C41_5300_0000_000C;
    pub const AE: u64 = 0x4145_0000_0000_000D;
    pub const YOT: u64 = 0x594F_5400_0000_000E;
    pub const MARAC: u64 = 0x4D41_5241_0000_000F;
    pub const EXCLUSIONS: u64 = 0x4558_434C_0000_0010;
    pub const PARTNER_BAD_ROWS: u64 = 0x5042_4144_0000_0011;
    /// The other notifiable offences of a Niche-style export.
    pub const OTHER_OFFENCES: u64 = 0x4F54_4852_0000_0012;
    /// Occurrence numbers of a Niche-style export.
    pub const NICHE: u64 = 0x4E49_4348_0000_0013;
}

/// SplitMix64 finaliser: a cheap, well-mixed bijection on u64.
pub fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The stream for one component.
pub fn stream(seed: u64, component: u64) -> SynthRng {
    ChaCha8Rng::seed_from_u64(seed ^ component)
}

/// A stream keyed by extra integers (e.g. the two vertex ids of an edge).
pub fn keyed(seed: u64, component: u64, keys: &[u64]) -> SynthRng {
    let mut h = mix64(seed ^ component);
    for &k in keys {
        h = mix64(h ^ mix64(k));
    }
    ChaCha8Rng::seed_from_u64(h)
}

/// Uniform in [0, 1) with 32 random bits (plenty here, and half the ChaCha output of a 53-bit draw: the
/// generator also runs unoptimised in tests).
pub fn unit(rng: &mut SynthRng) -> f64 {
    f64::from(rng.next_u32()) * (1.0 / 4_294_967_296.0)
}

pub fn uniform(rng: &mut SynthRng, lo: f64, hi: f64) -> f64 {
    lo + (hi - lo) * unit(rng)
}

pub fn chance(rng: &mut SynthRng, p: f64) -> bool {
    unit(rng) < p
}

/// Uniform integer in `lo..=hi`.
pub fn int(rng: &mut SynthRng, lo: u64, hi: u64) -> u64 {
    if hi <= lo { lo } else { rng.random_range(lo..=hi) }
}

/// A discrete distribution over `0..n` by cumulative weights (binary search), deterministic and cheap.
#[derive(Debug, Clone)]
pub struct Weighted {
    cumulative: Vec<f64>,
}

impl Weighted {
    /// `None` when there is no positive weight.
    pub fn new(weights: impl IntoIterator<Item = f64>) -> Option<Weighted> {
        let mut total = 0.0;
        let cumulative: Vec<f64> = weights
            .into_iter()
            .map(|w| {
                total += if w.is_finite() && w > 0.0 { w } else { 0.0 };
                total
            })
            .collect();
        (total > 0.0).then_some(Weighted { cumulative })
    }

    pub fn total(&self) -> f64 {
        self.cumulative.last().copied().unwrap_or(0.0)
    }

    /// Cumulative weight up to and including item `i`.
    pub fn cumulative_at(&self, i: usize) -> f64 {
        self.cumulative.get(i).copied().unwrap_or_else(|| self.total())
    }

    pub fn sample(&self, rng: &mut SynthRng) -> usize {
        let u = unit(rng) * self.total();
        let i = self.cumulative.partition_point(|&c| c <= u);
        i.min(self.cumulative.len() - 1)
    }
}

/// Pick from a weighted list of labels.
pub fn pick<'a, T>(rng: &mut SynthRng, items: &'a [(T, f64)]) -> &'a T {
    let total: f64 = items.iter().map(|(_, w)| w.max(0.0)).sum();
    let mut u = unit(rng) * total;
    for (item, w) in items {
        let w = w.max(0.0);
        if u < w {
            return item;
        }
        u -= w;
    }
    &items[items.len() - 1].0
}
