"""Chapter 08's computation: known penalties, early stopping, the IGR coefficient, dropout; ``run``."""

from __future__ import annotations

import functools
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
from jax.flatten_util import ravel_pytree

from igr_core._src import bea as _bea
from igr_core._src import columns as C
from igr_core._src import estimate, verdicts
from igr_core._src.losses import mean_loss
from igr_core._src.models import dropout_mlp, mlp
from igr_core._src.problems import mnist_digits, mnist_mlp_problem
from igr_core._src.store import no_parts
from igr_core.experiments._params import require_x64
from igr_core.experiments.estimation.networks import igr_networks
from igr_core.experiments.estimation.params import (
    PENALTY_KINDS,
    Params,
    Results,
)


def _teacher_data(n: int, d: int, seed: int):
    """Synthetic regression: x ~ N(0, I_d), y = tanh(x w) + 0.1 noise, w ~ N(0, I/d)."""
    rng = np.random.default_rng(1000 + seed)
    x = rng.normal(size=(n, d))
    y = np.tanh(x @ (rng.normal(size=d) / np.sqrt(d))) + 0.1 * rng.normal(size=n)
    dtype = jnp.result_type(float)
    return jnp.asarray(x, dtype), jnp.asarray(y, dtype)


def _strengths_table(strengths) -> pd.DataFrame:
    rows = []
    for kind in PENALTY_KINDS:
        for s in strengths:
            rows.append(
                {
                    "kind": kind,
                    "strength": float(s),
                    "true ridge": 0.0 if kind == "l1" else float(s),
                    "true l1": 0.0 if kind == "ridge" else float(s),
                }
            )
    return pd.DataFrame(rows)


def known_penalties(p: Params, seed: int) -> pd.DataFrame:
    """Train one network per (kind, strength) to stationarity of L + lambda_2 ||theta||^2 / 2 +
    lambda_1 sum sqrt(theta^2 + s^2) (all in one vmapped, compiled loop: the strengths are
    traced), then estimate both coefficients from each endpoint's weights."""
    x, y = _teacher_data(p.penalty_n, p.penalty_inputs, seed)
    model = mlp([p.penalty_width], 1, "relu")
    theta0 = jax.tree_util.tree_map(lambda a: a.astype(x.dtype), model.init(jax.random.PRNGKey(seed), x[:1]))

    def loss(theta, xb, yb):
        return 0.5 * jnp.mean((model.apply(theta, xb)[:, 0] - yb) ** 2)

    penalties = [estimate.ridge(), estimate.l1(p.l1_smoothing)]

    def smooth_l1(t):
        return sum(jnp.sum(jnp.sqrt(a**2 + p.l1_smoothing**2)) for a in jax.tree_util.tree_leaves(t))

    def sq(t):
        return 0.5 * sum(jnp.sum(a**2) for a in jax.tree_util.tree_leaves(t))

    @jax.jit
    @jax.vmap
    def train(lam2, lam1):
        def total(t):
            return loss(t, x, y) + lam2 * sq(t) + lam1 * smooth_l1(t)

        def body(i, t):
            return jax.tree_util.tree_map(lambda a, g: a - p.penalty_lr * g, t, jax.grad(total)(t))

        return jax.lax.fori_loop(0, p.penalty_steps, body, theta0)

    table = _strengths_table(p.penalty_strengths)
    thetas = train(
        jnp.asarray(table["true ridge"].to_numpy(), x.dtype), jnp.asarray(table["true l1"].to_numpy(), x.dtype)
    )
    rows = []
    for i, row in table.iterrows():
        theta = jax.tree_util.tree_map(lambda a, i=i: a[i], thetas)
        flat = np.abs(np.asarray(ravel_pytree(theta)[0]))
        out = {"seed": seed, **row.to_dict(), "share |theta| < smoothing": float(np.mean(flat < p.l1_smoothing))}
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                fit = estimate.solve(estimate.gradient_system(loss, theta, penalties, x, y))
            out.update(
                {
                    "est ridge": fit.coef[0],
                    "est l1": fit.coef[1],
                    "stderr ridge": fit.stderr[0],
                    "stderr l1": fit.stderr[1],
                    "condition": fit.condition,
                    "relative residual": fit.relative_residual,
                    "status": ("ill-conditioned" if caught else "identified")
                    if verdicts.explained(fit.relative_residual)
                    else "unexplained (not stationary)",
                }
            )
        except ValueError as err:  # collinear candidates: not identifiable here
            out.update(
                {
                    "est ridge": np.nan,
                    "est l1": np.nan,
                    "stderr ridge": np.nan,
                    "stderr l1": np.nan,
                    "condition": np.inf,
                    "relative residual": np.nan,
                    "status": f"refused: {err}"[:120],
                }
            )
        rows.append(out)
    return pd.DataFrame(rows)


def recovery_slopes(df: pd.DataFrame) -> pd.DataFrame:
    """Per (kind, coefficient present): log-log slope of the seed-mean estimate against the
    true strength over the identified strengths, its standard error, and the worst relative
    error of an identified estimate."""
    out = []
    for kind, grp in df.groupby("kind", sort=False):
        for coef in ("ridge", "l1"):
            if (grp[f"true {coef}"] == 0).all():
                continue
            ok = grp[grp["status"] == "identified"]
            mean = ok.groupby("strength")[f"est {coef}"].mean()
            mean = mean[mean > 0]
            slope, se = (
                _bea.fit_order_stats(mean.index.to_numpy(), mean.to_numpy()) if len(mean) >= 2 else (np.nan, np.nan)
            )
            rel = (ok[f"est {coef}"] / ok[f"true {coef}"] - 1).abs()
            out.append(
                {
                    "kind": kind,
                    "coefficient": coef,
                    C.SLOPE: slope,
                    "stderr": se,
                    "n strengths": len(mean),
                    "worst rel. error": float(rel.max()) if len(rel) else np.nan,
                    "median rel. error": float(rel.median()) if len(rel) else np.nan,
                }
            )
    return pd.DataFrame(out)


# ------------------------------------------------------------------ early stopping in OLS


def _ols_loss(theta, X, y):
    return 0.5 * jnp.mean((X @ theta - y) ** 2)


@jax.jit
def _gd_ols_traced(X, y, lr, steps):
    return _bea.gd_final(_ols_loss, jnp.zeros(X.shape[1], X.dtype), lr, steps, X, y)


def _gd_ols(X, y, lr: float, steps: int):
    """k steps of GD from 0 on OLS (step count traced: one compilation for every checkpoint)."""
    return _gd_ols_traced(X, y, jnp.asarray(lr, X.dtype), jnp.asarray(steps))


def _ols_targets(X, noise: float, seed: int):
    """A fresh coefficient vector and noise on the fixed design (an independent dataset)."""
    rng = np.random.default_rng(2000 + seed)
    beta = rng.normal(size=X.shape[1])
    return jnp.asarray(np.asarray(X) @ beta + noise * rng.normal(size=X.shape[0]), X.dtype)


def early_stopping(p: Params):
    """Figure 4 of the 2025 paper: stacked recovery of Q_k, the single-endpoint diagonal
    estimate and its retraining, and the scalar ridge coefficient over training time."""
    dtype = jnp.result_type(float)
    X = jnp.asarray(np.random.default_rng(3000).normal(size=(p.ols_n, p.ols_d)), dtype)
    d, k = p.ols_d, p.ols_steps
    Q = np.asarray(estimate.early_stopping_penalty(X, p.ols_lr, k))
    systems = []
    for e in range(p.ols_max_endpoints):
        y = _ols_targets(X, p.ols_noise, e)
        systems.append(
            estimate.gradient_system(_ols_loss, _gd_ols(X, y, p.ols_lr, k), [estimate.full_quadratic(d)], X, y)
        )
    stack_rows = []
    for m in range(1, p.ols_max_endpoints + 1):
        row = {"endpoints": m, "equations": m * d, "unknowns": d * (d + 1) // 2}
        try:
            fit = estimate.solve(estimate.stack(systems[:m]))
            Qh = estimate.quadratic_matrix(fit.coef, d)
            row.update(
                {
                    "relative error of Q": float(np.linalg.norm(Qh - Q) / np.linalg.norm(Q)),
                    "condition": fit.condition,
                    "status": "solved",
                }
            )
        except ValueError as err:
            row.update(
                {
                    "relative error of Q": np.nan,
                    "condition": np.nan,
                    "status": "underdetermined" if "equations for" in str(err) else "collinear",
                }
            )
        stack_rows.append(row)

    # one endpoint, a diagonal penalty, then retraining without early stopping
    y0 = _ols_targets(X, p.ols_noise, 0)
    theta_k = _gd_ols(X, y0, p.ols_lr, k)
    fit = estimate.solve(estimate.gradient_system(_ols_loss, theta_k, [estimate.diagonal_quadratic(d)], X, y0))
    q = jnp.asarray(fit.coef)
    A = np.asarray(X.T @ X / p.ols_n) + np.diag(np.asarray(q))
    ev = np.linalg.eigvalsh(A)
    lr = 1.0 / ev[-1]
    steps = int(min(400_000, np.ceil(40 * ev[-1] / ev[0])))  # contraction (1 - 1/kappa)^steps < e^-40
    dist = estimate.retrain_distance(
        _ols_loss, lambda t: 0.5 * jnp.sum(q * t**2), jnp.zeros(d, dtype), theta_k, X, y0, steps=steps, learning_rate=lr
    )
    diagonal = {
        "retrain distance": dist,
        "retrain steps": steps,
        "positive definite": bool(ev[0] > 0),
        "diag vs theory": float(np.linalg.norm(np.asarray(q) - np.diag(Q)) / np.linalg.norm(np.diag(Q))),
        "offdiag share of Q": float(np.linalg.norm(Q - np.diag(np.diag(Q))) / np.linalg.norm(Q)),
        "relative residual": fit.relative_residual,
    }

    # a scalar ridge coefficient along one trajectory, against the closed form (two routes)
    scalar_rows = []
    for kk in sorted(set(int(c) for c in p.ols_checkpoints)):
        theta = _gd_ols(X, y0, p.ols_lr, kk)
        est = estimate.solve(estimate.gradient_system(_ols_loss, theta, [estimate.ridge()], X, y0)).coef[0]
        Qk = np.asarray(estimate.early_stopping_penalty(X, p.ols_lr, kk))
        # the closed-form iterate (independent of the GD loop): Q_k's generalized ridge solution
        b = np.linalg.solve(np.asarray(X.T @ X) / p.ols_n + Qk, np.asarray(X.T @ y0) / p.ols_n)
        S, Xy = np.asarray(X.T @ X) / p.ols_n, np.asarray(X.T @ y0) / p.ols_n
        th = np.asarray(theta)
        scalar_rows.append(
            {
                "step": kk,
                "t = step * lr": kk * p.ols_lr,
                "estimated ridge": float(est),
                "closed-form ridge": float(b @ Qk @ b / (b @ b)),
                # rounding in grad L = S theta - X^T y / n is amplified by this factor
                "cancellation in grad L": float(
                    (np.linalg.norm(S @ th) + np.linalg.norm(Xy)) / np.linalg.norm(S @ th - Xy)
                ),
            }
        )
    return pd.DataFrame(stack_rows), diagonal, pd.DataFrame(scalar_rows)


# ------------------------------------------------------------------ the IGR coefficient


def igr_study(p: Params) -> tuple[pd.DataFrame, str]:
    """Barrett & Dherin's coefficient h/4 estimated from probe steps of full-batch GD on a tanh
    MLP (cross-entropy, float64) at step sizes given as fractions of the stability edge at the
    probe point."""
    prob = mnist_mlp_problem(p.igr_n, p.igr_hidden, "tanh", seed=0)
    h_edge0 = 2.0 / _bea.sharpness(prob.loss, prob.theta0, *prob.args)
    theta = _bea.gd_final(prob.loss, prob.theta0, 0.5 * h_edge0, p.igr_pretrain_steps, *prob.args)
    h_edge = 2.0 / _bea.sharpness(prob.loss, theta, *prob.args)
    probe = estimate.igr_probe(prob.loss, 1e-12)
    advance = jax.jit(lambda t, h: _bea.gd_step(prob.loss, h)(t, *prob.args))
    rows = []
    for f in sorted(p.igr_h_fractions):
        h = f * h_edge
        thetas, t = [], theta
        for _ in range(p.igr_probes):
            thetas.append(t)
            t = advance(t, jnp.asarray(h))
        try:
            fit = estimate.igr_coefficient(prob.loss, thetas, h, *prob.args, probe=probe)
            alpha, status = fit.alpha, "estimated"
        except ValueError as err:
            alpha, status = np.nan, str(err)[:120]
        rows.append(
            {
                "h / h_edge": f,
                "h": h,
                "alpha": alpha,
                "h/4": h / 4,
                "ratio alpha/(h/4)": alpha / (h / 4),
                "|ratio - 1|": abs(alpha / (h / 4) - 1),
                "status": status,
            }
        )
    return pd.DataFrame(rows), prob.source


# ------------------------------------------------------------------ dropout


def dropout_facets(p: Params) -> list[tuple]:
    """Figure 5's architectures: every depth x width, and ``dropout_hidden`` (once)."""
    out = [tuple(int(w) for w in p.dropout_hidden)]
    for d in p.dropout_depths:
        for w in p.dropout_widths:
            arch = (int(w),) * int(d)
            if arch not in out:
                out.append(arch)
    return out


def _dropout_trainer(p: Params, hidden: tuple, x, labels):
    """One compiled trainer for an architecture: full-batch GD at ``dropout_lr`` for
    ``dropout_steps`` with dropout at a traced rate (a fresh mask each step) and an explicit
    ridge of traced strength, the weights averaged over the second half."""
    model = dropout_mlp(hidden, 10, "relu")
    det_loss = mean_loss(lambda t, xb: model.apply(t, xb), "least_squares")
    half = p.dropout_steps // 2

    @jax.jit
    @functools.partial(jax.vmap, in_axes=(None, 0, 0, 0))
    def train(theta0, rate, ridge, key):  # compiled once for every seed: theta0 is an argument
        def body(i, carry):
            t, avg = carry

            def total(tt):
                drop = mean_loss(lambda q, xb: model.apply(q, xb, rate, jax.random.fold_in(key, i)), "least_squares")
                return drop(tt, x, labels) + 0.5 * ridge * sum(jnp.sum(a**2) for a in jax.tree_util.tree_leaves(tt))

            t = jax.tree_util.tree_map(lambda a, g: a - p.dropout_lr * g, t, jax.grad(total)(t))
            w = jnp.where(i >= p.dropout_steps - half, 1.0 / half, 0.0)
            return t, jax.tree_util.tree_map(lambda a, b: a + w * b, avg, t)

        zero = jax.tree_util.tree_map(jnp.zeros_like, theta0)
        return jax.lax.fori_loop(0, p.dropout_steps, body, (theta0, zero))[1]

    return model, det_loss, train


def dropout_study(p: Params, hidden: tuple | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Full-batch GD with dropout (a fresh mask each step) at each rate (traced, vmapped: one
    compilation) on the least-squares loss of one-hot targets (which, unlike cross-entropy on
    separable data, has stationary points), the weights averaged over the second half of
    training (the mask noise keeps the last iterate moving), then the scalar ridge coefficient
    that the weights reveal for the deterministic network's loss: the least-squares phi of
    phi theta = -grad L(theta). Then the known-answer check on the same architecture: each seed
    trained the same way without dropout but with an explicit ridge penalty of the size the
    dropout fits report (the median estimate at the largest rate), and that ridge estimated.
    Returns (dropout fits, check fits)."""
    hidden = tuple(int(w) for w in (p.dropout_hidden if hidden is None else hidden))
    x, labels, _ = mnist_digits(p.dropout_n, seed=0)
    model, det_loss, train = _dropout_trainer(p, hidden, x, labels)
    rates = jnp.asarray(p.dropout_rates, x.dtype)
    arch = {"depth": len(hidden), "width": hidden[0], "architecture": "x".join(str(w) for w in hidden)}
    rows, inits = [], {}

    def fit_row(theta):
        fit = estimate.solve(estimate.gradient_system(det_loss, theta, [estimate.ridge()], x, labels))
        acc = float(jnp.mean(jnp.argmax(model.apply(theta, x), -1) == labels.astype(int)))
        return {
            "estimated ridge": float(fit.coef[0]),
            "stderr": float(fit.stderr[0]),
            "relative residual": fit.relative_residual,
            C.TRAIN_ACC: acc,
            C.THETA_NORM: float(jnp.linalg.norm(ravel_pytree(theta)[0])),
        }

    for seed in p.dropout_seeds:
        theta0 = jax.tree_util.tree_map(lambda a: a.astype(x.dtype), model.init(jax.random.PRNGKey(seed), x[:1]))
        inits[seed] = theta0
        keys = jax.random.split(jax.random.PRNGKey(100 + seed), len(p.dropout_rates))
        thetas = train(theta0, rates, jnp.zeros_like(rates), keys)
        for i, rate in enumerate(p.dropout_rates):
            theta = jax.tree_util.tree_map(lambda a, i=i: a[i], thetas)
            rows.append({**arch, "seed": seed, "dropout rate": float(rate), **fit_row(theta)})
    drop = pd.DataFrame(rows)
    top = drop[drop["dropout rate"] == max(p.dropout_rates)]["estimated ridge"]
    strength = float(np.median(np.abs(top))) if len(top) and np.median(np.abs(top)) > 0 else 1e-3
    check = []
    one = jnp.ones(1, x.dtype)
    for seed in p.dropout_seeds:
        theta = train(inits[seed], 0 * one, strength * one, jax.random.PRNGKey(200 + seed)[None])
        theta = jax.tree_util.tree_map(lambda a: a[0], theta)
        check.append({**arch, "seed": seed, "true ridge": strength, **fit_row(theta)})
    return drop, pd.DataFrame(check)


# ------------------------------------------------------------------ Figures 4D and 7 (least squares)


def _gd_ols_plateau(X, y, lr: float, tol: float, max_steps: int):
    """GD from 0 on OLS until the training loss plateaus: the first step k whose relative
    decrease of the loss is below ``tol`` (or ``max_steps``). Returns (theta_k, k)."""
    theta = np.zeros(X.shape[1])
    Xn, yn = np.asarray(X), np.asarray(y)
    n = Xn.shape[0]
    loss = 0.5 * np.mean((Xn @ theta - yn) ** 2)
    for k in range(1, max_steps + 1):
        theta = theta - lr * Xn.T @ (Xn @ theta - yn) / n
        new = 0.5 * np.mean((Xn @ theta - yn) ** 2)
        if (loss - new) < tol * loss:
            return theta, k
        loss = new
    return theta, max_steps


@functools.lru_cache(maxsize=None)
def _ols_system(d: int):
    """The compiled (G, y) of the full quadratic penalty for OLS in d dimensions."""
    return jax.jit(
        lambda theta, X, y: estimate.gradient_system(_ols_loss, theta, [estimate.full_quadratic(d)], X, y)[:2]
    )


def _min_norm_q(systems, d: int) -> np.ndarray:
    """Q from stacked systems by minimum-norm least squares (no refusal below d endpoints: the
    estimate is then Q on the endpoints' span, zero elsewhere)."""
    G = np.concatenate([np.asarray(s[0]) for s in systems])
    y = np.concatenate([np.asarray(s[1]) for s in systems])
    coef = np.linalg.lstsq(G, y, rcond=None)[0]
    return estimate.quadratic_matrix(coef, d)


def variable_stopping(p: Params) -> pd.DataFrame:
    """Figure 4D: pools of endpoints on one design, each with new targets and stopped by its own
    plateau; Q estimated from the first m endpoints of a pool (minimum-norm least squares)
    against the pool's elementwise median of the endpoint-specific Q_k."""
    dtype = jnp.result_type(float)
    X = jnp.asarray(np.random.default_rng(3000).normal(size=(p.ols_n, p.ols_d)), dtype)
    d, mmax = p.ols_d, max(p.ols_pool_endpoints)
    rows = []
    for pool in range(p.ols_pools):
        systems, qs, ks = [], [], []
        for e in range(mmax):
            y = _ols_targets(X, p.ols_noise, 10_000 * (pool + 1) + e)
            theta, k = _gd_ols_plateau(X, y, p.ols_lr, p.ols_plateau_tol, p.ols_max_steps)
            systems.append(_ols_system(d)(jnp.asarray(theta, dtype), X, y))
            qs.append(np.asarray(estimate.early_stopping_penalty(X, p.ols_lr, int(k))))
            ks.append(k)
        target = np.median(np.stack(qs), axis=0)
        for m in sorted(set(int(c) for c in p.ols_pool_endpoints)):
            Qh = _min_norm_q(systems[:m], d)
            rows.append(
                {
                    "pool": pool,
                    "endpoints": m,
                    "relative error of Q": float(np.linalg.norm(Qh - target) / np.linalg.norm(target)),
                    "stop steps (min)": int(min(ks)),
                    "stop steps (max)": int(max(ks)),
                    "spread of Q_k in pool": float(
                        np.median([np.linalg.norm(q - target) for q in qs]) / np.linalg.norm(target)
                    ),
                }
            )
    return pd.DataFrame(rows)


def _bootstrap_errors(X, y, lr: float, k: int, counts, seed: int) -> list[float]:
    """Relative error of Q from B bootstrap endpoints (the canonical fit first), for each B in
    ``counts``: each resample's endpoint is k GD steps on its rows, its system uses its rows;
    the target is Q_k of the full design (plain least squares: an ill-conditioned system shows
    its error)."""
    n, d = X.shape
    rng = np.random.default_rng(seed)
    Q = np.asarray(estimate.early_stopping_penalty(X, lr, k))
    systems = []
    for b in range(max(counts)):
        idx = np.arange(n) if b == 0 else rng.integers(0, n, n)
        Xb, yb = X[idx], y[idx]
        systems.append(_ols_system(d)(_gd_ols(Xb, yb, lr, k), Xb, yb))
    out = []
    for B in counts:
        G = np.concatenate([np.asarray(s[0]) for s in systems[:B]])
        yy = np.concatenate([np.asarray(s[1]) for s in systems[:B]])
        coef = np.linalg.lstsq(G, yy, rcond=None)[0]
        out.append(float(np.linalg.norm(estimate.quadratic_matrix(coef, d) - Q) / np.linalg.norm(Q)))
    return out


def bootstrap_study(p: Params) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Figure 7: bootstrap recovery of Q_k from resamples of one training set (noise
    ``boot_noise``), against the multi-dataset stack at the same number of endpoints (Figure 4B's
    route: new targets on the same design); and the noise sweep (Panel F), where the largest
    count's error is set against reporting zero (relative error 1)."""
    dtype = jnp.result_type(float)
    X = jnp.asarray(np.random.default_rng(3000).normal(size=(p.ols_n, p.ols_d)), dtype)
    d, k = p.ols_d, p.ols_steps
    counts = sorted(set(int(c) for c in p.boot_counts))
    Q = np.asarray(estimate.early_stopping_penalty(X, p.ols_lr, k))
    multi = []
    for e in range(max(counts)):
        y = _ols_targets(X, p.ols_noise, e)
        multi.append(_ols_system(d)(_gd_ols(X, y, p.ols_lr, k), X, y))
    rows = []
    beta_rng = np.random.default_rng(4000)
    beta = beta_rng.normal(size=d)
    eps = beta_rng.normal(size=p.ols_n)
    y0 = jnp.asarray(np.asarray(X) @ beta + p.boot_noise * eps, dtype)
    for pool in range(p.boot_pools):
        errs = _bootstrap_errors(X, y0, p.ols_lr, k, counts, 5000 + pool)
        for B, err in zip(counts, errs):
            multi_err = float(np.linalg.norm(_min_norm_q(multi[:B], d) - Q) / np.linalg.norm(Q))
            rows.append({"pool": pool, "endpoints": B, "bootstrap error": err, "multi-dataset error": multi_err})
    sweep = []
    sampling = float(np.sqrt(np.trace(np.linalg.inv(np.asarray(X.T @ X)))) / np.linalg.norm(beta))
    for sigma in p.boot_sigmas:
        y = jnp.asarray(np.asarray(X) @ beta + sigma * eps, dtype)
        for pool in range(p.boot_pools):
            err = _bootstrap_errors(X, y, p.ols_lr, k, [max(counts)], 6000 + pool)[0]
            sweep.append(
                {
                    "sigma": float(sigma),
                    "pool": pool,
                    "OLS sampling std / |beta|": float(sigma) * sampling,
                    "bootstrap error": err,
                    "beats zero": bool(err < 1.0),
                }
            )
    return pd.DataFrame(rows), pd.DataFrame(sweep)


# ------------------------------------------------------------------ run, claims, facts


def run(p: Params, parts=no_parts) -> Results:
    """Everything chapter 08 shows. ``parts`` (the result store's :class:`~igr_core._src.store.Parts`)
    saves each seed's penalties, the early-stopping, IGR and dropout studies as they finish, so
    an interrupted paper-profile run resumes where it stopped."""
    require_x64()
    penalties = pd.concat(
        [parts(f"penalties seed {s}", lambda s=s: known_penalties(p, s)) for s in p.penalty_seeds], ignore_index=True
    )
    ols_stack, ols_diag, ols_scalar = parts("early stopping", lambda: early_stopping(p))
    igr, source = parts("igr", lambda: igr_study(p))
    networks, network_metrics, network_source = parts("networks", lambda: igr_networks(p))
    ols_variable = parts("variable stopping", lambda: variable_stopping(p))
    bootstrap, bootstrap_noise = parts("bootstrap", lambda: bootstrap_study(p))
    facets = [parts(f"dropout {'x'.join(map(str, h))}", lambda h=h: dropout_study(p, h)) for h in dropout_facets(p)]
    return Results(
        p,
        source,
        penalties,
        ols_stack,
        ols_diag,
        ols_scalar,
        igr,
        pd.concat([f[0] for f in facets], ignore_index=True),
        pd.concat([f[1] for f in facets], ignore_index=True),
        ols_variable,
        bootstrap,
        bootstrap_noise,
        networks,
        network_metrics,
        network_source,
    )
