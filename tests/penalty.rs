//! Explicit penalties and Adam on random inputs (proptest with a fixed seed): the penalty
//! gradients are the derivatives of the penalties, the normalised nuclear norm is scale-free and
//! bounded, Adam's first step is lr in every coordinate, and Adam converges on a convex quadratic.

use implreg::random;
use implreg::solver::{OptimizerSpec, PenaltySpec};
use nalgebra::DMatrix;
use proptest::prelude::*;
use support::config;

mod support;

/// A rows×cols matrix U·diag(σ)·Vᵀ with σ spread over [1, 1 + 2·min(rows, cols)]: well
/// separated and away from zero, where every penalty is differentiable.
fn separated(rows: usize, cols: usize, seed: u64) -> DMatrix<f64> {
    let mut rng = random::named_stream(seed, "penalty");
    let p = rows.min(cols);
    let u = random::orthogonal_matrix(rows, &mut rng)
        .columns(0, p)
        .into_owned();
    let v = random::orthogonal_matrix(cols, &mut rng)
        .columns(0, p)
        .into_owned();
    let sigma = DMatrix::from_fn(p, p, |i, j| if i == j { 1.0 + 2.0 * i as f64 } else { 0.0 });
    u * sigma * v.transpose()
}

/// λ·R(W) and λ·∇R(W), with λ = 1.
fn value_and_gradient(penalty: &PenaltySpec, w: &DMatrix<f64>) -> (f64, DMatrix<f64>) {
    let mut gradient = DMatrix::zeros(w.nrows(), w.ncols());
    let value = penalty.add_gradient(w, &mut gradient);
    (value, gradient)
}

fn penalties(p: f64) -> [PenaltySpec; 5] {
    [
        PenaltySpec::Nuclear { weight: 1.0 },
        PenaltySpec::NormalizedNuclear { weight: 1.0 },
        PenaltySpec::SchattenP { p, weight: 1.0 },
        PenaltySpec::L1 { weight: 1.0 },
        PenaltySpec::L1OverL2 { weight: 1.0 },
    ]
}

proptest! {
    #![proptest_config(config(48))]

    /// ∇R from the SVD equals central finite differences of R.
    #[test]
    fn penalty_gradients_match_finite_differences(
        rows in 1usize..6, cols in 1usize..6, p in 0.2f64..=1.0, seed in 0u64..1000,
    ) {
        let w = separated(rows, cols, seed);
        for penalty in penalties(p) {
            let (_, analytic) = value_and_gradient(&penalty, &w);
            let h = 1e-6;
            let mut error: f64 = 0.0;
            // The entrywise penalties have a kink where an entry is 0: compare away from it.
            for k in (0..w.len()).filter(|&k| w[k].abs() > 1e-3) {
                let (mut plus, mut minus) = (w.clone(), w.clone());
                plus[k] += h;
                minus[k] -= h;
                let numeric = (value_and_gradient(&penalty, &plus).0 - value_and_gradient(&penalty, &minus).0) / (2.0 * h);
                error = error.max((numeric - analytic[k]).abs());
            }
            prop_assert!(error <= 1e-6 * analytic.amax().max(1.0), "{penalty:?}: error {error}");
        }
    }

    /// R(cW) = R(W) and ⟨∇R, W⟩ = 0 for ‖w‖₁/‖w‖₂, which lies in [1, √entries]; at a zero
    /// entry its gradient takes sign 0.
    #[test]
    fn l1_over_l2_is_scale_free_and_bounded(
        rows in 1usize..9, scale in 1e-3f64..1e3, seed in 0u64..1000, zero in 0usize..9,
    ) {
        let mut w = random::gaussian_matrix(rows, 1, 1.0, &mut random::named_stream(seed, "l1"));
        // One entry at zero, unless it is the only one (R is undefined at w = 0).
        if rows > 1 {
            w[zero % rows] = 0.0;
        }
        let penalty = PenaltySpec::L1OverL2 { weight: 1.0 };
        let (value, gradient) = value_and_gradient(&penalty, &w);
        let (scaled, _) = value_and_gradient(&penalty, &(&w * scale));
        prop_assert!((scaled - value).abs() <= 1e-9 * value);
        prop_assert!(gradient.dot(&w).abs() <= 1e-12 + 1e-9 * gradient.norm() * w.norm());
        prop_assert!(value >= 1.0 - 1e-12 && value <= (rows as f64).sqrt() + 1e-9);
        if rows > 1 {
            let l1 = value_and_gradient(&PenaltySpec::L1 { weight: 1.0 }, &w).1;
            prop_assert_eq!(l1[zero % rows], 0.0);
            prop_assert_eq!(gradient[zero % rows], 0.0);
        }
    }

    /// R(cW) = R(W), ⟨∇R, W⟩ = 0 and 1 ≤ R ≤ √rank for the normalised nuclear norm.
    #[test]
    fn the_normalised_nuclear_norm_is_scale_free_and_bounded(
        rows in 1usize..7, cols in 1usize..7, rank in 1usize..7, scale in 1e-3f64..1e3, seed in 0u64..1000,
    ) {
        let rank = rank.min(rows).min(cols);
        let w = support::low_rank(rows, cols, rank, seed, "normalised");
        let penalty = PenaltySpec::NormalizedNuclear { weight: 1.0 };
        let (value, gradient) = value_and_gradient(&penalty, &w);
        let (scaled, _) = value_and_gradient(&penalty, &(&w * scale));
        prop_assert!((scaled - value).abs() <= 1e-9 * value);
        prop_assert!(gradient.dot(&w).abs() <= 1e-12 + 1e-9 * gradient.norm() * w.norm(), "⟨∇R, W⟩ = {}", gradient.dot(&w));
        prop_assert!(value >= 1.0 - 1e-12 && value <= (rank as f64).sqrt() + 1e-9, "R = {value} at rank {rank}");
    }

    /// Bias correction makes Adam's first step lr·g/(|g| + eps) ≈ lr in every coordinate with a
    /// non-zero gradient, whatever the gradient's scale.
    #[test]
    fn adams_first_step_is_lr_in_every_coordinate(
        rows in 1usize..5, cols in 1usize..5, lr in 1e-4f64..1e-1, scale in 1e-3f64..1e3, seed in 0u64..1000,
    ) {
        let mut rng = random::named_stream(seed, "adam");
        let gradient = random::gaussian_matrix(rows, cols, scale, &mut rng);
        let start = random::gaussian_matrix(rows, cols, 1.0, &mut rng);
        let mut parameters = vec![start.clone()];
        let mut rule = OptimizerSpec::Adam { lr, beta1: 0.9, beta2: 0.999, eps: 1e-8, decay_power: 0.0 }.integrator().step_rule().unwrap();
        rule.apply(&mut parameters, std::slice::from_ref(&gradient));
        for k in 0..start.len() {
            let moved = start[k] - parameters[0][k];
            let expected = lr * gradient[k].signum();
            prop_assert!((moved - expected).abs() <= lr * 1e-8 / gradient[k].abs().min(1.0) + 1e-15, "moved {moved}, expected {expected}");
        }
    }

    /// Adam on f(x) = ½Σ aᵢ(xᵢ − cᵢ)² (aᵢ from 0.1 to 10) reaches the minimiser to within a few
    /// lr, the size of its constant-step oscillation.
    #[test]
    fn adam_converges_on_a_convex_quadratic(n in 1usize..8, seed in 0u64..1000) {
        let mut rng = random::named_stream(seed, "quadratic");
        let curvature = random::gaussian_matrix(n, 1, 1.0, &mut rng).map(|x| 10f64.powf(x.clamp(-1.0, 1.0)));
        let centre = random::gaussian_matrix(n, 1, 3.0, &mut rng);
        let lr = 1e-3;
        let mut rule = OptimizerSpec::Adam { lr, beta1: 0.9, beta2: 0.999, eps: 1e-8, decay_power: 0.0 }.integrator().step_rule().unwrap();
        let mut x = vec![DMatrix::zeros(n, 1)];
        for _ in 0..30_000 {
            let gradient = curvature.component_mul(&(&x[0] - &centre));
            rule.apply(&mut x, &[gradient]);
        }
        let error = (&x[0] - &centre).amax();
        prop_assert!(error <= 5.0 * lr, "‖x − c‖∞ = {error}");
    }
}
