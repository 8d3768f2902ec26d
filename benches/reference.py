#!/usr/bin/env python3
"""The numpy reference for implreg's deep-factorisation gradient descent, and the side-by-side.

What users would otherwise run: the papers' code (PyTorch) runs the dense algorithm, and numpy is
at least as fast at these sizes on a CPU. This file implements the same algorithm densely and
efficiently -- W = W_N...W_1 by prefix products, the masked (completion) or operator (sensing)
residual, the gradients (W_N...W_{j+1})^T grad(W) (W_{j-1}...W_1)^T by 3(N-1) matrix products into
preallocated arrays, Arora et al.'s normalised GD ("GroupRMSprop") -- in float64 on one BLAS
thread (docs/science.md section 8: more threads only slow 100x100 products down).

    pip install numpy
    python3 benches/reference.py            # side by side (about 5 minutes)
    python3 benches/reference.py --quick    # fewer, shorter samples (a smoke test)

It builds implreg's `examples/timings.rs` and, for every configuration of the grid (depths 2-4,
completion and sensing, n = 2, 30, 100, 200; benches/grid.rs), times implreg and then numpy
back to back with one protocol (the median over samples of the time per step), so that a
machine slowing down affects both alike. numpy draws its own instance of the same sizes (the
cost of a step does not depend on the values). Then: the dense path's GFLOP/s against a bare
GEMM, a five-seed claim on one and two threads, and the whole Arora-scale run on the instance
implreg exports (`implreg export`), both timed to the same stopping rule.
"""

import os

# One BLAS thread, set before numpy loads its BLAS.
for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[variable] = "1"

import argparse
import json
import pathlib
import platform
import subprocess
import sys
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent


class Completion:
    """Observed entries: the residual is gathered at them, the gradient scattered back."""

    def __init__(self, rows, cols, at, values, loss="mean"):
        self.rows, self.cols = rows, cols
        self.i = np.array([a[0] for a in at], dtype=np.intp)
        self.j = np.array([a[1] for a in at], dtype=np.intp)
        self.y = np.array(values, dtype=np.float64)
        self.c = 1.0 / len(self.y) if loss == "mean" else 1.0

    def loss_gradient(self, w, gradient):
        r = w[self.i, self.j] - self.y
        c = self.c
        gradient.fill(0.0)
        gradient[self.i, self.j] = c * r
        return 0.5 * c * float(r @ r)

    def residual(self, w):
        return w[self.i, self.j] - self.y


class Sensing:
    """Dense measurements: row k of `operator` is vec(A_k), column-major like implreg."""

    def __init__(self, rows, cols, operator, targets, loss="mean"):
        self.rows, self.cols = rows, cols
        self.operator = np.asarray(operator, dtype=np.float64)
        self.y = np.asarray(targets, dtype=np.float64)
        self.c = 1.0 / len(self.y) if loss == "mean" else 1.0

    def loss_gradient(self, w, gradient):
        r = self.operator @ w.reshape(-1, order="F") - self.y
        c = self.c
        gradient[...] = (c * (r @ self.operator)).reshape(self.rows, self.cols, order="F")
        return 0.5 * c * float(r @ r)

    def residual(self, w):
        return self.operator @ w.reshape(-1, order="F") - self.y


class NormalisedGd:
    """Arora et al.'s GroupRMSprop: lr / (sqrt(v_hat) + eps), v the EMA of sum_j |grad W_j|^2."""

    def __init__(self, lr=1e-3, decay=0.99, eps=1e-4):
        self.lr, self.decay, self.eps = lr, decay, eps
        self.average, self.power = 0.0, 1.0

    def apply(self, factors, gradients):
        squared = sum(float(np.vdot(g, g)) for g in gradients)
        self.average = self.decay * self.average + (1.0 - self.decay) * squared
        self.power *= self.decay
        step = self.lr / (np.sqrt(self.average / (1.0 - self.power)) + self.eps)
        for w, g in zip(factors, gradients):
            w -= step * g


class Gd:
    """Plain gradient descent."""

    def __init__(self, lr):
        self.lr = lr

    def apply(self, factors, gradients):
        for w, g in zip(factors, gradients):
            w -= self.lr * g


def step_rule(optimizer):
    """implreg's `optimizer` setting as a step rule."""
    (name, settings), = optimizer.items()
    return {"gd": Gd, "normalised_gd": NormalisedGd}[name](**settings)


class Deep:
    """W = W_N...W_1 with its prefix products, backward products and gradients preallocated."""

    def __init__(self, problem, factors, rule):
        self.problem, self.rule = problem, rule
        self.factors = [np.array(f, dtype=np.float64) for f in factors]
        cols = problem.cols
        self.prefixes = [np.zeros((f.shape[0], cols)) for f in self.factors]
        self.backward = [np.zeros((f.shape[0], cols)) for f in self.factors]
        self.gradients = [np.zeros_like(f) for f in self.factors]

    def loss_and_gradients(self):
        f, p, b, g = self.factors, self.prefixes, self.backward, self.gradients
        p[0][...] = f[0]
        for j in range(1, len(f)):
            np.matmul(f[j], p[j - 1], out=p[j])
        top = len(f) - 1
        loss = self.problem.loss_gradient(p[top], b[top])
        for j in range(top, 0, -1):
            np.matmul(b[j], p[j - 1].T, out=g[j])
            np.matmul(f[j].T, b[j], out=b[j - 1])
        g[0][...] = b[0]
        return loss

    def step(self):
        loss = self.loss_and_gradients()
        self.rule.apply(self.factors, self.gradients)
        return loss


def median_step_seconds(model, repeats, budget):
    """The same protocol as implreg's timings: warm up, pick k steps per sample so that a sample
    lasts about `budget` seconds, and return the median over `repeats` samples of time / k."""
    started = time.perf_counter()
    warm = 0
    while warm < 3 or time.perf_counter() - started < budget:
        model.step()
        warm += 1
    per_step = (time.perf_counter() - started) / warm
    k = max(1, int(budget / per_step))
    samples = []
    for _ in range(repeats):
        t = time.perf_counter()
        for _ in range(k):
            model.step()
        samples.append((time.perf_counter() - t) / k)
    return float(np.median(samples))


def draw(config, rng):
    """A random instance of a grid configuration, drawn like implreg draws its own (the per-step
    cost depends on the sizes, not the values): a Gaussian rank-r truth scaled to
    |W*|_F = n, uniformly sampled entries or N(0, 1/n^2) measurements, Gaussian factors with
    per-layer std scale^(1/N)/sqrt(n); or the Razin-Cohen 2x2 problem."""
    n, depth, loss = config["n"], config["depth"], config["loss"]
    if config["problem"] == "razin-cohen":
        problem = Completion(2, 2, [(0, 1), (1, 0), (1, 1)], [1.0, 1.0, 0.0], loss)
    else:
        r = config["rank"]
        truth = rng.standard_normal((n, r)) @ rng.standard_normal((r, n))
        truth *= n / np.linalg.norm(truth)
        k = config["observations"]
        if config["problem"] == "completion":
            linear = np.sort(rng.choice(n * n, size=k, replace=False))
            at = [(int(q % n), int(q // n)) for q in linear]
            problem = Completion(n, n, at, [truth[a] for a in at], loss)
        else:
            operator = rng.standard_normal((k, n * n)) / n
            problem = Sensing(n, n, operator, operator @ truth.reshape(-1, order="F"), loss)
    per_layer = config["init_scale"] ** (1.0 / depth) / np.sqrt(n)
    factors = [per_layer * rng.standard_normal((n, n)) for _ in range(depth)]
    return problem, factors


def exported(path):
    """An instance implreg exported (`implreg export`): the problem, the truth and one run's
    initial factors and settings."""
    with open(path) as handle:
        entry = json.load(handle)
    rows, cols, loss = entry["rows"], entry["cols"], entry["run"]["loss"]
    observations = entry["observations"]
    if "entries" in observations:
        at = [(e["row"], e["col"]) for e in observations["entries"]]
        values = [e["value"] for e in observations["entries"]]
        problem = Completion(rows, cols, at, values, loss)
    else:
        m = observations["measurements"]
        problem = Sensing(rows, cols, m["operator"], m["targets"], loss)
    truth = None if entry.get("truth") is None else np.array(entry["truth"], dtype=np.float64)
    return problem, truth, entry["factors"], entry["run"]


def numpy_step(config, repeats, budget, rng):
    """numpy's median time per step on one configuration of implreg's grid."""
    problem, factors = draw(config, rng)
    model = Deep(problem, factors, step_rule(config["optimizer"]))
    return median_step_seconds(model, repeats, budget)


def whole_run(path):
    """The whole run on an exported instance: from the exported factors until the train loss
    reaches the run's target or its step budget, as implreg runs it.
    Returns (seconds, steps, test MSE)."""
    problem, truth, factors, run = exported(path)
    model = Deep(problem, factors, step_rule(run["optimizer"]))
    target, budget = run["target_loss"], run.get("steps", 1_000_000)
    started = time.perf_counter()
    steps = 0
    while True:
        loss = model.loss_and_gradients()
        if loss <= target or steps >= budget:
            break
        model.rule.apply(model.factors, model.gradients)
        steps += 1
    seconds = time.perf_counter() - started
    return seconds, steps, float(np.mean((model.prefixes[-1] - truth) ** 2))


def machine():
    name = platform.processor() or platform.machine()
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                name = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{name}, {os.cpu_count()} cores, numpy {np.__version__}"


def gemm_rate(n, repeats, budget):
    """The machine's own GEMM throughput at n (numpy's BLAS, one thread), in GFLOP/s."""
    a, b, c = np.random.default_rng(0).standard_normal((3, n, n))

    class Gemm:
        def step(self):
            np.matmul(a, b, out=c)

    return 2.0 * n**3 / median_step_seconds(Gemm(), repeats, budget) / 1e9


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer, shorter samples (a smoke test)")
    args = parser.parse_args()
    repeats, budget = (5, 0.02) if args.quick else (31, 0.05)
    subprocess.run(["cargo", "build", "--release", "--quiet", "--example", "timings"], cwd=ROOT, check=True)
    binary = ROOT / "target" / "release" / "examples" / "timings"

    def implreg(*words):
        command = [str(binary), *words] + (["--quick"] if args.quick else [])
        result = subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True)
        return json.loads(result.stdout)

    print(f"machine: {machine()}")
    print(f"time per GD step (median of {repeats} samples; numpy on one BLAS thread; each row")
    print("measures implreg, then numpy, back to back)\n")
    print(f"{'problem':<12}{'n':>5}{'depth':>7}{'implreg':>14}{'numpy':>14}{'speed-up':>10}")
    rng = np.random.default_rng(0)
    for config in implreg("grid"):
        ours = implreg("step", config["name"])["seconds"]
        theirs = numpy_step(config, repeats, budget, rng)
        print(
            f"{config['problem']:<12}{config['n']:>5}{config['depth']:>7}"
            f"{ours * 1e6:>11.2f} µs{theirs * 1e6:>11.2f} µs{theirs / ours:>9.1f}×",
            flush=True,
        )

    print("\ndense path (3(N-1) GEMMs per step, as for sensing or a penalty) against the machine's GEMM")
    for dense in implreg("dense"):
        n = dense["n"]
        rate = gemm_rate(n, repeats, budget)
        print(
            f"  n = {n}, depth {dense['depth']}: implreg {dense['gflops']:.1f} GFLOP/s "
            f"({dense['gflops'] / dense['gemm_gflops']:.0%} of its own GEMM's "
            f"{dense['gemm_gflops']:.1f}); numpy's BLAS GEMM {rate:.1f} GFLOP/s",
            flush=True,
        )

    threads = implreg("threads")
    print(
        f"\n{threads['spec']} ({threads['seeds']} seeds, medians of alternate runs): "
        f"1 thread {threads['one']:.2f} s, 2 threads {threads['two']:.2f} s "
        f"({threads['two'] / threads['one']:.2f}×), identical output: {threads['identical']}",
        flush=True,
    )

    arora = implreg("arora", str(ROOT / "target" / "side-by-side"))
    seconds, steps, test_mse = whole_run(arora["instance"])
    print(f"\nwhole Arora run ({arora['description']}), one instance exported from implreg")
    print(f"  implreg: {arora['seconds']:.2f} s, {arora['steps']} steps, test MSE {arora['test_mse']:.3e}")
    print(f"  numpy:   {seconds:.2f} s, {steps} steps, test MSE {test_mse:.3e}")
    print(f"  implreg takes {arora['seconds'] / seconds:.2f}× numpy's time")
    same = f"{arora['test_mse']:.1e}" == f"{test_mse:.1e}"
    print(f"  same final error to 2 significant digits: {same}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
