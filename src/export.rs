//! An instance for other implementations: the problem a seed generates, its ground truth and a
//! deep run's settings and initial factors, as JSON (matrices as lists of rows; a sensing
//! operator's row k is vec(A_k), column-major). A reference implementation started from it runs
//! the same trajectory up to rounding (`benches/reference.py` does, against numpy).

use crate::problem::margin_loss::MarginLoss;
use crate::problem::{Fit, Observations, Problem};
use crate::solver::DeepSpec;
use nalgebra::DMatrix;
use serde::Serialize;
use serde::ser::{SerializeSeq, Serializer};
use serde_json::{Value, json};

/// The instance of `problem` with the initial factors `spec` draws for `seed`, written as JSON
/// to `out` as it is serialised: nothing the size of the instance is built besides it (an
/// instance of 0.9 GB once took 4 GB as a JSON value). Keys in the order a JSON value sorts
/// them, so the bytes are those of `serde_json::to_string` on one.
pub fn write_instance(
    problem: &Problem,
    spec: &DeepSpec,
    seed: u64,
    out: impl std::io::Write,
) -> serde_json::Result<()> {
    write_sampled(problem, spec, seed, None, out)
}

/// The steps at which another program is asked to sample its trajectory (the external-run
/// protocol): every step, or the listed ones.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sampling {
    /// Every step.
    pub every_step: bool,
    /// The steps sampled (besides every step, if `every_step`), increasing.
    pub steps: Vec<usize>,
}

/// `write_instance`, with the samples the program is asked for (`sample`), if any.
pub fn write_sampled(
    problem: &Problem,
    spec: &DeepSpec,
    seed: u64,
    sample: Option<&Sampling>,
    out: impl std::io::Write,
) -> serde_json::Result<()> {
    let factors = spec.start(problem.rows, problem.cols, seed);
    let instance = Instance {
        sample,
        ..Instance::of(problem, spec, seed, &factors)?
    };
    serde_json::to_writer(out, &instance)
}

/// The instance as a JSON value (for a program that adds to it).
pub fn instance(problem: &Problem, spec: &DeepSpec, seed: u64) -> Value {
    let factors = spec.start(problem.rows, problem.cols, seed);
    Instance::of(problem, spec, seed, &factors)
        .and_then(serde_json::to_value)
        .expect("instances serialise")
}

/// The problem alone: its shape, observations and ground truth (for a peer that solves it
/// without a deep run, e.g. a convex solver).
pub fn problem(problem: &Problem) -> Value {
    serde_json::to_value(Shape {
        cols: problem.cols,
        fit: fit_name(problem.fit),
        inputs: problem.inputs().map(Columns),
        observations: Observed(&problem.observations),
        rows: problem.rows,
        truth: problem.truth.as_ref().map(Rows),
    })
    .expect("problems serialise")
}

/// The problem as `problem` gives it (fields in sorted order).
#[derive(Serialize)]
struct Shape<'a> {
    cols: usize,
    fit: &'static str,
    /// A problem posed in a network's values: its inputs xᵢ, one row each.
    #[serde(skip_serializing_if = "Option::is_none")]
    inputs: Option<Columns<'a>>,
    observations: Observed<'a>,
    rows: usize,
    truth: Option<Rows<'a>>,
}

impl<'a> Instance<'a> {
    fn of(
        problem: &'a Problem,
        spec: &DeepSpec,
        seed: u64,
        factors: &'a [DMatrix<f64>],
    ) -> serde_json::Result<Self> {
        Ok(Instance {
            cols: problem.cols,
            factors: factors.iter().map(Rows).collect(),
            fit: fit_name(problem.fit),
            observations: Observed(&problem.observations),
            rows: problem.rows,
            run: serde_json::to_value(spec)?,
            sample: None,
            seed,
            truth: problem.truth.as_ref().map(Rows),
        })
    }
}

/// The instance as `write_instance` writes it (fields in sorted order).
#[derive(Serialize)]
struct Instance<'a> {
    cols: usize,
    factors: Vec<Rows<'a>>,
    fit: &'static str,
    observations: Observed<'a>,
    rows: usize,
    run: Value,
    /// The samples an external run's program is asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    sample: Option<&'a Sampling>,
    seed: u64,
    truth: Option<Rows<'a>>,
}

/// What the observations are fitted with: `squared` residuals, or the `logistic` or
/// `exponential` loss of the margins yᵢ⟨Aᵢ, W⟩ (the targets are then the labels ±1).
fn fit_name(fit: Fit) -> &'static str {
    match fit {
        Fit::Squared => "squared",
        Fit::Margin(MarginLoss::Logistic) => "logistic",
        Fit::Margin(MarginLoss::Exponential) => "exponential",
    }
}

/// A matrix as a list of its rows, serialised as it is read.
struct Rows<'a>(&'a DMatrix<f64>);

impl Serialize for Rows<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let m = self.0;
        let mut outer = serializer.serialize_seq(Some(m.nrows()))?;
        for i in 0..m.nrows() {
            outer.serialize_element(&Line((0..m.ncols()).map(|j| m[(i, j)])))?;
        }
        outer.end()
    }
}

/// A matrix's transpose as a list of rows (its columns), without transposing it.
struct Columns<'a>(&'a DMatrix<f64>);

impl Serialize for Columns<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let m = self.0;
        let mut outer = serializer.serialize_seq(Some(m.ncols()))?;
        for column in m.column_iter() {
            outer.serialize_element(&Line(column.iter().copied()))?;
        }
        outer.end()
    }
}

/// Numbers as a list, serialised as they come.
struct Line<I>(I);

impl<I: Iterator<Item = f64> + Clone> Serialize for Line<I> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.clone())
    }
}

/// One observed entry, keys sorted.
#[derive(Serialize)]
struct Entry {
    col: usize,
    row: usize,
    value: f64,
}

/// The observations as `problem` gives them, serialised as they are read.
struct Observed<'a>(&'a Observations);

impl Serialize for Observed<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(1))?;
        match self.0 {
            Observations::Entries { at, values } => {
                map.serialize_entry("entries", &Entries(at, values))?;
            }
            Observations::Measurements { matrices, targets } => {
                #[derive(Serialize)]
                struct Measurements<'a> {
                    operator: Columns<'a>,
                    targets: &'a [f64],
                }
                let measurements = Measurements {
                    operator: Columns(matrices),
                    targets: targets.as_slice(),
                };
                map.serialize_entry("measurements", &measurements)?;
            }
        }
        map.end()
    }
}

/// The observed entries as a list, serialised as they are read.
struct Entries<'a>(&'a [(usize, usize)], &'a [f64]);

impl Serialize for Entries<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let entries = self
            .0
            .iter()
            .zip(self.1)
            .map(|(&(row, col), &value)| Entry { col, row, value });
        serializer.collect_seq(entries)
    }
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
