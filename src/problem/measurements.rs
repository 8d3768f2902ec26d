//! Dense measurements 𝒜(W) = (⟨A_k, W⟩)_k and the adjoint 𝒜*(v) = Σ_k v_k A_k with every A_k
//! stored as one contiguous column vec(A_k) (column-major), so that both stream through the
//! measurements once, four at a time against the shared vec(W) or into the shared output
//! (`kernels`): matrix sensing's cost is reading its measurements.

use crate::kernels::{self, GROUP, Kernels, WithKernels, group_axpys, group_dots};
use nalgebra::DMatrix;

/// observed_k = ⟨A_k, W⟩ for the columns vec(A_k) of `matrices` and `w` = vec(W).
pub fn observe(matrices: &DMatrix<f64>, w: &[f64], observed: &mut [f64]) {
    kernels::dispatch(Observe {
        matrices,
        w,
        observed,
    })
}

/// out ← out + alpha·Σ_k v_k A_k.
pub fn add_adjoint(matrices: &DMatrix<f64>, alpha: f64, v: &[f64], out: &mut [f64]) {
    kernels::dispatch(Adjoint {
        matrices,
        alpha,
        v,
        out,
    })
}

/// The columns of `matrices` (never empty: a problem has rows·cols ≥ 1) in groups of `GROUP`,
/// the last possibly shorter, with the index of each group's first column.
fn groups(matrices: &DMatrix<f64>) -> impl Iterator<Item = (usize, &[f64])> {
    matrices
        .as_slice()
        .chunks(GROUP * matrices.nrows())
        .enumerate()
        .map(move |(g, chunk)| (g * GROUP, chunk))
}

/// The columns of one chunk, and how many there are (a loop, not a closure: closures would
/// not be compiled with the dispatching function's CPU features).
#[inline(always)]
fn columns(chunk: &[f64], n: usize) -> ([&[f64]; GROUP], usize) {
    let mut columns: [&[f64]; GROUP] = [&[]; GROUP];
    let count = chunk.len() / n;
    for (r, column) in columns.iter_mut().take(count).enumerate() {
        *column = &chunk[r * n..(r + 1) * n];
    }
    (columns, count)
}

struct Observe<'a> {
    matrices: &'a DMatrix<f64>,
    w: &'a [f64],
    observed: &'a mut [f64],
}

impl WithKernels for Observe<'_> {
    type Output = ();

    #[inline(always)]
    fn run<K: Kernels>(self) {
        let n = self.matrices.nrows();
        for (first, chunk) in groups(self.matrices) {
            let (columns, count) = columns(chunk, n);
            group_dots::<K>(&columns[..count], self.w, &mut self.observed[first..]);
        }
    }
}

struct Adjoint<'a> {
    matrices: &'a DMatrix<f64>,
    alpha: f64,
    v: &'a [f64],
    out: &'a mut [f64],
}

impl WithKernels for Adjoint<'_> {
    type Output = ();

    #[inline(always)]
    fn run<K: Kernels>(self) {
        let n = self.matrices.nrows();
        for (first, chunk) in groups(self.matrices) {
            let (columns, count) = columns(chunk, n);
            let mut g = [0.0; GROUP];
            for (weight, v) in g.iter_mut().zip(&self.v[first..first + count]) {
                *weight = self.alpha * v;
            }
            group_axpys::<K>(&g[..count], &columns[..count], self.out);
        }
    }
}
