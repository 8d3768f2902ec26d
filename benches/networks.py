#!/usr/bin/env python3
"""Quadratic, ReLU and CP models side by side with numpy, and trace minimisation with cvxpy.

Step times: implreg checks a claim of S seeds on one thread without the store, and its wall time
is divided by the steps taken; numpy runs the same model and the same gradient descent on an
instance of the same sizes, float64, one BLAS thread, written as a numpy user would write it:
the quadratic network's values as Σⱼ(uⱼᵀxᵢ)² from X·Uᵀ and its gradient as 2c·U·Xᵀdiag(r)X
(implreg forms W = UᵀU and applies the dense rank-one measurements instead), the ReLU network
by its forward and backward passes, the CP factorisation with einsum (paths planned once). The
trace minimiser over the PSD cone: implreg's
`trace_psd` per solve (ADMM and its certificate) against cvxpy with Clarabel (an SDP) on the
very instances implreg draws (`implreg export`), timed whole and inside the solver. The
median of REPEATS runs each.

    pip install numpy cvxpy
    python3 benches/networks.py          # about a minute
"""
import statistics
import sys
import time

from harness import claim, export, implreg_binary, implreg_seconds

import numpy as np

STEPS, SEEDS, SOLVES, REPEATS = 5000, 4, 10, 3


def numpy_quadratic_step(d, m, n, lr):
    rng = np.random.default_rng(0)
    x = rng.normal(0, 1 / np.sqrt(d), (n, d))
    y = rng.normal(0, 1, n)
    u = rng.normal(0, 1e-3, (m, d))
    c = 1.0 / n
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        for _ in range(STEPS):
            h = x @ u.T
            r = (h * h).sum(axis=1) - y
            g = 2.0 * c * (u @ ((x.T * r) @ x))
            u -= lr * g
        times.append((time.perf_counter() - start) / STEPS)
    return statistics.median(times)


def numpy_relu_step(d, m, n, lr):
    rng = np.random.default_rng(0)
    x = np.linalg.qr(rng.normal(0, 1, (d, d)))[0][:, :n]
    y = rng.normal(0, 1, n)
    w = rng.normal(0, 1e-3 / np.sqrt(d), (m, d))
    a = np.sign(rng.normal(0, 1, m)) * np.linalg.norm(w, axis=1)
    c = 1.0 / n
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        for _ in range(STEPS):
            z = w @ x
            act = np.maximum(z, 0.0)
            r = c * (act.T @ a - y)
            ga = act @ r
            gw = ((z > 0) * np.outer(a, r)) @ x.T
            w -= lr * gw
            a -= lr * ga
        times.append((time.perf_counter() - start) / STEPS)
    return statistics.median(times)


def numpy_cp_step(order, d, r, k, lr):
    """GD on a CP factorisation of an order-N tensor from k observed entries, written with
    einsum (contraction paths planned once), as a numpy user would write it."""
    rng = np.random.default_rng(0)
    shape = (d,) * order
    mask = np.zeros(d ** order)
    mask[rng.choice(d ** order, k, replace=False)] = 1.0
    mask = mask.reshape(shape)
    y = rng.normal(0, 1, shape) * mask
    factors = [rng.normal(0, 1e-2, (d, r)) for _ in range(order)]
    letters = "ijklmnop"[:order]
    forward = ",".join(f"{c}r" for c in letters) + "->" + letters
    path = np.einsum_path(forward, *factors, optimize="optimal")[0]
    backward = []
    for n in range(order):
        others = [f"{c}r" for m, c in enumerate(letters) if m != n]
        spec = letters + "," + ",".join(others) + "->" + letters[n] + "r"
        operands = [mask] + [factors[m] for m in range(order) if m != n]
        backward.append((spec, np.einsum_path(spec, *operands, optimize="optimal")[0]))
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        for _ in range(STEPS // 10):
            t = np.einsum(forward, *factors, optimize=path)
            g = mask * (t - y) / k
            grads = [np.einsum(spec, g, *[factors[m] for m in range(order) if m != n],
                               optimize=p) for n, (spec, p) in enumerate(backward)]
            for f, gr in zip(factors, grads):
                f -= lr * gr
        times.append((time.perf_counter() - start) / (STEPS // 10))
    return statistics.median(times)


def quadratic_instance(binary, problem, seed):
    data = export(binary, problem, seed)
    measurements = data["observations"]["measurements"]
    return np.array(measurements["operator"]), np.array(measurements["targets"]), data["rows"]


def cvxpy_trace_seconds(instances):
    import cvxpy as cp
    whole, solver = [], []
    for operator, targets, d in instances:
        z = cp.Variable((d, d), PSD=True)
        # Row k of the operator is vec(A_k), column-major; A_k is symmetric.
        constraints = [operator @ cp.vec(z, order="F") == targets]
        problem = cp.Problem(cp.Minimize(cp.trace(z)), constraints)
        start = time.perf_counter()
        problem.solve(solver=cp.CLARABEL)
        whole.append(time.perf_counter() - start)
        solver.append(problem.solver_stats.solve_time or float("nan"))
    return statistics.median(whole), statistics.median(solver)


def main():
    binary = implreg_binary()
    print(f"numpy {np.__version__}; one thread; GD steps on the mean square loss")
    print("| what | implreg | numpy | ratio |")
    print("|---|---|---|---|")
    for d, m, n in [(10, 10, 30), (30, 30, 200)]:
        problem = {"quadratic": {"dim": d, "rank": 2, "samples": n}}
        run = {"quadratic": {"width": m, "init": {"gaussian": {"scale": 1e-6}},
                             "optimizer": {"gd": {"lr": 0.05}}, "steps": STEPS}}
        seconds, steps = implreg_seconds(binary, claim(problem, {"run": run}, SEEDS), REPEATS)
        ours = seconds / sum(steps)
        theirs = numpy_quadratic_step(d, m, n, 0.05)
        print(f"| GD step, quadratic, d = {d}, width {m}, n = {n} | {ours * 1e6:.2f} µs | "
              f"{theirs * 1e6:.2f} µs | {theirs / ours:.1f}× |")
    for d, m, n in [(20, 100, 6), (256, 512, 128)]:
        problem = {"orthogonal": {"dim": d, "samples": n}}
        run = {"relu": {"width": m, "scale": 1e-3, "optimizer": {"gd": {"lr": 0.01}},
                        "steps": STEPS}}
        seconds, steps = implreg_seconds(binary, claim(problem, {"run": run}, SEEDS), REPEATS)
        ours = seconds / sum(steps)
        theirs = numpy_relu_step(d, m, n, 0.01)
        print(f"| GD step, relu, d = {d}, width {m}, n = {n} | {ours * 1e6:.2f} µs | "
              f"{theirs * 1e6:.2f} µs | {theirs / ours:.1f}× |")
    for order, d, r, k in [(3, 6, 10, 90), (4, 10, 100, 2000)]:
        problem = {"tensor": {"order": order, "dim": d, "rank": 5, "observed": k}}
        run = {"cp": {"components": r, "scale": 1e-2, "optimizer": {"gd": {"lr": 0.01}},
                      "steps": STEPS // 10}}
        seconds, steps = implreg_seconds(binary, claim(problem, {"run": run}, SEEDS), REPEATS)
        ours = seconds / sum(steps)
        theirs = numpy_cp_step(order, d, r, k, 0.01)
        print(f"| GD step, cp, order {order}, d = {d}, {r} components, {k} entries | "
              f"{ours * 1e6:.2f} µs | {theirs * 1e6:.2f} µs | {theirs / ours:.1f}× |")
    print()
    print("| trace over the PSD cone | implreg (whole check, per solve) | cvxpy + Clarabel "
          "(whole) | cvxpy's solver time | ratio (whole) |")
    print("|---|---|---|---|---|")
    for d, n in [(10, 30), (20, 100)]:
        problem = {"quadratic": {"dim": d, "rank": 2, "samples": n}}
        instances = [quadratic_instance(binary, problem, seed) for seed in range(SOLVES)]
        seconds, _ = implreg_seconds(binary, claim(problem, {"run": {"trace_psd": {}}}, SOLVES),
                                     REPEATS)
        ours = seconds / SOLVES
        whole, solver = cvxpy_trace_seconds(instances)
        print(f"| d = {d}, n = {n} | {ours * 1e3:.2f} ms | {whole * 1e3:.2f} ms | "
              f"{solver * 1e3:.2f} ms | {whole / ours:.1f}× |")


if __name__ == "__main__":
    sys.exit(main())
