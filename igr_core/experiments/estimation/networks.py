"""Chapter 08's trained networks (the 2025 paper's Figure 6, Appendix H.5): tanh MLPs trained by
SGD on an MNIST subset over a ladder of learning rates and seeds, each evaluated at its checkpoint
of highest validation accuracy among those that fit the training set, where the IGR coefficient
is estimated from full-batch probe steps against an RK4 reference of the gradient flow.

Only numbers leave this module: the selected parameters live in memory for the probe and are
dropped (as chapter 05's noise study does), so the store keeps the estimates, their residuals and
the networks' metrics, never weights.
"""

from __future__ import annotations

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pandas as pd
from jax.flatten_util import ravel_pytree

from igr_core._src import bea as _bea
from igr_core._src import columns as C
from igr_core._src import estimate
from igr_core._src.data import load_mnist, stratified_split
from igr_core._src.losses import mean_loss
from igr_core._src.models import mlp
from igr_core.experiments.estimation.params import Params


def network_data(p: Params):
    """Disjoint training, validation and test digits (the validation digits split off the
    training split, stratified), float32 for training; and the data source sentence."""
    with warnings.catch_warnings():  # the offline-fallback notice travels in the source sentence
        warnings.simplefilter("ignore")
        data = load_mnist(n_train=p.net_train + p.net_val, n_test=p.net_test, seed=0)
    tr, va = stratified_split(data.y_train, p.net_val / (p.net_train + p.net_val), seed=7)

    def arr(x, y):
        return jnp.asarray(x, jnp.float32), jnp.asarray(y).astype(int)  # the default integer (argmax compares)

    split = {
        "train": arr(data.x_train[tr], data.y_train[tr]),
        "val": arr(data.x_train[va], data.y_train[va]),
        "test": arr(data.x_test, data.y_test),
    }
    sizes = {k: int(v[1].shape[0]) for k, v in split.items()}
    source = (
        f"{sizes['train']} training, {sizes['val']} validation and {sizes['test']} test digits (disjoint) from "
        f"{data.source}"
    )
    return split, source


def train_networks(p: Params, split):
    """Every (h, seed) network trained at once (vmapped, one compiled epoch): SGD with batches of
    ``net_batch`` in an order fixed by the seed, evaluated after every epoch; the checkpoint kept
    is the one of highest validation accuracy among those whose training accuracy reaches
    ``net_fit_threshold`` (the paper's selection rule). Returns (metrics per network and epoch,
    best parameters stacked over networks, the best epoch per network, -1 when none fit)."""
    (x, y), (xv, yv), (xt, yt) = split["train"], split["val"], split["test"]
    model = mlp(p.net_hidden, 10, "tanh")
    loss = mean_loss(model.apply, "cross_entropy")
    grid = [(h, s) for h in p.net_hs for s in p.net_seeds]
    hs = jnp.asarray([h for h, _ in grid], jnp.float32)
    seeds = [s for _, s in grid]
    theta = jax.tree_util.tree_map(
        lambda *a: jnp.stack(a).astype(jnp.float32), *[model.init(jax.random.PRNGKey(s), x[:1]) for s in seeds]
    )
    n, b = int(x.shape[0]), int(p.net_batch)
    n_batches = n // b

    @jax.jit
    @jax.vmap
    def epoch(t, h, key):
        idx = jax.random.permutation(key, n)[: n_batches * b].reshape(n_batches, b)

        def step(t, i):
            g = jax.grad(loss)(t, x[i], y[i])
            return jax.tree_util.tree_map(lambda a, gg: a - h * gg, t, g), None

        return jax.lax.scan(step, t, idx)[0]

    @jax.jit
    @jax.vmap
    def evaluate(t):
        def acc(xx, yy):
            return jnp.mean(jnp.argmax(model.apply(t, xx), -1) == yy)

        return loss(t, x, y), acc(x, y), acc(xv, yv), acc(xt, yt)

    best = theta
    best_val = jnp.full(len(grid), -1.0)
    best_epoch = np.full(len(grid), -1)
    diverged = np.zeros(len(grid), bool)
    rows = []
    for e in range(1, p.net_epochs + 1):
        keys = jnp.stack([jax.random.fold_in(jax.random.PRNGKey(1000 + s), e) for s in seeds])
        theta = epoch(theta, hs, keys)
        tl, ta, va, te = (np.asarray(a, float) for a in evaluate(theta))
        diverged |= ~np.isfinite(tl)
        eligible = (ta >= p.net_fit_threshold) & ~diverged
        better = eligible & (va > np.asarray(best_val))
        mask = jnp.asarray(better)
        best = jax.tree_util.tree_map(
            lambda bb, tt, mask=mask: jnp.where(mask.reshape((-1,) + (1,) * (tt.ndim - 1)), tt, bb), best, theta
        )
        best_val = jnp.where(mask, jnp.asarray(va), best_val)
        best_epoch[better] = e
        for i, (h, s) in enumerate(grid):
            rows.append(
                {
                    "width": int(p.net_hidden[0]),
                    "h": float(h),
                    "seed": int(s),
                    "epoch": e,
                    "step": e * n_batches,
                    "train loss": tl[i],
                    C.TRAIN_ACC: ta[i],
                    "val acc": va[i],
                    C.TEST_ACC: te[i],
                    C.DIVERGED: bool(diverged[i]),
                }
            )
    return pd.DataFrame(rows), best, best_epoch, grid, model


def igr_networks(p: Params) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """Figure 6: train the grid, then at each network's selected checkpoint (float64) the loss,
    R_IG = ||grad L||^2 / m and the IGR coefficient estimated from ``net_probes`` full-batch GD
    steps of size h on the first ``net_probe_n`` training digits, each against RK4 in
    ``net_rk4_substeps`` substeps (``estimate.igr_coefficient``). Returns (one row per network,
    metrics per network and epoch, the data source)."""
    split, source = network_data(p)
    metrics, best, best_epoch, grid, model = train_networks(p, split)
    dtype = jnp.result_type(float)
    x, y = split["train"]
    xp, yp = x[: p.net_probe_n].astype(dtype), y[: p.net_probe_n]
    loss = mean_loss(model.apply, "cross_entropy")
    probe = estimate.igr_probe(loss, rk4_substeps=p.net_rk4_substeps)
    advance = jax.jit(lambda t, h: _bea.gd_step(loss, h)(t, xp, yp))
    grad_norm2 = jax.jit(lambda t: jnp.sum(ravel_pytree(jax.grad(loss)(t, xp, yp))[0] ** 2))

    @jax.jit
    def power_step(t, v):  # one compilation for every network (bea.sharpness closes over theta)
        hv = _bea.hvp(loss, t, v, xp, yp)
        return jax.tree_util.tree_map(lambda a: a / optax.tree.norm(hv), hv), optax.tree.vdot(v, hv)

    def sharpness(t):
        v = jax.tree_util.tree_map(lambda a: jax.random.normal(jax.random.PRNGKey(0), a.shape, a.dtype), t)
        lam = 0.0
        for _ in range(p.net_sharpness_iters):
            v, lam = power_step(t, v)
        return abs(float(lam))

    rows = []
    for i, (h, s) in enumerate(grid):
        m = metrics[(metrics["h"] == h) & (metrics["seed"] == s)]
        row = {
            "width": int(p.net_hidden[0]),
            "h": float(h),
            "seed": int(s),
            "max train acc": float(m[C.TRAIN_ACC].max()),
            C.DIVERGED: bool(m[C.DIVERGED].any()),
            "selected epoch": int(best_epoch[i]),
        }
        if best_epoch[i] < 0:
            rows.append({**row, "status": f"excluded: train accuracy below {p.net_fit_threshold:g}"})
            continue
        sel = m[m["epoch"] == best_epoch[i]].iloc[0]
        theta = jax.tree_util.tree_map(lambda a, i=i: a[i].astype(dtype), best)
        n_params = int(ravel_pytree(theta)[0].size)
        g2 = float(grad_norm2(theta))
        row.update(
            {
                C.TRAIN_ACC: float(sel[C.TRAIN_ACC]),
                "val acc": float(sel["val acc"]),
                C.TEST_ACC: float(sel[C.TEST_ACC]),
                "m": n_params,
                "probe loss": float(loss(theta, xp, yp)),
                C.R_IG: g2 / n_params,
                "lambda = h m/4": h * n_params / 4,
                "h lambda_max / 2": h * sharpness(theta) / 2,
            }
        )
        thetas, t = [], theta
        for _ in range(p.net_probes):
            thetas.append(t)
            t = advance(t, jnp.asarray(h, dtype))
        try:
            fit = estimate.igr_coefficient(loss, thetas, h, xp, yp, probe=probe)
            row.update(
                {
                    "alpha": fit.alpha,
                    "h/4": h / 4,
                    "ratio alpha/(h/4)": fit.ratio,
                    "rel. error": abs(fit.ratio - 1),
                    "lambda_hat = alpha m": fit.alpha * n_params,
                    "fit residual": fit.relative_residual,
                    "status": "estimated",
                }
            )
        except ValueError as err:
            row["status"] = str(err)[:120]
        rows.append(row)
    del best  # the parameters stay in memory only for the probe
    return pd.DataFrame(rows), metrics, source


def error_order(networks: pd.DataFrame) -> tuple[float, float, int, pd.DataFrame]:
    """Median relative error |alpha/(h/4) - 1| over the seeds at each h, and the fitted
    log-log slope (with its standard error) of that median against h: backward error analysis
    predicts 1 (the coefficient is h/4 + O(h^2))."""
    ok = networks[networks["status"] == "estimated"] if "status" in networks else networks.iloc[:0]
    med = ok.groupby("h")["rel. error"].median().reset_index() if len(ok) else pd.DataFrame(columns=["h", "rel. error"])
    med = med[np.isfinite(med["rel. error"]) & (med["rel. error"] > 0)]
    if len(med) < 2:
        return float("nan"), float("nan"), len(med), med
    slope, se = _bea.fit_order_stats(med["h"].to_numpy(), med["rel. error"].to_numpy())
    return float(slope), float(se), len(med), med
