//! The cost of one gradient step of deep-factorisation GD (evaluate: products, loss, gradients;
//! advance: the update) on the shared grid (`grid.rs`): depths 2, 3, 4 on completion and
//! sensing at n = 2, 30, 100, 200. `python3 benches/reference.py` compares the same grid with
//! numpy.

use criterion::{Criterion, criterion_group, criterion_main};
use implreg::solver::driver::Iterate;
use std::hint::black_box;
use std::time::Duration;

#[path = "grid.rs"]
mod grid;

fn deep_step(c: &mut Criterion) {
    let mut group = c.benchmark_group("deep_step");
    group.measurement_time(Duration::from_secs(3));
    for config in grid::grid() {
        let problem = config.problem();
        let mut descent = config.descent(&problem);
        group.bench_function(config.name(), |b| {
            b.iter(|| {
                black_box(descent.evaluate());
                descent.advance();
            })
        });
    }
    group.finish();
}

criterion_group!(benches, deep_step);
criterion_main!(benches);
