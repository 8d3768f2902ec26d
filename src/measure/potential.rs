//! The implicit regulariser of a diagonal linear network, Q^D_α (Woodworth, Gunasekar, Lee,
//! Moroshko, Savarese, Golan, Soudry, Srebro, "Kernel and Rich Regimes in Overparametrized
//! Models", COLT 2020, §4). Gradient flow on w = u^{⊙D} − v^{⊙D} from u = v = α·1 gives
//! w(t) = α^D h_D(s(t)) entrywise with s(t) in the range of 𝒜*, so its limit (if it interpolates)
//! satisfies the optimality conditions of argmin Q^D_α(w) s.t. 𝒜(w) = y, where
//! Q^D_α(w) = α^D Σᵢ q_D(wᵢ/α^D) and q_D′ = h_D⁻¹:
//!
//! - D = 2: h₂(s) = 2 sinh s, q(z) = 2 − √(4 + z²) + z·arcsinh(z/2) (the paper's Theorem 1);
//! - D > 2: h_D(s) = (1 − s)^{−D/(D−2)} − (1 + s)^{−D/(D−2)} on |s| < 1.
//!
//! Everything is computed through the conjugate Q*(s) = α^D Σᵢ H_D(sᵢ), H_D′ = h_D
//! (H₂(s) = 2 cosh s − 2; H_D(s) = (D−2)/2·[(1 − s)^{−2/(D−2)} + (1 + s)^{−2/(D−2)} − 2]):
//! Q(w) = Σᵢ (wᵢsᵢ − α^D H_D(sᵢ)) at sᵢ = h_D⁻¹(wᵢ/α^D) (Fenchel–Young with equality).
//! docs/science.md derives h_D from the flow.

use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

/// Q^D_α: a diagonal network's depth D ≥ 2 and initialisation scale α > 0.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Potential {
    /// D.
    pub depth: u32,
    /// α.
    pub alpha: f64,
}

impl Potential {
    /// α^D, the scale of w at which Q turns from quadratic to ℓ1-like.
    pub fn scale(&self) -> f64 {
        self.alpha.powi(self.depth as i32)
    }

    /// p = D/(D − 2), the exponent of h_D (D > 2).
    fn power(&self) -> f64 {
        let d = f64::from(self.depth);
        d / (d - 2.0)
    }

    /// Whether s is in the domain of h_D: every s for D = 2, |s| < 1 beyond.
    pub fn admits(&self, s: f64) -> bool {
        if self.depth == 2 {
            s.is_finite()
        } else {
            s.abs() < 1.0
        }
    }

    /// w = α^D h_D(s) = (Q*)′(s): the entry of the flow's limit at dual value s.
    pub fn primal(&self, s: f64) -> f64 {
        let h = if self.depth == 2 {
            2.0 * s.sinh()
        } else {
            // (1 − s)^{−p} − (1 + s)^{−p} through expm1 and ln_1p: near s = 0 both terms are
            // 1 ± ps and their difference would lose the digits of s.
            let p = self.power();
            shifted_power(-s, -p) - shifted_power(s, -p)
        };
        self.scale() * h
    }

    /// dw/ds = α^D h_D′(s) > 0.
    pub fn curvature(&self, s: f64) -> f64 {
        let h = if self.depth == 2 {
            2.0 * s.cosh()
        } else {
            let p = self.power();
            p * ((1.0 - s).powf(-p - 1.0) + (1.0 + s).powf(-p - 1.0))
        };
        self.scale() * h
    }

    /// α^D H_D(s), one entry of the conjugate Q*(s) (≥ 0, zero at s = 0).
    pub fn conjugate(&self, s: f64) -> f64 {
        let h = if self.depth == 2 {
            // 2 cosh s − 2 = 4 sinh²(s/2), without cancellation near 0.
            4.0 * (0.5 * s).sinh().powi(2)
        } else {
            let e = 2.0 / (f64::from(self.depth) - 2.0);
            0.5 * (f64::from(self.depth) - 2.0) * even_part(s, e)
        };
        self.scale() * h
    }

    /// s = h_D⁻¹(w/α^D), the dual value at which `primal` gives w.
    pub fn dual_of(&self, w: f64) -> f64 {
        let z = w / self.scale();
        if self.depth == 2 {
            return (0.5 * z).asinh();
        }
        // h_D is odd and increasing on (−1, 1): bisect on |s| (64 halvings reach f64's
        // resolution of [0, 1)).
        let (mut low, mut high) = (0.0_f64, 1.0_f64);
        for _ in 0..64 {
            let mid = 0.5 * (low + high);
            if self.primal(mid) / self.scale() < z.abs() {
                low = mid;
            } else {
                high = mid;
            }
        }
        (0.5 * (low + high)).copysign(z)
    }

    /// Q^D_α(W) = Σᵢ α^D q_D(wᵢ/α^D) over every entry.
    pub fn value(&self, w: &DMatrix<f64>) -> f64 {
        w.iter()
            .map(|&w| {
                let s = self.dual_of(w);
                w * s - self.conjugate(s)
            })
            .sum()
    }

    /// Q*(S) = Σᵢ α^D H_D(sᵢ) (∞ outside the domain).
    pub fn conjugate_sum(&self, s: &DMatrix<f64>) -> f64 {
        s.iter()
            .map(|&s| {
                if self.admits(s) {
                    self.conjugate(s)
                } else {
                    f64::INFINITY
                }
            })
            .sum()
    }
}

/// (1 + x)^a − 1, accurate near x = 0.
fn shifted_power(x: f64, a: f64) -> f64 {
    (a * x.ln_1p()).exp_m1()
}

/// (1 − s)^{−e} + (1 + s)^{−e} − 2 = 2 Σ_{k even ≥ 2} C(e + k − 1, k) s^k: the odd terms of
/// the two binomial series cancel, so near s = 0 the series is summed instead of the powers,
/// which would leave O(s²) from O(s) terms and lose the digits of s.
fn even_part(s: f64, e: f64) -> f64 {
    if s.abs() >= 0.1 {
        return shifted_power(-s, -e) + shifted_power(s, -e);
    }
    let (mut coefficient, mut power, mut sum) = (1.0, 1.0, 0.0);
    for k in 1..200 {
        coefficient *= (e + f64::from(k) - 1.0) / f64::from(k);
        power *= s;
        if k % 2 == 0 {
            let term = coefficient * power;
            sum += term;
            if term.abs() <= 1e-17 * sum.abs() {
                break;
            }
        }
    }
    2.0 * sum
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    /// The paper's q for D = 2.
    fn q(z: f64) -> f64 {
        2.0 - (4.0 + z * z).sqrt() + z * (0.5 * z).asinh()
    }

    #[test]
    fn depth_two_is_the_papers_q() {
        for alpha in [1e-3, 0.1, 1.0, 30.0] {
            let potential = Potential { depth: 2, alpha };
            for w in [-3.0, -1e-4, 0.0, 0.5, 2.0, 100.0] {
                let a2 = alpha * alpha;
                let expected = a2 * q(w / a2);
                let got = potential.value(&DMatrix::from_element(1, 1, w));
                // The paper's form cancels for small z (2 − √(4 + z²) ≈ −z²/4): rounding 1e-16/z².
                let z: f64 = w / a2;
                let tolerance = 1e-10_f64.max(1e-15 / (z * z));
                assert_relative_eq!(got, expected, max_relative = tolerance, epsilon = 1e-300);
            }
        }
    }

    #[test]
    fn primal_inverts_dual_and_derivatives_agree() {
        for depth in [2, 3, 4, 7] {
            let potential = Potential { depth, alpha: 0.3 };
            for w in [-5.0, -0.01, 0.2, 40.0] {
                let s = potential.dual_of(w);
                assert_relative_eq!(potential.primal(s), w, max_relative = 1e-9);
                // A step well inside the domain |s| < 1 of D > 2.
                let h = 1e-6 * s.abs().max(1e-3) * (1.0 - s.abs()).min(1.0);
                let slope = (potential.conjugate(s + h) - potential.conjugate(s - h)) / (2.0 * h);
                assert_relative_eq!(slope, w, max_relative = 1e-5);
                let curve = (potential.primal(s + h) - potential.primal(s - h)) / (2.0 * h);
                assert_relative_eq!(curve, potential.curvature(s), max_relative = 1e-5);
            }
        }
    }

    #[test]
    fn the_series_agrees_with_the_powers_where_both_are_accurate() {
        for e in [2.0_f64, 1.0, 0.4] {
            for s in [-0.099_f64, -0.05, 0.02, 0.0999] {
                let direct: f64 = (1.0 - s).powf(-e) + (1.0 + s).powf(-e) - 2.0;
                // The powers lose about 1e-16 absolute to cancellation.
                assert_relative_eq!(
                    even_part(s, e),
                    direct,
                    epsilon = 1e-15,
                    max_relative = 1e-12
                );
            }
            // and is exact where the powers cancel: e(e + 1)s² to first order.
            let s = 1e-9;
            assert_relative_eq!(even_part(s, e), e * (e + 1.0) * s * s, max_relative = 1e-12);
        }
    }

    #[test]
    fn small_alpha_is_l1_like_and_large_alpha_l2_like() {
        let w = DMatrix::from_column_slice(3, 1, &[1.0, -2.0, 0.5]);
        // α → ∞: Q ≈ ‖w‖²/(4α^D)·… for D = 2, q(z) ≈ z²/4, so Q ≈ ‖w‖²/(4α²).
        let large = Potential {
            depth: 2,
            alpha: 1e3,
        };
        assert_relative_eq!(large.value(&w) * 4e6, w.norm_squared(), max_relative = 1e-6);
        // α → 0: Q/log(1/α²) → ‖w‖₁.
        let small = Potential {
            depth: 2,
            alpha: 1e-30,
        };
        let ratio = small.value(&w) / (1e60_f64).ln() / 3.5;
        assert!((ratio - 1.0).abs() < 0.05, "{ratio}");
    }
}
