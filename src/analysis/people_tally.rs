//! Counts of one theme's victims or suspects, gathered in a single pass over the person records. Every row
//! of the people tables is a count over the same persons by a different field; counting each field once per
//! pass (by interned label) instead of rescanning the persons for every group keeps the stage linear.

use super::super::records::{OffenceRow, PersonRow, Persons};
use super::{AGE_BANDS, NOT_STATED};

/// Counts of the persons of one theme, role and scope (and age group).
#[derive(Debug, Clone, Default)]
pub struct Tally {
    pub persons: u64,
    /// Persons per `AGE_BANDS` entry, in its order.
    pub by_band: [u64; AGE_BANDS.len()],
    pub unknown_age: u64,
    /// Persons per label of `Persons::labels`, by field.
    pub by_sex: Vec<u64>,
    pub by_group: Vec<u64>,
    pub by_scheme: Vec<u64>,
}

/// The tallies the people tables need for one theme and role.
#[derive(Debug, Clone, Default)]
pub struct ThemeTally {
    pub current: Tally,
    pub current_under25: Tally,
    pub all_periods: Tally,
    pub all_periods_under25: Tally,
}

fn band_index(age: Option<i64>) -> Option<usize> {
    let a = age?;
    AGE_BANDS.iter().position(|(_, lo, hi)| a >= i64::from(*lo) && hi.is_none_or(|h| a <= i64::from(h)))
}

impl Tally {
    fn new(labels: usize) -> Tally {
        Tally { by_sex: vec![0; labels], by_group: vec![0; labels], by_scheme: vec![0; labels], ..Tally::default() }
    }

    fn add(&mut self, p: &PersonRow, band: Option<usize>) {
        self.persons += 1;
        match band {
            Some(b) => self.by_band[b] += 1,
            None if p.age.is_none() => self.unknown_age += 1,
            None => {}
        }
        self.by_sex[p.sex as usize] += 1;
        self.by_group[p.ethnic_group as usize] += 1;
        self.by_scheme[p.scheme as usize] += 1;
    }

    /// Persons in the age band labelled `label`.
    pub fn band(&self, label: &str) -> u64 {
        AGE_BANDS.iter().position(|(l, _, _)| *l == label).map_or(0, |i| self.by_band[i])
    }

    pub fn known_age(&self) -> u64 {
        self.persons - self.unknown_age
    }

    /// Persons whose ethnic group is `group` (trimmed, case-insensitive, as the population compares).
    pub fn group(&self, persons: &Persons, group: &str) -> u64 {
        sum_where(&self.by_group, persons, |l| l.trim().eq_ignore_ascii_case(group))
    }

    pub fn sex(&self, persons: &Persons, sex: &str) -> u64 {
        sum_where(&self.by_sex, persons, |l| l.eq_ignore_ascii_case(sex))
    }

    pub fn scheme(&self, persons: &Persons, scheme: &str) -> u64 {
        sum_where(&self.by_scheme, persons, |l| l.eq_ignore_ascii_case(scheme))
    }

    pub fn not_stated(&self, persons: &Persons) -> u64 {
        self.group(persons, NOT_STATED)
    }
}

fn sum_where(counts: &[u64], persons: &Persons, keep: impl Fn(&str) -> bool) -> u64 {
    counts.iter().enumerate().filter(|(l, _)| keep(persons.label(*l as u32))).map(|(_, c)| c).sum()
}

/// Tallies of the persons whose offence is in `theme`: the current period (index 0) and every configured
/// period (`0..n_periods`), each for all ages and for those aged under 25.
pub fn tally(persons: &Persons, offences: &[OffenceRow], theme: usize, n_periods: usize) -> ThemeTally {
    let labels = persons.labels.len();
    let mut t = ThemeTally {
        current: Tally::new(labels),
        current_under25: Tally::new(labels),
        all_periods: Tally::new(labels),
        all_periods_under25: Tally::new(labels),
    };
    for p in &persons.rows {
        let o = OffenceRow::of(offences, p.offence);
        if !o.in_theme(theme) || usize::try_from(o.period).map_or(true, |i| i >= n_periods) {
            continue;
        }
        let band = band_index(p.age);
        let under25 = p.age.is_some_and(|a| a < 25);
        t.all_periods.add(p, band);
        if under25 {
            t.all_periods_under25.add(p, band);
        }
        if o.period == 0 {
            t.current.add(p, band);
            if under25 {
                t.current_under25.add(p, band);
            }
        }
    }
    t
}
