//! What a figure of a run's trajectory draws: quantities of the end-to-end matrix (σ₁…σ₅, |W₀₀|,
//! the nuclear norm) at log-spaced steps, `trace::DENSE_PER_DECADE` a decade, and at the last
//! step. The trace's ten a decade are too coarse to draw a singular value learned within a few
//! percent of the steps. The claim layer says what to compute (`Curve`); the observer only
//! samples.

use super::observe::{Observer, Probe, Snapshot};
use super::trace::{DENSE_PER_DECADE, Schedule};
use serde::{Deserialize, Serialize};

/// The quantities a figure follows along a run. The claim layer implements it.
pub trait Curve: Sync {
    /// The quantities for the run's state `at`.
    fn values(&self, at: &Snapshot) -> Vec<f64>;
}

/// How densely a curve is sampled: as densely as a costly `when` condition is checked, so a
/// figure shows the moments the claims read.
pub const CURVE_PER_DECADE: u32 = DENSE_PER_DECADE;

/// One sample of a curve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CurveSample {
    /// The step.
    pub step: usize,
    /// Σ of the step sizes (GD) or t (flow) at that step; absent for a convex run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<f64>,
    /// The run's loss there.
    pub loss: f64,
    /// The curve's quantities there, in the order the `Curve` gives them.
    pub values: Vec<f64>,
}

/// Samples a curve as the driver runs.
pub(super) struct CurveObserver<'c> {
    curve: Option<&'c dyn Curve>,
    schedule: Schedule,
    samples: Vec<CurveSample>,
}

impl<'c> CurveObserver<'c> {
    pub(super) fn new(curve: Option<&'c dyn Curve>) -> Self {
        Self {
            curve,
            schedule: Schedule::per_decade(CURVE_PER_DECADE),
            samples: Vec::new(),
        }
    }

    pub(super) fn finish(self) -> Vec<CurveSample> {
        self.samples
    }
}

impl Observer for CurveObserver<'_> {
    fn observe(&mut self, probe: &mut Probe) {
        let Some(curve) = self.curve else { return };
        if !(self.schedule.due(probe.step) || probe.last) {
            return;
        }
        let (step, loss, time) = (probe.step, probe.loss, probe.time);
        let values = curve.values(&probe.snapshot());
        self.samples.push(CurveSample {
            step,
            time: Some(time).filter(|t| !t.is_nan()),
            loss,
            values,
        });
    }
}
