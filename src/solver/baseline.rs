//! The predictors a recommender is measured against, fitted to the observed entries: the
//! global mean, each item's (or user's) mean, and the biased baseline μ + b_u + b_i (Koren
//! 2010, §2.1; the Surprise library's `BaselineOnly`, whose ml-100k RMSE is 0.944). Rows are
//! users and columns items (`ratings`). They carry no certificate: `certified_gap` of one is
//! NaN.

use super::cost::{Cost, FLOAT, Shape};
use super::driver::{Endpoint, Iterate};
use super::record::Stop;
use crate::invalid::{Invalid, require};
use crate::problem::{Observations, Problem, Reduction};
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

/// A baseline as a claim writes it: `baseline: {predictor: biases}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineSpec {
    /// Which predictor.
    pub predictor: Predictor,
    /// λ_u, the ridge penalty on the users' biases (`biases`; Surprise's default 15).
    #[serde(default = "default_reg_users")]
    pub reg_users: f64,
    /// λ_i, the ridge penalty on the items' biases (`biases`; Surprise's default 10).
    #[serde(default = "default_reg_items")]
    pub reg_items: f64,
}

fn default_reg_users() -> f64 {
    15.0
}

fn default_reg_items() -> f64 {
    10.0
}

/// The predictors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Predictor {
    /// μ, the mean observed entry, everywhere.
    Mean,
    /// Each column's (item's) mean observed entry; μ where a column has none.
    ItemMean,
    /// Each row's (user's) mean observed entry; μ where a row has none.
    UserMean,
    /// μ + b_u + b_i minimising Σ (r_ui − μ − b_u − b_i)² + λ_u Σ b_u² + λ_i Σ b_i² over the
    /// observed entries (μ the mean), by exact alternating minimisation to convergence.
    Biases,
}

/// The most sweeps of the alternating minimisation; each contracts the error (the objective
/// is strongly convex), and the tolerance is met long before on real data.
pub const MAX_SWEEPS: usize = 10_000;

/// Sweeps stop once no bias moves by more than this.
const SWEEP_TOLERANCE: f64 = 1e-12;

impl BaselineSpec {
    /// The penalties are numbers ≥ 0.
    pub fn validate(&self) -> Result<(), Invalid> {
        for (field, value) in [("reg_users", self.reg_users), ("reg_items", self.reg_items)] {
            require(value.is_finite() && value >= 0.0, field, || {
                format!("a penalty ≥ 0; found {value}")
            })?;
        }
        Ok(())
    }

    /// A pass over the observations a sweep, and the matrix.
    pub fn cost(&self, shape: Shape) -> Cost {
        let size = shape.rows * shape.cols;
        let sweeps = match self.predictor {
            Predictor::Biases => MAX_SWEEPS as f64,
            _ => 1.0,
        };
        Cost {
            working: (size + shape.rows + shape.cols) * FLOAT,
            record: (2.0 * size + 200.0) * FLOAT,
            setup: size + 4.0 * shape.observations * sweeps,
            per_step: 0.0,
            steps: 0.0,
            setting: "baseline",
        }
    }
}

/// A baseline, fitted when built.
pub struct Baseline<'p> {
    problem: &'p Problem,
    matrix: DMatrix<f64>,
}

impl<'p> Baseline<'p> {
    /// The predictor fitted to `problem`'s observed entries (validated: it observes entries).
    pub fn new(problem: &'p Problem, spec: &BaselineSpec) -> Self {
        let Observations::Entries { at, values } = &problem.observations else {
            unreachable!("a baseline is validated against a problem that observes entries")
        };
        let (rows, cols) = (problem.rows, problem.cols);
        let mu = values.iter().sum::<f64>() / values.len().max(1) as f64;
        let (mut b_rows, mut b_cols) = (vec![0.0; rows], vec![0.0; cols]);
        match spec.predictor {
            Predictor::Mean => {}
            Predictor::ItemMean => b_cols = means(at, values, mu, cols, |&(_, j)| j),
            Predictor::UserMean => b_rows = means(at, values, mu, rows, |&(i, _)| i),
            Predictor::Biases => {
                (b_rows, b_cols) = biases(at, values, mu, (rows, cols), spec);
            }
        }
        let matrix = DMatrix::from_fn(rows, cols, |i, j| mu + b_rows[i] + b_cols[j]);
        Self { problem, matrix }
    }
}

/// Each group's mean offset from μ (0 for a group with no entry).
fn means(
    at: &[(usize, usize)],
    values: &[f64],
    mu: f64,
    groups: usize,
    group: impl Fn(&(usize, usize)) -> usize,
) -> Vec<f64> {
    let (mut sums, mut counts) = (vec![0.0; groups], vec![0usize; groups]);
    for (position, value) in at.iter().zip(values) {
        sums[group(position)] += value - mu;
        counts[group(position)] += 1;
    }
    sums.iter()
        .zip(&counts)
        .map(|(s, &n)| if n == 0 { 0.0 } else { s / n as f64 })
        .collect()
}

/// The users' and items' biases, by exact minimisation over one side with the other fixed
/// (`solve_side`: the items, then the users), until no bias moves by more than
/// `SWEEP_TOLERANCE` (Koren 2010, eq. 2; Surprise's ALS runs 10 such sweeps).
fn biases(
    at: &[(usize, usize)],
    values: &[f64],
    mu: f64,
    (rows, cols): (usize, usize),
    spec: &BaselineSpec,
) -> (Vec<f64>, Vec<f64>) {
    let mut users = Side::new(rows, spec.reg_users, at.iter().map(|&(u, _)| u));
    let mut items = Side::new(cols, spec.reg_items, at.iter().map(|&(_, i)| i));
    let by_item = |&(u, i): &(usize, usize)| (i, u);
    let by_user = |&(u, i): &(usize, usize)| (u, i);
    for _ in 0..MAX_SWEEPS {
        let moved = items
            .solve(at, values, mu, &users.biases, by_item)
            .max(users.solve(at, values, mu, &items.biases, by_user));
        if moved <= SWEEP_TOLERANCE {
            break;
        }
    }
    (users.biases, items.biases)
}

/// One side's biases (the users' or the items'), its penalty, its entry counts and the sums a
/// sweep gathers (kept, so that no sweep allocates).
struct Side {
    biases: Vec<f64>,
    reg: f64,
    counts: Vec<f64>,
    sums: Vec<f64>,
}

impl Side {
    fn new(size: usize, reg: f64, groups: impl Iterator<Item = usize>) -> Self {
        let mut counts = vec![0.0; size];
        for g in groups {
            counts[g] += 1.0;
        }
        Self {
            biases: vec![0.0; size],
            reg,
            counts,
            sums: vec![0.0; size],
        }
    }

    /// b_g = Σ (r − μ − b_other) / (λ + n_g) over group g's entries (`split` gives an entry's
    /// group here and its index on the other side), the exact minimiser with the other side
    /// fixed; 0 for a group with no entry. The largest move.
    fn solve(
        &mut self,
        at: &[(usize, usize)],
        values: &[f64],
        mu: f64,
        other: &[f64],
        split: impl Fn(&(usize, usize)) -> (usize, usize),
    ) -> f64 {
        self.sums.fill(0.0);
        for (position, r) in at.iter().zip(values) {
            let (g, o) = split(position);
            self.sums[g] += r - mu - other[o];
        }
        let mut moved: f64 = 0.0;
        for ((b, sum), n) in self.biases.iter_mut().zip(&self.sums).zip(&self.counts) {
            // A group with no entry has a sum of 0: its bias stays 0 even when λ = 0.
            let next = sum / (self.reg + n).max(f64::MIN_POSITIVE);
            moved = moved.max((next - *b).abs());
            *b = next;
        }
        moved
    }
}

impl Iterate for Baseline<'_> {
    /// The train loss (½·mean) of the prediction.
    fn evaluate(&mut self) -> f64 {
        Reduction::Mean.loss(&self.problem.residuals(&self.matrix))
    }

    fn advance(&mut self) {}

    /// Fitted when built.
    fn stop(&self) -> Option<Stop> {
        Some(Stop::Solved)
    }

    fn matrix(&mut self) -> &DMatrix<f64> {
        &self.matrix
    }

    fn finish(self) -> Endpoint {
        Endpoint {
            factors: vec![self.matrix.clone()],
            matrix: self.matrix,
            certificate: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::{Fit, Form};

    fn problem(at: Vec<(usize, usize)>, values: Vec<f64>) -> Problem {
        Problem {
            rows: 3,
            cols: 3,
            observations: Observations::Entries { at, values },
            truth: None,
            fit: Fit::Squared,
            held_out: None,
            form: Form::Matrix,
        }
    }

    fn fitted(problem: &Problem, predictor: Predictor, reg: f64) -> DMatrix<f64> {
        let spec = BaselineSpec {
            predictor,
            reg_users: reg,
            reg_items: reg,
        };
        Baseline::new(problem, &spec).matrix
    }

    #[test]
    fn means_fill_what_was_not_seen_with_the_global_mean() {
        let p = problem(vec![(0, 0), (1, 0), (0, 1)], vec![1.0, 3.0, 5.0]);
        let mu = 3.0;
        assert_eq!(fitted(&p, Predictor::Mean, 0.0)[(2, 2)], mu);
        let items = fitted(&p, Predictor::ItemMean, 0.0);
        assert_eq!(
            (items[(2, 0)], items[(2, 1)], items[(0, 2)]),
            (2.0, 5.0, mu)
        );
        let users = fitted(&p, Predictor::UserMean, 0.0);
        assert_eq!(
            (users[(0, 2)], users[(1, 1)], users[(2, 0)]),
            (3.0, 3.0, mu)
        );
    }

    #[test]
    fn biases_fit_an_additive_matrix_exactly_and_their_optimum_is_stationary() {
        // r_ui = 1 + u + 2i is additive: unpenalised biases fit every observed entry.
        let at: Vec<(usize, usize)> = vec![(0, 0), (1, 0), (1, 1), (2, 1), (2, 2), (0, 2)];
        let values: Vec<f64> = at
            .iter()
            .map(|&(u, i)| 1.0 + u as f64 + 2.0 * i as f64)
            .collect();
        let p = problem(at.clone(), values.clone());
        let w = fitted(&p, Predictor::Biases, 0.0);
        for (&(u, i), r) in at.iter().zip(&values) {
            approx::assert_abs_diff_eq!(w[(u, i)], r, epsilon = 1e-9);
        }
        // Penalised: the gradient of the ridge objective vanishes at the fitted biases.
        let spec = BaselineSpec {
            predictor: Predictor::Biases,
            reg_users: 2.0,
            reg_items: 3.0,
        };
        let mu = values.iter().sum::<f64>() / 6.0;
        let (users, items) = biases(&at, &values, mu, (3, 3), &spec);
        for (u, b_u) in users.iter().enumerate() {
            let g: f64 = at
                .iter()
                .zip(&values)
                .filter(|((v, _), _)| *v == u)
                .map(|(&(_, i), r)| mu + b_u + items[i] - r)
                .sum::<f64>()
                + 2.0 * b_u;
            approx::assert_abs_diff_eq!(g, 0.0, epsilon = 1e-9);
        }
    }
}
