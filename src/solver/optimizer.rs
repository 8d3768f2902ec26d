//! How far a gradient step goes. Both rules keep the gradient's direction and choose one global
//! step size per iteration; a rule holds only its hyper-parameters and its running state.

use crate::invalid::{Invalid, require};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum OptimizerSpec {
    /// Plain gradient descent with a constant step.
    Gd { lr: f64 },
    /// Arora et al.'s "GroupRMSprop" (2019, code): step lr / (√v̂ + eps) with v̂ the
    /// bias-corrected EMA (rate `decay`) of Σ_j‖∇W_j‖².
    NormalisedGd {
        lr: f64,
        #[serde(default = "default_decay")]
        decay: f64,
        #[serde(default = "default_eps")]
        eps: f64,
    },
}

fn default_decay() -> f64 {
    0.99
}

fn default_eps() -> f64 {
    1e-4
}

impl OptimizerSpec {
    pub(super) fn validate(&self) -> Result<(), Invalid> {
        let positive = |x: f64| x > 0.0 && x.is_finite();
        match *self {
            OptimizerSpec::Gd { lr } => {
                require(positive(lr), "gd.lr", || "a positive, finite step".into())
            }
            OptimizerSpec::NormalisedGd { lr, decay, eps } => {
                require(positive(lr), "normalised_gd.lr", || {
                    "a positive, finite step".into()
                })?;
                require((0.0..1.0).contains(&decay), "normalised_gd.decay", || {
                    "a decay in [0, 1)".into()
                })?;
                require(positive(eps), "normalised_gd.eps", || {
                    "a positive, finite eps".into()
                })
            }
        }
    }
}

/// The running state of a step rule.
#[derive(Debug, Clone)]
pub struct StepRule {
    spec: OptimizerSpec,
    average: f64,
    decay_power: f64,
}

impl StepRule {
    pub fn new(spec: OptimizerSpec) -> Self {
        Self {
            spec,
            average: 0.0,
            decay_power: 1.0,
        }
    }

    /// The step size for a gradient whose squared norm (over all factors) is `gradient_sq_norm`.
    pub fn step_size(&mut self, gradient_sq_norm: f64) -> f64 {
        match self.spec {
            OptimizerSpec::Gd { lr } => lr,
            OptimizerSpec::NormalisedGd { lr, decay, eps } => {
                self.average = decay * self.average + (1.0 - decay) * gradient_sq_norm;
                self.decay_power *= decay;
                let corrected = self.average / (1.0 - self.decay_power);
                lr / (corrected.sqrt() + eps)
            }
        }
    }
}
