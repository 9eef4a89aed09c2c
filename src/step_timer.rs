//! Per-step wall times for profiling a run: with `SNA_STEP_TIMES=1` in the environment each step prints
//! `step-time <stage>.<step> <seconds since the previous step>` to stderr. Off by default (no output, no
//! cost beyond reading a clock); the benchmark's stage times come from the stages themselves.

use std::time::Instant;

pub struct StepTimer {
    stage: &'static str,
    enabled: bool,
    last: Instant,
}

impl StepTimer {
    pub fn start(stage: &'static str) -> StepTimer {
        let enabled = std::env::var("SNA_STEP_TIMES").is_ok_and(|v| v == "1");
        StepTimer { stage, enabled, last: Instant::now() }
    }

    /// Ends a step: prints its time when enabled and starts the next.
    pub fn step(&mut self, name: &str) {
        let now = Instant::now();
        if self.enabled {
            eprintln!("step-time {}.{name} {:.2}", self.stage, (now - self.last).as_secs_f64());
        }
        self.last = now;
    }
}
