"""Chapter 04's verdict rows: one small function per declared row, and the page's facts.

Abstraction: ``claims(results)`` returns one :class:`~igr_core.verdicts.Claim` per declaration
of ``igr_core/declarations/04_toy_model.yml`` (:data:`DECLARED`), in the file's order, each built
by its own row function from the stored :class:`~igr_core.experiments.toy_model.params.Results`
through :mod:`igr_core.verdicts`; every threshold comes from the declared test, looked up when
the row is built (a declaration changed in memory changes the verdict). ``facts(results)`` is
the numbers the page's prose quotes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from igr_core._src import columns as C
from igr_core._src import toy as _toy
from igr_core._src import verdicts
from igr_core._src.verdicts import Claim
from igr_core._src.verdicts import declarations as _declarations
from igr_core.experiments.toy_model.compute import per_start_errors
from igr_core.experiments.toy_model.params import NOTEBOOK, Results

DECLARED = _declarations.chapter(NOTEBOOK)  # every row's words, reference, kind and test (igr_core/declarations)
EGR_KEY, GD_S_KEY = "EGR flow", "GD, h_S"  # trajectory kinds of Figure 1a's endpoints (rows of Results.norms)


def _min_norm(r: Results) -> float:
    """The norm of the min-norm minimum of point I's training point."""
    P1 = r.points["I"]
    return float(np.linalg.norm(_toy.min_norm_minimum(P1.x, P1.y)))


def _closer_row(r: Results) -> Claim:
    """Figure 1a: GD stays closer to the modified flow than to the flow of E (max and final, both points)."""
    d = DECLARED["04.gd-closer-to-modified-flow"]
    c = r.closeness
    ratios = [
        c.loc[f"{w} distance to modified flow", k] / c.loc[f"{w} distance to original flow", k]
        for k in ("I", "II")
        for w in ("max", "final")
    ]
    return d.row(
        verdicts.bound(
            ratios, d.test["upper"], what="distance ratio modified / original (max and final, points I and II)"
        ),
        "flows integrated with Dopri8, matched at t = n h",
    )


def _norm_trend_row(r: Results) -> Claim:
    """Figure 1b: the larger h, the smaller ||theta|| after convergence (runs that did not diverge)."""
    d = DECLARED["04.larger-h-smaller-norm"]
    ok = r.sweep[~r.sweep[C.DIVERGED]]
    return d.row(
        verdicts.trend(
            ok["h"],
            ok[C.THETA_NORM],
            d.test.sign,
            x_name="h",
            y_name=C.THETA_NORM,
            test=verdicts.RankTest(meaningful=d.test.smallest_effect),
        ),
        "one fact in this model, not two: R_IG/E = x^2 ||theta||^2, so both trends have the same ranks",
    )


def _ricochet_row(r: Results) -> Claim:
    """Figure A.1: GD at h_L crosses the valley of minima and still converges."""
    d = DECLARED["04.ricochet-at-hl"]
    P1 = r.points["I"]
    crossings = _toy.residual_sign_changes(r.ricochet, P1.x, P1.y)
    end_loss = float(_toy.loss(np.asarray(r.ricochet[-1], np.float64), P1.x, P1.y))  # float64 whatever the jax config
    return d.row(
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


def _onset_row(r: Results) -> Claim:
    """Figure A.1: ricochets start at GD's linear stability edge at theta_0."""
    d = DECLARED["04.ricochet-onset-edge"]
    return d.row(
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


def _divergence_row(r: Results) -> Claim:
    """Figure A.1: divergence starts at the stability edge of the flow's minimum."""
    d = DECLARED["04.divergence-edge-at-minimum"]
    return d.row(
        verdicts.agreement(
            r.edges["divergence onset"],
            r.edges["edge at the flow's minimum"],
            rel_tol=d.test["rel_tol"],
            what="first diverging h",
            n=len(r.scan),
            why_missing="no divergence (or divergence at every h) in the scan",
        ),
    )


def _egr_norm_row(r: Results) -> Claim:
    """Figure 1a: the EGR flow ends nearer the min-norm minimum's norm than GD at h_S, from both points."""
    d = DECLARED["04.egr-min-norm"]
    mn = _min_norm(r)
    return d.row(
        verdicts.combine(
            [
                verdicts.toward(
                    r.norms.loc[EGR_KEY, k],
                    r.norms.loc[GD_S_KEY, k],
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


def _a2_times(r: Results, min_range: float) -> pd.DataFrame:
    """The evaluation times of Figure A.2's runs at which the test errors differ across mu by at
    least ``min_range`` (in test-error units): the times at which the claim can be judged."""
    spread = r.egr.groupby("t")["test error"].agg(lambda v: float(np.ptp(v)))
    return spread[spread >= min_range].reset_index().rename(columns={"test error": "range"})


def _a2_note(times: list, at_t: list, min_range: float, final_t: float) -> str:
    """Where Figure A.2's trend holds, where its sign reverses, and why nothing remains at convergence."""
    held = [t for t, v in zip(times, at_t) if v.outcome == verdicts.Outcome.REPRODUCED]
    rev = [t for t, v in zip(times, at_t) if v.outcome == verdicts.Outcome.NOT_REPRODUCED]
    return (
        (f"rho(mu, test error) < 0 (reproduced) up to t = {max(held):.2g}" if held else "never reproduced")
        + (f"; the sign reverses (rho > 0, significant) from t = {min(rev):.2g} on" if rev else "; no reversal")
        + f"; {len(times)} times with test errors differing by >= {min_range:g}; at "
        f"convergence (t = {final_t:g}) every minimum predicts a b x_t = 0.3, so no dependence on mu remains"
    )


def _a2_row(r: Results) -> Claim:
    """Figure A.2: every evaluation time at which the test errors differ by the declared smallest range."""
    d = DECLARED["04.egr-test-error"]
    min_range = d.test["min_test_error_range"]
    times = _a2_times(r, min_range)
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
    ts = sorted(times["t"])
    labels = [f"t={t:.2g}" for t in ts]
    return d.row(
        verdicts.combine(at_t, labels)
        if at_t
        else verdicts.inconclusive(
            "combine", "no evaluation time at which the test errors differ by the declared range"
        ),
        _a2_note(ts, at_t, min_range, r.egr["t"].max()),
    )


def _landing_map_row(r: Results) -> Claim:
    """The convergence map: per h, the modified flow predicts GD's landing point better than the flow of E."""
    d = DECLARED["04.landing-map"]
    parts = [
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
    return d.row(verdicts.combine(parts, [f"h={h:g}" for h in r.map_summary.index]))


def _sensitivity_note(r: Results, s: pd.DataFrame, small: float) -> str:
    """The patch of starts and the landing spread at every h relative to h_S."""
    P1 = r.points["I"]
    others = ", ".join(
        f"h = {h:g}: {row['landing spread'] / s.loc[small, 'landing spread']:.2g}x"
        + (f" ({row['diverged share']:.0%} diverge)" if row["diverged share"] else "")
        for h, row in s.iterrows()
        if h != small
    )
    big = P1.h_L
    return (
        f"{int(s.loc[big, 'starts'])} starts within ±{r.params.sensitivity_radius:g} of {P1.theta0}; spread of the "
        f"landing log|a/b| relative to h_S: {others}"
    )


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
    # some starts of the patch diverge, their neighbours land: the outcome itself depends on the start
    if 0 < share < 1:
        v = v.replace(outcome=verdicts.Outcome.REPRODUCED, why=f"{share:.0%} of the starts diverge, the others land")
    return d.row(v, _sensitivity_note(r, s, small))


def _min_norm_row(r: Results) -> Claim:
    """Section 5: the small-norm minima EGR reaches are not possible with IGR (GD would diverge)."""
    d = DECLARED["04.min-norm-not-with-igr"]
    min_norm = _min_norm(r)
    reach = r.igr_reach
    ok = r.scan[~r.scan[C.DIVERGED]]
    egr_norm = float(r.norms.loc[EGR_KEY, "I"])
    best = ok.loc[ok[C.THETA_NORM].idxmin()] if len(ok) else None
    gap = float(best[C.THETA_NORM] - egr_norm) if best is not None else float("nan")
    parts = [
        verdicts.sign(
            reach[C.DIVERGED].astype(float) - 0.5, +1, scale=1.0, what="GD at h = 2 mu diverged (1) or not (0) - 1/2"
        ),
        verdicts.sign([gap], d.test.sign, scale=egr_norm, what="smallest ||theta|| of a converged GD run - EGR's"),
    ]
    note = (
        "GD at h = 2 mu: "
        + ", ".join(
            f"point {row['point']} (h = {row['h = 2 mu']:g}) {'diverges' if row[C.DIVERGED] else 'converges'}"
            for _, row in reach.iterrows()
        )
        + (
            f"; over {len(r.scan)} h from point I, the smallest converged ||theta|| is {best[C.THETA_NORM]:.4g} at h = "
            f"{best['h']:.3g} (EGR flow: {egr_norm:.3g}; min-norm minimum: {min_norm:.4g})"
            if best is not None
            else ""
        )
    )
    return d.row(verdicts.combine(parts, ["h = 2 mu diverges", "no converged GD run as small as EGR"]), note)


def _remark_row(r: Results) -> Claim:
    """Remark A.12: the vector form of the modified flow and the slope formula against autodiff."""
    d = DECLARED["04.remark-a12"]
    e = r.remark
    return d.row(
        verdicts.identity([e["vector form"], e["slope formula"]], what="relative error against autodiff"),
        f"{e['points']} grid points off the hyperbola, lambda = h_M/2; vector form {e['vector form']:.1e}, "
        f"slope formula {e['slope formula']:.1e}",
    )


def claims(r: Results) -> list[Claim]:
    """The chapter's rows, in the declarations' order."""
    return [
        _closer_row(r),
        _norm_trend_row(r),
        _ricochet_row(r),
        _onset_row(r),
        _divergence_row(r),
        _egr_norm_row(r),
        _a2_row(r),
        _landing_map_row(r),
        _sensitivity_row(r),
        _min_norm_row(r),
        _remark_row(r),
    ]


def _final_ratio(r: Results, point: str) -> float:
    c = r.closeness
    return float(c.loc["final distance to modified flow", point] / c.loc["final distance to original flow", point])


def facts(r: Results) -> dict:
    prof = r.egr_profile[np.isfinite(r.egr_profile["rho"])]
    neg = prof[prof["rho"] < 0]
    pos = prof[prof["rho"] > 0]
    return {
        "ratio_I": _final_ratio(r, "I"),
        "ratio_II": _final_ratio(r, "II"),
        "euler_gap": float(max(r.euler_gap.values())),
        "ricochet_onset": r.edges["ricochet onset"],
        "edge_theta0": r.edges["edge at theta_0"],
        "divergence_onset": r.edges["divergence onset"],
        "edge_landing": r.edges["edge at the flow's minimum"],
        "hl_norm": float(np.linalg.norm(r.ricochet[-1])),
        "egr_norm_I": float(r.norms.loc[EGR_KEY, "I"]),
        "egr_dist_I": float(r.dists.loc[EGR_KEY, "I"]),
        "egr_norm_II": float(r.norms.loc[EGR_KEY, "II"]),
        "egr_dist_II": float(r.dists.loc[EGR_KEY, "II"]),
        "min_norm": _min_norm(r),
        "a2_min_rho": float(neg["rho"].min()) if len(neg) else float("nan"),
        "a2_last_negative_t": float(neg["t"].max()) if len(neg) else float("nan"),
        "a2_first_positive_t": float(pos["t"].min()) if len(pos) else float("nan"),
        "a2_final_spread": float(r.egr_profile["relative spread"].iloc[-1]),
        "a2_final_t": float(r.egr_profile["t"].iloc[-1]),
        "data_source": "the single training point (x, y) = (1, 0.6) and test point (0.5, 0.6) of Table A.1",
    }
