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


# The algorithm itself is the reference trainer's, which also speaks the external-run protocol.
sys.path.insert(0, str(ROOT / "reference"))
from numpy_deep import Completion, Deep, Sensing, instance, step_rule  # noqa: E402


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
    problem, factors, run = instance(entry)
    truth = None if entry.get("truth") is None else np.array(entry["truth"], dtype=np.float64)
    return problem, truth, factors, run


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
