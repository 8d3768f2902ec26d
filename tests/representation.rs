//! The representation cost R(f) = min ‖θ‖² over the parameters that compute f, family by
//! family: balanced parameters attain each formula exactly (a chain's L·Σσ^{2/L}, a diagonal
//! network's ‖w‖_{2/D}^{2/D}, a convolutional network's (L/d)·Σ|β̂_k|^{2/L}, a quadratic
//! network's tr W, a ReLU network's twice variation norm), and any parameters computing the same
//! matrix cost at least as much. A trained run reports the cost of its own architecture.

mod support;

use implreg::random;
use implreg::solver::convolutional::convolve_all;
use implreg::solver::init::balanced_factors;
use implreg::solver::relu::balanced_cost;
use implreg::solver::{self, Parameterisation, RunSpec};
use nalgebra::DMatrix;
use proptest::prelude::*;

fn squared_norm(parameters: &[DMatrix<f64>]) -> f64 {
    parameters.iter().map(|p| p.norm_squared()).sum()
}

fn cost(shape: Parameterisation, matrix: &DMatrix<f64>, factors: &[DMatrix<f64>]) -> f64 {
    shape.cost(
        matrix,
        || implreg::measure::singular_values(matrix),
        factors,
    )
}

fn product(factors: &[DMatrix<f64>]) -> DMatrix<f64> {
    factors
        .iter()
        .skip(1)
        .fold(factors[0].clone(), |p, f| f * p)
}

proptest! {
    #![proptest_config(support::config(64))]

    #[test]
    fn a_chain_costs_its_products_singular_values(
        rows in 1usize..6, cols in 1usize..6, depth in 1usize..5, seed in 0u64..1_000_000,
    ) {
        let rng = &mut random::named_stream(seed, "representation");
        let width = rows.max(cols);
        let w = random::gaussian_matrix(rows, cols, 1.0, rng);
        let shape = Parameterisation::Chain { depth };
        let balanced = balanced_factors(&w, depth, width, rng);
        let r = cost(shape, &w, &balanced);
        prop_assert!((squared_norm(&balanced) - r).abs() <= 1e-9 * r.max(1.0));
        let any: Vec<_> = implreg::solver::init::layer_shapes(depth, rows, cols, width)
            .map(|(r, c)| random::gaussian_matrix(r, c, 1.0, rng))
            .collect();
        let p = product(&any);
        prop_assert!(squared_norm(&any) >= cost(shape, &p, &any) * (1.0 - 1e-12));
    }

    #[test]
    fn a_diagonal_network_costs_the_bridge_penalty(
        d in 1usize..8, depth in 2u32..6, seed in 0u64..1_000_000,
    ) {
        let rng = &mut random::named_stream(seed, "representation");
        let w = random::gaussian_matrix(d, 1, 1.0, rng);
        let root = |x: f64| x.abs().powf(1.0 / f64::from(depth));
        let u = w.map(|x| if x > 0.0 { root(x) } else { 0.0 });
        let v = w.map(|x| if x < 0.0 { root(x) } else { 0.0 });
        let shape = Parameterisation::Diagonal { depth };
        let r = cost(shape, &w, &[]);
        prop_assert!((squared_norm(&[u, v]) - r).abs() <= 1e-12 * r.max(1.0));
        let (u, v) = (random::gaussian_matrix(d, 1, 1.0, rng), random::gaussian_matrix(d, 1, 1.0, rng));
        let k = depth as i32;
        let w = DMatrix::from_fn(d, 1, |i, _| u[i].powi(k) - v[i].powi(k));
        prop_assert!(squared_norm(&[u, v]) >= cost(shape, &w, &[]) * (1.0 - 1e-12));
    }

    #[test]
    fn a_convolutional_network_costs_its_fourier_bridge_penalty(
        d in 1usize..10, depth in 1usize..5, seed in 0u64..1_000_000,
    ) {
        let rng = &mut random::named_stream(seed, "representation");
        let shape = Parameterisation::Convolutional { depth };
        // L equal filters: |β̂_k| = |ŵ_k|^L, so L‖w‖² = (L/d)·Σ|β̂_k|^{2/L} by Parseval.
        let w = random::gaussian_matrix(d, 1, 1.0, rng);
        let same = vec![w.clone(); depth];
        let beta = convolve_all(&same);
        let r = cost(shape, &beta, &same);
        prop_assert!((squared_norm(&same) - r).abs() <= 1e-9 * r.max(1.0));
        let any: Vec<_> = (0..depth).map(|_| random::gaussian_matrix(d, 1, 1.0, rng)).collect();
        let beta = convolve_all(&any);
        prop_assert!(squared_norm(&any) >= cost(shape, &beta, &any) * (1.0 - 1e-9));
    }

    #[test]
    fn quadratic_and_relu_networks_cost_their_own_norms(
        d in 1usize..6, width in 1usize..6, seed in 0u64..1_000_000,
    ) {
        let rng = &mut random::named_stream(seed, "representation");
        let u = random::gaussian_matrix(width, d, 1.0, rng);
        let w = u.transpose() * &u;
        let r = cost(Parameterisation::Quadratic, &w, &[]);
        prop_assert!((u.norm_squared() - r).abs() <= 1e-12 * r.max(1.0));
        let weights = random::gaussian_matrix(width, d, 1.0, rng);
        let outputs = random::gaussian_matrix(width, 1, 1.0, rng);
        let any = cost(Parameterisation::Relu, &w, &[weights.clone(), outputs.clone()]);
        prop_assert!(squared_norm(&[weights.clone(), outputs.clone()]) >= any * (1.0 - 1e-12));
        // Rescaled to |aⱼ| = ‖wⱼ‖, the same network costs exactly ‖θ‖².
        let scale: Vec<f64> = (0..width)
            .map(|j| (outputs[j].abs() / weights.row(j).norm()).sqrt())
            .collect();
        let balanced_w = DMatrix::from_fn(width, d, |j, t| weights[(j, t)] * scale[j]);
        let balanced_a = DMatrix::from_fn(width, 1, |j, _| outputs[j] / scale[j]);
        let r = balanced_cost(&balanced_w, &balanced_a);
        prop_assert!((squared_norm(&[balanced_w, balanced_a]) - r).abs() <= 1e-9 * r.max(1.0));
        prop_assert!((r - any).abs() <= 1e-9 * r.max(1.0));
    }
}

/// A trained run names its parameterisation, and a depth-2 chain's cost is 2‖W‖*.
#[test]
fn a_run_reports_the_cost_of_its_own_architecture() {
    let problem = support::problem(8, 8, false, 3);
    let run: RunSpec = serde_json::from_value(serde_json::json!({ "deep": {
        "depth": 2, "init": { "gaussian": { "scale": 0.01 } },
        "optimizer": { "gd": { "lr": 0.5 } }, "steps": 200 } }))
    .unwrap();
    let record = solver::solve(&run, &problem, 3);
    assert_eq!(
        run.parameterisation(),
        Some(Parameterisation::Chain { depth: 2 })
    );
    let nuclear: f64 = implreg::measure::singular_values(&record.matrix)
        .iter()
        .sum();
    let r = cost(
        run.parameterisation().unwrap(),
        &record.matrix,
        &record.factors,
    );
    assert!((r - 2.0 * nuclear).abs() <= 1e-12 * r);
    let convex: RunSpec =
        serde_json::from_value(serde_json::json!({ "nuclear_norm": {} })).unwrap();
    assert_eq!(convex.parameterisation(), None);
}
