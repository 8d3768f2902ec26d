//! The one record of a run: made once by the driver, then read unchanged by the claim
//! vocabulary, reports, snapshots and exports. Nothing copies its fields into another struct.

use super::certificate::Certificate;
use super::curve::CurveSample;
use super::trace::Trace;
use super::watch::{Extremes, MatrixAt, When};
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

/// Why a run stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stop {
    /// The loss fell to the run's `target_loss`.
    Target,
    /// The method's certificate met its tolerances (a convex run's duality gap and feasibility).
    Certified,
    /// A predictor fitted exactly when built, with nothing to certify (`baseline`).
    Solved,
    /// A gradient flow reached its time horizon.
    Horizon,
    /// The step budget ran out.
    Budget,
    /// The loss fell below the smallest normal f64 (2.2e-308), where the gradients, as small,
    /// have lost their digits (and at 0 vanish): no step can be trusted to move the run. On
    /// separable data a margin loss gets there (least margin beyond ~708) while the direction
    /// may still be far from its limit; `ln_train_loss` stays finite.
    Underflow,
    /// The loss became NaN/Inf or blew up (see `BLOW_UP`).
    Diverged,
    /// The run's wall-time budget (`--max-run-seconds`) ran out: exhausted, on this machine.
    Time,
    /// The run's share of the work limit (`--max-work`) ran out: exhausted under that limit.
    Work,
    /// Stopped from outside: Ctrl-C, or its claim's wall-time budget.
    Interrupted,
    /// Another program's run failed: it exited with an error, wrote no result, or wrote one
    /// that is not a result (`RunRecord::failure` says which, located).
    Failed,
}

/// How a run ended, in three words: what `status` reports and `converged`/`diverged` read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The target loss was reached, the certificate passed, or a predictor was fitted.
    Converged,
    /// A budget (steps, the flow's horizon, or wall time) ran out first.
    Exhausted,
    /// The run blew up.
    Diverged,
    /// The run was stopped from outside; it decides nothing.
    Interrupted,
    /// Another program's run failed (`Stop::Failed`): it has no matrix, and every metric of it
    /// is NaN, so assertions on it fail.
    Failed,
}

impl Stop {
    /// The reason's status.
    pub fn status(self) -> Status {
        match self {
            Stop::Target | Stop::Certified | Stop::Solved => Status::Converged,
            Stop::Horizon | Stop::Budget | Stop::Underflow | Stop::Time | Stop::Work => {
                Status::Exhausted
            }
            Stop::Diverged => Status::Diverged,
            Stop::Interrupted => Status::Interrupted,
            Stop::Failed => Status::Failed,
        }
    }

    /// Whether a run that stopped so says what its settings give anywhere, and may be kept: not
    /// one stopped from outside or by this machine's clock or limits, nor a program's failure
    /// (which may be its environment's).
    pub fn keeps(self) -> bool {
        !matches!(
            self,
            Stop::Interrupted | Stop::Time | Stop::Work | Stop::Failed
        )
    }
}

/// Everything one run on one instance produced.
/// The report's JSON leaves out the matrices (`#[serde(skip)]`); the result store keeps them
/// beside the record (`store::file`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// Why the run stopped.
    pub stop: Stop,
    /// Steps taken (accepted steps for gradient flow, iterations for ADMM).
    pub steps: usize,
    /// Σ of the step sizes (GD) or the time reached (flow); `None` for a convex run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<f64>,
    /// Steps an adaptive integrator rejected.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub rejected_steps: usize,
    /// Extremes over every step.
    pub extremes: Extremes,
    /// 1 − cos(θ, −∇_θ ℓ) at a gradient run's last parameters on a classification problem: the
    /// residual of the KKT conditions of min ‖θ‖² s.t. margins ≥ 1 with the loss's own
    /// multipliers (`model::kkt_residual`); a stationarity measure, not optimality.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kkt_residual: Option<f64>,
    /// A convex run's optimality certificate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate: Option<Certificate>,
    /// Why another program's run failed (`Stop::Failed`): its exit, or the located mistake in
    /// what it wrote, with the end of what it printed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
    /// Samples of the run at log-spaced steps and at its last step.
    pub trace: Trace,
    /// What a figure of the run's trajectory asked for, a hundred samples a decade (empty
    /// unless asked).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub curve: Vec<CurveSample>,
    /// The end-to-end matrix the run ended at.
    #[serde(skip, default = "empty")]
    pub matrix: DMatrix<f64>,
    /// The factors W_1, …, W_N (the matrix itself for a direct solver).
    #[serde(skip)]
    pub factors: Vec<DMatrix<f64>>,
    /// The matrix at each watched moment, `None` where the run never got there.
    #[serde(skip)]
    pub moments: Vec<(When, Option<MatrixAt>)>,
    /// The operations a method that counts them did (`driver::Iterate::work`): kept in the
    /// store, so that a record is reused under a work limit only when a fresh run would not
    /// have been stopped by it; not part of the report.
    #[serde(skip)]
    pub work: Option<f64>,
}

impl RunRecord {
    /// A run that failed for `reason` (`Stop::Failed`): no steps, no matrix.
    pub fn failed(reason: String) -> Self {
        RunRecord {
            stop: Stop::Failed,
            steps: 0,
            time: None,
            rejected_steps: 0,
            extremes: Extremes {
                min_loss: f64::NAN,
                max_loss: f64::NAN,
                max_entry: None,
                min_det: None,
                max_det: None,
            },
            kkt_residual: None,
            certificate: None,
            failure: Some(reason),
            trace: Trace::default(),
            curve: Vec::new(),
            matrix: empty(),
            factors: Vec::new(),
            moments: Vec::new(),
            work: None,
        }
    }

    /// How the run ended.
    pub fn status(&self) -> Status {
        self.stop.status()
    }

    /// The matrix at moment `when`, if the run reached it.
    pub fn moment(&self, when: &When) -> Option<&MatrixAt> {
        self.moments
            .iter()
            .find(|(w, _)| w == when)
            .and_then(|(_, moment)| moment.as_ref())
    }
}

fn empty() -> DMatrix<f64> {
    DMatrix::zeros(0, 0)
}

fn is_zero(count: &usize) -> bool {
    *count == 0
}
