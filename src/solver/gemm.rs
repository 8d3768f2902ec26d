//! C ← op(A)·op(B) for column-major matrices, where op is the identity or the transpose, read in
//! place through strides: the gradient products (W_N⋯W_{j+1})ᵀ … need transposes at every step,
//! and copying them costs as much as a small product. Large products go to matrixmultiply (the
//! GEMM nalgebra itself uses, with its AVX2/FMA kernels where the CPU has them); products with a
//! dimension of at most `SMALL` are plain loops, which beat its packing at that size (Razin &
//! Cohen's 2×2 problem).

use nalgebra::DMatrix;

/// A matrix or its transpose, as an operand.
#[derive(Debug, Clone, Copy)]
pub enum Op<'a> {
    /// The matrix as it is.
    Plain(&'a DMatrix<f64>),
    /// Its transpose, read in place.
    Transposed(&'a DMatrix<f64>),
}

impl Op<'_> {
    /// (rows, cols) of op(M).
    fn shape(&self) -> (usize, usize) {
        match self {
            Op::Plain(m) => m.shape(),
            Op::Transposed(m) => (m.ncols(), m.nrows()),
        }
    }

    /// Row and column strides of op(M) in M's column-major storage.
    fn strides(&self) -> (usize, usize) {
        match self {
            Op::Plain(m) => (1, m.nrows()),
            Op::Transposed(m) => (m.nrows(), 1),
        }
    }

    fn data(&self) -> &[f64] {
        match self {
            Op::Plain(m) | Op::Transposed(m) => m.as_slice(),
        }
    }
}

/// Products with a dimension at most this go through plain loops.
const SMALL: usize = 4;

/// `out` ← op(A)·op(B).
pub fn gemm(out: &mut DMatrix<f64>, a: Op, b: Op) {
    let ((m, k), (k_b, n)) = (a.shape(), b.shape());
    assert_eq!(k, k_b, "gemm: inner dimensions differ");
    assert_eq!(out.shape(), (m, n), "gemm: the output has the wrong shape");
    let ((rsa, csa), (rsb, csb)) = (a.strides(), b.strides());
    let (a_data, b_data) = (a.data(), b.data());
    if m.min(n).min(k) <= SMALL {
        for j in 0..n {
            for i in 0..m {
                out[(i, j)] = (0..k)
                    .map(|l| a_data[i * rsa + l * csa] * b_data[l * rsb + j * csb])
                    .sum();
            }
        }
        return;
    }
    let out_rows = out.nrows();
    // SAFETY: the pointers and strides describe exactly the matrices op(A) (m×k), op(B) (k×n)
    // and `out` (m×n), whose shapes were checked above; `out` is borrowed mutably, so it
    // overlaps neither operand.
    unsafe {
        matrixmultiply::dgemm(
            m,
            k,
            n,
            1.0,
            a_data.as_ptr(),
            rsa as isize,
            csa as isize,
            b_data.as_ptr(),
            rsb as isize,
            csb as isize,
            0.0,
            out.as_mut_slice().as_mut_ptr(),
            1,
            out_rows as isize,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_combination_of_transposes_at_every_size() {
        for (m, k, n) in [
            (1, 1, 1),
            (2, 3, 2),
            (3, 3, 3),
            (4, 7, 5),
            (6, 6, 6),
            (9, 5, 11),
        ] {
            let a = DMatrix::from_fn(m, k, |i, j| (i as f64 + 1.0) * 0.5 - j as f64);
            let b = DMatrix::from_fn(k, n, |i, j| (i * j) as f64 - 1.5);
            let (at, bt) = (a.transpose(), b.transpose());
            let expected = &a * &b;
            for (x, y) in [
                (Op::Plain(&a), Op::Plain(&b)),
                (Op::Transposed(&at), Op::Plain(&b)),
                (Op::Plain(&a), Op::Transposed(&bt)),
                (Op::Transposed(&at), Op::Transposed(&bt)),
            ] {
                let mut out = DMatrix::from_element(m, n, f64::NAN);
                gemm(&mut out, x, y);
                approx::assert_relative_eq!(out, expected, epsilon = 1e-12);
            }
        }
    }
}
