"""Chapter 09's computation: every study of the chapter, run once.

Abstraction: ``run(Params)`` measures, for each optimizer and each of two losses (the
two-parameter model and a small tanh network on real digits, float64), the global error at a
fixed time of several continuous descriptions of the iterates over halving step sizes
(:mod:`~igr_core.experiments.optimizers.flows`); SGD's epoch-averaged errors over every batch
order and every reshuffle, with the partition-averaged variance term by formula and by
enumeration; the higher-order study and the printed recursion
(:mod:`~igr_core.experiments.optimizers.recursion`); and the Adam studies
(:mod:`~igr_core.experiments.optimizers.adam`). It returns :class:`Results` (numbers only).
"""

from __future__ import annotations

import jax
import pandas as pd

from igr_core._src import optimizers as methods
from igr_core._src.problems import mnist_mlp_problem, toy_problem
from igr_core.experiments._params import require_x64
from igr_core.experiments.optimizers.adam import adam_study, rate_map
from igr_core.experiments.optimizers.flows import enumerated_partition_variance, error_rows, order_rows
from igr_core.experiments.optimizers.params import (
    FLOW_E,
    GD_LOSS,
    SGD_ALL_ORDERS,
    SGD_LOSS,
    SGD_RESHUFFLE,
    TANH_MLP,
    TWO_PARAM_MODEL,
    Params,
    Results,
)
from igr_core.experiments.optimizers.recursion import higher_order_study

SGD_ORDERS = ((FLOW_E, 2), (GD_LOSS, 2), (SGD_LOSS, 3))  # SGD's descriptions over one epoch, expected order


def _sgd_studies(p: Params) -> tuple[list[dict], tuple[float, float]]:
    """SGD over one epoch on the tanh network, averaged over every batch order and over every
    reshuffle of a few examples: the error rows and the variance term (formula, enumeration)."""
    sgd = mnist_mlp_problem(p.sgd_n, p.hidden, "tanh", seed=0)
    x, y = sgd.args
    batches = [(x[i : i + p.sgd_batch], y[i : i + p.sgd_batch]) for i in range(0, p.sgd_n, p.sgd_batch)]

    def bl(t, b):
        return sgd.loss(t, *b)

    rows = []
    errs = methods.sgd_epoch_errors(bl, batches, sgd.theta0, p.sgd_hs)
    for desc, expected in SGD_ORDERS:
        rows += error_rows(SGD_ALL_ORDERS, TANH_MLP, desc, expected, p.sgd_hs, errs[desc])
    ex = jax.tree_util.tree_map(lambda v: v[: p.reshuffle_n], sgd.args)
    errs = methods.sgd_reshuffling_errors(bl, ex, p.reshuffle_batch, sgd.theta0, p.sgd_hs)
    for desc, expected in SGD_ORDERS:
        rows += error_rows(SGD_RESHUFFLE, TANH_MLP, desc, expected, p.sgd_hs, errs[desc])
    variance = (
        float(methods.sgd_partition_variance(bl, ex, p.reshuffle_batch, sgd.theta0)),
        enumerated_partition_variance(bl, ex, p.reshuffle_batch, sgd.theta0),
    )
    return rows, variance


def run(p: Params) -> Results:
    require_x64()
    net = mnist_mlp_problem(p.n_digits, p.hidden, "tanh", seed=0)
    problems = {TWO_PARAM_MODEL: (toy_problem("I"), p.toy_hs), TANH_MLP: (net, p.net_hs)}
    rows = []
    for label, (pr, hs) in problems.items():
        rows += order_rows(p, label, pr, hs)
    sgd_rows, variance = _sgd_studies(p)
    local, recursion, anti = higher_order_study(p)
    adam_df, paths = adam_study(p, net)
    rate, edges = rate_map(p)
    return Results(
        params=p,
        source=net.source,
        errors=pd.DataFrame(rows + sgd_rows),
        local=local,
        recursion=recursion,
        antisymmetry_error=anti,
        adam=adam_df,
        paths=paths,
        rate_map=rate,
        edges=edges,
        variance=variance,
    )
