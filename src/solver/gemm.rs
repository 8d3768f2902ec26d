//! C ← op(A)·op(B) for column-major matrices, where op is the identity or the transpose, read in
//! place through strides: the gradient products (W_N⋯W_{j+1})ᵀ … need transposes at every step,
//! and copying them costs as much as a small product. Large products go to matrixmultiply (the
//! GEMM nalgebra itself uses, with its AVX2/FMA kernels where the CPU has them); products of at
//! most `SMALL` multiply-adds are plain loops, which beat its packing at that size (Razin &
//! Cohen's 2×2 problem). A thin product of large matrices (a d×d layer times a d×1 vector) is
//! not small: its loops ran one dependent sum per entry, twice numpy's time at d = 256.

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
}

impl<'a> Op<'a> {
    /// op(M) as a strided block of M's storage.
    pub fn block(self) -> Block<'a> {
        let (rows, cols) = self.shape();
        let (row_stride, col_stride) = self.strides();
        let data = match self {
            Op::Plain(m) | Op::Transposed(m) => m.as_slice(),
        };
        Block {
            data,
            rows,
            cols,
            row_stride,
            col_stride,
        }
    }
}

/// A rows×cols matrix read from `data` with the given strides: a leading block of columns of a
/// larger buffer (`Block::columns`), or a transpose read in place.
#[derive(Debug, Clone, Copy)]
pub struct Block<'a> {
    /// The storage, covering every element the strides reach.
    pub data: &'a [f64],
    /// Rows of the block.
    pub rows: usize,
    /// Columns of the block.
    pub cols: usize,
    /// Distance between consecutive rows.
    pub row_stride: usize,
    /// Distance between consecutive columns.
    pub col_stride: usize,
}

impl<'a> Block<'a> {
    /// The first `cols` columns of a column-major matrix with `rows` rows stored in `data`.
    pub fn columns(data: &'a [f64], rows: usize, cols: usize) -> Self {
        Self::leading(data, rows, rows, cols)
    }

    /// The leading rows×cols block of a column-major matrix with `stride` ≥ rows rows.
    pub fn leading(data: &'a [f64], stride: usize, rows: usize, cols: usize) -> Self {
        Self {
            data,
            rows,
            cols,
            row_stride: 1,
            col_stride: stride,
        }
    }

    /// The same block, transposed in place.
    pub fn t(self) -> Self {
        Self {
            rows: self.cols,
            cols: self.rows,
            row_stride: self.col_stride,
            col_stride: self.row_stride,
            ..self
        }
    }

    /// Whether every element the strides reach lies in `data`.
    fn fits(&self) -> bool {
        self.rows == 0
            || self.cols == 0
            || (self.rows - 1) * self.row_stride + (self.cols - 1) * self.col_stride
                < self.data.len()
    }
}

/// Products of at most this many multiply-adds (m·k·n) go through plain loops.
const SMALL: usize = 512;

/// `out` ← op(A)·op(B).
pub fn gemm(out: &mut DMatrix<f64>, a: Op, b: Op) {
    let rows = out.nrows();
    assert_eq!(
        out.shape(),
        (a.shape().0, b.shape().1),
        "gemm: the output has the wrong shape"
    );
    gemm_blocks(out.as_mut_slice(), rows, a.block(), b.block());
}

/// The leading m×n block of a column-major `out` with `out_rows` ≥ m rows ← A·B (whatever it
/// held, NaN included, is overwritten).
pub fn gemm_blocks(out: &mut [f64], out_rows: usize, a: Block, b: Block) {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    assert_eq!(k, b.rows, "gemm: inner dimensions differ");
    assert!(
        a.fits() && b.fits() && out_rows >= m && (n == 0 || out.len() >= out_rows * (n - 1) + m),
        "gemm: a block exceeds its storage"
    );
    let ((rsa, csa), (rsb, csb)) = ((a.row_stride, a.col_stride), (b.row_stride, b.col_stride));
    let (a_data, b_data) = (a.data, b.data);
    if m.saturating_mul(k).saturating_mul(n) <= SMALL {
        for j in 0..n {
            for i in 0..m {
                out[i + j * out_rows] = (0..k)
                    .map(|l| a_data[i * rsa + l * csa] * b_data[l * rsb + j * csb])
                    .sum();
            }
        }
        return;
    }
    // SAFETY: `fits` checked that the strides keep A (m×k) and B (k×n) inside their slices, and
    // `out` holds the m×n block at its stride; `out` is borrowed mutably, so it overlaps neither operand.
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
            out.as_mut_ptr(),
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
