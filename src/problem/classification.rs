//! Linearly separable binary classification as a d×1 problem: n points xᵢ in d dimensions with
//! labels yᵢ = sign⟨xᵢ, w*⟩ for a planted separator w*, fitted with a margin loss (logistic or
//! exponential: `margin_loss`). The points are i.i.d. N(0, I/d), so ‖xᵢ‖ ≈ 1; the separator
//! is dense (every entry N(0, 1)), k-sparse in the standard basis (a uniformly random support,
//! entries N(0, 1)), or k-sparse in the Fourier basis — a sum of k real sinusoids
//! aⱼ cos(2π fⱼ t/d + φⱼ) at distinct frequencies fⱼ ∈ {0, …, ⌊d/2⌋}, aⱼ ~ N(0, 1),
//! φⱼ ~ U[0, 2π) — Fourier-sparse data, for the question whether convolutional networks' bias
//! follows the data's sparsity (Gunasekar, Lee, Soudry, Srebro 2018, NeurIPS, arXiv 1806.00468). w* is scaled to ‖w*‖ = 1. A minimum margin
//! γ keeps only points with |⟨xᵢ, w*⟩| ≥ γ (rejection; validated so that a point clears it with
//! probability at least 1 %, and bounded).

use super::instance::{Family, Fit, Form, HeldOut, Observations, Problem, Testing};
use super::margin_loss::MarginLoss;
use super::regression::{is_zero, validate_sizes};
use crate::invalid::{Invalid, require};
use crate::random::{self, Rng};
use nalgebra::{DMatrix, DVector};
use rand::RngExt;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

/// Classification as a claim writes it: `classification: { samples: n, features: d,
/// separator: dense | { sparse: k } | { fourier: k }, margin: γ, loss: logistic | exponential,
/// test_samples: m }` (by default a dense separator, no margin, logistic loss, 1,000 held-out
/// points).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassificationSpec {
    /// n, the points.
    pub samples: usize,
    /// d, their dimension.
    pub features: usize,
    /// The planted separator's kind.
    #[serde(default)]
    pub separator: Separator,
    /// γ, the least |⟨xᵢ, w*⟩| of a point kept.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub margin: f64,
    /// The loss the points are fitted with.
    #[serde(default)]
    pub loss: MarginLoss,
    /// Fresh points of the same distribution drawn after the training set, for `test_error`.
    #[serde(default = "default_test_samples")]
    pub test_samples: usize,
}

/// 1,000 held-out points: a test error's standard error is at most 1.6 %.
fn default_test_samples() -> usize {
    1000
}

/// The planted separator's kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Separator {
    /// Every entry N(0, 1).
    #[default]
    Dense,
    /// k entries N(0, 1) on a uniformly random support.
    Sparse(usize),
    /// A sum of k real sinusoids at distinct frequencies.
    Fourier(usize),
}

/// z with P(|N(0, 1)| ≥ z) = 1 %: a margin γ·√d beyond it would reject more than 99 % of
/// the points drawn.
const Z_ONE_PERCENT: f64 = 2.575_829_303_548_901;

/// The most points drawn for one sample before the last is moved out to the margin along w*
/// (at a 1 % acceptance rate, 10⁴ draws all fail with probability 0.99^10⁴ ≈ 2e-44).
const MOST_TRIES: usize = 10_000;

impl ClassificationSpec {
    /// The largest margin validation accepts for d features.
    pub fn largest_margin(features: usize) -> f64 {
        Z_ONE_PERCENT / (features as f64).sqrt()
    }

    /// w*, of unit norm.
    fn separator(&self, rng: &mut Rng) -> DVector<f64> {
        let d = self.features;
        let mut w = DVector::zeros(d);
        match self.separator {
            Separator::Dense => w = random::gaussian_matrix(d, 1, 1.0, rng).column(0).into(),
            Separator::Sparse(k) => {
                for i in random::subset(d, k, rng) {
                    w[i] = StandardNormal.sample(rng);
                }
            }
            Separator::Fourier(k) => {
                for f in random::subset(d / 2 + 1, k, rng) {
                    let a: f64 = StandardNormal.sample(rng);
                    let phase = rng.random_range(0.0..std::f64::consts::TAU);
                    for (t, entry) in w.iter_mut().enumerate() {
                        let angle = std::f64::consts::TAU * (f * t) as f64 / d as f64;
                        *entry += a * (angle + phase).cos();
                    }
                }
            }
        }
        let norm = w.norm();
        // A draw of norm 0 (a Fourier term at f = d/2 with its phase at ±π/2) has no direction:
        // the first coordinate stands in.
        if norm > 0.0 {
            w / norm
        } else {
            DVector::from_fn(d, |i, _| f64::from(i == 0))
        }
    }

    /// One point with |⟨x, w*⟩| ≥ γ, and its label.
    fn point(&self, w: &DVector<f64>, rng: &mut Rng) -> (DVector<f64>, f64) {
        let d = self.features;
        let std = (1.0 / d as f64).sqrt();
        let mut x: DVector<f64> = random::gaussian_matrix(d, 1, std, rng).column(0).into();
        for _ in 1..MOST_TRIES {
            if w.dot(&x).abs() >= self.margin {
                break;
            }
            x = random::gaussian_matrix(d, 1, std, rng).column(0).into();
        }
        let projection = w.dot(&x);
        let label = if projection >= 0.0 { 1.0 } else { -1.0 };
        if projection.abs() < self.margin {
            x += w * (label * self.margin - projection);
        }
        (x, label)
    }
}

impl Family for ClassificationSpec {
    fn shape(&self) -> (usize, usize) {
        (self.features, 1)
    }

    /// w* is drawn and kept with the instance, but no metric compares with it yet: the ground
    /// truth's metrics (`test_mse`, `truth.*`) measure squared distances, which say nothing of
    /// a direction learnt on labels, so a claim asking for them is refused.
    fn has_truth(&self) -> bool {
        false
    }

    fn observations(&self) -> usize {
        self.samples
    }

    fn observes_entries(&self) -> bool {
        false
    }

    fn validate(&self) -> Result<(), Invalid> {
        let d = self.features;
        validate_sizes(self.samples, d)?;
        require(self.test_samples >= 1, "test_samples", || {
            "at least 1 held-out point".into()
        })?;
        validate_sizes(self.test_samples, d)
            .map_err(|e| Invalid::new("test_samples", e.expected))?;
        match self.separator {
            Separator::Dense => {}
            Separator::Sparse(k) => require((1..=d).contains(&k), "separator", || {
                format!("between 1 and features ({d}) nonzero entries, found {k}")
            })?,
            Separator::Fourier(k) => require((1..=d / 2 + 1).contains(&k), "separator", || {
                format!(
                    "between 1 and {} sinusoids (the distinct frequencies 0 to ⌊features/2⌋ of {d} features), found {k}",
                    d / 2 + 1
                )
            })?,
        }
        let most = Self::largest_margin(d);
        require(self.margin >= 0.0 && self.margin <= most, "margin", || {
            format!(
                "a margin γ from 0 to {most:.4} for {d} features (points are N(0, I/d): a larger γ rejects more than 99 % of them), found {}",
                self.margin
            )
        })
    }

    fn fit(&self) -> Fit {
        Fit::Margin(self.loss)
    }

    fn held_out(&self) -> Option<(Testing, usize)> {
        (self.test_samples > 0).then_some((Testing::Points, self.test_samples))
    }

    fn draw(&self, rng: &mut Rng) -> Problem {
        let (n, d) = (self.samples, self.features);
        let w = self.separator(rng);
        let mut points = DMatrix::zeros(d, n);
        let mut labels = DVector::zeros(n);
        for i in 0..n {
            let (x, y) = self.point(&w, rng);
            points.set_column(i, &x);
            labels[i] = y;
        }
        let mut test_points = DMatrix::zeros(d, self.test_samples);
        let mut test_labels = DVector::zeros(self.test_samples);
        for i in 0..self.test_samples {
            let (x, y) = self.point(&w, rng);
            test_points.set_column(i, &x);
            test_labels[i] = y;
        }
        Problem {
            rows: d,
            cols: 1,
            // Column i is vec(Aᵢ) = xᵢ.
            observations: Observations::Measurements {
                matrices: points,
                targets: labels,
            },
            truth: Some(DMatrix::from_column_slice(d, 1, w.as_slice())),
            fit: self.fit(),
            held_out: Some(HeldOut::Points {
                points: test_points,
                labels: test_labels,
            }),
            form: Form::Matrix,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(separator: Separator, margin: f64) -> ClassificationSpec {
        ClassificationSpec {
            samples: 40,
            features: 16,
            separator,
            margin,
            loss: MarginLoss::Logistic,
            test_samples: 100,
        }
    }

    /// The points, the labels and w* of one draw.
    fn drawn(spec: &ClassificationSpec, seed: u64) -> (DMatrix<f64>, DVector<f64>, DVector<f64>) {
        let problem = spec.draw(&mut random::problem_stream(seed));
        let Observations::Measurements { matrices, targets } = problem.observations else {
            panic!("measurements")
        };
        (matrices, targets, problem.truth.unwrap().column(0).into())
    }

    /// The held-out points come after the training set: their number never changes the
    /// instance, and they carry w*'s labels with the margin.
    #[test]
    fn the_test_set_is_drawn_after_the_training_set() {
        let few = spec(Separator::Sparse(3), 0.1);
        let many = ClassificationSpec {
            test_samples: 700,
            ..few.clone()
        };
        assert_eq!(drawn(&few, 5), drawn(&many, 5));
        let problem = many.draw(&mut random::problem_stream(5));
        let held_out = problem.held_out.unwrap();
        let HeldOut::Points { points, labels } = &held_out else {
            panic!("classification holds out points")
        };
        assert_eq!(labels.len(), 700);
        let w = problem.truth.unwrap();
        for (x, y) in points.column_iter().zip(labels.iter()) {
            assert!(y * x.dot(&w.column(0)) >= 0.1 - 1e-12);
        }
        assert_eq!(held_out.error_of(&w), Some(0.0));
        assert_eq!(held_out.error_of(&-w), Some(1.0));
    }

    #[test]
    fn labels_are_the_separators_with_at_least_the_margin() {
        for separator in [
            Separator::Dense,
            Separator::Sparse(3),
            Separator::Fourier(2),
        ] {
            for margin in [0.0, 0.3, ClassificationSpec::largest_margin(16)] {
                let spec = spec(separator, margin);
                spec.validate().unwrap();
                for seed in 0..20 {
                    let (points, labels, w) = drawn(&spec, seed);
                    approx::assert_relative_eq!(w.norm(), 1.0, max_relative = 1e-12);
                    for (x, y) in points.column_iter().zip(labels.iter()) {
                        assert!(*y == 1.0 || *y == -1.0);
                        assert!(
                            y * w.dot(&x) >= margin * (1.0 - 1e-12),
                            "{separator:?} γ {margin}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn sparse_and_fourier_separators_have_k_terms() {
        let (_, _, w) = drawn(&spec(Separator::Sparse(3), 0.0), 5);
        assert_eq!(w.iter().filter(|x| **x != 0.0).count(), 3);
        // The DFT (computed directly, O(d²)) of a sum of k sinusoids: at most 2k frequencies.
        for k in 1..=9 {
            let (_, _, w) = drawn(&spec(Separator::Fourier(k), 0.0), k as u64);
            let d = w.len();
            let support = (0..d)
                .filter(|&f| {
                    let (re, im) = (0..d).fold((0.0, 0.0), |(re, im), t| {
                        let angle = std::f64::consts::TAU * (f * t) as f64 / d as f64;
                        (re + w[t] * angle.cos(), im - w[t] * angle.sin())
                    });
                    f64::hypot(re, im) > 1e-9
                })
                .count();
            assert!(
                (1..=2 * k).contains(&support),
                "k {k}: {support} frequencies"
            );
        }
    }

    #[test]
    fn impossible_settings_are_refused_by_field() {
        let field = |spec: ClassificationSpec| spec.validate().unwrap_err().field;
        assert_eq!(field(spec(Separator::Sparse(0), 0.0)), "separator");
        assert_eq!(field(spec(Separator::Sparse(17), 0.0)), "separator");
        assert_eq!(field(spec(Separator::Fourier(10), 0.0)), "separator");
        assert_eq!(field(spec(Separator::Dense, 0.7)), "margin");
        assert_eq!(field(spec(Separator::Dense, f64::NAN)), "margin");
        assert_eq!(field(spec(Separator::Dense, -0.1)), "margin");
        let mut none = spec(Separator::Dense, 0.0);
        none.samples = 0;
        assert_eq!(field(none), "samples");
    }
}
