//! Tensor completion and CP factorisations: the model's tensor is the sum of its components by
//! definition, its gradients are the loss's derivatives (central differences), the tensor
//! family's truth has the CP rank it was drawn with in every matricisation, and the bracket's
//! two ends are what their definitions say on decompositions the test builds.

mod support;

use implreg::measure::{component_norms, matricisation_rank};
use implreg::problem::{Problem, ProblemSpec, Reduction, TensorSpec, cp_unfolding};
use implreg::random;
use implreg::solver::{self, CpFactorisation, Model, RunSpec};
use nalgebra::DMatrix;
use proptest::prelude::*;

fn tensor(order: usize, dim: usize, rank: usize, observed: usize, seed: u64) -> Problem {
    ProblemSpec::Tensor(TensorSpec {
        order,
        dim,
        rank,
        observed,
    })
    .generate(seed)
}

fn factors(modes: &[usize], components: usize, entries: &[f64]) -> Vec<DMatrix<f64>> {
    modes
        .iter()
        .enumerate()
        .map(|(n, &d)| {
            DMatrix::from_fn(d, components, |i, r| {
                entries[(n * 31 + i * 7 + r * 3) % entries.len()]
            })
        })
        .collect()
}

proptest! {
    #![proptest_config(support::config(48))]

    #[test]
    fn the_tensor_is_the_sum_of_its_components_and_the_gradients_its_derivatives(
        order in 2usize..5,
        dim in 1usize..4,
        components in 1usize..4,
        sum in any::<bool>(),
        entries in proptest::collection::vec(-1.2f64..1.2, 40),
        seed in 0u64..1_000_000,
    ) {
        let entries_count = dim.pow(order as u32);
        let problem = tensor(order, dim, 1, entries_count.div_ceil(2), seed);
        let reduction = if sum { Reduction::Sum } else { Reduction::Mean };
        let start = factors(&problem.modes(), components, &entries);
        let mut model = CpFactorisation::new(&problem, reduction, start.clone());
        model.loss_and_gradients();
        let expected = cp_unfolding(&start);
        prop_assert!((model.product() - &expected).norm() <= 1e-12 * expected.norm().max(1.0));
        let analytic = model.gradients().to_vec();
        let loss_at = |f: &[DMatrix<f64>]| {
            CpFactorisation::new(&problem, reduction, f.to_vec()).loss_and_gradients()
        };
        let (mut error, mut size) = (0.0_f64, 0.0_f64);
        for n in 0..order {
            for e in 0..start[n].len() {
                let h = 1e-6;
                let (mut plus, mut minus) = (start.clone(), start.clone());
                plus[n][e] += h;
                minus[n][e] -= h;
                let numeric = (loss_at(&plus) - loss_at(&minus)) / (2.0 * h);
                error += (numeric - analytic[n][e]).powi(2);
                size += analytic[n][e].powi(2);
            }
        }
        prop_assert!(error.sqrt() <= 1e-6 * size.sqrt().max(1.0), "error {} against {}", error.sqrt(), size.sqrt());
    }
}

/// A generic CP-rank-r tensor with r ≤ d has rank r in its largest matricisation (the bracket's
/// lower end meets the truth's construction), at orders 2, 3 and 4; the unfolding is its
/// mode-1 matricisation, entry by entry.
#[test]
fn the_truth_has_its_rank_in_its_matricisations() {
    for (order, dim, rank) in [(2, 6, 3), (3, 5, 2), (3, 4, 4), (4, 4, 3)] {
        for seed in 0..3 {
            let problem = tensor(order, dim, rank, 1, seed);
            let truth = problem.truth.as_ref().unwrap();
            assert_eq!(truth.shape(), (dim, dim.pow(order as u32 - 1)));
            let rms = truth.norm() / (truth.len() as f64).sqrt();
            assert!((rms - 1.0).abs() <= 1e-12);
            assert_eq!(
                matricisation_rank(truth, &problem.modes(), 1e-9),
                rank,
                "order {order}, dim {dim}, rank {rank}, seed {seed}"
            );
        }
    }
}

/// At order 4 with d = 3 the mode-1 matricisation has rank at most 3 but the square one (9×9)
/// sees all 5 components: the bracket's lower end is the largest over the splits.
#[test]
fn the_lower_end_looks_past_the_mode_one_matricisation() {
    let rng = &mut random::named_stream(1, "tensor test");
    let parts: Vec<DMatrix<f64>> = (0..4)
        .map(|_| random::gaussian_matrix(3, 5, 1.0, rng))
        .collect();
    let unfolding = cp_unfolding(&parts);
    let mode_one = implreg::measure::singular_values(&unfolding)
        .iter()
        .filter(|&&s| s > 1e-9)
        .count();
    assert_eq!(mode_one, 3);
    assert_eq!(matricisation_rank(&unfolding, &[3, 3, 3, 3], 1e-9), 5);
    let norms = component_norms(&parts);
    assert_eq!(norms.len(), 5);
    assert!(norms.windows(2).all(|w| w[0] >= w[1]));
}

/// A trained CP run is bit-identical on rerun and fits a rank-one instance (Razin et al.'s
/// normalised GD from small initialisation).
#[test]
fn a_cp_run_is_deterministic_and_fits() {
    let problem = tensor(3, 4, 1, 40, 5);
    let run: RunSpec = serde_json::from_value(serde_json::json!({ "cp": {
        "components": 6, "scale": 0.01, "optimizer": { "normalised_gd": { "lr": 0.01 } },
        "steps": 20000, "target_loss": 1e-9 } }))
    .unwrap();
    run.validate(4, 16).unwrap();
    let a = solver::solve(&run, &problem, 5);
    let b = solver::solve(&run, &problem, 5);
    assert!(
        a.matrix
            .iter()
            .zip(b.matrix.iter())
            .all(|(x, y)| x.to_bits() == y.to_bits())
    );
    assert_eq!(a.stop, implreg::solver::Stop::Target);
}
