"""Chapter 04's computation: the trajectories, sweeps, scans and maps of the two-parameter model.

Abstraction: ``run(Params)`` computes Figure 1a (GD at h_S and h_M, the modified flow and the
EGR flow from both Table A.1 points, and GD's distance to the flows of E and E~), Figure 1b
(R_IG/E and ||theta|| after convergence against h), Figure A.1 (a scan of h: ricochets across
the valley, divergence, against GD's linear stability edges), Figure A.2 (the EGR flow's test
error against mu over training time), a convergence map beyond the paper, the landing point's
sensitivity to the initialization, GD at the EGR rate and Remark A.12's formulas. Each figure
has its own function here, usable alone (the tests call them). Float64 (the caller enables x64).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from igr_core._src import bea as _bea
from igr_core._src import columns as C
from igr_core._src import toy as _toy
from igr_core._src import verdicts
from igr_core.experiments._params import require_x64
from igr_core.experiments.toy_model.params import PATH_POINTS, Params, Results


def _pt(point) -> _toy.ToyPoint:
    if isinstance(point, _toy.ToyPoint):
        return point
    if point not in _toy.TABLE_A1:
        raise ValueError(f"`point` must be one of {tuple(_toy.TABLE_A1)} or a _toy.ToyPoint, got {point!r}.")
    return _toy.TABLE_A1[point]


def figure1a_paths(point, t_end: float) -> dict:
    """The four trajectories of Figure 1a from one Table A.1 column, up to time ``t_end``:
    GD at h_S, GD at h_M, the modified flow (lambda = h_M / 2) and the EGR flow (mu, A.32),
    flows integrated the paper's way (Euler, step h_Euler). Arrays of shape (k, 2): every
    iterate up to ``PATH_POINTS``, else evenly thinned to that many with the first and last kept
    (point II's paths have millions of steps; the figure and the endpoints need no more)."""
    p = _pt(point)
    th0 = jnp.asarray(p.theta0, dtype=jnp.result_type(float))
    return {k: thin(v) for k, v in _figure1a_full(p, th0, t_end).items()}


def thin(path, n: int = PATH_POINTS) -> np.ndarray:
    """At most ``n`` points of a path, evenly spaced in index, first and last included."""
    path = np.asarray(path)
    if len(path) <= n:
        return path
    return path[np.unique(np.linspace(0, len(path) - 1, n).round().astype(int))]


def _figure1a_full(p, th0, t_end: float) -> dict:
    return {
        f"GD, h_S = {p.h_S:g}": _toy.gd_path(th0, p.x, p.y, p.h_S, int(round(t_end / p.h_S))),
        f"GD, h_M = {p.h_M:g}": _toy.gd_path(th0, p.x, p.y, p.h_M, int(round(t_end / p.h_M))),
        "modified flow, lambda = h_M/2": _toy.euler_flow_path(th0, p.x, p.y, t_end, p.h_Euler, _toy.igr_lambda(p.h_M)),
        f"EGR flow, mu = {p.mu:g}": _toy.euler_flow_path(th0, p.x, p.y, t_end, p.h_Euler, p.mu),
    }


def distance_to_flows(point, n_steps: int, h: float | None = None) -> pd.DataFrame:
    """GD at h (default h_M) against the flows of E and of E~ (lambda = h/2), matched by
    time t = n h (accurate integration). Columns: step, t, to modified flow, to original flow."""
    p = _pt(point)
    h = p.h_M if h is None else h
    th0 = jnp.asarray(p.theta0, dtype=jnp.result_type(float))
    gd = np.asarray(_toy.gd_path(th0, p.x, p.y, h, n_steps))
    ts = np.arange(n_steps + 1) * h
    mod = np.asarray(_toy.accurate_flow_path(th0, p.x, p.y, ts, lam=_toy.igr_lambda(h)))
    org = np.asarray(_toy.accurate_flow_path(th0, p.x, p.y, ts, lam=0.0))
    return pd.DataFrame(
        {
            "step": np.arange(n_steps + 1),
            "t": ts,
            "to modified flow": np.linalg.norm(gd - mod, axis=1),
            "to original flow": np.linalg.norm(gd - org, axis=1),
        }
    )


def euler_vs_accurate(point, t_end: float, lam: float, n_marks: int = 50) -> float:
    """Largest distance between the paper's Euler integration (h_Euler) and the accurate
    (Dopri8) integration of the same flow, over ``n_marks`` equally spaced times."""
    p = _pt(point)
    th0 = jnp.asarray(p.theta0, dtype=jnp.result_type(float))
    euler = np.asarray(_toy.euler_flow_path(th0, p.x, p.y, t_end, p.h_Euler, lam))
    n = euler.shape[0] - 1
    idx = np.linspace(0, n, n_marks + 1).round().astype(int)
    acc = np.asarray(_toy.accurate_flow_path(th0, p.x, p.y, idx * p.h_Euler, lam=lam))
    return float(np.max(np.linalg.norm(euler[idx] - acc, axis=1)))


def lr_sweep(theta0, x, y, hs, n_steps: int, divergence_threshold: float = _bea.DIVERGENCE_NORM) -> pd.DataFrame:
    """GD for each learning rate (traced: one compilation), ``n_steps`` steps. Columns: h,
    a, b, ||theta||, R_IG/E (= x^2 ||theta||^2 by A.25), E, slope, diverged."""
    th0 = jnp.asarray(theta0, dtype=jnp.result_type(float))

    run = jax.jit(lambda h: _toy.gd_final(th0, x, y, h, n_steps, divergence_threshold))

    rows = []
    for h in np.asarray(hs, dtype=float):
        th = np.asarray(run(jnp.asarray(h)))
        div = not np.all(np.isfinite(th))
        e = float(_toy.loss(jnp.asarray(th), x, y)) if not div else np.nan
        rows.append(
            {
                "h": h,
                "a": th[0],
                "b": th[1],
                C.THETA_NORM: np.linalg.norm(th),
                "R_IG/E": x**2 * np.sum(th**2),
                "E": e,
                C.SLOPE: float(_toy.slope(jnp.asarray(th), x, y)) if not div else np.nan,
                C.DIVERGED: div,
            }
        )
    return pd.DataFrame(rows)


def egr_sweep(theta0, x, y, mus, t_end: float, h_euler: float, test_point=_toy.TEST_POINT, n_marks: int = 24):
    """EGR flows (A.32, Euler step h_euler) for each mu; test error (y_t - a b x_t)^2 / 2 at the
    test point over time, at t = 0 and ``n_marks`` geometrically spaced times from 100 Euler
    steps to t_end (early times resolved). Columns: mu, t, E (train), test error, ||theta||."""
    th0 = jnp.asarray(theta0, dtype=jnp.result_type(float))
    xt, yt = test_point
    n = int(round(t_end / h_euler))
    marks = np.unique(np.concatenate([[0], np.geomspace(min(100, n), n, n_marks).round().astype(int)]))

    @jax.jit
    def path(mu):
        return _toy._euler(_toy.modified_flow, th0, h_euler, n, x, y, mu)[marks]

    rows = []
    for mu in np.asarray(mus, dtype=float):
        pts = np.asarray(path(jnp.asarray(mu)))
        for k, th in zip(marks, pts):
            rows.append(
                {
                    "mu": mu,
                    "t": k * h_euler,
                    "E": float(_toy.loss(jnp.asarray(th), x, y)),
                    "test error": float(_toy.loss(jnp.asarray(th), xt, yt)),
                    C.THETA_NORM: float(np.linalg.norm(th)),
                }
            )
    return pd.DataFrame(rows)


def convergence_map(
    lim: float, n_grid: int, hs, x: float, y: float, t_end: float, divergence_threshold: float = _bea.DIVERGENCE_NORM
) -> pd.DataFrame:
    """Where on the hyperbola GD converges, over a grid of initial points, for several h,
    against the prediction of the modified flow (lambda = h/2) and of the flow of E.

    The destination is summarized by the log-ratio log|a/b| of the final point (0 at the
    flattest minimum a = b). Flows are integrated with RK4 at step h/10 for t_end.
    """
    g = np.linspace(-lim, lim, n_grid)
    A, B = np.meshgrid(g, g)
    starts = jnp.asarray(np.stack([A.ravel(), B.ravel()], axis=1))

    def flow_end(th, lam):
        def field(t, *a):
            return _toy.modified_flow(t, x, y, lam)

        return _bea.flow(field, th, t_end, rtol=1e-9, atol=1e-12, max_steps=200_000)

    flow_all = jax.jit(jax.vmap(flow_end, in_axes=(0, None)))
    gd_all = jax.jit(
        jax.vmap(lambda t, h, n: _toy.gd_final(t, x, y, h, n, divergence_threshold), in_axes=(0, None, None))
    )
    rows = []
    for h in hs:
        n = int(round(t_end / h))
        gd = np.asarray(gd_all(starts, jnp.asarray(h), n))
        mod = np.asarray(flow_all(starts, jnp.asarray(_toy.igr_lambda(h))))
        org = np.asarray(flow_all(starts, jnp.asarray(0.0)))

        def lr(p):
            return np.log(np.abs(p[:, 0]) / np.abs(p[:, 1]))

        with np.errstate(all="ignore"):
            rows.append(
                pd.DataFrame(
                    {
                        "h": h,
                        "a0": starts[:, 0],
                        "b0": starts[:, 1],
                        "GD log|a/b|": lr(gd),
                        "modified log|a/b|": lr(mod),
                        "original log|a/b|": lr(org),
                        "GD diverged": ~np.all(np.isfinite(gd), axis=1),
                        "GD final E": 0.5 * (y - gd[:, 0] * gd[:, 1] * x) ** 2,
                    }
                )
            )
    return pd.concat(rows, ignore_index=True)


def endpoints(paths_by_point: dict, x: float, y: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Where each trajectory of :func:`figure1a_paths` ends: (norms, distances to the
    min-norm minimum), rows by trajectory kind ("GD, h_S", "GD, h_M", "modified flow",
    "EGR flow"), columns by initial point."""
    mn = _toy.min_norm_minimum(x, y)
    norms, dists = {}, {}
    for point, paths in paths_by_point.items():
        for name, path in paths.items():
            kind = name.split(" =")[0] if name.startswith("GD") else name.split(",")[0]
            end = np.asarray(path)[-1]
            norms.setdefault(point, {})[kind] = float(np.linalg.norm(end))
            dists.setdefault(point, {})[kind] = float(np.linalg.norm(end - mn))
    return pd.DataFrame(norms), pd.DataFrame(dists)


def per_start_errors(cmap: pd.DataFrame, converged_loss: float = 1e-12) -> pd.DataFrame:
    """The starts where GD converged, with the errors of both flows' predicted landing point."""
    ok = cmap[~cmap["GD diverged"] & (cmap["GD final E"] < converged_loss)].copy()
    ok["err modified"] = np.abs(ok["GD log|a/b|"] - ok["modified log|a/b|"])
    ok["err original"] = np.abs(ok["GD log|a/b|"] - ok["original log|a/b|"])
    return ok


def convergence_summary(cmap: pd.DataFrame, converged_loss: float = 1e-12) -> pd.DataFrame:
    """Per h, over the starts where GD converged (E below ``converged_loss``): how often the
    modified flow predicts GD's landing point better than the flow of E, and median errors."""
    ok = per_start_errors(cmap, converged_loss)
    ok["modified closer"] = ok["err modified"] < ok["err original"]
    out = ok.groupby("h").agg(
        starts=("err modified", "size"),
        median_err_modified=("err modified", "median"),
        median_err_original=("err original", "median"),
        modified_closer=("modified closer", "mean"),
    )
    out["diverged or unconverged"] = cmap.groupby("h").size() - out["starts"]
    return out


def ricochet_scan(theta0, x, y, hs, n_steps: int, ricochet_steps: int) -> pd.DataFrame:
    """For each h: the outcome after ``n_steps`` (:func:`lr_sweep`) and how often the first
    ``ricochet_steps`` iterates cross the valley of minima (a ricochet is one or more)."""
    th0 = jnp.asarray(theta0, dtype=jnp.result_type(float))
    out = lr_sweep(theta0, x, y, hs, n_steps)
    path = jax.jit(lambda h: _toy.gd_path(th0, x, y, h, ricochet_steps))
    out["valley crossings"] = [_toy.residual_sign_changes(path(jnp.asarray(h)), x, y) for h in out["h"]]
    return out


def landing_sensitivity(
    theta0, x, y, hs, radius: float, grid: int, n_steps: int, divergence_threshold: float = _bea.DIVERGENCE_NORM
) -> pd.DataFrame:
    """How much GD's landing point depends on its initialization: a ``grid`` x ``grid`` patch of
    starts within ``radius`` of ``theta0``, GD for ``n_steps`` steps at each h. Columns: h, starts,
    diverged share, converged share (E < 1e-12), the spread (standard deviation) and range of the
    landing log|a/b| over the starts that did not diverge, and the median difference between
    neighbouring starts."""
    g = np.linspace(-radius, radius, grid)
    A, B = np.meshgrid(g, g)
    th0 = np.asarray(theta0, float)
    starts = jnp.asarray(np.stack([A.ravel() + th0[0], B.ravel() + th0[1]], axis=1))
    run_all = jax.jit(
        jax.vmap(lambda t, h, n: _toy.gd_final(t, x, y, h, n, divergence_threshold), in_axes=(0, None, None))
    )
    rows = []
    for h in hs:
        end = np.asarray(run_all(starts, jnp.asarray(h), int(n_steps)))
        div = ~np.all(np.isfinite(end), axis=1)
        with np.errstate(all="ignore"):
            landing = np.log(np.abs(end[:, 0]) / np.abs(end[:, 1]))
            e = 0.5 * (y - end[:, 0] * end[:, 1] * x) ** 2
            grid_l = landing.reshape(grid, grid)
            nb = np.concatenate([np.abs(np.diff(grid_l, axis=0)).ravel(), np.abs(np.diff(grid_l, axis=1)).ravel()])
        ok = landing[~div]
        rows.append(
            {
                "h": float(h),
                "starts": int(starts.shape[0]),
                "diverged share": float(div.mean()),
                "converged share": float(np.mean(e < 1e-12)),
                "landing spread": float(np.std(ok)) if ok.size else float("nan"),
                "landing range": float(np.ptp(ok)) if ok.size else float("nan"),
                "median neighbour difference": float(np.median(nb[np.isfinite(nb)]))
                if np.isfinite(nb).any()
                else float("nan"),
            }
        )
    return pd.DataFrame(rows)


def igr_at_egr_rate(points: dict, n_steps: int, divergence_threshold: float = _bea.DIVERGENCE_NORM) -> pd.DataFrame:
    """GD at the learning rate whose implicit rate lambda = h/2 equals each point's EGR rate mu
    (h = 2 mu, Table A.1), from the point's theta_0: whether it diverges, and its final norm."""
    rows = []
    for k, pt in points.items():
        h = 2.0 * pt.mu
        end = np.asarray(
            _toy.gd_final(
                jnp.asarray(pt.theta0, dtype=jnp.result_type(float)), pt.x, pt.y, h, n_steps, divergence_threshold
            )
        )
        rows.append(
            {
                "point": k,
                "mu": pt.mu,
                "h = 2 mu": h,
                C.DIVERGED: bool(~np.all(np.isfinite(end))),
                "||theta|| at the end": float(np.linalg.norm(end)),
            }
        )
    return pd.DataFrame(rows)


def remark_a12_errors(lim: float, n_grid: int, x: float, y: float, lam: float) -> dict:
    """Remark A.12 at a grid of points: the vector form -(1 + lam x^2 ||theta||^2) grad E - (2 lam x^2 E)
    theta against -grad E~ by automatic differentiation, and slope(theta) = ||theta|| |x| sqrt(2E)
    against ||grad E||; the largest relative error of each (the grid's points off the hyperbola and the origin)."""
    g = np.linspace(-lim, lim, n_grid)
    A, B = np.meshgrid(g, g)
    th = jnp.asarray(np.stack([A.ravel(), B.ravel()], axis=1))
    keep = (np.asarray(_toy.loss(th, x, y)) > 1e-12) & (np.linalg.norm(np.asarray(th), axis=1) > 1e-8)
    th = th[keep]  # off the hyperbola and off the origin (grad E = 0 there: no relative error)
    auto_field = -jax.vmap(jax.grad(_toy.modified_loss), in_axes=(0, None, None, None))(th, x, y, lam)
    auto_slope = jnp.linalg.norm(jax.vmap(jax.grad(_toy.loss), in_axes=(0, None, None))(th, x, y), axis=1)
    field = _toy.modified_flow(th, x, y, lam)
    return {
        "vector form": float(
            jnp.max(jnp.linalg.norm(field - auto_field, axis=1) / jnp.linalg.norm(auto_field, axis=1))
        ),
        "slope formula": float(jnp.max(jnp.abs(_toy.slope(th, x, y) - auto_slope) / auto_slope)),
        "points": int(th.shape[0]),
    }


def onset(hs, flags) -> float:
    """Midpoint between the last h without the event and the first h with it (h sorted);
    NaN when the event never happens or already happens at the first h."""
    hs, flags = np.asarray(hs, float), np.asarray(flags, bool)
    order = np.argsort(hs)
    hs, flags = hs[order], flags[order]
    idx = np.flatnonzero(flags)
    if idx.size == 0 or idx[0] == 0:
        return float("nan")
    return float((hs[idx[0] - 1] + hs[idx[0]]) / 2)


def _points(p: Params) -> dict:
    """Table A.1's points I and II, from this run's initial points."""
    return {
        "I": _toy.TABLE_A1["I"]._replace(theta0=tuple(p.initial_points[0])),
        "II": _toy.TABLE_A1["II"]._replace(theta0=tuple(p.initial_points[1])),
    }


def closeness_table(dist: dict) -> pd.DataFrame:
    """Largest and final distance of GD to each flow, one column per point (from :func:`distance_to_flows`)."""
    return pd.DataFrame(
        {
            k: {
                "max distance to modified flow": d["to modified flow"].max(),
                "max distance to original flow": d["to original flow"].max(),
                "final distance to modified flow": d["to modified flow"].iloc[-1],
                "final distance to original flow": d["to original flow"].iloc[-1],
            }
            for k, d in dist.items()
        }
    )


def stability_edges(point, scan: pd.DataFrame) -> dict:
    """Figure A.1: GD's linear stability edges at theta_0 and at the flow's minimum, next to the
    measured onsets of ricochets and of divergence in the scan."""
    landing = _toy.flow_landing_point(point.theta0, point.x, point.y)
    return {
        "edge at theta_0": _toy.stability_edge(point.theta0, point.x, point.y),
        "edge at the flow's minimum": _toy.stability_edge(landing, point.x, point.y),
        "ricochet onset": onset(scan["h"], scan["valley crossings"] > 0),
        "divergence onset": onset(scan["h"], scan[C.DIVERGED]),
        "flow landing point": landing.tolist(),
    }


def egr_profile(egr: pd.DataFrame) -> pd.DataFrame:
    """Per evaluation time of Figure A.2: Spearman's rho(mu, test error), its verdict at that
    time and the relative spread of the test errors."""
    prof = []
    for t, grp in egr.groupby("t"):
        v = verdicts.trend(grp["mu"], grp["test error"], -1, x_name="mu", y_name="test error")
        prof.append(
            {
                "t": t,
                "rho": v.value,
                "verdict at t": v.outcome,
                "relative spread": float(np.ptp(grp["test error"]) / abs(grp["test error"].mean())),
            }
        )
    return pd.DataFrame(prof)


def run(p: Params) -> Results:
    require_x64()
    pts = _points(p)
    names = ("I", "II")
    paths = {k: figure1a_paths(pts[k], t) for k, t in zip(names, p.t_end)}
    closeness = closeness_table({k: distance_to_flows(pts[k], n) for k, n in zip(names, p.distance_steps)})
    euler_gap = {k: euler_vs_accurate(pts[k], t, _toy.igr_lambda(pts[k].h_M)) for k, t in zip(names, p.t_end)}
    P1 = pts["I"]
    sweep = lr_sweep(P1.theta0, P1.x, P1.y, p.fig1b_hs, p.fig1b_steps)
    lo, hi, k = p.scan_h_range
    scan = ricochet_scan(P1.theta0, P1.x, P1.y, np.linspace(lo, hi, int(k)), p.fig1b_steps, p.ricochet_steps)
    ricochet = np.asarray(_toy.gd_path(np.array(P1.theta0), P1.x, P1.y, P1.h_L, p.ricochet_steps))
    edges = stability_edges(P1, scan)
    egr = egr_sweep(P1.theta0, P1.x, P1.y, p.mus, p.egr_t_end, p.egr_h_euler, test_point=tuple(p.test_point))
    profile = egr_profile(egr)
    norms, dists = endpoints({"I": paths["I"], "II": paths["II"]}, P1.x, P1.y)
    cmap = convergence_map(p.map_lim, p.map_grid, p.map_hs, P1.x, P1.y, p.map_t_end)
    sens = landing_sensitivity(
        P1.theta0, P1.x, P1.y, p.sensitivity_hs, p.sensitivity_radius, p.sensitivity_grid, p.fig1b_steps
    )
    reach = igr_at_egr_rate(pts, p.fig1b_steps)
    remark = remark_a12_errors(p.map_lim, p.map_grid, P1.x, P1.y, _toy.igr_lambda(P1.h_M))
    return Results(
        p,
        pts,
        paths,
        closeness,
        euler_gap,
        sweep,
        scan,
        ricochet,
        edges,
        egr,
        profile,
        norms,
        dists,
        cmap,
        convergence_summary(cmap),
        sens,
        reach,
        remark,
    )
