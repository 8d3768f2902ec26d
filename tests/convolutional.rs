//! Linear circular convolutional networks: the product the FFTs form is the convolution of the
//! filters by its definition, the gradients are the loss's derivatives (squared and margin
//! losses, by central differences), a run is bit-identical on rerun and whatever the thread
//! count, and gradient descent separates classification data.

mod support;

use implreg::problem::margin_loss::MarginLoss;
use implreg::problem::{ClassificationSpec, Problem, ProblemSpec, Reduction, Separator};
use implreg::solver::convolutional::convolve_all;
use implreg::solver::{self, ConvolutionalNetwork, Model, RunSpec};
use nalgebra::DMatrix;
use proptest::prelude::*;

fn classification(samples: usize, features: usize, seed: u64) -> Problem {
    ProblemSpec::Classification(ClassificationSpec {
        samples,
        features,
        separator: Separator::Fourier(2.min(features / 2 + 1)),
        margin: 0.0,
        loss: MarginLoss::Logistic,
        test_samples: 100,
    })
    .generate(seed)
}

fn filters(depth: usize, d: usize, entries: &[f64]) -> Vec<DMatrix<f64>> {
    (0..depth)
        .map(|l| DMatrix::from_fn(d, 1, |t, _| entries[(l * d + t) % entries.len()]))
        .collect()
}

proptest! {
    #![proptest_config(support::config(64))]

    #[test]
    fn the_product_is_the_convolution_of_the_filters(
        d in 1usize..14,
        depth in 1usize..5,
        entries in proptest::collection::vec(-1.5f64..1.5, 40),
        seed in 0u64..1_000_000,
    ) {
        let problem = support::regression(3, d, None, seed);
        let start = filters(depth, d, &entries);
        let mut model = ConvolutionalNetwork::new(&problem, Reduction::Mean, start.clone());
        model.loss_and_gradients();
        let expected = convolve_all(&start);
        let error = (model.product() - &expected).norm();
        prop_assert!(error <= 1e-12 * expected.norm().max(1.0), "error {error}");
    }

    #[test]
    fn the_gradients_are_the_losss_derivatives(
        d in 1usize..12,
        depth in 1usize..5,
        margin_loss in any::<bool>(),
        sum in any::<bool>(),
        entries in proptest::collection::vec(-1.2f64..1.2, 40),
        seed in 0u64..1_000_000,
    ) {
        let problem = if margin_loss {
            classification(6, d, seed)
        } else {
            support::regression(5, d, None, seed)
        };
        let reduction = if sum { Reduction::Sum } else { Reduction::Mean };
        let start = filters(depth, d, &entries);
        let loss_at = |f: &[DMatrix<f64>]| {
            ConvolutionalNetwork::new(&problem, reduction, f.to_vec()).loss_and_gradients()
        };
        let mut model = ConvolutionalNetwork::new(&problem, reduction, start.clone());
        model.loss_and_gradients();
        let analytic = model.gradients().to_vec();
        let (mut error, mut size) = (0.0_f64, 0.0_f64);
        for l in 0..depth {
            for t in 0..d {
                let h = 1e-6;
                let mut plus = start.clone();
                plus[l][t] += h;
                let mut minus = start.clone();
                minus[l][t] -= h;
                let numeric = (loss_at(&plus) - loss_at(&minus)) / (2.0 * h);
                error += (numeric - analytic[l][t]).powi(2);
                size += analytic[l][t].powi(2);
            }
        }
        prop_assert!(error.sqrt() <= 1e-6 * size.sqrt().max(1.0), "error {} against {}", error.sqrt(), size.sqrt());
    }
}

fn network(depth: usize, lr: f64, steps: usize) -> RunSpec {
    serde_json::from_value(serde_json::json!({ "convolutional": {
        "depth": depth, "init": { "gaussian": { "scale": 0.01 } },
        "optimizer": { "gd": { "lr": lr } }, "steps": steps } }))
    .expect("a run spec")
}

/// The scalar FFT planner makes the same bits on every rerun and in any thread pool.
#[test]
fn a_run_is_bit_identical_on_rerun_and_across_thread_counts() {
    let problem = classification(16, 30, 7);
    let run = network(3, 0.2, 400);
    run.validate(30, 1).unwrap();
    let reference = solver::solve(&run, &problem, 7);
    for threads in [1, 2, 4] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let records: Vec<_> = pool.install(|| {
            use rayon::prelude::*;
            (0..4)
                .into_par_iter()
                .map(|_| solver::solve(&run, &problem, 7))
                .collect()
        });
        for record in records {
            let same = record
                .matrix
                .iter()
                .zip(reference.matrix.iter())
                .all(|(a, b)| a.to_bits() == b.to_bits());
            assert!(same, "{threads} threads: another β");
        }
    }
}

/// Depth 1 to 3 separate every training point of Fourier-sparse data within 2,000 steps. The
/// step shrinks with depth: on frequency k a step moves β̂_k by about L·|β̂_k|^{2−2/L} times
/// the gradient (as a deep factorisation's moves its singular values), and depth 3 at lr 1
/// diverges.
#[test]
fn gradient_descent_separates_the_training_points() {
    for (depth, lr) in [(1, 1.0), (2, 0.5), (3, 0.2)] {
        for seed in 0..3 {
            let problem = classification(20, 32, seed);
            let run = network(depth, lr, 2000);
            run.validate(32, 1).unwrap();
            let record = solver::solve(&run, &problem, seed);
            let margin = support::least_margin(&problem, &record.matrix);
            assert!(
                margin > 0.0,
                "depth {depth} seed {seed}: least margin {margin}"
            );
        }
    }
}

/// Where nothing underflows, the gradients of the loss's direction (`direction_gradients`) are
/// the loss's gradients up to a positive factor, for every gradient model.
#[test]
fn direction_gradients_are_the_gradients_up_to_scale() {
    use implreg::solver::{DeepFactorisation, DiagonalNetwork};
    let problem = classification(9, 12, 4);
    let entries: Vec<f64> = (0..200)
        .map(|i| ((i * 37 % 101) as f64 / 50.0 - 1.0) * 0.7)
        .collect();
    let filters = filters(3, 12, &entries);
    let factors = vec![
        DMatrix::from_fn(12, 1, |i, _| entries[i]),
        DMatrix::from_fn(12, 12, |i, j| entries[(i * 12 + j) % 200]),
    ];
    let halves = [
        DMatrix::from_fn(12, 1, |i, _| 0.5 + entries[i].abs()),
        DMatrix::from_fn(12, 1, |i, _| 0.5 + entries[i + 20].abs()),
    ];
    let mut conv = ConvolutionalNetwork::new(&problem, Reduction::Mean, filters);
    let mut deep = DeepFactorisation::new(&problem, Reduction::Mean, factors);
    let mut diagonal = DiagonalNetwork::from_halves(&problem, Reduction::Mean, 2, halves);
    fn parallel(model: &mut impl Model) {
        model.loss_and_gradients();
        let gradients = model.gradients().to_vec();
        assert!(model.direction_gradients());
        let (mut dot, mut a, mut b) = (0.0, 0.0, 0.0);
        for (g, h) in gradients.iter().zip(model.gradients()) {
            dot += g.dot(h);
            a += g.norm_squared();
            b += h.norm_squared();
        }
        let cos = dot / (a * b).sqrt();
        assert!((1.0 - cos).abs() < 1e-12, "cos {cos}");
    }
    parallel(&mut conv);
    parallel(&mut deep);
    parallel(&mut diagonal);
}
