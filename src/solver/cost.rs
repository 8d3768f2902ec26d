//! What one run costs, stated by each method beside its code (as faer's `*_scratch` functions
//! state a workspace) for the shape of an instance, so that the claim layer only sums: the
//! working memory a run holds while it runs, the record it leaves, and the floating-point
//! operations of its step budget. Every count is of the arithmetic the method's code does (its
//! products, passes and factorisations), with a fixed charge per step and per matrix for the
//! bookkeeping around it.

use crate::problem::{Observations, Problem, ProblemSpec};

/// Bytes of one f64.
pub const FLOAT: f64 = 8.0;
/// The fixed cost, in bytes, of one heap-allocated matrix.
pub const MATRIX: f64 = 128.0;
/// Operations charged per step and per matrix touched, for bookkeeping beyond the arithmetic.
pub const STEP_OVERHEAD: f64 = 1000.0;

/// The size of an instance as its runs' costs read it (as f64: no product of sizes overflows).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shape {
    /// Rows of the matrix sought (d for a vector).
    pub rows: f64,
    /// Columns of the matrix sought (1 for a vector).
    pub cols: f64,
    /// k, the number of observations.
    pub observations: f64,
    /// Whether the instance observes entries (sparse) rather than dense measurements.
    pub entries: bool,
    /// d, the dimension of the inputs where the matrix holds a network's values (0 elsewhere).
    pub inputs: f64,
    /// N, the modes of the tensor the matrix unfolds (2 for a matrix).
    pub order: f64,
}

impl Shape {
    /// The shape of every instance `problem` draws.
    pub fn of(problem: &ProblemSpec) -> Self {
        let (rows, cols) = problem.shape();
        let family = problem.family().1;
        Self {
            rows: rows as f64,
            cols: cols as f64,
            observations: family.observations() as f64,
            entries: family.observes_entries(),
            inputs: family.inputs().map_or(0.0, |i| i.dim as f64),
            order: problem.modes().len() as f64,
        }
    }

    /// The shape of a drawn instance.
    pub fn of_instance(problem: &Problem) -> Self {
        Self {
            rows: problem.rows as f64,
            cols: problem.cols as f64,
            observations: problem.observation_count() as f64,
            entries: matches!(problem.observations, Observations::Entries { .. }),
            inputs: problem.inputs().map_or(0.0, |x| x.nrows() as f64),
            order: problem.modes().len() as f64,
        }
    }

    /// rows·cols.
    pub fn size(&self) -> f64 {
        self.rows * self.cols
    }

    /// min(rows, cols).
    pub fn shortest(&self) -> f64 {
        self.rows.min(self.cols)
    }

    /// Operations of one full SVD of a matrix of the instance's shape (with its vectors): what
    /// a penalty's gradient takes every evaluation, and a certificate's exact dual norm.
    pub fn svd(&self) -> f64 {
        20.0 * self.size() * self.shortest()
    }

    /// Operations of 𝒜 or 𝒜* once: a pass over the entries, or over k dense measurements.
    pub fn operator(&self) -> f64 {
        if self.entries {
            2.0 * self.observations
        } else {
            2.0 * self.observations * self.size()
        }
    }

    /// A run's record: its matrices (`matrices` of the instance's size, `factors` more floats)
    /// and its trace's samples over `steps` (log-spaced, each a spectrum and a few numbers).
    pub fn record(&self, matrices: f64, factors: f64, steps: f64, allocations: f64) -> f64 {
        let samples = 10.0 * (steps + 1.0).log10() + 2.0;
        (matrices * self.size() + factors + samples * (self.shortest() + 8.0)) * FLOAT
            + allocations * MATRIX
    }
}

/// What one run costs on one seed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cost {
    /// Bytes held while it runs.
    pub working: f64,
    /// Bytes of the record it leaves (kept until the claim is decided).
    pub record: f64,
    /// Operations before the first step (a factorisation).
    pub setup: f64,
    /// Operations of one step (an iteration).
    pub per_step: f64,
    /// The step budget.
    pub steps: f64,
    /// The setting the work grows with (`deep.steps`), for a located error.
    pub setting: &'static str,
}

impl Cost {
    /// The operations of the whole step budget.
    pub fn work(&self) -> f64 {
        self.setup + self.per_step * self.steps
    }
}
