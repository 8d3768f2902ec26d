//! The one loop that drives every iterative solver, as argmin's executor does: the solver only
//! evaluates and steps; the driver owns the stopping rules and divergence detection, and hands
//! every step to its observers (the trace, the watch). A stop test never changes the solver's
//! state, and every stop names its reason.

use super::record::RunRecord;
use super::trace::TraceObserver;
use super::watch::{Watch, Watched};
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

/// An iterative method as the driver sees it.
pub trait Iterate {
    /// The objective at the current point (and whatever the next step and `stop` need).
    fn evaluate(&mut self) -> f64;
    /// One step from the last evaluated point.
    fn advance(&mut self);
    /// The method's own stopping test, after `evaluate`, without side effects: a duality
    /// certificate within tolerance (`Certified`), a time horizon reached (`Horizon`).
    fn stop(&self) -> Option<Stop> {
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
    /// What the method leaves behind when the loop ends.
    fn finish(self) -> Endpoint;
}

/// The matrix a method ends at, its factors and, for a convex method, its certificate.
pub struct Endpoint {
    /// The end-to-end matrix.
    pub matrix: DMatrix<f64>,
    /// The factors W_1, …, W_N (the matrix itself for a direct solver).
    pub factors: Vec<DMatrix<f64>>,
    /// A convex run's optimality certificate.
    pub certificate: Option<super::Certificate>,
}

/// Why a run stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stop {
    /// The loss fell to the run's `target_loss`.
    Target,
    /// The method's certificate met its tolerances (a convex run's duality gap and feasibility).
    Certified,
    /// A gradient flow reached its time horizon.
    Horizon,
    /// The step budget ran out.
    Budget,
    /// The loss became NaN/Inf or blew up (see `BLOW_UP`).
    Diverged,
}

/// How a run ended, in three words: what `status` reports and `converged`/`diverged` read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The target loss was reached or the certificate passed.
    Converged,
    /// A budget (steps or time) ran out first.
    Exhausted,
    /// The run blew up.
    Diverged,
}

impl Stop {
    /// The reason's status.
    pub fn status(self) -> Status {
        match self {
            Stop::Target | Stop::Certified => Status::Converged,
            Stop::Horizon | Stop::Budget => Status::Exhausted,
            Stop::Diverged => Status::Diverged,
        }
    }
}

/// A loss above `BLOW_UP`·max(ℓ(0), 1) counts as divergence.
pub const BLOW_UP: f64 = 1e8;

/// The driver's own stopping rules.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stopping {
    /// The step budget.
    pub max_steps: usize,
    /// Stop once the loss is at or below this.
    pub target_loss: Option<f64>,
}

impl Stopping {
    /// The first rule that fires at `step` with `loss`, in order: divergence (against
    /// `ceiling`), the target, the method's own test, the budget.
    fn check(&self, step: usize, loss: f64, ceiling: f64, method: &impl Iterate) -> Option<Stop> {
        if !loss.is_finite() || loss > ceiling {
            Some(Stop::Diverged)
        } else if self.target_loss.is_some_and(|target| loss <= target) {
            Some(Stop::Target)
        } else if let Some(stop) = method.stop() {
            Some(stop)
        } else if step >= self.max_steps {
            Some(Stop::Budget)
        } else {
            None
        }
    }
}

/// One step as observers see it.
pub struct Probe<'m> {
    /// The step's number (0 before the first step).
    pub step: usize,
    /// The loss there.
    pub loss: f64,
    /// Whether this is the last step of the run.
    pub last: bool,
    method: &'m mut dyn MatrixSource,
}

impl Probe<'_> {
    /// The end-to-end matrix at this step, formed on first request.
    pub fn matrix(&mut self) -> &DMatrix<f64> {
        self.method.matrix()
    }
}

/// What a probe asks of the method: its matrix, formed on demand.
trait MatrixSource {
    fn matrix(&mut self) -> &DMatrix<f64>;
}

impl<M: Iterate> MatrixSource for M {
    fn matrix(&mut self) -> &DMatrix<f64> {
        Iterate::matrix(self)
    }
}

/// Something that sees every step of a run.
pub trait Observer {
    /// Takes in one step.
    fn observe(&mut self, probe: &mut Probe);
}

/// Runs `method` until a stopping rule fires, showing every step to the trace (log-spaced
/// samples and the last step) and to what `watch` asks for. `truth` lets the trace follow the
/// test error. The record is made here, once.
pub fn drive<M: Iterate>(
    mut method: M,
    stopping: Stopping,
    truth: Option<&DMatrix<f64>>,
    watch: &Watch,
) -> RunRecord {
    let mut trace = TraceObserver::new(truth);
    let mut watched = Watched::new(watch);
    let mut step = 0;
    let mut ceiling = f64::INFINITY;
    let stop = loop {
        let loss = method.evaluate();
        if step == 0 {
            ceiling = BLOW_UP * loss.max(1.0);
        }
        let stop = stopping.check(step, loss, ceiling, &method);
        let mut probe = Probe {
            step,
            loss,
            last: stop.is_some(),
            method: &mut method,
        };
        for observer in [&mut watched as &mut dyn Observer, &mut trace] {
            observer.observe(&mut probe);
        }
        if let Some(stop) = stop {
            break stop;
        }
        method.advance();
        step += 1;
    };
    let (time, rejected) = (method.time(), method.rejected());
    let time = Some(time).filter(|t| !t.is_nan());
    let (extremes, moments) = watched.finish();
    let Endpoint {
        matrix,
        factors,
        certificate,
    } = method.finish();
    RunRecord {
        stop,
        steps: step,
        time,
        rejected_steps: rejected,
        extremes,
        certificate,
        trace: trace.finish(),
        matrix,
        factors,
        moments,
    }
}
