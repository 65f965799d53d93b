"""The two-parameter model of Section 5 and Appendix A.4, with closed forms.

Abstraction: E(a, b) = (y - a b x)^2 / 2 (Eq. A.24) for one data point (x, y), with
theta = (a, b) a length-2 array. Minima form the hyperbola a b = y / x; the one of
smallest norm (the flattest) is a = b = sqrt(y / x) (for y / x > 0). Every closed form
below is checked against automatic differentiation of :func:`loss` in the tests.

Trajectory helpers return arrays of shape (n + 1, 2): gradient descent (A.30), the
Euler discretization the paper uses for flows (step h_Euler), and accurate flows from
:func:`igr_core.bea.flow`.
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from igr_core._src import bea as _bea


class ToyPoint(NamedTuple):
    """One column of Table A.1."""
    theta0: tuple[float, float]  # (a_0, b_0)
    x: float  # training input
    y: float  # training target
    h_S: float  # small learning rate
    h_M: float  # moderate learning rate
    h_L: float | None  # large learning rate (n/a for point II)
    mu: float  # explicit regularization rate
    h_Euler: float  # Euler step used to integrate flows


# Table A.1 of the paper, exactly as printed.
TABLE_A1 = {
    "I": ToyPoint(theta0=(2.8, 3.5), x=1.0, y=0.6, h_S=1e-3, h_M=2.5e-2, h_L=1.8e-1, mu=0.5, h_Euler=1e-4),
    "II": ToyPoint(theta0=(75.0, 74.925), x=1.0, y=0.6, h_S=1e-6, h_M=0.5e-4, h_L=None, mu=4.1e-2, h_Euler=5e-7),
}

# Test point of Figure A.2.
TEST_POINT = (0.5, 3.0 / 5.0)


def loss(theta, x, y):
    """E(a, b) = (y - a b x)^2 / 2 (Eq. A.24)."""
    a, b = theta[..., 0], theta[..., 1]
    return 0.5 * (y - a * b * x) ** 2


def grad(theta, x, y):
    """Closed-form gradient: (-b x (y - a b x), -a x (y - a b x))."""
    a, b = theta[..., 0], theta[..., 1]
    r = y - a * b * x
    return jnp.stack([-b * x * r, -a * x * r], axis=-1)


def r_ig(theta, x, y):
    """R_IG = ((dE/da)^2 + (dE/db)^2) / 2 = (a^2 + b^2) x^2 E (Eq. A.25)."""
    return jnp.sum(theta**2, axis=-1) * x**2 * loss(theta, x, y)


def igr_lambda(h):
    """lambda = m h / 4 = h / 2 for m = 2 (Eq. A.26)."""
    return h / 2


def modified_loss(theta, x, y, lam):
    """E~ = E (1 + lambda (a^2 + b^2) x^2) (Eq. A.27)."""
    return loss(theta, x, y) * (1.0 + lam * jnp.sum(theta**2, axis=-1) * x**2)


def egr_loss(theta, x, y, mu):
    """E_mu = E (1 + mu (a^2 + b^2) x^2) (Eq. A.31), as the paper uses it in Section 5.

    This is E + mu R_IG, i.e. Eq. 8's E + mu' ||grad E||^2 with mu' = mu / m = mu / 2
    (an erratum: A.31 follows the lambda-parameterization of Eq. 2, not Eq. 8).
    """
    return modified_loss(theta, x, y, mu)


def modified_flow(theta, x, y, lam):
    """Right-hand side of the modified flow (A.28) / EGR flow (A.32 with lam = mu):
    -(1 + lam x^2 ||theta||^2) grad E - 2 lam x^2 E theta (Remark A.12)."""
    factor = 1.0 + lam * jnp.sum(theta**2, axis=-1, keepdims=True) * x**2
    return -factor * grad(theta, x, y) - 2.0 * lam * x**2 * loss(theta, x, y)[..., None] * theta


def original_flow(theta, x, y):
    """Right-hand side of the gradient flow of E (A.29)."""
    return -grad(theta, x, y)


def slope(theta, x, y):
    """Loss-surface slope ||theta|| |x| sqrt(2 E) (Remark A.12)."""
    return jnp.linalg.norm(theta, axis=-1) * jnp.abs(x) * jnp.sqrt(2.0 * loss(theta, x, y))


def min_norm_minimum(x, y):
    """The flattest global minimum a = b = sqrt(y / x) (requires y / x > 0)."""
    if y / x <= 0:
        raise ValueError("min_norm_minimum: needs y / x > 0 so that a = b = sqrt(y/x) is real.")
    s = float(np.sqrt(y / x))
    return np.array([s, s])


def _euler(rhs, theta0, h, n_steps, *args):
    def body(th, _):
        new = th + h * rhs(th, *args)
        return new, new

    _, path = jax.lax.scan(body, jnp.asarray(theta0), None, length=int(n_steps))
    return jnp.concatenate([jnp.asarray(theta0)[None], path])


def gd_path(theta0, x, y, h, n_steps):
    """Gradient descent (A.30): n_steps + 1 iterates. A diverging run shows inf/nan."""
    return _euler(original_flow, theta0, h, n_steps, x, y)


def euler_flow_path(theta0, x, y, t_end, h_euler, lam=0.0):
    """The paper's flow integration: Euler with step h_Euler up to time t_end on the
    modified flow with rate ``lam`` (lam = 0: the flow of E; lam = h_M/2: modified; lam = mu: EGR)."""
    n = int(round(t_end / h_euler))
    return _euler(modified_flow, theta0, h_euler, n, x, y, lam)


def accurate_flow_path(theta0, x, y, ts, lam=0.0, rtol=1e-10, atol=1e-12):
    """The same flow integrated accurately (diffrax Dopri8, adaptive) at times ``ts``."""
    ts = jnp.asarray(ts)
    return _bea.flow(lambda th, *a: modified_flow(th, *a), jnp.asarray(theta0), ts[-1], x, y, lam,
                     rtol=rtol, atol=atol, ts=ts, max_steps=1_000_000)


def gd_final(theta0, x, y, h, n_steps: int, divergence_threshold: float = 1e6):
    """Last GD iterate after ``n_steps`` steps; NaN once an iterate is non-finite or its norm
    exceeds ``divergence_threshold`` (a diverged run). ``h`` may be traced."""
    def body(th, _):
        new = th - h * grad(th, x, y)
        bad = ~jnp.all(jnp.isfinite(new)) | (jnp.linalg.norm(new) > divergence_threshold)
        return jnp.where(bad, jnp.full_like(th, jnp.nan), new), None

    return jax.lax.scan(body, jnp.asarray(theta0), None, length=int(n_steps))[0]


# ----------------------------------------------------------------------------- experiments


def _pt(point) -> ToyPoint:
    if isinstance(point, ToyPoint):
        return point
    if point not in TABLE_A1:
        raise ValueError(f"`point` must be one of {tuple(TABLE_A1)} or a ToyPoint, got {point!r}.")
    return TABLE_A1[point]


def figure1a_paths(point, t_end: float) -> dict:
    """The four trajectories of Figure 1a from one Table A.1 column, up to time ``t_end``:
    GD at h_S, GD at h_M, the modified flow (lambda = h_M / 2) and the EGR flow (mu, A.32),
    flows integrated the paper's way (Euler, step h_Euler). Arrays of shape (n + 1, 2)."""
    p = _pt(point)
    th0 = jnp.asarray(p.theta0, dtype=jnp.result_type(float))
    return {
        f"GD, h_S = {p.h_S:g}": gd_path(th0, p.x, p.y, p.h_S, int(round(t_end / p.h_S))),
        f"GD, h_M = {p.h_M:g}": gd_path(th0, p.x, p.y, p.h_M, int(round(t_end / p.h_M))),
        f"modified flow, lambda = h_M/2": euler_flow_path(th0, p.x, p.y, t_end, p.h_Euler, igr_lambda(p.h_M)),
        f"EGR flow, mu = {p.mu:g}": euler_flow_path(th0, p.x, p.y, t_end, p.h_Euler, p.mu),
    }


def distance_to_flows(point, n_steps: int, h: float | None = None) -> pd.DataFrame:
    """GD at h (default h_M) against the flows of E and of E~ (lambda = h/2), matched by
    time t = n h (accurate integration). Columns: step, t, to modified flow, to original flow."""
    p = _pt(point)
    h = p.h_M if h is None else h
    th0 = jnp.asarray(p.theta0, dtype=jnp.result_type(float))
    gd = np.asarray(gd_path(th0, p.x, p.y, h, n_steps))
    ts = np.arange(n_steps + 1) * h
    mod = np.asarray(accurate_flow_path(th0, p.x, p.y, ts, lam=igr_lambda(h)))
    org = np.asarray(accurate_flow_path(th0, p.x, p.y, ts, lam=0.0))
    return pd.DataFrame({"step": np.arange(n_steps + 1), "t": ts,
                         "to modified flow": np.linalg.norm(gd - mod, axis=1),
                         "to original flow": np.linalg.norm(gd - org, axis=1)})


def euler_vs_accurate(point, t_end: float, lam: float, n_marks: int = 50) -> float:
    """Largest distance between the paper's Euler integration (h_Euler) and the accurate
    (Dopri8) integration of the same flow, over ``n_marks`` equally spaced times."""
    p = _pt(point)
    th0 = jnp.asarray(p.theta0, dtype=jnp.result_type(float))
    euler = np.asarray(euler_flow_path(th0, p.x, p.y, t_end, p.h_Euler, lam))
    n = euler.shape[0] - 1
    idx = np.linspace(0, n, n_marks + 1).round().astype(int)
    acc = np.asarray(accurate_flow_path(th0, p.x, p.y, idx * p.h_Euler, lam=lam))
    return float(np.max(np.linalg.norm(euler[idx] - acc, axis=1)))


def lr_sweep(theta0, x, y, hs, n_steps: int, divergence_threshold: float = 1e6) -> pd.DataFrame:
    """GD for each learning rate (traced: one compilation), ``n_steps`` steps. Columns: h,
    a, b, ||theta||, R_IG/E (= x^2 ||theta||^2 by A.25), E, slope, diverged."""
    th0 = jnp.asarray(theta0, dtype=jnp.result_type(float))

    run = jax.jit(lambda h: gd_final(th0, x, y, h, n_steps, divergence_threshold))

    rows = []
    for h in np.asarray(hs, dtype=float):
        th = np.asarray(run(jnp.asarray(h)))
        div = not np.all(np.isfinite(th))
        e = float(loss(jnp.asarray(th), x, y)) if not div else np.nan
        rows.append({"h": h, "a": th[0], "b": th[1], "||theta||": np.linalg.norm(th), "R_IG/E": x**2 * np.sum(th**2),
                     "E": e, "slope": float(slope(jnp.asarray(th), x, y)) if not div else np.nan, "diverged": div})
    return pd.DataFrame(rows)


def egr_sweep(theta0, x, y, mus, t_end: float, h_euler: float, test_point=TEST_POINT, n_marks: int = 20):
    """EGR flows (A.32, Euler step h_euler) for each mu; test error (y_t - a b x_t)^2 / 2 at the
    test point over time. Returns a table with columns mu, t, E (train), test error, ||theta||."""
    th0 = jnp.asarray(theta0, dtype=jnp.result_type(float))
    xt, yt = test_point
    n = int(round(t_end / h_euler))
    marks = np.linspace(0, n, n_marks + 1).round().astype(int)

    @jax.jit
    def path(mu):
        return _euler(modified_flow, th0, h_euler, n, x, y, mu)[marks]

    rows = []
    for mu in np.asarray(mus, dtype=float):
        pts = np.asarray(path(jnp.asarray(mu)))
        for k, th in zip(marks, pts):
            rows.append({"mu": mu, "t": k * h_euler, "E": float(loss(jnp.asarray(th), x, y)),
                         "test error": float(loss(jnp.asarray(th), xt, yt)), "||theta||": float(np.linalg.norm(th))})
    return pd.DataFrame(rows)


def convergence_map(lim: float, n_grid: int, hs, x: float, y: float, t_end: float,
                    divergence_threshold: float = 1e6) -> pd.DataFrame:
    """Where on the hyperbola GD converges, over a grid of initial points, for several h,
    against the prediction of the modified flow (lambda = h/2) and of the flow of E.

    The destination is summarized by the log-ratio log|a/b| of the final point (0 at the
    flattest minimum a = b). Flows are integrated with RK4 at step h/10 for t_end.
    """
    g = np.linspace(-lim, lim, n_grid)
    A, B = np.meshgrid(g, g)
    starts = jnp.asarray(np.stack([A.ravel(), B.ravel()], axis=1))

    def rk4(th, lam, dt, n):
        f = lambda t: modified_flow(t, x, y, lam)  # noqa: E731

        def body(t, _):
            k1 = f(t)
            k2 = f(t + dt / 2 * k1)
            k3 = f(t + dt / 2 * k2)
            k4 = f(t + dt * k3)
            return t + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4), None

        return jax.lax.scan(body, th, None, length=n)[0]

    rows = []
    for h in hs:
        n = int(round(t_end / h))
        gd = np.asarray(jax.jit(jax.vmap(lambda t: gd_final(t, x, y, h, n, divergence_threshold)))(starts))
        mod = np.asarray(jax.jit(jax.vmap(lambda t: rk4(t, h / 2, h / 10, 10 * n)))(starts))
        org = np.asarray(jax.jit(jax.vmap(lambda t: rk4(t, 0.0, h / 10, 10 * n)))(starts))
        lr = lambda p: np.log(np.abs(p[:, 0]) / np.abs(p[:, 1]))  # noqa: E731
        with np.errstate(all="ignore"):
            rows.append(pd.DataFrame({"h": h, "a0": starts[:, 0], "b0": starts[:, 1],
                                      "GD log|a/b|": lr(gd), "modified log|a/b|": lr(mod),
                                      "original log|a/b|": lr(org), "GD diverged": ~np.all(np.isfinite(gd), axis=1),
                                      "GD final E": 0.5 * (y - gd[:, 0] * gd[:, 1] * x) ** 2}))
    return pd.concat(rows, ignore_index=True)


def endpoints(paths_by_point: dict, x: float, y: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Where each trajectory of :func:`figure1a_paths` ends: (norms, distances to the
    min-norm minimum), rows by trajectory kind ("GD, h_S", "GD, h_M", "modified flow",
    "EGR flow"), columns by initial point."""
    mn = min_norm_minimum(x, y)
    norms, dists = {}, {}
    for point, paths in paths_by_point.items():
        for name, path in paths.items():
            kind = name.split(" =")[0] if name.startswith("GD") else name.split(",")[0]
            end = np.asarray(path)[-1]
            norms.setdefault(point, {})[kind] = float(np.linalg.norm(end))
            dists.setdefault(point, {})[kind] = float(np.linalg.norm(end - mn))
    return pd.DataFrame(norms), pd.DataFrame(dists)


def convergence_summary(cmap: pd.DataFrame, converged_loss: float = 1e-12) -> pd.DataFrame:
    """Per h, over the starts where GD converged (E below ``converged_loss``): how often the
    modified flow predicts GD's landing point better than the flow of E, and median errors."""
    ok = cmap[~cmap["GD diverged"] & (cmap["GD final E"] < converged_loss)].copy()
    ok["err modified"] = np.abs(ok["GD log|a/b|"] - ok["modified log|a/b|"])
    ok["err original"] = np.abs(ok["GD log|a/b|"] - ok["original log|a/b|"])
    ok["modified closer"] = ok["err modified"] < ok["err original"]
    out = ok.groupby("h").agg(starts=("err modified", "size"), median_err_modified=("err modified", "median"),
                              median_err_original=("err original", "median"),
                              modified_closer=("modified closer", "mean"))
    out["diverged or unconverged"] = cmap.groupby("h").size() - out["starts"]
    return out


__all__ = ["ToyPoint", "TABLE_A1", "TEST_POINT", "loss", "grad", "r_ig", "igr_lambda", "modified_loss", "egr_loss",
           "modified_flow", "original_flow", "slope", "min_norm_minimum", "gd_path", "euler_flow_path",
           "accurate_flow_path", "gd_final", "figure1a_paths", "distance_to_flows", "euler_vs_accurate",
           "lr_sweep", "egr_sweep", "convergence_map", "endpoints", "convergence_summary"]
