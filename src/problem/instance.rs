//! One problem instance: the observation operator 𝒜 with the observed values y, the ground
//! truth when known, the loss and its gradient; and what a family implements to draw one.

use super::margin_loss::{MarginLoss, ln_sum_exp};
use super::measurements;
use crate::invalid::Invalid;
use crate::random::Rng;
use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

/// How the squared residuals are summed. Learning rates mean nothing without it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reduction {
    /// ½ · mean over the observations (Arora et al.'s convention up to the ½). The default.
    #[default]
    Mean,
    /// ½ · sum over the observations (Razin & Cohen's convention).
    Sum,
}

impl Reduction {
    /// The factor c in ℓ = c/2 · Σ rᵢ² for k observations.
    pub fn weight(self, observations: usize) -> f64 {
        match self {
            Reduction::Mean => 1.0 / observations as f64,
            Reduction::Sum => 1.0,
        }
    }

    /// ℓ = c/2 · Σ rᵢ² for the residuals rᵢ = ⟨Aᵢ, W⟩ − yᵢ.
    pub fn loss(self, residuals: &DVector<f64>) -> f64 {
        0.5 * self.weight(residuals.len()) * residuals.norm_squared()
    }
}

/// What the observations are fitted with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Fit {
    /// The squared residuals, ℓ = c/2 · Σ (⟨Aᵢ, W⟩ − yᵢ)² (regression, sensing, completion).
    #[default]
    Squared,
    /// A margin loss of labels yᵢ = ±1, ℓ = c · Σ ℓₘ(yᵢ⟨Aᵢ, W⟩) (classification). Since
    /// yᵢ² = 1 the margin is 1 + yᵢrᵢ in terms of the residual rᵢ = ⟨Aᵢ, W⟩ − yᵢ.
    Margin(MarginLoss),
}

/// The observation operator 𝒜.
#[derive(Debug, Clone, PartialEq)]
pub enum Observations {
    /// Matrix completion: the observed positions (row, column) and their values.
    Entries {
        /// The positions (row, column), each once.
        at: Vec<(usize, usize)>,
        /// The values there.
        values: Vec<f64>,
    },
    /// Matrix sensing: column i of `matrices` is vec(Aᵢ) (column-major), so that every
    /// measurement is contiguous (`measurements`).
    Measurements {
        /// vec(Aᵢ) as column i.
        matrices: DMatrix<f64>,
        /// yᵢ.
        targets: DVector<f64>,
    },
}

/// One problem instance.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// Rows of the matrix sought.
    pub rows: usize,
    /// Columns of the matrix sought.
    pub cols: usize,
    /// The observation operator 𝒜 and the observed values y.
    pub observations: Observations,
    /// The ground truth, when known.
    pub truth: Option<DMatrix<f64>>,
    /// What the observations are fitted with.
    pub fit: Fit,
    /// What is held out of training, for a test error: fresh points of the training
    /// distribution (classification) or left-out entries (ratings).
    pub held_out: Option<HeldOut>,
    /// What the matrix is: a matrix, a network's values at inputs, or a tensor's unfolding.
    pub form: Form,
}

/// What a problem's matrix is.
#[derive(Debug, Clone, PartialEq)]
pub enum Form {
    /// A matrix (a vector as d×1).
    Matrix,
    /// A network's values at the inputs xᵢ (one column each), for a family posed in the space
    /// of values (`orthogonal`): the networks that read them (`relu`, `min_variation`) are the
    /// only runs on such a problem.
    Values(DMatrix<f64>),
    /// An order-N tensor with these mode sizes, as its mode-1 unfolding: rows over mode 1,
    /// columns over (i₂, …, i_N) with i₂ fastest (`tensor`).
    Tensor(Vec<usize>),
}

/// What a family posed in the space of values says about its inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Inputs {
    /// d, their dimension.
    pub dim: usize,
    /// Whether they are pairwise orthogonal on every instance (`min_variation`'s closed form).
    pub orthogonal: bool,
}

/// What an instance holds out of its training set, for an error on data it was not fitted to.
#[derive(Debug, Clone, PartialEq)]
pub enum HeldOut {
    /// Labelled points drawn apart from the training set: a classifier's test error.
    Points {
        /// The points, one column each.
        points: DMatrix<f64>,
        /// Their labels ±1.
        labels: DVector<f64>,
    },
    /// Entries of a real matrix left out of the observations (`ratings`): a prediction's
    /// root-mean-square error, in the entries' units.
    Entries {
        /// The positions (row, column), each once, none of them observed.
        at: Vec<(usize, usize)>,
        /// The values there.
        values: Vec<f64>,
    },
}

/// The two kinds of held-out data, as the claim checker asks for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Testing {
    /// Labelled points (`test_error`).
    Points,
    /// Matrix entries (`test_rmse`).
    Entries,
}

impl HeldOut {
    /// The fraction of points on the wrong side of w: yᵢ⟨xᵢ, w⟩ ≤ 0 (a point on the boundary
    /// counts as an error, as in `train_error`); `None` for held-out entries.
    pub fn error_of(&self, w: &DMatrix<f64>) -> Option<f64> {
        let HeldOut::Points { points, labels } = self else {
            return None;
        };
        let w = w.as_slice();
        let wrong = points
            .column_iter()
            .zip(labels.iter())
            .filter(|(x, y)| *y * x.iter().zip(w).map(|(a, b)| a * b).sum::<f64>() <= 0.0)
            .count();
        Some(wrong as f64 / labels.len().max(1) as f64)
    }

    /// √(mean of (Wᵢⱼ − vᵢⱼ)² over the held-out entries): the prediction error in the
    /// entries' units (a rating's stars); `None` for held-out points.
    pub fn rmse_of(&self, w: &DMatrix<f64>) -> Option<f64> {
        let HeldOut::Entries { at, values } = self else {
            return None;
        };
        let squares: f64 = at
            .iter()
            .zip(values)
            .map(|(&(i, j), v)| (w[(i, j)] - v).powi(2))
            .sum();
        Some((squares / values.len().max(1) as f64).sqrt())
    }
}

/// A problem family: what a claim's `problem:` entry says, and how instances are drawn.
pub trait Family {
    /// The shape (rows, cols) of every instance.
    fn shape(&self) -> (usize, usize);
    /// Whether instances carry a ground truth (needed by `test_mse`, `truth.*`, …).
    fn has_truth(&self) -> bool;
    /// Rejects impossible settings before anything runs, naming the field.
    fn validate(&self) -> Result<(), Invalid>;
    /// k, the number of observations of every instance (of validated settings): what the cost
    /// estimate charges for the operator.
    fn observations(&self) -> usize;
    /// Whether instances observe entries (a sparse operator) rather than dense measurements.
    fn observes_entries(&self) -> bool;
    /// The instance drawn from `rng`, the seed's problem stream. Expects validated settings.
    fn draw(&self, rng: &mut Rng) -> Problem;
    /// What every instance's observations are fitted with (squared residuals unless said).
    fn fit(&self) -> Fit {
        Fit::Squared
    }
    /// What every instance holds out (`Problem::held_out`) and how many points or entries;
    /// nothing unless said.
    fn held_out(&self) -> Option<(Testing, usize)> {
        None
    }
    /// Whether the matrix holds a network's values at inputs every instance carries
    /// (`Form::Values`), and which; `None` unless said.
    fn inputs(&self) -> Option<Inputs> {
        None
    }
    /// The mode sizes when the matrix is a tensor's mode-1 unfolding (`Form::Tensor`); `None`
    /// for a matrix.
    fn modes(&self) -> Option<Vec<usize>> {
        None
    }
}

impl Problem {
    /// The inputs whose values the matrix holds (`Form::Values`).
    pub fn inputs(&self) -> Option<&DMatrix<f64>> {
        match &self.form {
            Form::Values(inputs) => Some(inputs),
            _ => None,
        }
    }

    /// The mode sizes of the tensor the matrix unfolds (a matrix is an order-2 tensor).
    pub fn modes(&self) -> Vec<usize> {
        match &self.form {
            Form::Tensor(modes) => modes.clone(),
            _ => vec![self.rows, self.cols],
        }
    }

    /// k, the number of observations.
    pub fn observation_count(&self) -> usize {
        match &self.observations {
            Observations::Entries { values, .. } => values.len(),
            Observations::Measurements { targets, .. } => targets.len(),
        }
    }

    /// The observed values y.
    pub fn targets(&self) -> &[f64] {
        match &self.observations {
            Observations::Entries { values, .. } => values,
            Observations::Measurements { targets, .. } => targets.as_slice(),
        }
    }

    /// 𝒜(W) = (⟨Aᵢ, W⟩)ᵢ into a preallocated vector of length k.
    pub fn observe_into(&self, w: &DMatrix<f64>, observed: &mut DVector<f64>) {
        match &self.observations {
            Observations::Entries { at, .. } => {
                for (o, &(i, j)) in observed.iter_mut().zip(at) {
                    *o = w[(i, j)];
                }
            }
            Observations::Measurements { matrices, .. } => {
                measurements::observe(matrices, w.as_slice(), observed.as_mut_slice());
            }
        }
    }

    /// `out += alpha · 𝒜*(v)`, with the adjoint 𝒜*(v) = Σᵢ vᵢ Aᵢ.
    pub fn add_adjoint(&self, alpha: f64, v: &DVector<f64>, out: &mut DMatrix<f64>) {
        match &self.observations {
            Observations::Entries { at, .. } => {
                for (x, &(i, j)) in v.iter().zip(at) {
                    out[(i, j)] += alpha * x;
                }
            }
            Observations::Measurements { matrices, .. } => {
                measurements::add_adjoint(matrices, alpha, v.as_slice(), out.as_mut_slice());
            }
        }
    }

    /// rᵢ = ⟨Aᵢ, W⟩ − yᵢ into a preallocated vector of length k.
    pub fn residuals_into(&self, w: &DMatrix<f64>, residuals: &mut DVector<f64>) {
        self.observe_into(w, residuals);
        for (r, y) in residuals.iter_mut().zip(self.targets()) {
            *r -= y;
        }
    }

    /// ℓ(W) and ∇ℓ(W) = Σᵢ ∂ℓ/∂⟨Aᵢ, W⟩ · Aᵢ — for squared residuals c · Σᵢ rᵢ Aᵢ, for a
    /// margin loss c · Σᵢ yᵢ ℓₘ'(mᵢ) Aᵢ — into preallocated buffers (`residuals` of length k,
    /// scratch: it ends holding the residuals, or the slopes ∂ℓ/∂⟨Aᵢ, W⟩ of a margin loss;
    /// `gradient` of the problem's shape). Returns the loss.
    pub fn loss_gradient_into(
        &self,
        w: &DMatrix<f64>,
        reduction: Reduction,
        residuals: &mut DVector<f64>,
        gradient: &mut DMatrix<f64>,
    ) -> f64 {
        self.residuals_into(w, residuals);
        let loss = self.loss_of_residuals(residuals, reduction);
        gradient.as_mut_slice().fill(0.0);
        let c = reduction.weight(residuals.len());
        match self.fit {
            Fit::Squared => self.add_adjoint(c, residuals, gradient),
            Fit::Margin(margin) => {
                for (r, y) in residuals.iter_mut().zip(self.targets()) {
                    *r = y * margin.slope(1.0 + y * *r);
                }
                self.add_adjoint(c, residuals, gradient);
            }
        }
        loss
    }

    /// The direction of a margin fit's ∇ℓ(W): Σᵢ yᵢ·(ℓₘ'(mᵢ)/|ℓₘ'(m_min)|)·Aᵢ, the gradient
    /// divided by its largest slope, each ratio formed in log space (`MarginLoss::ln_slope`), so
    /// it stays exact where the slopes themselves underflow (margins beyond ~745). Into the
    /// same buffers as `loss_gradient_into`; `false`, and nothing written, for a squared fit.
    pub fn direction_into(
        &self,
        w: &DMatrix<f64>,
        residuals: &mut DVector<f64>,
        gradient: &mut DMatrix<f64>,
    ) -> bool {
        let Fit::Margin(margin) = self.fit else {
            return false;
        };
        self.residuals_into(w, residuals);
        let steepest = self
            .margins(residuals)
            .map(|m| margin.ln_slope(m))
            .fold(f64::NEG_INFINITY, f64::max);
        for (r, y) in residuals.iter_mut().zip(self.targets()) {
            *r = -y * (margin.ln_slope(1.0 + y * *r) - steepest).exp();
        }
        gradient.as_mut_slice().fill(0.0);
        self.add_adjoint(1.0, residuals, gradient);
        true
    }

    /// The margins yᵢ⟨Aᵢ, W⟩ = 1 + yᵢrᵢ of labels ±1, from the residuals rᵢ (meaningful for a
    /// margin fit only).
    pub fn margins<'r>(
        &'r self,
        residuals: &'r DVector<f64>,
    ) -> impl Iterator<Item = f64> + Clone + 'r {
        residuals
            .iter()
            .zip(self.targets())
            .map(|(r, y)| 1.0 + y * r)
    }

    /// ℓ from the residuals rᵢ = ⟨Aᵢ, W⟩ − yᵢ under `reduction`: c/2 · Σ rᵢ², or for a margin
    /// loss c · Σ ℓₘ(1 + yᵢrᵢ) (0 where every term underflows: `ln_loss_of_residuals`).
    pub fn loss_of_residuals(&self, residuals: &DVector<f64>, reduction: Reduction) -> f64 {
        match self.fit {
            Fit::Squared => reduction.loss(residuals),
            Fit::Margin(margin) => {
                let c = reduction.weight(residuals.len());
                c * self
                    .margins(residuals)
                    .map(|m| margin.value(m))
                    .sum::<f64>()
            }
        }
    }

    /// ln ℓ from the residuals: finite for a margin loss at any finite margins, however far
    /// below the smallest f64 the loss itself has fallen.
    pub fn ln_loss_of_residuals(&self, residuals: &DVector<f64>, reduction: Reduction) -> f64 {
        match self.fit {
            Fit::Squared => reduction.loss(residuals).ln(),
            Fit::Margin(margin) => {
                let c = reduction.weight(residuals.len());
                c.ln() + ln_sum_exp(self.margins(residuals).map(|m| margin.ln_value(m)))
            }
        }
    }

    /// ℓ(W) under `reduction` (allocating convenience form).
    pub fn loss(&self, w: &DMatrix<f64>, reduction: Reduction) -> f64 {
        self.loss_of_residuals(&self.residuals(w), reduction)
    }

    /// The residuals rᵢ = ⟨Aᵢ, W⟩ − yᵢ (allocating convenience form of `residuals_into`).
    pub fn residuals(&self, w: &DMatrix<f64>) -> DVector<f64> {
        let mut residuals = DVector::zeros(self.observation_count());
        self.residuals_into(w, &mut residuals);
        residuals
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Four labelled points in R³ as a 3×1 problem fitted with `margin`.
    fn labelled(margin: MarginLoss) -> Problem {
        let points = DMatrix::from_column_slice(
            3,
            4,
            &[
                1.0, 0.5, -0.2, -0.3, 1.2, 0.4, 0.9, -1.1, 0.3, -0.5, 0.1, 2.0,
            ],
        );
        Problem {
            rows: 3,
            cols: 1,
            observations: Observations::Measurements {
                matrices: points,
                targets: DVector::from_column_slice(&[1.0, -1.0, 1.0, -1.0]),
            },
            truth: None,
            fit: Fit::Margin(margin),
            held_out: None,
            form: Form::Matrix,
        }
    }

    #[test]
    fn a_margin_fit_has_the_gradient_of_its_loss() {
        for margin in [MarginLoss::Logistic, MarginLoss::Exponential] {
            let problem = labelled(margin);
            for scale in [0.1, 3.0, 40.0] {
                let w = DMatrix::from_column_slice(3, 1, &[0.7, -0.4, 0.2]) * scale;
                let mut scratch = DVector::zeros(4);
                let mut gradient = DMatrix::zeros(3, 1);
                let loss =
                    problem.loss_gradient_into(&w, Reduction::Mean, &mut scratch, &mut gradient);
                // The loss by its definition: ¼ Σ ℓ(yᵢ⟨xᵢ, w⟩).
                let expected: f64 = (0..4)
                    .map(|i| {
                        let Observations::Measurements { matrices, targets } =
                            &problem.observations
                        else {
                            unreachable!()
                        };
                        margin.value(targets[i] * matrices.column(i).dot(&w.column(0)))
                    })
                    .sum::<f64>()
                    / 4.0;
                approx::assert_relative_eq!(loss, expected, max_relative = 1e-12);
                let ln = problem.ln_loss_of_residuals(&problem.residuals(&w), Reduction::Mean);
                approx::assert_relative_eq!(ln, loss.ln(), max_relative = 1e-9);
                for k in 0..3 {
                    let h = 1e-6 * scale;
                    let mut up = w.clone();
                    up[k] += h;
                    let mut down = w.clone();
                    down[k] -= h;
                    let numeric = (problem.loss(&up, Reduction::Mean)
                        - problem.loss(&down, Reduction::Mean))
                        / (2.0 * h);
                    approx::assert_relative_eq!(
                        gradient[k],
                        numeric,
                        max_relative = 1e-5,
                        epsilon = 1e-12 * loss.max(1e-300)
                    );
                }
            }
        }
    }

    #[test]
    fn completion_gradient_is_the_masked_residual() {
        let problem = Problem {
            rows: 2,
            cols: 2,
            observations: Observations::Entries {
                at: vec![(0, 1), (1, 0)],
                values: vec![1.0, 2.0],
            },
            truth: None,
            fit: Fit::Squared,
            held_out: None,
            form: Form::Matrix,
        };
        let w = DMatrix::from_row_slice(2, 2, &[5.0, 3.0, 4.0, 7.0]);
        let mut residuals = DVector::zeros(2);
        let mut gradient = DMatrix::zeros(2, 2);
        let loss = problem.loss_gradient_into(&w, Reduction::Sum, &mut residuals, &mut gradient);
        assert_eq!(loss, 0.5 * (4.0 + 4.0));
        assert_eq!(
            gradient,
            DMatrix::from_row_slice(2, 2, &[0.0, 2.0, 2.0, 0.0])
        );
        assert_eq!(problem.loss(&w, Reduction::Mean), loss / 2.0);
        assert_eq!(problem.residuals(&w).as_slice(), [2.0, 2.0]);
    }
}
