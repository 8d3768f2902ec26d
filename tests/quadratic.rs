//! Quadratic networks and their convex counterpart: the network's matrix is UᵀU and its
//! gradients are the loss's derivatives (central differences); the certified trace minimiser over
//! the PSD cone satisfies the optimality conditions checked here by separate code (Z ⪰ 0 and
//! feasible, the dual slack I − sym 𝒜*(λ) ⪰ 0, complementary slackness), its bound lies below
//! every PSD matrix the test knows with the same observations, and at rank one with enough
//! samples it is X* itself (PhaseLift's exact recovery).

mod support;

use implreg::problem::{Problem, ProblemSpec, QuadraticSpec, Reduction};
use implreg::solver::{self, Model, QuadraticNetwork, RunSpec, Stop};
use nalgebra::{DMatrix, DVector, SymmetricEigen};
use proptest::prelude::*;

fn quadratic(dim: usize, rank: usize, samples: usize, seed: u64) -> Problem {
    ProblemSpec::Quadratic(QuadraticSpec { dim, rank, samples }).generate(seed)
}

fn eigenvalues(m: &DMatrix<f64>) -> DVector<f64> {
    SymmetricEigen::new((m + m.transpose()) * 0.5).eigenvalues
}

proptest! {
    #![proptest_config(support::config(48))]

    #[test]
    fn the_gradients_are_the_losss_derivatives(
        d in 1usize..7,
        width in 1usize..7,
        sum in any::<bool>(),
        entries in proptest::collection::vec(-1.2f64..1.2, 49),
        seed in 0u64..1_000_000,
    ) {
        let problem = quadratic(d, 1, 6, seed);
        let reduction = if sum { Reduction::Sum } else { Reduction::Mean };
        let start = DMatrix::from_fn(width, d, |i, j| entries[(i * 7 + j) % entries.len()]);
        let loss_at = |u: &DMatrix<f64>| {
            QuadraticNetwork::new(&problem, reduction, u.clone()).loss_and_gradients()
        };
        let mut model = QuadraticNetwork::new(&problem, reduction, start.clone());
        model.loss_and_gradients();
        let product = start.transpose() * &start;
        prop_assert!((model.product() - &product).norm() <= 1e-12 * product.norm().max(1.0));
        let analytic = model.gradients()[0].clone();
        let (mut error, mut size) = (0.0_f64, 0.0_f64);
        for i in 0..width {
            for j in 0..d {
                let h = 1e-6;
                let (mut plus, mut minus) = (start.clone(), start.clone());
                plus[(i, j)] += h;
                minus[(i, j)] -= h;
                let numeric = (loss_at(&plus) - loss_at(&minus)) / (2.0 * h);
                error += (numeric - analytic[(i, j)]).powi(2);
                size += analytic[(i, j)].powi(2);
            }
        }
        prop_assert!(error.sqrt() <= 1e-6 * size.sqrt().max(1.0), "error {} against {}", error.sqrt(), size.sqrt());
    }
}

fn trace_psd() -> RunSpec {
    serde_json::from_value(serde_json::json!({ "trace_psd": {} })).expect("a run spec")
}

/// The KKT conditions of min tr Z s.t. 𝒜(Z) = y, Z ⪰ 0, recomputed from the record: Z ⪰ 0,
/// 𝒜(Z) = y, S = I − sym 𝒜*(λ) ⪰ 0 and ⟨S, Z⟩ = 0, each to a tolerance of the solver's stop.
#[test]
fn the_trace_minimiser_meets_the_optimality_conditions() {
    for (dim, rank, samples) in [(6, 1, 14), (8, 2, 20), (10, 2, 30), (10, 3, 30)] {
        for seed in 0..4 {
            let problem = quadratic(dim, rank, samples, seed);
            let record = solver::solve(&trace_psd(), &problem, seed);
            assert_eq!(
                record.stop,
                Stop::Certified,
                "{dim} {rank} {samples} seed {seed}"
            );
            let z = &record.matrix;
            let scale = z.norm();
            assert!(eigenvalues(z).min() >= -1e-9 * scale, "Z is not PSD");
            assert!((z - z.transpose()).norm() <= 1e-12 * scale);
            let mut observed = DVector::zeros(samples);
            problem.observe_into(z, &mut observed);
            let targets = DVector::from_column_slice(problem.targets());
            let misfit = (&observed - &targets).amax() / targets.amax().max(1.0);
            assert!(misfit <= 1e-7, "infeasible by {misfit}");
            let certificate = record.certificate.as_ref().unwrap();
            let mut adjoint = DMatrix::zeros(dim, dim);
            problem.add_adjoint(1.0, &certificate.multipliers, &mut adjoint);
            let slack = DMatrix::identity(dim, dim) - (&adjoint + adjoint.transpose()) * 0.5;
            assert!(
                eigenvalues(&slack).min() >= -1e-9,
                "the dual point is infeasible"
            );
            let complementary = slack.dot(z);
            assert!(
                complementary <= 1e-5 * z.trace(),
                "⟨S, Z⟩ = {complementary}"
            );
            let bound = certificate.multipliers.dot(&targets);
            assert!(z.trace() - bound <= 1e-5 * z.trace());
            assert!((bound - certificate.lower_bound).abs() <= 1e-9 * bound.abs());
        }
    }
}

/// Weak duality against a matrix the solver never saw: X*, feasible and PSD, has trace at least
/// the bound (and its certified gap is ≥ 0); a matrix off the cone has no trace in the objective.
#[test]
fn the_bound_lies_below_every_known_feasible_psd_matrix() {
    for seed in 0..6 {
        let problem = quadratic(8, 2, 20, seed);
        let record = solver::solve(&trace_psd(), &problem, seed);
        let certificate = record.certificate.as_ref().unwrap();
        let truth = problem.truth.as_ref().unwrap();
        assert!(truth.trace() >= certificate.lower_bound - 1e-9 * truth.trace());
        let gap =
            certificate.certifies.value(truth, &problem) - certificate.bound_for(&problem, truth);
        assert!(gap >= -1e-9 * truth.trace(), "gap {gap}");
        // A matrix off the cone has no trace in this objective.
        let indefinite = truth - DMatrix::identity(8, 8) * 1e3;
        assert_eq!(
            certificate.certifies.value(&indefinite, &problem),
            f64::INFINITY,
            "outside the cone"
        );
    }
}

/// Rank one with 4d samples: the PSD interpolant is unique (PhaseLift's regime), so the
/// certified minimiser is X* and a quadratic network from small initialisation reaches it —
/// slowly, as over-parameterised GD does (width 8 > rank 1: relative errors 2e-4 to 7e-4 after
/// 10⁵ steps, hence the bound 2e-3).
#[test]
fn at_rank_one_the_minimiser_and_the_network_recover_the_teacher() {
    let network: RunSpec = serde_json::from_value(serde_json::json!({ "quadratic": {
        "width": 8, "init": { "gaussian": { "scale": 1e-4 } },
        "optimizer": { "gd": { "lr": 0.3 } }, "steps": 100000 } }))
    .unwrap();
    network.validate(8, 8).unwrap();
    for seed in 0..3 {
        let problem = quadratic(8, 1, 32, seed);
        let truth = problem.truth.as_ref().unwrap();
        let minimiser = solver::solve(&trace_psd(), &problem, seed).matrix;
        assert!((&minimiser - truth).norm() <= 1e-6 * truth.norm());
        let learned = solver::solve(&network, &problem, seed).matrix;
        let error = (&learned - truth).norm() / truth.norm();
        assert!(error <= 2e-3, "seed {seed}: relative error {error}");
    }
}
