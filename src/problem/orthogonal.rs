//! Regression on orthogonal inputs, the setting of Boursier, Pillaud-Vivien and Flammarion
//! (2022, "Gradient flow dynamics of shallow ReLU networks for square loss and orthogonal
//! inputs"): n ≤ d points xᵢ = rᵢqᵢ with orthonormal directions qᵢ (the first n columns of a
//! Haar-random orthogonal matrix) and norms rᵢ, and values yᵢ ~ N(0, 1). A network of the inputs
//! is no linear map of a matrix, so the instance is posed in the space of its values: the
//! matrix sought is the n×1 vector of values at the inputs (every entry observed, ℓ = c/2·Σ
//! (f(xᵢ) − yᵢ)²), and the inputs ride along (`Problem::inputs`) for the networks that read them
//! (`relu`, and `min_variation`'s closed form).

use super::instance::{Family, Fit, Form, Inputs, Observations, Problem};
use crate::invalid::{Invalid, require};
use crate::random::{self, Rng};
use nalgebra::DMatrix;
use rand::RngExt;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

/// Orthogonal-input regression as a claim writes it (`orthogonal: {dim, samples, norms?}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrthogonalSpec {
    /// d, the input dimension.
    pub dim: usize,
    /// n ≤ d, the number of points.
    pub samples: usize,
    /// [lo, hi]: each ‖xᵢ‖ uniform in it ([1, 1], unit inputs, by default).
    #[serde(default = "unit")]
    pub norms: [f64; 2],
}

fn unit() -> [f64; 2] {
    [1.0, 1.0]
}

/// The largest input dimension: the directions come from a d×d orthogonal matrix.
pub const MAX_DIM: usize = 4096;

impl Family for OrthogonalSpec {
    fn shape(&self) -> (usize, usize) {
        (self.samples, 1)
    }

    fn has_truth(&self) -> bool {
        false
    }

    fn observations(&self) -> usize {
        self.samples
    }

    fn observes_entries(&self) -> bool {
        true
    }

    fn inputs(&self) -> Option<Inputs> {
        Some(Inputs {
            dim: self.dim,
            orthogonal: true,
        })
    }

    fn validate(&self) -> Result<(), Invalid> {
        require((1..=MAX_DIM).contains(&self.dim), "dim", || {
            format!("an input dimension from 1 to {MAX_DIM}")
        })?;
        require((1..=self.dim).contains(&self.samples), "samples", || {
            format!(
                "between 1 and dim = {} points (more cannot be orthogonal)",
                self.dim
            )
        })?;
        let [lo, hi] = self.norms;
        require(
            lo > 0.0 && lo <= hi && hi.is_finite() && hi / lo <= 1e6,
            "norms",
            || "[lo, hi] with 0 < lo ≤ hi, finite, within a factor 1e6".into(),
        )
    }

    fn draw(&self, rng: &mut Rng) -> Problem {
        let (d, n) = (self.dim, self.samples);
        let directions = random::orthogonal_matrix(d, rng);
        let [lo, hi] = self.norms;
        let norms: Vec<f64> = (0..n)
            .map(|_| {
                if lo == hi {
                    lo
                } else {
                    rng.random_range(lo..hi)
                }
            })
            .collect();
        let points = DMatrix::from_fn(d, n, |t, i| norms[i] * directions[(t, i)]);
        let values = (0..n)
            .map(|_| StandardNormal.sample(rng))
            .collect::<Vec<f64>>();
        Problem {
            rows: n,
            cols: 1,
            observations: Observations::Entries {
                at: (0..n).map(|i| (i, 0)).collect(),
                values,
            },
            truth: None,
            fit: Fit::Squared,
            held_out: None,
            form: Form::Values(points),
        }
    }
}
