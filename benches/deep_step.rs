//! The cost of one gradient step of deep-factorisation GD (evaluate: forward products, loss,
//! backward products; advance: the update), on Arora et al.'s completion settings.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use implreg::problem::{CompletionSpec, ProblemSpec, Reduction};
use implreg::random;
use implreg::solver::driver::Iterate;
use implreg::solver::{DeepFactorisation, Descent, InitSpec, OptimizerSpec, StepRule};
use std::hint::black_box;

fn deep_step(c: &mut Criterion) {
    let mut group = c.benchmark_group("deep_step");
    for (n, observed) in [(30, 250), (100, 2000)] {
        let problem = ProblemSpec::Completion(CompletionSpec {
            rows: n,
            cols: n,
            rank: 2,
            observed,
        })
        .generate(0);
        for depth in [2, 3, 4] {
            let init = InitSpec::Gaussian { scale: 1e-3 };
            let factors = init.factors(depth, n, n, n, &mut random::named_stream(0, "bench"));
            let mut descent = Descent {
                model: DeepFactorisation::new(&problem, Reduction::Mean, factors),
                rule: StepRule::new(OptimizerSpec::NormalisedGd {
                    lr: 1e-3,
                    decay: 0.99,
                    eps: 1e-4,
                }),
            };
            group.bench_function(
                BenchmarkId::new(format!("n{n}"), format!("depth{depth}")),
                |b| {
                    b.iter(|| {
                        black_box(descent.evaluate());
                        descent.advance();
                    })
                },
            );
        }
    }
    group.finish();
}

criterion_group!(benches, deep_step);
criterion_main!(benches);
