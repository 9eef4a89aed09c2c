//! Hour-of-week arithmetic for the time tables: aoristic spreading of an offence's committed_from..committed_to
//! span over the 168 hours of the week (Ratcliffe 2002), and membership of weekly time windows such as the
//! night-time economy. Timestamps are naive local times in epoch milliseconds, as ingest stages them; all
//! arithmetic is integer so results do not depend on time zones or chrono's calendar code.

use chrono::{NaiveTime, Timelike, Weekday};

pub const HOURS_PER_WEEK: usize = 168;
const MINUTE_MS: i64 = 60_000;
const HOUR_MS: i64 = 3_600_000;
const WEEK_MS: i64 = 168 * HOUR_MS;
const MINUTES_PER_DAY: i64 = 1_440;
const MINUTES_PER_WEEK: i64 = 10_080;
/// 1970-01-01 (epoch 0) was a Thursday: Thursday 00:00 is hour 72 of a Monday-first week.
const EPOCH_HOUR_OF_WEEK: i64 = 72;

pub const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// Hour of the week (Monday 00:00-00:59 = 0 ... Sunday 23:00-23:59 = 167) of a timestamp.
pub fn hour_of_week(ms: i64) -> usize {
    (ms.div_euclid(HOUR_MS) + EPOCH_HOUR_OF_WEEK).rem_euclid(HOURS_PER_WEEK as i64) as usize
}

/// Minute of the week (Monday 00:00 = 0) of a timestamp.
pub fn minute_of_week(ms: i64) -> i64 {
    (ms.div_euclid(MINUTE_MS) + EPOCH_HOUR_OF_WEEK * 60).rem_euclid(MINUTES_PER_WEEK)
}

/// How an offence's weight was spread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spread {
    /// No usable end (missing, or not after the start): all the weight in the start hour.
    StartHour,
    /// Span of a week or more: 1/168 in every hour.
    WholeWeek,
    /// Spread over the hours the span touches, by the fraction of the span in each.
    Span,
}

/// Add one offence's aoristic weight (total 1) to `bins`. An end before the start is a recording error and
/// is treated like a missing end, so the offence still counts once at the time it was reported from.
/// A span of exactly 168 hours gives 1/168 per hour either way, so the week rule starts there.
pub fn spread(from: i64, to: Option<i64>, bins: &mut [f64; HOURS_PER_WEEK]) -> Spread {
    let Some(to) = to.filter(|&t| t > from) else {
        bins[hour_of_week(from)] += 1.0;
        return Spread::StartHour;
    };
    let span = to - from;
    if span >= WEEK_MS {
        for b in bins.iter_mut() {
            *b += 1.0 / HOURS_PER_WEEK as f64;
        }
        return Spread::WholeWeek;
    }
    let mut t = from;
    while t < to {
        let segment_end = ((t.div_euclid(HOUR_MS) + 1) * HOUR_MS).min(to);
        bins[hour_of_week(t)] += (segment_end - t) as f64 / span as f64;
        t = segment_end;
    }
    Spread::Span
}

/// A weekly window: on each of `days`, from `start` to `end` (the next morning when `end` is not after
/// `start`, so "Fri 18:00-06:00" is Friday evening into Saturday morning).
#[derive(Debug, Clone, PartialEq)]
pub struct WeeklyWindow {
    /// Monday-first day numbers (0..7), sorted, without repeats.
    pub days: Vec<u32>,
    pub start: NaiveTime,
    pub end: NaiveTime,
}

impl WeeklyWindow {
    pub fn new(days: &[Weekday], start: NaiveTime, end: NaiveTime) -> WeeklyWindow {
        let mut d: Vec<u32> = days.iter().map(|w| w.num_days_from_monday()).collect();
        d.sort_unstable();
        d.dedup();
        WeeklyWindow { days: d, start, end }
    }

    fn start_minute(&self) -> i64 {
        i64::from(self.start.hour() * 60 + self.start.minute())
    }

    /// Length of one night in minutes (start == end means a full 24 hours).
    fn length_minutes(&self) -> i64 {
        let s = self.start_minute();
        let e = i64::from(self.end.hour() * 60 + self.end.minute());
        if e > s { e - s } else { MINUTES_PER_DAY - s + e }
    }

    /// Whether a timestamp falls in the window; Sunday nights run on into Monday morning.
    pub fn contains(&self, ms: i64) -> bool {
        let m = minute_of_week(ms);
        let len = self.length_minutes();
        self.days.iter().any(|&d| (m - (i64::from(d) * MINUTES_PER_DAY + self.start_minute())).rem_euclid(MINUTES_PER_WEEK) < len)
    }

    /// Hours of the week the window covers.
    pub fn hours_per_week(&self) -> f64 {
        (self.days.len() as i64 * self.length_minutes()) as f64 / 60.0
    }

    /// "Fri,Sat,Sun"
    pub fn days_label(&self) -> String {
        self.days.iter().filter_map(|&d| WEEKDAYS.get(d as usize).copied()).collect::<Vec<_>>().join(",")
    }

    pub fn overnight(&self) -> bool {
        self.length_minutes() > 0 && self.end <= self.start
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn ms(y: i32, m: u32, d: u32, h: u32, min: u32) -> i64 {
        NaiveDate::from_ymd_opt(y, m, d).and_then(|x| x.and_hms_opt(h, min, 0)).expect("valid").and_utc().timestamp_millis()
    }

    fn bins_for(from: i64, to: Option<i64>) -> ([f64; HOURS_PER_WEEK], Spread) {
        let mut b = [0.0; HOURS_PER_WEEK];
        let s = spread(from, to, &mut b);
        (b, s)
    }

    fn nonzero(b: &[f64; HOURS_PER_WEEK]) -> Vec<(usize, f64)> {
        b.iter().enumerate().filter(|(_, w)| **w != 0.0).map(|(h, w)| (h, *w)).collect()
    }

    #[test]
    fn hour_of_week_is_monday_first() {
        // 2025-11-17 was a Monday; 2025-11-23 a Sunday.
        assert_eq!(hour_of_week(ms(2025, 11, 17, 0, 0)), 0);
        assert_eq!(hour_of_week(ms(2025, 11, 21, 22, 59)), 4 * 24 + 22);
        assert_eq!(hour_of_week(ms(2025, 11, 23, 23, 30)), 167);
        assert_eq!(hour_of_week(ms(1969, 12, 31, 23, 0)), 2 * 24 + 23); // a Wednesday, before the epoch
    }

    #[test]
    fn same_hour_span_puts_all_weight_in_that_hour() {
        let (b, s) = bins_for(ms(2025, 11, 19, 14, 5), Some(ms(2025, 11, 19, 14, 55)));
        assert_eq!(s, Spread::Span);
        assert_eq!(nonzero(&b), vec![(2 * 24 + 14, 1.0)]);
    }

    #[test]
    fn span_over_midnight_and_weekday_boundary_is_split_by_time() {
        // Sunday 22:30 to Monday 01:30: 3 hours, half an hour in the first and last hours; the week wraps.
        let (b, s) = bins_for(ms(2025, 11, 23, 22, 30), Some(ms(2025, 11, 24, 1, 30)));
        assert_eq!(s, Spread::Span);
        assert_eq!(nonzero(&b), vec![(0, 1.0 / 3.0), (1, 0.5 / 3.0), (166, 0.5 / 3.0), (167, 1.0 / 3.0)]);
        // Friday 22:30 to Saturday 01:30.
        let (b, _) = bins_for(ms(2025, 11, 21, 22, 30), Some(ms(2025, 11, 22, 1, 30)));
        assert_eq!(nonzero(&b), vec![(118, 1.0 / 6.0), (119, 1.0 / 3.0), (120, 1.0 / 3.0), (121, 1.0 / 6.0)]);
        assert!((b.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn missing_or_reversed_end_uses_the_start_hour() {
        let from = ms(2025, 11, 22, 2, 10);
        for to in [None, Some(from), Some(from - 3_600_000)] {
            let (b, s) = bins_for(from, to);
            assert_eq!(s, Spread::StartHour);
            assert_eq!(nonzero(&b), vec![(5 * 24 + 2, 1.0)]);
        }
    }

    #[test]
    fn a_week_or_more_is_uniform() {
        let from = ms(2025, 11, 19, 14, 5);
        for to in [from + WEEK_MS, from + 3 * WEEK_MS + 7] {
            let (b, s) = bins_for(from, Some(to));
            assert_eq!(s, Spread::WholeWeek);
            assert!(b.iter().all(|w| *w == 1.0 / 168.0));
        }
        // Just under a week is spread by time: the start and end fall in the same hour of the week, which holds
        // 55 minutes at the start and 5 minutes less 1 ms at the end; every other hour holds a full hour.
        let span = WEEK_MS - 1;
        let (b, s) = bins_for(from, Some(from + span));
        assert_eq!(s, Spread::Span);
        assert!((b.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!((b[2 * 24 + 14] - (55 * MINUTE_MS + 5 * MINUTE_MS - 1) as f64 / span as f64).abs() < 1e-15);
        assert!((b[0] - HOUR_MS as f64 / span as f64).abs() < 1e-15);
    }

    fn nte() -> WeeklyWindow {
        let t = |s: &str| NaiveTime::parse_from_str(s, "%H:%M").expect("time");
        WeeklyWindow::new(&[Weekday::Fri, Weekday::Sat, Weekday::Sun], t("18:00"), t("06:00"))
    }

    #[test]
    fn nte_window_membership() {
        let w = nte();
        assert!(w.overnight());
        assert_eq!(w.hours_per_week(), 36.0);
        assert_eq!(w.days_label(), "Fri,Sat,Sun");
        // Saturday 02:00 is Friday night; Friday 02:00 is Thursday night, not in the window.
        assert!(w.contains(ms(2025, 11, 22, 2, 0)));
        assert!(!w.contains(ms(2025, 11, 21, 2, 0)));
        assert!(w.contains(ms(2025, 11, 21, 18, 0)));
        assert!(!w.contains(ms(2025, 11, 21, 17, 59)));
        assert!(w.contains(ms(2025, 11, 22, 5, 59)));
        assert!(!w.contains(ms(2025, 11, 22, 6, 0)));
        assert!(!w.contains(ms(2025, 11, 22, 12, 0)));
        // Sunday night runs into Monday morning; Monday evening is not a night of the window.
        assert!(w.contains(ms(2025, 11, 24, 3, 0)));
        assert!(!w.contains(ms(2025, 11, 24, 20, 0)));
    }

    #[test]
    fn early_hours_window_is_same_day() {
        let t = |s: &str| NaiveTime::parse_from_str(s, "%H:%M").expect("time");
        let all = [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri, Weekday::Sat, Weekday::Sun];
        let w = WeeklyWindow::new(&all, t("00:00"), t("06:00"));
        assert!(!w.overnight());
        assert_eq!(w.hours_per_week(), 42.0);
        assert!(w.contains(ms(2025, 11, 19, 0, 0)));
        assert!(w.contains(ms(2025, 11, 19, 5, 59)));
        assert!(!w.contains(ms(2025, 11, 19, 6, 0)));
        assert!(!w.contains(ms(2025, 11, 19, 23, 59)));
    }
}
