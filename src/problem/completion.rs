//! Matrix completion: a random low-rank ground truth seen at entries drawn uniformly without
//! replacement (Arora et al. 2019; docs/science.md).

use super::instance::{Family, Fit, Form, Observations, Problem};
use super::truth;
use crate::invalid::{Invalid, require};
use crate::random::Rng;
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

/// Matrix completion as a claim writes it (`completion: {rows, cols, rank, observed}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompletionSpec {
    /// Rows of the matrix.
    pub rows: usize,
    /// Columns of the matrix.
    pub cols: usize,
    /// Rank of the ground truth.
    pub rank: usize,
    /// Number of observed entries.
    pub observed: usize,
}

impl Family for CompletionSpec {
    fn shape(&self) -> (usize, usize) {
        (self.rows, self.cols)
    }

    fn has_truth(&self) -> bool {
        true
    }

    fn observations(&self) -> usize {
        self.observed
    }

    fn observes_entries(&self) -> bool {
        true
    }

    fn validate(&self) -> Result<(), Invalid> {
        validate_shape_and_rank(self.rows, self.cols, self.rank)?;
        let entries = self.rows * self.cols; // checked by validate_shape_and_rank
        require((1..=entries).contains(&self.observed), "observed", || {
            format!("between 1 and rows·cols = {entries} observed entries")
        })
    }

    fn draw(&self, rng: &mut Rng) -> Problem {
        let truth = truth::low_rank(self.rows, self.cols, self.rank, rng);
        observe_entries(truth, self.observed, rng)
    }
}

/// The instance that sees `observed` entries of `truth`, drawn uniformly without replacement
/// and listed in column-major order (every entry, in that order, when all are observed).
pub(super) fn observe_entries(truth: DMatrix<f64>, observed: usize, rng: &mut Rng) -> Problem {
    let (rows, cols) = truth.shape();
    let mut linear = rand::seq::index::sample(rng, rows * cols, observed).into_vec();
    linear.sort_unstable();
    let at: Vec<(usize, usize)> = linear.iter().map(|&k| (k % rows, k / rows)).collect();
    let values = at.iter().map(|&(i, j)| truth[(i, j)]).collect();
    Problem {
        rows,
        cols,
        observations: Observations::Entries { at, values },
        truth: Some(truth),
        fit: Fit::Squared,
        held_out: None,
        form: Form::Matrix,
    }
}

/// Shared by every family: at least one row and column, and rows·cols within `usize`.
pub(super) fn validate_shape(rows: usize, cols: usize) -> Result<(), Invalid> {
    require(rows >= 1, "rows", || "at least 1 row".into())?;
    require(cols >= 1, "cols", || "at least 1 column".into())?;
    require(rows.checked_mul(cols).is_some(), "cols", || {
        format!("rows·cols below 2⁶⁴; {rows}·{cols} is not")
    })
}

/// Shared by the generated problems: a non-empty shape and 1 ≤ rank ≤ min(rows, cols).
pub(super) fn validate_shape_and_rank(
    rows: usize,
    cols: usize,
    rank: usize,
) -> Result<(), Invalid> {
    validate_shape(rows, cols)?;
    let most = rows.min(cols);
    require((1..=most).contains(&rank), "rank", || {
        format!("a rank between 1 and min(rows, cols) = {most}")
    })
}
