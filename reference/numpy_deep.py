#!/usr/bin/env python3
"""A numpy deep-factorisation trainer that speaks implreg's external-run protocol (docs/external.md).

implreg writes the seed's instance (`implreg export`'s format: the observations, the truth, the
run's settings and its initial factors W_1, ..., W_N) to $IMPLREG_INSTANCE; this program trains
W = W_N...W_1 from those factors by the settings' step rule (gd, normalised_gd, adam) on the
squared loss (`mean` or `sum`) until the settings' target loss, a loss that is no longer finite or
has blown up, or the step budget, as implreg's driver stops, and writes the end and samples of the
trajectory to $IMPLREG_RESULT, sampled as the instance's `sample` asks: every step, or the steps
it lists.

It is an independent implementation of the same algorithm, written from the papers' formulas,
densely: W by prefix products, the gradients (W_N...W_{j+1})^T grad(W) (W_{j-1}...W_1)^T by
matrix products into preallocated arrays. From the same factors it ends where implreg ends, up to
rounding.

    python3 reference/numpy_deep.py                     # as a claim's external run runs it
    python3 reference/numpy_deep.py --plant init-scale  # with a planted bug, for the tests:
        init-scale: ignores the given factors and starts from N(0, 1/n) (scale 1 a layer);
        adam-bias:  Adam without its bias correction.

Exit status 2 for settings it does not implement (a penalty, a flow, a margin loss): the run is
then reported failed, never silently wrong.
"""

import os

# One BLAS thread: implreg runs many seeds at once, and 100x100 products are faster on one.
for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, "1")

import argparse
import json
import math
import sys

import numpy as np

# implreg's driver: a loss above BLOW_UP * max(loss at step 0, 1) has diverged.
BLOW_UP = 1e8
# The step budget when only a target loss is given.
DEFAULT_STEP_CAP = 1_000_000


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


class Gd:
    """Plain gradient descent."""

    def __init__(self, lr):
        self.lr = lr

    def apply(self, factors, gradients):
        for w, g in zip(factors, gradients):
            w -= self.lr * g


class NormalisedGd:
    """Arora et al.'s GroupRMSprop: lr / (sqrt(v_hat) + eps), v the EMA of sum_j |grad W_j|^2."""

    def __init__(self, lr, decay=0.99, eps=1e-4):
        self.lr, self.decay, self.eps = lr, decay, eps
        self.average, self.power = 0.0, 1.0

    def apply(self, factors, gradients):
        squared = sum(float(np.vdot(g, g)) for g in gradients)
        self.average = self.decay * self.average + (1.0 - self.decay) * squared
        self.power *= self.decay
        step = self.lr / (math.sqrt(self.average / (1.0 - self.power)) + self.eps)
        for w, g in zip(factors, gradients):
            w -= step * g


class Adam:
    """Kingma & Ba: per coordinate lr * m_hat / (sqrt(v_hat) + eps), with bias correction
    (without it when `corrected` is false: a planted bug)."""

    def __init__(self, lr, beta1=0.9, beta2=0.999, eps=1e-8, decay_power=0.0, corrected=True):
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.decay_power, self.corrected = decay_power, corrected
        self.moments, self.powers, self.steps = None, [1.0, 1.0], 0

    def apply(self, factors, gradients):
        if self.moments is None:
            self.moments = [(np.zeros_like(g), np.zeros_like(g)) for g in gradients]
        self.steps += 1
        lr = self.lr * self.steps ** -self.decay_power if self.decay_power else self.lr
        b1, b2 = self.beta1, self.beta2
        self.powers[0] *= b1
        self.powers[1] *= b2
        first, second = (1.0 - self.powers[0], 1.0 - self.powers[1]) if self.corrected else (1.0, 1.0)
        for w, g, (m, v) in zip(factors, gradients, self.moments):
            m *= b1
            m += (1.0 - b1) * g
            v *= b2
            v += (1.0 - b2) * g * g
            scale = np.sqrt(v / second) + self.eps
            moving = scale > 0.0
            w[moving] -= lr * (m[moving] / first) / scale[moving]


def step_rule(optimizer, plant=None):
    """implreg's `optimizer` setting as a step rule."""
    (name, settings), = optimizer.items()
    if name == "gd":
        return Gd(**settings)
    if name == "normalised_gd":
        return NormalisedGd(**settings)
    if name == "adam":
        return Adam(**settings, corrected=plant != "adam-bias")
    raise NotImplementedError(f"the step rule `{name}`")


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

    def product(self):
        return self.prefixes[-1]

    def step(self):
        loss = self.loss_and_gradients()
        self.rule.apply(self.factors, self.gradients)
        return loss


def instance(entry):
    """The problem, the initial factors and the run's settings of an exported instance."""
    rows, cols, run = entry["rows"], entry["cols"], entry["run"]
    if entry.get("fit", "squared") != "squared":
        raise NotImplementedError(f"the fit `{entry['fit']}` (squared residuals only)")
    loss = run.get("loss", "mean")
    observations = entry["observations"]
    if "entries" in observations:
        at = [(e["row"], e["col"]) for e in observations["entries"]]
        values = [e["value"] for e in observations["entries"]]
        problem = Completion(rows, cols, at, values, loss)
    else:
        m = observations["measurements"]
        problem = Sensing(rows, cols, m["operator"], m["targets"], loss)
    return problem, entry["factors"], run


def rows(matrix):
    """A matrix as a list of rows; a value JSON cannot hold (NaN, +-inf) as null."""
    return [[float(x) if math.isfinite(x) else None for x in row] for row in matrix.tolist()]


def train(problem, factors, run, sample=None, plant=None, model=None):
    """Trains `model` (by default `Deep`: any class with its constructor, `loss_and_gradients`,
    `factors`, `gradients`, `rule` and `product`) as implreg's driver does, sampling as `sample`
    asks; returns (steps, end matrix, factors, samples)."""
    if run.get("penalty") is not None:
        raise NotImplementedError("penalties")
    if plant == "init-scale":
        rng = np.random.default_rng(0)
        factors = [rng.standard_normal(np.shape(f)) / math.sqrt(np.shape(f)[1]) for f in factors]
    model = (model or Deep)(problem, factors, step_rule(run["optimizer"], plant))
    target = run.get("target_loss")
    budget = run.get("steps", DEFAULT_STEP_CAP)
    sample = sample or {}
    every_step = sample.get("every_step", False)
    asked = set(sample.get("steps", []))
    samples, ceiling, step = [], math.inf, 0
    while True:
        loss = model.loss_and_gradients()
        if step == 0:
            ceiling = BLOW_UP * max(loss, 1.0)
        stop = (
            not math.isfinite(loss)
            or loss > ceiling
            or (target is not None and loss <= target)
            or loss < sys.float_info.min
            or step >= budget
        )
        if stop:
            break
        if every_step or step in asked:
            samples.append({"step": step, "matrix": rows(model.product())})
        model.rule.apply(model.factors, model.gradients)
        step += 1
    return step, model.product(), model.factors, samples


def main(model=None, name="numpy_deep.py", description=__doc__):
    """The protocol around `train`, with `model` (see `train`)."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--plant", choices=["init-scale", "adam-bias"], help="a planted bug, for tests")
    args = parser.parse_args()
    with open(os.environ["IMPLREG_INSTANCE"]) as handle:
        entry = json.load(handle)
    try:
        problem, factors, run = instance(entry)
        steps, matrix, factors, samples = train(problem, factors, run, entry.get("sample"), args.plant, model)
    except NotImplementedError as e:
        print(f"{name} does not implement {e}", file=sys.stderr)
        return 2
    result = {"matrix": rows(matrix), "steps": steps, "factors": [rows(f) for f in factors], "trajectory": samples}
    with open(os.environ["IMPLREG_RESULT"], "w") as handle:
        json.dump(result, handle)
    return 0


if __name__ == "__main__":
    sys.exit(main())
