"""Chapter 04: the two-parameter model (Section 5, Appendix A.4).

Abstraction: ``run(Params)`` computes Figure 1a (GD at h_S and h_M, the modified flow and the
EGR flow from both Table A.1 points, and GD's distance to the flows of E and E~), Figure 1b
(R_IG/E and ||theta|| after convergence against h), Figure A.1 (a scan of h: ricochets across
the valley, divergence, against GD's linear stability edges), Figure A.2 (the EGR flow's test
error against mu over training time) and a convergence map beyond the paper. ``claims``
decides each with :mod:`igr_core.verdicts`. Float64 (the caller enables x64).
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from igr_core._src import bea as _bea
from igr_core._src import toy as _toy
from igr_core._src import verdicts
from igr_core._src.verdicts import Claim
from igr_core._src.verdicts import declarations as _declarations
from igr_core.experiments._params import PROFILES, ParamsBase, one_of, positive, positive_seq, require_x64

NOTEBOOK = "04_toy_model"
RESULTS_VERSION = 3  # bump when what run() computes changes: stored results of another version are refused
X64 = True  # float64: run() turns it on (identities to rounding and fitted orders need it)
PLATFORM = "cpu"  # small sequential float64 steps: slower on an H200 than on 2 CPU cores (benchmarks/gpu_h200.md)
DECLARED = _declarations.chapter(NOTEBOOK)  # every row's words, reference, kind and test (igr_core/declarations)


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


PATH_POINTS = 4001


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
                "||theta||": np.linalg.norm(th),
                "R_IG/E": x**2 * np.sum(th**2),
                "E": e,
                "slope": float(_toy.slope(jnp.asarray(th), x, y)) if not div else np.nan,
                "diverged": div,
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
                    "||theta||": float(np.linalg.norm(th)),
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
                "diverged": bool(~np.all(np.isfinite(end))),
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


@dataclasses.dataclass(frozen=True)
class Params(ParamsBase):
    profile: str = "smoke"
    initial_points: tuple = ((2.8, 3.5), (75.0, 74.925))  # Table A.1's (a_0, b_0), points I and II
    test_point: tuple = (0.5, 0.6)  # Figure A.2's (x_t, y_t)
    t_end: tuple = (10.0, 3.0)  # Figure 1a's training time, per initial point
    distance_steps: tuple = (400, 2000)
    fig1b_hs: tuple = (0.001, 0.002, 0.005, 0.01, 0.02, 0.025, 0.05, 0.075, 0.1)
    fig1b_steps: int = 20000
    scan_h_range: tuple = (0.01, 0.4, 79)  # Figure A.1 scan: first h, last h, number of h
    ricochet_steps: int = 300
    mus: tuple = (0.0, 0.01, 0.03, 0.1, 0.3, 0.5, 1.0, 3.0)
    egr_t_end: float = 10.0
    egr_h_euler: float = 0.0001
    map_lim: float = 3.0
    map_grid: int = 21
    map_hs: tuple = (0.01, 0.05, 0.1)
    map_t_end: float = 20.0
    # sensitivity of the landing point to the initialization (Section 5): a patch of starts around point I
    sensitivity_hs: tuple = (0.001, 0.025, 0.1, 0.15, 0.18, 0.2)  # must hold Table A.1's h_S and h_L
    sensitivity_radius: float = 0.05
    sensitivity_grid: int = 21

    def __post_init__(self):
        one_of("profile", self.profile, PROFILES)
        if len(self.initial_points) != 2 or any(len(p) != 2 for p in self.initial_points):
            raise ValueError(f"`initial_points` must be two (a_0, b_0) pairs, got {self.initial_points!r}.")
        if len(self.test_point) != 2:
            raise ValueError(f"`test_point` must be an (x, y) pair, got {self.test_point!r}.")
        positive_seq("t_end", self.t_end)
        positive_seq("distance_steps", self.distance_steps, integer=True)
        positive_seq("fig1b_hs", self.fig1b_hs)
        positive_seq("mus", self.mus, allow_zero=True)
        positive_seq("map_hs", self.map_hs)
        positive_seq("sensitivity_hs", self.sensitivity_hs)
        for name in ("fig1b_steps", "ricochet_steps", "map_grid", "sensitivity_grid"):
            positive(name, getattr(self, name), integer=True)
        for name in ("egr_t_end", "egr_h_euler", "map_lim", "map_t_end", "sensitivity_radius"):
            positive(name, getattr(self, name))
        lo, hi, k = self.scan_h_range
        if not (0 < lo < hi and int(k) == k and k >= 3):
            raise ValueError(
                f"`scan_h_range` must be [first h > 0, last h > first, count >= 3], got {self.scan_h_range!r}."
            )


class Results(NamedTuple):
    params: Params
    points: dict  # "I", "II" -> ToyPoint with this run's initial points
    paths: dict  # point -> {trajectory name: (n + 1, 2) array}  (Figure 1a)
    closeness: pd.DataFrame  # distances of GD at h_M to the two flows, per point
    euler_gap: dict  # point -> max distance between the paper's Euler and Dopri8 integrations
    sweep: pd.DataFrame  # Figure 1b
    scan: pd.DataFrame  # Figure A.1 scan
    ricochet: np.ndarray  # GD at h_L from point I
    edges: dict  # linear stability edges and measured onsets (Figure A.1)
    egr: pd.DataFrame  # Figure A.2: mu, t, E, test error, ||theta||
    egr_profile: pd.DataFrame  # per time: Spearman rho(mu, test error) and p
    norms: pd.DataFrame  # end points of Figure 1a's trajectories: norms
    dists: pd.DataFrame  # ... distances to the min-norm minimum
    cmap: pd.DataFrame  # convergence map
    map_summary: pd.DataFrame
    sensitivity: pd.DataFrame  # landing point's dependence on the initialization, per h (Section 5)
    igr_reach: pd.DataFrame  # GD at h = 2 mu from each point (Section 5: "not possible with IGR")
    remark: dict  # Remark A.12's vector form and slope formula against automatic differentiation


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


def run(p: Params) -> Results:
    require_x64()
    pts = {
        "I": _toy.TABLE_A1["I"]._replace(theta0=tuple(p.initial_points[0])),
        "II": _toy.TABLE_A1["II"]._replace(theta0=tuple(p.initial_points[1])),
    }
    names = ("I", "II")
    paths = {k: figure1a_paths(pts[k], t) for k, t in zip(names, p.t_end)}
    dist = {k: distance_to_flows(pts[k], n) for k, n in zip(names, p.distance_steps)}
    closeness = pd.DataFrame(
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
    euler_gap = {k: euler_vs_accurate(pts[k], t, _toy.igr_lambda(pts[k].h_M)) for k, t in zip(names, p.t_end)}
    P1 = pts["I"]
    sweep = lr_sweep(P1.theta0, P1.x, P1.y, p.fig1b_hs, p.fig1b_steps)
    lo, hi, k = p.scan_h_range
    scan = ricochet_scan(P1.theta0, P1.x, P1.y, np.linspace(lo, hi, int(k)), p.fig1b_steps, p.ricochet_steps)
    ricochet = np.asarray(_toy.gd_path(np.array(P1.theta0), P1.x, P1.y, P1.h_L, p.ricochet_steps))
    landing = _toy.flow_landing_point(P1.theta0, P1.x, P1.y)
    edges = {
        "edge at theta_0": _toy.stability_edge(P1.theta0, P1.x, P1.y),
        "edge at the flow's minimum": _toy.stability_edge(landing, P1.x, P1.y),
        "ricochet onset": onset(scan["h"], scan["valley crossings"] > 0),
        "divergence onset": onset(scan["h"], scan["diverged"]),
        "flow landing point": landing.tolist(),
    }
    egr = egr_sweep(P1.theta0, P1.x, P1.y, p.mus, p.egr_t_end, p.egr_h_euler, test_point=tuple(p.test_point))
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
        pd.DataFrame(prof),
        norms,
        dists,
        cmap,
        convergence_summary(cmap),
        sens,
        reach,
        remark,
    )


def mid_training_time(egr: pd.DataFrame) -> float:
    """The first evaluation time at which the mu = 0 run has lost half of its training loss:
    a point of training fixed by the loss curve, not by the test-error trend being judged."""
    base = egr[egr["mu"] == egr["mu"].min()].sort_values("t")
    e0, e_end = float(base["E"].iloc[0]), float(base["E"].iloc[-1])
    half = base[base["E"] <= e_end + 0.5 * (e0 - e_end)]
    return float(half["t"].iloc[0]) if len(half) else float(base["t"].iloc[-1])


def _a2_times(r: Results, min_range: float) -> pd.DataFrame:
    """The evaluation times of Figure A.2's runs at which the test errors differ across mu by at
    least ``min_range`` (in test-error units): the times at which the claim can be judged."""
    spread = r.egr.groupby("t")["test error"].agg(lambda v: float(np.ptp(v)))
    return spread[spread >= min_range].reset_index().rename(columns={"test error": "range"})


def claims(r: Results) -> list[Claim]:
    D = DECLARED
    P1 = r.points["I"]
    c = r.closeness
    ratios = [
        c.loc[f"{w} distance to modified flow", k] / c.loc[f"{w} distance to original flow", k]
        for k in ("I", "II")
        for w in ("max", "final")
    ]
    ok = r.sweep[~r.sweep["diverged"]]
    mn = float(np.linalg.norm(_toy.min_norm_minimum(P1.x, P1.y)))
    egr_key, gds_key = "EGR flow", "GD, h_S"
    final_t = r.egr["t"].max()

    d = D["04.gd-closer-to-modified-flow"]
    closer = d.row(
        verdicts.bound(
            ratios, d.test["upper"], what="distance ratio modified / original (max and final, points I and II)"
        ),
        "flows integrated with Dopri8, matched at t = n h",
    )

    d = D["04.larger-h-smaller-norm"]
    fig1b = d.row(
        verdicts.trend(
            ok["h"],
            ok["||theta||"],
            d.test.sign,
            x_name="h",
            y_name="||theta||",
            test=verdicts.RankTest(meaningful=d.test.smallest_effect),
        ),
        "one fact in this model, not two: R_IG/E = x^2 ||theta||^2, so both trends have the same ranks",
    )

    d = D["04.ricochet-at-hl"]
    crossings = _toy.residual_sign_changes(r.ricochet, P1.x, P1.y)
    end_loss = float(_toy.loss(np.asarray(r.ricochet[-1], np.float64), P1.x, P1.y))  # float64 whatever the jax config
    ricochet = d.row(
        verdicts.combine(
            [
                verdicts.sign(
                    [crossings - d.test["min_crossings"] + 0.5],
                    +1,
                    scale=1.0,
                    what=f"valley crossings - {d.test['min_crossings']} + 1/2",
                ),
                verdicts.bound([end_loss], d.test["converged_loss"], what="E at the last step"),
            ],
            ["ricochets", "converges"],
        ),
        f"{crossings} valley crossings in {r.params.ricochet_steps} steps from point I; E at the end {end_loss:.1e}",
    )

    d = D["04.ricochet-onset-edge"]
    onset_row = d.row(
        verdicts.agreement(
            r.edges["ricochet onset"],
            r.edges["edge at theta_0"],
            rel_tol=d.test["rel_tol"],
            what="first h that crosses the valley",
            n=len(r.scan),
            why_missing="no valley crossing (or one at every h) in the scan",
        ),
        f"scan of {len(r.scan)} h, first {r.params.ricochet_steps} steps",
    )

    d = D["04.divergence-edge-at-minimum"]
    divergence_row = d.row(
        verdicts.agreement(
            r.edges["divergence onset"],
            r.edges["edge at the flow's minimum"],
            rel_tol=d.test["rel_tol"],
            what="first diverging h",
            n=len(r.scan),
            why_missing="no divergence (or divergence at every h) in the scan",
        ),
    )

    d = D["04.egr-min-norm"]
    egr_row = d.row(
        verdicts.combine(
            [
                verdicts.toward(
                    r.norms.loc[egr_key, k],
                    r.norms.loc[gds_key, k],
                    mn,
                    rel_tol=d.test["rel_tol"],
                    what=f"||theta|| EGR ({k})",
                )
                for k in ("I", "II")
            ],
            ["point I", "point II"],
        ),
        "reference: GD at h_S; target: the min-norm minimum's norm",
    )

    # Figure A.2: every evaluation time at which the test errors differ by the declared smallest range
    d = D["04.egr-test-error"]
    times = _a2_times(r, d.test["min_test_error_range"])
    at_t = [
        verdicts.trend(
            g["mu"],
            g["test error"],
            d.test.sign,
            x_name="mu",
            y_name="test error",
            test=verdicts.RankTest(meaningful=d.test.smallest_effect),
        )
        for t, g in r.egr[r.egr["t"].isin(times["t"])].groupby("t")
    ]
    labels = [f"t={t:.2g}" for t in sorted(times["t"])]
    kept = verdicts.Outcome.REPRODUCED
    held = [t for t, v in zip(sorted(times["t"]), at_t) if v.outcome == kept]
    rev = [t for t, v in zip(sorted(times["t"]), at_t) if v.outcome == verdicts.Outcome.NOT_REPRODUCED]
    a2_note = (
        (f"rho(mu, test error) < 0 (reproduced) up to t = {max(held):.2g}" if held else "never reproduced")
        + (f"; the sign reverses (rho > 0, significant) from t = {min(rev):.2g} on" if rev else "; no reversal")
        + f"; {len(labels)} times with test errors differing by >= {d.test['min_test_error_range']:g}; at "
        f"convergence (t = {final_t:g}) every minimum predicts a b x_t = 0.3, so no dependence on mu remains"
    )
    a2 = d.row(
        verdicts.combine(at_t, labels)
        if at_t
        else verdicts.inconclusive(
            "combine", "no evaluation time at which the test errors differ by the declared range"
        ),
        a2_note,
    )

    d = D["04.landing-map"]
    map_parts = [
        verdicts.compare(
            g["err modified"],
            g["err original"],
            d.test.sign,
            paired=True,
            what="|log(a/b)| error, modified - E",
            meaningful=d.test.smallest_effect,
        )
        for _, g in per_start_errors(r.cmap).groupby("h")
    ]
    landing_map = d.row(verdicts.combine(map_parts, [f"h={h:g}" for h in r.map_summary.index]))

    return [
        closer,
        fig1b,
        ricochet,
        onset_row,
        divergence_row,
        egr_row,
        a2,
        landing_map,
        _sensitivity_row(r),
        _min_norm_row(r, mn),
        _remark_row(r),
    ]


def _sensitivity_row(r: Results) -> Claim:
    """Section 5: at excessively large h, where GD lands is sensitively dependent on initialization."""
    d = DECLARED["04.landing-sensitive-to-init"]
    P1 = r.points["I"]
    s = r.sensitivity.set_index("h")
    big, small = P1.h_L, P1.h_S
    if big not in s.index or small not in s.index:
        v = verdicts.inconclusive("at least", f"the patch was not run at h_L = {big:g} and h_S = {small:g}")
        return d.row(v)
    ratio = float(s.loc[big, "landing spread"] / s.loc[small, "landing spread"])
    v = verdicts.at_least(
        ratio,
        ratio,
        ratio,
        d.test.smallest_effect,
        what="landing spread at h_L / at h_S",
        n=int(s.loc[big, "starts"]),
    )
    share = float(s.loc[big, "diverged share"])
    if (
        0 < share < 1
    ):  # some starts of the patch diverge, their neighbours land: the outcome itself depends on the start
        v = v.replace(outcome=verdicts.Outcome.REPRODUCED, why=f"{share:.0%} of the starts diverge, the others land")
    others = ", ".join(
        f"h = {h:g}: {row['landing spread'] / s.loc[small, 'landing spread']:.2g}x"
        + (f" ({row['diverged share']:.0%} diverge)" if row["diverged share"] else "")
        for h, row in s.iterrows()
        if h != small
    )
    return d.row(
        v,
        f"{int(s.loc[big, 'starts'])} starts within ±{r.params.sensitivity_radius:g} of {P1.theta0}; spread of the "
        f"landing log|a/b| relative to h_S: {others}",
    )


def _min_norm_row(r: Results, min_norm: float) -> Claim:
    """Section 5: the small-norm minima EGR reaches are not possible with IGR (GD would diverge)."""
    d = DECLARED["04.min-norm-not-with-igr"]
    reach = r.igr_reach
    ok = r.scan[~r.scan["diverged"]]
    egr_norm = float(r.norms.loc["EGR flow", "I"])
    best = ok.loc[ok["||theta||"].idxmin()] if len(ok) else None
    gap = float(best["||theta||"] - egr_norm) if best is not None else float("nan")
    parts = [
        verdicts.sign(
            reach["diverged"].astype(float) - 0.5, +1, scale=1.0, what="GD at h = 2 mu diverged (1) or not (0) - 1/2"
        ),
        verdicts.sign([gap], d.test.sign, scale=egr_norm, what="smallest ||theta|| of a converged GD run - EGR's"),
    ]
    note = (
        "GD at h = 2 mu: "
        + ", ".join(
            f"point {row['point']} (h = {row['h = 2 mu']:g}) {'diverges' if row['diverged'] else 'converges'}"
            for _, row in reach.iterrows()
        )
        + (
            f"; over {len(r.scan)} h from point I, the smallest converged ||theta|| is {best['||theta||']:.4g} at h = "
            f"{best['h']:.3g} (EGR flow: {egr_norm:.3g}; min-norm minimum: {min_norm:.4g})"
            if best is not None
            else ""
        )
    )
    return d.row(verdicts.combine(parts, ["h = 2 mu diverges", "no converged GD run as small as EGR"]), note)


def _remark_row(r: Results) -> Claim:
    d = DECLARED["04.remark-a12"]
    e = r.remark
    return d.row(
        verdicts.identity([e["vector form"], e["slope formula"]], what="relative error against autodiff"),
        f"{e['points']} grid points off the hyperbola, lambda = h_M/2; vector form {e['vector form']:.1e}, "
        f"slope formula {e['slope formula']:.1e}",
    )


def facts(r: Results) -> dict:
    c = r.closeness
    prof = r.egr_profile[np.isfinite(r.egr_profile["rho"])]
    neg = prof[prof["rho"] < 0]
    pos = prof[prof["rho"] > 0]
    return {
        "ratio_I": float(c.loc["final distance to modified flow", "I"] / c.loc["final distance to original flow", "I"]),
        "ratio_II": float(
            c.loc["final distance to modified flow", "II"] / c.loc["final distance to original flow", "II"]
        ),
        "euler_gap": float(max(r.euler_gap.values())),
        "ricochet_onset": r.edges["ricochet onset"],
        "edge_theta0": r.edges["edge at theta_0"],
        "divergence_onset": r.edges["divergence onset"],
        "edge_landing": r.edges["edge at the flow's minimum"],
        "hl_norm": float(np.linalg.norm(r.ricochet[-1])),
        "egr_norm_I": float(r.norms.loc["EGR flow", "I"]),
        "egr_dist_I": float(r.dists.loc["EGR flow", "I"]),
        "egr_norm_II": float(r.norms.loc["EGR flow", "II"]),
        "egr_dist_II": float(r.dists.loc["EGR flow", "II"]),
        "min_norm": float(np.linalg.norm(_toy.min_norm_minimum(r.points["I"].x, r.points["I"].y))),
        "a2_min_rho": float(neg["rho"].min()) if len(neg) else float("nan"),
        "a2_last_negative_t": float(neg["t"].max()) if len(neg) else float("nan"),
        "a2_first_positive_t": float(pos["t"].min()) if len(pos) else float("nan"),
        "a2_final_spread": float(r.egr_profile["relative spread"].iloc[-1]),
        "a2_final_t": float(r.egr_profile["t"].iloc[-1]),
        "data_source": "the single training point (x, y) = (1, 0.6) and test point (0.5, 0.6) of Table A.1",
    }


__all__ = [
    "NOTEBOOK",
    "Params",
    "Results",
    "run",
    "claims",
    "facts",
    "figure1a_paths",
    "distance_to_flows",
    "euler_vs_accurate",
    "lr_sweep",
    "ricochet_scan",
    "egr_sweep",
    "convergence_map",
    "endpoints",
    "convergence_summary",
    "onset",
]
