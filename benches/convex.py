#!/usr/bin/env python3
"""The certified nuclear-norm solve side by side with cvxpy + SCS, and how it scales.

What users would otherwise run: Arora et al. (2019) solved min ||X||_* s.t. X_ij = y_ij with
CVXPY; SCS is cvxpy's default solver for it (a semidefinite cone). For every instance implreg
draws (`examples/timings.rs nuclear`), implreg solves it to its defaults (relative duality gap
1e-6, feasibility 1e-8, with a certificate) and writes the instance; cvxpy + SCS (eps_abs =
eps_rel = 1e-6, one thread) then solves the same instance, timed around `problem.solve()` as a
user would wait for it. Both report the nuclear norm they reach and their largest constraint
violation relative to max(1, max|y|).

    pip install numpy cvxpy
    python3 benches/convex.py               # side by side at 30x30 and 100x100 (about 2 minutes)
    python3 benches/convex.py --scale       # n = 100 ... 2000, rank 10, 10 % observed (about 15 min)
    python3 benches/convex.py --scale --peer-limit 600   # also cvxpy (n <= 1000), 10 minutes each at most

Each implreg figure is the median of 3 solves (1 with --scale); cvxpy's of 1 (its solves last
seconds to hours).
"""

import os

for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[variable] = "1"

import argparse
import json
import pathlib
import resource
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
TIMINGS = ROOT / "target" / "release" / "examples" / "timings"


def implreg(n, rank, observed, seed, instance, quick):
    command = [str(TIMINGS), "nuclear", str(n), str(rank), str(observed), str(seed), str(instance)]
    if quick:
        command.append("--quick")
    return json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)


PEER = r"""
import os, sys, json, time, resource
for v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[v] = "1"
import numpy as np, cvxpy as cp
inst = json.load(open(sys.argv[1]))
entries = inst["observations"]["entries"]
at = np.array([(e["row"], e["col"]) for e in entries]); y = np.array([e["value"] for e in entries])
X = cp.Variable((inst["rows"], inst["cols"]))
problem = cp.Problem(cp.Minimize(cp.normNuc(X)), [X[at[:, 0], at[:, 1]] == y])
started = time.perf_counter()
problem.solve(solver=cp.SCS, eps_abs=1e-6, eps_rel=1e-6, max_iters=10**7)
seconds = time.perf_counter() - started
nuclear = float(np.linalg.svd(X.value, compute_uv=False).sum())
violation = float(np.abs(X.value[at[:, 0], at[:, 1]] - y).max() / max(1.0, np.abs(y).max()))
print(json.dumps(dict(seconds=seconds, iterations=problem.solver_stats.num_iters,
                      status=problem.status, nuclear_norm=nuclear, feasibility=violation,
                      peak_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)))
"""


def peer(instance, limit):
    """cvxpy + SCS in a child process (so that its memory is its own), or why it did not finish."""
    try:
        done = subprocess.run([sys.executable, "-c", PEER, str(instance)], capture_output=True,
                              text=True, timeout=limit)
    except subprocess.TimeoutExpired:
        return {"status": f"not finished in {limit:.0f} s"}
    if done.returncode != 0:
        return {"status": "failed: " + done.stderr.strip().splitlines()[-1]}
    return json.loads(done.stdout)


def side_by_side(folder):
    print("| instance | seed | implreg (iterations) | cvxpy + SCS (iterations) | ratio | ‖X‖* implreg / SCS |")
    print("|---|---|---|---|---|---|")
    for n, rank, observed in ((30, 2, 250), (100, 5, 2000)):
        for seed in (0, 1, 2):
            instance = folder / f"completion-{n}-{seed}.json"
            ours = implreg(n, rank, observed, seed, instance, quick=False)
            theirs = peer(instance, 3600)
            print(f"| {n}×{n}, rank {rank}, {observed} entries | {seed} "
                  f"| {ours['seconds']:.3f} s ({ours['iterations']}) "
                  f"| {theirs['seconds']:.3f} s ({theirs['iterations']}) "
                  f"| {ours['seconds'] / theirs['seconds']:.2f}× "
                  f"| {ours['nuclear_norm']:.7g} / {theirs['nuclear_norm']:.7g} |", flush=True)


def scale(folder, peer_limit):
    print("| n | entries | implreg | iterations | rank found | gap | feasibility | peak memory | cvxpy + SCS |")
    print("|---|---|---|---|---|---|---|---|---|")
    for n in (100, 200, 500, 1000, 2000):
        observed = n * n // 10
        instance = folder / f"scale-{n}.json"
        ours = implreg(n, 10, observed, 0, instance, quick=True)
        memory = f"{ours['peak_mb']:.0f} MB" if ours.get("peak_mb") else "—"
        theirs = "not run"
        # Not above n = 1000: SCS's cone would be 4000×4000 (not measured here).
        if peer_limit > 0 and n <= 1000:
            result = peer(instance, peer_limit)
            theirs = (f"{result['seconds']:.1f} s, {result['peak_mb']:.0f} MB"
                      if "seconds" in result else result["status"])
        print(f"| {n} | {observed} | {ours['seconds']:.2f} s | {ours['iterations']} "
              f"| {ours['rank_found']} | {ours['gap']:.1e} | {ours['feasibility']:.1e} "
              f"| {memory} | {theirs} |", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", action="store_true", help="the scaling table instead")
    parser.add_argument("--peer-limit", type=float, default=0.0,
                        help="with --scale: run cvxpy + SCS too, for at most this many seconds each")
    args = parser.parse_args()
    subprocess.run(["cargo", "build", "--release", "--example", "timings"], cwd=ROOT, check=True)
    with tempfile.TemporaryDirectory() as folder:
        if args.scale:
            scale(pathlib.Path(folder), args.peer_limit)
        else:
            side_by_side(pathlib.Path(folder))


if __name__ == "__main__":
    main()
