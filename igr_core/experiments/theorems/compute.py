"""Chapter 01's computation: convergence orders, the moderate regime and Propositions A.9, A.10.

Abstraction: ``run(Params)`` measures, in float64 (the caller enables x64), local and global
errors of gradient descent against the modified flows of orders 0, 1, 2 on the two-parameter
model and a tanh MLP on real digits (fitted slopes with standard errors), the moderate regime
of Remark 3.2 (where the modified flow stops helping, against the stability edge 2/lambda_max
by power iteration), Proposition A.9 at every step, Proposition A.10 on a double well and on
the two-parameter model, Remark 3.4 along trajectories of the double well and the non-gradient
part of the correction f_2 (Lemma A.1). Each study has its own function here, usable alone (the
tests and the page call them).
"""

from __future__ import annotations

from typing import Sequence

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
from jax.flatten_util import ravel_pytree

from igr_core._src import bea as _bea
from igr_core._src import columns as C
from igr_core._src import geometry as _geo
from igr_core._src import toy as _toy
from igr_core._src import verdicts
from igr_core._src.bea import crossing
from igr_core._src.problems import Problem, mnist_mlp_problem, toy_problem
from igr_core._src.regularizers import modified_loss
from igr_core.experiments._params import require_x64
from igr_core.experiments.theorems.params import Params, Results

# ------------------------------------------------------------------------------ orders


def order_study(
    problems: Sequence[Problem],
    hs: Sequence[float],
    kind: str = "local",
    orders: Sequence[int] = _bea.ORDERS,
    T: float | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Errors of GD against the order-k modified flows, and fitted slopes with standard errors.

    kind="local": one-step errors, expected slope k + 2; kind="global": error at fixed
    time T, expected slope k + 1.
    """
    if kind not in ("local", "global"):
        raise ValueError(f"`kind` must be 'local' or 'global', got {kind!r}.")
    if kind == "global" and T is None:
        raise ValueError("`T` is required for kind='global'.")
    rows, fits = [], []
    for p in problems:
        for k in orders:
            if kind == "local":
                errs, expected = _bea.local_errors(p.loss, p.theta0, hs, k, *p.args), k + 2
            else:
                errs, expected = _bea.global_errors(p.loss, p.theta0, hs, T, k, *p.args), k + 1
            rows += [{"problem": p.name, "order": k, "h": h, "error": e} for h, e in zip(hs, errs)]
            slope, se = _bea.fit_order_stats(hs, errs)
            fits.append(
                {
                    "problem": p.name,
                    "order": k,
                    "expected slope": expected,
                    "measured slope": slope,
                    "stderr": se,
                    "n": len(hs),
                }
            )
    return pd.DataFrame(rows), pd.DataFrame(fits)


def moderate_regime(problem: Problem, hs: Sequence[float], T: float) -> pd.DataFrame:
    """Remark 3.2: global error at time T of GD against the flows of E and of E~ over a wide
    range of h, up to divergence."""
    e0 = _bea.global_errors(problem.loss, problem.theta0, hs, T, 0, *problem.args)
    e1 = _bea.global_errors(problem.loss, problem.theta0, hs, T, 1, *problem.args)
    df = pd.DataFrame({"h": np.asarray(hs, float), "error, flow of E": e0, "error, modified flow": e1})
    df[C.DIVERGED] = ~np.isfinite(e0)
    with np.errstate(invalid="ignore", divide="ignore"):  # diverged runs: NaN, marked in `diverged`
        df["ratio modified / original"] = np.where(df[C.DIVERGED], np.nan, e1 / e0)
    return df


def trajectory_scales(problem: Problem, h: float, T: float) -> tuple[float, float]:
    """(R, M) of Remark 3.2 estimated along gradient descent at a small ``h`` up to time T: the
    radius R of the ball around theta_0 the trajectory stays in, and the largest gradient norm
    M met in it (estimates on the real trajectory; the remark's bounds are over a complex
    neighbourhood where E is analytic, which no real run measures)."""
    n = max(1, int(round(T / h)))
    path = _bea.gd_trajectory(problem.loss, problem.theta0, h, n, *problem.args)
    flat = jax.vmap(lambda t: ravel_pytree(t)[0])(path)
    grads = jax.vmap(lambda t: ravel_pytree(jax.grad(problem.loss)(t, *problem.args))[0])(path)
    R = float(jnp.max(jnp.linalg.norm(flat - flat[0], axis=1)))
    M = float(jnp.max(jnp.linalg.norm(grads, axis=1)))
    return R, M


def remark32_table(problems, scans, T: float) -> pd.DataFrame:
    """Remark 3.2's h_0 = C R / M: per problem, R and M along the trajectory, the measured end of
    the moderate regime h_cross, and the constant it implies, C = h_cross M / R (the remark says
    C depends on the method only, so it should not change between problems)."""
    rows = []
    for prob, scan in zip(problems, scans):
        h_cross = crossing(scan["h"], scan["ratio modified / original"], verdicts.GAIN_LOST_RATIO)
        R, M = trajectory_scales(prob, float(scan["h"].min()), T)
        rows.append(
            {
                "problem": prob.name,
                "R": R,
                "M": M,
                "R / M": R / M,
                "h_cross": h_cross,
                "implied C": h_cross * M / R if R > 0 else float("nan"),
            }
        )
    return pd.DataFrame(rows)


def non_gradient_part(problem: Problem, num_probes: int | None = None) -> pd.DataFrame:
    """Relative antisymmetric part of the Jacobian of each correction f_k at theta0."""
    rows = []
    for k in _bea.ORDERS:
        a = _bea.jacobian_asymmetry(
            _bea.correction(problem.loss, k), problem.theta0, *problem.args, num_probes=num_probes
        )
        rows.append({"problem": problem.name, "correction": f"f_{k}", "||A||_F / ||J||_F": a})
    return pd.DataFrame(rows)


def norm_bound_study(problem: Problem, hs: Sequence[float], n_steps: int) -> pd.DataFrame:
    """Proposition A.9 at every GD step for each h (one compilation: h is traced)."""
    ratios_of = jax.jit(lambda hh: _geo.norm_step_ratios(problem.loss, problem.theta0, hh, n_steps, *problem.args))
    rows = []
    for h in hs:
        ratios = np.asarray(ratios_of(jnp.asarray(h, jnp.result_type(float))))
        rows += [{"h": h, "step": i, "ratio": r} for i, r in enumerate(ratios)]
    return pd.DataFrame(rows)


# ------------------------------------------------------------------- Proposition A.10


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
        left = np.sign(np.asarray(d1(jnp.asarray(a)))) * np.sign(np.asarray(d1(jnp.asarray(mid)))) <= 0
        b = np.where(left, mid, b)
        a = np.where(left, a, mid)
    pts = np.sort(np.concatenate([(a + b) / 2, exact]))
    curv = np.asarray(d2(jnp.asarray(pts))) if pts.size else np.array([])
    vals = np.asarray(jax.vmap(lambda t: loss_fn(jnp.array([t]), *args))(jnp.asarray(pts))) if pts.size else pts
    return pd.DataFrame(
        {"theta": pts, "value": vals, "curvature": curv, "kind": np.where(curv > 0, "minimum", "maximum")}
    )


def minima_study(hs: Sequence[float], c: float = 0.3, lo: float = -2.0, hi: float = 2.0) -> pd.DataFrame:
    """Proposition A.10 on the double well: critical points of E and of E~_h for each h."""
    rows = [
        {"function": "E", "h": 0.0, **r} for r in critical_points_1d(double_well, lo, hi, 20001, c).to_dict("records")
    ]
    for h in hs:
        mod = critical_points_1d(modified_loss(double_well, h), lo, hi, 20001, c)
        rows += [{"function": "E~", "h": h, **r} for r in mod.to_dict("records")]
    return pd.DataFrame(rows)


TRAP_FRACTIONS = (0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 0.95, 1.1, 1.3, 1.6)  # h / the start's stability edge


def trapping_study(c: float = 0.3, n_starts: int = 9, n_steps: int = 2000, fractions=TRAP_FRACTIONS) -> pd.DataFrame:
    """Remark 3.4 along trajectories: gradient descent started across the basin of the double
    well's local (non-global) minimum, at step sizes that are fractions of each start's
    stability edge 2 / max E'' over the segment between the start and the minimum (the curvature
    the trajectory meets): where each run ends (its basin), and where the modified flow of
    E + (h/4)|E'|^2 from the same start ends. One compilation for the whole grid."""
    crit = critical_points_1d(double_well, -2.0, 2.0, 20001, c)
    minima = crit[crit["kind"] == "minimum"].sort_values("value")
    local = float(minima["theta"].iloc[-1])
    barrier = float(crit[crit["kind"] == "maximum"]["theta"].iloc[0])
    side = np.sign(local - barrier)
    width = abs(local - barrier)
    starts = barrier + side * width * np.linspace(0.1, 1.9, n_starts)
    curv = jax.vmap(lambda t: jax.hessian(double_well)(jnp.array([t]), c)[0, 0])
    edges = np.array([2.0 / float(jnp.max(curv(jnp.linspace(min(t0, local), max(t0, local), 201)))) for t0 in starts])
    fr, st = np.meshgrid(np.asarray(fractions, float), np.arange(n_starts), indexing="ij")
    hs = jnp.asarray(fr.ravel() * edges[st.ravel()])
    t0s = jnp.asarray(starts[st.ravel()])

    @jax.jit
    @jax.vmap
    def ends(h, t0):
        gd = _bea.gd_final(double_well, t0[None], h, n_steps, c)[0]
        fl = _bea.flow(_bea.modified_vector_field(double_well, h, 1), t0[None], n_steps * h, c)[0]
        return gd, fl

    gd_end, flow_end = (np.asarray(v) for v in ends(hs, t0s))
    stays = np.isfinite(gd_end) & (np.sign(gd_end - barrier) == side)
    return pd.DataFrame(
        {
            "h / edge": fr.ravel(),
            "h": np.asarray(hs),
            "start": np.asarray(t0s),
            "end": gd_end,
            "stays in the local basin": stays,
            "modified flow stays": np.sign(flow_end - barrier) == side,
            C.DIVERGED: ~np.isfinite(gd_end) | (np.abs(gd_end) > 1e3),
        }
    )


def minima_summary(crit: pd.DataFrame, tol: float = 1e-6) -> dict:
    """Proposition A.10 read off :func:`minima_study`: for each critical point of E, the
    distance to the nearest critical point of E~ (largest over h: ``max_distance``); the
    number of minima of E that are not minima of E~ (``minima_lost``); and, as observations
    beyond the proposition, per h the critical points of E~ that are not critical points of E
    (``extra``) and the minima of E~ that are not minima of E (``new_minima``: new points, or
    maxima of E turned into minima where 1 + h E''/2 < 0)."""
    base = crit[crit["function"] == "E"]
    base_th = base["theta"].to_numpy()
    base_min = base[base["kind"] == "minimum"]["theta"].to_numpy()
    dist, lost, extra, new_min = 0.0, 0, {}, {}
    for h, sub in crit[crit["function"] == "E~"].groupby("h"):
        th = sub["theta"].to_numpy()
        for _, r in base.iterrows():
            j = int(np.argmin(np.abs(th - r["theta"])))
            dist = max(dist, float(abs(th[j] - r["theta"])))
            lost += int(r["kind"] == "minimum" and sub.iloc[j]["kind"] != "minimum")
        extra[float(h)] = int(sum(np.min(np.abs(base_th - t)) > tol for t in th))
        is_min = sub["kind"].to_numpy() == "minimum"
        new_min[float(h)] = int(
            sum(m and (base_min.size == 0 or np.min(np.abs(base_min - t)) > tol) for t, m in zip(th, is_min))
        )
    return {
        "max_distance": dist,
        "minima_lost": lost,
        "n_points": int(len(base)),
        "extra": extra,
        "new_minima": new_min,
    }


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
        "points": n_points,
    }


# ---------------------------------------------------------------------------------- run


def run(p: Params) -> Results:
    require_x64()
    net = mnist_mlp_problem(n_examples=p.n_digits, hidden=p.hidden, activation="tanh", seed=p.seed)
    toy = toy_problem("I")
    le_t, lf_t = order_study([toy], p.toy_hs, "local")
    le_n, lf_n = order_study([net], p.local_hs, "local")
    ge_t, gf_t = order_study([toy], p.toy_hs, "global", T=p.toy_T)
    ge_n, gf_n = order_study([net], p.local_hs, "global", T=p.global_T)
    mod = moderate_regime(net, p.moderate_hs, p.moderate_T)
    mod_toy = moderate_regime(toy, p.moderate_hs, p.moderate_T)
    lam = _bea.sharpness(net.loss, net.theta0, *net.args)
    h_cross = crossing(mod["h"], mod["ratio modified / original"], verdicts.GAIN_LOST_RATIO)
    ratios = norm_bound_study(net, p.norm_hs, p.norm_steps)
    crit = minima_study(p.minima_hs)
    asym = pd.concat([non_gradient_part(toy), non_gradient_part(net, num_probes=16)], ignore_index=True)
    return Results(
        params=p,
        net=net.info(),
        toy=toy.info(),
        local_errors=pd.concat([le_t, le_n]),
        local_fits=pd.concat([lf_t, lf_n]),
        global_errors=pd.concat([ge_t, ge_n]),
        global_fits=pd.concat([gf_t, gf_n]),
        moderate=mod,
        lambda_max=lam,
        h_cross=h_cross,
        norm_ratios=ratios,
        critical=crit,
        minima=minima_summary(crit),
        zero_set=zero_set_study(h=0.1),
        asymmetry=asym,
        remark32=remark32_table([net, toy], [mod, mod_toy], p.moderate_T),
        trapping=trapping_study(),
        moderate_toy=mod_toy,
    )
