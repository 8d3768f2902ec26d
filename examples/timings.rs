//! implreg's side of the side-by-side with numpy (`python3 benches/reference.py` runs it): the
//! median time per GD step on the shared grid, the dense path's throughput against GEMM, a
//! five-seed claim on one and two threads, and the whole Arora-scale run, whose instance it
//! exports for the reference. Each part prints JSON:
//!
//!     cargo run --release --example timings -- step completion/n100/depth3

#[path = "../benches/grid.rs"]
mod grid;

use implreg::claim::{self, Claim, ClaimSpec};
use implreg::measure;
use implreg::problem::{CompletionSpec, Problem, ProblemSpec, Reduction};
use implreg::solver::driver::Iterate;
use implreg::solver::gemm::{Op, gemm};
use implreg::solver::{self, DeepFactorisation, DeepSpec, Descent, RunSpec};
use nalgebra::DMatrix;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The protocol the reference repeats: warm up for `budget` seconds (at least 3 steps), then take
/// `repeats` samples of k steps each, k chosen so a sample lasts about `budget`; the median of
/// the per-step times.
fn median_step_seconds(mut step: impl FnMut(), repeats: usize, budget: f64) -> f64 {
    let started = Instant::now();
    let mut warm = 0;
    while warm < 3 || started.elapsed().as_secs_f64() < budget {
        step();
        warm += 1;
    }
    let per_step = started.elapsed().as_secs_f64() / warm as f64;
    let k = ((budget / per_step) as usize).max(1);
    let mut samples: Vec<f64> = (0..repeats)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..k {
                step();
            }
            t.elapsed().as_secs_f64() / k as f64
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// A configuration as the numpy reference reads it (it draws its own instance of these sizes:
/// the cost of a step depends on the sizes, not the values).
fn describe(config: &grid::Config) -> Value {
    let name = config.name();
    let problem = name.split('/').next().unwrap_or_default();
    let loss = match config.reduction() {
        Reduction::Mean => "mean",
        Reduction::Sum => "sum",
    };
    json!({
        "problem": problem,
        "n": config.n,
        "depth": config.depth,
        "rank": config.rank,
        "observations": config.observations,
        "loss": loss,
        "init_scale": config.init_scale(),
        "optimizer": config.optimizer(),
    })
}

/// The median time of one GD step (evaluate and advance).
fn descent_step_seconds(
    descent: &mut Descent<DeepFactorisation>,
    repeats: usize,
    budget: f64,
) -> f64 {
    median_step_seconds(
        || {
            std::hint::black_box(descent.evaluate());
            descent.advance();
        },
        repeats,
        budget,
    )
}

/// The dense path (every product formed, as for sensing or a penalty) at depth 3 on completion
/// at n = 100 and 200: its throughput in GFLOP/s counting the 3(N−1) GEMMs, next to a bare
/// n×n GEMM's.
fn dense_throughput(repeats: usize, budget: f64) -> Vec<Value> {
    let configs = grid::grid()
        .into_iter()
        .filter(|c| c.kind == grid::Kind::Completion && c.depth == 3 && (c.n == 100 || c.n == 200));
    configs
        .map(|config| {
            let problem = config.problem();
            let mut descent = config.descent(&problem);
            descent.model = descent.model.with_dense_products();
            let step = descent_step_seconds(&mut descent, repeats, budget);
            let n = config.n;
            let flops = 2.0 * (n * n * n) as f64;
            let (a, b) = (
                DMatrix::from_element(n, n, 0.5),
                DMatrix::from_element(n, n, 0.25),
            );
            let mut c = DMatrix::zeros(n, n);
            let product = median_step_seconds(
                || gemm(&mut c, Op::Plain(&a), Op::Plain(&b)),
                repeats,
                budget,
            );
            let gemms = 3 * (config.depth - 1);
            json!({
                "n": n,
                "depth": config.depth,
                "seconds": step,
                "gflops": gemms as f64 * flops / step / 1e9,
                "gemm_gflops": flops / product / 1e9,
            })
        })
        .collect()
}

/// A claim's report without its wall-clock time, for comparing runs.
fn report_without_time(claim: &ClaimSpec) -> (Value, f64) {
    let report = claim::run::point::evaluate(claim, None, &claim::Context::default());
    let seconds = report.seconds;
    let mut value = serde_json::to_value(&report).expect("reports serialise");
    value["seconds"] = Value::Null;
    (value, seconds)
}

/// A five-seed claim on one and on two worker threads, alternately (so that a machine slowing
/// down affects both alike): the median wall time of each over `repeats` runs, and whether every
/// report is identical.
fn thread_scaling(file: &Path, repeats: usize) -> Value {
    let claim = Claim::load(file)
        .expect("the claim is valid")
        .points
        .remove(0)
        .spec;
    let pools = [1, 2].map(|threads| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("the worker threads start")
    });
    let mut reports = Vec::new();
    let mut times = [Vec::new(), Vec::new()];
    for _ in 0..repeats {
        for (pool, times) in pools.iter().zip(&mut times) {
            let (report, seconds) = pool.install(|| report_without_time(&claim));
            reports.push(report);
            times.push(seconds);
        }
    }
    let [one, two] = times.map(|mut t| {
        t.sort_by(f64::total_cmp);
        t[t.len() / 2]
    });
    json!({
        "spec": file.display().to_string(),
        "seeds": claim.seeds.count,
        "one": one,
        "two": two,
        "identical": reports.windows(2).all(|pair| pair[0] == pair[1]),
    })
}

/// The whole Arora-scale run (reproductions/arora-main.yaml, depth 3, seed 0): its instance
/// exported for the reference, the wall time of `solve`, its steps and final test MSE.
fn whole_run(file: &Path, out: &Path) -> Value {
    let claim = Claim::load(file)
        .expect("the claim is valid")
        .points
        .remove(0)
        .spec;
    let run = &claim.runs["depth3"];
    let RunSpec::Deep(spec) = run else {
        panic!("depth3 is a deep run")
    };
    let problem: Problem = claim.problem.generate(0);
    let instance = out.join("arora-instance.json");
    let exported = implreg::export::instance(&problem, spec, 0);
    std::fs::write(&instance, exported.to_string()).expect("the instance can be written");
    let started = Instant::now();
    let solution = solver::solve(run, &problem, 0);
    let seconds = started.elapsed().as_secs_f64();
    let truth = problem
        .truth
        .as_ref()
        .expect("completion has a ground truth");
    json!({
        "description": "100×100, rank 5, 2000 entries, depth 3, normalised GD to train MSE 1e-6",
        "instance": instance.display().to_string(),
        "seconds": seconds,
        "steps": solution.steps,
        "test_mse": measure::test_mse(&solution.matrix, truth),
    })
}

/// One grid configuration's median time per step.
fn step(name: &str, repeats: usize, budget: f64) -> Value {
    let config = grid::grid()
        .into_iter()
        .find(|c| c.name() == name)
        .unwrap_or_else(|| panic!("`{name}` is not in the grid (see `timings grid`)"));
    let problem = config.problem();
    let mut descent = config.descent(&problem);
    let seconds = descent_step_seconds(&mut descent, repeats, budget);
    json!({ "seconds": seconds })
}

/// A certified nuclear-norm solve of a rows×rows completion of the given rank from `observed`
/// entries (seed `seed`): its instance written to `out` for the peers (positions, values, the
/// truth's size), then the median wall time of `repeats` solves with the defaults (gap 1e-6,
/// feasibility 1e-8), its iterations and certificate.
fn nuclear(n: usize, rank: usize, observed: usize, seed: u64, out: &Path, repeats: usize) -> Value {
    let problem = ProblemSpec::Completion(CompletionSpec {
        rows: n,
        cols: n,
        rank,
        observed,
    })
    .generate(seed);
    let instance = implreg::export::problem(&problem);
    std::fs::write(out, instance.to_string()).expect("the instance can be written");
    let run = RunSpec::NuclearNorm(serde_yaml::from_str("{}").expect("every field has a default"));
    let mut times = Vec::new();
    let mut solution = None;
    for _ in 0..repeats {
        let started = Instant::now();
        solution = Some(solver::solve(&run, &problem, seed));
        times.push(started.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    let solution = solution.expect("at least one solve");
    let certificate = solution
        .certificate
        .as_ref()
        .expect("a convex run is certified");
    let spectrum = measure::Spectrum::of(&solution.matrix);
    json!({
        "n": n,
        "rank": rank,
        "observed": observed,
        "seconds": times[times.len() / 2],
        "status": format!("{:?}", solution.status()),
        "iterations": solution.steps,
        "nuclear_norm": spectrum.nuclear_norm,
        "lower_bound": certificate.lower_bound,
        "gap": certificate.gap,
        "feasibility": certificate.feasibility,
        "rank_found": spectrum.numerical_rank(Some(1e-6), (n, n)),
        "peak_mb": peak_memory_mb(),
    })
}

/// The penalised depth-1 model of the Zhao specs (Adam lr 3e-3, λ = 1.5e-3·‖W‖*/‖W‖_F, init
/// scale 1e-3) on an n×n rank-2 completion from `observed` entries: its median time per step,
/// after `warm` steps (so that W has the spectrum of a run, not of its initialisation), and W
/// after them (written to `out` with the instance, for the reference to start from).
fn penalty(
    n: usize,
    observed: usize,
    warm: usize,
    out: &Path,
    repeats: usize,
    budget: f64,
) -> Value {
    let problem = ProblemSpec::Completion(CompletionSpec {
        rows: n,
        cols: n,
        rank: 2,
        observed,
    })
    .generate(0);
    let spec: DeepSpec = serde_yaml::from_str(
        "{ depth: 1, init: !gaussian { scale: 1.0e-3 }, optimizer: !adam { lr: 3.0e-3 }, \
           penalty: !normalized_nuclear { weight: 1.5e-3 }, steps: 1 }",
    )
    .expect("a valid run");
    let factors = spec.start(n, n, 0);
    let model = DeepFactorisation::new(&problem, spec.loss, factors).with_penalty(spec.penalty);
    let rule = spec.optimizer.integrator().step_rule().expect("Adam steps");
    let mut descent = Descent { model, rule };
    for _ in 0..warm {
        descent.evaluate();
        descent.advance();
    }
    let mut instance = implreg::export::problem(&problem);
    instance["w"] = json!(descent.matrix().as_slice());
    instance["lr"] = json!(3.0e-3);
    instance["weight"] = json!(1.5e-3);
    std::fs::write(out, instance.to_string()).expect("the instance can be written");
    let seconds = descent_step_seconds(&mut descent, repeats, budget);
    json!({ "n": n, "observed": observed, "seconds": seconds })
}

/// The process's peak resident memory (Linux's VmHWM), if the system tells.
fn peak_memory_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

const USAGE: &str = "usage: timings (grid | step NAME | dense | threads | arora FOLDER \
                     | nuclear N RANK OBSERVED SEED FILE | penalty N OBSERVED FILE) [--quick]";

/// Each part prints its figures as JSON, so that the reference can interleave its own
/// measurements with implreg's.
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "--quick");
    let (repeats, budget) = if quick { (5, 0.02) } else { (31, 0.05) };
    let words: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| *a != "--quick")
        .collect();
    let report = match words.as_slice() {
        ["grid"] => Value::Array(
            grid::grid()
                .iter()
                .map(|config| {
                    let mut entry = describe(config);
                    entry["name"] = json!(config.name());
                    entry
                })
                .collect(),
        ),
        ["step", name] => step(name, repeats, budget),
        ["dense"] => Value::Array(dense_throughput(repeats, budget)),
        ["threads"] => thread_scaling(
            Path::new("specs/arora-counterexample.yaml"),
            if quick { 1 } else { 5 },
        ),
        ["arora", folder] => {
            let out = PathBuf::from(folder);
            std::fs::create_dir_all(&out).expect("the output folder can be created");
            whole_run(Path::new("reproductions/arora-main.yaml"), &out)
        }
        ["penalty", n, observed, file] => {
            let number = |word: &str| word.parse::<usize>().expect("sizes are whole numbers");
            penalty(
                number(n),
                number(observed),
                500,
                Path::new(file),
                repeats,
                budget,
            )
        }
        ["nuclear", n, rank, observed, seed, file] => {
            let number = |word: &str| word.parse::<usize>().expect("sizes are whole numbers");
            nuclear(
                number(n),
                number(rank),
                number(observed),
                number(seed) as u64,
                Path::new(file),
                if quick { 1 } else { 3 },
            )
        }
        _ => {
            eprintln!("{USAGE}");
            std::process::exit(2);
        }
    };
    println!("{report}");
}
