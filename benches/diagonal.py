#!/usr/bin/env python3
"""Diagonal networks and their certified limit, side by side with numpy.

implreg: a claim with S seeds is run by the CLI on one thread without the store, and its wall
time divided by the work (steps, or solves); numpy: the same algorithm on an instance of the same
sizes, dense, float64, one BLAS thread, into preallocated arrays. The median of REPEATS runs each.

    pip install numpy
    python3 benches/diagonal.py          # about a minute
"""
import statistics
import sys
import time

import harness
from harness import implreg_binary

import numpy as np

N, D_FEATURES, K = 30, 100, 5
STEPS, SEEDS, SOLVES, REPEATS = 20000, 10, 50, 5


def claim(runs, seeds):
    problem = {"regression": {"samples": N, "features": D_FEATURES, "sparsity": K}}
    return harness.claim(problem, runs, seeds)


def implreg_seconds(binary, spec):
    """The median wall time of checking `spec` on one thread, without the store."""
    return harness.implreg_seconds(binary, spec, REPEATS)


def instance(rng):
    x = rng.normal(0.0, 1.0 / np.sqrt(N), size=(N, D_FEATURES))
    truth = np.zeros(D_FEATURES)
    truth[rng.choice(D_FEATURES, K, replace=False)] = rng.normal(size=K)
    return x, x @ truth


def numpy_gd_step_seconds(depth, alpha, lr, rng):
    """GD on w = u^D − v^D with the sum loss, preallocated; seconds a step."""
    x, y = instance(rng)
    u = np.full(D_FEATURES, alpha)
    v = np.full(D_FEATURES, alpha)
    w, r, g, t = (np.empty(D_FEATURES), np.empty(N), np.empty(D_FEATURES), np.empty(D_FEATURES))
    times = []
    for _ in range(REPEATS):
        u.fill(alpha)
        v.fill(alpha)
        start = time.perf_counter()
        for _ in range(STEPS):
            np.power(u, depth, out=w)
            np.power(v, depth, out=t)
            np.subtract(w, t, out=w)
            np.dot(x, w, out=r)
            np.subtract(r, y, out=r)
            np.dot(r, x, out=g)
            np.power(u, depth - 1, out=t)
            t *= g
            t *= lr * depth
            u -= t
            np.power(v, depth - 1, out=t)
            t *= g
            t *= lr * depth
            v += t
        times.append((time.perf_counter() - start) / STEPS)
    return statistics.median(times)


def h(s, depth):
    if depth == 2:
        return 2.0 * np.sinh(s)
    p = depth / (depth - 2.0)
    return (1.0 - s) ** -p - (1.0 + s) ** -p


def h_prime(s, depth):
    if depth == 2:
        return 2.0 * np.cosh(s)
    p = depth / (depth - 2.0)
    return p * ((1.0 - s) ** (-p - 1.0) + (1.0 + s) ** (-p - 1.0))


def big_h(s, depth):
    if depth == 2:
        return 4.0 * np.sinh(0.5 * s) ** 2
    e = 2.0 / (depth - 2.0)
    return 0.5 * (depth - 2.0) * ((1.0 - s) ** -e + (1.0 + s) ** -e - 2.0)


def numpy_potential_seconds(depth, alpha, rng):
    """Newton on the dual of argmin Q^D_α s.t. Xw = y, as `diagonal_potential`; seconds a solve."""
    scale = alpha ** depth
    times, iterations = [], []
    for _ in range(SOLVES):
        x, y = instance(rng)
        start = time.perf_counter()
        nu = np.zeros(N)
        for iteration in range(1000):
            s = x.T @ nu
            w = scale * h(s, depth)
            residual = y - x @ w
            if np.abs(residual).max() / max(1.0, np.abs(y).max()) <= 1e-10:
                break
            hessian = (x * (scale * h_prime(s, depth))) @ x.T
            step = np.linalg.solve(hessian, residual)
            ds = x.T @ step
            dual = nu @ y - scale * big_h(s, depth).sum()
            predicted, t = step @ residual, 1.0
            for _ in range(200):
                trial = s + t * ds
                if depth == 2 or np.abs(trial).max() < 1.0:
                    value = (nu + t * step) @ y - scale * big_h(trial, depth).sum()
                    if value >= dual + 0.25 * t * predicted - 1e-14 * abs(dual):
                        break
                t *= 0.5
            nu = nu + t * step
        times.append(time.perf_counter() - start)
        iterations.append(iteration)
    return statistics.median(times), statistics.median(iterations)


def main():
    binary = implreg_binary()
    rng = np.random.default_rng(0)
    print(f"numpy {np.__version__}; n = {N}, d = {D_FEATURES}, k = {K}; one thread")
    print("| what | implreg | numpy | ratio |")
    print("|---|---|---|---|")
    for depth, alpha, lr in [(2, 0.3, 0.01), (3, 0.3, 0.01)]:
        run = {"diagonal": {"depth": depth, "alpha": alpha, "optimizer": {"gd": {"lr": lr}},
                            "loss": "sum", "steps": STEPS}}
        seconds, steps = implreg_seconds(binary, claim({"run": run}, SEEDS))
        ours = seconds / sum(steps)
        theirs = numpy_gd_step_seconds(depth, alpha, lr, rng)
        print(f"| GD step, diagonal network D = {depth} | {ours * 1e6:.2f} µs | "
              f"{theirs * 1e6:.2f} µs | {theirs / ours:.1f}× |")
    for depth, alpha in [(2, 0.03), (3, 0.03)]:
        run = {"diagonal_potential": {"depth": depth, "alpha": alpha}}
        seconds, steps = implreg_seconds(binary, claim({"run": run}, SOLVES))
        ours = seconds / SOLVES
        theirs, iterations = numpy_potential_seconds(depth, alpha, rng)
        print(f"| argmin Q^D_α, D = {depth}, α = {alpha} (Newton: {statistics.median(steps)} / "
              f"{iterations} iterations) | {ours * 1e3:.3f} ms | {theirs * 1e3:.3f} ms | "
              f"{theirs / ours:.1f}× |")


if __name__ == "__main__":
    sys.exit(main())
