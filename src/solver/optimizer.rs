//! How a deep factorisation moves. The discrete rules keep the gradient's direction and choose
//! one global step size per iteration; a rule holds only its hyper-parameters and its running
//! state. `gradient_flow` is the continuous limit, integrated by `flow`.

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
    /// Gradient flow, integrated by Dormand–Prince 5(4) under `rtol`/`atol` (see `flow`); the
    /// run stops at `target_loss`, after `steps` accepted steps, or at time `horizon`.
    GradientFlow {
        #[serde(default = "default_rtol")]
        rtol: f64,
        #[serde(default = "default_atol")]
        atol: f64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        horizon: Option<f64>,
    },
}

fn default_rtol() -> f64 {
    1e-8
}

fn default_atol() -> f64 {
    1e-10
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
            OptimizerSpec::GradientFlow {
                rtol,
                atol,
                horizon,
            } => {
                require(positive(rtol), "gradient_flow.rtol", || {
                    "a positive relative tolerance".into()
                })?;
                require(positive(atol), "gradient_flow.atol", || {
                    "a positive absolute tolerance".into()
                })?;
                require(
                    horizon.is_none_or(positive),
                    "gradient_flow.horizon",
                    || "a positive, finite time".into(),
                )
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
    /// Σ of the steps taken: the time of the gradient flow that GD approximates.
    elapsed: f64,
}

impl StepRule {
    pub fn new(spec: OptimizerSpec) -> Self {
        Self {
            spec,
            average: 0.0,
            decay_power: 1.0,
            elapsed: 0.0,
        }
    }

    /// The step size for a gradient whose squared norm (over all factors) is `gradient_sq_norm`.
    pub fn step_size(&mut self, gradient_sq_norm: f64) -> f64 {
        let step = match self.spec {
            OptimizerSpec::Gd { lr } => lr,
            OptimizerSpec::NormalisedGd { lr, decay, eps } => {
                self.average = decay * self.average + (1.0 - decay) * gradient_sq_norm;
                self.decay_power *= decay;
                let corrected = self.average / (1.0 - self.decay_power);
                lr / (corrected.sqrt() + eps)
            }
            OptimizerSpec::GradientFlow { .. } => {
                unreachable!("gradient flow runs through `flow::Flow`, never a step rule")
            }
        };
        self.elapsed += step;
        step
    }

    /// Σ of the steps taken so far.
    pub fn elapsed(&self) -> f64 {
        self.elapsed
    }
}
