//! Where a deep factorisation starts. Scales follow Arora et al.'s convention (docs/science.md,
//! "Initialisation scales"): ‖W(0)‖_F ≈ s·√n for an n×n product.

use crate::invalid::{Invalid, require};
use crate::random::{self, Rng};
use nalgebra::{DMatrix, SVD};
use serde::{Deserialize, Serialize};

/// How the factors start, as a claim writes it; `scale` is s in Arora et al.'s convention.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum InitSpec {
    /// Independent Gaussian layers with std s^{1/N}/√width (Arora et al. 2019, code).
    Gaussian {
        /// s.
        scale: f64,
    },
    /// A random product with N(0, s²/width) entries split through its SVD so that
    /// W_{j+1}ᵀW_{j+1} = W_jW_jᵀ (Arora, Cohen, Hazan 2018; docs/science.md).
    Balanced {
        /// s.
        scale: f64,
    },
    /// s^{1/N}·I in every layer; square problems with width = rows only.
    Identity {
        /// s.
        scale: f64,
    },
    /// W(0) = 0 (`init: zero`), at depth 1 only: a deeper product has zero gradients there.
    Zero,
}

impl InitSpec {
    /// s.
    pub fn scale(&self) -> f64 {
        match *self {
            InitSpec::Gaussian { scale }
            | InitSpec::Balanced { scale }
            | InitSpec::Identity { scale } => scale,
            InitSpec::Zero => 0.0,
        }
    }

    /// The canonical text of the setting, version 1 (`DeepSpec::stream_name`): the variant and
    /// its scale in the form these names have always had, `Gaussian { scale: 0.001 }`.
    pub fn canonical(&self) -> String {
        let variant = match self {
            InitSpec::Gaussian { .. } => "Gaussian",
            InitSpec::Balanced { .. } => "Balanced",
            InitSpec::Identity { .. } => "Identity",
            InitSpec::Zero => return "Zero".into(),
        };
        format!("{variant} {{ scale: {} }}", canonical_number(self.scale()))
    }

    /// The variant's name as a claim writes it.
    fn name(&self) -> &'static str {
        match self {
            InitSpec::Gaussian { .. } => "gaussian",
            InitSpec::Balanced { .. } => "balanced",
            InitSpec::Identity { .. } => "identity",
            InitSpec::Zero => "zero",
        }
    }

    pub(super) fn validate(&self, rows: usize, cols: usize, width: usize) -> Result<(), Invalid> {
        if *self == InitSpec::Zero {
            return Ok(());
        }
        let scale = self.scale();
        require(
            scale > 0.0 && scale.is_finite(),
            &format!("{}.scale", self.name()),
            || "a positive, finite scale".into(),
        )?;
        match self {
            InitSpec::Balanced { .. } => require(width >= rows.min(cols), "balanced", || {
                format!(
                    "a width of at least min(rows, cols) = {} to split the product",
                    rows.min(cols)
                )
            }),
            InitSpec::Identity { .. } => require(rows == cols && width == rows, "identity", || {
                format!(
                    "a square problem with width = rows; this one is {rows}×{cols} with width {width}"
                )
            }),
            InitSpec::Gaussian { .. } | InitSpec::Zero => Ok(()),
        }
    }

    /// The factors W_1, …, W_N of a rows×cols product with hidden width `width`.
    pub fn factors(
        &self,
        depth: usize,
        rows: usize,
        cols: usize,
        width: usize,
        rng: &mut Rng,
    ) -> Vec<DMatrix<f64>> {
        let per_layer = self.scale().powf(1.0 / depth as f64);
        match *self {
            InitSpec::Gaussian { .. } => layer_shapes(depth, rows, cols, width)
                .map(|(r, c)| random::gaussian_matrix(r, c, per_layer / (width as f64).sqrt(), rng))
                .collect(),
            InitSpec::Balanced { scale } => {
                let product =
                    random::gaussian_matrix(rows, cols, scale / (width as f64).sqrt(), rng);
                balanced_factors(&product, depth, width, rng)
            }
            InitSpec::Identity { .. } => (0..depth)
                .map(|_| DMatrix::identity(rows, cols) * per_layer)
                .collect(),
            InitSpec::Zero => layer_shapes(depth, rows, cols, width)
                .map(|(r, c)| DMatrix::zeros(r, c))
                .collect(),
        }
    }
}

/// A number in canonical text: the shortest digits that read back as the same f64, in plain
/// decimal with at least one decimal place when 1e-4 ≤ |x| < 1e16 (`0.001`, `5.0`), otherwise
/// in exponent form (`1e-6`, `2.5e-7`).
pub fn canonical_number(x: f64) -> String {
    let exponent_form = format!("{x:e}");
    let magnitude = x.abs();
    if !x.is_finite() || (x != 0.0 && !(1e-4..1e16).contains(&magnitude)) {
        return exponent_form;
    }
    let (mantissa, exponent) = exponent_form
        .split_once('e')
        .expect("`{:e}` always writes an exponent");
    let exponent: i32 = exponent.parse().expect("a whole exponent");
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    // The decimal point goes after digit `exponent + 1` of the digit string.
    let point = exponent + 1;
    let (whole, fraction) = if point <= 0 {
        let zeros = "0".repeat(point.unsigned_abs() as usize);
        ("0".to_string(), format!("{zeros}{digits}"))
    } else if point as usize >= digits.len() {
        let zeros = "0".repeat(point as usize - digits.len());
        (format!("{digits}{zeros}"), String::new())
    } else {
        let (whole, fraction) = digits.split_at(point as usize);
        (whole.to_string(), fraction.to_string())
    };
    let fraction = if fraction.is_empty() {
        "0".to_string()
    } else {
        fraction
    };
    format!("{sign}{whole}.{fraction}")
}

/// The shapes (rows, cols) of W_1, …, W_N: W_1 is width×cols, W_N is rows×width.
pub fn layer_shapes(
    depth: usize,
    rows: usize,
    cols: usize,
    width: usize,
) -> impl Iterator<Item = (usize, usize)> {
    (0..depth).map(move |j| {
        let out = if j + 1 == depth { rows } else { width };
        let input = if j == 0 { cols } else { width };
        (out, input)
    })
}

/// Balanced factors whose product is `product`: with P = U S Vᵀ (thin SVD, p = min(rows, cols))
/// and random orthogonal Q_j whose first p columns are Q̂_j,
/// W_1 = Q̂_1 S^{1/N} Vᵀ, W_j = Q̂_j S^{1/N} Q̂_{j−1}ᵀ, W_N = U S^{1/N} Q̂_{N−1}ᵀ.
/// Needs width ≥ p. A product whose SVD fails (non-finite entries from an absurd scale) gives
/// NaN factors: the run then reports divergence at its first step.
pub fn balanced_factors(
    product: &DMatrix<f64>,
    depth: usize,
    width: usize,
    rng: &mut Rng,
) -> Vec<DMatrix<f64>> {
    if depth == 1 {
        return vec![product.clone()];
    }
    let (rows, cols) = product.shape();
    // nalgebra's `svd` iterates without bound on non-finite input; this is the same iteration
    // (its tolerance 5ε), capped.
    let finite = product.iter().all(|x| x.is_finite());
    let svd = finite
        .then(|| SVD::try_new(product.clone(), true, true, 5.0 * f64::EPSILON, 10_000))
        .flatten();
    let Some(SVD {
        u: Some(u),
        v_t: Some(v_t),
        singular_values,
    }) = svd
    else {
        return layer_shapes(depth, rows, cols, width)
            .map(|(r, c)| DMatrix::from_element(r, c, f64::NAN))
            .collect();
    };
    let p = singular_values.len();
    let root = DMatrix::from_diagonal(&singular_values.map(|s| s.powf(1.0 / depth as f64)));
    let frames: Vec<DMatrix<f64>> = (1..depth)
        .map(|_| {
            random::orthogonal_matrix(width, rng)
                .columns(0, p)
                .into_owned()
        })
        .collect();
    (0..depth)
        .map(|j| {
            let left = if j + 1 == depth { &u } else { &frames[j] };
            let right = if j == 0 {
                v_t.clone()
            } else {
                frames[j - 1].transpose()
            };
            left * &root * right
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_product_without_an_svd_gives_nan_factors_not_a_hang() {
        let mut product = DMatrix::from_element(3, 2, 1.0);
        product[(1, 1)] = f64::INFINITY;
        let factors = balanced_factors(&product, 3, 4, &mut random::named_stream(0, "test"));
        let shapes: Vec<_> = factors.iter().map(|f| f.shape()).collect();
        assert_eq!(shapes, [(4, 2), (4, 4), (3, 4)]);
        assert!(factors.iter().all(|f| f.iter().all(|x| x.is_nan())));
    }
}
