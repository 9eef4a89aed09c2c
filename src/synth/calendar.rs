//! Financial years, hour-of-week profiles and date sampling. Times are drawn as an hour of the week
//! (Monday 00:00 = 0) from a profile, then a date with that weekday is drawn from the financial year with a
//! mild summer peak, so weekly rhythms (the Friday/Saturday night peak) hold exactly in expectation.

use chrono::{Datelike, Duration, Months, NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use rand::Rng;

use super::error::SynthError;
use super::rng::{self, SynthRng, Weighted};

/// The financial years generated: label and the calendar year of 1 April.
pub const YEARS: [(&str, i32); 3] = [("2023-24", 2023), ("2024-25", 2024), ("2025-26", 2025)];

/// The date the synthetic extracts were "taken": outcomes never fall after it.
pub fn extract_date() -> Result<NaiveDate, SynthError> {
    ymd(2026, 4, 20)
}

pub fn ymd(y: i32, m: u32, d: u32) -> Result<NaiveDate, SynthError> {
    NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| SynthError::Calendar(format!("{y}-{m}-{d} is not a date")))
}

pub fn at(date: NaiveDate, hour: u32, minute: u32) -> Result<NaiveDateTime, SynthError> {
    NaiveTime::from_hms_opt(hour, minute, 0)
        .map(|t| date.and_time(t))
        .ok_or_else(|| SynthError::Calendar(format!("{hour}:{minute} is not a time")))
}

/// Hour-of-week index (Monday 00 = 0 .. Sunday 23 = 167) of a datetime.
pub fn hour_of_week(dt: NaiveDateTime) -> usize {
    dt.weekday().num_days_from_monday() as usize * 24 + dt.hour() as usize
}

/// Friday 22:00 - Saturday 03:00 and Saturday 22:00 - Sunday 03:00 (ten hours of the week).
pub const WEEKEND_NIGHT_HOURS: [usize; 10] = [
    4 * 24 + 22,
    4 * 24 + 23,
    5 * 24,
    5 * 24 + 1,
    5 * 24 + 2,
    5 * 24 + 22,
    5 * 24 + 23,
    6 * 24,
    6 * 24 + 1,
    6 * 24 + 2,
];

pub fn is_weekend_night(dt: NaiveDateTime) -> bool {
    WEEKEND_NIGHT_HOURS.contains(&hour_of_week(dt))
}

/// Night hours 22:00-02:59 on any day.
pub fn is_night_hour(hour: u32) -> bool {
    !(3..22).contains(&hour)
}

/// A distribution over the 168 hours of the week.
#[derive(Debug, Clone)]
pub struct HourOfWeek {
    weights: Vec<f64>,
    dist: Weighted,
}

impl HourOfWeek {
    /// Day weights (Monday first) times hour-of-day weights.
    pub fn new(day: [f64; 7], hour: &[f64; 24]) -> Result<HourOfWeek, SynthError> {
        let weights: Vec<f64> = (0..168).map(|h| day[h / 24] * hour[h % 24]).collect();
        Self::from_weights(weights)
    }

    fn from_weights(weights: Vec<f64>) -> Result<HourOfWeek, SynthError> {
        let dist = Weighted::new(weights.iter().copied())
            .ok_or_else(|| SynthError::seed("hour_profile.csv", "hour profile has no positive weight"))?;
        Ok(HourOfWeek { weights, dist })
    }

    /// Share of the mass in the given hours of the week.
    pub fn share(&self, hours: &[usize]) -> f64 {
        let total: f64 = self.weights.iter().sum();
        hours.iter().map(|&h| self.weights[h]).sum::<f64>() / total
    }

    /// The same profile rescaled so that `hours` hold exactly `target` of the mass.
    pub fn with_share(&self, hours: &[usize], target: f64) -> Result<HourOfWeek, SynthError> {
        let b = self.share(hours);
        if !(0.0 < b && b < 1.0 && 0.0 < target && target < 1.0) {
            return Err(SynthError::seed("params.csv", "weekend night share must be strictly between 0 and 1"));
        }
        let weights = self
            .weights
            .iter()
            .enumerate()
            .map(|(h, w)| if hours.contains(&h) { w * target / b } else { w * (1.0 - target) / (1.0 - b) })
            .collect();
        Self::from_weights(weights)
    }

    /// Share of the mass in the given hours of the day (any weekday).
    pub fn share_of_day_hours(&self, hours: std::ops::RangeInclusive<usize>) -> f64 {
        let total: f64 = self.weights.iter().sum();
        self.weights.iter().enumerate().filter(|(h, _)| hours.contains(&(h % 24))).map(|(_, w)| w).sum::<f64>() / total
    }

    pub fn sample(&self, rng: &mut SynthRng) -> usize {
        self.dist.sample(rng)
    }
}

/// The days of one financial year grouped by weekday, each weighted by a gentle summer peak.
#[derive(Debug, Clone)]
pub struct YearDays {
    by_weekday: Vec<(Vec<NaiveDate>, Weighted)>,
}

impl YearDays {
    pub fn new(start_year: i32) -> Result<YearDays, SynthError> {
        let start = ymd(start_year, 4, 1)?;
        let end = ymd(start_year + 1, 3, 31)?;
        let mut days: Vec<Vec<NaiveDate>> = vec![Vec::new(); 7];
        let mut d = start;
        while d <= end {
            days[d.weekday().num_days_from_monday() as usize].push(d);
            d = d.succ_opt().ok_or_else(|| SynthError::Calendar("date overflow".into()))?;
        }
        let by_weekday = days
            .into_iter()
            .map(|ds| {
                // Peak in mid-July, trough in mid-January: +-8%.
                let w = ds
                    .iter()
                    .map(|d| 1.0 + 0.08 * (std::f64::consts::TAU * (f64::from(d.ordinal()) - 196.0) / 365.25).cos());
                Weighted::new(w)
                    .map(|dist| (ds.clone(), dist))
                    .ok_or_else(|| SynthError::Calendar("a weekday has no dates".into()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(YearDays { by_weekday })
    }

    pub fn sample(&self, weekday: usize, rng: &mut SynthRng) -> NaiveDate {
        let (dates, dist) = &self.by_weekday[weekday.min(6)];
        dates[dist.sample(rng)]
    }
}

/// Draw a datetime in the year from an hour-of-week profile; minutes are often rounded as officers record.
pub fn sample_datetime(year: &YearDays, how: &HourOfWeek, rng: &mut SynthRng) -> Result<NaiveDateTime, SynthError> {
    let h = how.sample(rng);
    let date = year.sample(h / 24, rng);
    let roll = rng::unit(rng);
    let minute = if roll < 0.25 {
        0
    } else if roll < 0.35 {
        30
    } else {
        rng.random_range(0..60)
    };
    at(date, (h % 24) as u32, minute)
}

/// Completed years of age on `date` for someone born on `dob`.
pub fn age_on(dob: NaiveDate, date: NaiveDate) -> u32 {
    let mut years = date.year() - dob.year();
    if (date.month(), date.day()) < (dob.month(), dob.day()) {
        years -= 1;
    }
    years.max(0) as u32
}

/// A random date of birth giving exactly `age` on `date` (never 29 February, so every convention agrees).
pub fn dob_for_age(age: u32, date: NaiveDate, rng: &mut SynthRng) -> Result<NaiveDate, SynthError> {
    // The last birthday on or before `date` falls 0..=364 days before it.
    let latest = date
        .checked_sub_months(Months::new(12 * age))
        .ok_or_else(|| SynthError::Calendar(format!("age {age} on {date}")))?;
    for _ in 0..16 {
        let dob = latest - Duration::days(rng.random_range(0..365));
        if !(dob.month() == 2 && dob.day() == 29) && age_on(dob, date) == age {
            return Ok(dob);
        }
    }
    // `latest` always has the right age; step off 29 February if needed.
    let dob = if latest.month() == 2 && latest.day() == 29 { latest.pred_opt().unwrap_or(latest) } else { latest };
    Ok(dob)
}
