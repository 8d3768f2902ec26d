//! How a matrix is found. A solver reads a run's configuration and a problem, never YAML, and
//! hands back a `Solution`; `driver` owns the loop shared by every iterative method.

pub mod deep;
pub mod driver;
pub mod init;
pub mod nuclear;
pub mod optimizer;

pub use deep::{DeepFactorisation, DeepSpec, Descent};
pub use driver::{Status, Stopping};
pub use init::InitSpec;
pub use nuclear::{Admm, Certificate, NuclearNormSpec};
pub use optimizer::{OptimizerSpec, StepRule};

use crate::invalid::Invalid;
use crate::problem::{Problem, Reduction};
use crate::random;
use crate::trace::Trace;
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
    pub steps: usize,
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

/// Runs `run` on `problem`; a deep run's initialisation draws from the seed's stream named by the
/// run's initialisation identity. Expects a validated run.
pub fn solve(run: &RunSpec, problem: &Problem, seed: u64) -> Solution {
    match run {
        RunSpec::Deep(spec) => {
            let (rows, cols) = (problem.rows, problem.cols);
            let mut rng = random::named_stream(seed, &spec.init_identity(rows, cols));
            let factors =
                spec.init
                    .factors(spec.depth, rows, cols, spec.width(rows, cols), &mut rng);
            let mut descent = Descent {
                model: DeepFactorisation::new(problem, spec.loss, factors),
                rule: StepRule::new(spec.optimizer),
            };
            let stopping = Stopping {
                max_steps: spec.step_budget(),
                target_loss: spec.target_loss,
            };
            let outcome = driver::drive(&mut descent, stopping, problem.truth.as_ref());
            Solution {
                matrix: descent.model.product().clone(),
                factors: descent.model.into_factors(),
                trace: outcome.trace,
                status: outcome.status,
                steps: outcome.steps,
                certificate: None,
            }
        }
        RunSpec::NuclearNorm(spec) => {
            let mut admm = Admm::new(problem, spec.clone());
            let stopping = Stopping {
                max_steps: spec.iterations,
                target_loss: None,
            };
            let outcome = driver::drive(&mut admm, stopping, problem.truth.as_ref());
            let matrix = admm.solution().clone();
            Solution {
                certificate: Some(admm.certificate()),
                factors: vec![matrix.clone()],
                matrix,
                trace: outcome.trace,
                status: outcome.status,
                steps: outcome.steps,
            }
        }
    }
}
