//! What the tests share: one proptest configuration (a fixed seed, failures recorded beside the
//! test file and replayed first), random instances, random low-rank matrices, and running the
//! binary (`implreg`, `stdout`, `stderr`, `timeless`, `scratch`, `claim_scratch`).

// Each test file is its own crate and uses only some of these.
#![allow(dead_code)]

use implreg::problem::{
    CompletionSpec, Observations, Problem, ProblemSpec, RegressionSpec, SensingSpec,
};
use implreg::random;
use nalgebra::DMatrix;
use proptest::prelude::ProptestConfig;
use proptest::test_runner::{FileFailurePersistence, RngSeed};

/// `cases` cases, or `PROPTEST_CASES` when set.
pub fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(cases);
    ProptestConfig {
        cases,
        rng_seed: RngSeed::Fixed(0x1A9_2019),
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("regressions"))),
        ..ProptestConfig::default()
    }
}

/// A completion or sensing instance of a random shape, rank and observation count.
pub fn problem(rows: usize, cols: usize, sensing: bool, seed: u64) -> Problem {
    let rank = 1 + (seed as usize) % rows.min(cols);
    let spec = if sensing {
        ProblemSpec::Sensing(SensingSpec {
            rows,
            cols,
            rank,
            measurements: 1 + (seed as usize) % 12,
        })
    } else {
        let observed = 1 + (seed as usize * 7) % (rows * cols);
        ProblemSpec::Completion(CompletionSpec {
            rows,
            cols,
            rank,
            observed,
        })
    };
    spec.generate(seed)
}

/// A Gaussian rows×rank times rank×cols product, drawn from the stream `name`.
pub fn low_rank(rows: usize, cols: usize, rank: usize, seed: u64, name: &str) -> DMatrix<f64> {
    let mut rng = random::named_stream(seed, name);
    random::gaussian_matrix(rows, rank, 1.0, &mut rng)
        * random::gaussian_matrix(rank, cols, 1.0, &mut rng)
}

/// A JSON report without its wall-clock times (`seconds`, at any depth).
pub fn timeless(mut value: serde_json::Value) -> serde_json::Value {
    match &mut value {
        serde_json::Value::Object(map) => {
            map.remove("seconds");
            for v in map.values_mut() {
                *v = timeless(v.take());
            }
        }
        serde_json::Value::Array(items) => {
            for v in items.iter_mut() {
                *v = timeless(v.take());
            }
        }
        _ => {}
    }
    value
}

/// Runs the `implreg` binary with `args`. Its default result store is a fresh folder, removed
/// afterwards: a test reuses runs only from a store it names (`--store`).
pub fn implreg(args: &[&str]) -> std::process::Output {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static CALLS: AtomicUsize = AtomicUsize::new(0);
    let store = std::env::temp_dir().join(format!(
        "implreg-test-store-{}-{}",
        std::process::id(),
        CALLS.fetch_add(1, Ordering::Relaxed)
    ));
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_implreg"))
        .args(args)
        .env("IMPLREG_STORE", &store)
        .output()
        .expect("the binary runs");
    let _ = std::fs::remove_dir_all(&store);
    output
}

/// A fresh, empty folder under the system's temporary folder for test `name`.
pub fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("implreg-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    dir
}

/// What a run of the binary printed on stdout.
pub fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// What a run of the binary printed on stderr.
pub fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A fresh folder for test `name`'s claim files, and the text of a small valid claim to vary.
pub fn claim_scratch(name: &str) -> (std::path::PathBuf, String) {
    let text = std::fs::read_to_string("tests/fixtures/holds.yaml").expect("the fixture");
    (scratch(name), text)
}

/// A regression instance without noise: n samples, d features, a k-sparse (or dense) truth.
pub fn regression(samples: usize, features: usize, sparsity: Option<usize>, seed: u64) -> Problem {
    ProblemSpec::Regression(RegressionSpec {
        samples,
        features,
        sparsity,
        noise: 0.0,
    })
    .generate(seed)
}

/// minᵢ yᵢ⟨xᵢ, β⟩ over a classification instance's training points (β d×1).
pub fn least_margin(problem: &Problem, beta: &DMatrix<f64>) -> f64 {
    let Observations::Measurements { matrices, targets } = &problem.observations else {
        panic!("a classification instance observes measurements")
    };
    matrices
        .column_iter()
        .zip(targets.iter())
        .map(|(x, y)| y * x.dot(&beta.column(0)))
        .fold(f64::INFINITY, f64::min)
}

/// X (n×d) of a regression instance.
pub fn design(problem: &Problem) -> DMatrix<f64> {
    match &problem.observations {
        Observations::Measurements { matrices, .. } => matrices.transpose(),
        Observations::Entries { .. } => unreachable!("regression observes measurements"),
    }
}

/// Every record file in the store at `store` (`runs/ab/….run`), in name order; none if the
/// store is not there yet.
pub fn records(store: &std::path::Path) -> Vec<std::path::PathBuf> {
    let Ok(folders) = std::fs::read_dir(store.join("runs")) else {
        return Vec::new();
    };
    let mut found: Vec<std::path::PathBuf> = folders
        .flatten()
        .filter_map(|folder| std::fs::read_dir(folder.path()).ok())
        .flat_map(|files| files.flatten().map(|f| f.path()))
        .collect();
    found.sort();
    found
}
