//! The assessment period from the event dates in the data: the latest financial year the data covers
//! whole, else the latest whole calendar year, else the span of the data; and how many equal periods
//! before it the data covers too (for trends).

use crate::pipeline::config::Period;
use chrono::{Datelike, NaiveDate};
use std::collections::BTreeMap;

/// Exports often stop a few days short of a month's end (or start a few days into one): a month counts as
/// whole when its data reach within this many days of both ends.
const EDGE_DAYS: u32 = 7;
/// Months with data separated by at most this many empty months are one span (school holidays, quiet
/// months); a stray date years away is not.
const MAX_GAP_MONTHS: i32 = 3;
/// At most this many earlier periods are proposed (the contract's default trend depth).
const MAX_PREVIOUS: u32 = 2;

#[derive(Debug, Clone, Copy)]
struct MonthSpan {
    rows: u64,
    first_day: u32,
    last_day: u32,
}

/// Event dates seen, by month.
#[derive(Debug, Clone, Default)]
pub struct Coverage {
    months: BTreeMap<(i32, u32), MonthSpan>,
    pub rows: u64,
}

fn month_days(y: i32, m: u32) -> u32 {
    let next = if m == 12 { NaiveDate::from_ymd_opt(y + 1, 1, 1) } else { NaiveDate::from_ymd_opt(y, m + 1, 1) };
    next.and_then(|n| n.pred_opt()).map_or(28, |d| d.day())
}

impl Coverage {
    /// One event on `d`; a month-precision date (police.uk) stands for its whole month.
    pub fn add(&mut self, d: NaiveDate, month_precision: bool) {
        let (y, m) = (d.year(), d.month());
        let (first, last) = if month_precision { (1, month_days(y, m)) } else { (d.day(), d.day()) };
        let e = self.months.entry((y, m)).or_insert(MonthSpan { rows: 0, first_day: first, last_day: last });
        e.rows += 1;
        e.first_day = e.first_day.min(first);
        e.last_day = e.last_day.max(last);
        self.rows += 1;
    }

    pub fn merge(&mut self, other: &Coverage) {
        for (k, s) in &other.months {
            match self.months.get_mut(k) {
                Some(e) => {
                    e.rows += s.rows;
                    e.first_day = e.first_day.min(s.first_day);
                    e.last_day = e.last_day.max(s.last_day);
                }
                None => {
                    self.months.insert(*k, *s);
                }
            }
        }
        self.rows += other.rows;
    }

    pub fn is_empty(&self) -> bool {
        self.months.is_empty()
    }

    /// Whether every month of `start..=end` has data, the first from near its start, the last to near its end.
    fn covers(&self, start: NaiveDate, end: NaiveDate) -> bool {
        let mut y = start.year();
        let mut m = start.month();
        loop {
            let Some(s) = self.months.get(&(y, m)) else { return false };
            if (y, m) == (start.year(), start.month()) && s.first_day > start.day() + EDGE_DAYS - 1 {
                return false;
            }
            if (y, m) == (end.year(), end.month()) {
                return s.last_day + EDGE_DAYS > end.day();
            }
            (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
            if (y, m) > (end.year(), end.month()) {
                return false;
            }
        }
    }

    /// The span of months with data (gaps of up to [`MAX_GAP_MONTHS`] bridged) holding the most rows:
    /// (first date, last date, rows).
    pub fn main_run(&self) -> Option<(NaiveDate, NaiveDate, u64)> {
        // (first month, last month, rows)
        type Span = ((i32, u32), (i32, u32), u64);
        let mut best: Option<Span> = None;
        let mut cur: Option<Span> = None;
        for (&k, s) in &self.months {
            let c = match cur {
                Some((a, b, n)) if months_between(b, k) <= MAX_GAP_MONTHS + 1 => (a, k, n + s.rows),
                _ => (k, k, s.rows),
            };
            cur = Some(c);
            if best.is_none_or(|b| c.2 > b.2) {
                best = Some(c);
            }
        }
        let (a, b, n) = best?;
        let first = NaiveDate::from_ymd_opt(a.0, a.1, self.months.get(&a)?.first_day)?;
        let last = NaiveDate::from_ymd_opt(b.0, b.1, self.months.get(&b)?.last_day)?;
        Some((first, last, n))
    }

    /// Rows outside [`Coverage::main_run`] (stray or mistyped dates).
    pub fn rows_outside_main_run(&self) -> u64 {
        self.main_run().map_or(0, |(_, _, n)| self.rows.saturating_sub(n))
    }
}

fn months_between(a: (i32, u32), b: (i32, u32)) -> i32 {
    (b.0 - a.0) * 12 + b.1 as i32 - a.1 as i32
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuessKind {
    FinancialYear,
    CalendarYear,
    /// Less than a whole year: the span of the data.
    DataSpan,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Guess {
    pub period: Period,
    pub previous: u32,
    pub kind: GuessKind,
}

fn year_period(kind: GuessKind, y: i32) -> Option<Period> {
    match kind {
        GuessKind::FinancialYear => Some(Period { start: NaiveDate::from_ymd_opt(y, 4, 1)?, end: NaiveDate::from_ymd_opt(y + 1, 3, 31)? }),
        GuessKind::CalendarYear => Some(Period { start: NaiveDate::from_ymd_opt(y, 1, 1)?, end: NaiveDate::from_ymd_opt(y, 12, 31)? }),
        GuessKind::DataSpan => None,
    }
}

/// The latest whole financial year in the data, else the latest whole calendar year, else its span.
pub fn guess(cov: &Coverage) -> Option<Guess> {
    let (&(lo, _), _) = cov.months.first_key_value()?;
    let (&(hi, _), _) = cov.months.last_key_value()?;
    for kind in [GuessKind::FinancialYear, GuessKind::CalendarYear] {
        for y in (lo - 1..=hi).rev() {
            let Some(period) = year_period(kind, y).filter(|p| cov.covers(p.start, p.end)) else { continue };
            let previous = (1..=MAX_PREVIOUS as i32)
                .take_while(|k| year_period(kind, y - k).is_some_and(|p| cov.covers(p.start, p.end)))
                .count() as u32;
            return Some(Guess { period, previous, kind });
        }
    }
    let (start, end, _) = cov.main_run()?;
    Some(Guess { period: Period { start, end }, previous: 0, kind: GuessKind::DataSpan })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    fn daily(from: NaiveDate, to: NaiveDate) -> Coverage {
        let mut c = Coverage::default();
        let mut x = from;
        while x <= to {
            c.add(x, false);
            x = x.succ_opt().expect("next day");
        }
        c
    }

    #[test]
    fn the_latest_whole_financial_year_with_the_years_before_it() {
        let c = daily(d(2023, 4, 1), d(2026, 3, 31));
        let g = guess(&c).expect("guess");
        assert_eq!(g, Guess { period: Period { start: d(2025, 4, 1), end: d(2026, 3, 31) }, previous: 2, kind: GuessKind::FinancialYear });
        // A stray future date does not move it; a late start leaves fewer previous years.
        let mut c = daily(d(2023, 5, 20), d(2026, 3, 28));
        c.add(d(2062, 1, 1), false);
        let g = guess(&c).expect("guess");
        assert_eq!((g.period.start, g.previous), (d(2025, 4, 1), 1));
        assert_eq!(c.rows_outside_main_run(), 1);
        // School years: August empty, still one span.
        let mut c = daily(d(2023, 9, 4), d(2024, 7, 22));
        c.merge(&daily(d(2024, 9, 2), d(2025, 7, 21)));
        assert_eq!(c.main_run().map(|(a, b, _)| (a, b)), Some((d(2023, 9, 4), d(2025, 7, 21))));
        assert_eq!(c.rows_outside_main_run(), 0);
    }

    #[test]
    fn month_precision_data_fall_back_to_calendar_years_and_spans() {
        let mut c = Coverage::default();
        for m in 1..=12 {
            c.add(d(2025, m, 1), true);
        }
        let g = guess(&c).expect("guess");
        assert_eq!((g.kind, g.period.start, g.period.end, g.previous), (GuessKind::CalendarYear, d(2025, 1, 1), d(2025, 12, 31), 0));
        // 2024-01..2025-12 monthly: financial year 2024-25, none before it.
        for m in 1..=12 {
            c.add(d(2024, m, 1), true);
        }
        let g = guess(&c).expect("guess");
        assert_eq!((g.kind, g.period.start, g.previous), (GuessKind::FinancialYear, d(2024, 4, 1), 0));
        let c = daily(d(2025, 6, 3), d(2025, 9, 30));
        let g = guess(&c).expect("guess");
        assert_eq!((g.kind, g.period.start, g.period.end), (GuessKind::DataSpan, d(2025, 6, 3), d(2025, 9, 30)));
        assert!(guess(&Coverage::default()).is_none());
    }
}
