//! Singular value thresholding, Z = Σ_{σᵢ>τ} (σᵢ − τ)·uᵢvᵢᵀ (Cai, Candès, Shen 2010), from the
//! triplets above τ only. ADMM thresholds a matrix that moves little from one iteration to the
//! next and whose part above τ is low rank, so a full SVD (O(n³)) is replaced by one step of
//! subspace iteration from the previous iteration's right singular vectors (Halko, Martinsson,
//! Tropp 2011, Alg. 4.3 with a warm start, as large-scale SVT solvers do) and a Rayleigh–Ritz
//! projection, O(n²·b) for a block of b vectors:
//! - Q = orth(M·V) (Cholesky QR, Gram–Schmidt when the block is nearly dependent), C = MᵀQ;
//! - the b×b Gram matrix CᵀC = QᵀMMᵀQ = WΛWᵀ, by one-sided Jacobi on its Cholesky factor
//!   (nearly diagonal when warm, so a sweep or two), then Q ← QW and C ← CW: σᵢ = ‖cᵢ‖,
//!   vᵢ = cᵢ/σᵢ, uᵢ = qᵢ. Everything but the b×b rotations is a GEMM;
//! - the next V is the new vᵢ, by decreasing σᵢ, `OVERSAMPLE` more than there are above τ;
//! - when every σᵢ of the block exceeds τ, triplets above τ may lie outside it: the block grows
//!   (twice as wide, new directions from a fixed ChaCha stream) and the step is redone. A block
//!   as wide as min(rows, cols) is a full SVD.
//!
//! The step is exact at a fixed point (the block then spans the dominant right singular subspace)
//! and inexact in between; nothing certified relies on it, since the certificate is computed from Z
//! and the multipliers alone. Buffers are allocated when the block first needs their width (they
//! double, so at most log₂ min(rows, cols) times), never per call.

use super::gemm::{Block, gemm_blocks};
use crate::kernels::{dot, rotate};
use crate::random::{self, Rng};
use nalgebra::DMatrix;
use rand_distr::{Distribution, StandardNormal};

/// Vectors the block carries beyond those above τ: the gap they open (σ_{r+1}/σ_r < 1 over more
/// vectors) is what makes one step of subspace iteration per ADMM iteration converge.
const OVERSAMPLE: usize = 8;

/// `largest` keeps singular values at least this fraction of the largest in its block.
const CLUSTER: f64 = 0.9;

/// A sweep whose rotations were all smaller than this is the last (see `diagonalise`): it leaves
/// cosines of about 1e-8 between the Ritz vectors, far below what one step of subspace iteration
/// changes, and the next call orthonormalises M·V afresh. (1e-8 took a confirming sweep on most
/// calls: 8 % more instructions per solve, identical iterations and gaps.)
const SETTLED: f64 = 1e-4;

/// Jacobi's sweeps at most (warm blocks take one or two).
const JACOBI_SWEEPS: usize = 30;

/// SVT's state: the right singular vectors kept from the last call, and scratch. Buffers hold
/// `capacity` columns and grow (rarely, by doubling) when the block outgrows them.
pub struct Thresholder {
    rows: usize,
    cols: usize,
    /// b, the block's width.
    block: usize,
    /// cols × capacity; the first b columns are orthonormal, by decreasing σ.
    basis: DMatrix<f64>,
    /// rows × capacity: Q, then the left singular vectors (with `left_spare` for QW).
    left: DMatrix<f64>,
    left_spare: DMatrix<f64>,
    /// cols × capacity: C = MᵀQ, whose columns become σᵢ·vᵢ (with `right_spare` for CW).
    right: DMatrix<f64>,
    right_spare: DMatrix<f64>,
    /// capacity × capacity: CᵀC, then its eigenvectors W.
    gram: DMatrix<f64>,
    rotation: DMatrix<f64>,
    sigma: Vec<f64>,
    /// Jacobi's column norms.
    norms: Vec<f64>,
    order: Vec<usize>,
    rng: Rng,
    /// Operations done so far (`step_operations` and `forming_operations` for what it took).
    operations: f64,
}

/// Operations of one block step of b vectors on a rows × cols matrix: M·V and MᵀQ
/// (2·rows·cols·b each), Cholesky QR, CᵀC, Jacobi's sweeps on b×b, QW and CW.
pub fn step_operations(rows: f64, cols: f64, b: f64) -> f64 {
    4.0 * rows * cols * b + (6.0 * rows + 4.0 * cols) * b * b + 20.0 * b * b * b
}

/// Operations of forming a thresholded matrix from b triplets: one rows × b × cols product.
pub fn forming_operations(rows: f64, cols: f64, b: f64) -> f64 {
    2.0 * rows * cols * b
}

/// The narrowest block a step keeps: `OVERSAMPLE` beyond the values above τ, of which there may
/// be none.
pub const NARROWEST: usize = OVERSAMPLE;

impl Thresholder {
    /// Nothing kept yet: the first call starts from random directions.
    pub fn new(rows: usize, cols: usize) -> Self {
        let mut thresholder = Self {
            rows,
            cols,
            block: 0,
            basis: DMatrix::zeros(cols, 0),
            left: DMatrix::zeros(rows, 0),
            left_spare: DMatrix::zeros(rows, 0),
            right: DMatrix::zeros(cols, 0),
            right_spare: DMatrix::zeros(cols, 0),
            gram: DMatrix::zeros(0, 0),
            rotation: DMatrix::zeros(0, 0),
            sigma: Vec::new(),
            norms: Vec::new(),
            order: Vec::new(),
            rng: random::named_stream(0, "singular value thresholding"),
            operations: 0.0,
        };
        thresholder.widen(rows.min(cols).min(2 * OVERSAMPLE));
        thresholder
    }

    /// The operations its calls have done (`step_operations` each).
    pub fn operations(&self) -> f64 {
        self.operations
    }

    /// `out` ← SVT of `m` at `tau`; returns ‖out‖* = Σ(σᵢ − τ)₊, or `None` for a matrix with a
    /// non-finite entry.
    pub fn threshold(&mut self, m: &DMatrix<f64>, tau: f64, out: &mut DMatrix<f64>) -> Option<f64> {
        assert_eq!(m.shape(), (self.rows, self.cols), "SVT: wrong shape");
        if !m.iter().all(|x| x.is_finite()) {
            return None;
        }
        let p = self.rows.min(self.cols);
        let above = loop {
            self.project(m);
            let above = self.sigma[..self.block]
                .iter()
                .filter(|&&s| s > tau)
                .count();
            if above < self.block || self.block == p {
                break above;
            }
            self.keep(self.block);
            self.widen(p.min(2 * self.block));
        };
        let b = self.block;
        self.operations += forming_operations(self.rows as f64, self.cols as f64, b as f64);
        // out = Σ_{σᵢ>τ} qᵢ·((σᵢ − τ)/σᵢ)·cᵢᵀ, with cᵢ = σᵢvᵢ.
        let (rows, cols) = (self.rows, self.cols);
        let mut norm = 0.0;
        for (i, &s) in self.sigma[..b].iter().enumerate() {
            let scale = if s > tau { (s - tau) / s } else { 0.0 };
            norm += (s - tau).max(0.0);
            let (q, out) = (
                &self.left.as_slice()[i * rows..(i + 1) * rows],
                &mut self.left_spare.as_mut_slice()[i * rows..(i + 1) * rows],
            );
            for (o, q) in out.iter_mut().zip(q) {
                *o = scale * q;
            }
        }
        gemm_blocks(
            out.as_mut_slice(),
            rows,
            Block::columns(self.left_spare.as_slice(), rows, b),
            Block::columns(self.right.as_slice(), cols, b).t(),
        );
        self.keep((above + OVERSAMPLE).max(1).min(p));
        Some(norm)
    }

    /// σ₁(m), estimated (from below) by one warm step of the same subspace iteration, whose block
    /// keeps the values within `CLUSTER` of the largest and `OVERSAMPLE` more: a dual
    /// certificate's top singular values cluster near 1, and a block that holds the cluster
    /// resolves its largest member where a single vector would not. `None` for a non-finite m.
    pub fn largest(&mut self, m: &DMatrix<f64>) -> Option<f64> {
        assert_eq!(m.shape(), (self.rows, self.cols), "SVT: wrong shape");
        if !m.iter().all(|x| x.is_finite()) {
            return None;
        }
        let p = self.rows.min(self.cols);
        loop {
            self.project(m);
            let b = self.block;
            let top = self.sigma[..b].iter().fold(0.0, |a: f64, &s| a.max(s));
            let near = self.sigma[..b]
                .iter()
                .filter(|&&s| s >= CLUSTER * top)
                .count();
            if near < b || b == p {
                self.keep((near + OVERSAMPLE).max(1).min(p));
                return Some(top);
            }
            self.keep(b);
            self.widen(p.min(2 * b));
        }
    }

    /// One step of subspace iteration from the basis and its Rayleigh–Ritz projection: Q, C and
    /// σ for the current block.
    fn project(&mut self, m: &DMatrix<f64>) {
        let (rows, cols, b) = (self.rows, self.cols, self.block);
        self.operations += step_operations(rows as f64, cols as f64, b as f64);
        let m_block = Block::columns(m.as_slice(), rows, cols);
        gemm_blocks(
            self.left.as_mut_slice(),
            rows,
            m_block,
            Block::columns(self.basis.as_slice(), cols, b),
        );
        orthonormalise(
            &mut self.left,
            b,
            &mut self.gram,
            &mut self.left_spare,
            &mut self.rng,
        );
        gemm_blocks(
            self.right.as_mut_slice(),
            cols,
            m_block.t(),
            Block::columns(self.left.as_slice(), rows, b),
        );
        let capacity = self.gram.nrows();
        let right = Block::columns(self.right.as_slice(), cols, b);
        gemm_blocks(self.gram.as_mut_slice(), capacity, right.t(), right);
        diagonalise(&mut self.gram, &mut self.rotation, &mut self.norms, b);
        let w = Block::leading(self.rotation.as_slice(), capacity, b, b);
        let q = Block::columns(self.left.as_slice(), rows, b);
        gemm_blocks(self.left_spare.as_mut_slice(), rows, q, w);
        let c = Block::columns(self.right.as_slice(), cols, b);
        gemm_blocks(self.right_spare.as_mut_slice(), cols, c, w);
        std::mem::swap(&mut self.left, &mut self.left_spare);
        std::mem::swap(&mut self.right, &mut self.right_spare);
        for (s, c) in self.sigma.iter_mut().zip(self.right.column_iter()).take(b) {
            *s = c.norm();
        }
    }

    /// The next basis: the `width` right singular vectors with the largest σ (a vanishing σ
    /// leaves a random direction).
    fn keep(&mut self, width: usize) {
        let b = self.block;
        self.order.clear();
        self.order.extend(0..b);
        let sigma = &self.sigma;
        self.order
            .sort_by(|&i, &j| sigma[j].total_cmp(&sigma[i]).then(i.cmp(&j)));
        let (mut orthonormal, cols) = (width <= b, self.cols);
        for (slot, &i) in self.order.iter().take(width).enumerate() {
            let s = self.sigma[i];
            let column = &mut self.basis.as_mut_slice()[slot * cols..(slot + 1) * cols];
            if s > 0.0 {
                let c = &self.right.as_slice()[i * cols..(i + 1) * cols];
                for (v, c) in column.iter_mut().zip(c) {
                    *v = c / s;
                }
            } else {
                fill_random(column, &mut self.rng);
                orthonormal = false;
            }
        }
        // The vᵢ are orthonormal to rounding already (Jacobi diagonalised CᵀC): only new or
        // random columns need the basis made orthonormal again.
        if orthonormal {
            self.block = width;
        } else {
            self.block = width.min(b);
            self.widen(width);
        }
    }

    /// Widens the block to `width` columns with random directions (growing the buffers if
    /// needed), then makes the basis orthonormal again.
    fn widen(&mut self, width: usize) {
        if width > self.basis.ncols() {
            let capacity = (2 * self.basis.ncols())
                .max(width)
                .min(self.rows.min(self.cols));
            let (rows, cols) = (self.rows, self.cols);
            self.basis.resize_horizontally_mut(capacity, 0.0);
            for buffer in [&mut self.left, &mut self.left_spare] {
                *buffer = DMatrix::zeros(rows, capacity);
            }
            for buffer in [&mut self.right, &mut self.right_spare] {
                *buffer = DMatrix::zeros(cols, capacity);
            }
            self.gram = DMatrix::zeros(capacity, capacity);
            self.rotation = DMatrix::zeros(capacity, capacity);
            self.sigma.resize(capacity, 0.0);
            self.norms.resize(capacity, 0.0);
            self.order.reserve(capacity);
        }
        for j in self.block..width {
            fill_random(self.basis.column_mut(j).as_mut_slice(), &mut self.rng);
        }
        self.block = width;
        orthonormalise(
            &mut self.basis,
            width,
            &mut self.gram,
            &mut self.right_spare,
            &mut self.rng,
        );
    }
}

fn fill_random(column: &mut [f64], rng: &mut Rng) {
    for x in column {
        *x = StandardNormal.sample(rng);
    }
}

/// Makes the first `width` columns of `a` orthonormal in place. Fast path, all GEMMs: Cholesky QR
/// on unit-normalised columns (Fukaya et al. 2014), once when its bound on κ says one pass is
/// accurate (warm blocks), twice otherwise; `gram` and `spare` (width × width and like `a`) are
/// scratch.
/// Otherwise classical Gram–Schmidt twice ("twice is enough", Giraud et al. 2005), which replaces
/// a column that vanishes against those before it (M of rank below the block) by a random one.
fn orthonormalise(
    a: &mut DMatrix<f64>,
    width: usize,
    gram: &mut DMatrix<f64>,
    spare: &mut DMatrix<f64>,
    rng: &mut Rng,
) {
    for mut column in a.columns_mut(0, width).column_iter_mut() {
        let norm = column.norm();
        if norm > 0.0 {
            column.unscale_mut(norm);
        }
    }
    match cholesky_qr(a, width, gram, spare) {
        // One pass leaves AᵀA − I of about κ(A)²·ε (Yamamoto et al. 2015); κ(A) ≤ ‖R‖_F‖R⁻¹‖_F.
        Some(condition) if condition * condition * f64::EPSILON <= 1e-11 => {}
        Some(_) if cholesky_qr(a, width, gram, spare).is_some() => {}
        _ => gram_schmidt(a, width, rng),
    }
}

/// One pass of Cholesky QR: AᵀA = RᵀR, A ← AR⁻¹; returns the bound ‖R‖_F‖R⁻¹‖_F ≥ κ(A), or
/// `None` (A unchanged) when a pivot shows the columns too close to dependent for the Gram
/// matrix to resolve them.
fn cholesky_qr(
    a: &mut DMatrix<f64>,
    width: usize,
    gram: &mut DMatrix<f64>,
    spare: &mut DMatrix<f64>,
) -> Option<f64> {
    let (rows, ld) = (a.nrows(), gram.nrows());
    let columns = Block::columns(a.as_slice(), rows, width);
    gemm_blocks(gram.as_mut_slice(), ld, columns.t(), columns);
    // The columns have unit norm: a pivot below 1e-8 means κ(A) ≳ 1e4.
    cholesky(gram, width, 1e-8)?;
    // R⁻¹ column by column (LAPACK's dtrti2): S(:j, j) = −S(:j, :j)·R(:j, j)/R(j, j), top down,
    // so each R(k, j) is read before its place is taken.
    for j in 0..width {
        let inverse_pivot = 1.0 / gram[(j, j)];
        gram[(j, j)] = inverse_pivot;
        for i in 0..j {
            let x: f64 = (i..j).map(|k| gram[(i, k)] * gram[(k, j)]).sum();
            gram[(i, j)] = -x * inverse_pivot;
        }
    }
    // `cholesky` left zeros below the diagonal, so the leading block is R⁻¹ whole.
    let inverse_norm: f64 = (0..width)
        .flat_map(|j| (0..=j).map(move |i| (i, j)))
        .map(|(i, j)| gram[(i, j)] * gram[(i, j)])
        .sum();
    let inverse = Block::leading(gram.as_slice(), ld, width, width);
    gemm_blocks(spare.as_mut_slice(), rows, columns, inverse);
    a.columns_mut(0, width).copy_from(&spare.columns(0, width));
    // The columns of A were of unit norm, so ‖R‖²_F = ‖A‖²_F = width.
    Some((width as f64 * inverse_norm).sqrt())
}

/// AᵀA = RᵀR in place for the symmetric positive semidefinite leading `width` block of `a`: R in
/// the upper triangle (row by row, so that R's columns are contiguous), zeros below. A pivot at
/// or below `floor` is `None` when `floor` > 0; with `floor` = 0 a vanishing pivot (a semidefinite
/// A) zeroes its row of R, which keeps RᵀR = A to rounding.
fn cholesky(a: &mut DMatrix<f64>, width: usize, floor: f64) -> Option<()> {
    let rows = a.nrows();
    for j in 0..width {
        for i in 0..j {
            let (ci, cj) = pair(a.as_mut_slice(), rows, i, j);
            let x = cj[i] - dot(&ci[..i], &cj[..i]);
            cj[i] = if ci[i] > 0.0 { x / ci[i] } else { 0.0 };
        }
        let column = &mut a.as_mut_slice()[j * rows..(j + 1) * rows];
        let x = column[j] - dot(&column[..j], &column[..j]);
        if x > floor && x > 0.0 {
            column[j] = x.sqrt();
        } else if floor > 0.0 {
            return None;
        } else {
            column[j] = 0.0;
        }
    }
    for j in 0..width {
        for i in j + 1..width {
            a[(i, j)] = 0.0;
        }
    }
    Some(())
}

/// Classical Gram–Schmidt, twice, column by column.
fn gram_schmidt(a: &mut DMatrix<f64>, width: usize, rng: &mut Rng) {
    let rows = a.nrows();
    let data = a.as_mut_slice();
    for j in 0..width {
        let (done, rest) = data.split_at_mut(j * rows);
        let column = &mut rest[..rows];
        for attempt in 0.. {
            let before = dot(column, column).sqrt();
            for _ in 0..2 {
                for q in done.chunks_exact(rows) {
                    let h = dot(q, column);
                    column.iter_mut().zip(q).for_each(|(x, q)| *x -= h * q);
                }
            }
            let after = dot(column, column).sqrt();
            if after > 1e-8 * before && after > 0.0 {
                column.iter_mut().for_each(|x| *x /= after);
                break;
            }
            assert!(attempt < 100, "random directions stay independent");
            fill_random(column, rng);
        }
    }
}

/// The eigenvectors W of the symmetric positive semidefinite leading `width` block of `gram`
/// (CᵀC): its Cholesky factor R (CᵀC = RᵀR), whose columns one-sided Jacobi (Hestenes 1958;
/// LAPACK's dgesvj) rotates until they are orthogonal: then RW has orthogonal columns, so
/// WᵀCᵀCW is diagonal. Every rotation touches four contiguous columns of length `width`, and
/// nearly orthogonal (warm) columns take a sweep or two. `gram` ends holding RW.
fn diagonalise(gram: &mut DMatrix<f64>, w: &mut DMatrix<f64>, norms: &mut [f64], width: usize) {
    cholesky(gram, width, 0.0);
    w.fill(0.0);
    for i in 0..width {
        w[(i, i)] = 1.0;
    }
    let (ld, tolerance) = (gram.nrows(), width as f64 * f64::EPSILON);
    for _ in 0..JACOBI_SWEEPS {
        // ‖rᵢ‖², afresh each sweep and carried through its rotations.
        for (i, norm) in norms.iter_mut().enumerate().take(width) {
            let column = &gram.as_slice()[i * ld..i * ld + width];
            *norm = dot(column, column);
        }
        // The largest |rᵢ·rⱼ|/(‖rᵢ‖‖rⱼ‖) met in the sweep.
        let mut worst: f64 = 0.0;
        for j in 1..width {
            for i in 0..j {
                let (ri, rj) = pair(gram.as_mut_slice(), ld, i, j);
                let (ri, rj) = (&mut ri[..width], &mut rj[..width]);
                let gamma = dot(ri, rj);
                let (alpha, beta) = (norms[i], norms[j]);
                let scale = (alpha * beta).sqrt();
                if gamma.abs() <= tolerance * scale {
                    continue;
                }
                worst = worst.max(gamma.abs() / scale);
                let zeta = (beta - alpha) / (2.0 * gamma);
                let t = zeta.signum() / (zeta.abs() + (1.0 + zeta * zeta).sqrt());
                let cos = 1.0 / (1.0 + t * t).sqrt();
                let sin = cos * t;
                rotate(ri, rj, cos, sin);
                norms[i] = (alpha - t * gamma).max(0.0);
                norms[j] = beta + t * gamma;
                let (wi, wj) = pair(w.as_mut_slice(), ld, i, j);
                rotate(&mut wi[..width], &mut wj[..width], cos, sin);
            }
        }
        // Jacobi converges quadratically: cosines below `SETTLED` leave ones of about their
        // square, so no further sweep is needed.
        if worst <= SETTLED {
            return;
        }
    }
}

/// Columns i < j of a column-major buffer with `rows` rows, both mutable.
fn pair(data: &mut [f64], rows: usize, i: usize, j: usize) -> (&mut [f64], &mut [f64]) {
    let (head, tail) = data.split_at_mut(j * rows);
    (&mut head[i * rows..(i + 1) * rows], &mut tail[..rows])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::ThinSvd;

    /// The reference: SVT from a full SVD.
    fn full(m: &DMatrix<f64>, tau: f64) -> (DMatrix<f64>, f64) {
        let svd = ThinSvd::of(m.clone()).expect("finite");
        let norm = svd
            .singular_values()
            .iter()
            .map(|s| (s - tau).max(0.0))
            .sum();
        let mut out = DMatrix::zeros(m.nrows(), m.ncols());
        svd.map_into(|s| (s - tau).max(0.0), 0.0, &mut out);
        (out, norm)
    }

    fn low_rank_plus_noise(rows: usize, cols: usize, rank: usize, seed: u64) -> DMatrix<f64> {
        let mut rng = random::problem_stream(seed);
        let a = random::gaussian_matrix(rows, rank, 1.0, &mut rng);
        let b = random::gaussian_matrix(rank, cols, 1.0, &mut rng);
        a * b * 3.0 + random::gaussian_matrix(rows, cols, 0.1, &mut rng)
    }

    #[test]
    fn repeated_calls_converge_to_the_full_svt_at_every_shape() {
        for (rows, cols, rank) in [
            (30, 30, 3),
            (40, 25, 5),
            (25, 40, 2),
            (7, 3, 1),
            (60, 60, 20),
        ] {
            let m = low_rank_plus_noise(rows, cols, rank, rows as u64);
            let tau = 1.0;
            let (expected, expected_norm) = full(&m, tau);
            let mut svt = Thresholder::new(rows, cols);
            let mut out = DMatrix::zeros(rows, cols);
            let mut norm = 0.0;
            for _ in 0..30 {
                norm = svt.threshold(&m, tau, &mut out).expect("finite");
            }
            approx::assert_relative_eq!(out, expected, epsilon = 1e-10, max_relative = 1e-10);
            approx::assert_relative_eq!(norm, expected_norm, max_relative = 1e-12);
        }
    }

    #[test]
    fn a_threshold_below_every_value_gives_the_matrix_back_shifted() {
        let m = low_rank_plus_noise(12, 9, 9, 1);
        let (expected, _) = full(&m, 1e-3);
        let mut svt = Thresholder::new(12, 9);
        let mut out = DMatrix::zeros(12, 9);
        for _ in 0..5 {
            svt.threshold(&m, 1e-3, &mut out).expect("finite");
        }
        approx::assert_relative_eq!(out, expected, epsilon = 1e-10);
    }

    #[test]
    fn orthonormalising_keeps_the_span_for_well_and_badly_conditioned_columns() {
        let mut rng = random::problem_stream(7);
        for (rows, width, dependence) in
            [(40, 10, 0.0), (40, 10, 1e-6), (40, 10, 1e-12), (9, 9, 0.5)]
        {
            let mut a = random::gaussian_matrix(rows, width, 1.0, &mut rng);
            // Column 3 nearly a copy of column 2: cond(A) ~ 1/dependence.
            let copy = a.column(2) + a.column(3) * dependence;
            a.set_column(3, &copy);
            let original = a.clone();
            let (mut gram, mut spare) = (DMatrix::zeros(width, width), a.clone());
            orthonormalise(&mut a, width, &mut gram, &mut spare, &mut rng);
            let identity = DMatrix::<f64>::identity(width, width);
            approx::assert_relative_eq!(a.transpose() * &a, identity, epsilon = 1e-12);
            if dependence >= 1e-6 {
                // The columns span the same space: projecting the originals changes nothing.
                let projected = &a * (a.transpose() * &original);
                approx::assert_relative_eq!(projected, original, epsilon = 1e-8);
            }
        }
    }

    #[test]
    fn the_largest_singular_value_from_below_and_to_rounding_when_warm() {
        let m = low_rank_plus_noise(50, 40, 6, 3);
        let exact = crate::measure::singular_values(&m)[0];
        let mut svt = Thresholder::new(50, 40);
        let mut estimate = 0.0;
        for _ in 0..20 {
            estimate = svt.largest(&m).expect("finite");
            assert!(estimate <= exact * (1.0 + 1e-14));
        }
        approx::assert_relative_eq!(estimate, exact, max_relative = 1e-12);
    }

    #[test]
    fn zero_and_non_finite_matrices() {
        let mut svt = Thresholder::new(5, 4);
        let mut out = DMatrix::from_element(5, 4, 7.0);
        assert_eq!(
            svt.threshold(&DMatrix::zeros(5, 4), 0.1, &mut out),
            Some(0.0)
        );
        assert_eq!(out, DMatrix::zeros(5, 4));
        let mut bad = DMatrix::zeros(5, 4);
        bad[(1, 2)] = f64::NAN;
        assert_eq!(svt.threshold(&bad, 0.1, &mut out), None);
    }
}
