//! The convex baseline: one ADMM iteration (least squares, thresholding SVD, box and multiplier
//! steps) and a whole solve to a relative duality gap of 1e-6 on Arora et al.'s 100×100
//! completion with 2000 observations.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use implreg::problem::{CompletionSpec, Problem, ProblemSpec};
use implreg::solver::driver::Iterate;
use implreg::solver::{Admm, NuclearNormSpec, Objective, RunSpec, Status, solve};
use std::hint::black_box;
use std::time::Duration;

fn completion(n: usize, rank: usize, observed: usize) -> Problem {
    ProblemSpec::Completion(CompletionSpec {
        rows: n,
        cols: n,
        rank,
        observed,
    })
    .generate(0)
}

fn defaults() -> NuclearNormSpec {
    serde_yaml::from_str("{}").expect("every field has a default")
}

fn iteration(c: &mut Criterion) {
    let mut group = c.benchmark_group("admm_iteration");
    for (n, rank, observed) in [(30, 2, 250), (100, 5, 2000)] {
        let problem = completion(n, rank, observed);
        let mut admm = Admm::new(&problem, defaults(), Objective::Nuclear);
        group.bench_function(BenchmarkId::new("completion", format!("n{n}")), |b| {
            b.iter(|| {
                admm.advance();
                black_box(admm.evaluate());
            })
        });
    }
    group.finish();
}

fn whole_solve(c: &mut Criterion) {
    let mut group = c.benchmark_group("nuclear_norm_solve");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(40));
    let problem = completion(100, 5, 2000);
    let run = RunSpec::NuclearNorm(defaults());
    group.bench_function("completion_n100_m2000_gap1e-6", |b| {
        b.iter(|| {
            let solution = solve(&run, &problem, 0);
            assert_eq!(solution.status(), Status::Converged);
            black_box(solution)
        })
    });
    group.finish();
}

criterion_group!(benches, iteration, whole_solve);
criterion_main!(benches);
