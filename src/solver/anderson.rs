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

use crate::kernels::{difference, dot, dot2};
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
    /// Each vector is streamed a few times only (the states are the iterate's size, which at
    /// n = 1000 is beyond every cache): g and ‖g‖ in one pass; the new differences and the new
    /// previous image in one; a pass per stored difference for both of its products; and the
    /// extrapolation in one.
    pub fn step(&mut self, s: &mut DVector<f64>, image: &DVector<f64>) {
        let dim = s.len();
        let norm = residual_norm(self.residual.as_mut_slice(), image.as_slice(), s.as_slice());
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
            differences(
                (
                    &mut self.images.as_mut_slice()[range.clone()],
                    self.previous_image.as_mut_slice(),
                ),
                (
                    &mut self.residuals.as_mut_slice()[range],
                    self.residual.as_slice(),
                ),
                image.as_slice(),
                self.previous_residual.as_slice(),
            );
            self.stored = (self.stored + 1).min(MEMORY);
            // ΔGᵀΔg_new (the products' new column) and ΔGᵀg (the least-squares right-hand side).
            let all = self.residuals.as_slice();
            let (new, g) = (&all[slot * dim..(slot + 1) * dim], self.residual.as_slice());
            for j in 0..self.stored {
                let (product, rhs) = dot2(&all[j * dim..(j + 1) * dim], new, g);
                self.products[(j, slot)] = product;
                self.products[(slot, j)] = product;
                self.gamma[j] = rhs;
            }
            self.slot = (slot + 1) % MEMORY;
        } else {
            self.previous_image
                .as_mut_slice()
                .copy_from_slice(image.as_slice());
        }
        // g becomes the previous residual; the buffer it leaves is rewritten next step.
        std::mem::swap(&mut self.previous_residual, &mut self.residual);
        self.primed = true;
        let m = self.stored;
        self.extrapolated = m > 0 && self.solve(m);
        if !self.extrapolated {
            s.as_mut_slice().copy_from_slice(image.as_slice());
            return;
        }
        // s ← T(s) − Σ γⱼ (Δsⱼ + Δgⱼ) = T(s) − Σ γⱼ Δfⱼ, a cache-sized chunk of s at a time.
        const CHUNK: usize = 512;
        let (columns, gamma) = (self.images.as_slice(), &self.gamma.as_slice()[..m]);
        let chunks = s
            .as_mut_slice()
            .chunks_mut(CHUNK)
            .zip(image.as_slice().chunks(CHUNK));
        for (c, (out, t)) in chunks.enumerate() {
            out.copy_from_slice(t);
            let at = c * CHUNK;
            for (j, gamma) in gamma.iter().enumerate() {
                let column = &columns[j * dim + at..j * dim + at + out.len()];
                for (x, d) in out.iter_mut().zip(column) {
                    *x -= gamma * d;
                }
            }
        }
    }

    /// γ from (ΔGᵀΔG + ridge·I)γ = ΔGᵀg over the first m columns (`gamma` holds ΔGᵀg on
    /// entry), by a Cholesky factorisation in place; `false` if it fails or some |γⱼ| exceeds
    /// `GAMMA_LIMIT` (the plain step is then taken).
    fn solve(&mut self, m: usize) -> bool {
        for j in 0..m {
            for i in 0..m {
                self.gram[(i, j)] = self.products[(i, j)];
            }
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

/// out ← a − b; returns ‖out‖.
fn residual_norm(out: &mut [f64], a: &[f64], b: &[f64]) -> f64 {
    difference(out, a, b);
    dot(out, out).sqrt()
}

/// In one pass: Δf ← T(s) − T(s_prev) and T(s_prev) ← T(s); Δg ← g − g_prev.
fn differences(
    (delta_image, previous_image): (&mut [f64], &mut [f64]),
    (delta_residual, residual): (&mut [f64], &[f64]),
    image: &[f64],
    previous_residual: &[f64],
) {
    let images = delta_image
        .iter_mut()
        .zip(previous_image.iter_mut())
        .zip(image);
    for ((d, p), &t) in images {
        *d = t - *p;
        *p = t;
    }
    let residuals = delta_residual
        .iter_mut()
        .zip(residual)
        .zip(previous_residual);
    for ((d, &g), &p) in residuals {
        *d = g - p;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A linear contraction s ← A·s + b with spectral radius 0.99 and five distinct eigenvalues:
    /// plain iteration needs thousands of steps to 1e-10, Anderson with memory 5 a few (its
    /// residuals span a Krylov space of dimension 5). At dimension 1,100 the extrapolation runs
    /// over two whole chunks and a partial one, so a misplaced chunk would show as lost speed.
    #[test]
    fn accelerates_a_slow_linear_contraction() {
        let rates = [0.99, 0.9, 0.5, -0.7, 0.95];
        let offsets = [1.0, -2.0, 0.5, 3.0, 1.0];
        for dim in [5, 1100] {
            let a = DVector::from_fn(dim, |i, _| rates[i % 5]);
            let b = DVector::from_fn(dim, |i, _| offsets[i % 5] * (1.0 + i as f64 / dim as f64));
            let fixed = b.component_div(&a.map(|r| 1.0 - r));
            let mut anderson = Anderson::new(dim);
            let mut s = DVector::zeros(dim);
            let mut steps = 0;
            while (&s - &fixed).norm() > 1e-10 * fixed.norm() && steps < 1000 {
                let image = a.component_mul(&s) + &b;
                anderson.step(&mut s, &image);
                steps += 1;
            }
            assert!(steps < 20, "dimension {dim}: {steps} steps");
        }
    }
}
