//! How a trained model moves (a deep factorisation, a diagonal or convolutional network). `gd`
//! and `normalised_gd` keep the gradient's direction and choose one global step size per
//! iteration; `steepest` takes steps of one length in a norm (ℓ2: the literature's normalised
//! GD; ℓ∞: sign descent); `adam` rescales every coordinate: these are step rules, each
//! holding its hyper-parameters and its own running state, and they update any list of
//! parameter matrices. `gradient_flow` is not a step rule but the continuous limit, integrated by
//! `flow` with its own settings (`FlowSpec`).

use crate::invalid::{Invalid, require};
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

/// How a trained model moves, as a claim writes it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum OptimizerSpec {
    /// Plain gradient descent with a constant step.
    Gd {
        /// The step size η.
        lr: f64,
    },
    /// Arora et al.'s "GroupRMSprop" (2019, code): step lr / (√v̂ + eps) with v̂ the
    /// bias-corrected EMA (rate `decay`) of Σ_j‖∇W_j‖².
    NormalisedGd {
        /// The step size before normalisation.
        lr: f64,
        /// The EMA's rate.
        #[serde(default = "default_decay")]
        decay: f64,
        /// Added to √v̂.
        #[serde(default = "default_eps")]
        eps: f64,
    },
    /// Normalised steepest descent: every step has length `lr` in `norm`, Δ = −lr·argmax
    /// {⟨g, u⟩ : ‖u‖ ≤ 1} over all parameters at once. In ℓ2 it is gradient descent with the
    /// step lr/‖g‖₂ (Nacson et al. 2019's normalised GD); in ℓ∞ it is sign descent, −lr·sign(g),
    /// whose limit on separable data is the ℓ∞ maximum margin (Gunasekar, Lee, Soudry, Srebro
    /// 2018, ICML, arXiv 1802.08246: steepest descent in a norm → that norm's margin).
    Steepest {
        /// The length of every step.
        lr: f64,
        /// The norm the step is steepest in.
        norm: StepNorm,
    },
    /// Adam (Kingma & Ba 2015): per coordinate, lr·m̂/(√v̂ + eps) with m̂, v̂ the bias-corrected
    /// EMAs (rates β₁, β₂) of the gradient and its square.
    Adam {
        /// The step size.
        lr: f64,
        /// The first moment's rate β₁.
        #[serde(default = "default_beta1")]
        beta1: f64,
        /// The second moment's rate β₂.
        #[serde(default = "default_beta2")]
        beta2: f64,
        /// Added to √v̂; 0 is allowed (full-batch Adam without ε, whose limit on separable data
        /// is the ℓ∞ maximum margin: Zhang, Zou, Cao 2024), and a coordinate whose gradients
        /// have all been 0 then does not move.
        #[serde(default = "default_adam_eps")]
        eps: f64,
        /// a ≥ 0 in the step lr·t^{−a} at step t = 1, 2, …: 0 (the default) keeps it constant;
        /// Zhang, Zou, Cao 2024 prove the ℓ∞ limit for diminishing rates, a ∈ (0, 1].
        #[serde(default, skip_serializing_if = "is_zero")]
        decay_power: f64,
    },
    /// Gradient flow, integrated by Dormand–Prince 5(4) (see `flow`).
    GradientFlow(FlowSpec),
}

/// The norms a steepest step is taken in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepNorm {
    /// ‖·‖₂: the step lr·g/‖g‖₂.
    L2,
    /// ‖·‖∞: the step lr·sign(g).
    Linf,
}

fn is_zero(x: &f64) -> bool {
    *x == 0.0
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

fn default_decay() -> f64 {
    0.99
}

fn default_eps() -> f64 {
    1e-4
}

/// A flow's tolerances and horizon, as a claim writes them: the error of every entry is held to
/// atol + rtol·|w|; the run stops at `target_loss`, after `steps` accepted steps, or at time
/// `horizon`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlowSpec {
    /// The relative tolerance.
    #[serde(default = "default_rtol")]
    pub rtol: f64,
    /// The absolute tolerance.
    #[serde(default = "default_atol")]
    pub atol: f64,
    /// Stop at this time (`exhausted`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub horizon: Option<f64>,
}

fn default_rtol() -> f64 {
    1e-8
}

fn default_atol() -> f64 {
    1e-10
}

impl FlowSpec {
    pub(super) fn validate(&self) -> Result<(), Invalid> {
        positive(self.rtol, "rtol", "relative tolerance")?;
        positive(self.atol, "atol", "absolute tolerance")?;
        match self.horizon {
            Some(time) => positive(time, "horizon", "time"),
            None => Ok(()),
        }
    }

    /// The time to stop at: infinite when the run stops on loss or steps only.
    pub(super) fn end(&self) -> f64 {
        self.horizon.unwrap_or(f64::INFINITY)
    }
}

/// A positive, finite number.
fn positive(x: f64, field: &str, what: &str) -> Result<(), Invalid> {
    require(x > 0.0 && x.is_finite(), field, || {
        format!("a positive, finite {what}")
    })
}

/// An EMA rate in [0, 1).
fn rate(x: f64, field: &str, what: &str) -> Result<(), Invalid> {
    require((0.0..1.0).contains(&x), field, || {
        format!("{what} in [0, 1)")
    })
}

impl OptimizerSpec {
    /// Evaluations of the loss and gradients a step takes: one for a step rule, seven for the
    /// flow's Dormand–Prince pair (`flow`: its stages, the last shared with the next step's
    /// first, and a rejected step's retry counted against them).
    pub fn evaluations_per_step(&self) -> f64 {
        match self {
            OptimizerSpec::GradientFlow(_) => 7.0,
            _ => 1.0,
        }
    }

    pub(super) fn validate(&self) -> Result<(), Invalid> {
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
                decay_power,
            } => {
                require(
                    (0.0..=1.0).contains(&decay_power),
                    "adam.decay_power",
                    || "a decay power in [0, 1]".into(),
                )?;
                positive(lr, "adam.lr", "step")?;
                rate(beta1, "adam.beta1", "a β₁")?;
                rate(beta2, "adam.beta2", "a β₂")?;
                require(eps >= 0.0 && eps.is_finite(), "adam.eps", || {
                    "a finite eps ≥ 0".into()
                })
            }
            OptimizerSpec::Steepest { lr, .. } => positive(lr, "steepest.lr", "step"),
            OptimizerSpec::GradientFlow(flow) => {
                flow.validate().map_err(|e| e.within("gradient_flow"))
            }
        }
    }

    /// What moves the run: a step rule, or the flow's integrator settings.
    pub fn integrator(&self) -> Integrator {
        let rule = match *self {
            OptimizerSpec::Gd { lr } => Rule::Gd { lr },
            OptimizerSpec::NormalisedGd { lr, decay, eps } => Rule::Normalised {
                lr,
                decay,
                eps,
                average: 0.0,
                decay_power: 1.0,
            },
            OptimizerSpec::Adam {
                lr,
                beta1,
                beta2,
                eps,
                decay_power,
            } => Rule::Adam {
                lr,
                beta1,
                beta2,
                eps,
                decay_power,
                steps: 0.0,
                powers: (1.0, 1.0),
                moments: Vec::new(),
            },
            OptimizerSpec::Steepest { lr, norm } => Rule::Steepest { lr, norm },
            OptimizerSpec::GradientFlow(flow) => return Integrator::Flow(flow),
        };
        Integrator::Steps(StepRule { rule, elapsed: 0.0 })
    }
}

impl Integrator {
    /// The step rule, or `None` for the flow.
    pub fn step_rule(self) -> Option<StepRule> {
        match self {
            Integrator::Steps(rule) => Some(rule),
            Integrator::Flow(_) => None,
        }
    }
}

/// The two ways a trained model moves.
#[derive(Debug, Clone)]
pub enum Integrator {
    /// Discrete steps sized by a rule.
    Steps(StepRule),
    /// The gradient flow, integrated under these settings.
    Flow(FlowSpec),
}

/// A step rule with its running state.
#[derive(Debug, Clone)]
pub struct StepRule {
    rule: Rule,
    /// Σ of the (nominal) steps taken: the time of the gradient flow that GD approximates.
    elapsed: f64,
}

/// Each rule's hyper-parameters and state.
#[derive(Debug, Clone)]
enum Rule {
    Gd {
        lr: f64,
    },
    Normalised {
        lr: f64,
        decay: f64,
        eps: f64,
        /// The EMA of Σ‖∇‖².
        average: f64,
        /// decay^t, for the bias correction.
        decay_power: f64,
    },
    Steepest {
        lr: f64,
        norm: StepNorm,
    },
    Adam {
        lr: f64,
        beta1: f64,
        beta2: f64,
        eps: f64,
        decay_power: f64,
        /// t, the steps taken.
        steps: f64,
        /// β₁^t and β₂^t, for the bias corrections.
        powers: (f64, f64),
        /// The first and second moments of every parameter (allocated at the first step).
        moments: Vec<(DMatrix<f64>, DMatrix<f64>)>,
    },
}

impl StepRule {
    /// One step of every parameter against its gradient.
    pub fn apply(&mut self, parameters: &mut [DMatrix<f64>], gradients: &[DMatrix<f64>]) {
        let step = match &mut self.rule {
            Rule::Gd { lr } => *lr,
            Rule::Normalised {
                lr,
                decay,
                eps,
                average,
                decay_power,
            } => {
                let sq_norm: f64 = gradients.iter().map(|g| sum_of_squares(g.as_slice())).sum();
                *average = *decay * *average + (1.0 - *decay) * sq_norm;
                *decay_power *= *decay;
                let corrected = *average / (1.0 - *decay_power);
                *lr / (corrected.sqrt() + *eps)
            }
            Rule::Steepest { lr, norm } => {
                steepest(*lr, *norm, parameters, gradients);
                self.elapsed += *lr;
                return;
            }
            Rule::Adam {
                lr,
                beta1,
                beta2,
                eps,
                decay_power,
                steps,
                powers,
                moments,
            } => {
                if moments.is_empty() {
                    let zeros = |g: &DMatrix<f64>| g.map(|_| 0.0);
                    *moments = gradients.iter().map(|g| (zeros(g), zeros(g))).collect();
                }
                *steps += 1.0;
                let lr = if *decay_power == 0.0 {
                    *lr
                } else {
                    *lr * steps.powf(-*decay_power)
                };
                let (beta1, beta2, eps) = (*beta1, *beta2, *eps);
                powers.0 *= beta1;
                powers.1 *= beta2;
                let (first_correction, second_correction) = (1.0 - powers.0, 1.0 - powers.1);
                for ((w, g), (m, v)) in parameters.iter_mut().zip(gradients).zip(moments) {
                    m.zip_apply(g, |m, g| *m = beta1 * *m + (1.0 - beta1) * g);
                    v.zip_apply(g, |v, g| *v = beta2 * *v + (1.0 - beta2) * g * g);
                    w.zip_zip_apply(m, v, |x, m, v| {
                        let scale = (v / second_correction).sqrt() + eps;
                        // 0 only when eps = 0 and every gradient so far was 0 (so m = 0 too).
                        if scale > 0.0 {
                            *x -= lr * (m / first_correction) / scale
                        }
                    });
                }
                self.elapsed += lr;
                return;
            }
        };
        for (w, g) in parameters.iter_mut().zip(gradients) {
            w.zip_apply(g, |x, dx| *x -= step * dx);
        }
        self.elapsed += step;
    }

    /// Σ of the steps taken so far (Adam and the steepest rules: lr per step, their path's
    /// length in parameter space for `steepest`).
    pub fn elapsed(&self) -> f64 {
        self.elapsed
    }
}

/// One step of length `lr` in `norm` against the gradients, over all parameters at once.
fn steepest(lr: f64, norm: StepNorm, parameters: &mut [DMatrix<f64>], gradients: &[DMatrix<f64>]) {
    match norm {
        StepNorm::L2 => {
            let length = scaled_norm(gradients);
            // Divided entry by entry: 1/length itself overflows once the gradients are
            // subnormal. A zero gradient has no direction, and the step is 0.
            if length > 0.0 {
                for (w, g) in parameters.iter_mut().zip(gradients) {
                    w.zip_apply(g, |x, dx| *x -= lr * (dx / length));
                }
            }
        }
        StepNorm::Linf => {
            for (w, g) in parameters.iter_mut().zip(gradients) {
                w.zip_apply(g, |x, dx| *x -= lr * sign(dx));
            }
        }
    }
}

/// ‖g‖₂ over every matrix, scaled by the largest entry: on separable data the gradients reach
/// 1e-200 and below, whose squares underflow to 0 long before the gradients do.
fn scaled_norm(gradients: &[DMatrix<f64>]) -> f64 {
    let entries = || gradients.iter().flat_map(|g| g.iter());
    let largest = entries().fold(0.0_f64, |m, x| m.max(x.abs()));
    if largest == 0.0 {
        return 0.0;
    }
    let scaled: f64 = entries().map(|x| (x / largest) * (x / largest)).sum();
    largest * scaled.sqrt()
}

/// sign(x), 0 at 0.
fn sign(x: f64) -> f64 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        0.0
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

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(yaml: &str) -> OptimizerSpec {
        serde_yaml::with::singleton_map::deserialize(serde_yaml::Deserializer::from_str(yaml))
            .unwrap()
    }

    /// Two steps of `normalised_gd { lr: 0.1 }` by hand, with the documented defaults decay 0.99
    /// and eps 1e-4: v₁ = 0.01·25, v̂₁ = v₁/(1 − 0.99); v₂ = 0.99·v₁ + 0.01·1, v̂₂ = v₂/(1 − 0.99²).
    #[test]
    fn normalised_gd_steps_by_hand() {
        let mut rule = spec("normalised_gd: { lr: 0.1 }")
            .integrator()
            .step_rule()
            .unwrap();
        let mut w = vec![DMatrix::from_element(1, 2, 1.0)];
        rule.apply(&mut w, &[DMatrix::from_row_slice(1, 2, &[3.0, 4.0])]);
        let first = 0.1 / ((0.01 * 25.0 / 0.01f64).sqrt() + 1e-4);
        let expected = [1.0 - 3.0 * first, 1.0 - 4.0 * first];
        approx::assert_relative_eq!(w[0].as_slice(), &expected[..], max_relative = 1e-14);
        rule.apply(&mut w, &[DMatrix::from_row_slice(1, 2, &[0.0, 1.0])]);
        let v2 = 0.99 * (0.01 * 25.0) + 0.01 * 1.0;
        let second = 0.1 / ((v2 / (1.0 - 0.99f64 * 0.99)).sqrt() + 1e-4);
        let expected = [expected[0], expected[1] - second];
        approx::assert_relative_eq!(w[0].as_slice(), &expected[..], max_relative = 1e-14);
        approx::assert_relative_eq!(rule.elapsed(), first + second, max_relative = 1e-14);
    }

    /// Adam's defaults β₁ = 0.9, β₂ = 0.999, eps = 1e-8 by their effect on a second step.
    #[test]
    fn adam_steps_by_hand() {
        let mut rule = spec("adam: { lr: 0.1 }").integrator().step_rule().unwrap();
        let mut w = vec![DMatrix::from_element(1, 1, 0.0)];
        for g in [2.0, -1.0] {
            rule.apply(&mut w, &[DMatrix::from_element(1, 1, g)]);
        }
        let (m1, v1) = (0.1 * 2.0, 0.001 * 4.0);
        let (m2, v2) = (0.9 * m1 - 0.1, 0.999 * v1 + 0.001);
        let step = |m: f64, v: f64, t: i32| {
            0.1 * (m / (1.0 - 0.9f64.powi(t))) / ((v / (1.0 - 0.999f64.powi(t))).sqrt() + 1e-8)
        };
        let expected = -step(m1, v1, 1) - step(m2, v2, 2);
        approx::assert_relative_eq!(w[0][(0, 0)], expected, max_relative = 1e-12);
    }

    /// Steepest steps have length lr in their norm, over all parameters at once.
    #[test]
    fn steepest_steps_by_hand() {
        let gradients = [
            DMatrix::from_row_slice(1, 2, &[3.0, 0.0]),
            DMatrix::from_row_slice(1, 1, &[-4.0]),
        ];
        let start = || {
            vec![
                DMatrix::from_element(1, 2, 1.0),
                DMatrix::from_element(1, 1, 1.0),
            ]
        };
        let mut l2 = spec("steepest: { lr: 0.5, norm: l2 }")
            .integrator()
            .step_rule()
            .unwrap();
        let mut w = start();
        l2.apply(&mut w, &gradients);
        assert_eq!(w[0].as_slice(), &[1.0 - 0.5 * 3.0 / 5.0, 1.0]);
        assert_eq!(w[1].as_slice(), &[1.0 + 0.5 * 4.0 / 5.0]);
        assert_eq!(l2.elapsed(), 0.5);
        let mut linf = spec("steepest: { lr: 0.5, norm: linf }")
            .integrator()
            .step_rule()
            .unwrap();
        let mut w = start();
        linf.apply(&mut w, &gradients);
        assert_eq!(w[0].as_slice(), &[0.5, 1.0]);
        assert_eq!(w[1].as_slice(), &[1.5]);
        // A zero gradient leaves ℓ2's parameters where they are.
        l2.apply(&mut w, &[DMatrix::zeros(1, 2), DMatrix::zeros(1, 1)]);
        assert_eq!(w[1].as_slice(), &[1.5]);
    }

    /// Adam with eps = 0 is sign descent at its first step and leaves a coordinate whose
    /// gradients were all 0 where it is (no 0/0).
    #[test]
    fn adam_without_eps() {
        let mut rule = spec("adam: { lr: 0.1, eps: 0.0 }")
            .integrator()
            .step_rule()
            .unwrap();
        let mut w = vec![DMatrix::from_element(1, 2, 0.0)];
        rule.apply(&mut w, &[DMatrix::from_row_slice(1, 2, &[-3e-9, 0.0])]);
        approx::assert_relative_eq!(w[0][(0, 0)], 0.1, max_relative = 1e-12);
        assert_eq!(w[0][(0, 1)], 0.0);
    }

    #[test]
    fn the_flow_defaults_to_tight_tolerances() {
        let OptimizerSpec::GradientFlow(flow) = spec("gradient_flow: {}") else {
            panic!("a flow")
        };
        assert_eq!((flow.rtol, flow.atol, flow.horizon), (1e-8, 1e-10, None));
    }
}
