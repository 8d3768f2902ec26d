//! How a matrix is found. A solver reads a run's configuration and a problem, never YAML, and
//! hands back a `Solution`; `driver` owns the loop shared by every iterative method.

pub mod deep;
pub mod driver;
pub mod flow;
pub mod gemm;
pub mod init;
pub mod nuclear;
pub mod optimizer;
pub mod penalty;
pub mod sampled;
pub mod spectral;

pub use deep::{DeepFactorisation, DeepSpec, Descent, DetSign};
pub use driver::{Status, Stopping};
pub use flow::{Flow, Tolerances};
pub use init::InitSpec;
pub use nuclear::{Admm, Certificate, NuclearNormSpec};
pub use optimizer::{OptimizerSpec, StepRule};
pub use penalty::PenaltySpec;

use crate::invalid::Invalid;
use crate::problem::{Problem, Reduction};
use crate::trace::Trace;
use crate::watch::{Watch, Watched};
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

/// A run as a claim describes it: one solver and its settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum RunSpec {
    /// Gradient-based training of W = W_N ⋯ W_1.
    Deep(DeepSpec),
    /// Minimum nuclear norm subject to the observations, with an optimality certificate.
    NuclearNorm(NuclearNormSpec),
}

/// The result of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct Solution {
    /// The end-to-end matrix.
    pub matrix: DMatrix<f64>,
    /// The factors W_1, …, W_N (one factor for a direct solver).
    pub factors: Vec<DMatrix<f64>>,
    pub trace: Trace,
    pub status: Status,
    /// Steps taken (accepted steps for gradient flow, iterations for ADMM).
    pub steps: usize,
    /// Σ of the step sizes (GD), the time reached (flow); NaN for a convex run.
    pub time: f64,
    /// Steps an adaptive integrator rejected.
    pub rejected: usize,
    /// Extremes over every step and the matrices at requested moments.
    pub watched: Watched,
    /// The optimality certificate of a convex run.
    pub certificate: Option<Certificate>,
}

impl RunSpec {
    /// Rejects impossible settings for a rows×cols problem.
    pub fn validate(&self, rows: usize, cols: usize) -> Result<(), Invalid> {
        match self {
            RunSpec::Deep(deep) => deep.validate(rows, cols).map_err(|e| e.within("deep")),
            RunSpec::NuclearNorm(spec) => spec.validate().map_err(|e| e.within("nuclear_norm")),
        }
    }

    /// Whether the run hands back an optimality certificate.
    pub fn certifies(&self) -> bool {
        matches!(self, RunSpec::NuclearNorm(_))
    }

    /// The loss normalisation the run optimises (and reports as `train_loss`).
    pub fn reduction(&self) -> Reduction {
        match self {
            RunSpec::Deep(deep) => deep.loss,
            RunSpec::NuclearNorm(_) => Reduction::Mean,
        }
    }
}

/// Runs `run` on `problem` watching nothing beyond the defaults (see `solve_watching`).
pub fn solve(run: &RunSpec, problem: &Problem, seed: u64) -> Solution {
    solve_watching(run, problem, seed, &Watch::default())
}

/// Runs `run` on `problem`, watching what `watch` asks at every step; a deep run's
/// initialisation draws from the seed's stream named by the run's initialisation identity.
/// Expects a validated run.
pub fn solve_watching(run: &RunSpec, problem: &Problem, seed: u64, watch: &Watch) -> Solution {
    let truth = problem.truth.as_ref();
    match run {
        RunSpec::Deep(spec) => {
            let (rows, cols) = (problem.rows, problem.cols);
            let factors = spec.start(rows, cols, seed);
            let model =
                DeepFactorisation::new(problem, spec.loss, factors).with_penalty(spec.penalty);
            let stopping = Stopping {
                max_steps: spec.step_budget(),
                target_loss: spec.target_loss,
            };
            let (outcome, mut model) = match spec.optimizer {
                OptimizerSpec::GradientFlow {
                    rtol,
                    atol,
                    horizon,
                } => {
                    let tolerances = Tolerances {
                        rtol,
                        atol,
                        horizon: horizon.unwrap_or(f64::INFINITY),
                    };
                    let mut flow = Flow::new(model, tolerances);
                    let outcome = driver::drive(&mut flow, stopping, truth, watch);
                    (outcome, flow.into_model())
                }
                rule => {
                    let mut descent = Descent {
                        model,
                        rule: StepRule::new(rule),
                    };
                    let outcome = driver::drive(&mut descent, stopping, truth, watch);
                    (outcome, descent.model)
                }
            };
            Solution::new(model.product().clone(), model.into_factors(), outcome, None)
        }
        RunSpec::NuclearNorm(spec) => {
            let mut admm = Admm::new(problem, spec.clone());
            let stopping = Stopping {
                max_steps: spec.iterations,
                target_loss: None,
            };
            let outcome = driver::drive(&mut admm, stopping, truth, watch);
            let matrix = admm.solution().clone();
            let certificate = Some(admm.certificate());
            Solution::new(matrix.clone(), vec![matrix], outcome, certificate)
        }
    }
}

impl Solution {
    fn new(
        matrix: DMatrix<f64>,
        factors: Vec<DMatrix<f64>>,
        outcome: driver::Outcome,
        certificate: Option<Certificate>,
    ) -> Self {
        Self {
            matrix,
            factors,
            trace: outcome.trace,
            status: outcome.status,
            steps: outcome.steps,
            time: outcome.time,
            rejected: outcome.rejected,
            watched: outcome.watched,
            certificate,
        }
    }
}
