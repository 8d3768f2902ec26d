#!/usr/bin/env python3
"""A penalised step side by side with numpy: the Zhao specs' depth-1 model, Adam on
(1/2k)·||P_Omega(W - Y)||^2 + lambda·||W||_* / ||W||_F, whose gradient takes one SVD a step
(U V^T / ||W||_F - ||W||_* W / ||W||_F^3, Zhao 2022; docs/science.md).

    pip install numpy
    python3 benches/penalty.py          # n = 30 (250 entries) and n = 100 (2,000), about a minute

implreg's side (`examples/timings.rs penalty`) takes 500 steps from its initialisation, then
times steps (median over 31 samples); it writes the instance and W after the 500 steps, from
which numpy takes the same steps with the same protocol (LAPACK's gesdd through
numpy.linalg.svd, one BLAS thread, arrays preallocated where numpy allows).
"""

import os

for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[variable] = "1"

import json
import pathlib
import subprocess
import tempfile

import numpy as np

from reference import median_step_seconds  # the same protocol as the other side-by-sides

ROOT = pathlib.Path(__file__).resolve().parent.parent
TIMINGS = ROOT / "target" / "release" / "examples" / "timings"


class PenalisedAdam:
    def __init__(self, instance):
        n = instance["rows"]
        entries = instance["observations"]["entries"]
        self.i = np.array([e["row"] for e in entries])
        self.j = np.array([e["col"] for e in entries])
        self.y = np.array([e["value"] for e in entries])
        self.c = 1.0 / len(self.y)
        self.w = np.array(instance["w"]).reshape((n, n), order="F")
        self.lr, self.weight = instance["lr"], instance["weight"]
        self.m, self.v = np.zeros_like(self.w), np.zeros_like(self.w)
        self.g = np.zeros_like(self.w)
        self.t = 0

    def step(self):
        g, w = self.g, self.w
        r = w[self.i, self.j] - self.y
        g.fill(0.0)
        g[self.i, self.j] = self.c * r
        u, s, vt = np.linalg.svd(w, full_matrices=False)
        cutoff = max(w.shape) * np.finfo(float).eps * s[0]
        nuclear, frobenius = s.sum(), np.sqrt((s * s).sum())
        kept = s > cutoff
        polar = (u[:, kept] / frobenius) @ vt[kept]
        g += self.weight * (polar - (nuclear / frobenius**3) * w)
        self.t += 1
        self.m *= 0.9
        self.m += 0.1 * g
        self.v *= 0.999
        self.v += 0.001 * g * g
        mhat = self.m / (1 - 0.9**self.t)
        vhat = self.v / (1 - 0.999**self.t)
        w -= self.lr * mhat / (np.sqrt(vhat) + 1e-8)


def main():
    subprocess.run(["cargo", "build", "--release", "--example", "timings"], cwd=ROOT, check=True)
    print("| n | entries | implreg | numpy | ratio |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as folder:
        for n, observed in ((30, 250), (100, 2000)):
            instance = pathlib.Path(folder) / f"penalty-{n}.json"
            ours = json.loads(subprocess.run(
                [str(TIMINGS), "penalty", str(n), str(observed), str(instance)],
                check=True, capture_output=True, text=True).stdout)
            model = PenalisedAdam(json.loads(instance.read_text()))
            theirs = median_step_seconds(model, repeats=31, budget=0.05)
            print(f"| {n} | {observed} | {ours['seconds'] * 1e6:.0f} µs | {theirs * 1e6:.0f} µs "
                  f"| {ours['seconds'] / theirs:.2f}× |", flush=True)


if __name__ == "__main__":
    main()
