//! How a run is recorded over time: the spectrum of the end-to-end matrix at log-spaced steps
//! (ten a decade: 0, 1, 2, …, 10, 13, 16, 20, 25, …) and at the last step. The trace is an
//! observer of the driver.

use super::observe::{Observer, Probe};
use crate::measure::{self, Spectrum};
use crate::problem::{HeldOut, Problem};
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

/// One sample of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// The step sampled.
    pub step: usize,
    /// The run's loss there.
    pub train_loss: f64,
    /// The test MSE there, where the problem has a ground truth.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub test_mse: Option<f64>,
    /// The RMSE on the held-out entries there, where the problem holds some out (`ratings`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_rmse: Option<f64>,
    /// The spectrum of the end-to-end matrix there.
    #[serde(flatten)]
    pub matrix: Spectrum,
}

/// The samples of a run in step order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Trace {
    /// The samples, by increasing step.
    pub samples: Vec<Sample>,
}

/// What a run's samples are measured against besides its loss: the ground truth (test MSE)
/// and the held-out entries (test RMSE), where the problem has them.
#[derive(Debug, Clone, Copy, Default)]
pub struct Test<'t> {
    /// The ground truth.
    pub truth: Option<&'t DMatrix<f64>>,
    /// What the problem holds out of training.
    pub held_out: Option<&'t HeldOut>,
}

impl<'t> Test<'t> {
    /// Everything `problem` can test a matrix against.
    pub fn of(problem: &'t Problem) -> Self {
        Self {
            truth: problem.truth.as_ref(),
            held_out: problem.held_out.as_ref(),
        }
    }
}

/// Records a trace as the driver runs.
pub(super) struct TraceObserver<'t> {
    schedule: Schedule,
    trace: Trace,
    test: Test<'t>,
}

impl<'t> TraceObserver<'t> {
    pub(super) fn new(test: Test<'t>) -> Self {
        Self {
            schedule: Schedule::new(),
            trace: Trace::default(),
            test,
        }
    }

    pub(super) fn finish(self) -> Trace {
        self.trace
    }
}

impl Observer for TraceObserver<'_> {
    fn observe(&mut self, probe: &mut Probe) {
        if !(self.schedule.due(probe.step) || probe.last) {
            return;
        }
        let (step, train_loss) = (probe.step, probe.loss);
        let w = probe.matrix();
        self.trace.samples.push(Sample {
            step,
            train_loss,
            test_mse: self.test.truth.map(|t| measure::test_mse(w, t)),
            test_rmse: self.test.held_out.and_then(|h| h.rmse_of(w)),
            matrix: Spectrum::of(w),
        });
    }
}

/// Log-spaced sampling steps: round(10^(k/d)) for k = 0, 1, … with d steps a decade, without
/// repeats, after step 0. A step s between two due steps is at most a factor 10^(1/d) before the
/// next one.
#[derive(Debug, Clone)]
pub struct Schedule {
    next: usize,
    exponent: u32,
    per_decade: u32,
}

/// The density at which what needs fine timing is sampled (a costly `when` condition, a
/// figure's curve): a hundred steps a decade, so consecutive samples are at most
/// 10^(1/100) − 1 ≈ 2.3 % apart (every step up to 43 is sampled).
pub const DENSE_PER_DECADE: u32 = 100;

/// The trace's density: ten samples a decade.
pub const TRACE_PER_DECADE: u32 = 10;

impl Schedule {
    /// The trace's schedule (`TRACE_PER_DECADE`), first due at step 0.
    pub fn new() -> Self {
        Self::per_decade(TRACE_PER_DECADE)
    }

    /// A schedule with `per_decade` steps a decade, first due at step 0.
    pub fn per_decade(per_decade: u32) -> Self {
        Self {
            next: 0,
            exponent: 0,
            per_decade,
        }
    }

    /// The first step not yet due.
    pub fn next(&self) -> usize {
        self.next
    }

    /// Whether `step` is a sampling step; steps must be asked in increasing order.
    pub fn due(&mut self, step: usize) -> bool {
        if step < self.next {
            return false;
        }
        while self.next <= step {
            self.next = 10f64
                .powf(f64::from(self.exponent) / f64::from(self.per_decade))
                .round() as usize;
            self.exponent += 1;
        }
        true
    }
}

impl Default for Schedule {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_is_log_spaced() {
        let mut schedule = Schedule::new();
        let due: Vec<usize> = (0..=100).filter(|&s| schedule.due(s)).collect();
        assert_eq!(
            due,
            [
                0, 1, 2, 3, 4, 5, 6, 8, 10, 13, 16, 20, 25, 32, 40, 50, 63, 79, 100
            ]
        );
    }
}
