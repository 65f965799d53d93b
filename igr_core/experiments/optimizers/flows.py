"""Chapter 09's order study: every optimizer's continuous descriptions against its iterates.

Abstraction: :func:`descriptions` lists, for one loss, each :class:`Description` of gradient
descent, heavy ball and Adam (its field at step h, expected order, optional shifted start)
with its method; :func:`order_rows` measures the global error of each at a fixed time over a
ladder of step sizes (one routine, :func:`igr_core.optimizers.global_errors`) and returns tidy
rows (:func:`error_rows`). :func:`enumerated_partition_variance` is the enumeration route to
SGD's partition-averaged variance term.
"""

from __future__ import annotations

import itertools
from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp

from igr_core._src import optimizers as methods
from igr_core.experiments.optimizers.params import (
    ADAM,
    ADAM_FULL,
    ADAM_NAIVE,
    FLOW_E,
    GD,
    GD_MODIFIED,
    HB_NAIVE,
    HB_NO_SHIFT,
    HB_SHIFTED,
    HB_UNAMPLIFIED,
    HEAVY_BALL,
    Params,
)


def error_rows(opt, problem, desc, expected, hs, errs):
    """One tidy row per step size: the global error of one description of one optimizer on one problem."""
    return [
        {
            "optimizer": opt,
            "problem": problem,
            "description": desc,
            "expected order": expected,
            "h": h,
            "error": float(e),
        }
        for h, e in zip(hs, errs)
    ]


class Description(NamedTuple):
    """One description of an optimizer's iterates whose global error is measured: a row of
    the order study, iterated once (the closures are built here, per row, never in a loop)."""

    optimizer: str
    label: str
    expected_order: int
    field_for: Callable  # h -> vector field
    start_for: Callable | None = None  # the shifted start of heavy ball, if any


def descriptions(p: Params, loss) -> list[tuple[Description, object]]:
    """(description, method) for gradient descent, heavy ball and Adam on one loss."""
    beta = p.momentum_beta

    def gd_field(k):
        return lambda h: methods.gd_field(loss, h, k)

    def hb_field(k, scale=1.0):
        return lambda h: methods.momentum_field(loss, h * scale, beta, k)

    def shift(t, h, *a):
        return methods.momentum_start(loss, t, h, beta, *a)

    def adam_field(k):
        return lambda h: methods.adam_field(loss, h, p.adam_beta, p.adam_rho, p.adam_eps, k)

    gd, hb = methods.gradient_descent(loss), methods.heavy_ball(loss, beta)
    ad = methods.adam(loss, p.adam_beta, p.adam_rho, p.adam_eps)
    unamplified = (1 - beta) / (1 + beta)  # GD's coefficient at the effective rate h/(1-beta)
    return [
        (Description(GD, FLOW_E, 1, gd_field(0)), gd),
        (Description(GD, GD_MODIFIED, 2, gd_field(1)), gd),
        (Description(HEAVY_BALL, HB_NAIVE, 1, hb_field(0)), hb),
        (Description(HEAVY_BALL, HB_SHIFTED, 2, hb_field(1), shift), hb),
        (Description(HEAVY_BALL, HB_NO_SHIFT, 1, hb_field(1)), hb),
        (Description(HEAVY_BALL, HB_UNAMPLIFIED, 1, hb_field(1, unamplified), shift), hb),
        (Description(ADAM, ADAM_NAIVE, 1, adam_field(0)), ad),
        (Description(ADAM, ADAM_FULL, 2, adam_field(1)), ad),
    ]


def order_rows(p: Params, label: str, pr, hs) -> list[dict]:
    """Global errors at fixed time of every description on one problem."""
    rows = []
    for d, method in descriptions(p, pr.loss):
        steps, T = (p.adam_hs, p.adam_T) if d.optimizer == ADAM else (hs, p.T)
        errs = methods.global_errors(method, d.field_for, pr.theta0, steps, T, *pr.args, start_for=d.start_for)
        rows += error_rows(d.optimizer, label, d.label, d.expected_order, steps, errs)
    return rows


def enumerated_partition_variance(batch_loss, examples, batch_size: int, theta) -> float:
    """The variance term (1/m) sum_k ||grad E_k - grad E||^2 averaged over every ordering of the
    examples (so over every partition into batches): the enumeration route to
    :func:`igr_core.optimizers.sgd_partition_variance`."""
    n = int(jax.tree_util.tree_leaves(examples)[0].shape[0])
    perms = jnp.asarray(list(itertools.permutations(range(n))))
    grad = jax.grad(batch_loss)
    mean = grad(theta, examples)

    @jax.jit
    def var(perm):
        batches = jax.tree_util.tree_map(
            lambda x: x[perm].reshape((n // batch_size, batch_size) + x.shape[1:]), examples
        )
        g = jax.vmap(lambda b: grad(theta, b))(batches)
        return sum(
            jnp.sum((a - c[None]) ** 2) for a, c in zip(jax.tree_util.tree_leaves(g), jax.tree_util.tree_leaves(mean))
        ) / (n // batch_size)

    return float(jnp.mean(jax.lax.map(var, perms)))
