//! Separable classification through the solvers: gradient descent on the logistic and the
//! exponential loss, from small initialisation, drives every training margin positive and the
//! loss down for a linear model, a deep linear factorisation and a diagonal network, on every
//! kind of planted separator; a claim checks the same through the language.

mod support;

use implreg::claim::language::measured::Measured;
use implreg::claim::{self, Claim, Verdict};
use implreg::problem::margin_loss::MarginLoss;
use implreg::problem::{ClassificationSpec, HeldOut, ProblemSpec, Separator};
use implreg::solver::{self, RunSpec};
use std::path::Path;

fn run(text: &str) -> RunSpec {
    serde_json::from_str(text).expect("a run spec")
}

#[test]
fn gradient_descent_separates_the_training_points() {
    let runs = [
        r#"{ "deep": { "depth": 1, "init": { "gaussian": { "scale": 1e-3 } },
             "optimizer": { "gd": { "lr": 1.0 } }, "steps": 3000 } }"#,
        r#"{ "deep": { "depth": 2, "init": { "gaussian": { "scale": 1e-2 } },
             "optimizer": { "gd": { "lr": 1.0 } }, "steps": 3000 } }"#,
        r#"{ "diagonal": { "depth": 2, "alpha": 0.1,
             "optimizer": { "gd": { "lr": 1.0 } }, "steps": 3000 } }"#,
    ];
    for loss in [MarginLoss::Logistic, MarginLoss::Exponential] {
        for separator in [
            Separator::Dense,
            Separator::Sparse(3),
            Separator::Fourier(2),
        ] {
            let spec = ProblemSpec::Classification(ClassificationSpec {
                samples: 20,
                features: 32,
                separator,
                margin: 0.05,
                loss,
                test_samples: 100,
            });
            spec.validate().unwrap();
            for seed in 0..3 {
                let problem = spec.generate(seed);
                for text in runs {
                    let record = solver::solve(&run(text), &problem, seed);
                    let margin = support::least_margin(&problem, &record.matrix);
                    assert!(
                        margin > 0.0,
                        "{loss:?} {separator:?} seed {seed} {text}: least margin {margin}"
                    );
                    // The language's words agree with the margins computed here.
                    let measured = Measured::end_of(&record, &problem, Default::default());
                    let norm = record.matrix.norm();
                    approx::assert_relative_eq!(
                        measured.least_margin(implreg::solver::MarginNorm::L2),
                        margin / norm,
                        max_relative = 1e-9
                    );
                    assert_eq!(measured.train_error(), 0.0);
                    check_other_margins_and_test_error(&measured, &problem, margin);
                    approx::assert_relative_eq!(
                        measured.ln_train_loss(),
                        measured.train_loss().ln(),
                        max_relative = 1e-9
                    );
                    // Far out along the direction the loss underflows; its logarithm does not:
                    // ln ℓ ≈ ln(c·Σ e^{−mᵢ}) ≈ −(least margin), the largest term's.
                    let far = &record.matrix * (2000.0 / margin);
                    let residuals = problem.residuals(&far);
                    assert_eq!(problem.loss(&far, Default::default()), 0.0);
                    let ln = problem.ln_loss_of_residuals(&residuals, Default::default());
                    assert!(
                        ln.is_finite() && (-2000.0 - 10.0..=-2000.0 + 1e-9).contains(&ln),
                        "{ln}"
                    );
                    let initial = problem.loss(&(&record.matrix * 0.0), Default::default());
                    let last = problem.loss(&record.matrix, Default::default());
                    assert!(
                        last < 0.1 * initial,
                        "{loss:?} {separator:?} {text}: {last}"
                    );
                }
            }
        }
    }
}

/// The ℓ1, ℓ∞ and Fourier-ℓ1 margins and the test error agree with this test's own sums (the
/// DFT by its definition).
fn check_other_margins_and_test_error(
    measured: &Measured,
    problem: &implreg::problem::Problem,
    least: f64,
) {
    use implreg::solver::MarginNorm;
    let w = measured.matrix;
    let d = w.len();
    let fourier_l1: f64 = (0..d)
        .map(|k| {
            let (mut re, mut im) = (0.0, 0.0);
            for (t, x) in w.iter().enumerate() {
                let angle = std::f64::consts::TAU * (k * t) as f64 / d as f64;
                re += x * angle.cos();
                im -= x * angle.sin();
            }
            re.hypot(im)
        })
        .sum();
    let l1: f64 = w.iter().map(|x| x.abs()).sum();
    let linf = w.iter().fold(0.0_f64, |m, x| m.max(x.abs()));
    for (norm, value) in [
        (MarginNorm::L1, l1),
        (MarginNorm::Linf, linf),
        (MarginNorm::FourierL1, fourier_l1),
    ] {
        approx::assert_relative_eq!(
            measured.least_margin(norm),
            least / value,
            max_relative = 1e-9
        );
    }
    let Some(HeldOut::Points { points, labels }) = problem.held_out.as_ref() else {
        panic!("classification draws a test set of points")
    };
    let wrong = points
        .column_iter()
        .zip(labels.iter())
        .filter(|(x, y)| *y * x.dot(&w.column(0)) <= 0.0)
        .count();
    assert_eq!(measured.test_error(), wrong as f64 / labels.len() as f64);
}

/// Claims on a Fourier-sparse separator and on four written-out points (also bases of the
/// hostile campaign).
const FIXTURES: [&str; 2] = [
    "tests/fixtures/classification/trains.yaml",
    "tests/fixtures/classification/labelled.yaml",
];

#[test]
fn claims_on_classification_hold_through_the_language() {
    for fixture in FIXTURES {
        let claim = Claim::load(Path::new(fixture)).expect("a valid claim");
        let report = claim::evaluate(&claim, |_| None, &claim::Context::default(), &|_, _| {});
        assert_eq!(report.verdict(), Verdict::Holds, "{}", report.to_text());
    }
}

/// Normalised steps grow the margins linearly, so the logistic loss underflows within a few
/// thousand steps: the run says so (`Underflow`) instead of spending its budget on gradients
/// that have lost their digits, and its loss in log space stays finite.
#[test]
fn a_loss_that_underflows_is_reported() {
    let problem = ProblemSpec::Classification(ClassificationSpec {
        samples: 10,
        features: 8,
        separator: Separator::Dense,
        margin: 0.05,
        loss: MarginLoss::Logistic,
        test_samples: 10,
    })
    .generate(3);
    let record = solver::solve(
        &run(r#"{ "deep": { "depth": 1, "init": "zero",
             "optimizer": { "steepest": { "lr": 1.0, "norm": "l2" } }, "steps": 100000 } }"#),
        &problem,
        3,
    );
    assert_eq!(record.stop, solver::Stop::Underflow);
    assert!(record.steps < 100_000, "{} steps", record.steps);
    let measured = Measured::end_of(&record, &problem, Default::default());
    assert!(measured.train_loss() < f64::MIN_POSITIVE);
    let ln = measured.ln_train_loss();
    assert!(ln.is_finite() && ln < -708.0, "{ln}");
}

/// `kkt_residual` is 1 − cos(w, Σᵢ e^{−(mᵢ − m_min)} yᵢxᵢ) for a linear model on the
/// exponential loss (its slopes' ratios, as the test computes them here), and stays finite and
/// the same where the loss has underflowed (the run stops `Underflow`).
#[test]
fn the_kkt_residual_is_the_alignment_with_the_losss_weights() {
    let problem = ProblemSpec::Classification(ClassificationSpec {
        samples: 12,
        features: 6,
        separator: Separator::Dense,
        margin: 0.05,
        loss: MarginLoss::Exponential,
        test_samples: 10,
    })
    .generate(2);
    let own = |w: &nalgebra::DMatrix<f64>| {
        let implreg::problem::Observations::Measurements { matrices, targets } =
            &problem.observations
        else {
            unreachable!()
        };
        let margins: Vec<f64> = matrices
            .column_iter()
            .zip(targets.iter())
            .map(|(x, y)| y * x.dot(&w.column(0)))
            .collect();
        let least = margins.iter().copied().fold(f64::INFINITY, f64::min);
        let mut z = nalgebra::DVector::zeros(w.nrows());
        for ((x, y), m) in matrices.column_iter().zip(targets.iter()).zip(&margins) {
            z += x * (y * (-(m - least)).exp());
        }
        1.0 - w.column(0).dot(&z) / (w.norm() * z.norm())
    };
    for (steps, lr) in [(2000, 0.5), (100_000, 5.0)] {
        let record = solver::solve(
            &run(&format!(
                r#"{{ "deep": {{ "depth": 1, "init": "zero",
                   "optimizer": {{ "steepest": {{ "lr": {lr}, "norm": "l2" }} }}, "steps": {steps} }} }}"#
            )),
            &problem,
            2,
        );
        let residual = record.kkt_residual.expect("a classification run has one");
        approx::assert_relative_eq!(
            residual,
            own(&record.matrix),
            max_relative = 1e-6,
            epsilon = 1e-14
        );
        if steps == 100_000 {
            assert_eq!(record.stop, solver::Stop::Underflow);
            assert!(residual.is_finite());
        }
    }
}
