//! Response (police part): sanction detection rates and repeat victims for every theme (and the
//! `all_offences` pseudo-theme), per period and over all configured periods pooled, with Wilson intervals.
//!
//! - `response_sanction_detection`: offences of the theme whose outcome is a sanction detection (staged
//!   `sanction_detection`, from the HO outcome type) over all offences of the theme.
//! - `response_repeat_victims`: distinct victims (pseudonymised `person_id`) with an offence of the theme;
//!   a victim is a repeat victim when one of their offences of the theme was committed no more than
//!   `repeat_window_days` after a previous one of the theme. For a period row the denominator is the victims
//!   with an offence in that period and the numerator those whose repeat offence falls in it (the previous
//!   offence may lie in an earlier loaded period); the "all periods" row counts every victim once. Victim
//!   records without a pseudonym cannot be linked and are counted in `records_without_id` only.

use super::people::ThemeSel;
use super::records::{OffenceRow, PersonRow, PoliceRecords};
use super::{AnalysisContext, AnalysisError, TableSink};
use crate::stats::{wilson_interval, ProportionEstimate};
use polars::prelude::*;

const DAY_MS: i64 = 86_400_000;

pub fn write_tables(ctx: &AnalysisContext, records: &PoliceRecords, sink: &mut TableSink) -> Result<(), AnalysisError> {
    let (themes, offences, victims) = (&records.themes, &records.offences, &records.victims.rows);
    let n_periods = ctx.periods.len();
    let mut sd = Rows::default();
    let mut rep = Rows::default();
    for (ti, t) in themes.iter().enumerate() {
        for (scope, counts) in sanction_counts(offences, ti, n_periods) {
            sd.push(ctx, t, scope, counts.0, counts.1, 0);
        }
        for (scope, (x, n, no_id)) in repeat_counts(offences, victims, ti, n_periods, ctx.options.repeat_window_days) {
            rep.push(ctx, t, scope, x, n, no_id);
        }
    }
    sink.write("response_sanction_detection", sd.frame(ctx, "offences", "sanction_detections", false))?;
    sink.write("response_repeat_victims", rep.frame(ctx, "victims", "repeat_victims", true))?;
    Ok(())
}

/// Row scope: one period (its index) or all periods pooled (None).
pub type Scope = Option<usize>;

/// (sanction detections, offences) per period and over all periods (last, scope None).
pub fn sanction_counts(offences: &[OffenceRow], theme: usize, n_periods: usize) -> Vec<(Scope, (u64, u64))> {
    let mut per = vec![(0u64, 0u64); n_periods];
    for o in offences.iter().filter(|o| o.in_theme(theme)) {
        if let Some(c) = usize::try_from(o.period).ok().and_then(|p| per.get_mut(p)) {
            c.1 += 1;
            c.0 += u64::from(o.sanction_detection);
        }
    }
    let all = per.iter().fold((0, 0), |a, c| (a.0 + c.0, a.1 + c.1));
    let mut out: Vec<(Scope, (u64, u64))> = per.into_iter().enumerate().map(|(i, c)| (Some(i), c)).collect();
    out.push((None, all));
    out
}

/// (repeat victims, victims, victim records without a pseudonym) per period and over all periods (last).
pub fn repeat_counts(
    offences: &[OffenceRow],
    victims: &[PersonRow],
    theme: usize,
    n_periods: usize,
    window_days: i64,
) -> Vec<(Scope, (u64, u64, u64))> {
    let window = window_days.saturating_mul(DAY_MS);
    // (person, offence index) of every linked victim record of the theme, sorted so that each person's
    // offences are adjacent; one entry per offence even if the record is duplicated.
    let mut linked: Vec<(u32, usize)> = Vec::new();
    let mut no_id = vec![0u64; n_periods];
    for v in victims {
        let o = OffenceRow::of(offences, v.offence);
        if !o.in_theme(theme) {
            continue;
        }
        let Some(p) = usize::try_from(o.period).ok().filter(|p| *p < n_periods) else { continue };
        match v.person {
            Some(id) => linked.push((id, v.offence)),
            None => no_id[p] += 1,
        }
    }
    linked.sort_unstable();
    linked.dedup();
    let mut per = vec![(0u64, 0u64); n_periods];
    let mut all = (0u64, 0u64);
    let mut seen = vec![false; n_periods];
    let mut repeat = vec![false; n_periods];
    let mut timed: Vec<(i64, usize)> = Vec::new();
    for offs in linked.chunk_by(|a, b| a.0 == b.0) {
        seen.fill(false);
        repeat.fill(false);
        timed.clear();
        for &(_, offence) in offs {
            let o = OffenceRow::of(offences, offence);
            // The period was checked when the record was linked.
            let p = o.period as usize;
            seen[p] = true;
            if let Some(t) = o.t_ms {
                timed.push((t, p));
            }
        }
        timed.sort_unstable();
        for w in timed.windows(2) {
            if w[1].0 - w[0].0 <= window {
                repeat[w[1].1] = true;
            }
        }
        for p in 0..n_periods {
            per[p].1 += u64::from(seen[p]);
            per[p].0 += u64::from(repeat[p]);
        }
        all.1 += 1;
        all.0 += u64::from(repeat.iter().any(|r| *r));
    }
    let total_no_id = no_id.iter().sum();
    let mut out: Vec<(Scope, (u64, u64, u64))> =
        per.into_iter().zip(no_id).enumerate().map(|(i, ((x, n), m))| (Some(i), (x, n, m))).collect();
    out.push((None, (all.0, all.1, total_no_id)));
    out
}

#[derive(Default)]
struct Rows {
    theme: Vec<String>,
    label: Vec<String>,
    scope: Vec<Scope>,
    x: Vec<u64>,
    n: Vec<u64>,
    no_id: Vec<u64>,
    est: Vec<Option<ProportionEstimate>>,
}

impl Rows {
    fn push(&mut self, ctx: &AnalysisContext, t: &ThemeSel, scope: Scope, x: u64, n: u64, no_id: u64) {
        self.theme.push(t.key.clone());
        self.label.push(t.label.clone());
        self.scope.push(scope);
        self.x.push(x);
        self.n.push(n);
        self.no_id.push(no_id);
        self.est.push(wilson_interval(x, n, ctx.confidence).ok());
    }

    fn frame(&self, ctx: &AnalysisContext, n_name: &str, x_name: &str, repeat: bool) -> PolarsResult<DataFrame> {
        let rows = self.theme.len();
        let def = ctx.definition;
        let first = ctx.periods.last().map_or(ctx.period.start, |p| p.start);
        let start = |s: &Scope| s.and_then(|i| ctx.periods.get(i)).map_or(first, |p| p.start).to_string();
        let end = |s: &Scope| s.and_then(|i| ctx.periods.get(i)).map_or(ctx.period.end, |p| p.end).to_string();
        let e = |f: &dyn Fn(&ProportionEstimate) -> f64| self.est.iter().map(|s| s.as_ref().map(f)).collect::<Vec<_>>();
        let mut df = df!(
            "definition" => vec![def.name().to_string(); rows],
            "definition_sha256" => vec![def.sha256.clone(); rows],
            "theme" => self.theme.clone(),
            "theme_label" => self.label.clone(),
            "scope" => self.scope.iter().map(|s| if s.is_some() { "period" } else { "all periods" }.to_string()).collect::<Vec<_>>(),
            "period_index" => self.scope.iter().map(|s| s.map(|i| i as u32)).collect::<Vec<_>>(),
            "period_start" => self.scope.iter().map(start).collect::<Vec<_>>(),
            "period_end" => self.scope.iter().map(end).collect::<Vec<_>>(),
            n_name => self.n.clone(),
            x_name => self.x.clone(),
            "share" => e(&|p| p.proportion),
            "lower" => e(&|p| p.lower),
            "upper" => e(&|p| p.upper),
            "method" => self.est.iter().map(|s| s.as_ref().map(|p| p.method.to_string())).collect::<Vec<_>>(),
            "confidence" => vec![ctx.confidence; rows],
        )?;
        if repeat {
            df.with_column(Column::new("repeat_window_days".into(), vec![ctx.options.repeat_window_days; rows]))?;
            df.with_column(Column::new("records_without_id".into(), self.no_id.clone()))?;
        }
        Ok(df)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn off(period: i32, day: i64, sd: bool, themes: &[bool]) -> OffenceRow {
        let themes = themes.iter().enumerate().fold(0, |m, (i, &t)| if t { m | 1 << i } else { m });
        OffenceRow { period, t_ms: Some(day * DAY_MS), sanction_detection: sd, themes }
    }

    /// A victim whose pseudonym is a single letter (interned as its code point).
    fn victim(offence: usize, id: Option<&str>) -> PersonRow {
        let person = id.and_then(|s| s.chars().next()).map(u32::from);
        PersonRow { offence, person, age: Some(30), sex: 0, ethnic_group: 0, scheme: 0 }
    }

    #[test]
    fn sanction_detection_counts_per_period_and_pooled() {
        let offences = vec![
            off(0, 700, true, &[true, true]),
            off(0, 701, false, &[true, true]),
            off(1, 300, true, &[false, true]),
            off(1, 301, false, &[true, true]),
        ];
        let c = sanction_counts(&offences, 0, 2);
        assert_eq!(c, vec![(Some(0), (1, 2)), (Some(1), (0, 1)), (None, (1, 3))]);
        let c = sanction_counts(&offences, 1, 2);
        assert_eq!(c[2], (None, (2, 4)));
    }

    #[test]
    fn repeat_victims_within_window() {
        // Person P: day 10 (period 1) and day 370 (period 0): 360 days apart, a repeat in period 0.
        // Person Q: day 10 and day 400: 390 days, not a repeat. Person R: once. One record with no id.
        // Person S: the same offence recorded twice is not a repeat.
        let offences = vec![
            off(1, 10, false, &[true]),
            off(0, 370, false, &[true]),
            off(1, 10, false, &[true]),
            off(0, 400, false, &[true]),
            off(0, 380, false, &[true]),
            off(0, 390, false, &[true]),
            off(0, 395, false, &[true]),
        ];
        let victims = vec![
            victim(0, Some("P")),
            victim(1, Some("P")),
            victim(2, Some("Q")),
            victim(3, Some("Q")),
            victim(4, Some("R")),
            victim(5, None),
            victim(6, Some("S")),
            victim(6, Some("S")),
        ];
        let c = repeat_counts(&offences, &victims, 0, 2, 365);
        assert_eq!(c[0], (Some(0), (1, 4, 1)));
        assert_eq!(c[1], (Some(1), (0, 2, 0)));
        assert_eq!(c[2], (None, (1, 4, 1)));
        // A wider window makes Q a repeat too.
        let c = repeat_counts(&offences, &victims, 0, 2, 400);
        assert_eq!(c[2], (None, (2, 4, 1)));
    }
}
