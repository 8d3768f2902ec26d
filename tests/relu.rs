//! Two-layer ReLU networks on orthogonal inputs and their certified limit: the network's values
//! and gradients (central differences) are its definition's; the closed-form minimum
//! variation-norm interpolant is checked by separate code — its two units interpolate, its cost
//! is the certificate's bound, and the dual point bounds every network the test draws (the
//! supremum over units computed in closed form and by sampling) — and a unit never wakes on an
//! input it starts inactive on.

mod support;

use implreg::problem::{OrthogonalSpec, Problem, ProblemSpec, Reduction};
use implreg::solver::relu::balanced_cost;
use implreg::solver::{self, Model, ReluNetwork, ReluSpec, RunSpec, Stop};
use nalgebra::{DMatrix, DVector};
use proptest::prelude::*;

fn orthogonal(dim: usize, samples: usize, norms: [f64; 2], seed: u64) -> Problem {
    ProblemSpec::Orthogonal(OrthogonalSpec {
        dim,
        samples,
        norms,
    })
    .generate(seed)
}

/// f(xᵢ) = Σⱼ aⱼ max(⟨wⱼ, xᵢ⟩, 0), written out.
fn values(problem: &Problem, weights: &DMatrix<f64>, outputs: &DMatrix<f64>) -> DVector<f64> {
    let inputs = problem.inputs().unwrap();
    DVector::from_fn(inputs.ncols(), |i, _| {
        (0..weights.nrows())
            .map(|j| outputs[j] * weights.row(j).dot(&inputs.column(i).transpose()).max(0.0))
            .sum()
    })
}

proptest! {
    #![proptest_config(support::config(48))]

    #[test]
    fn values_and_gradients_are_the_definitions(
        dim in 1usize..7,
        width in 1usize..6,
        sum in any::<bool>(),
        entries in proptest::collection::vec(-1.5f64..1.5, 48),
        seed in 0u64..1_000_000,
    ) {
        let samples = 1 + (seed as usize % dim);
        let problem = orthogonal(dim, samples, [0.5, 2.0], seed);
        let reduction = if sum { Reduction::Sum } else { Reduction::Mean };
        let weights = DMatrix::from_fn(width, dim, |j, t| entries[(j * 7 + t) % 48]);
        let outputs = DMatrix::from_fn(width, 1, |j, _| entries[(j * 5 + 3) % 48]);
        let start = [weights.clone(), outputs.clone()];
        let loss_at = |p: &[DMatrix<f64>; 2]| {
            ReluNetwork::new(&problem, reduction, p.clone()).loss_and_gradients()
        };
        let mut model = ReluNetwork::new(&problem, reduction, start.clone());
        model.loss_and_gradients();
        let expected = values(&problem, &weights, &outputs);
        prop_assert!((model.product().column(0) - &expected).norm() <= 1e-12 * expected.norm().max(1.0));
        let analytic = model.gradients().to_vec();
        // A kink within h of a pre-activation would make the difference one-sided.
        let inputs = problem.inputs().unwrap();
        let pre = &weights * inputs;
        prop_assume!(pre.iter().all(|z| z.abs() > 1e-5));
        let (mut error, mut size) = (0.0_f64, 0.0_f64);
        for (k, parameter) in start.iter().enumerate() {
            for e in 0..parameter.len() {
                let h = 1e-7;
                let (mut plus, mut minus) = (start.clone(), start.clone());
                plus[k][e] += h;
                minus[k][e] -= h;
                let numeric = (loss_at(&plus) - loss_at(&minus)) / (2.0 * h);
                error += (numeric - analytic[k][e]).powi(2);
                size += analytic[k][e].powi(2);
            }
        }
        prop_assert!(error.sqrt() <= 1e-5 * size.sqrt().max(1.0), "error {} against {}", error.sqrt(), size.sqrt());
    }
}

fn limit() -> RunSpec {
    serde_json::from_value(serde_json::json!({ "min_variation": {} })).unwrap()
}

/// The closed form's network interpolates, costs twice the certificate's bound, and the bound
/// holds for every network: Σⱼ |aⱼ|‖wⱼ‖ ≥ ⟨λ, f(X)⟩, because sup over unit u of
/// Σᵢ λᵢ max(⟨u, xᵢ⟩, 0) is at most 1 (checked in closed form and on sampled directions).
#[test]
fn the_minimum_variation_interpolant_is_certified_by_separate_code() {
    use rand::SeedableRng;
    use rand_distr::{Distribution, StandardNormal};
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(11);
    for (dim, samples, norms) in [
        (6, 4, [1.0, 1.0]),
        (10, 7, [0.3, 3.0]),
        (20, 20, [1.0, 2.0]),
    ] {
        for seed in 0..5 {
            let problem = orthogonal(dim, samples, norms, seed);
            let record = solver::solve(&limit(), &problem, seed);
            assert_eq!(record.stop, Stop::Certified);
            let certificate = record.certificate.as_ref().unwrap();
            let [weights, outputs] = [&record.factors[0], &record.factors[1]];
            let fitted = values(&problem, weights, outputs);
            let y = DVector::from_column_slice(problem.targets());
            assert!((&fitted - &y).amax() <= 1e-12 * y.amax());
            let cost = balanced_cost(weights, outputs) / 2.0;
            assert!((cost - certificate.lower_bound).abs() <= 1e-12 * cost);
            // The dual constraint: ‖(λᵢrᵢ)₊‖ ≤ 1 and ‖(λᵢrᵢ)₋‖ ≤ 1, recomputed.
            let inputs = problem.inputs().unwrap();
            let scaled: Vec<f64> = (0..samples)
                .map(|i| certificate.multipliers[i] * inputs.column(i).norm())
                .collect();
            let positive = scaled
                .iter()
                .map(|c| c.max(0.0).powi(2))
                .sum::<f64>()
                .sqrt();
            let negative = scaled
                .iter()
                .map(|c| c.min(0.0).powi(2))
                .sum::<f64>()
                .sqrt();
            assert!(positive <= 1.0 + 1e-12 && negative <= 1.0 + 1e-12);
            for _ in 0..200 {
                let u = DVector::from_fn(dim, |_, _| {
                    Distribution::<f64>::sample(&StandardNormal, &mut rng)
                });
                let u = &u / u.norm();
                let along: f64 = (0..samples)
                    .map(|i| certificate.multipliers[i] * inputs.column(i).dot(&u).max(0.0))
                    .sum();
                assert!(
                    along.abs() <= 1.0 + 1e-12,
                    "a unit beats the dual bound: {along}"
                );
                let width = 5;
                let w = DMatrix::from_fn(width, dim, |_, _| {
                    Distribution::<f64>::sample(&StandardNormal, &mut rng)
                });
                let a = DMatrix::from_fn(width, 1, |_, _| {
                    Distribution::<f64>::sample(&StandardNormal, &mut rng)
                });
                let f = values(&problem, &w, &a);
                assert!(balanced_cost(&w, &a) / 2.0 >= certificate.multipliers.dot(&f) - 1e-12);
            }
        }
    }
}

/// On orthogonal inputs a unit's weight along an input it is inactive on never moves: trained
/// to the end, every such pre-activation is what it was at the start, to rounding (1e-12: the
/// inputs are orthogonal to about 1e-16).
#[test]
fn a_unit_inactive_on_an_input_never_wakes_on_it() {
    let spec: ReluSpec = serde_json::from_value(serde_json::json!({
        "width": 6, "scale": 0.1, "optimizer": { "gd": { "lr": 0.1 } }, "steps": 3000 }))
    .unwrap();
    let run = RunSpec::Relu(spec.clone());
    for seed in 0..5 {
        let problem = orthogonal(8, 5, [1.0, 1.0], seed);
        let inputs = problem.inputs().unwrap();
        let [start, _] = spec.start(8, seed);
        let record = solver::solve(&run, &problem, seed);
        let end = &record.factors[0];
        for j in 0..6 {
            for i in 0..5 {
                let before = start.row(j).dot(&inputs.column(i).transpose());
                let after = end.row(j).dot(&inputs.column(i).transpose());
                if before <= 0.0 {
                    assert!(
                        (after - before).abs() <= 1e-12,
                        "unit {j} woke on input {i}"
                    );
                }
            }
        }
    }
}
