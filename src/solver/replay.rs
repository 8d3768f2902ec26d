//! Another program's run played to the observers as if it ran here: its samples (a step and the
//! end-to-end matrix there) become the steps the driver shows the trace, the watch and a
//! figure's curve, so that moments, `when` conditions and figures read an external run as they
//! read one of implreg's own, at the resolution of its samples. The loss at each sample is
//! computed here from the matrix, under the run's settings: nothing the program says about its
//! loss is trusted.

use super::driver::{self, Endpoint, Iterate, Stopping};
use super::record::{RunRecord, Stop};
use super::trace::Test;
use super::watch::Watch;
use crate::problem::{Problem, Reduction};
use nalgebra::DMatrix;

/// A program's run as it reported it, validated: samples by strictly increasing step, the last
/// of them its end.
#[derive(Debug)]
pub struct Reported {
    /// (step, end-to-end matrix) at each sample; the last is where the run ended.
    pub samples: Vec<(usize, DMatrix<f64>)>,
    /// The factors it ended with, if it gave them.
    pub factors: Vec<DMatrix<f64>>,
    /// The loss the run was asked to reach (`target_loss` of its settings).
    pub target_loss: Option<f64>,
}

/// The record of the run `reported` on `problem` (its loss under `reduction`), watching what
/// `watch` asks at each sample.
pub fn replay(
    reported: Reported,
    problem: &Problem,
    reduction: Reduction,
    watch: &Watch,
) -> RunRecord {
    let replay = Replay {
        reported,
        at: 0,
        loss: f64::NAN,
        problem,
        reduction,
    };
    let stopping = Stopping {
        max_steps: usize::MAX,
        target_loss: None,
        bounds: driver::Bounds::default(),
    };
    driver::drive(replay, stopping, Test::of(problem), watch)
}

/// The samples as an iterative method: each `advance` moves to the next one.
struct Replay<'p> {
    reported: Reported,
    /// The sample shown.
    at: usize,
    /// Its loss.
    loss: f64,
    problem: &'p Problem,
    reduction: Reduction,
}

impl Iterate for Replay<'_> {
    fn evaluate(&mut self) -> f64 {
        self.loss = self
            .problem
            .loss(&self.reported.samples[self.at].1, self.reduction);
        self.loss
    }

    fn advance(&mut self) {
        self.at += 1;
    }

    /// At the last sample: `Target` if it reached the settings' target loss, `Budget` if not.
    fn stop(&self) -> Option<Stop> {
        let reached = self.reported.target_loss.is_some_and(|t| self.loss <= t);
        (self.at + 1 == self.reported.samples.len()).then_some(if reached {
            Stop::Target
        } else {
            Stop::Budget
        })
    }

    fn step(&self) -> Option<usize> {
        Some(self.reported.samples[self.at].0)
    }

    fn matrix(&mut self) -> &DMatrix<f64> {
        &self.reported.samples[self.at].1
    }

    /// The sample where the replay stopped, with the factors only if that is the run's end.
    fn finish(mut self) -> Endpoint {
        let end = self.at + 1 == self.reported.samples.len();
        let (_, matrix) = self.reported.samples.swap_remove(self.at);
        Endpoint {
            matrix,
            factors: if end {
                self.reported.factors
            } else {
                Vec::new()
            },
            certificate: None,
        }
    }
}
