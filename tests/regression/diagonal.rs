//! Diagonal linear networks and their certified flow limit on random instances: the network's
//! gradients against finite differences; argmin Q^D_α meets its optimality conditions (feasible,
//! ∇Q(w) = h_D⁻¹(w/α^D) in the range of Xᵀ) and its certificate bounds Q of every other
//! interpolant; and at depth 1 a regression observing coordinates is the completion of a d×1
//! matrix observing the same entries, run for run.

use implreg::measure::Potential;
use implreg::problem::{Fit, Form, Observations, Problem, Reduction};
use implreg::solver::{
    self, DeepSpec, DiagonalNetwork, DiagonalSpec, InitSpec, MinNormSpec, Model, OptimizerSpec,
    PotentialSpec, RunSpec, min_norm::Norm,
};
use nalgebra::{DMatrix, DVector};
use proptest::prelude::*;

use crate::support::{self, design, regression};

fn potential_run(depth: u32, alpha: f64) -> RunSpec {
    RunSpec::DiagonalPotential(PotentialSpec {
        depth,
        alpha,
        feasibility: 1e-10,
        iterations: 1000,
    })
}

proptest! {
    #![proptest_config(support::config(64))]

    #[test]
    fn the_networks_gradients_are_the_losss_derivatives(
        (samples, features) in (1usize..8).prop_flat_map(|n| (Just(n), 1usize..12)),
        depth in 2u32..5,
        sum in any::<bool>(),
        seed in 0u64..1_000_000,
        halves in proptest::collection::vec(0.2f64..1.5, 24),
    ) {
        let problem = regression(samples, features, None, seed);
        let reduction = if sum { Reduction::Sum } else { Reduction::Mean };
        let half = |offset: usize| DMatrix::from_fn(features, 1, |i, _| halves[(i + offset) % 24]);
        let start = [half(0), half(12)];
        let loss_at = |u: &DMatrix<f64>, v: &DMatrix<f64>| {
            DiagonalNetwork::from_halves(&problem, reduction, depth, [u.clone(), v.clone()])
                .loss_and_gradients()
        };
        let mut model = DiagonalNetwork::from_halves(&problem, reduction, depth, start.clone());
        model.loss_and_gradients();
        let analytic = model.gradients().to_vec();
        let (mut error, mut size) = (0.0_f64, 0.0_f64);
        for which in 0..2 {
            for i in 0..features {
                let h = 1e-6;
                let mut plus = start.clone();
                plus[which][i] += h;
                let mut minus = start.clone();
                minus[which][i] -= h;
                let numeric = (loss_at(&plus[0], &plus[1]) - loss_at(&minus[0], &minus[1])) / (2.0 * h);
                error += (numeric - analytic[which][i]).powi(2);
                size += analytic[which][i].powi(2);
            }
        }
        prop_assert!(error.sqrt() <= 1e-6 * size.sqrt().max(1.0), "error {} against {}", error.sqrt(), size.sqrt());
    }

    #[test]
    fn the_potentials_minimiser_meets_its_optimality_conditions_and_bounds_every_interpolant(
        (samples, features) in (2usize..15).prop_flat_map(|n| (Just(n), n + 1..3 * n + 5)),
        depth in 2u32..5,
        log_alpha in -3.0f64..1.0,
        seed in 0u64..1_000_000,
    ) {
        let alpha = 10f64.powf(log_alpha);
        let problem = regression(samples, features, Some(2.min(features)), seed);
        let record = solver::solve(&potential_run(depth, alpha), &problem, seed);
        prop_assert_eq!(record.status(), solver::Status::Converged, "stopped: {:?}", record.stop);
        let certificate = record.certificate.as_ref().unwrap();
        let w = &record.matrix;
        let x = design(&problem);
        let y = DVector::from_column_slice(problem.targets());
        // Feasible.
        prop_assert!((&x * w - &y).amax() <= 1e-9 * (1.0 + y.amax()));
        // Stationary: ∇Q(w) = h⁻¹(w/α^D) lies in the range of Xᵀ (its part outside is ~0).
        let potential = Potential { depth, alpha };
        let gradient = w.map(|wi| potential.dual_of(wi));
        let gram = &x * x.transpose();
        let coefficients = gram.clone().cholesky().unwrap().solve(&(&x * &gradient));
        let outside = &gradient - x.transpose() * coefficients;
        prop_assert!(outside.amax() <= 1e-6 * gradient.amax().max(1e-6), "{}", outside.amax());
        // The bound: below Q of the solution (tight), of the truth and of the ℓ2 interpolant.
        let value = potential.value(w);
        prop_assert!(certificate.lower_bound <= value + 1e-9 * value.abs());
        prop_assert!((value - certificate.lower_bound).abs() <= 1e-7 * value.abs().max(1e-300));
        let l2 = solver::solve(&RunSpec::MinNorm(MinNormSpec { norm: Norm::L2, feasibility: 1e-8 }), &problem, seed).matrix;
        for other in [problem.truth.as_ref().unwrap(), &l2] {
            let bound = certificate.bound_for(&problem, other);
            prop_assert!(bound <= potential.value(other) * (1.0 + 1e-9) + 1e-12);
            prop_assert!(value <= potential.value(other) * (1.0 + 1e-9) + 1e-12);
        }
    }
}

/// A regression whose rows are coordinates eᵢ: the completion of a d×1 matrix observing rows i.
fn coordinates_as_both(features: usize, observed: &[usize], values: &[f64]) -> (Problem, Problem) {
    let matrices = DMatrix::from_fn(features, observed.len(), |r, c| f64::from(r == observed[c]));
    let sensing = Problem {
        rows: features,
        cols: 1,
        observations: Observations::Measurements {
            matrices,
            targets: DVector::from_column_slice(values),
        },
        truth: None,
        fit: Fit::Squared,
        held_out: None,
        form: Form::Matrix,
    };
    let completion = Problem {
        rows: features,
        cols: 1,
        observations: Observations::Entries {
            at: observed.iter().map(|&i| (i, 0)).collect(),
            values: values.to_vec(),
        },
        truth: None,
        fit: Fit::Squared,
        held_out: None,
        form: Form::Matrix,
    };
    (sensing, completion)
}

proptest! {
    #![proptest_config(support::config(32))]

    #[test]
    fn at_depth_one_regression_on_coordinates_is_completion_of_a_column(
        features in 2usize..12,
        picks in proptest::collection::vec(any::<proptest::sample::Index>(), 1..6),
        values in proptest::collection::vec(-3.0f64..3.0, 6),
        lr in 0.05f64..0.5,
    ) {
        let mut observed: Vec<usize> = picks.iter().map(|p| p.index(features)).collect();
        observed.sort_unstable();
        observed.dedup();
        let (sensing, completion) = coordinates_as_both(features, &observed, &values[..observed.len()]);
        let deep = RunSpec::Deep(DeepSpec {
            depth: 1, width: None, init: InitSpec::Zero, optimizer: OptimizerSpec::Gd { lr },
            loss: Reduction::Mean, steps: Some(200), target_loss: None, penalty: None, det_sign: None,
        });
        let diagonal = RunSpec::Diagonal(DiagonalSpec {
            depth: 2, alpha: 0.5, optimizer: OptimizerSpec::Gd { lr }, loss: Reduction::Mean,
            steps: Some(200), target_loss: None, penalty: None,
        });
        let l2 = RunSpec::MinNorm(MinNormSpec { norm: Norm::L2, feasibility: 1e-8 });
        for run in [deep, diagonal, l2, potential_run(3, 0.2)] {
            let a = solver::solve(&run, &sensing, 0);
            let b = solver::solve(&run, &completion, 0);
            prop_assert!((&a.matrix - &b.matrix).amax() <= 1e-12 * (1.0 + a.matrix.amax()), "{:?}", run);
            prop_assert_eq!(a.steps, b.steps);
        }
    }
}
