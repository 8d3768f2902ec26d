//! Anderson acceleration (type II) of a fixed-point iteration s ← T(s), as SCS accelerates its
//! ADMM (Zhang, O'Donoghue, Boyd 2020, "Globally convergent type-I Anderson acceleration for
//! nonsmooth fixed-point iterations", §2; Walker & Ni 2011). With g = T(s) − s and the last m
//! differences ΔS of inputs and ΔG of residuals, the next input is
//! T(s) − (ΔS + ΔG)·γ, γ = argmin ‖g − ΔG·γ‖ (a ridge of `RIDGE`·max(‖Δgⱼ‖², ‖g‖²) keeps it
//! solvable, and |γⱼ| ≤ `GAMMA_LIMIT` keeps it an interpolation of sorts).
//! ADMM converges linearly and slowly near the tight tolerances a certificate asks; the
//! extrapolation recovers most of the lost rate. Safeguard: an extrapolated input whose
//! residual ‖T(s) − s‖ grows past `SAFEGUARD` times the last accepted one's is rejected — the
//! iteration returns to the plain image of the last accepted input and the memory starts afresh
//! (so an accelerated run can lose an iteration to a bad extrapolation, never diverge from one).
//! Buffers are allocated once.

use super::gemm::dot;
use nalgebra::{DMatrix, DVector};

/// Differences kept.
pub const MEMORY: usize = 5;
/// Tikhonov regularisation of the least-squares problem, relative to its scale.
const RIDGE: f64 = 1e-10;
/// Coefficients larger than this are an extrapolation far beyond the points it combines; the
/// plain step is taken instead.
const GAMMA_LIMIT: f64 = 1e3;
/// An input whose residual exceeds this times the last accepted one's is rejected (SCS's
/// safeguard, O'Donoghue et al. 2016 / SCS 3.0).
const SAFEGUARD: f64 = 1.0;

/// The accelerator's memory.
pub struct Anderson {
    /// dim × MEMORY each: differences of images and of residuals, a ring.
    images: DMatrix<f64>,
    residuals: DMatrix<f64>,
    previous_image: DVector<f64>,
    previous_residual: DVector<f64>,
    residual: DVector<f64>,
    /// Differences stored (≤ MEMORY), the ring slot written next, whether `previous_*` hold a point.
    stored: usize,
    slot: usize,
    primed: bool,
    /// ‖g‖ at the last accepted input.
    accepted: f64,
    /// Whether the input being judged was extrapolated (only such an input can be rejected: a
    /// plain step goes back nowhere better).
    extrapolated: bool,
    /// MEMORY × MEMORY: ΔGᵀΔG, kept up to date one column at a time; its factor; γ.
    products: DMatrix<f64>,
    gram: DMatrix<f64>,
    gamma: DVector<f64>,
}

impl Anderson {
    /// For states of dimension `dim`.
    pub fn new(dim: usize) -> Self {
        Self {
            images: DMatrix::zeros(dim, MEMORY),
            residuals: DMatrix::zeros(dim, MEMORY),
            previous_image: DVector::zeros(dim),
            previous_residual: DVector::zeros(dim),
            residual: DVector::zeros(dim),
            stored: 0,
            slot: 0,
            primed: false,
            accepted: f64::INFINITY,
            extrapolated: false,
            products: DMatrix::zeros(MEMORY, MEMORY),
            gram: DMatrix::zeros(MEMORY, MEMORY),
            gamma: DVector::zeros(MEMORY),
        }
    }

    /// Forgets every difference (after the map itself changed, e.g. ADMM's ρ).
    pub fn reset(&mut self) {
        self.stored = 0;
        self.slot = 0;
        self.primed = false;
        self.accepted = f64::INFINITY;
        self.extrapolated = false;
    }

    /// Given an input `s` and its image `image` = T(s), overwrites `s` with the next input.
    pub fn step(&mut self, s: &mut DVector<f64>, image: &DVector<f64>) {
        let dim = s.len();
        difference(self.residual.as_mut_slice(), image.as_slice(), s.as_slice());
        let norm = dot(self.residual.as_slice(), self.residual.as_slice()).sqrt();
        let worse = !norm.is_finite() || norm > SAFEGUARD * self.accepted;
        if self.extrapolated && worse {
            // The extrapolated point maps worse than the last accepted one did: go back to that
            // point's plain image, and start the memory afresh from there.
            s.as_mut_slice()
                .copy_from_slice(self.previous_image.as_slice());
            self.reset();
            return;
        }
        self.accepted = norm;
        if self.primed {
            let slot = self.slot;
            let range = slot * dim..(slot + 1) * dim;
            difference(
                &mut self.images.as_mut_slice()[range.clone()],
                image.as_slice(),
                self.previous_image.as_slice(),
            );
            difference(
                &mut self.residuals.as_mut_slice()[range],
                self.residual.as_slice(),
                self.previous_residual.as_slice(),
            );
            self.stored = (self.stored + 1).min(MEMORY);
            let all = self.residuals.as_slice();
            let new = &all[slot * dim..(slot + 1) * dim];
            for j in 0..self.stored {
                let value = dot(&all[j * dim..(j + 1) * dim], new);
                self.products[(j, slot)] = value;
                self.products[(slot, j)] = value;
            }
            self.slot = (slot + 1) % MEMORY;
        }
        self.previous_image
            .as_mut_slice()
            .copy_from_slice(image.as_slice());
        self.previous_residual
            .as_mut_slice()
            .copy_from_slice(self.residual.as_slice());
        self.primed = true;
        s.as_mut_slice().copy_from_slice(image.as_slice());
        let m = self.stored;
        self.extrapolated = m > 0 && self.solve(m);
        if !self.extrapolated {
            return;
        }

        // s ← T(s) − Σ γⱼ (Δsⱼ + Δgⱼ) = T(s) − Σ γⱼ Δfⱼ.
        let s = s.as_mut_slice();
        for (j, column) in self.images.as_slice().chunks_exact(dim).take(m).enumerate() {
            let gamma = self.gamma[j];
            for (x, d) in s.iter_mut().zip(column) {
                *x -= gamma * d;
            }
        }
    }

    /// γ from (ΔGᵀΔG + ridge·I)γ = ΔGᵀg over the first m columns, by a Cholesky factorisation
    /// in place; `false` if it fails or some |γⱼ| exceeds `GAMMA_LIMIT` (the plain step is then
    /// taken).
    fn solve(&mut self, m: usize) -> bool {
        for j in 0..m {
            for i in 0..m {
                self.gram[(i, j)] = self.products[(i, j)];
            }
            let dim = self.residual.len();
            self.gamma[j] = dot(
                &self.residuals.as_slice()[j * dim..(j + 1) * dim],
                self.residual.as_slice(),
            );
        }
        // Relative to the residual too: differences of nearly equal residuals would otherwise
        // ask for an arbitrarily long extrapolation.
        let scale = (0..m)
            .map(|i| self.gram[(i, i)])
            .fold(self.accepted * self.accepted, f64::max);
        if !(scale > 0.0 && scale.is_finite()) {
            return false;
        }
        for i in 0..m {
            self.gram[(i, i)] += RIDGE * scale;
        }
        // Lower-triangular L in place, then L·Lᵀγ = b by two substitutions.
        for j in 0..m {
            for i in j..m {
                let mut x = self.gram[(i, j)];
                for k in 0..j {
                    x -= self.gram[(i, k)] * self.gram[(j, k)];
                }
                if i == j {
                    if x <= 0.0 {
                        return false;
                    }
                    self.gram[(j, j)] = x.sqrt();
                } else {
                    self.gram[(i, j)] = x / self.gram[(j, j)];
                }
            }
        }
        for i in 0..m {
            let mut x = self.gamma[i];
            for k in 0..i {
                x -= self.gram[(i, k)] * self.gamma[k];
            }
            self.gamma[i] = x / self.gram[(i, i)];
        }
        for i in (0..m).rev() {
            let mut x = self.gamma[i];
            for k in i + 1..m {
                x -= self.gram[(k, i)] * self.gamma[k];
            }
            self.gamma[i] = x / self.gram[(i, i)];
        }
        self.gamma
            .iter()
            .take(m)
            .all(|g| g.is_finite() && g.abs() <= GAMMA_LIMIT)
    }
}

/// out ← a − b, over slices (which the compiler vectorises).
fn difference(out: &mut [f64], a: &[f64], b: &[f64]) {
    for ((o, x), y) in out.iter_mut().zip(a).zip(b) {
        *o = x - y;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A linear contraction s ← A·s + b with spectral radius 0.99: plain iteration needs
    /// thousands of steps to 1e-10, Anderson with memory 5 on a 5-dimensional problem a few.
    #[test]
    fn accelerates_a_slow_linear_contraction() {
        let a = DMatrix::from_diagonal(&DVector::from_vec(vec![0.99, 0.9, 0.5, -0.7, 0.95]));
        let b = DVector::from_vec(vec![1.0, -2.0, 0.5, 3.0, 1.0]);
        let fixed = (DMatrix::identity(5, 5) - &a)
            .try_inverse()
            .expect("invertible")
            * &b;
        let mut anderson = Anderson::new(5);
        let mut s = DVector::zeros(5);
        let mut steps = 0;
        while (&s - &fixed).norm() > 1e-10 && steps < 1000 {
            let image = &a * &s + &b;
            anderson.step(&mut s, &image);
            steps += 1;
        }
        assert!(steps < 20, "{steps} steps");
    }
}
