//! The certified maximum margins against computations of their own: for one point the
//! closed forms min{‖β‖ : y⟨x, β⟩ ≥ 1} = 1/‖x‖_* (and the Fourier-ℓ1 optimum's spectrum on the
//! point's dominant frequency), the hard-margin SVM's KKT conditions solved afresh on its active
//! set, every norm's margin in two dimensions against a search over 10⁵ directions, and every
//! certificate's bound below the norm of every separator the test can find.

mod support;

use implreg::measure;
use implreg::problem::margin_loss::MarginLoss;
use implreg::problem::{
    ClassificationSpec, Fit, Form, Observations, Problem, ProblemSpec, Separator,
};
use implreg::solver::{self, MarginNorm, MaxMarginSpec, RunSpec, Stop};
use nalgebra::{DMatrix, DVector};
use proptest::prelude::*;

const NORMS: [MarginNorm; 4] = [
    MarginNorm::L2,
    MarginNorm::L1,
    MarginNorm::Linf,
    MarginNorm::FourierL1,
];

fn run(norm: MarginNorm) -> RunSpec {
    RunSpec::MaxMargin(MaxMarginSpec { norm, gap: 1e-6 })
}

/// Points (columns) and labels as a problem.
fn labelled(points: DMatrix<f64>, labels: DVector<f64>) -> Problem {
    Problem {
        rows: points.nrows(),
        cols: 1,
        observations: Observations::Measurements {
            matrices: points,
            targets: labels,
        },
        truth: None,
        fit: Fit::Margin(MarginLoss::Logistic),
        held_out: None,
        form: Form::Matrix,
    }
}

proptest! {
    #![proptest_config(support::config(48))]

    /// One point: the optimum is 1/‖x‖_* in every norm; the Fourier-ℓ1 optimum puts its whole
    /// spectrum on the frequency where |x̂_k| is largest (and its conjugate).
    #[test]
    fn one_point_has_the_closed_form(
        entries in proptest::collection::vec(-2.0f64..2.0, 1..16),
        positive in any::<bool>(),
    ) {
        let d = entries.len();
        let x = DMatrix::from_column_slice(d, 1, &entries);
        prop_assume!(x.norm() > 1e-3);
        let y = if positive { 1.0 } else { -1.0 };
        let problem = labelled(x.clone(), DVector::from_element(1, y));
        for norm in NORMS {
            let record = solver::solve(&run(norm), &problem, 0);
            prop_assert_eq!(record.stop, Stop::Certified, "{:?}", norm);
            let expected = 1.0 / norm.dual(&x);
            let value = norm.of(&record.matrix);
            prop_assert!((value - expected).abs() <= 1e-6 * expected, "{:?}: {} against {}", norm, value, expected);
        }
        let magnitudes = measure::fourier::magnitudes(&x);
        let mut sorted = magnitudes.clone();
        sorted.sort_by(f64::total_cmp);
        let top = sorted[d - 1];
        // The dominant frequency and its conjugate, when no other frequency comes within 10 %.
        let rivals = magnitudes.iter().filter(|&&m| m > 0.9 * top).count();
        let conjugate_pair = magnitudes.iter().enumerate().filter(|(_, m)| **m > 0.9 * top).all(|(k, _)| {
            magnitudes.iter().enumerate().filter(|(_, m)| **m > 0.9 * top).all(|(j, _)| j == k || j == (d - k) % d)
        });
        if rivals <= 2 && conjugate_pair {
            let record = solver::solve(&run(MarginNorm::FourierL1), &problem, 0);
            let spectrum = measure::fourier::magnitudes(&record.matrix);
            let total: f64 = spectrum.iter().sum();
            let off: f64 = spectrum.iter().zip(&magnitudes).filter(|(_, m)| **m <= 0.9 * top).map(|(s, _)| s).sum();
            prop_assert!(off <= 1e-6 * total, "spectrum off the dominant frequency: {} of {}", off, total);
        }
    }

    /// The SVM meets its KKT conditions, checked with separate code: every margin ≥ 1, and β is
    /// a nonnegative combination of the yᵢxᵢ whose margins are 1 (least squares on that set).
    #[test]
    fn the_svm_meets_its_kkt_conditions(
        (samples, features) in (3usize..30).prop_flat_map(|n| (Just(n), 2usize..40)),
        seed in 0u64..1_000_000,
    ) {
        let problem = classification(samples, features, Separator::Dense, seed);
        let record = solver::solve(&run(MarginNorm::L2), &problem, seed);
        prop_assert_eq!(record.stop, Stop::Certified);
        let beta = &record.matrix;
        let Observations::Measurements { matrices, targets } = &problem.observations else {
            unreachable!()
        };
        let margins: Vec<f64> = matrices.column_iter().zip(targets.iter()).map(|(x, y)| y * x.dot(&beta.column(0))).collect();
        prop_assert!(margins.iter().all(|&m| m >= 1.0 - 1e-9), "margins {:?}", margins);
        // The solver stops at a relative gap of ~1e-10 in ½‖β‖², which puts β within ~√(2·1e-10)
        // ≈ 1.4e-5 of the optimum (strong convexity): the conditions are checked to that.
        let active: Vec<usize> = (0..samples).filter(|&i| margins[i] <= 1.0 + 1e-4).collect();
        prop_assert!(!active.is_empty());
        let z = DMatrix::from_fn(features, active.len(), |r, c| targets[active[c]] * matrices[(r, active[c])]);
        let lambda = z.clone().svd(true, true).solve(&beta.column(0).into_owned(), 1e-12).unwrap();
        let residual = (&z * &lambda - beta.column(0)).norm();
        prop_assert!(residual <= 1.5e-5 * beta.norm(), "β outside the active points' cone: {}", residual);
        prop_assert!(lambda.iter().all(|&l| l >= -1.5e-5 * lambda.amax()), "a negative multiplier: {:?}", lambda);
    }

    /// Every certificate's bound lies below the norm of every separator at margin 1 the test
    /// knows: the other norms' optima and the planted separator.
    #[test]
    fn certificates_bound_every_separator(
        (samples, features) in (2usize..25).prop_flat_map(|n| (Just(n), 2usize..24)),
        fourier in any::<bool>(),
        seed in 0u64..1_000_000,
    ) {
        let separator = if fourier { Separator::Fourier(2) } else { Separator::Sparse(2.min(features)) };
        let problem = classification(samples, features, separator, seed);
        let records: Vec<_> = NORMS.iter().map(|&n| solver::solve(&run(n), &problem, seed)).collect();
        let mut separators: Vec<DMatrix<f64>> = records.iter().map(|r| r.matrix.clone()).collect();
        let planted = problem.truth.clone().unwrap();
        separators.push(&planted / support::least_margin(&problem, &planted));
        for (norm, record) in NORMS.iter().zip(&records) {
            prop_assert_eq!(record.stop, Stop::Certified, "{:?}", norm);
            let certificate = record.certificate.as_ref().unwrap();
            for beta in &separators {
                prop_assert!(support::least_margin(&problem, beta) >= 1.0 - 1e-9);
                prop_assert!(norm.of(beta) >= certificate.lower_bound * (1.0 - 1e-9), "{:?}: {} below the bound {}", norm, norm.of(beta), certificate.lower_bound);
            }
        }
    }
}

fn classification(samples: usize, features: usize, separator: Separator, seed: u64) -> Problem {
    ProblemSpec::Classification(ClassificationSpec {
        samples,
        features,
        separator,
        margin: 0.0,
        loss: MarginLoss::Logistic,
        test_samples: 100,
    })
    .generate(seed)
}

/// In two dimensions every norm's maximum margin equals the best least margin over 10⁵
/// directions on the circle, refined by 2·10⁴ around the best (to 6e-9 rad).
#[test]
fn two_dimensions_against_a_search_over_directions() {
    for seed in 0..20 {
        let problem = classification(12, 2, Separator::Dense, seed);
        for norm in NORMS {
            let record = solver::solve(&run(norm), &problem, seed);
            assert_eq!(record.stop, Stop::Certified);
            let certified = 1.0 / norm.of(&record.matrix);
            let margin_at = |angle: f64| {
                let u = DMatrix::from_column_slice(2, 1, &[angle.cos(), angle.sin()]);
                support::least_margin(&problem, &u) / norm.of(&u)
            };
            let step = std::f64::consts::TAU / 100_000.0;
            let best = (0..100_000)
                .map(|k| k as f64 * step)
                .max_by(|a, b| margin_at(*a).total_cmp(&margin_at(*b)))
                .unwrap();
            // 10⁴ finer directions around the best of the grid.
            let searched = (-10_000..=10_000)
                .map(|k| margin_at(best + k as f64 * step / 10_000.0))
                .fold(f64::NEG_INFINITY, f64::max);
            assert!(
                searched <= certified * (1.0 + 1e-9) && searched >= certified * (1.0 - 1e-6),
                "seed {seed} {norm:?}: searched {searched}, certified {certified}"
            );
        }
    }
}

/// Points that no direction separates leave the run exhausted, without a certificate.
#[test]
fn inseparable_points_are_reported() {
    let points = DMatrix::from_column_slice(2, 2, &[1.0, 0.0, 1.0, 0.0]);
    let problem = labelled(points, DVector::from_column_slice(&[1.0, -1.0]));
    for norm in NORMS {
        let record = solver::solve(&run(norm), &problem, 0);
        assert_ne!(record.stop, Stop::Certified, "{norm:?}");
        assert!(record.certificate.is_none());
    }
}

/// A solve past its run's time, or cancelled, is halted between two of the solver's iterations
/// and says so (`Time`, `Interrupted`), without a certificate.
#[test]
fn a_solve_is_halted_by_its_bounds() {
    use implreg::solver::{Bounds, Watch};
    let problem = classification(40, 30, Separator::Dense, 1);
    let timed = Bounds {
        run_seconds: Some(0.0),
        ..Default::default()
    };
    let cancelled = Bounds::default();
    cancelled.cancel.cancel();
    for (bounds, stop) in [(timed, Stop::Time), (cancelled, Stop::Interrupted)] {
        let record = solver::solve_within(
            &run(MarginNorm::FourierL1),
            &problem,
            1,
            &Watch::default(),
            bounds,
        );
        assert_eq!(record.stop, stop);
        assert!(record.certificate.is_none());
    }
}
