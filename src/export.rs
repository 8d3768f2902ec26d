//! An instance for other implementations: the problem a seed generates, its ground truth and a
//! deep run's settings and initial factors, as JSON (matrices as lists of rows; a sensing
//! operator's row k is vec(A_k), column-major). A reference implementation started from it runs
//! the same trajectory up to rounding (`benches/reference.py` does, against numpy).

use crate::problem::{Observations, Problem};
use crate::solver::DeepSpec;
use nalgebra::DMatrix;
use serde_json::{Value, json};

/// The instance of `problem` with the initial factors `spec` draws for `seed`.
pub fn instance(problem: &Problem, spec: &DeepSpec, seed: u64) -> Value {
    let mut value = self::problem(problem);
    let factors = spec.start(problem.rows, problem.cols, seed);
    value["seed"] = json!(seed);
    value["run"] = json!(spec);
    value["factors"] = json!(factors.iter().map(rows).collect::<Vec<_>>());
    value
}

/// The problem alone: its shape, observations and ground truth (for a peer that solves it
/// without a deep run, e.g. a convex solver).
pub fn problem(problem: &Problem) -> Value {
    let observations = match &problem.observations {
        Observations::Entries { at, values } => json!({
            "entries": at
                .iter()
                .zip(values)
                .map(|(&(row, col), value)| json!({ "row": row, "col": col, "value": value }))
                .collect::<Vec<_>>()
        }),
        Observations::Measurements { matrices, targets } => json!({
            "measurements": { "operator": rows(&matrices.transpose()), "targets": targets.as_slice() }
        }),
    };
    json!({
        "rows": problem.rows,
        "cols": problem.cols,
        "observations": observations,
        "truth": problem.truth.as_ref().map(rows),
    })
}

/// Where a run ended, for another implementation to compare with its own endpoint: the
/// end-to-end matrix and the factors W_1, …, W_N, each as a list of rows.
pub fn endpoint(matrix: &DMatrix<f64>, factors: &[DMatrix<f64>]) -> Value {
    json!({
        "matrix": rows(matrix),
        "factors": factors.iter().map(rows).collect::<Vec<_>>(),
    })
}

/// A matrix as a list of its rows.
fn rows(m: &DMatrix<f64>) -> Vec<Vec<f64>> {
    m.row_iter()
        .map(|row| row.iter().copied().collect())
        .collect()
}
