//! What measuring costs: every matrix metric of a 100×100 matrix (one SVD), and a whole small
//! claim (Razin & Cohen's five seeds of depth-3 GD, depth-1 GD and the certified convex run on
//! the 2×2 problem: problem generation, solving, metrics, assertions, the report).

use criterion::{Criterion, criterion_group, criterion_main};
use implreg::claim::{self, Claim};
use implreg::measure::Spectrum;
use implreg::random;
use std::hint::black_box;
use std::path::Path;

fn matrix_metrics(c: &mut Criterion) {
    let w = random::gaussian_matrix(100, 100, 1.0, &mut random::named_stream(0, "bench"));
    c.bench_function("metrics/svd_n100", |b| {
        b.iter(|| black_box(Spectrum::of(&w)))
    });
}

fn small_claim(c: &mut Criterion) {
    let claim = Claim::load(Path::new("specs/razin-cohen-norms-grow.yaml"))
        .expect("the claim is valid")
        .points
        .remove(0)
        .spec;
    let mut group = c.benchmark_group("claim");
    group.sample_size(10);
    group.bench_function("razin-cohen-norms-grow", |b| {
        b.iter(|| {
            black_box(claim::run::point::evaluate(
                &claim,
                None,
                &claim::Context::default(),
            ))
        })
    });
    group.finish();
}

criterion_group!(benches, matrix_metrics, small_claim);
criterion_main!(benches);
