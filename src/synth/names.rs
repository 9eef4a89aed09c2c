//! Invented English-sounding ward names from the syllables in `seeds/synth/ward_syllables.csv`.

use std::collections::BTreeSet;

use rand::Rng;

use super::data::Syllables;
use super::error::SynthError;
use super::rng::{self, streams};

/// `n` unique ward names, e.g. "Ashford", "North Kelbury", "Thornwick Green".
pub fn ward_names(seed: u64, n: usize, syl: &Syllables) -> Result<Vec<String>, SynthError> {
    let mut r = rng::stream(seed, streams::NAMES);
    let mut bases: BTreeSet<String> = BTreeSet::new();
    let mut names: BTreeSet<String> = BTreeSet::new();
    let mut out = Vec::with_capacity(n);
    let capacity = syl.stems.len() * syl.endings.len();
    for _ in 0..n * 1000 + 10_000 {
        if out.len() == n {
            break;
        }
        let stem = &syl.stems[r.random_range(0..syl.stems.len())];
        let ending = &syl.endings[r.random_range(0..syl.endings.len())];
        let stem_l = stem.to_lowercase();
        // Avoid "Wickwick" and triple letters such as "Hallley".
        if stem_l.ends_with(ending.as_str()) || (stem_l.chars().last() == ending.chars().next() && ending.len() < 3) {
            continue;
        }
        let base = format!("{stem}{ending}");
        // Keep bases unique while there are enough of them, so no two wards sound alike.
        if bases.contains(&base) && bases.len() < capacity.saturating_sub(n) {
            continue;
        }
        let roll = rng::unit(&mut r);
        let name = if roll < 0.62 {
            base.clone()
        } else if roll < 0.81 {
            format!("{} {base}", syl.prefixes[r.random_range(0..syl.prefixes.len())])
        } else {
            format!("{base} {}", syl.suffixes[r.random_range(0..syl.suffixes.len())])
        };
        if names.insert(name.clone()) {
            bases.insert(base);
            out.push(name);
        }
    }
    if out.len() != n {
        return Err(SynthError::seed("ward_syllables.csv", format!("cannot make {n} unique ward names")));
    }
    Ok(out)
}
