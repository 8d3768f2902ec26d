//! Where a deep factorisation starts. Scales follow Arora et al.'s convention (science.md §1):
//! ‖W(0)‖_F ≈ s·√n for an n×n product.

use crate::invalid::{Invalid, require};
use crate::random::{self, Rng};
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum InitSpec {
    /// Independent Gaussian layers with std s^{1/N}/√width (Arora et al. 2019, code).
    Gaussian { scale: f64 },
    /// A random product with N(0, s²/width) entries split through its SVD so that
    /// W_{j+1}ᵀW_{j+1} = W_jW_jᵀ (science.md §1, "Balanced initialisation").
    Balanced { scale: f64 },
    /// s^{1/N}·I in every layer; square problems with width = rows only.
    Identity { scale: f64 },
}

impl InitSpec {
    fn scale(&self) -> f64 {
        match *self {
            InitSpec::Gaussian { scale }
            | InitSpec::Balanced { scale }
            | InitSpec::Identity { scale } => scale,
        }
    }

    /// The variant's name as a claim writes it.
    fn name(&self) -> &'static str {
        match self {
            InitSpec::Gaussian { .. } => "gaussian",
            InitSpec::Balanced { .. } => "balanced",
            InitSpec::Identity { .. } => "identity",
        }
    }

    pub(super) fn validate(&self, rows: usize, cols: usize, width: usize) -> Result<(), Invalid> {
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
            InitSpec::Gaussian { .. } => Ok(()),
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
        }
    }
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
/// Needs width ≥ p.
pub fn balanced_factors(
    product: &DMatrix<f64>,
    depth: usize,
    width: usize,
    rng: &mut Rng,
) -> Vec<DMatrix<f64>> {
    if depth == 1 {
        return vec![product.clone()];
    }
    let svd = product.clone().svd(true, true);
    let (u, v_t) = (svd.u.expect("SVD with U"), svd.v_t.expect("SVD with Vᵀ"));
    let p = svd.singular_values.len();
    let root = DMatrix::from_diagonal(&svd.singular_values.map(|s| s.powf(1.0 / depth as f64)));
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
