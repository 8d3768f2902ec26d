"""The external-run protocol from the program's side (docs/external.md).

implreg runs your training program with the instance's path in $IMPLREG_INSTANCE and reads back
what it writes to $IMPLREG_RESULT:

    from implreg import protocol

    instance = protocol.read_instance()          # the observations, settings, initial factors
    sampler = protocol.Sampler(instance)
    trajectory = []
    for step in range(budget):
        ...                                      # your training step
        if sampler.wants(step):
            trajectory.append(protocol.sample(step, w))
    protocol.write_result(w, steps, trajectory=trajectory)

Matrices are lists of rows; anything with `tolist()` (a numpy array, a torch tensor on the CPU)
is accepted where a matrix is written. A value JSON cannot hold (NaN, +-inf) is written as null.
"""

import json
import math
import os

INSTANCE = "IMPLREG_INSTANCE"
RESULT = "IMPLREG_RESULT"
SEED = "IMPLREG_SEED"
SCRATCH = "IMPLREG_SCRATCH"


def read_instance(path=None):
    """The instance implreg wrote (a dict: `rows`, `cols`, `fit`, `observations`, `truth`, `run`,
    `factors`, `seed`, `sample`), from `path` or $IMPLREG_INSTANCE."""
    with open(path or os.environ[INSTANCE]) as handle:
        return json.load(handle)


def rows(matrix):
    """A matrix as a list of rows of floats, non-finite values as None."""
    if hasattr(matrix, "tolist"):
        matrix = matrix.tolist()
    return [[float(x) if math.isfinite(x) else None for x in row] for row in matrix]


def sample(step, matrix):
    """One trajectory sample: the end-to-end matrix after `step` steps."""
    return {"step": int(step), "matrix": rows(matrix)}


class Sampler:
    """Which steps the claim needs samples of (the instance's `sample`): every step, or those
    listed."""

    def __init__(self, instance):
        asked = instance.get("sample") or {}
        self.every_step = bool(asked.get("every_step", False))
        self.steps = set(asked.get("steps", []))

    def wants(self, step):
        return self.every_step or step in self.steps


def write_result(matrix, steps, factors=None, trajectory=None, path=None):
    """Writes the result: the end-to-end matrix after `steps` steps, optionally the factors
    W_1, ..., W_N and the trajectory's samples (by increasing step, each before `steps`), to
    `path` or $IMPLREG_RESULT."""
    result = {"matrix": rows(matrix), "steps": int(steps)}
    if factors is not None:
        result["factors"] = [rows(f) for f in factors]
    if trajectory:
        result["trajectory"] = list(trajectory)
    with open(path or os.environ[RESULT], "w") as handle:
        json.dump(result, handle)
