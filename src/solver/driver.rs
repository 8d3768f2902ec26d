//! The one loop that drives every iterative solver (argmin's executor): it owns the stopping
//! rules, divergence detection and trace recording, so solvers only evaluate and step.

use crate::trace::{Schedule, Trace};
use crate::watch::{Watch, Watched};
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

/// An iterative method as the driver sees it.
pub trait Iterate {
    /// The objective at the current point (and whatever the next step needs).
    fn evaluate(&mut self) -> f64;
    /// One step from the last evaluated point.
    fn advance(&mut self);
    /// A method's own stopping test, after `evaluate`: a duality certificate met (`Converged`),
    /// a time horizon reached (`Exhausted`).
    fn stop(&mut self) -> Option<Status> {
        None
    }
    /// The time reached: Σ of the step sizes for gradient descent, t for gradient flow.
    fn time(&self) -> f64 {
        f64::NAN
    }
    /// Steps tried and rejected by an adaptive integrator.
    fn rejected(&self) -> usize {
        0
    }
    /// The current end-to-end matrix, valid after `evaluate` (formed on demand by methods that
    /// do not need it to step).
    fn matrix(&mut self) -> &DMatrix<f64>;
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The loss fell to the target, or the method's own test (a certificate) passed.
    Converged,
    /// The step budget ran out first.
    Exhausted,
    /// The loss became NaN/Inf or blew up (see `BLOW_UP`).
    Diverged,
}

/// A loss above `BLOW_UP`·max(ℓ(0), 1) counts as divergence.
pub const BLOW_UP: f64 = 1e8;

/// When to stop.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stopping {
    pub max_steps: usize,
    pub target_loss: Option<f64>,
}

/// What the loop hands back.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub status: Status,
    pub steps: usize,
    pub trace: Trace,
    pub watched: Watched,
    pub time: f64,
    pub rejected: usize,
}

/// Runs `method` until a stopping rule fires, recording the trace at log-spaced steps and at the
/// end, and what `watch` asks for at every step. `truth` lets the trace follow the test error.
pub fn drive(
    method: &mut impl Iterate,
    stopping: Stopping,
    truth: Option<&DMatrix<f64>>,
    watch: &Watch,
) -> Outcome {
    let mut schedule = Schedule::new();
    let mut trace = Trace::default();
    let mut watched = Watched::new(watch);
    let mut steps = 0;
    let mut ceiling = f64::INFINITY;
    loop {
        let loss = method.evaluate();
        if steps == 0 {
            ceiling = BLOW_UP * loss.max(1.0);
        }
        let status = if !loss.is_finite() || loss > ceiling {
            Some(Status::Diverged)
        } else if stopping.target_loss.is_some_and(|target| loss <= target) {
            Some(Status::Converged)
        } else if let Some(status) = method.stop() {
            Some(status)
        } else if steps >= stopping.max_steps {
            Some(Status::Exhausted)
        } else {
            None
        };
        watched.observe(steps, loss, || method.matrix());
        if schedule.due(steps) || status.is_some() {
            trace.record(steps, loss, method.matrix(), truth);
        }
        if let Some(status) = status {
            return Outcome {
                status,
                steps,
                trace,
                watched,
                time: method.time(),
                rejected: method.rejected(),
            };
        }
        method.advance();
        steps += 1;
    }
}
