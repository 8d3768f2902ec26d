//! The regression family and its closed-form baseline on random instances: a draw has exactly
//! the truth asked for and y = Xw*; the minimum-ℓ2 interpolant is the pseudo-inverse's, interpolates,
//! and its certificate is valid (‖Xᵀμ‖₂ ≤ 1) and tight, and bounds every other interpolant.
//! Diagonal networks and their certified limit are in `regression/diagonal.rs` (one test binary:
//! each costs CI a link).

use implreg::random;
use implreg::solver::{self, MinNormSpec, RunSpec, min_norm::Norm};
use nalgebra::{DMatrix, DVector};
use proptest::prelude::*;

#[path = "regression/diagonal.rs"]
mod diagonal;
mod support;

use support::{design, regression};

proptest! {
    #![proptest_config(support::config(64))]

    #[test]
    fn a_draw_has_the_truth_asked_for_and_its_targets(
        (features, sparsity) in (1usize..60).prop_flat_map(|d| (Just(d), 1..=d)),
        samples in 1usize..40,
        seed in 0u64..1_000_000,
    ) {
        let problem = regression(samples, features, Some(sparsity), seed);
        let truth = problem.truth.as_ref().unwrap();
        prop_assert_eq!(truth.shape(), (features, 1));
        prop_assert_eq!(truth.iter().filter(|x| **x != 0.0).count(), sparsity);
        let x = design(&problem);
        prop_assert_eq!(x.shape(), (samples, features));
        let y = DVector::from_column_slice(problem.targets());
        prop_assert!((&x * truth - y).amax() <= 1e-12 * (1.0 + truth.amax()));
        prop_assert_eq!(&problem, &regression(samples, features, Some(sparsity), seed));
    }

    #[test]
    fn the_minimum_l2_interpolant_is_certified_and_bounds_every_interpolant(
        (samples, features) in (1usize..20).prop_flat_map(|n| (Just(n), n..3 * n + 5)),
        seed in 0u64..1_000_000,
    ) {
        let problem = regression(samples, features, None, seed);
        let run = RunSpec::MinNorm(MinNormSpec { norm: Norm::L2, feasibility: 1e-8 });
        let record = solver::solve(&run, &problem, seed);
        let w = &record.matrix;
        let x = design(&problem);
        let y = DVector::from_column_slice(problem.targets());
        let pinv = x.clone().pseudo_inverse(1e-12).unwrap() * &y;
        prop_assert!((w.column(0) - &pinv).norm() <= 1e-8 * (1.0 + pinv.norm()));
        let certificate = record.certificate.as_ref().unwrap();
        prop_assert!(certificate.feasibility <= 1e-8, "{}", certificate.feasibility);
        // Dual feasible: ‖Xᵀμ‖₂ ≤ 1, and tight: the bound meets ‖w‖₂.
        prop_assert!((x.transpose() * &certificate.multipliers).norm() <= 1.0 + 1e-9);
        prop_assert!(certificate.gap <= 1e-9, "{}", certificate.gap);
        // Any other interpolant w + (I − X⁺X)z is at least as long as the bound.
        let z = random::gaussian_matrix(features, 1, 1.0, &mut random::named_stream(seed, "z"));
        let projector = DMatrix::identity(features, features)
            - x.clone().pseudo_inverse(1e-12).unwrap() * &x;
        let other = w + projector * z;
        prop_assert!((&x * &other - &y).amax() <= 1e-8 * (1.0 + y.amax()));
        prop_assert!(other.norm() >= certificate.lower_bound * (1.0 - 1e-9));
    }
}

proptest! {
    #![proptest_config(support::config(32))]

    /// Basis pursuit's certificate is dual feasible (‖Xᵀλ‖∞ ≤ 1) and bounds the ℓ1 norm of every
    /// interpolant — the truth and the minimum-ℓ2 one included — from below, and its solution is
    /// no longer in ℓ1 than the truth.
    #[test]
    fn the_basis_pursuit_certificate_bounds_every_interpolant(
        (samples, features) in (2usize..16).prop_flat_map(|n| (Just(n), n + 1..3 * n + 5)),
        sparsity in 1usize..4,
        seed in 0u64..1_000_000,
    ) {
        let sparsity = sparsity.min(features);
        let problem = regression(samples, features, Some(sparsity), seed);
        let spec = implreg::solver::NuclearNormSpec {
            slack: 0.0,
            gap: 1e-6,
            feasibility: 1e-8,
            iterations: 200_000,
            rho: 1.0,
        };
        let record = solver::solve(&RunSpec::BasisPursuit(spec), &problem, seed);
        let certificate = record.certificate.as_ref().unwrap();
        let x = design(&problem);
        prop_assert!((x.transpose() * &certificate.multipliers).amax() <= 1.0 + 1e-12);
        let l1 = |w: &DMatrix<f64>| w.iter().map(|v| v.abs()).sum::<f64>();
        let truth = problem.truth.as_ref().unwrap();
        let l2 = solver::solve(
            &RunSpec::MinNorm(MinNormSpec { norm: Norm::L2, feasibility: 1e-8 }),
            &problem,
            seed,
        )
        .matrix;
        let bound = certificate.lower_bound;
        prop_assert!(bound <= l1(truth) * (1.0 + 1e-9), "{bound} > ‖w*‖₁ = {}", l1(truth));
        prop_assert!(bound <= l1(&l2) * (1.0 + 1e-9));
        if record.status() == implreg::solver::Status::Converged {
            prop_assert!(l1(&record.matrix) <= l1(truth) * (1.0 + 1e-5) + 1e-9);
        }
    }
}
