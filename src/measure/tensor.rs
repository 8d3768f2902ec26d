//! Tensors held as their mode-1 unfolding (`problem::TensorSpec`): their matricisations, and the
//! bracket on CP rank (Razin, Maman, Cohen 2021 have no convex certificate for tensor rank; a
//! bracket is what can be proved). Every matricisation — the modes split into two groups, the
//! entries laid out as a matrix with one group's indices for rows — of a tensor of CP rank r has
//! rank at most r (each component is rank one in every matricisation), so the largest
//! matricisation rank bounds the CP rank below; a CP decomposition with R significant
//! components bounds it above. When the two meet, the rank is certified (up to the tolerance
//! that decides "significant"); at order 2 both are the matrix rank.

use super::spectrum::singular_values;
use nalgebra::DMatrix;

/// The largest numerical rank (singular values above `tol`·σ₁) over the 2^{N−1} − 1
/// matricisations of the tensor whose mode-1 unfolding is `unfolding` and whose mode sizes are
/// `modes` (mode 1 fastest in the flat storage): a lower bound on its CP rank.
pub fn matricisation_rank(unfolding: &DMatrix<f64>, modes: &[usize], tol: f64) -> usize {
    let order = modes.len();
    // Each split is a set of modes that holds mode 1 and not every mode (bit n − 1 is mode n):
    // mode 1 with any proper subset of the others.
    (0..(1usize << (order - 1)) - 1)
        .map(|others| numerical_rank(&matricise(unfolding, modes, 1 | (others << 1)), tol))
        .max()
        .unwrap_or_else(|| numerical_rank(unfolding, tol))
}

/// Singular values above tol·σ₁ (none of a zero or non-finite matrix).
fn numerical_rank(m: &DMatrix<f64>, tol: f64) -> usize {
    let sigma = singular_values(m);
    let top = sigma.first().copied().unwrap_or(0.0);
    if !(top > 0.0 && top.is_finite()) {
        return 0;
    }
    sigma.iter().filter(|&&s| s > tol * top).count()
}

/// The matricisation whose rows run over the modes in the bit set `row_modes` (in mode order,
/// the first fastest) and whose columns run over the others.
fn matricise(unfolding: &DMatrix<f64>, modes: &[usize], row_modes: usize) -> DMatrix<f64> {
    let in_rows = |n: usize| row_modes & (1 << n) != 0;
    let rows: usize = (0..modes.len())
        .filter(|&n| in_rows(n))
        .map(|n| modes[n])
        .product();
    let cols = unfolding.len() / rows.max(1);
    let mut out = DMatrix::zeros(rows, cols);
    for (flat, &value) in unfolding.as_slice().iter().enumerate() {
        let (mut rest, mut row, mut col) = (flat, 0, 0);
        let (mut row_stride, mut col_stride) = (1, 1);
        for (n, &d) in modes.iter().enumerate() {
            let index = rest % d;
            rest /= d;
            if in_rows(n) {
                row += index * row_stride;
                row_stride *= d;
            } else {
                col += index * col_stride;
                col_stride *= d;
            }
        }
        out[(row, col)] = value;
    }
    out
}

/// ‖a_r⁽¹⁾ ⊗ ⋯ ⊗ a_r⁽ᴺ⁾‖_F = ∏_n ‖a_r⁽ⁿ⁾‖ for each component r of a CP decomposition whose
/// factor matrices A⁽ⁿ⁾ hold a_r⁽ⁿ⁾ as column r, largest first.
pub fn component_norms(factors: &[DMatrix<f64>]) -> Vec<f64> {
    let mut norms = Vec::new();
    component_norms_into(factors, &mut norms);
    norms
}

/// `component_norms` into `norms`, which allocates nothing once it has room (a run's watch
/// asks at every step).
pub fn component_norms_into(factors: &[DMatrix<f64>], norms: &mut Vec<f64>) {
    let components = factors.first().map_or(0, |f| f.ncols());
    norms.clear();
    norms.extend(
        (0..components).map(|r| factors.iter().map(|f| f.column(r).norm()).product::<f64>()),
    );
    norms.sort_unstable_by(|a, b| b.total_cmp(a));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_matricisation_of_an_order_3_tensor_is_laid_out_by_its_modes() {
        // T[i, j, k] = 100i + 10j + k with modes (2, 3, 2), mode-1 unfolding column j + 3k.
        let modes = [2, 3, 2];
        let unfolding = DMatrix::from_fn(2, 6, |i, c| (100 * i + 10 * (c % 3) + c / 3) as f64);
        // Rows over modes 1 and 3 (i fastest, then k), columns over mode 2.
        let m = matricise(&unfolding, &modes, 0b101);
        assert_eq!(m.shape(), (4, 3));
        assert_eq!(m[(1 + 2, 2)], 100.0 + 20.0 + 1.0);
        assert_eq!(matricise(&unfolding, &modes, 0b001), unfolding);
    }

    #[test]
    fn a_sum_of_two_rank_one_tensors_has_matricisation_rank_two() {
        let a = DMatrix::from_row_slice(3, 2, &[1.0, 0.0, 2.0, 1.0, 0.5, -1.0]);
        let b = DMatrix::from_row_slice(3, 2, &[0.0, 1.0, 1.0, 1.0, 3.0, 0.0]);
        let c = DMatrix::from_row_slice(3, 2, &[1.0, 2.0, -1.0, 1.0, 1.0, 1.0]);
        let unfolding = DMatrix::from_fn(3, 9, |i, col| {
            (0..2)
                .map(|r| a[(i, r)] * b[(col % 3, r)] * c[(col / 3, r)])
                .sum()
        });
        assert_eq!(matricisation_rank(&unfolding, &[3, 3, 3], 1e-9), 2);
        let norms = component_norms(&[a, b, c]);
        assert!(norms[0] >= norms[1]);
    }
}
