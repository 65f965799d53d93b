"""Experiment drivers for the theory chapters (theorem checks, geometry, NTK).

Abstraction: a :class:`Problem` bundles a loss, a starting point and the loss's extra
arguments; drivers take problems and parameters and return tidy pandas tables that
the notebooks plot and turn into verdicts. Nothing here is specific to a notebook's
layout; all the math lives in :mod:`igr_core.bea`, :mod:`igr_core.geometry` and
:mod:`igr_core.ntk`.
"""
from __future__ import annotations

from typing import Callable, NamedTuple, Sequence

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from igr_core._src import bea as _bea
from igr_core._src import geometry as _geo
from igr_core._src import ntk as _ntk
from igr_core._src import toy as _toy
import optax
from igr_core._src.data import load_mnist
from igr_core._src.models import mlp
from igr_core._src.regularizers import modified_loss, num_params, r_ig


class Problem(NamedTuple):
    name: str  # label used in tables and figures
    loss: Callable  # E(theta, *args)
    theta0: object  # starting parameters (pytree)
    args: tuple  # extra arguments of the loss

    @property
    def m(self) -> int:
        return num_params(self.theta0)


def _digits(n: int, seed: int):
    """``n`` real MNIST digits (stratified; offline fallback data when tfds has none) as
    (inputs in the default float dtype, integer labels)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = load_mnist(n_train=n, n_test=10, seed=seed)
    return jnp.asarray(data.x_train, jnp.result_type(float)), jnp.asarray(data.y_train)


def toy_problem(point: str = "I", theta0=None) -> Problem:
    """The two-parameter model E = (y - a b x)^2 / 2 from a Table A.1 starting point."""
    p = _toy.TABLE_A1[point]
    th = jnp.asarray(p.theta0 if theta0 is None else theta0, dtype=jnp.result_type(float))
    return Problem(f"2-parameter model from ({float(th[0]):g}, {float(th[1]):g})", _toy.loss, th, (p.x, p.y))


def mnist_mlp_problem(n_examples: int = 64, hidden: Sequence[int] = (16,), activation: str = "tanh",
                      seed: int = 0, loss_kind: str = "cross_entropy") -> Problem:
    """A smooth MLP on ``n_examples`` real MNIST digits (offline fallback data if needed).

    ``loss_kind``: "cross_entropy" (mean softmax cross-entropy) or "least_squares"
    (mean squared error to one-hot targets). Parameters in the default float dtype.
    """
    if loss_kind not in ("cross_entropy", "least_squares"):
        raise ValueError(f"`loss_kind` must be 'cross_entropy' or 'least_squares', got {loss_kind!r}.")
    dtype = jnp.result_type(float)
    x, y = _digits(n_examples, seed)
    model = mlp(hidden, 10, activation)
    params = jax.tree_util.tree_map(lambda p: p.astype(dtype), model.init(jax.random.PRNGKey(seed), x[:1]))

    def loss(theta, xb, yb):
        logits = model.apply(theta, xb)
        if loss_kind == "cross_entropy":
            return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(logits), yb[:, None], axis=1))
        return jnp.mean(jnp.sum((logits - jax.nn.one_hot(yb, 10)) ** 2, axis=1))

    return Problem(f"{activation} MLP {list(hidden)} on {n_examples} MNIST digits", loss, params, (x, y))


# ----------------------------------------------------------------------------- orders


def order_study(problems: Sequence[Problem], hs: Sequence[float], kind: str = "local",
                orders: Sequence[int] = (0, 1, 2), T: float | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Errors of GD against the order-k modified flows, and fitted slopes.

    kind="local": one-step errors, expected slope k + 2; kind="global": error at fixed
    time T, expected slope k + 1. Returns (errors table, slopes table).
    """
    if kind not in ("local", "global"):
        raise ValueError(f"`kind` must be 'local' or 'global', got {kind!r}.")
    if kind == "global" and T is None:
        raise ValueError("`T` is required for kind='global'.")
    rows, fits = [], []
    for p in problems:
        for k in orders:
            if kind == "local":
                errs = _bea.local_errors(p.loss, p.theta0, hs, k, *p.args)
                expected = k + 2
            else:
                errs = _bea.global_errors(p.loss, p.theta0, hs, T, k, *p.args)
                expected = k + 1
            rows += [{"problem": p.name, "order": k, "h": h, "error": e} for h, e in zip(hs, errs)]
            fits.append({"problem": p.name, "order": k, "expected slope": expected,
                         "measured slope": _bea.fit_order(hs, errs)})
    return pd.DataFrame(rows), pd.DataFrame(fits)


def sharpness(loss_fn, theta, *args, iters: int = 100, seed: int = 0) -> float:
    """Largest Hessian eigenvalue magnitude by power iteration on Hessian-vector products."""
    v = jax.tree_util.tree_map(lambda p: jax.random.normal(jax.random.PRNGKey(seed), p.shape, p.dtype), theta)

    @jax.jit
    def step(v):
        hv = _bea.hvp(loss_fn, theta, v, *args)
        return optax.tree.scale(1.0 / optax.tree.norm(hv), hv), optax.tree.vdot(v, hv)

    lam = 0.0
    for _ in range(iters):
        v, lam = step(v)
    return float(abs(lam))


def moderate_regime(problem: Problem, hs: Sequence[float], T: float) -> pd.DataFrame:
    """Remark 3.2: global error at time T of GD against the flows of E and of E~ over a
    wide range of h, up to divergence. Columns: h, error (flow of E), error (modified flow),
    ratio, diverged."""
    e0 = _bea.global_errors(problem.loss, problem.theta0, hs, T, 0, *problem.args)
    e1 = _bea.global_errors(problem.loss, problem.theta0, hs, T, 1, *problem.args)
    df = pd.DataFrame({"h": np.asarray(hs, float), "error, flow of E": e0, "error, modified flow": e1})
    df["diverged"] = ~np.isfinite(e0)
    df["ratio modified / original"] = np.where(df["diverged"], np.nan, e1 / e0)
    return df


def non_gradient_part(problem: Problem, num_probes: int | None = None) -> pd.DataFrame:
    """Relative antisymmetric part of the Jacobian of each correction f_k at theta0."""
    rows = []
    for k in (0, 1, 2):
        a = _bea.jacobian_asymmetry(_bea.correction(problem.loss, k), problem.theta0, *problem.args,
                                    num_probes=num_probes)
        rows.append({"problem": problem.name, "correction": f"f_{k}", "||A||_F / ||J||_F": a})
    return pd.DataFrame(rows)


# ------------------------------------------------------------------- propositions A.9, A.10


def norm_bound_study(problem: Problem, hs: Sequence[float], n_steps: int) -> pd.DataFrame:
    """Proposition A.9 at every GD step for each h: ratio | ||th_{n+1}|| - ||th_n|| | / (h slope)."""
    rows = []
    for h in hs:
        ratios = np.asarray(jax.jit(lambda hh: _geo.norm_step_ratios(problem.loss, problem.theta0, hh, n_steps,
                                                                     *problem.args))(jnp.asarray(h)))
        rows += [{"h": h, "step": i, "ratio": r} for i, r in enumerate(ratios)]
    return pd.DataFrame(rows)


def double_well(theta, c: float = 0.3):
    """A non-negative 1-D loss with a global minimum at -1 (E = 0) and a local one with E > 0:
    E = (theta^2 - 1)^2 + c (theta + 1)^2."""
    t = theta[0]
    return (t**2 - 1.0) ** 2 + c * (t + 1.0) ** 2


def critical_points_1d(loss_fn, lo: float, hi: float, n: int = 20001, *args) -> pd.DataFrame:
    """Critical points of a 1-D loss on [lo, hi]: sign changes of E' refined by bisection,
    each classified by E'' (minimum / maximum)."""
    d1 = jax.jit(jax.vmap(lambda t: jax.grad(loss_fn)(jnp.array([t]), *args)[0]))
    d2 = jax.jit(jax.vmap(lambda t: jax.hessian(loss_fn)(jnp.array([t]), *args)[0, 0]))
    grid = np.linspace(lo, hi, n)
    g = np.asarray(d1(jnp.asarray(grid)))
    exact = grid[:-1][g[:-1] == 0]
    idx = np.flatnonzero(np.sign(g[:-1]) * np.sign(g[1:]) < 0)
    a, b = grid[idx], grid[idx + 1]
    for _ in range(60):
        mid = (a + b) / 2
        gm = np.asarray(d1(jnp.asarray(mid)))
        ga = np.asarray(d1(jnp.asarray(a)))
        left = np.sign(ga) * np.sign(gm) <= 0
        b = np.where(left, mid, b)
        a = np.where(left, a, mid)
    pts = np.sort(np.concatenate([(a + b) / 2, exact]))
    curv = np.asarray(d2(jnp.asarray(pts))) if pts.size else np.array([])
    vals = np.asarray(jax.vmap(lambda t: loss_fn(jnp.array([t]), *args))(jnp.asarray(pts))) if pts.size else pts
    return pd.DataFrame({"theta": pts, "value": vals, "curvature": curv,
                         "kind": np.where(curv > 0, "minimum", "maximum")})


def minima_study(hs: Sequence[float], c: float = 0.3, lo: float = -2.0, hi: float = 2.0) -> pd.DataFrame:
    """Proposition A.10 on the double well: critical points of E and of E~_h for each h."""
    rows = []
    base = critical_points_1d(double_well, lo, hi, 20001, c)
    rows += [{"function": "E", "h": 0.0, **r} for r in base.to_dict("records")]
    for h in hs:
        mod = critical_points_1d(modified_loss(double_well, h), lo, hi, 20001, c)
        rows += [{"function": "E~", "h": h, **r} for r in mod.to_dict("records")]
    return pd.DataFrame(rows)


def minima_summary(crit: pd.DataFrame, tol: float = 1e-6) -> dict:
    """Proposition A.10 read off :func:`minima_study`: whether every critical point of E is one
    of E~ (``shared``), whether minima stay minima (``minima_kept``), and per h the number of
    extra critical points of E~ and of minima of E~ that are not minima of E (``new_minima``:
    new points, or maxima of E turned into minima where 1 + h E''/2 < 0)."""
    base = crit[crit["function"] == "E"]
    shared, kept, extra, new_min = True, True, {}, {}
    for h, sub in crit[crit["function"] == "E~"].groupby("h"):
        for _, r in base.iterrows():
            near = sub[np.abs(sub["theta"] - r["theta"]) < tol]
            shared &= len(near) == 1
            kept &= (r["kind"] != "minimum") or (len(near) == 1 and near.iloc[0]["kind"] == "minimum")
        extra[float(h)] = len(sub) - len(base)
        base_min = base[base["kind"] == "minimum"]["theta"].to_numpy()
        new_min[float(h)] = int(sum((r["kind"] == "minimum") and not np.any(np.abs(base_min - r["theta"]) < tol)
                                    for _, r in sub.iterrows()))
    return {"shared": bool(shared), "minima_kept": bool(kept), "extra": extra, "new_minima": new_min}


def zero_set_study(n_points: int = 200, h: float = 0.1, seed: int = 0) -> dict:
    """Proposition A.10 on the 2-parameter model: on the hyperbola of zeros, E~ and grad E~
    vanish and the Hessian of E~ is positive semi-definite; off it, E~ > 0 wherever E > 0."""
    p = _toy.TABLE_A1["I"]
    rng = np.random.default_rng(seed)
    a = rng.uniform(0.2, 4.0, n_points) * rng.choice([-1, 1], n_points)
    on = jnp.stack([a, p.y / (p.x * a)], axis=1)
    off = jnp.asarray(rng.uniform(-4, 4, (n_points, 2)))
    mloss = modified_loss(_toy.loss, h)
    mval_on = jax.vmap(lambda t: mloss(t, p.x, p.y))(on)
    mgrad_on = jax.vmap(lambda t: jax.grad(mloss)(t, p.x, p.y))(on)
    eig_on = jax.vmap(lambda t: jnp.linalg.eigvalsh(jax.hessian(mloss)(t, p.x, p.y)))(on)
    e_off = jax.vmap(lambda t: _toy.loss(t, p.x, p.y))(off)
    m_off = jax.vmap(lambda t: mloss(t, p.x, p.y))(off)
    return {
        "max |E~| on zeros": float(jnp.max(jnp.abs(mval_on))),
        "max |grad E~| on zeros": float(jnp.max(jnp.abs(mgrad_on))),
        "min Hessian eigenvalue of E~ on zeros": float(jnp.min(eig_on)),
        "off-zero points with E > 0 but E~ <= 0": int(jnp.sum((e_off > 0) & (m_off <= 0))),
        "off-zero points": n_points,
    }


# ------------------------------------------------------------------------------ geometry


def geometry_identities(problem: Problem, n_points: int = 20, scale: float = 0.5, seed: int = 0,
                        explicit_det: bool = True) -> pd.DataFrame:
    """Proposition A.6, Corollary A.6.1, Remark A.8 and Proposition 3.3 at random points
    around theta0, each computed by two routes. Relative errors per point."""
    flat0, unravel = jax.flatten_util.ravel_pytree(problem.theta0)
    m = flat0.size
    key = jax.random.PRNGKey(seed)
    rows = []
    for i in range(n_points):
        key, sub = jax.random.split(key)
        th = unravel(flat0 + scale * jax.random.normal(sub, flat0.shape, flat0.dtype))
        g = jax.grad(problem.loss)(th, *problem.args)
        rig = r_ig(g)
        normal = _geo.unit_normal(problem.loss, th, *problem.args)
        angle = _geo.tilt_angle(problem.loss, th, *problem.args)
        slope_geo = jnp.tan(angle)
        row = {
            "point": i,
            "R_IG": float(rig),
            "A.6: <N,z> vs 1/sqrt(1+m R_IG)": float(abs(normal[-1] * jnp.sqrt(1 + m * rig) - 1)),
            "A.6.1: tan(alpha) vs sqrt(m R_IG)": float(abs(slope_geo / jnp.sqrt(m * rig) - 1)),
            "3.3: E~ vs E + h/4 tan^2(alpha)": float(abs(
                modified_loss(problem.loss, 0.1)(th, *problem.args)
                / (problem.loss(th, *problem.args) + 0.1 / 4 * slope_geo**2) - 1)),
        }
        if explicit_det:
            det = jnp.linalg.det(_geo.metric_tensor(problem.loss, th, *problem.args))
            row["A.8: det g (explicit) vs 1 + m R_IG"] = float(abs(det / (1 + m * rig) - 1))
        rows.append(row)
    return pd.DataFrame(rows)


def toy_surface(lim: float = 2.5, n: int = 41):
    """E of the 2-parameter model on a grid (for surface pictures): (A, B, E, slope)."""
    p = _toy.TABLE_A1["I"]
    a = np.linspace(-lim, lim, n)
    A, B = np.meshgrid(a, a)
    th = jnp.stack([A, B], axis=-1)
    return A, B, np.asarray(_toy.loss(th, p.x, p.y)), np.asarray(_toy.slope(th, p.x, p.y))


# ----------------------------------------------------------------------------------- NTK


def regression_mlp(n: int = 32, hidden: Sequence[int] = (32, 32), outputs: int = 1, activation: str = "tanh",
                   seed: int = 0):
    """A least-squares problem on real MNIST digits: targets +1 for even digits and -1 for
    odd ones (outputs=1), or one-hot rows (outputs>1). Returns (apply_fn, params, x, y)."""
    dtype = jnp.result_type(float)
    x, labels = _digits(n, seed)
    if outputs == 1:
        y = jnp.where(labels % 2 == 0, 1.0, -1.0).astype(dtype)
    else:
        y = jax.nn.one_hot(labels % outputs, outputs, dtype=dtype)
    model = mlp(hidden, outputs, activation)
    params = jax.tree_util.tree_map(lambda p: p.astype(dtype), model.init(jax.random.PRNGKey(seed), x[:1]))

    def apply_fn(p, xb):
        out = model.apply(p, xb)
        return out[:, 0] if outputs == 1 else out

    return apply_fn, params, x, y


def ntk_identity_table(configs: Sequence[dict], hs: Sequence[float] = (0.01, 0.1)) -> pd.DataFrame:
    """Proposition A.11 and the (A.23) erratum for each config of :func:`regression_mlp`."""
    rows = []
    for cfg in configs:
        apply_fn, params, x, y = regression_mlp(**cfg)
        loss = _ntk.least_squares_loss(apply_fn)
        direct = r_ig(jax.grad(loss)(params, x, y))
        via_k = _ntk.r_ig_ntk(apply_fn, params, x, y)
        via_jac = _ntk.r_ig_ntk(apply_fn, params, x, y, method="jacobian")
        row = {"outputs": cfg.get("outputs", 1), "n": int(x.shape[0]), "m": num_params(params),
               "R_IG (gradient)": float(direct),
               "rel. err. NTK (jvp/vjp)": float(abs(via_k / direct - 1)),
               "rel. err. NTK (Jacobian)": float(abs(via_jac / direct - 1))}
        if cfg.get("outputs", 1) == 1:
            k = _ntk.empirical_ntk(apply_fn, params, x)
            eps = apply_fn(params, x) - y
            for h in hs:
                mod = modified_loss(loss, h)(params, x, y)
                corrected = eps @ ((jnp.eye(eps.size) + h * k) @ eps)
                printed = eps @ ((jnp.eye(eps.size) + k) @ eps)
                row[f"h={h}: rel. err. eps^T(1+hK)eps"] = float(abs(corrected / mod - 1))
                row[f"h={h}: rel. err. printed eps^T(1+K)eps"] = float(abs(printed / mod - 1))
        rows.append(row)
    return pd.DataFrame(rows)


def ntk_training_study(h_fractions: Sequence[float], T_edge: float, n_evals: int = 10, n: int = 32,
                       hidden: Sequence[int] = (32, 32), seed: int = 0) -> pd.DataFrame:
    """Full-batch GD on the least-squares MNIST problem for several step sizes, all run to
    the same physical time, recording E, R_IG and NTK cross-term statistics.

    Step sizes are fractions of the stability edge h_edge = 2 / lambda_max(Hessian at
    theta_0): h = f * h_edge for f in ``h_fractions``; the physical time is
    T = ``T_edge`` * h_edge. At ``n_evals + 1`` equally spaced times the table records
    E, R_IG and :func:`igr_core.ntk.ntk_cross_term_stats`. A run whose loss becomes
    non-finite is marked ``diverged`` and stops; its later rows are absent.
    """
    if any(f <= 0 for f in h_fractions):
        raise ValueError(f"`h_fractions` must be positive fractions of the stability edge, got {h_fractions}.")
    apply_fn, params0, x, y = regression_mlp(n=n, hidden=hidden, outputs=1, seed=seed)
    loss = _ntk.least_squares_loss(apply_fn)
    grad_fn = jax.grad(loss)
    h_edge = 2.0 / sharpness(loss, params0, x, y)
    T = T_edge * h_edge

    @jax.jit
    def run(params, h, n_steps):
        return jax.lax.fori_loop(0, n_steps, lambda i, p: optax.tree.add_scale(p, -h, grad_fn(p, x, y)), params)

    @jax.jit
    def measure(params):
        k = _ntk.empirical_ntk(apply_fn, params, x)
        stats = _ntk.ntk_cross_term_stats(k)
        return loss(params, x, y), r_ig(grad_fn(params, x, y)), stats["mean_abs_cosine"], stats["offdiag_fraction"]

    rows = []
    for f in h_fractions:
        h = f * h_edge
        steps_total = int(round(T / h))
        marks = np.linspace(0, steps_total, n_evals + 1).round().astype(int)
        params, done = params0, 0
        for mark in marks:
            params = run(params, jnp.asarray(h), int(mark - done))
            done = int(mark)
            e, rig, cos, frac = (float(v) for v in measure(params))
            diverged = not np.isfinite(e)
            rows.append({"h / h_edge": f, "h": h, "step": done, "t": done * h, "E": e, "R_IG": rig,
                         "mean |cos| cross terms": cos, "off-diagonal fraction": frac, "diverged": diverged})
            if diverged:
                break
    return pd.DataFrame(rows)


def ntk_summary(traj: pd.DataFrame) -> pd.DataFrame:
    """Per step size: cross-term statistics at the start and at the end of the run, whether
    it diverged, and the final E and R_IG (NaN for diverged runs)."""
    out = []
    for f, grp in traj.groupby("h / h_edge"):
        first, last = grp.iloc[0], grp.iloc[-1]
        div = bool(grp["diverged"].any())
        out.append({"h / h_edge": f, "h": first["h"], "diverged": div,
                    "cos start": first["mean |cos| cross terms"],
                    "cos end": np.nan if div else last["mean |cos| cross terms"],
                    "offdiag start": first["off-diagonal fraction"],
                    "offdiag end": np.nan if div else last["off-diagonal fraction"],
                    "E end": np.nan if div else last["E"], "R_IG end": np.nan if div else last["R_IG"]})
    return pd.DataFrame(out).set_index("h / h_edge")


__all__ = ["Problem", "toy_problem", "mnist_mlp_problem", "order_study", "sharpness", "moderate_regime",
           "non_gradient_part", "norm_bound_study", "double_well", "critical_points_1d", "minima_study",
           "minima_summary", "zero_set_study", "geometry_identities", "toy_surface", "regression_mlp", "ntk_identity_table",
           "ntk_training_study", "ntk_summary"]
