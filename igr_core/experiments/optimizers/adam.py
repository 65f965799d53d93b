"""Chapter 09's Adam studies: the anti-regularizer (rho > beta) and the learning-rate map.

Abstraction: :func:`adam_study` runs Adam in two regimes (rho > beta, the anti-regularizer,
and a control with rho < beta) against the flow of its naive field -g/s on the two-parameter
model and the tanh network, and returns the measured differences (sharpness, norm, slope,
N_eps) and the two-parameter model's trajectories; :func:`rate_map` measures where each
optimizer's first-order description stops helping over a ladder of h. Their rows are in
:mod:`~igr_core.experiments.optimizers.rows`.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pandas as pd

from igr_core._src import bea
from igr_core._src import columns as C
from igr_core._src import optimizers as methods
from igr_core._src import toy as two_parameter
from igr_core._src.bea import crossing
from igr_core._src.problems import toy_problem
from igr_core.experiments.optimizers.params import (
    NORM,
    PENALTY,
    REGIME_ANTI,
    REGIME_CONTROL,
    SHARPNESS,
    SLOPE,
    TANH_MLP,
    TWO_PARAM_MODEL,
    Params,
)


def _regimes(p: Params) -> dict:
    """The two Adam settings: the anti-regularizer (rho > beta) and the control (rho < beta)."""
    return {
        REGIME_ANTI: (p.anti_beta, p.anti_rho),
        REGIME_CONTROL: (p.anti_beta, p.control_rho),
    }


def _penalty(loss_fn, eps):
    """N_eps = sum_j sqrt(g_j^2 + eps), the quantity Adam's correction penalizes (c_j > 0) or
    rewards (c_j < 0)."""

    def n_eps(theta, *a):
        return sum(jnp.sum(jnp.sqrt(g**2 + eps)) for g in jax.tree_util.tree_leaves(jax.grad(loss_fn)(theta, *a)))

    return n_eps


def _adam_problem(p: Params, label: str, pr, T: float, hs) -> tuple[list, list]:
    """Adam's two regimes against the flow of -g/s on one problem (see :func:`adam_study`)."""
    rows, paths = [], []
    L, th, a = pr.loss, pr.theta0, pr.args
    n_eps = jax.jit(_penalty(L, p.anti_eps))
    grad = jax.jit(jax.grad(L))
    sharp = jax.jit(lambda t: jnp.linalg.eigvalsh(jax.hessian(L)(t, *a))[-1])

    def measures(t):
        out = {NORM: float(optax.tree.norm(t))}
        out[SLOPE] = float(optax.tree.norm(grad(t, *a)))
        if label == TWO_PARAM_MODEL:  # at a minimum N_eps is sqrt(eps) per parameter: not informative
            out[SHARPNESS] = float(sharp(t))
        else:
            out[PENALTY] = float(n_eps(t, *a))
        return out

    naive = methods.adam_field(L, 0.0, 0.0, 0.0, p.anti_eps, 0)  # -g/s: the same limit for every (beta, rho)
    ref = measures(bea.flow(naive, th, T, *a))
    if label == TWO_PARAM_MODEL:
        h_path, saves = max(hs), 80
        every = max(1, int(round(T / h_path / saves)))
        ts = np.arange(saves + 1) * every * h_path
        fpath = np.asarray(bea.flow(naive, th, ts[-1], *a, ts=jnp.asarray(ts)))
    for regime, (b, r) in _regimes(p).items():
        method = methods.adam(L, b, r, p.anti_eps)
        run_to = jax.jit(lambda h, n, m=method: methods.iterate(m, th, h, n, *a))
        c = float(methods.adam_coefficients(np.float64(1.0), b, r, 0.0))
        for h in hs:
            n = int(round(T / h))
            got = measures(run_to(jnp.asarray(h), jnp.asarray(n)))
            rows += [
                {
                    "problem": label,
                    "regime": regime,
                    "beta": b,
                    "rho": r,
                    "c (large gradients)": c,
                    "h": h,
                    "quantity": q,
                    "Adam": got[q],
                    "flow of -g/s": ref[q],
                    "difference": got[q] - ref[q],
                }
                for q in got
            ]
        if label == TWO_PARAM_MODEL:
            path = np.asarray(
                jax.jit(lambda hh, m=method: methods.trajectory(m, th, hh, saves, every, *a))(jnp.asarray(h_path))
            )
            paths += [{"regime": regime, "h": h_path, "t": t, "a": x[0], "b": x[1]} for t, x in zip(ts, path)]
            paths += [{"regime": regime, "h": 0.0, "t": t, "a": x[0], "b": x[1]} for t, x in zip(ts, fpath)]
    return rows, paths


def adam_study(p: Params, net) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Adam against the flow of its naive field -g/s (the h -> 0 limit) for rho > beta and rho < beta:
    on the two-parameter model run to convergence, the sharpness (largest Hessian eigenvalue) and
    norm of the minimum reached; on the tanh network at a fixed time, ||theta||, the slope
    ||grad E|| and N_eps. Also the two-parameter model's trajectories (Adam at the largest h, the flow)."""
    toy = toy_problem("I")
    rows, paths = [], []
    for label, pr, T, hs in ((TWO_PARAM_MODEL, toy, p.anti_T, p.anti_hs), (TANH_MLP, net, p.net_anti_T, p.net_anti_hs)):
        r, pa = _adam_problem(p, label, pr, T, hs)
        rows += r
        paths += pa
    return pd.DataFrame(rows), pd.DataFrame(paths)


def rate_map(p: Params) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Where the first-order description stops describing the iterates: on the two-parameter
    model, the global error at ``map_T`` against the first-order modified flow divided by the
    error against the naive flow, over a geometric ladder of h; the crossing of 1
    (``bea.crossing``) next to the linear stability edge at theta_0 (GD 2/lambda,
    heavy ball 2(1+beta)/lambda; Adam has no fixed edge)."""
    pr = toy_problem("I")
    L, th, a = pr.loss, pr.theta0, pr.args
    lam = 2.0 / two_parameter.stability_edge(th, *a)
    b = p.momentum_beta

    def shift(t, h, *aa):
        return methods.momentum_start(L, t, h, b, *aa)

    cases = {
        "gradient descent": (methods.gradient_descent(L), lambda k: lambda h: methods.gd_field(L, h, k), None, 2 / lam),
        f"heavy ball (beta = {b:g})": (
            methods.heavy_ball(L, b),
            lambda k: lambda h: methods.momentum_field(L, h, b, k),
            shift,
            2 * (1 + b) / lam,
        ),
    }
    for regime, (bb, r) in _regimes(p).items():
        cases[f"Adam, {regime}"] = (
            methods.adam(L, bb, r, p.anti_eps),
            lambda k, bb=bb, r=r: lambda h: methods.adam_field(L, h, bb, r, p.anti_eps, k),
            None,
            float("nan"),
        )
    hs = p.map_hs
    rows, edges = [], []
    for name, (method, field_for, start, edge) in cases.items():
        e0 = methods.global_errors(method, field_for(0), th, hs, p.map_T, *a)
        e1 = methods.global_errors(method, field_for(1), th, hs, p.map_T, *a, start_for=start)
        bad = ~np.isfinite(e0)
        ratio = np.where(bad | ~np.isfinite(e1), np.nan, e1 / e0)
        rows += [
            {
                "optimizer": name,
                "h": h,
                "error, naive flow": x,
                "error, first-order flow": y,
                "ratio": q,
                C.DIVERGED: bool(d),
            }
            for h, x, y, q, d in zip(hs, e0, e1, ratio, bad)
        ]
        edges.append(
            {
                "optimizer": name,
                "lambda_max at theta_0": lam,
                "stability edge": edge,
                "h_map (ratio reaches 1)": crossing(hs, ratio, 1.0),
                "largest h run that did not diverge": float(hs[~bad].max()) if (~bad).any() else float("nan"),
            }
        )
    return pd.DataFrame(rows), pd.DataFrame(edges)
