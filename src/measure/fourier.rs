//! The discrete Fourier transform of a vector, unnormalised: x̂_k = Σ_t x_t e^{−2πikt/d}, the
//! basis in which a linear convolutional network's bias is sparse (Gunasekar, Lee, Soudry,
//! Srebro 2018, NeurIPS, arXiv 1806.00468: the ℓ_{2/L} bridge penalty on x̂). Transforms use
//! rustfft's scalar planner: its SIMD planners pick other algorithms on other CPUs, and a
//! run's bits must not depend on the machine.

use nalgebra::DMatrix;
use rustfft::num_complex::Complex64;
use rustfft::{Fft, FftPlannerScalar};
use std::sync::Arc;

/// Forward and inverse transforms of one length, with their scratch (allocated once).
pub struct Dft {
    forward: Arc<dyn Fft<f64>>,
    inverse: Arc<dyn Fft<f64>>,
    scratch: Vec<Complex64>,
}

impl std::fmt::Debug for Dft {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Dft({})", self.len())
    }
}

impl Clone for Dft {
    fn clone(&self) -> Self {
        Self {
            forward: Arc::clone(&self.forward),
            inverse: Arc::clone(&self.inverse),
            scratch: self.scratch.clone(),
        }
    }
}

impl Dft {
    /// Plans transforms of length `d` ≥ 1.
    pub fn new(d: usize) -> Self {
        let mut planner = FftPlannerScalar::new();
        let forward = planner.plan_fft_forward(d);
        let inverse = planner.plan_fft_inverse(d);
        let scratch_len = forward
            .get_inplace_scratch_len()
            .max(inverse.get_inplace_scratch_len());
        Self {
            forward,
            inverse,
            scratch: vec![Complex64::default(); scratch_len],
        }
    }

    /// d.
    pub fn len(&self) -> usize {
        self.forward.len()
    }

    /// Whether d = 0 (never: a plan has a length of at least 1).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// x̂ of a real x (length d) into `out`.
    pub fn forward_real(&mut self, x: &[f64], out: &mut [Complex64]) {
        for (o, &v) in out.iter_mut().zip(x) {
            *o = Complex64::new(v, 0.0);
        }
        self.forward.process_with_scratch(out, &mut self.scratch);
    }

    /// The real part of the inverse transform (1/d)·Σ_k x̂_k e^{2πikt/d} into `out`; `spectrum`
    /// is overwritten.
    pub fn inverse_real(&mut self, spectrum: &mut [Complex64], out: &mut [f64]) {
        self.inverse
            .process_with_scratch(spectrum, &mut self.scratch);
        let scale = 1.0 / self.len() as f64;
        for (o, v) in out.iter_mut().zip(spectrum.iter()) {
            *o = v.re * scale;
        }
    }
}

/// |x̂_k| for k = 0, …, d − 1 of the entries of `w` read as one vector (column-major).
pub fn magnitudes(w: &DMatrix<f64>) -> Vec<f64> {
    let mut spectrum = vec![Complex64::default(); w.len()];
    if w.is_empty() {
        return Vec::new();
    }
    Dft::new(w.len()).forward_real(w.as_slice(), &mut spectrum);
    spectrum.iter().map(|c| c.norm()).collect()
}

/// ‖x̂‖₁ = Σ_k |x̂_k| over all d frequencies: the objective of the Fourier-ℓ1 maximum margin.
pub fn fourier_l1(w: &DMatrix<f64>) -> f64 {
    magnitudes(w).iter().sum()
}

/// The dual norm of `fourier_l1`: max over ‖x̂‖₁ ≤ 1 of ⟨z, x⟩ is ‖ẑ‖∞/d (x = F*x̂/d, so
/// ⟨z, x⟩ = Re⟨ẑ, x̂⟩/d; a real x puts its mass on one frequency and its conjugate).
pub fn fourier_l1_dual(z: &DMatrix<f64>) -> f64 {
    magnitudes(z).into_iter().fold(0.0, f64::max) / z.len().max(1) as f64
}

/// ‖x̂‖₁/‖x̂‖₂ ∈ [1, √d]: scale-invariant sparsity of the spectrum (1 for one frequency; a
/// real sinusoid at k ∉ {0, d/2} occupies k and d − k, so √2).
pub fn fourier_l1_over_l2(w: &DMatrix<f64>) -> f64 {
    let magnitudes = magnitudes(w);
    let l2 = magnitudes.iter().map(|m| m * m).sum::<f64>().sqrt();
    magnitudes.iter().sum::<f64>() / l2
}

/// Frequencies with |x̂_k| > tol, by default 1e-6·max_k |x̂_k| (one transform either way).
pub fn fourier_support(w: &DMatrix<f64>, tol: Option<f64>) -> usize {
    let magnitudes = magnitudes(w);
    let tol = tol.unwrap_or_else(|| 1e-6 * magnitudes.iter().copied().fold(0.0, f64::max));
    magnitudes.into_iter().filter(|&m| m > tol).count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    /// The transform against its definition, on an odd and a power-of-two length.
    #[test]
    fn matches_the_definition() {
        for d in [7usize, 16] {
            let x: Vec<f64> = (0..d).map(|t| ((t * t) as f64 * 0.37).sin()).collect();
            let mut spectrum = vec![Complex64::default(); d];
            Dft::new(d).forward_real(&x, &mut spectrum);
            for (k, value) in spectrum.iter().enumerate() {
                let expected = (0..d).fold(Complex64::default(), |sum, t| {
                    let angle = -std::f64::consts::TAU * (k * t) as f64 / d as f64;
                    sum + Complex64::from_polar(x[t], angle)
                });
                assert_relative_eq!(value.re, expected.re, epsilon = 1e-12);
                assert_relative_eq!(value.im, expected.im, epsilon = 1e-12);
            }
            let mut back = vec![0.0; d];
            Dft::new(d).inverse_real(&mut spectrum, &mut back);
            assert_relative_eq!(&back[..], &x[..], epsilon = 1e-13);
        }
    }

    /// A cosine at frequency 3 of 16: magnitude d/2 at k = 3 and 13, so ‖x̂‖₁ = d, ratio √2.
    #[test]
    fn a_sinusoid_occupies_two_frequencies() {
        let d = 16;
        let w = DMatrix::from_fn(d, 1, |t, _| {
            (std::f64::consts::TAU * 3.0 * t as f64 / d as f64 + 0.4).cos()
        });
        assert_relative_eq!(fourier_l1(&w), d as f64, max_relative = 1e-12);
        assert_relative_eq!(fourier_l1_over_l2(&w), 2f64.sqrt(), max_relative = 1e-12);
        assert_eq!(fourier_support(&w, Some(1e-9)), 2);
        assert_eq!(fourier_support(&w, None), 2);
        assert_relative_eq!(fourier_l1_dual(&w), 0.5, max_relative = 1e-12);
    }
}
