#!/usr/bin/env python3
"""A JAX deep-factorisation trainer that speaks implreg's external-run protocol (docs/external.md).

The same protocol, stopping rules, step rules and sampling as numpy_deep.py (imported from beside
it), with the gradients taken by JAX's automatic differentiation of the loss
l(W_N...W_1) = c/2 * sum_i (<A_i, W> - y_i)^2 (c = 1/m for `mean`), in float64 and jitted, instead
of the hand-derived products: an independent check of implreg's gradients.

    pip install jax numpy
    python3 reference/jax_deep.py                       # as a claim's external run runs it
"""

import os
import sys

# Before JAX loads: one thread, 64-bit floats.
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")

import jax
import jax.numpy as jnp
import numpy as np

import numpy_deep

jax.config.update("jax_enable_x64", True)


class JaxDeep:
    """W = W_N...W_1 and the gradients of the loss in every factor, by `jax.value_and_grad`."""

    def __init__(self, problem, factors, rule):
        self.problem, self.rule = problem, rule
        self.factors = [np.array(f, dtype=np.float64) for f in factors]
        self.gradients = [np.zeros_like(f) for f in self.factors]
        self.w = None
        if isinstance(problem, numpy_deep.Completion):
            i, j, y = jnp.asarray(problem.i), jnp.asarray(problem.j), jnp.asarray(problem.y)
            residual = lambda w: w[i, j] - y  # noqa: E731
        else:
            operator, y = jnp.asarray(problem.operator), jnp.asarray(problem.y)
            residual = lambda w: operator @ w.T.reshape(-1) - y  # noqa: E731 (vec is column-major)
        c = problem.c

        def loss(factors):
            w = factors[0]
            for f in factors[1:]:
                w = f @ w
            r = residual(w)
            return 0.5 * c * (r @ r), w

        self.step = jax.jit(jax.value_and_grad(loss, has_aux=True))

    def loss_and_gradients(self):
        (loss, w), gradients = self.step([jnp.asarray(f) for f in self.factors])
        self.w = np.asarray(w)
        for into, g in zip(self.gradients, gradients):
            into[...] = np.asarray(g)
        return float(loss)

    def product(self):
        return self.w


if __name__ == "__main__":
    sys.exit(numpy_deep.main(model=JaxDeep, name="jax_deep.py", description=__doc__))
