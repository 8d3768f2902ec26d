//! The one loop that drives every iterative solver, as argmin's executor does: the solver only
//! evaluates and steps; the driver owns the stopping rules and divergence detection, and hands
//! every step to its observers (the trace, the watch). A stop test never changes the solver's
//! state, and every stop names its reason.

use super::certificate::Certificate;
use super::curve::CurveObserver;
use super::observe::{MatrixSource, Observer, Probe};
use super::record::{RunRecord, Stop};
use super::trace::{Test, TraceObserver};
use super::watch::{Watch, WatchObserver};
use crate::cancel::Cancel;
use nalgebra::DMatrix;
use std::time::Instant;

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
    /// Whether the method moves along the loss's gradient, so that a loss below the smallest
    /// normal f64 leaves it nothing to move by (`Stop::Underflow`); a convex method's loss
    /// is its iterate's fit and may well be 0 before it is optimal.
    fn follows_the_loss(&self) -> bool {
        false
    }
    /// A trained model's KKT residual at its current parameters (`model::kkt_residual`), asked
    /// once before `finish`; `None` for other methods and for squared fits.
    fn kkt_residual(&mut self) -> Option<f64> {
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
    /// The operations done so far, for a method whose cost is known only as it runs (a
    /// thresholding's block grows and shrinks with the iterate): the driver holds it to
    /// `Bounds::work`. `None` for a method whose cost its settings bound (`solver::cost`).
    fn work(&self) -> Option<f64> {
        None
    }
    /// The step number of the current point, for a method whose points are not consecutive
    /// steps (another program's samples, `replay`); the driver counts them otherwise.
    fn step(&self) -> Option<usize> {
        None
    }
    /// The current end-to-end matrix, valid after `evaluate` (formed on demand by methods that
    /// do not need it to step).
    fn matrix(&mut self) -> &DMatrix<f64>;
    /// Into `norms`: the current components' norms, largest first, for a method made of
    /// components (a CP factorisation), what claims about the order components arrive in
    /// read; `false` for any other.
    fn components(&self, _norms: &mut Vec<f64>) -> bool {
        false
    }
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
    pub certificate: Option<Certificate>,
}

impl<M: Iterate> MatrixSource for M {
    fn matrix(&mut self) -> &DMatrix<f64> {
        Iterate::matrix(self)
    }

    fn components(&self, norms: &mut Vec<f64>) -> bool {
        Iterate::components(self, norms)
    }
}

/// How often (in steps) the driver looks at the clock and at the cancel token.
const CHECK_OUTSIDE_EVERY: usize = 16;

/// A loss above `BLOW_UP`·max(ℓ(0), 1) counts as divergence.
pub const BLOW_UP: f64 = 1e8;

/// The driver's own stopping rules.
#[derive(Debug, Clone)]
pub struct Stopping {
    /// The step budget.
    pub max_steps: usize,
    /// Stop once the loss is at or below this.
    pub target_loss: Option<f64>,
    /// What may stop the run from outside its settings.
    pub bounds: Bounds,
}

/// What may stop a run from outside its settings: a user's time budgets and a caller's
/// cancel token, not the science's.
#[derive(Debug, Clone, Default)]
pub struct Bounds {
    /// Seconds the run may take: past them it stops `Time` (exhausted, with that reason).
    pub run_seconds: Option<f64>,
    /// When the claim's time budget ends: a run still going then stops `Interrupted` (its
    /// seed then counts for nothing).
    pub deadline: Option<Instant>,
    /// The operations the run may do, for a method that counts them as it runs
    /// (`Iterate::work`): past them it stops `Work` (exhausted).
    pub work: Option<f64>,
    /// The evaluation's token: once cancelled, a run still going stops `Interrupted`.
    pub cancel: Cancel,
}

impl Bounds {
    /// Whether the run that started at `started` is ended from outside: `Interrupted` by the
    /// cancel token or the claim's deadline, `Time` past its wall-time budget.
    pub fn ended(&self, started: Instant) -> Option<Stop> {
        let now = Instant::now();
        if self.cancel.is_cancelled() || self.deadline.is_some_and(|d| now >= d) {
            Some(Stop::Interrupted)
        } else if self
            .run_seconds
            .is_some_and(|s| (now - started).as_secs_f64() > s)
        {
            Some(Stop::Time)
        } else {
            None
        }
    }
}

impl Stopping {
    /// The first rule that fires at `step` with `loss`, in order: divergence (against
    /// `ceiling`), the target, the method's own test, the budget, and, every
    /// `CHECK_OUTSIDE_EVERY` steps, an interruption (the cancel token, the claim's deadline) or the run's
    /// wall-time budget since `started`, or its share of the work limit.
    fn check(
        &self,
        step: usize,
        loss: f64,
        ceiling: f64,
        method: &impl Iterate,
        started: Instant,
    ) -> Option<Stop> {
        let outside = || {
            if !step.is_multiple_of(CHECK_OUTSIDE_EVERY) {
                return None;
            }
            let bounds = &self.bounds;
            if let Some(stop) = bounds.ended(started) {
                Some(stop)
            } else if bounds
                .work
                .zip(method.work())
                .is_some_and(|(limit, done)| done > limit)
            {
                Some(Stop::Work)
            } else {
                None
            }
        };
        if !loss.is_finite() || loss > ceiling {
            Some(Stop::Diverged)
        } else if self.target_loss.is_some_and(|target| loss <= target) {
            Some(Stop::Target)
        } else if let Some(stop) = method.stop() {
            Some(stop)
        } else if method.follows_the_loss() && loss < f64::MIN_POSITIVE {
            Some(Stop::Underflow)
        } else if step >= self.max_steps {
            Some(Stop::Budget)
        } else {
            outside()
        }
    }
}

/// Runs `method` until a stopping rule fires, showing every step to the trace (log-spaced
/// samples and the last step) and to what `watch` asks for. `test` lets the trace follow the
/// test errors. The record is made here, once.
pub fn drive<M: Iterate>(
    mut method: M,
    stopping: Stopping,
    test: Test,
    watch: &Watch,
) -> RunRecord {
    let mut trace = TraceObserver::new(test);
    let mut watched = WatchObserver::new(watch);
    let mut curve = CurveObserver::new(watch.curve);
    let mut components = Vec::new();
    let mut step = 0;
    let mut ceiling = f64::INFINITY;
    let started = Instant::now();
    let stop = loop {
        let loss = method.evaluate();
        if step == 0 {
            ceiling = BLOW_UP * loss.max(1.0);
        }
        let stop = stopping.check(step, loss, ceiling, &method, started);
        let time = method.time();
        let mut probe = Probe::new(
            method.step().unwrap_or(step),
            loss,
            time,
            stop.is_some(),
            &mut method,
            &mut components,
        );
        for observer in [&mut watched as &mut dyn Observer, &mut trace, &mut curve] {
            observer.observe(&mut probe);
        }
        if let Some(stop) = stop {
            break stop;
        }
        method.advance();
        step += 1;
    };
    let (time, rejected, work) = (method.time(), method.rejected(), method.work());
    let steps = method.step().unwrap_or(step);
    let time = Some(time).filter(|t| !t.is_nan());
    let (extremes, moments) = watched.finish();
    let kkt_residual = method.kkt_residual();
    let Endpoint {
        matrix,
        factors,
        certificate,
    } = method.finish();
    RunRecord {
        stop,
        steps,
        time,
        rejected_steps: rejected,
        extremes,
        kkt_residual,
        certificate,
        failure: None,
        trace: trace.finish(),
        curve: curve.finish(),
        matrix,
        factors,
        moments,
        work,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A method whose losses are scripted: step k has loss `losses[k]`.
    struct Scripted {
        losses: Vec<f64>,
        step: usize,
        w: DMatrix<f64>,
    }

    impl Iterate for Scripted {
        fn evaluate(&mut self) -> f64 {
            self.losses[self.step]
        }
        fn advance(&mut self) {
            self.step += 1;
        }
        fn matrix(&mut self) -> &DMatrix<f64> {
            &self.w
        }
        fn finish(self) -> Endpoint {
            Endpoint {
                matrix: self.w.clone(),
                factors: vec![self.w],
                certificate: None,
            }
        }
    }

    fn run(losses: &[f64]) -> RunRecord {
        let method = Scripted {
            losses: losses.to_vec(),
            step: 0,
            w: DMatrix::zeros(1, 1),
        };
        let stopping = Stopping {
            max_steps: losses.len() - 1,
            target_loss: Some(1e-9),
            bounds: Bounds::default(),
        };
        drive(method, stopping, Test::default(), &Watch::default())
    }

    #[test]
    fn divergence_is_a_loss_beyond_blow_up_times_the_start() {
        assert_eq!(BLOW_UP, 1e8);
        // From ℓ(0) = 2 the ceiling is 2e8: reaching it is not divergence, passing it is.
        assert_eq!(run(&[2.0, 2e8, 1.0]).stop, Stop::Budget);
        let past = run(&[2.0, 2e8 * (1.0 + 1e-15), 1.0]);
        assert_eq!((past.stop, past.steps), (Stop::Diverged, 1));
        // Below a start of 1 the ceiling is 1e8 itself.
        assert_eq!(run(&[1e-3, 1e8, 1.0]).stop, Stop::Budget);
        assert_eq!(run(&[1e-3, 1.0000001e8, 1.0]).stop, Stop::Diverged);
        for bad in [f64::NAN, f64::INFINITY] {
            assert_eq!(run(&[1.0, bad, 1.0]).stop, Stop::Diverged);
        }
        // Divergence is checked before the target: a NaN never counts as reached.
        assert_eq!(run(&[1.0, 1e-12]).stop, Stop::Target);
    }
}
