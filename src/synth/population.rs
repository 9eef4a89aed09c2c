//! Resident population by ward x 5-year age band x sex x ethnic group. Every ward shares one London-like
//! age/sex structure and every ethnic group within a ward has that same structure (only the ethnic shares
//! vary by ward), so a victimisation rate ratio planted between two groups holds exactly in expectation.

use super::data::{ETHNIC_GROUPS, GenData, SEXES};
use super::rng::{self, streams};

pub const N_ETH: usize = ETHNIC_GROUPS.len();

#[derive(Debug, Clone)]
pub struct Population {
    /// cells[ward][band][sex][ethnic group]
    pub cells: Vec<Vec<[[u64; N_ETH]; 2]>>,
    /// Ethnic shares used for each ward (sum to 1).
    pub ethnic_shares: Vec<[f64; N_ETH]>,
}

impl Population {
    pub fn build(seed: u64, n_wards: usize, scale: u32, data: &GenData) -> Population {
        let p = &data.params;
        let mut r = rng::stream(seed, streams::POPULATION);
        let lo = p.ward_min_residents + 0.15 * (p.ward_max_residents - p.ward_min_residents);
        let hi = p.ward_max_residents - 0.15 * (p.ward_max_residents - p.ward_min_residents);
        let raw: Vec<f64> = (0..n_wards).map(|_| rng::uniform(&mut r, lo, hi)).collect();
        let target = p.residents_per_scale * f64::from(scale.max(1));
        let factor = target / raw.iter().sum::<f64>();
        let totals: Vec<f64> =
            raw.iter().map(|t| (t * factor).clamp(p.ward_min_residents + 50.0, p.ward_max_residents - 50.0)).collect();
        let band_total: f64 = data.bands.iter().map(|b| b.share).sum();
        let mut cells = Vec::with_capacity(n_wards);
        let mut ethnic_shares = Vec::with_capacity(n_wards);
        for &total in &totals {
            let mut eth = [0.0; N_ETH];
            for (e, g) in data.ethnic.iter().enumerate() {
                eth[e] = rng::uniform(&mut r, g.min_share, g.max_share);
            }
            let s: f64 = eth.iter().sum();
            eth.iter_mut().for_each(|x| *x /= s);
            let ward: Vec<[[u64; N_ETH]; 2]> = data
                .bands
                .iter()
                .map(|b| {
                    let mut by_sex = [[0u64; N_ETH]; 2];
                    for (s, row) in by_sex.iter_mut().enumerate() {
                        let sex_share = if s == 0 { b.male_share } else { 1.0 - b.male_share };
                        for (e, v) in row.iter_mut().enumerate() {
                            *v = (total * b.share / band_total * sex_share * eth[e]).round() as u64;
                        }
                    }
                    by_sex
                })
                .collect();
            cells.push(ward);
            ethnic_shares.push(eth);
        }
        Population { cells, ethnic_shares }
    }

    pub fn ward_total(&self, w: usize) -> u64 {
        self.cells[w].iter().flatten().flatten().sum()
    }

    pub fn total(&self) -> u64 {
        (0..self.cells.len()).map(|w| self.ward_total(w)).sum()
    }

    /// Borough-wide residents in one band x sex x group cell.
    pub fn borough_cell(&self, band: usize, sex: usize, eth: usize) -> u64 {
        self.cells.iter().map(|w| w[band][sex][eth]).sum()
    }

    /// Residents of ethnic group `eth` in the first `bands` age bands.
    pub fn group_in_bands(&self, eth: usize, bands: usize) -> u64 {
        self.cells.iter().map(|w| w[..bands].iter().map(|b| b[0][eth] + b[1][eth]).sum::<u64>()).sum()
    }

    /// Long-format rows: area_code, age_band, sex, ethnic_group, population.
    pub fn rows(&self, ward_codes: &[String], data: &GenData) -> Vec<Vec<String>> {
        let mut out = Vec::new();
        for (w, ward) in self.cells.iter().enumerate() {
            for (b, band) in ward.iter().enumerate() {
                for (s, row) in band.iter().enumerate() {
                    for (e, v) in row.iter().enumerate() {
                        out.push(vec![
                            ward_codes[w].clone(),
                            data.bands[b].label.clone(),
                            SEXES[s].to_string(),
                            ETHNIC_GROUPS[e].to_string(),
                            v.to_string(),
                        ]);
                    }
                }
            }
        }
        out
    }
}
