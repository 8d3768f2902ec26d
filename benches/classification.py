#!/usr/bin/env python3
"""Separable classification side by side with numpy and cvxpy.

Step times: implreg checks a claim of S seeds on one thread without the store, and its wall time
is divided by the steps taken; numpy runs the same algorithm (GD on the mean logistic loss, a
stable sigmoid) on an instance of the same sizes, float64, one BLAS thread, into preallocated
arrays where numpy allows. The convolutional network uses numpy's FFT as implreg uses rustfft.
Maximum margins: implreg's `max_margin` per solve (Clarabel, then implreg's own certificate)
against cvxpy (its default solver for these programs is Clarabel too) on the very instances
implreg draws (`implreg export`), timed whole (what a user waits for) and inside the solver.
The median of REPEATS runs each.

    pip install numpy cvxpy
    python3 benches/classification.py          # about two minutes
"""
import json
import statistics
import sys
import time

from harness import claim, export, implreg_binary, implreg_seconds

import numpy as np

STEPS, SEEDS, SOLVES, REPEATS = 20000, 5, 20, 3


def instance(binary, problem, seed):
    """Points (n×d) and labels of implreg's instance for `seed`."""
    measurements = export(binary, {"classification": problem}, seed)["observations"]["measurements"]
    return np.array(measurements["operator"]), np.array(measurements["targets"])


def slopes(x, y, w, out):
    """∂ℓ/∂β of the mean logistic loss: −(1/n)·Xᵀ(y·σ(−y⟨x, β⟩)), σ computed stably."""
    m = y * (x @ w)
    s = np.exp(-np.logaddexp(0.0, m))
    np.dot(x.T, -y * s / len(y), out=out)


def numpy_step_seconds(model, x, y, lr):
    d = x.shape[1]
    rng = np.random.default_rng(0)
    g = np.empty(d)
    if model == "linear":
        params = [np.zeros(d)]
    elif model == "fc2":
        params = [rng.normal(0, 0.1 / np.sqrt(d), (d, 1)), rng.normal(0, 0.1 / np.sqrt(d), (d, d))]
    elif model == "diagonal":
        params = [np.full(d, 0.1), np.full(d, 0.1)]
    else:
        params = [rng.normal(0, 0.1 / np.sqrt(d), d), rng.normal(0, 0.1 / np.sqrt(d), d)]
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        for _ in range(STEPS):
            if model == "linear":
                (w,) = params
                slopes(x, y, w, g)
                w -= lr * g
            elif model == "fc2":
                w1, w2 = params
                beta = (w2 @ w1)[:, 0]
                slopes(x, y, beta, g)
                gw2 = np.outer(g, w1[:, 0])
                gw1 = (w2.T @ g)[:, None]
                w2 -= lr * gw2
                w1 -= lr * gw1
            elif model == "diagonal":
                u, v = params
                slopes(x, y, u * u - v * v, g)
                u -= lr * 2.0 * u * g
                v += lr * 2.0 * v * g
            else:
                a, b = params
                fa, fb = np.fft.fft(a), np.fft.fft(b)
                beta = np.fft.ifft(fa * fb).real
                slopes(x, y, beta, g)
                fg = np.fft.fft(g)
                ga = np.fft.ifft(fg * np.conj(fb)).real
                gb = np.fft.ifft(fg * np.conj(fa)).real
                a -= lr * ga
                b -= lr * gb
        times.append((time.perf_counter() - start) / STEPS)
    return statistics.median(times)


def cvxpy_seconds(norm, instances):
    import cvxpy as cp
    whole, solver = [], []
    for x, y in instances:
        d = x.shape[1]
        beta = cp.Variable(d)
        if norm == "l2":
            objective = cp.sum_squares(beta)
        elif norm == "l1":
            objective = cp.norm1(beta)
        elif norm == "linf":
            objective = cp.norm_inf(beta)
        else:
            t = np.arange(d)
            k = np.arange(d)[:, None]
            dft = np.exp(-2j * np.pi * k * t / d)
            objective = cp.sum(cp.abs(dft @ beta))
        problem = cp.Problem(cp.Minimize(objective), [cp.multiply(y, x @ beta) >= 1])
        start = time.perf_counter()
        problem.solve(solver=cp.CLARABEL)
        whole.append(time.perf_counter() - start)
        solver.append(problem.solver_stats.solve_time or float("nan"))
    return statistics.median(whole), statistics.median(solver)


def main():
    binary = implreg_binary()
    print(f"numpy {np.__version__}; one thread; GD steps on the mean logistic loss")
    print("| what | implreg | numpy | ratio |")
    print("|---|---|---|---|")
    runs = {
        "linear": {"deep": {"depth": 1, "init": "zero", "optimizer": {"gd": {"lr": 1.0}}}},
        "fc2": {"deep": {"depth": 2, "init": {"gaussian": {"scale": 0.1}},
                         "optimizer": {"gd": {"lr": 0.5}}}},
        "diagonal": {"diagonal": {"depth": 2, "alpha": 0.1, "optimizer": {"gd": {"lr": 0.5}}}},
        "conv2": {"convolutional": {"depth": 2, "init": {"gaussian": {"scale": 0.1}},
                                    "optimizer": {"gd": {"lr": 0.2}}}},
    }
    for n, d in [(30, 10), (64, 256)]:
        problem = {"samples": n, "features": d, "margin": 0.0, "test_samples": 1}
        x, y = instance(binary, problem, 0)
        for model, run in runs.items():
            run = json.loads(json.dumps(run))
            next(iter(run.values()))["steps"] = STEPS
            seconds, steps = implreg_seconds(
                binary, claim({"classification": problem}, {"run": run}, SEEDS), REPEATS)
            ours = seconds / sum(steps)
            theirs = numpy_step_seconds(model, x, y, 0.1)
            print(f"| GD step, {model}, n = {n}, d = {d} | {ours * 1e6:.2f} µs | "
                  f"{theirs * 1e6:.2f} µs | {theirs / ours:.1f}× |")
    print()
    print("| maximum margin | implreg (whole check, per solve) | cvxpy + Clarabel (whole) | "
          "cvxpy's solver time | ratio (whole) |")
    print("|---|---|---|---|---|")
    for n, d in [(30, 10), (12, 16), (64, 64)]:
        problem = {"samples": n, "features": d, "margin": 0.0, "test_samples": 1}
        instances = [instance(binary, problem, seed) for seed in range(SOLVES)]
        for norm in ["l2", "l1", "linf", "fourier_l1"]:
            seconds, _ = implreg_seconds(
                binary, claim({"classification": problem},
                              {"run": {"max_margin": {"norm": norm}}}, SOLVES), REPEATS)
            ours = seconds / SOLVES
            whole, solver = cvxpy_seconds(norm, instances)
            print(f"| {norm}, n = {n}, d = {d} | {ours * 1e3:.2f} ms | {whole * 1e3:.2f} ms | "
                  f"{solver * 1e3:.2f} ms | {whole / ours:.1f}× |")


if __name__ == "__main__":
    sys.exit(main())
