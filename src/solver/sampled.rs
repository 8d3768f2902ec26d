//! Products restricted to observed entries. In matrix completion only the entries of W = L·R at
//! the k observed positions enter the loss, and ∇ℓ(W) = G is zero elsewhere, so the products the
//! gradient needs with it, G·Rᵀ and Lᵀ·G, cost k·width multiply-adds instead of a dense product
//! (rows·width·cols). With k = 2000 of 10⁴ entries (Arora et al. 2019) that is 5× less work, and
//! W itself is never formed.
//!
//! Sparse products read about one number per multiply-add, a GEMM a quarter of one, so they
//! are worth it only if every load counts: every matrix here is column-major (L is passed as Lᵀ),
//! so an entry (i, j) meets two contiguous columns, and entries are taken four at a time where
//! they share a column (or a row), so that the shared column is loaded once for four
//! multiply-adds (`kernels`).

use crate::kernels::{self, GROUP, Kernels, WithKernels, group_axpys, group_dots};
use nalgebra::DMatrix;

/// The observed positions (row i, column j), in the problem's order.
pub type Positions = [(usize, usize)];

/// Column `index` of a column-major matrix as a slice.
fn column(m: &DMatrix<f64>, index: usize) -> &[f64] {
    let rows = m.nrows();
    &m.as_slice()[index * rows..(index + 1) * rows]
}

fn column_mut(m: &mut DMatrix<f64>, index: usize) -> &mut [f64] {
    let rows = m.nrows();
    &mut m.as_mut_slice()[index * rows..(index + 1) * rows]
}

/// The observed positions in two orders, cut into groups of at most `GROUP` entries that share
/// a column (`by_column`) or a row (`by_row`).
#[derive(Debug, Clone)]
pub struct Sampled<'p> {
    at: &'p Positions,
    by_column: Groups,
    by_row: Groups,
}

/// Entry indices sorted by a key, and the ranges of `order` that form the groups.
#[derive(Debug, Clone)]
struct Groups {
    order: Vec<usize>,
    ranges: Vec<(usize, usize)>,
}

impl Groups {
    fn new(count: usize, key: impl Fn(usize) -> (usize, usize)) -> Self {
        let mut order: Vec<usize> = (0..count).collect();
        order.sort_by_key(|&k| key(k));
        let mut ranges = Vec::new();
        let mut start = 0;
        while start < count {
            let shared = key(order[start]).0;
            let mut end = start + 1;
            while end < count && end - start < GROUP && key(order[end]).0 == shared {
                end += 1;
            }
            ranges.push((start, end));
            start = end;
        }
        Self { order, ranges }
    }

    /// Each group's entry indices.
    fn iter(&self) -> impl Iterator<Item = &[usize]> {
        self.ranges.iter().map(|&(a, b)| &self.order[a..b])
    }
}

impl<'p> Sampled<'p> {
    /// Groups the positions `at` by column and by row.
    pub fn new(at: &'p Positions) -> Self {
        Self {
            at,
            by_column: Groups::new(at.len(), |k| (at[k].1, at[k].0)),
            by_row: Groups::new(at.len(), |k| at[k]),
        }
    }

    /// For W = L·R (L passed as Lᵀ, width×rows; R width×cols) and targets y: the residuals
    /// rₖ = Wᵢⱼ − yₖ at the observed positions, G = c·r at them (zero elsewhere) into `g`,
    /// ∂⟨G, L·R⟩/∂Lᵀ = R·Gᵀ into `left_gradient_t` and ∂⟨G, L·R⟩/∂R = Lᵀ·G into `right_gradient`.
    /// Returns Σ rₖ².
    ///
    /// Two passes: column by column, four residuals against the shared R₍:,ⱼ₎, then their
    /// gₖ·Lᵀ₍:,ᵢ₎ into column j of Lᵀ·G while those columns are still loaded; row by row, four
    /// gₖ·R₍:,ⱼ₎ into column i of R·Gᵀ.
    #[allow(clippy::too_many_arguments)]
    pub fn residual_products(
        &self,
        left_t: &DMatrix<f64>,
        right: &DMatrix<f64>,
        targets: &[f64],
        c: f64,
        g: &mut [f64],
        left_gradient_t: &mut DMatrix<f64>,
        right_gradient: &mut DMatrix<f64>,
    ) -> f64 {
        let operands = Operands {
            left_t,
            right,
            targets,
            c,
        };
        kernels::dispatch(ResidualProducts {
            sampled: self,
            operands,
            buffers: (g, left_gradient_t, right_gradient),
        })
    }

    #[inline(always)]
    fn passes<K: Kernels>(&self, operands: Operands, buffers: Buffers) -> f64 {
        let (g, left_gradient_t, right_gradient) = buffers;
        assert_eq!(
            operands.left_t.nrows(),
            operands.right.nrows(),
            "Lᵀ and R share the inner dimension"
        );
        right_gradient.as_mut_slice().fill(0.0);
        let mut squares = 0.0;
        for group in self.by_column.iter() {
            squares += self.column_group::<K>(group, &operands, g, right_gradient);
        }
        left_gradient_t.as_mut_slice().fill(0.0);
        for group in self.by_row.iter() {
            self.row_group::<K>(group, operands.right, g, left_gradient_t);
        }
        squares
    }

    /// Entries sharing column j: their residuals and weights, and Σ gₖ·Lᵀ₍:,ᵢₖ₎ into column j
    /// of Lᵀ·G. Returns their Σ rₖ².
    #[inline(always)]
    fn column_group<K: Kernels>(
        &self,
        group: &[usize],
        operands: &Operands,
        g: &mut [f64],
        right_gradient: &mut DMatrix<f64>,
    ) -> f64 {
        let j = self.at[group[0]].1;
        let count = group.len();
        let mut lefts: [&[f64]; GROUP] = [&[]; GROUP];
        for (left, &k) in lefts.iter_mut().zip(group) {
            *left = column(operands.left_t, self.at[k].0);
        }
        let mut products = [0.0; GROUP];
        group_dots::<K>(&lefts[..count], column(operands.right, j), &mut products);
        let mut squares = 0.0;
        let mut weights = [0.0; GROUP];
        for ((weight, &k), product) in weights.iter_mut().zip(group).zip(products) {
            let residual = product - operands.targets[k];
            squares += residual * residual;
            g[k] = operands.c * residual;
            *weight = g[k];
        }
        let right_column = column_mut(right_gradient, j);
        group_axpys::<K>(&weights[..count], &lefts[..count], right_column);
        squares
    }

    /// Entries sharing row i: Σ gₖ·R₍:,ⱼₖ₎ into column i of R·Gᵀ.
    #[inline(always)]
    fn row_group<K: Kernels>(
        &self,
        group: &[usize],
        right: &DMatrix<f64>,
        g: &[f64],
        left_gradient_t: &mut DMatrix<f64>,
    ) {
        let i = self.at[group[0]].0;
        let count = group.len();
        let (mut rights, mut weights): ([&[f64]; GROUP], _) = ([&[]; GROUP], [0.0; GROUP]);
        for ((column_j, weight), &k) in rights.iter_mut().zip(&mut weights).zip(group) {
            *column_j = column(right, self.at[k].1);
            *weight = g[k];
        }
        let left_column = column_mut(left_gradient_t, i);
        group_axpys::<K>(&weights[..count], &rights[..count], left_column);
    }
}

/// `residual_products` as a task for the kernels' dispatch.
struct ResidualProducts<'a, 'p> {
    sampled: &'a Sampled<'p>,
    operands: Operands<'a>,
    buffers: Buffers<'a>,
}

impl WithKernels for ResidualProducts<'_, '_> {
    type Output = f64;

    #[inline(always)]
    fn run<K: Kernels>(self) -> f64 {
        self.sampled.passes::<K>(self.operands, self.buffers)
    }
}

/// What `residual_products` reads.
#[derive(Clone, Copy)]
struct Operands<'a> {
    left_t: &'a DMatrix<f64>,
    right: &'a DMatrix<f64>,
    targets: &'a [f64],
    c: f64,
}

/// What it writes: G's values, R·Gᵀ and Lᵀ·G.
type Buffers<'b> = (&'b mut [f64], &'b mut DMatrix<f64>, &'b mut DMatrix<f64>);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_the_dense_products() {
        let left = DMatrix::from_fn(3, 5, |i, j| (i as f64 + 1.0) * (j as f64 - 2.0));
        let right = DMatrix::from_fn(5, 4, |i, j| (i * j) as f64 - 1.5);
        let at = [(0, 0), (2, 1), (1, 3), (0, 3), (2, 3)];
        let y = [1.0, -2.0, 0.5, 3.0, 0.25];
        let c = 0.5;
        let product = &left * &right;
        let mut g = [0.0; 5];
        let mut sparse = DMatrix::zeros(3, 4);
        let mut squares = 0.0;
        for (k, &(i, j)) in at.iter().enumerate() {
            let r = product[(i, j)] - y[k];
            squares += r * r;
            sparse[(i, j)] = c * r;
        }
        let (mut left_gradient_t, mut right_gradient) =
            (DMatrix::zeros(5, 3), DMatrix::zeros(5, 4));
        let found = Sampled::new(&at).residual_products(
            &left.transpose(),
            &right,
            &y,
            c,
            &mut g,
            &mut left_gradient_t,
            &mut right_gradient,
        );
        assert_eq!(found, squares);
        for (k, &(i, j)) in at.iter().enumerate() {
            assert_eq!(g[k], sparse[(i, j)]);
        }
        assert_eq!(left_gradient_t, (&sparse * right.transpose()).transpose());
        assert_eq!(right_gradient, left.transpose() * &sparse);
    }
}
