//! The two operations every sparse or matrix-free product in implreg reduces to, on columns of
//! one length: R dot products against a shared column, and R scaled columns added into one.
//! Taking R = 4 columns at a time loads the shared column once for four multiply-adds; on x86-64
//! with AVX2 and FMA they run four lanes wide with fused multiply-adds (as matrixmultiply's GEMM
//! does on such CPUs), elsewhere as plain loops. A task implements `WithKernels` once and
//! `dispatch` runs it with the best kernels the CPU has; results are bit-identical on one
//! machine, and may differ in rounding between machines with and without FMA.
//!
//! Beside them, the solvers' own reductions and rotations (`dot`, `dot2`, `rotate`: Anderson's
//! products, Jacobi, Cholesky, Gram–Schmidt), which are exact instead: AVX2 four lanes wide where
//! the CPU has it, but unfused and in the portable code's order, so their bits never depend on
//! the CPU.

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

/// x·y with sixteen partial sums (four vector registers' worth, so that the additions of
/// consecutive chunks do not wait on each other), for the solvers' long reductions over their
/// own state. Unlike `Kernels::dots` it never fuses: with AVX2 the same partial sums are formed
/// four lanes at a time, so the result is bit-identical on every CPU, with half the
/// instructions.
pub fn dot(x: &[f64], y: &[f64]) -> f64 {
    assert_eq!(x.len(), y.len(), "dot: lengths differ");
    #[cfg(target_arch = "x86_64")]
    if is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2 (checked just above) and the lengths are equal.
        return unsafe { exact::dot(x, y) };
    }
    portable_dot(x, y)
}

/// (x·y, x·z) in one pass over x, each with eight partial sums (bit-identical on every CPU, as
/// `dot`).
pub fn dot2(x: &[f64], y: &[f64], z: &[f64]) -> (f64, f64) {
    assert!(
        x.len() == y.len() && x.len() == z.len(),
        "dot2: lengths differ"
    );
    #[cfg(target_arch = "x86_64")]
    if is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2 (checked just above) and the lengths are equal.
        return unsafe { exact::dot2(x, y, z) };
    }
    portable_dot2(x, y, z)
}

/// (x, y) ← (cos·x − sin·y, sin·x + cos·y), a Jacobi rotation of two columns. Element-wise, so
/// the same at every vector width: compiled for AVX2 where the CPU has it.
pub fn rotate(x: &mut [f64], y: &mut [f64], cos: f64, sin: f64) {
    assert_eq!(x.len(), y.len(), "rotate: lengths differ");
    #[cfg(target_arch = "x86_64")]
    if is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2, checked just above.
        return unsafe { exact::rotate(x, y, cos, sin) };
    }
    rotate_elements(x, y, cos, sin)
}

/// out ← a − b, element by element (exact, as `rotate`; the compiler vectorises it).
pub fn difference(out: &mut [f64], a: &[f64], b: &[f64]) {
    assert!(
        out.len() == a.len() && a.len() == b.len(),
        "difference: lengths differ"
    );
    for ((o, a), b) in out.iter_mut().zip(a).zip(b) {
        *o = a - b;
    }
}

fn portable_dot(x: &[f64], y: &[f64]) -> f64 {
    let (xc, yc) = (x.chunks_exact(16), y.chunks_exact(16));
    let mut s = [0.0; 16];
    for (a, b) in xc.clone().zip(yc.clone()) {
        for l in 0..16 {
            s[l] += a[l] * b[l];
        }
    }
    let mut lanes = [0.0; 4];
    for (l, lane) in lanes.iter_mut().enumerate() {
        *lane = (s[l] + s[l + 4]) + (s[l + 8] + s[l + 12]);
    }
    (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]) + tail(xc.remainder(), yc.remainder())
}

fn portable_dot2(x: &[f64], y: &[f64], z: &[f64]) -> (f64, f64) {
    let (xc, yc, zc) = (x.chunks_exact(8), y.chunks_exact(8), z.chunks_exact(8));
    let (mut s, mut t) = ([0.0; 8], [0.0; 8]);
    for ((a, b), c) in xc.clone().zip(yc.clone()).zip(zc.clone()) {
        for l in 0..8 {
            s[l] += a[l] * b[l];
            t[l] += a[l] * c[l];
        }
    }
    let reduce = |v: [f64; 8]| ((v[0] + v[4]) + (v[1] + v[5])) + ((v[2] + v[6]) + (v[3] + v[7]));
    (
        reduce(s) + tail(xc.remainder(), yc.remainder()),
        reduce(t) + tail(xc.remainder(), zc.remainder()),
    )
}

/// The elements a chunked product leaves over, in order.
#[inline(always)]
fn tail(x: &[f64], y: &[f64]) -> f64 {
    x.iter().zip(y).fold(0.0, |sum, (a, b)| sum + a * b)
}

#[inline(always)]
fn rotate_elements(x: &mut [f64], y: &mut [f64], cos: f64, sin: f64) {
    for (a, b) in x.iter_mut().zip(y.iter_mut()) {
        let (u, v) = (*a, *b);
        *a = cos * u - sin * v;
        *b = sin * u + cos * v;
    }
}

/// `dot`, `dot2` and `rotate` four lanes at a time: a multiply and an add per lane (never
/// fused), the partial sums and their reduction in the portable versions' order.
#[cfg(target_arch = "x86_64")]
mod exact {
    use super::{rotate_elements, tail};
    use std::arch::x86_64::{
        __m256d, _mm256_add_pd, _mm256_loadu_pd, _mm256_mul_pd, _mm256_setzero_pd, _mm256_storeu_pd,
    };

    /// (l₀ + l₁) + (l₂ + l₃).
    #[target_feature(enable = "avx2")]
    fn horizontal(v: __m256d) -> f64 {
        let mut lanes = [0.0; 4];
        // SAFETY: `lanes` holds four f64, and storeu has no alignment requirement.
        unsafe { _mm256_storeu_pd(lanes.as_mut_ptr(), v) };
        (lanes[0] + lanes[1]) + (lanes[2] + lanes[3])
    }

    /// Lanes 4k..4k+4 of the portable sixteen partial sums in accumulator k.
    #[target_feature(enable = "avx2")]
    pub(super) fn dot(x: &[f64], y: &[f64]) -> f64 {
        let chunks = x.len().min(y.len()) / 16;
        let mut acc = [_mm256_setzero_pd(); 4];
        for c in 0..chunks {
            for (k, a) in acc.iter_mut().enumerate() {
                let at = 16 * c + 4 * k;
                // SAFETY: at + 4 ≤ 16·chunks ≤ the length of both slices.
                let (p, q) = unsafe {
                    (
                        _mm256_loadu_pd(x.as_ptr().add(at)),
                        _mm256_loadu_pd(y.as_ptr().add(at)),
                    )
                };
                *a = _mm256_add_pd(*a, _mm256_mul_pd(p, q));
            }
        }
        let lanes = _mm256_add_pd(_mm256_add_pd(acc[0], acc[1]), _mm256_add_pd(acc[2], acc[3]));
        horizontal(lanes) + tail(&x[16 * chunks..], &y[16 * chunks..])
    }

    /// Lanes 4k..4k+4 of the portable eight partial sums in accumulator k, for each product.
    #[target_feature(enable = "avx2")]
    pub(super) fn dot2(x: &[f64], y: &[f64], z: &[f64]) -> (f64, f64) {
        let chunks = x.len().min(y.len()).min(z.len()) / 8;
        let mut s = [_mm256_setzero_pd(); 2];
        let mut t = [_mm256_setzero_pd(); 2];
        for c in 0..chunks {
            for k in 0..2 {
                let at = 8 * c + 4 * k;
                // SAFETY: at + 4 ≤ 8·chunks ≤ the length of all three slices.
                let (p, q, r) = unsafe {
                    (
                        _mm256_loadu_pd(x.as_ptr().add(at)),
                        _mm256_loadu_pd(y.as_ptr().add(at)),
                        _mm256_loadu_pd(z.as_ptr().add(at)),
                    )
                };
                s[k] = _mm256_add_pd(s[k], _mm256_mul_pd(p, q));
                t[k] = _mm256_add_pd(t[k], _mm256_mul_pd(p, r));
            }
        }
        let rest = 8 * chunks;
        (
            horizontal(_mm256_add_pd(s[0], s[1])) + tail(&x[rest..], &y[rest..]),
            horizontal(_mm256_add_pd(t[0], t[1])) + tail(&x[rest..], &z[rest..]),
        )
    }

    #[target_feature(enable = "avx2")]
    pub(super) fn rotate(x: &mut [f64], y: &mut [f64], cos: f64, sin: f64) {
        rotate_elements(x, y, cos, sin)
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

    /// The AVX2 reductions and rotation give the portable versions' bits, at lengths with and
    /// without a tail.
    #[test]
    fn exact_kernels_are_bit_identical_to_the_portable_ones() {
        for n in [0, 1, 3, 7, 8, 15, 16, 17, 18, 33, 100, 2301] {
            let column = |r: usize| -> Vec<f64> {
                (0..n)
                    .map(|i| ((i * (r + 3) + 1) as f64).sin() * (1.0 + i as f64).ln())
                    .collect()
            };
            let (x, y, z) = (column(0), column(1), column(2));
            assert_eq!(
                dot(&x, &y).to_bits(),
                portable_dot(&x, &y).to_bits(),
                "dot, n = {n}"
            );
            let (a, b) = dot2(&x, &y, &z);
            let (c, d) = portable_dot2(&x, &y, &z);
            assert_eq!(
                (a.to_bits(), b.to_bits()),
                (c.to_bits(), d.to_bits()),
                "dot2, n = {n}"
            );
            let expected = tail(&x, &y);
            assert!(
                (a - expected).abs() <= 1e-12 * (1.0 + expected.abs()),
                "dot2, n = {n}"
            );
            let (mut p, mut q) = (x.clone(), y.clone());
            let (mut r, mut s) = (x.clone(), y.clone());
            rotate(&mut p, &mut q, 0.6, 0.8);
            rotate_elements(&mut r, &mut s, 0.6, 0.8);
            assert_eq!((p, q), (r, s), "rotate, n = {n}");
        }
    }
}
