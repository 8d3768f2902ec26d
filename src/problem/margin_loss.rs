//! Classification losses of the margin m = y·⟨x, β⟩ with an exponential tail — losses under
//! which gradient descent on separable data converges in direction to the hard-margin SVM
//! (Soudry, Hoffer, Nacson, Gunasekar, Srebro 2018, arXiv 1710.10345; docs/science.md §7b):
//! logistic ℓ(m) = ln(1 + e^{−m}) and exponential ℓ(m) = e^{−m}.
//!
//! On separable data the margins grow like log t without bound, so the loss reaches 1e-300 and
//! underflows while the run is still moving; and a wrong start has margins far below zero,
//! where e^{−m} overflows. Every quantity is therefore also given in log space (`ln_value`,
//! `ln_slope`): finite for every finite margin, so that a total loss is a log-sum-exp and a
//! normalised step a ratio of finite numbers, whatever the scale.

use serde::{Deserialize, Serialize};

/// A loss of the margin with an exponential tail (logistic unless a claim says otherwise).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MarginLoss {
    /// ℓ(m) = ln(1 + e^{−m}).
    #[default]
    Logistic,
    /// ℓ(m) = e^{−m}.
    Exponential,
}

impl MarginLoss {
    /// ℓ(m). Logistic never overflows (ℓ(m) ≈ −m for m ≪ 0); exponential is +∞ below
    /// m ≈ −709.8, and both are 0 where they underflow (m above about 745): use `ln_value`.
    pub fn value(self, m: f64) -> f64 {
        match self {
            MarginLoss::Logistic => softplus(-m),
            MarginLoss::Exponential => (-m).exp(),
        }
    }

    /// ln ℓ(m), finite for every finite m.
    pub fn ln_value(self, m: f64) -> f64 {
        match self {
            MarginLoss::Logistic => {
                if m > 0.0 {
                    // ln ln(1 + u) with u = e^{−m} ≤ 1: −m + ln(ln(1 + u)/u), the last term
                    // → −u/2 as u → 0 (computed as such below 1e-8, where ln_1p(u)/u rounds to 1).
                    let u = (-m).exp();
                    let ratio = if u < 1e-8 {
                        (-0.5 * u).ln_1p()
                    } else {
                        (u.ln_1p() / u).ln()
                    };
                    -m + ratio
                } else {
                    softplus(-m).ln()
                }
            }
            MarginLoss::Exponential => -m,
        }
    }

    /// ℓ'(m) < 0. Logistic: −1/(1 + e^{m}), in [−1, 0); exponential: −e^{−m}.
    pub fn slope(self, m: f64) -> f64 {
        match self {
            MarginLoss::Logistic => -sigmoid(-m),
            MarginLoss::Exponential => -(-m).exp(),
        }
    }

    /// ln |ℓ'(m)|, finite for every finite m.
    pub fn ln_slope(self, m: f64) -> f64 {
        match self {
            // ln σ(−m) = −softplus(m).
            MarginLoss::Logistic => -softplus(m),
            MarginLoss::Exponential => -m,
        }
    }
}

/// ln(1 + e^{x}) without overflow: x + ln(1 + e^{−x}) for x > 0.
fn softplus(x: f64) -> f64 {
    if x > 0.0 {
        x + (-x).exp().ln_1p()
    } else {
        x.exp().ln_1p()
    }
}

/// 1/(1 + e^{−x}) without overflow.
fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// ln Σᵢ e^{aᵢ}: a total loss from its terms' logarithms (`ln_value`), finite unless every term
/// is −∞; −∞ for no terms.
pub fn ln_sum_exp(terms: impl Iterator<Item = f64> + Clone) -> f64 {
    let top = terms.clone().fold(f64::NEG_INFINITY, f64::max);
    if top == f64::NEG_INFINITY || top.is_nan() {
        return top;
    }
    top + terms.map(|a| (a - top).exp()).sum::<f64>().ln()
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    const BOTH: [MarginLoss; 2] = [MarginLoss::Logistic, MarginLoss::Exponential];

    #[test]
    fn values_slopes_and_logs_agree_where_they_are_normal_numbers() {
        for loss in BOTH {
            for &m in &[-30.0, -3.0, -0.5, 0.0, 1e-9, 0.5, 3.0, 30.0, 300.0] {
                let (value, slope) = (loss.value(m), loss.slope(m));
                assert_relative_eq!(loss.ln_value(m), value.ln(), max_relative = 1e-12);
                assert_relative_eq!(loss.ln_slope(m), (-slope).ln(), max_relative = 1e-12);
                // The slope is the derivative: a central difference, step scaled to m.
                let h = 1e-6 * m.abs().max(1.0);
                let numeric = (loss.value(m + h) - loss.value(m - h)) / (2.0 * h);
                assert_relative_eq!(slope, numeric, max_relative = 1e-6);
                assert!(slope < 0.0 && value > 0.0);
            }
        }
    }

    #[test]
    fn logistic_matches_its_definition_and_tail() {
        let l = MarginLoss::Logistic;
        assert_relative_eq!(l.value(0.0), std::f64::consts::LN_2, max_relative = 1e-15);
        assert_relative_eq!(l.value(-2.0), (1.0 + 2f64.exp()).ln(), max_relative = 1e-15);
        assert_relative_eq!(
            l.value(2.0),
            (1.0 + (-2f64).exp()).ln(),
            max_relative = 1e-15
        );
        assert_relative_eq!(l.slope(0.0), -0.5);
        // The tail: with u = e^{−m}, ln ℓ(m) + m = ln(ln(1 + u)/u) = −u/2 + 5u²/24 − …, on both
        // sides of the switch to the series at u = 1e-8 (m = 5 and m = 20).
        for m in [5.0f64, 20.0] {
            let u = (-m).exp();
            let series = -u / 2.0 + 5.0 * u * u / 24.0;
            assert_relative_eq!(l.ln_value(m) + m, series, max_relative = 1e-4);
        }
    }

    #[test]
    fn nothing_overflows_or_turns_nan_at_any_finite_margin() {
        for loss in BOTH {
            for &m in &[-1e308, -1e6, -800.0, -709.0, 745.0, 800.0, 1e6, 1e308] {
                assert!(loss.ln_value(m).is_finite(), "{loss:?} ln ℓ({m})");
                assert!(loss.ln_slope(m).is_finite(), "{loss:?} ln |ℓ'({m})|");
                assert!(!loss.value(m).is_nan() && !loss.slope(m).is_nan());
            }
            // Where ℓ underflows, its logarithm is still the margin's: −m to first order.
            assert_relative_eq!(loss.ln_value(1000.0), -1000.0, max_relative = 1e-15);
            assert_eq!(loss.value(1000.0), 0.0);
        }
        // Logistic is linear far below zero, never +∞.
        assert_relative_eq!(MarginLoss::Logistic.value(-1e6), 1e6);
        assert_relative_eq!(MarginLoss::Logistic.slope(-1e6), -1.0);
        assert_eq!(MarginLoss::Exponential.value(-1000.0), f64::INFINITY);
    }

    #[test]
    fn ln_sum_exp_sums_in_log_space() {
        let terms = [1000.0f64.ln(), 2000.0f64.ln(), 3000.0f64.ln()];
        assert_relative_eq!(
            ln_sum_exp(terms.iter().copied()),
            6000.0f64.ln(),
            max_relative = 1e-15
        );
        // Losses of 1e-400 each (below the smallest f64) still sum: ln(3e-400).
        let tiny = [-400.0 * 10f64.ln(); 3];
        assert_relative_eq!(
            ln_sum_exp(tiny.iter().copied()),
            3f64.ln() - 400.0 * 10f64.ln(),
            max_relative = 1e-15
        );
        assert_eq!(ln_sum_exp(std::iter::empty::<f64>()), f64::NEG_INFINITY);
    }
}
