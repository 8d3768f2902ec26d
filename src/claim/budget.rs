//! What a claim will cost, estimated from its settings before anything runs, and the limits it
//! must fit: memory (for each seed running at once, one per worker thread, its instance and the
//! working memory of all its runs, which run at once too; plus every seed's records, held until
//! the claim is decided) and work (floating-point
//! operations over every run's step budget and every seed). Estimates are upper bounds up to
//! small factors; they refuse absurd sizes with a located error instead of an abort on
//! allocation or a run that never ends. `--max-memory` and `--max-work` raise the limits.

use crate::problem::ProblemSpec;
use crate::solver::anderson::MEMORY as ANDERSON_MEMORY;
use crate::solver::{DeepSpec, DiagonalSpec, NuclearNormSpec, OptimizerSpec, RunSpec};
use std::collections::BTreeMap;

/// The limits a claim must fit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Bytes.
    pub memory: f64,
    /// Floating-point operations (with a fixed cost per step and per matrix for bookkeeping).
    pub work: f64,
}

impl Default for Limits {
    /// 4 GiB, and 1e14 operations (about an hour on two cores at this project's measured rates).
    fn default() -> Self {
        Self {
            memory: 4.0 * (1u64 << 30) as f64,
            work: 1e14,
        }
    }
}

/// Bytes of one f64, and the fixed cost of one heap-allocated matrix.
const FLOAT: f64 = 8.0;
const MATRIX: f64 = 128.0;
/// Operations charged per step and per matrix touched, for bookkeeping beyond the arithmetic.
const STEP_OVERHEAD: f64 = 1000.0;

/// The setting a cost is charged to, and the cost.
#[derive(Debug, Clone, PartialEq)]
pub struct Cost {
    /// The dotted path of the setting that dominates it.
    pub field: String,
    /// Bytes or operations.
    pub amount: f64,
}

/// Which limit a cost passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    /// Bytes held at once.
    Memory,
    /// Operations.
    Work,
}

impl Cost {
    /// What was expected, for a located error.
    pub fn expected(&self, resource: Resource, limits: Limits) -> String {
        match resource {
            Resource::Memory => format!(
                "a claim that fits in {} of memory (raise it with --max-memory); this one needs about {}, most of it here",
                bytes(limits.memory),
                bytes(self.amount)
            ),
            Resource::Work => format!(
                "a claim whose step budgets fit {:.0e} operations (raise it with --max-work); this one may take {:.1e}, most of it here",
                limits.work, self.amount
            ),
        }
    }
}

/// Bytes for people: `3.5 GiB`.
fn bytes(amount: f64) -> String {
    let units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut value = amount;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < units.len() {
        value /= 1024.0;
        unit += 1;
    }
    if !value.is_finite() {
        "more than f64 can count".into()
    } else if value >= 1024.0 {
        format!("{amount:.1e} bytes")
    } else {
        format!("{value:.1} {}", units[unit])
    }
}

/// Refuses a claim beyond `limits`, naming the setting that dominates and the estimate.
pub fn check(
    problem: &ProblemSpec,
    runs: &BTreeMap<String, RunSpec>,
    seeds: u64,
    limits: Limits,
) -> Result<(), (Resource, Cost)> {
    // Seeds run at once, one per worker thread.
    let at_once = (seeds as f64).min(rayon::current_num_threads() as f64);
    let (rows, cols) = problem.shape();
    let (rows, cols) = (rows as f64, cols as f64);
    let k = observations(problem);
    let instance = at_once * instance_bytes(problem, rows, cols, k);
    let mut memory = Cost {
        field: "problem".into(),
        amount: instance,
    };
    let mut total_memory = instance;
    let mut work = Cost {
        field: "seeds".into(),
        amount: 0.0,
    };
    let mut total_work = 0.0;
    for (name, run) in runs {
        let (working, record, operations, setting) =
            run_cost(run, rows, cols, k, observed_entries(problem));
        let bytes = at_once * working + seeds as f64 * record;
        total_memory += bytes;
        if bytes > memory.amount {
            memory = Cost {
                field: format!("runs.{name}"),
                amount: bytes,
            };
        }
        let operations = operations * seeds as f64;
        total_work += operations;
        if operations > work.amount {
            work = Cost {
                field: format!("runs.{name}.{setting}"),
                amount: operations,
            };
        }
    }
    if !fits(total_memory, limits.memory) {
        let cost = Cost {
            amount: total_memory,
            ..memory
        };
        return Err((Resource::Memory, cost));
    }
    if !fits(total_work, limits.work) {
        let cost = Cost {
            amount: total_work,
            ..work
        };
        return Err((Resource::Work, cost));
    }
    Ok(())
}

/// The operations one seed of a claim may take: every run's step budget (an upper bound; how
/// shards balance their work).
pub fn seed_work(problem: &ProblemSpec, runs: &BTreeMap<String, RunSpec>) -> f64 {
    let (rows, cols) = problem.shape();
    let (rows, cols) = (rows as f64, cols as f64);
    let (k, entries) = (observations(problem), observed_entries(problem));
    runs.values()
        .map(|run| run_cost(run, rows, cols, k, entries).2)
        .sum()
}

/// Whether `amount` is at most `limit` (NaN never fits).
fn fits(amount: f64, limit: f64) -> bool {
    matches!(
        amount.partial_cmp(&limit),
        Some(std::cmp::Ordering::Less | std::cmp::Ordering::Equal)
    )
}

/// k, the number of observations (as f64: no product of sizes can overflow).
/// k, the number of observations of every instance.
fn observations(problem: &ProblemSpec) -> f64 {
    problem.family().1.observations() as f64
}

/// Whether the instance observes entries (sparse) rather than dense measurements.
fn observed_entries(problem: &ProblemSpec) -> bool {
    problem.family().1.observes_entries()
}

fn instance_bytes(problem: &ProblemSpec, rows: f64, cols: f64, k: f64) -> f64 {
    let truth = rows * cols * FLOAT;
    let operator = if observed_entries(problem) {
        3.0 * k * FLOAT
    } else {
        k * rows * cols * FLOAT
    };
    // Drawing a completion instance samples indices of every entry.
    let drawing = match problem {
        ProblemSpec::Completion(_) => rows * cols * FLOAT,
        _ => 0.0,
    };
    truth + operator + drawing
}

/// A run's working bytes, record bytes, operations, and the setting they grow with.
fn run_cost(
    run: &RunSpec,
    rows: f64,
    cols: f64,
    k: f64,
    entries: bool,
) -> (f64, f64, f64, &'static str) {
    match run {
        RunSpec::Deep(deep) => deep_cost(deep, rows, cols, k, entries),
        RunSpec::Diagonal(spec) => diagonal_cost(spec, rows, cols, k, entries),
        RunSpec::NuclearNorm(spec) | RunSpec::BasisPursuit(spec) => {
            convex_cost(spec, rows, cols, k, entries)
        }
        RunSpec::MinNorm(_) => closed_form_cost(rows, cols, k, entries),
        RunSpec::DiagonalPotential(spec) => {
            let (working, record, once, _) = closed_form_cost(rows, cols, k, entries);
            // Each Newton iteration forms 𝒜 diag(h′) 𝒜* and factors it, as the closed form does once.
            let iterations = spec.iterations as f64;
            (
                working,
                record,
                iterations * once,
                "diagonal_potential.iterations",
            )
        }
    }
}

/// A diagonal network: u, v, their gradients (and the optimiser's state), w and ∇ℓ(w); a step
/// is the loss's operator plus a few passes over the entries.
fn diagonal_cost(
    spec: &DiagonalSpec,
    rows: f64,
    cols: f64,
    k: f64,
    entries: bool,
) -> (f64, f64, f64, &'static str) {
    let size = rows * cols;
    let state = match spec.optimizer {
        OptimizerSpec::Adam { .. } => 4.0,
        OptimizerSpec::GradientFlow(_) => 16.0,
        _ => 0.0,
    };
    let working = ((6.0 + state) * size + k) * FLOAT + (8.0 + state) * MATRIX;
    let steps = spec.step_budget() as f64;
    let samples = 10.0 * (steps + 1.0).log10() + 2.0;
    let record = (size * 6.0 + samples * (rows.min(cols) + 8.0)) * FLOAT + 6.0 * MATRIX;
    let loss = if entries { 4.0 * k } else { 4.0 * k * size };
    let penalty = if spec.penalty.is_some() {
        20.0 * size * rows.min(cols)
    } else {
        0.0
    };
    let per_evaluation = loss + penalty + 20.0 * size;
    let evaluations = match spec.optimizer {
        OptimizerSpec::GradientFlow(_) => 7.0,
        _ => 1.0,
    };
    let per_step = evaluations * per_evaluation + STEP_OVERHEAD * 3.0;
    (working, record, steps * per_step, "diagonal.steps")
}

/// Working bytes, record bytes per seed, operations per seed, and the budget's setting.
fn deep_cost(
    deep: &DeepSpec,
    rows: f64,
    cols: f64,
    k: f64,
    entries: bool,
) -> (f64, f64, f64, &'static str) {
    let width = deep.width.map_or(rows.max(cols), |w| w as f64);
    let depth = deep.depth as f64;
    // Σ of the layers' sizes, and of the prefixes' (every prefix has `cols` columns).
    let parameters = if deep.depth == 1 {
        rows * cols
    } else {
        width * cols + (depth - 2.0) * width * width + rows * width
    };
    let prefixes = ((depth - 1.0) * width + rows) * cols;
    let state = match deep.optimizer {
        OptimizerSpec::Adam { .. } => 2.0,
        OptimizerSpec::GradientFlow(_) => 8.0,
        _ => 0.0,
    };
    let floats = (2.0 + state) * parameters + 2.0 * prefixes + 3.0 * rows * cols + k;
    let matrices = (4.0 + state) * depth + 8.0;
    let working = floats * FLOAT + matrices * MATRIX;
    let steps = deep.step_budget() as f64;
    let samples = 10.0 * (steps + 1.0).log10() + 2.0;
    let record = (parameters + rows * cols * 4.0 + samples * (rows.min(cols) + 8.0)) * FLOAT
        + (depth + 4.0) * MATRIX;
    let loss = if entries {
        4.0 * k
    } else {
        4.0 * k * rows * cols
    };
    let penalty = if deep.penalty.is_some() {
        20.0 * rows * cols * rows.min(cols)
    } else {
        0.0
    };
    let per_evaluation = 6.0 * parameters * cols + loss + penalty + 10.0 * parameters;
    let evaluations = match deep.optimizer {
        OptimizerSpec::GradientFlow(_) => 7.0,
        _ => 1.0,
    };
    let per_step = evaluations * per_evaluation + STEP_OVERHEAD * (1.0 + depth);
    (working, record, steps * per_step, "deep.steps")
}

/// The closed-form minimum-norm interpolant: the k×k Gram matrix (formed from dense
/// measurements), its SVD, one adjoint.
fn closed_form_cost(rows: f64, cols: f64, k: f64, entries: bool) -> (f64, f64, f64, &'static str) {
    let gram = if entries { 0.0 } else { k * k * rows * cols };
    let working = (3.0 * k * k + 4.0 * rows * cols + 4.0 * k) * FLOAT;
    let record = (2.0 * rows * cols + k + 200.0) * FLOAT;
    (working, record, gram + 30.0 * k * k * k, "min_norm")
}

fn convex_cost(
    spec: &NuclearNormSpec,
    rows: f64,
    cols: f64,
    k: f64,
    entries: bool,
) -> (f64, f64, f64, &'static str) {
    let gram = if entries { 0.0 } else { k * k };
    // X, Z, U and scratch; two thresholders' blocks at their widest (a full SVD: five buffers
    // of rows·cols and two of min²); Anderson's memory and points, 2·MEMORY + 5 states of
    // 2·rows·cols + 2k.
    let state = 2.0 * rows * cols + 2.0 * k;
    let blocks = 2.0 * (5.0 * rows * cols + 2.0 * rows.min(cols).powi(2));
    let anderson = (2.0 * ANDERSON_MEMORY as f64 + 5.0) * state;
    let working = (4.0 * rows * cols + 6.0 * k + gram + blocks + anderson) * FLOAT;
    let record = (2.0 * rows * cols + k + 200.0) * FLOAT;
    // At most a full SVD an iteration (the block is usually far narrower).
    let svd = 20.0 * rows * cols * rows.min(cols);
    let operator = if entries {
        4.0 * k
    } else {
        4.0 * k * rows * cols + 2.0 * gram
    };
    let iterations = spec.iterations as f64;
    let factorisation = gram * k / 3.0;
    (
        working,
        record,
        factorisation + iterations * (svd * 1.1 + operator + STEP_OVERHEAD),
        "nuclear_norm.iterations",
    )
}
