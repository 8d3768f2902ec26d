//! The convolutional network's step by FFT (`ConvolutionalNetwork`, 2L + 2 transforms of length
//! d) against the same step by dense circulant products (each layer's filter applied as a d×d
//! circulant matrix, O(L·d²)), at depth 2 and 3 for d = 16, 64, 256, 1024 on a regression
//! instance (the loss does not matter here). The dense step is checked against the FFT's to
//! 1e-9 before it is timed.

use criterion::{Criterion, criterion_group, criterion_main};
use implreg::problem::{ProblemSpec, Reduction, RegressionSpec};
use implreg::solver::{ConvolutionalNetwork, Model};
use nalgebra::{DMatrix, DVector};
use std::hint::black_box;
use std::time::Duration;

/// The circulant matrix of w: C(w)·v = w ⊛ v, C[t][s] = w[(t − s) mod d].
fn circulant(w: &DMatrix<f64>) -> DMatrix<f64> {
    let d = w.nrows();
    DMatrix::from_fn(d, d, |t, s| w[((t + d - s) % d, 0)])
}

/// β = C(w_L)⋯C(w_2)·w_1 and every filter's gradient, by dense products: forward v_l =
/// C(w_l)·v_{l−1}; backward g_L = ∇ℓ(β), g_{l−1} = C(w_l)ᵀ·g_l, and ∂ℓ/∂w_l = C(v_{l−1})ᵀ·g_l
/// (the correlation of g_l with v_{l−1}), with v_0 = e₀.
fn dense_step(problem: &implreg::problem::Problem, filters: &[DMatrix<f64>]) -> Vec<DMatrix<f64>> {
    let d = filters[0].nrows();
    let mut forward = vec![DMatrix::from_fn(d, 1, |t, _| f64::from(t == 0))];
    for w in filters {
        let next = circulant(w) * forward.last().unwrap();
        forward.push(next);
    }
    let beta = forward.last().unwrap();
    let mut residuals = DVector::zeros(problem.observation_count());
    let mut gradient = DMatrix::zeros(d, 1);
    problem.loss_gradient_into(beta, Reduction::Mean, &mut residuals, &mut gradient);
    let mut gradients = vec![DMatrix::zeros(d, 1); filters.len()];
    for l in (0..filters.len()).rev() {
        gradients[l] = circulant(&forward[l]).transpose() * &gradient;
        gradient = circulant(&filters[l]).transpose() * &gradient;
    }
    gradients
}

fn convolution(c: &mut Criterion) {
    let mut group = c.benchmark_group("convolution");
    group.measurement_time(Duration::from_secs(2));
    for d in [16, 64, 256, 1024] {
        let problem = ProblemSpec::Regression(RegressionSpec {
            samples: 8,
            features: d,
            sparsity: None,
            noise: 0.0,
        })
        .generate(0);
        for depth in [2, 3] {
            let filters: Vec<DMatrix<f64>> = (0..depth)
                .map(|l| {
                    DMatrix::from_fn(d, 1, |t, _| {
                        ((t * 7 + l * 3) as f64 * 0.37).sin() / d as f64
                    })
                })
                .collect();
            let mut network = ConvolutionalNetwork::new(&problem, Reduction::Mean, filters.clone());
            network.loss_and_gradients();
            for (fft, dense) in network
                .gradients()
                .iter()
                .zip(dense_step(&problem, &filters))
            {
                let error = (fft - &dense).norm();
                assert!(
                    error <= 1e-9 * dense.norm().max(1e-300),
                    "d {d} depth {depth}: {error}"
                );
            }
            group.bench_function(format!("fft d={d} L={depth}"), |b| {
                b.iter(|| black_box(network.loss_and_gradients()))
            });
            if d <= 256 {
                group.bench_function(format!("circulant d={d} L={depth}"), |b| {
                    b.iter(|| black_box(dense_step(&problem, &filters)))
                });
            }
        }
    }
    group.finish();
}

criterion_group!(benches, convolution);
criterion_main!(benches);
