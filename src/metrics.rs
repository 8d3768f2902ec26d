//! What is measured on a matrix: singular values, effective rank, norms, errors; and on a run:
//! losses, steps, status, balancedness of the factors. Metrics never know which solver made a
//! matrix. `Metric` is the vocabulary that claims use (`run.metric` in an assertion).

use crate::problem::{Problem, Reduction};
use crate::solver::{Certificate, Solution, Status};
use crate::watch::{Extremes, Watch, When};
use nalgebra::{DMatrix, SVD};
use serde::Serialize;

/// Measurements of one matrix, computed from one SVD.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MatrixMetrics {
    /// σ₁ ≥ σ₂ ≥ … ≥ 0; NaN throughout for a matrix with a non-finite entry.
    pub singular_values: Vec<f64>,
    pub effective_rank: f64,
    pub nuclear_norm: f64,
    pub frobenius_norm: f64,
    pub spectral_norm: f64,
    /// ‖W‖*/‖W‖_F; NaN for the zero matrix.
    pub normalised_nuclear_norm: f64,
    /// Square matrices only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub determinant: Option<f64>,
}

impl MatrixMetrics {
    pub fn of(w: &DMatrix<f64>) -> Self {
        let singular_values = singular_values(w);
        let nuclear_norm: f64 = singular_values.iter().sum();
        let frobenius_norm = singular_values.iter().map(|s| s * s).sum::<f64>().sqrt();
        Self {
            effective_rank: effective_rank(&singular_values),
            nuclear_norm,
            frobenius_norm,
            spectral_norm: singular_values.first().copied().unwrap_or(0.0),
            normalised_nuclear_norm: nuclear_norm / frobenius_norm,
            determinant: w.is_square().then(|| w.determinant()),
            singular_values,
        }
    }

    /// The number of singular values above `relative_tolerance`·σ₁; by default numpy's
    /// `matrix_rank` tolerance max(rows, cols)·ε.
    pub fn numerical_rank(&self, relative_tolerance: Option<f64>, shape: (usize, usize)) -> usize {
        let tolerance = relative_tolerance.unwrap_or(shape.0.max(shape.1) as f64 * f64::EPSILON);
        let largest = self.spectral_norm;
        self.singular_values
            .iter()
            .filter(|&&s| s > tolerance * largest)
            .count()
    }
}

/// Singular values in decreasing order. A matrix with a non-finite entry (a diverged run) gets NaN
/// singular values instead of an SVD that may never converge.
pub fn singular_values(w: &DMatrix<f64>) -> Vec<f64> {
    let count = w.nrows().min(w.ncols());
    if !w.iter().all(|x| x.is_finite()) {
        return vec![f64::NAN; count];
    }
    match SVD::try_new(w.clone(), false, false, f64::EPSILON, 10_000) {
        Some(svd) => {
            let mut values: Vec<f64> = svd.singular_values.iter().copied().collect();
            values.sort_by(|a, b| b.total_cmp(a));
            values
        }
        None => vec![f64::NAN; count],
    }
}

/// Roy & Vetterli (2007): erank = exp(−Σ pᵢ ln pᵢ) with pᵢ = σᵢ/Σσⱼ; zero singular values
/// contribute nothing, and the zero matrix has effective rank 0.
pub fn effective_rank(singular_values: &[f64]) -> f64 {
    let total: f64 = singular_values.iter().sum();
    if total == 0.0 {
        return 0.0;
    }
    let entropy: f64 = singular_values
        .iter()
        .filter(|&&s| s > 0.0)
        .map(|&s| {
            let p = s / total;
            -p * p.ln()
        })
        .sum();
    entropy.exp()
}

/// Arora et al.'s reconstruction error: the MSE over all entries, (1/(rows·cols))‖W − W*‖²_F.
pub fn test_mse(w: &DMatrix<f64>, truth: &DMatrix<f64>) -> f64 {
    (w - truth).norm_squared() / w.len() as f64
}

/// max_j ‖W_{j+1}ᵀW_{j+1} − W_jW_jᵀ‖_F over consecutive factors (0 for one factor): zero exactly
/// when the factorisation is balanced (Arora, Cohen, Hazan 2018).
pub fn balancedness(factors: &[DMatrix<f64>]) -> f64 {
    factors
        .windows(2)
        .map(|pair| (pair[1].transpose() * &pair[1] - &pair[0] * pair[0].transpose()).norm())
        .fold(0.0, f64::max)
}

/// Everything a claim can ask of one run on one instance.
#[derive(Debug, Clone, PartialEq)]
pub struct Metrics {
    pub matrix: DMatrix<f64>,
    pub spectrum: MatrixMetrics,
    pub train_loss: f64,
    pub train_mse: f64,
    pub test_mse: Option<f64>,
    pub relative_error: Option<f64>,
    pub balancedness: f64,
    pub steps: usize,
    pub status: Status,
    pub time: f64,
    pub rejected: usize,
    /// The final test MSE over the smallest one in the trace (≥ 1; large when the run got worse
    /// late: runaway growth).
    pub test_mse_rise: Option<f64>,
    /// Extremes over every step (`None` for the metrics of a moment).
    pub extremes: Option<Extremes>,
    /// The metrics of the matrix at each watched moment the run reached.
    pub moments: Vec<(When, Metrics)>,
    /// A convex run's optimality certificate.
    pub certificate: Option<Certificate>,
}

impl Metrics {
    pub fn of(solution: &Solution, problem: &Problem, reduction: Reduction) -> Self {
        let watched = &solution.watched;
        let initial = watched.initial.iter().map(|m| (When::Initial, m));
        let at_loss = watched
            .at_loss
            .iter()
            .filter_map(|(t, m)| m.as_ref().map(|m| (When::AtLoss(*t), m)));
        let moments = initial
            .chain(at_loss)
            .map(|(when, moment)| {
                let mut metrics = Self::measure(&moment.matrix, problem, reduction);
                metrics.steps = moment.step;
                (when, metrics)
            })
            .collect();
        Self {
            balancedness: balancedness(&solution.factors),
            steps: solution.steps,
            status: solution.status,
            time: solution.time,
            rejected: solution.rejected,
            test_mse_rise: test_mse_rise(solution),
            extremes: Some(watched.extremes.clone()),
            moments,
            certificate: solution.certificate.clone(),
            ..Self::measure(&solution.matrix, problem, reduction)
        }
    }

    /// The metrics of a bare matrix on `problem`; the run's own figures (steps, status, time,
    /// balancedness, extremes) are left for `of` to fill in.
    fn measure(w: &DMatrix<f64>, problem: &Problem, reduction: Reduction) -> Self {
        let residuals = problem.residuals(w);
        let truth = problem.truth.as_ref();
        Self {
            spectrum: MatrixMetrics::of(w),
            train_loss: reduction.loss(&residuals),
            // Arora et al.'s "train MSE", whatever the run's reduction.
            train_mse: residuals.norm_squared() / residuals.len() as f64,
            test_mse: truth.map(|t| test_mse(w, t)),
            relative_error: truth.map(|t| (w - t).norm() / t.norm()),
            balancedness: f64::NAN,
            steps: 0,
            status: Status::Exhausted,
            time: f64::NAN,
            rejected: 0,
            test_mse_rise: None,
            extremes: None,
            moments: Vec::new(),
            certificate: None,
            matrix: w.clone(),
        }
    }

    /// The metrics at moment `when`, if the run reached it.
    pub fn at(&self, when: When) -> Option<&Metrics> {
        self.moments
            .iter()
            .find(|(w, _)| *w == when)
            .map(|(_, metrics)| metrics)
    }

    /// The value of `metric`; booleans are 1 or 0. Claims check metrics against the problem
    /// before any run (`Metric::check_shape`, `Metric::needs_truth`), so a missing ground truth
    /// only reads as NaN here.
    pub fn value(&self, metric: &Metric) -> f64 {
        match metric {
            Metric::TrainLoss => self.train_loss,
            Metric::TrainMse => self.train_mse,
            Metric::TestMse => self.test_mse.unwrap_or(f64::NAN),
            Metric::RelativeError => self.relative_error.unwrap_or(f64::NAN),
            Metric::Balancedness => self.balancedness,
            Metric::Steps => self.steps as f64,
            Metric::Converged => f64::from(u8::from(self.status == Status::Converged)),
            Metric::Diverged => f64::from(u8::from(self.status == Status::Diverged)),
            Metric::Gap => self.certified(|c| c.gap),
            Metric::Feasibility => self.certified(|c| c.feasibility),
            Metric::LowerBound => self.certified(|c| c.lower_bound),
            Metric::Time => self.time,
            Metric::RejectedSteps => self.rejected as f64,
            Metric::TestMseRise => self.test_mse_rise.unwrap_or(f64::NAN),
            Metric::MinLoss => self.extreme(|e| Some(e.min_loss)),
            Metric::MaxLoss => self.extreme(|e| Some(e.max_loss)),
            Metric::MaxEntry => self.extreme(|e| e.max_entry),
            Metric::MinDet => self.extreme(|e| e.min_det),
            Metric::MaxDet => self.extreme(|e| e.max_det),
            matrix_metric => matrix_value(&self.matrix, &self.spectrum, matrix_metric),
        }
    }

    /// An extreme over the run; NaN where it was not watched (claims reject that beforehand).
    fn extreme(&self, figure: impl Fn(&Extremes) -> Option<f64>) -> f64 {
        self.extremes.as_ref().and_then(figure).unwrap_or(f64::NAN)
    }

    /// A figure of the certificate; NaN for a run without one (claims reject that beforehand).
    fn certified(&self, figure: impl Fn(&Certificate) -> f64) -> f64 {
        self.certificate.as_ref().map_or(f64::NAN, figure)
    }
}

/// The last sample's test MSE over the smallest sampled one (the trace always holds the last
/// step); `None` without a ground truth.
fn test_mse_rise(solution: &Solution) -> Option<f64> {
    let mut errors = solution.trace.samples.iter().filter_map(|s| s.test_mse);
    let best = errors.clone().fold(f64::INFINITY, f64::min);
    errors.next_back().map(|last| last / best)
}

/// `rel_distance(a, b)`: ‖W_a − W_b‖_F / ‖W*‖_F, how far apart two solutions are on the scale of
/// the truth.
pub fn relative_distance(a: &DMatrix<f64>, b: &DMatrix<f64>, truth: &DMatrix<f64>) -> f64 {
    (a - b).norm() / truth.norm()
}

/// `certified_gap(a, c)`: ‖W_a‖* − ⟨λ_c, 𝒜(W_a)⟩, how far W_a's nuclear norm certifiably exceeds
/// the least nuclear norm of any matrix that fits W_a's own observations 𝒜(W_a), by the
/// certificate λ_c of the convex run c. Never negative up to rounding (weak duality); it is zero
/// only for a minimum-nuclear-norm solution, so a clear positive value proves that W_a is not one,
/// whether or not W_a fits the data exactly.
pub fn certified_gap(
    w: &DMatrix<f64>,
    spectrum: &MatrixMetrics,
    certificate: &Certificate,
    problem: &Problem,
) -> f64 {
    spectrum.nuclear_norm - certificate.bound_for(problem, w)
}

/// The value of a metric that only needs the matrix (`Metric::of_matrix`); NaN otherwise.
pub fn matrix_value(w: &DMatrix<f64>, spectrum: &MatrixMetrics, metric: &Metric) -> f64 {
    match *metric {
        Metric::SingularValue(k) => spectrum.singular_values.get(k - 1).copied().unwrap_or(0.0),
        Metric::EffectiveRank => spectrum.effective_rank,
        Metric::NumericalRank(tolerance) => spectrum.numerical_rank(tolerance, w.shape()) as f64,
        Metric::NuclearNorm => spectrum.nuclear_norm,
        Metric::FrobeniusNorm => spectrum.frobenius_norm,
        Metric::SpectralNorm => spectrum.spectral_norm,
        Metric::NormalisedNuclearNorm => spectrum.normalised_nuclear_norm,
        Metric::Entry(i, j) => w[(i, j)],
        Metric::Determinant => spectrum.determinant.unwrap_or(f64::NAN),
        _ => f64::NAN,
    }
}

/// A quantity a claim can name. Written `name` or `name(arguments)` in assertions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Metric {
    /// `sigma(k)`: the k-th largest singular value, k from 1.
    SingularValue(usize),
    /// `effective_rank`: Roy & Vetterli's entropy rank.
    EffectiveRank,
    /// `rank` or `rank(tol)`: singular values above tol·σ₁ (default max(rows, cols)·ε).
    NumericalRank(Option<f64>),
    NuclearNorm,
    FrobeniusNorm,
    SpectralNorm,
    /// ‖W‖*/‖W‖_F, in [1, √rank] (Zhao 2022).
    NormalisedNuclearNorm,
    /// `entry(i, j)`, 0-based.
    Entry(usize, usize),
    /// `det`, square matrices only.
    Determinant,
    /// The run's own loss, under its reduction.
    TrainLoss,
    /// Mean squared residual over the observations.
    TrainMse,
    /// (1/(rows·cols))‖W − W*‖²_F: Arora et al.'s reconstruction error.
    TestMse,
    /// ‖W − W*‖_F / ‖W*‖_F.
    RelativeError,
    /// max_j ‖W_{j+1}ᵀW_{j+1} − W_jW_jᵀ‖_F.
    Balancedness,
    Steps,
    /// Boolean: the run reached its target loss.
    Converged,
    /// Boolean: the run produced NaN/Inf or blew up.
    Diverged,
    /// `gap`: a convex run's relative duality gap |‖Z‖* − bound| / ‖Z‖*.
    Gap,
    /// `feasibility`: a convex run's largest constraint violation, relative to max(1, max|yᵢ|).
    Feasibility,
    /// `lower_bound`: a convex run's certified lower bound on the nuclear norm of every feasible
    /// matrix.
    LowerBound,
    /// `time`: Σ of the step sizes (GD) or the time reached (gradient flow); deep runs only.
    Time,
    /// `rejected_steps`: steps the flow integrator rejected (0 for GD); deep runs only.
    RejectedSteps,
    /// `test_mse_rise`: the final test MSE over the best one sampled along the run.
    TestMseRise,
    /// `min_loss`, `max_loss`: the extremes of the loss over every step.
    MinLoss,
    MaxLoss,
    /// `max_entry`: the largest |Wᵢⱼ| over every step.
    MaxEntry,
    /// `min_det`, `max_det`: the extremes of det W over every step (square problems).
    MinDet,
    MaxDet,
}

/// A quantity that compares two subjects (runs or `truth`), written `name(a, b)` in assertions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pairwise {
    /// `certified_gap(a, c)` with c a convex run (see `certified_gap`).
    CertifiedGap,
    /// `rel_distance(a, b)`: ‖W_a − W_b‖_F / ‖W*‖_F (problems with a ground truth).
    RelDistance,
}

impl Pairwise {
    /// Every pairwise name with its arguments, for documentation and error messages.
    pub const NAMES: &[&str] = &["certified_gap(a, c)", "rel_distance(a, b)"];

    pub fn parse(name: &str) -> Option<Pairwise> {
        match name {
            "certified_gap" => Some(Pairwise::CertifiedGap),
            "rel_distance" => Some(Pairwise::RelDistance),
            _ => None,
        }
    }
}

/// Every metric name with its argument list, for documentation and error messages.
pub const METRIC_NAMES: &[&str] = &[
    "sigma(k)",
    "effective_rank",
    "rank",
    "rank(tol)",
    "nuclear_norm",
    "frobenius_norm",
    "spectral_norm",
    "normalised_nuclear_norm",
    "entry(i, j)",
    "det",
    "train_loss",
    "train_mse",
    "test_mse",
    "relative_error",
    "balancedness",
    "steps",
    "converged",
    "diverged",
    "gap",
    "feasibility",
    "lower_bound",
    "time",
    "rejected_steps",
    "test_mse_rise",
    "min_loss",
    "max_loss",
    "max_entry",
    "min_det",
    "max_det",
];

impl Metric {
    /// Reads `name(arguments)`; the error says what was expected.
    pub fn parse(name: &str, arguments: &[f64]) -> Result<Metric, String> {
        let none = |metric: Metric| {
            if arguments.is_empty() {
                Ok(metric)
            } else {
                Err(format!("`{name}` takes no arguments"))
            }
        };
        match name {
            "sigma" => match arguments {
                [k] => Ok(Metric::SingularValue(positive_index(*k, "sigma(k)", 1)?)),
                _ => Err("`sigma(k)` takes one argument, the 1-based index k".into()),
            },
            "entry" => match arguments {
                [i, j] => Ok(Metric::Entry(
                    positive_index(*i, "entry(i, j)", 0)?,
                    positive_index(*j, "entry(i, j)", 0)?,
                )),
                _ => Err("`entry(i, j)` takes two 0-based indices".into()),
            },
            "rank" => match arguments {
                [] => Ok(Metric::NumericalRank(None)),
                [t] if *t > 0.0 && t.is_finite() => Ok(Metric::NumericalRank(Some(*t))),
                _ => Err("`rank` takes no argument or one positive relative tolerance".into()),
            },
            "effective_rank" => none(Metric::EffectiveRank),
            "nuclear_norm" => none(Metric::NuclearNorm),
            "frobenius_norm" => none(Metric::FrobeniusNorm),
            "spectral_norm" => none(Metric::SpectralNorm),
            "normalised_nuclear_norm" => none(Metric::NormalisedNuclearNorm),
            "det" => none(Metric::Determinant),
            "train_loss" => none(Metric::TrainLoss),
            "train_mse" => none(Metric::TrainMse),
            "test_mse" => none(Metric::TestMse),
            "relative_error" => none(Metric::RelativeError),
            "balancedness" => none(Metric::Balancedness),
            "steps" => none(Metric::Steps),
            "converged" => none(Metric::Converged),
            "diverged" => none(Metric::Diverged),
            "gap" => none(Metric::Gap),
            "feasibility" => none(Metric::Feasibility),
            "lower_bound" => none(Metric::LowerBound),
            "time" => none(Metric::Time),
            "rejected_steps" => none(Metric::RejectedSteps),
            "test_mse_rise" => none(Metric::TestMseRise),
            "min_loss" => none(Metric::MinLoss),
            "max_loss" => none(Metric::MaxLoss),
            "max_entry" => none(Metric::MaxEntry),
            "min_det" => none(Metric::MinDet),
            "max_det" => none(Metric::MaxDet),
            _ => Err(format!(
                "a metric name, one of: {}; found `{name}`",
                METRIC_NAMES.join(", ")
            )),
        }
    }

    /// Whether the metric is true/false rather than a number.
    pub fn is_boolean(&self) -> bool {
        matches!(self, Metric::Converged | Metric::Diverged)
    }

    /// Whether the metric is defined on a bare matrix (and so on the ground truth).
    pub fn of_matrix(&self) -> bool {
        matches!(
            self,
            Metric::SingularValue(_)
                | Metric::EffectiveRank
                | Metric::NumericalRank(_)
                | Metric::NuclearNorm
                | Metric::FrobeniusNorm
                | Metric::SpectralNorm
                | Metric::NormalisedNuclearNorm
                | Metric::Entry(..)
                | Metric::Determinant
        )
    }

    /// Whether the metric reads a convex run's certificate.
    pub fn needs_certificate(&self) -> bool {
        matches!(self, Metric::Gap | Metric::Feasibility | Metric::LowerBound)
    }

    /// Whether only a deep (gradient) run has the metric.
    pub fn deep_only(&self) -> bool {
        matches!(self, Metric::Time | Metric::RejectedSteps)
    }

    /// Whether the metric is defined at a moment of a run (`run.initial.…`, `run.at_loss(t).…`):
    /// anything computed from the matrix and the problem, and the step it was taken at.
    pub fn at_a_moment(&self) -> bool {
        self.of_matrix()
            || matches!(
                self,
                Metric::TrainLoss
                    | Metric::TrainMse
                    | Metric::TestMse
                    | Metric::RelativeError
                    | Metric::Steps
            )
    }

    /// Asks `watch` for what the metric needs at every step.
    pub fn request(&self, watch: &mut Watch) {
        match self {
            Metric::MaxEntry => watch.entries = true,
            Metric::MinDet | Metric::MaxDet => watch.determinant = true,
            _ => {}
        }
    }

    /// Whether the metric compares with the ground truth.
    pub fn needs_truth(&self) -> bool {
        matches!(
            self,
            Metric::TestMse | Metric::RelativeError | Metric::TestMseRise
        )
    }

    /// Rejects a metric that cannot exist for a rows×cols problem.
    pub fn check_shape(&self, rows: usize, cols: usize) -> Result<(), String> {
        match *self {
            Metric::SingularValue(k) if k > rows.min(cols) => Err(format!(
                "sigma(k) with k ≤ min(rows, cols) = {}",
                rows.min(cols)
            )),
            Metric::Entry(i, j) if i >= rows || j >= cols => Err(format!(
                "entry(i, j) with 0 ≤ i < {rows} and 0 ≤ j < {cols}"
            )),
            Metric::Determinant | Metric::MinDet | Metric::MaxDet if rows != cols => Err(format!(
                "a square problem for a determinant; this one is {rows}×{cols}"
            )),
            _ => Ok(()),
        }
    }
}

/// A whole number ≥ `least` written as a number literal.
fn positive_index(x: f64, what: &str, least: usize) -> Result<usize, String> {
    if x.fract() == 0.0 && x >= least as f64 && x < 1e9 {
        Ok(x as usize)
    } else {
        Err(format!(
            "`{what}` takes whole-number indices from {least}; found {x}"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn effective_rank_of_identity_is_dimension() {
        let m = MatrixMetrics::of(&(DMatrix::identity(4, 4) * 3.0));
        approx::assert_relative_eq!(m.effective_rank, 4.0, epsilon = 1e-12);
        approx::assert_relative_eq!(m.normalised_nuclear_norm, 2.0, epsilon = 1e-12);
        assert_eq!(m.numerical_rank(None, (4, 4)), 4);
    }

    #[test]
    fn non_finite_matrix_has_nan_spectrum() {
        let m = MatrixMetrics::of(&DMatrix::from_element(2, 2, f64::NAN));
        assert!(m.singular_values.iter().all(|s| s.is_nan()));
    }

    #[test]
    fn metric_names_parse() {
        assert_eq!(Metric::parse("sigma", &[2.0]), Ok(Metric::SingularValue(2)));
        assert!(Metric::parse("sigma", &[0.0]).is_err());
        assert!(Metric::parse("entrie", &[]).unwrap_err().contains("one of"));
        assert!(Metric::Determinant.check_shape(2, 3).is_err());
    }
}
