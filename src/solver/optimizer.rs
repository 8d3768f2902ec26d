//! How parameters move. `gd` and `normalised_gd` keep the gradient's direction and choose one
//! global step size per iteration; `adam` rescales every coordinate. A rule holds only its
//! hyper-parameters and its running state, and updates any list of parameter matrices, so every
//! gradient method can use it. `gradient_flow` is the continuous limit, integrated by `flow`.

use crate::invalid::{Invalid, require};
use nalgebra::DMatrix;
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
    /// Adam (Kingma & Ba 2015): per coordinate, lr·m̂/(√v̂ + eps) with m̂, v̂ the bias-corrected
    /// EMAs (rates β₁, β₂) of the gradient and its square.
    Adam {
        lr: f64,
        #[serde(default = "default_beta1")]
        beta1: f64,
        #[serde(default = "default_beta2")]
        beta2: f64,
        #[serde(default = "default_adam_eps")]
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

fn default_beta1() -> f64 {
    0.9
}

fn default_beta2() -> f64 {
    0.999
}

fn default_adam_eps() -> f64 {
    1e-8
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
        let positive = |x: f64, field: &str, what: &str| {
            require(x > 0.0 && x.is_finite(), field, || {
                format!("a positive, finite {what}")
            })
        };
        let rate = |x: f64, field: &str, what: &str| {
            require((0.0..1.0).contains(&x), field, || {
                format!("{what} in [0, 1)")
            })
        };
        match *self {
            OptimizerSpec::Gd { lr } => positive(lr, "gd.lr", "step"),
            OptimizerSpec::NormalisedGd { lr, decay, eps } => {
                positive(lr, "normalised_gd.lr", "step")?;
                rate(decay, "normalised_gd.decay", "a decay")?;
                positive(eps, "normalised_gd.eps", "eps")
            }
            OptimizerSpec::Adam {
                lr,
                beta1,
                beta2,
                eps,
            } => {
                positive(lr, "adam.lr", "step")?;
                rate(beta1, "adam.beta1", "a β₁")?;
                rate(beta2, "adam.beta2", "a β₂")?;
                positive(eps, "adam.eps", "eps")
            }
            OptimizerSpec::GradientFlow {
                rtol,
                atol,
                horizon,
            } => {
                positive(rtol, "gradient_flow.rtol", "relative tolerance")?;
                positive(atol, "gradient_flow.atol", "absolute tolerance")?;
                match horizon {
                    Some(time) => positive(time, "gradient_flow.horizon", "time"),
                    None => Ok(()),
                }
            }
        }
    }
}

/// The running state of a step rule.
#[derive(Debug, Clone)]
pub struct StepRule {
    spec: OptimizerSpec,
    /// normalised_gd: the EMA of Σ‖∇‖²; adam: unused.
    average: f64,
    /// β^t for the bias corrections (normalised_gd: decay^t; adam: β₁^t and β₂^t).
    decay_power: f64,
    second_power: f64,
    /// Adam's first and second moments, one matrix per parameter (allocated at the first step).
    first_moments: Vec<DMatrix<f64>>,
    second_moments: Vec<DMatrix<f64>>,
    /// Σ of the (nominal) steps taken: the time of the gradient flow that GD approximates.
    elapsed: f64,
}

impl StepRule {
    pub fn new(spec: OptimizerSpec) -> Self {
        Self {
            spec,
            average: 0.0,
            decay_power: 1.0,
            second_power: 1.0,
            first_moments: Vec::new(),
            second_moments: Vec::new(),
            elapsed: 0.0,
        }
    }

    /// One step of every parameter against its gradient.
    pub fn apply(&mut self, parameters: &mut [DMatrix<f64>], gradients: &[DMatrix<f64>]) {
        match self.spec {
            OptimizerSpec::Gd { lr } => self.descend(parameters, gradients, lr),
            OptimizerSpec::NormalisedGd { lr, decay, eps } => {
                let sq_norm: f64 = gradients.iter().map(|g| sum_of_squares(g.as_slice())).sum();
                self.average = decay * self.average + (1.0 - decay) * sq_norm;
                self.decay_power *= decay;
                let corrected = self.average / (1.0 - self.decay_power);
                self.descend(parameters, gradients, lr / (corrected.sqrt() + eps));
            }
            OptimizerSpec::Adam {
                lr,
                beta1,
                beta2,
                eps,
            } => {
                if self.first_moments.is_empty() {
                    self.first_moments = gradients.iter().map(|g| g.map(|_| 0.0)).collect();
                    self.second_moments = self.first_moments.clone();
                }
                self.decay_power *= beta1;
                self.second_power *= beta2;
                let (first_correction, second_correction) =
                    (1.0 - self.decay_power, 1.0 - self.second_power);
                let moments = self.first_moments.iter_mut().zip(&mut self.second_moments);
                for ((w, g), (m, v)) in parameters.iter_mut().zip(gradients).zip(moments) {
                    m.zip_apply(g, |m, g| *m = beta1 * *m + (1.0 - beta1) * g);
                    v.zip_apply(g, |v, g| *v = beta2 * *v + (1.0 - beta2) * g * g);
                    w.zip_zip_apply(m, v, |x, m, v| {
                        *x -= lr * (m / first_correction) / ((v / second_correction).sqrt() + eps)
                    });
                }
                self.elapsed += lr;
            }
            OptimizerSpec::GradientFlow { .. } => {
                unreachable!("gradient flow runs through `flow::Flow`, never a step rule")
            }
        }
    }

    /// W ← W − step·∇ for every parameter.
    fn descend(&mut self, parameters: &mut [DMatrix<f64>], gradients: &[DMatrix<f64>], step: f64) {
        for (w, g) in parameters.iter_mut().zip(gradients) {
            w.zip_apply(g, |x, dx| *x -= step * dx);
        }
        self.elapsed += step;
    }

    /// Σ of the steps taken so far (Adam: lr per step).
    pub fn elapsed(&self) -> f64 {
        self.elapsed
    }
}

/// Σ x² with eight partial sums: a single running sum would wait on every addition.
fn sum_of_squares(x: &[f64]) -> f64 {
    let (chunks, tail) = x.as_chunks::<8>();
    let mut sums = [0.0; 8];
    for chunk in chunks {
        for (sum, x) in sums.iter_mut().zip(chunk) {
            *sum += x * x;
        }
    }
    let total =
        ((sums[0] + sums[1]) + (sums[2] + sums[3])) + ((sums[4] + sums[5]) + (sums[6] + sums[7]));
    tail.iter().fold(total, |sum, x| sum + x * x)
}
