//! Explicit penalties λ·R(W) on the end-to-end matrix, for the claim that an explicit bias can
//! stand in for depth (Zhao 2022). Every R here is a spectral function R(W) = F(σ(W)), whose
//! gradient is U·diag(∂F/∂σᵢ)·Vᵀ from the thin SVD W = U·diag(σ)·Vᵀ (Lewis 1995):
//! - `nuclear`: ‖W‖* = Σσᵢ, ∇ = UVᵀ;
//! - `normalized_nuclear`: ‖W‖*/‖W‖_F, ∇ = UVᵀ/‖W‖_F − ‖W‖*·W/‖W‖_F³ (Zhao 2022; docs/science.md);
//! - `schatten_p`: Σσᵢᵖ for p in (0, 1], ∇ = U·diag(p·σᵢᵖ⁻¹)·Vᵀ.
//!
//! Two are entrywise, for vectors (a d×1 W) and matrices alike:
//! - `l1`: ‖W‖₁ = Σ|Wᵢⱼ|, ∇ = sign(W);
//! - `l1_over_l2`: ‖W‖₁/‖W‖_F, ∇ = sign(W)/‖W‖_F − ‖W‖₁·W/‖W‖_F³, the scale-invariant sparsity
//!   measure that is to ℓ1 what `normalized_nuclear` is to the nuclear norm.
//!
//! An entry at exactly 0 gets sign 0, the minimum-norm subgradient of |·| there.
//!
//! Repeated singular values need no choice: ∂F/∂σ is equal on equal σ, so the gradient does not
//! depend on the basis the SVD picks inside their subspace. Vanishing ones do: a singular value at
//! or below max(rows, cols)·ε·σ₁ (numerical zero, as for `rank`) gets derivative 0 in the terms
//! that are not differentiable there (Σσ and Σσᵖ), the minimum-norm subgradient; the zero matrix
//! gets a zero gradient.

use crate::invalid::{Invalid, require};
use crate::measure::ThinSvd;
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

/// A penalty as a claim writes it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum PenaltySpec {
    /// λ·‖W‖*.
    Nuclear {
        /// λ.
        weight: f64,
    },
    /// λ·‖W‖*/‖W‖_F.
    NormalizedNuclear {
        /// λ.
        weight: f64,
    },
    /// λ·Σσᵢᵖ.
    SchattenP {
        /// p, in (0, 1].
        p: f64,
        /// λ.
        weight: f64,
    },
    /// λ·‖W‖₁, entrywise.
    L1 {
        /// λ.
        weight: f64,
    },
    /// λ·‖W‖₁/‖W‖_F, entrywise.
    L1OverL2 {
        /// λ.
        weight: f64,
    },
}

impl PenaltySpec {
    pub(super) fn validate(&self) -> Result<(), Invalid> {
        let (name, weight) = match *self {
            PenaltySpec::Nuclear { weight } => ("nuclear", weight),
            PenaltySpec::NormalizedNuclear { weight } => ("normalized_nuclear", weight),
            PenaltySpec::L1 { weight } => ("l1", weight),
            PenaltySpec::L1OverL2 { weight } => ("l1_over_l2", weight),
            PenaltySpec::SchattenP { p, weight } => {
                require(p > 0.0 && p <= 1.0, "schatten_p.p", || {
                    "a p in (0, 1]".into()
                })?;
                ("schatten_p", weight)
            }
        };
        require(
            weight >= 0.0 && weight.is_finite(),
            &format!("{name}.weight"),
            || "a weight λ ≥ 0".into(),
        )
    }

    /// λ.
    pub fn weight(&self) -> f64 {
        match *self {
            PenaltySpec::Nuclear { weight }
            | PenaltySpec::NormalizedNuclear { weight }
            | PenaltySpec::SchattenP { weight, .. }
            | PenaltySpec::L1 { weight }
            | PenaltySpec::L1OverL2 { weight } => weight,
        }
    }

    /// `out += λ·∇R(W)`; returns λ·R(W). A matrix with a non-finite entry adds nothing (the run
    /// reports the divergence).
    pub fn add_gradient(&self, w: &DMatrix<f64>, out: &mut DMatrix<f64>) -> f64 {
        if let PenaltySpec::L1 { .. } | PenaltySpec::L1OverL2 { .. } = self {
            return self.add_entrywise_gradient(w, out);
        }
        let Some(svd) = ThinSvd::of(w.clone()) else {
            return f64::NAN;
        };
        let sigma = svd.singular_values();
        let largest = sigma.iter().fold(0.0, |m: f64, &s| m.max(s));
        let cutoff = w.nrows().max(w.ncols()) as f64 * f64::EPSILON * largest;
        let nuclear: f64 = sigma.iter().sum();
        let frobenius = sigma.iter().map(|s| s * s).sum::<f64>().sqrt();
        if frobenius == 0.0 {
            return 0.0;
        }
        let value = match *self {
            PenaltySpec::Nuclear { .. } => nuclear,
            PenaltySpec::NormalizedNuclear { .. } => nuclear / frobenius,
            PenaltySpec::SchattenP { p, .. } => sigma
                .iter()
                .filter(|&&s| s > cutoff)
                .map(|s| s.powf(p))
                .sum(),
            PenaltySpec::L1 { .. } | PenaltySpec::L1OverL2 { .. } => unreachable!("entrywise"),
        };
        let weight = self.weight();
        let derivative = |s: f64| -> f64 {
            let kink = if s > cutoff { 1.0 } else { 0.0 };
            weight
                * match *self {
                    PenaltySpec::Nuclear { .. } => kink,
                    PenaltySpec::NormalizedNuclear { .. } => {
                        kink / frobenius - nuclear * s / frobenius.powi(3)
                    }
                    PenaltySpec::SchattenP { p, .. } => kink * p * s.powf(p - 1.0),
                    PenaltySpec::L1 { .. } | PenaltySpec::L1OverL2 { .. } => 0.0,
                }
        };
        svd.map_into(derivative, 1.0, out);
        weight * value
    }

    /// `add_gradient` for the entrywise penalties: no SVD, and nothing allocated.
    fn add_entrywise_gradient(&self, w: &DMatrix<f64>, out: &mut DMatrix<f64>) -> f64 {
        if w.iter().any(|x| !x.is_finite()) {
            return f64::NAN;
        }
        let weight = self.weight();
        let l1: f64 = w.iter().map(|x| x.abs()).sum();
        let sign = |x: f64| if x == 0.0 { 0.0 } else { x.signum() };
        match self {
            PenaltySpec::L1OverL2 { .. } => {
                let l2 = w.norm();
                if l2 == 0.0 {
                    return 0.0;
                }
                for (o, &x) in out.iter_mut().zip(w.iter()) {
                    *o += weight * (sign(x) / l2 - l1 * x / l2.powi(3));
                }
                weight * l1 / l2
            }
            _ => {
                for (o, &x) in out.iter_mut().zip(w.iter()) {
                    *o += weight * sign(x);
                }
                weight * l1
            }
        }
    }
}
