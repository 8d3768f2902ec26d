//! Linear regression y = Xw* (+ noise) as a d×1 problem: the rows xᵢ of the n×d design are the
//! measurements, ⟨xᵢ, w⟩ = yᵢ. The design has i.i.d. N(0, 1/n) entries (so XᵀX ≈ I when n ≫ d);
//! the truth is k-sparse (a uniformly random support of k entries, each N(0, 1)) or dense
//! (every entry N(0, 1)); the noise, when asked for, is N(0, σ²) on each yᵢ. With n < d the
//! problem is underdetermined and the interpolant a method finds is its implicit bias
//! (docs/science.md, "Regression and diagonal networks").

use super::instance::{Family, Fit, Form, Observations, Problem};
use crate::invalid::{Invalid, require};
use crate::random::{self, Rng};
use nalgebra::DMatrix;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

/// Regression as a claim writes it: `regression: { samples: n, features: d, sparsity: k,
/// noise: σ }` (`sparsity` absent: a dense truth; `noise` absent: 0).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegressionSpec {
    /// n, the measurements (rows of X).
    pub samples: usize,
    /// d, the entries of w.
    pub features: usize,
    /// k, the truth's nonzero entries; all d when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sparsity: Option<usize>,
    /// σ, the standard deviation of the noise on each yᵢ.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub noise: f64,
}

pub(super) fn is_zero(x: &f64) -> bool {
    *x == 0.0
}

/// Shared by the vector families: at least one sample and one feature, samples × features
/// within `usize`.
pub(super) fn validate_sizes(samples: usize, features: usize) -> Result<(), Invalid> {
    require(samples >= 1, "samples", || "at least 1 sample".into())?;
    require(features >= 1, "features", || "at least 1 feature".into())?;
    require(samples.checked_mul(features).is_some(), "features", || {
        "samples × features that a machine can count".into()
    })
}

impl Family for RegressionSpec {
    fn shape(&self) -> (usize, usize) {
        (self.features, 1)
    }

    fn has_truth(&self) -> bool {
        true
    }

    fn observations(&self) -> usize {
        self.samples
    }

    fn observes_entries(&self) -> bool {
        false
    }

    fn validate(&self) -> Result<(), Invalid> {
        validate_sizes(self.samples, self.features)?;
        if let Some(k) = self.sparsity {
            require((1..=self.features).contains(&k), "sparsity", || {
                format!(
                    "between 1 and features ({}) nonzero entries, found {k}",
                    self.features
                )
            })?;
        }
        require(self.noise >= 0.0 && self.noise.is_finite(), "noise", || {
            format!("a noise level σ ≥ 0, found {}", self.noise)
        })
    }

    fn draw(&self, rng: &mut Rng) -> Problem {
        let (n, d) = (self.samples, self.features);
        let mut truth = DMatrix::zeros(d, 1);
        match self.sparsity {
            None => truth = random::gaussian_matrix(d, 1, 1.0, rng),
            Some(k) => {
                for i in random::subset(d, k, rng) {
                    truth[i] = StandardNormal.sample(rng);
                }
            }
        }
        let design = random::gaussian_matrix(n, d, (1.0 / n as f64).sqrt(), rng);
        let mut targets = &design * &truth;
        if self.noise > 0.0 {
            for y in targets.iter_mut() {
                let z: f64 = StandardNormal.sample(rng);
                *y += self.noise * z;
            }
        }
        Problem {
            rows: d,
            cols: 1,
            observations: Observations::Measurements {
                // Column i is vec(Aᵢ) = xᵢ.
                matrices: design.transpose(),
                targets: targets.column(0).into_owned(),
            },
            truth: Some(truth),
            fit: Fit::Squared,
            held_out: None,
            form: Form::Matrix,
        }
    }
}
