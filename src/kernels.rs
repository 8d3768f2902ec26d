//! The two operations every sparse or matrix-free product in implreg reduces to, on columns of
//! one length: R dot products against a shared column, and R scaled columns added into one.
//! Taking R = 4 columns at a time loads the shared column once for four multiply-adds; on x86-64
//! with AVX2 and FMA they run four lanes wide with fused multiply-adds (as matrixmultiply's GEMM
//! does on such CPUs), elsewhere as plain loops. A task implements `WithKernels` once and
//! `dispatch` runs it with the best kernels the CPU has; results are bit-identical on one
//! machine, and may differ in rounding between machines with and without FMA.

/// How many columns share one load of the shared column (or of the output).
pub const GROUP: usize = 4;

/// The operations, on columns of one length.
pub trait Kernels {
    /// ⟨aᵣ, p⟩ for every r.
    fn dots<const R: usize>(a: [&[f64]; R], p: &[f64]) -> [f64; R];
    /// y ← y + Σᵣ gᵣ·aᵣ.
    fn axpys<const R: usize>(g: [f64; R], a: [&[f64]; R], y: &mut [f64]);
}

/// A computation written once over any `Kernels`. Its `run` and everything it calls on the hot
/// path must be `#[inline(always)]` and free of closures: only code inlined into `run_avx2` is
/// compiled with its CPU features (a closure's body is a function of its own, and `f64::mul_add`
/// outside them is a slow library call).
pub trait WithKernels {
    /// What the computation returns.
    type Output;
    /// The computation, with the kernels `K`.
    fn run<K: Kernels>(self) -> Self::Output;
}

/// ⟨aᵣ, p⟩ into `out[r]` for 1 to `GROUP` columns aᵣ: the group's size picks the unrolled kernel.
#[inline(always)]
pub fn group_dots<K: Kernels>(a: &[&[f64]], p: &[f64], out: &mut [f64]) {
    match *a {
        [a0] => out[..1].copy_from_slice(&K::dots([a0], p)),
        [a0, a1] => out[..2].copy_from_slice(&K::dots([a0, a1], p)),
        [a0, a1, a2] => out[..3].copy_from_slice(&K::dots([a0, a1, a2], p)),
        [a0, a1, a2, a3] => out[..4].copy_from_slice(&K::dots([a0, a1, a2, a3], p)),
        _ => panic!("a group has 1 to {GROUP} columns, found {}", a.len()),
    }
}

/// y ← y + Σᵣ gᵣ·aᵣ for 1 to `GROUP` columns aᵣ.
#[inline(always)]
pub fn group_axpys<K: Kernels>(g: &[f64], a: &[&[f64]], y: &mut [f64]) {
    match (g, a) {
        (&[g0], &[a0]) => K::axpys([g0], [a0], y),
        (&[g0, g1], &[a0, a1]) => K::axpys([g0, g1], [a0, a1], y),
        (&[g0, g1, g2], &[a0, a1, a2]) => K::axpys([g0, g1, g2], [a0, a1, a2], y),
        (&[g0, g1, g2, g3], &[a0, a1, a2, a3]) => K::axpys([g0, g1, g2, g3], [a0, a1, a2, a3], y),
        _ => panic!("a group has 1 to {GROUP} columns and as many weights"),
    }
}

/// Which kernels `dispatch` runs on this CPU: `avx2+fma` or `portable`. Results can differ in
/// the last bits between the two, so reports name it.
pub fn path() -> &'static str {
    #[cfg(target_arch = "x86_64")]
    if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
        return "avx2+fma";
    }
    "portable"
}

/// Runs `task` with AVX2/FMA kernels where the CPU has them, plain loops elsewhere.
pub fn dispatch<T: WithKernels>(task: T) -> T::Output {
    #[cfg(target_arch = "x86_64")]
    if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
        // SAFETY: the CPU has the features `run_avx2` is compiled for.
        return unsafe { run_avx2(task) };
    }
    task.run::<Portable>()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn run_avx2<T: WithKernels>(task: T) -> T::Output {
    task.run::<avx2::Avx2>()
}

/// Plain loops, for any CPU.
pub struct Portable;

impl Kernels for Portable {
    #[inline(always)]
    fn dots<const R: usize>(a: [&[f64]; R], p: &[f64]) -> [f64; R] {
        a.map(|a| a.iter().zip(p).map(|(x, y)| x * y).sum())
    }

    #[inline(always)]
    fn axpys<const R: usize>(g: [f64; R], a: [&[f64]; R], y: &mut [f64]) {
        for (index, y) in y.iter_mut().enumerate() {
            for r in 0..R {
                *y += g[r] * a[r][index];
            }
        }
    }
}

/// Four lanes with fused multiply-adds, inlined only into `run_avx2`.
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::Kernels;
    use std::arch::x86_64::{
        __m256d, _mm256_fmadd_pd, _mm256_loadu_pd, _mm256_set1_pd, _mm256_setzero_pd,
        _mm256_storeu_pd,
    };

    pub struct Avx2;

    const LANES: usize = 4;

    impl Kernels for Avx2 {
        #[inline(always)]
        fn dots<const R: usize>(a: [&[f64]; R], p: &[f64]) -> [f64; R] {
            let n = p.len();
            assert!(a.iter().all(|a| a.len() == n), "columns of one length");
            let body = n - n % LANES;
            // SAFETY: reached only from `run_avx2`, which runs where the CPU has
            // AVX2 and FMA; every load reads LANES numbers at k < body ≤ n of a slice of length n.
            unsafe {
                let mut sums: [__m256d; R] = [_mm256_setzero_pd(); R];
                for k in (0..body).step_by(LANES) {
                    let shared = _mm256_loadu_pd(p.as_ptr().add(k));
                    for r in 0..R {
                        let x = _mm256_loadu_pd(a[r].as_ptr().add(k));
                        sums[r] = _mm256_fmadd_pd(x, shared, sums[r]);
                    }
                }
                let mut totals = [0.0; R];
                for (total, (sum, a)) in totals.iter_mut().zip(sums.iter().zip(a)) {
                    let mut lanes = [0.0; LANES];
                    _mm256_storeu_pd(lanes.as_mut_ptr(), *sum);
                    *total = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
                    for k in body..n {
                        *total = a[k].mul_add(p[k], *total);
                    }
                }
                totals
            }
        }

        #[inline(always)]
        fn axpys<const R: usize>(g: [f64; R], a: [&[f64]; R], y: &mut [f64]) {
            let n = y.len();
            assert!(a.iter().all(|a| a.len() == n), "columns of one length");
            let body = n - n % LANES;
            // SAFETY: as in `dots`; every load and store touches LANES numbers at k < body ≤ n.
            unsafe {
                let mut weights: [__m256d; R] = [_mm256_setzero_pd(); R];
                for (weight, g) in weights.iter_mut().zip(g) {
                    *weight = _mm256_set1_pd(g);
                }
                for k in (0..body).step_by(LANES) {
                    let out = y.as_mut_ptr().add(k);
                    let mut sum = _mm256_loadu_pd(out);
                    for r in 0..R {
                        let x = _mm256_loadu_pd(a[r].as_ptr().add(k));
                        sum = _mm256_fmadd_pd(weights[r], x, sum);
                    }
                    _mm256_storeu_pd(out, sum);
                }
            }
            for k in body..n {
                for r in 0..R {
                    y[k] = g[r].mul_add(a[r][k], y[k]);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both kernel sets against plain arithmetic, for every group size and lengths with and
    /// without a tail.
    #[test]
    fn dots_and_axpys_agree_with_plain_arithmetic() {
        struct Check(usize);
        impl WithKernels for Check {
            type Output = ();
            #[inline(always)]
            fn run<K: Kernels>(self) {
                let n = self.0;
                let columns: Vec<Vec<f64>> = (0..4)
                    .map(|r| (0..n).map(|i| (i * (r + 2)) as f64 * 0.25 - 1.0).collect())
                    .collect();
                let shared: Vec<f64> = (0..n).map(|i| 1.0 / (i + 1) as f64).collect();
                let a = [0, 1, 2, 3].map(|r| columns[r].as_slice());
                let dots = K::dots(a, &shared);
                for r in 0..4 {
                    let expected: f64 = columns[r].iter().zip(&shared).map(|(x, y)| x * y).sum();
                    assert!((dots[r] - expected).abs() <= 1e-12 * (1.0 + expected.abs()));
                }
                let mut y = shared.clone();
                K::axpys([1.0, -2.0, 0.5], [a[0], a[1], a[2]], &mut y);
                for i in 0..n {
                    let expected =
                        shared[i] + columns[0][i] - 2.0 * columns[1][i] + 0.5 * columns[2][i];
                    assert!((y[i] - expected).abs() <= 1e-12 * (1.0 + expected.abs()));
                }
            }
        }
        for n in [0, 1, 3, 4, 5, 8, 13, 30] {
            Check(n).run::<Portable>();
            dispatch(Check(n));
        }
    }
}
