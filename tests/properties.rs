//! The mathematics of the solvers on random inputs (proptest with a fixed seed; failures are
//! recorded beside this file and replayed first).

use approx::assert_relative_eq;
use implreg::claim::{self, Claim};
use implreg::measure::{self, Spectrum};
use implreg::problem::{Problem, ProblemSpec, Reduction, SensingSpec, SpectrumSpec};
use implreg::random;
use implreg::solver::driver::Iterate;
use implreg::solver::{self, DeepFactorisation, Descent, InitSpec, Model, OptimizerSpec, init};
use nalgebra::{DMatrix, DVector};
use proptest::prelude::*;
use std::path::Path;
use support::{config, problem};

mod support;

fn factors(
    init: InitSpec,
    depth: usize,
    problem: &Problem,
    width: usize,
    seed: u64,
) -> Vec<DMatrix<f64>> {
    init.factors(
        depth,
        problem.rows,
        problem.cols,
        width,
        &mut random::named_stream(seed, "test"),
    )
}

proptest! {
    #![proptest_config(config(48))]

    /// ∂ℓ/∂W_j from the backward pass equals central finite differences of ℓ.
    #[test]
    fn gradients_match_finite_differences(
        rows in 1usize..5, cols in 1usize..5, width in 1usize..5, depth in 1usize..=4,
        sensing: bool, sum: bool, seed in 0u64..1000,
    ) {
        let problem = problem(rows, cols, sensing, seed);
        let reduction = if sum { Reduction::Sum } else { Reduction::Mean };
        let start = factors(InitSpec::Gaussian { scale: 1.0 }, depth, &problem, width, seed);
        let mut model = DeepFactorisation::new(&problem, reduction, start.clone());
        model.loss_and_gradients();
        let analytic: Vec<DMatrix<f64>> = model.gradients().to_vec();
        let loss_at = |factors: Vec<DMatrix<f64>>| DeepFactorisation::new(&problem, reduction, factors).loss_and_gradients();
        let h = 1e-5;
        let (mut error, mut size) = (0.0, 0.0);
        for (j, gradient) in analytic.iter().enumerate() {
            for k in 0..gradient.len() {
                let mut plus = start.clone();
                plus[j][k] += h;
                let mut minus = start.clone();
                minus[j][k] -= h;
                let numeric = (loss_at(plus) - loss_at(minus)) / (2.0 * h);
                error += (numeric - gradient[k]).powi(2);
                size += gradient[k].powi(2);
            }
        }
        prop_assert!(error.sqrt() <= 1e-6 * size.sqrt().max(1e-8), "error {} against gradient norm {}", error.sqrt(), size.sqrt());
    }

    /// Completion's sampled path (only the observed entries of W, sparse products with ∇ℓ) gives
    /// the loss, the gradients and, on demand, the end-to-end matrix of the dense path, at sizes
    /// that exercise every kernel (groups of 1–4 entries, columns not a multiple of 4 long, the
    /// plain-loop and the GEMM products).
    #[test]
    fn sampled_path_agrees_with_the_dense_path(
        rows in 1usize..14, cols in 1usize..14, width in 1usize..14, depth in 2usize..=4,
        sum: bool, seed in 0u64..1000,
    ) {
        let problem = problem(rows, cols, false, seed);
        let reduction = if sum { Reduction::Sum } else { Reduction::Mean };
        let start = factors(InitSpec::Gaussian { scale: 1.0 }, depth, &problem, width, seed);
        let mut sampled = DeepFactorisation::new(&problem, reduction, start.clone());
        let mut dense = DeepFactorisation::new(&problem, reduction, start).with_dense_products();
        let (loss, expected) = (sampled.loss_and_gradients(), dense.loss_and_gradients());
        assert_relative_eq!(loss, expected, max_relative = 1e-12);
        for (found, wanted) in sampled.gradients().iter().zip(dense.gradients()) {
            prop_assert!((found - wanted).norm() <= 1e-12 * wanted.norm().max(1e-12));
        }
        let product = dense.product().clone();
        prop_assert!((sampled.product() - &product).norm() <= 1e-12 * product.norm());
    }

    /// A balanced initialisation is balanced and multiplies out to the requested matrix.
    #[test]
    fn balanced_factors_are_balanced_with_the_requested_product(
        rows in 1usize..7, cols in 1usize..7, extra_width in 0usize..3, depth in 1usize..=4, seed in 0u64..1000,
    ) {
        let mut rng = random::named_stream(seed, "balanced");
        let product = random::gaussian_matrix(rows, cols, 1.0, &mut rng);
        let width = rows.min(cols) + extra_width;
        let factors = init::balanced_factors(&product, depth, width, &mut rng);
        prop_assert!(measure::balancedness(&factors) <= 1e-10, "balancedness {}", measure::balancedness(&factors));
        let end_to_end = solver::deep::product(&factors);
        prop_assert!((end_to_end - &product).norm() <= 1e-10 * product.norm().max(1.0));
    }

    /// Gradient descent with a small enough step never increases the loss.
    #[test]
    fn small_step_gradient_descent_never_increases_the_loss(
        rows in 2usize..6, cols in 2usize..6, depth in 1usize..=3, sensing: bool, seed in 0u64..1000,
    ) {
        let problem = problem(rows, cols, sensing, seed);
        let start = factors(InitSpec::Gaussian { scale: 0.5 }, depth, &problem, rows.max(cols), seed);
        let mut descent = Descent {
            model: DeepFactorisation::new(&problem, Reduction::Mean, start),
            rule: OptimizerSpec::Gd { lr: 1e-3 }.integrator().step_rule().unwrap(),
        };
        let mut previous = descent.evaluate();
        for _ in 0..200 {
            descent.advance();
            let loss = descent.evaluate();
            prop_assert!(loss <= previous * (1.0 + 1e-12), "loss rose from {previous} to {loss}");
            previous = loss;
        }
    }

    /// 1 ≤ erank ≤ rank, scale invariance, and 1 ≤ ‖W‖*/‖W‖_F ≤ √rank.
    #[test]
    fn effective_rank_and_normalised_nuclear_norm_are_bounded(
        rows in 1usize..8, cols in 1usize..8, rank in 1usize..8, scale in 1e-3f64..1e3, seed in 0u64..1000,
    ) {
        let rank = rank.min(rows).min(cols);
        let w = support::low_rank(rows, cols, rank, seed, "rank");
        let m = Spectrum::of(&w);
        prop_assert!(m.effective_rank >= 1.0 - 1e-12 && m.effective_rank <= rank as f64 + 1e-9, "erank {} for rank {rank}", m.effective_rank);
        prop_assert!(m.normalised_nuclear_norm >= 1.0 - 1e-12 && m.normalised_nuclear_norm <= (rank as f64).sqrt() + 1e-9);
        let scaled = Spectrum::of(&(w * scale));
        prop_assert!((scaled.effective_rank - m.effective_rank).abs() <= 1e-9 * m.effective_rank);
        prop_assert!((scaled.normalised_nuclear_norm - m.normalised_nuclear_norm).abs() <= 1e-9);
    }

    /// erank(c·Iₙ) = n.
    #[test]
    fn effective_rank_of_a_scaled_identity_is_its_dimension(n in 1usize..12, c in 1e-6f64..1e6) {
        let m = Spectrum::of(&(DMatrix::identity(n, n) * c));
        assert_relative_eq!(m.effective_rank, n as f64, max_relative = 1e-12);
    }

    /// Arora et al. (2019, Theorem 3): dσ_r/dt = −N(σ_r²)^{1−1/N}⟨∇ℓ(W), u_r v_rᵀ⟩ for a
    /// balanced start, checked on one tiny GD step (docs/science.md T2).
    #[test]
    fn singular_values_follow_aroras_dynamics_from_a_balanced_start(depth in 1usize..=4, seed in 0u64..1000) {
        let error = singular_value_dynamics_error(InitSpec::Balanced { scale: 0.5 }, depth, seed);
        prop_assert!(error <= 5e-3, "relative error {error}");
    }
}

/// max_r |Δσ_r/η − predicted_r| / max_r |predicted_r| for one GD step η = 1e-6 on a 6×6 sensing
/// problem with 10 measurements of a rank-2 target and loss ½Σ.
fn singular_value_dynamics_error(init: InitSpec, depth: usize, seed: u64) -> f64 {
    let problem = ProblemSpec::Sensing(SensingSpec {
        rows: 6,
        cols: 6,
        rank: 2,
        measurements: 10,
    })
    .generate(seed);
    let start = factors(init, depth, &problem, 6, seed);
    let eta = 1e-6;
    let mut descent = Descent {
        model: DeepFactorisation::new(&problem, Reduction::Sum, start),
        rule: OptimizerSpec::Gd { lr: eta }
            .integrator()
            .step_rule()
            .unwrap(),
    };
    descent.evaluate();
    let before = descent.matrix().clone();
    descent.advance();
    descent.evaluate();
    let after = measure::singular_values(descent.matrix());
    let svd = before.clone().svd(true, true);
    let (u, v_t) = (svd.u.unwrap(), svd.v_t.unwrap());
    let mut gradient = DMatrix::zeros(6, 6);
    problem.loss_gradient_into(
        &before,
        Reduction::Sum,
        &mut DVector::zeros(10),
        &mut gradient,
    );
    let n = depth as f64;
    let mut pairs: Vec<(f64, f64)> = (0..6)
        .map(|r| {
            let sigma = svd.singular_values[r];
            let projection = (u.column(r).transpose() * &gradient * v_t.row(r).transpose())[(0, 0)];
            (sigma, -n * (sigma * sigma).powf(1.0 - 1.0 / n) * projection)
        })
        .collect();
    pairs.sort_by(|a, b| b.0.total_cmp(&a.0));
    let scale = pairs.iter().map(|p| p.1.abs()).fold(0.0, f64::max);
    pairs
        .iter()
        .zip(&after)
        .map(|((sigma, predicted), sigma_after)| ((sigma_after - sigma) / eta - predicted).abs())
        .fold(0.0, f64::max)
        / scale
}

/// The negative control of T2: from an unbalanced Gaussian start the formula is simply false.
#[test]
fn singular_value_dynamics_fail_from_an_unbalanced_start() {
    for seed in 0..5 {
        let error = singular_value_dynamics_error(InitSpec::Gaussian { scale: 0.5 }, 3, seed);
        assert!(error > 0.1, "seed {seed}: relative error only {error}");
    }
}

const SMALL_CLAIM: &str = "
id: small
title: a small claim for determinism tests
source: { paper: test, where: here }
seeds: { from: 3, count: 4 }
problem: { completion: { rows: 8, cols: 7, rank: 2, observed: 40 } }
runs:
  shallow: { deep: { depth: 2, init: { gaussian: { scale: 1.0e-2 } }, optimizer: { gd: { lr: 0.5 } }, steps: 300 } }
  deep:    { deep: { depth: 3, init: { balanced: { scale: 1.0e-2 } }, optimizer: { normalised_gd: { lr: 1.0e-2 } }, steps: 300 } }
  convex:  { nuclear_norm: { slack: 1.0e-3 } }
  explicit: { deep: { init: { gaussian: { scale: 1.0e-3 } }, optimizer: { adam: { lr: 1.0e-2 } }, penalty: { normalized_nuclear: { weight: 1.0e-3 } }, steps: 300 } }
expect:
  - { that: deep.train_loss < shallow.train_loss or deep.test_mse > 0, over_seeds: all, why: anything }
verdict: holds
";

/// A rerun is bit-identical, and so is a run on another number of threads.
#[test]
fn reruns_are_bit_identical_whatever_the_thread_count() {
    let claim = Claim::parse(SMALL_CLAIM, Path::new("small.yaml"))
        .unwrap()
        .points
        .remove(0)
        .spec;
    let on_threads = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let mut report =
            pool.install(|| claim::run::point::evaluate(&claim, None, &claim::Context::default()));
        report.seconds = 0.0;
        serde_json::to_string(&report).unwrap()
    };
    let once = on_threads(1);
    assert_eq!(once, on_threads(1));
    assert_eq!(once, on_threads(3));
    let problem = claim.problem.generate(9);
    // Compared through Debug, which prints every bit and NaN alike (the zero matrix that ADMM
    // starts from has a NaN normalised nuclear norm).
    let bits = |run| format!("{:?}", solver::solve(run, &problem, 9));
    for run in claim.runs.values() {
        assert_eq!(bits(run), bits(run));
    }
}

/// A run that blows up is a reported outcome: status `diverged`, NaN-free bookkeeping, no panic,
/// and an assertion can expect it.
#[test]
fn a_diverging_run_is_reported_not_a_crash() {
    let text = SMALL_CLAIM
        .replace("{ gd: { lr: 0.5 } }", "{ gd: { lr: 1.0e6 } }")
        .replace(
            "deep.train_loss < shallow.train_loss or deep.test_mse > 0",
            "shallow.diverged and shallow.steps < 300 and not deep.diverged",
        );
    let claim = Claim::parse(&text, Path::new("diverging.yaml"))
        .unwrap()
        .points
        .remove(0)
        .spec;
    let report = claim::run::point::evaluate(&claim, None, &claim::Context::default());
    assert!(report.matches, "{}", report.to_text());
    let shallow: Vec<_> = report.runs.iter().filter(|r| r.run == "shallow").collect();
    assert!(
        shallow
            .iter()
            .all(|r| r.record.status() == solver::Status::Diverged)
    );
    assert!(shallow.iter().all(|r| {
        r.record
            .trace
            .samples
            .last()
            .is_some_and(|s| s.step == r.record.steps)
    }));
}

proptest! {
    #![proptest_config(config(64))]

    /// `spectrum` draws a truth whose singular values are exactly the ones written (to rounding),
    /// zero beyond them, seen at the number of entries asked for (all by default), and the same
    /// instance again from the same seed.
    #[test]
    fn a_given_spectrum_is_the_truths(
        rows in 1usize..12,
        cols in 1usize..12,
        values in proptest::collection::vec(0.01f64..100.0, 1..12),
        observed in proptest::option::of(1usize..144),
        seed in 0u64..1000,
    ) {
        let mut values = values;
        values.truncate(rows.min(cols));
        values.sort_by(|a, b| b.total_cmp(a));
        let observed = observed.map(|k| k.min(rows * cols));
        let spec = ProblemSpec::Spectrum(SpectrumSpec {
            rows,
            cols,
            singular_values: values.clone(),
            observed,
        });
        prop_assert!(spec.validate().is_ok());
        let problem = spec.generate(seed);
        let truth = problem.truth.as_ref().expect("a spectrum has a truth");
        let sigma = measure::singular_values(truth);
        for (k, s) in sigma.iter().enumerate() {
            let expected = values.get(k).copied().unwrap_or(0.0);
            prop_assert!((s - expected).abs() <= 1e-12 * values[0] * 10.0, "σ{} = {s}, expected {expected}", k + 1);
        }
        prop_assert_eq!(problem.observation_count(), observed.unwrap_or(rows * cols));
        prop_assert_eq!(spec.generate(seed).truth, problem.truth);
    }
}
