//! Dense measurements 𝒜(W) = (⟨A_k, W⟩)_k and the adjoint 𝒜*(v) = Σ_k v_k A_k with every A_k
//! stored as one contiguous column vec(A_k) (column-major), so that both stream through the
//! measurements once, four at a time against the shared vec(W) or into the shared output
//! (`kernels`): matrix sensing's cost is reading its measurements.

use crate::kernels::{self, Kernels, WithKernels};
use nalgebra::DMatrix;

/// How many measurements share one pass over vec(W) or the output.
const GROUP: usize = 4;

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

/// R consecutive columns of one chunk (a loop, not a closure: closures would not be compiled
/// with the dispatching function's CPU features).
#[inline(always)]
fn columns<const R: usize>(chunk: &[f64], n: usize) -> [&[f64]; R] {
    let mut columns: [&[f64]; R] = [&[]; R];
    for (r, column) in columns.iter_mut().enumerate() {
        *column = &chunk[r * n..(r + 1) * n];
    }
    columns
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
            let out = &mut self.observed[first..];
            match chunk.len() / n {
                1 => out[..1].copy_from_slice(&K::dots(columns::<1>(chunk, n), self.w)),
                2 => out[..2].copy_from_slice(&K::dots(columns::<2>(chunk, n), self.w)),
                3 => out[..3].copy_from_slice(&K::dots(columns::<3>(chunk, n), self.w)),
                _ => out[..GROUP].copy_from_slice(&K::dots(columns::<GROUP>(chunk, n), self.w)),
            }
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
            let mut g = [0.0; GROUP];
            for (weight, v) in g.iter_mut().zip(&self.v[first..]) {
                *weight = self.alpha * v;
            }
            match chunk.len() / n {
                1 => K::axpys([g[0]], columns::<1>(chunk, n), self.out),
                2 => K::axpys([g[0], g[1]], columns::<2>(chunk, n), self.out),
                3 => K::axpys([g[0], g[1], g[2]], columns::<3>(chunk, n), self.out),
                _ => K::axpys(g, columns::<GROUP>(chunk, n), self.out),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observe_and_adjoint_are_the_operator_and_its_transpose() {
        for k in 1..=9 {
            let n = 7;
            let matrices = DMatrix::from_fn(n, k, |i, j| ((i * 3 + j * 5) % 11) as f64 - 5.0);
            let w: Vec<f64> = (0..n).map(|i| i as f64 * 0.5 - 1.0).collect();
            let mut observed = vec![f64::NAN; k];
            observe(&matrices, &w, &mut observed);
            let expected = matrices.transpose() * nalgebra::DVector::from_column_slice(&w);
            for (o, e) in observed.iter().zip(expected.iter()) {
                assert!((o - e).abs() <= 1e-12 * (1.0 + e.abs()));
            }
            let v: Vec<f64> = (0..k).map(|j| 1.0 - j as f64).collect();
            let mut out = vec![1.0; n];
            add_adjoint(&matrices, 2.0, &v, &mut out);
            let expected = &matrices * nalgebra::DVector::from_column_slice(&v) * 2.0;
            for (o, e) in out.iter().zip(expected.iter()) {
                assert!((o - 1.0 - e).abs() <= 1e-12 * (1.0 + e.abs()));
            }
        }
    }
}
