"""Chapter 08's verdict rows and facts: every row evaluates a test declared in
``igr_core/declarations/08_estimation.yml`` (its words, quote, kind and thresholds live there);
the rows of Figures 4D, 5, 6 and 7 are built in :mod:`.figure_rows`."""

from __future__ import annotations

import numpy as np
import pandas as pd

from igr_core._src import bea as _bea
from igr_core._src import columns as C
from igr_core._src import verdicts
from igr_core._src.verdicts import Claim
from igr_core._src.verdicts.declarations import Declaration
from igr_core.experiments.estimation import figure_rows
from igr_core.experiments.estimation.compute import (
    recovery_slopes,
)
from igr_core.experiments.estimation.params import (
    Results,
)

DECLARED = verdicts.declarations.chapter("08_estimation")


def _rank(d: Declaration) -> verdicts.RankTest:
    return verdicts.RankTest(alpha=d.test.alpha, meaningful=d.test.smallest_effect)


def _check_explained(d: Declaration) -> None:
    """The residual gate is :func:`verdicts.explained` (the rule); a declaration names the value
    it was declared with, and a rule that no longer uses it is an error, not a silent change."""
    if d.test["explained_residual"] != verdicts.EXPLAINED_RESIDUAL:
        raise ValueError(
            f"{d.id} declares explained_residual = {d.test['explained_residual']:g}, but verdicts.explained "
            f"gates at {verdicts.EXPLAINED_RESIDUAL:g}: revise the declaration (with a history entry) or the rule"
        )


def _too_few(rule: str, d: Declaration, n: int, what: str) -> verdicts.Verdict:
    return verdicts.inconclusive(rule, f"{n} {what} (the declared minimum is {d.test.min_n})", n=n)


def _trend(d: Declaration, x, y, x_name: str, y_name: str, what: str) -> verdicts.Verdict:
    """The declared trend (sign, smallest rho, level), inconclusive below the declared minimum n."""
    if len(x) < d.test.min_n:
        return _too_few("trend", d, len(x), what)
    return verdicts.trend(x, y, d.test.sign, x_name=x_name, y_name=y_name, test=_rank(d))


def _order(d: Declaration, slopes, stderrs, n: int, labels) -> verdicts.Verdict:
    """The declared order (expected order and its tolerance), inconclusive below the declared minimum n."""
    if n < d.test.min_n:
        return _too_few("order", d, n, "step sizes or strengths per fit")
    return verdicts.order(slopes, stderrs, d.test["order"], n, tol=d.test["tol"], labels=labels)


def _identity(d: Declaration, errors, what: str) -> verdicts.Verdict:
    return verdicts.identity(errors, dtype=d.test["dtype"], what=what, route=d.test["route"])


def igr_order(igr: pd.DataFrame, n_fit: int) -> tuple[float, float, int]:
    """Fitted slope (and its standard error) of |alpha/(h/4) - 1| against h over the
    ``n_fit`` smallest step sizes: backward error analysis predicts 1."""
    ok = igr[np.isfinite(igr["|ratio - 1|"]) & (igr["|ratio - 1|"] > 0)].sort_values("h").head(n_fit)
    if len(ok) < 2:
        return np.nan, np.nan, len(ok)
    slope, se = _bea.fit_order_stats(ok["h"].to_numpy(), ok["|ratio - 1|"].to_numpy())
    return slope, se, len(ok)


def igr_breaks(igr: pd.DataFrame) -> float:
    """The smallest h / h_edge at which the estimate no longer agrees with h/4 (the agreement
    rule at the tolerance declared for the row 08.igr-probe-h-over-4); NaN when it agrees everywhere."""
    tol = DECLARED["08.igr-probe-h-over-4"].test.smallest_effect
    bad = [
        f
        for f, r in zip(igr["h / h_edge"], igr["ratio alpha/(h/4)"])
        if verdicts.agreement(r, 1.0, rel_tol=tol).outcome != verdicts.Outcome.REPRODUCED
    ]
    return float(min(bad)) if bad else float("nan")


def _penalties_row(r: Results) -> Claim:
    p, d = r.params, DECLARED["08.penalties-recovered"]
    _check_explained(d)  # the fits' status "identified" was set by verdicts.explained when they were computed
    slopes = recovery_slopes(r.penalties)
    labels = [k if k == c else f"{k} ({c})" for k, c in zip(slopes["kind"], slopes["coefficient"])]
    recover = verdicts.combine(
        [
            _order(d, slopes[C.SLOPE], slopes["stderr"], int(slopes["n strengths"].min()), labels),
            *[
                verdicts.agreement(1 + e, 1.0, rel_tol=d.test.smallest_effect, what=f"{lab} estimate / true (worst)")
                for lab, e in zip(labels, slopes["worst rel. error"])
            ],
        ],
        ["log-log slope", *labels],
    )
    seeds = f"{len(p.penalty_seeds)} seeds x {len(p.penalty_strengths)} strengths"
    return d.row(recover, f"ReLU net [{p.penalty_width}] on synthetic data, {seeds}; identified fits only")


def _smoothing_row(r: Results) -> Claim:
    p, d = r.params, DECLARED["08.l1-smoothing-zone"]
    l1s = r.penalties[r.penalties["kind"] != "ridge"]
    v = _trend(
        d,
        l1s["strength"],
        l1s["share |theta| < smoothing"],
        "true strength",
        "share of weights in the smoothing zone",
        "L1 and elastic-net networks",
    )
    refused = int(l1s["status"].str.startswith("refused").sum())
    return d.row(
        v,
        f"L1 and elastic net, {len(p.penalty_seeds)} seeds x {len(p.penalty_strengths)} strengths; {refused} fits "
        "refused as collinear",
    )


def _ols_rows(r: Results) -> list[Claim]:
    p = r.params
    stack = r.ols_stack[r.ols_stack["status"] == "solved"]
    scal = r.ols_scalar
    scal_err = (scal["estimated ridge"] / scal["closed-form ridge"] - 1).abs() / scal["cancellation in grad L"]
    d_stack, d_diag, d_scal = (
        DECLARED["08.ols-stack-exact"],
        DECLARED["08.ols-diagonal-retrains"],
        DECLARED["08.ols-scalar-ridge-decays"],
    )
    scalar = verdicts.combine(
        [
            _trend(d_scal, scal["step"], scal["estimated ridge"], "step", "ridge", "checkpoints"),
            _identity(d_scal, scal_err, "rel. error / cancellation factor"),
        ],
        ["decay", "closed form"],
    )
    return [
        d_stack.row(
            _identity(d_stack, stack["relative error of Q"], "relative error of Q"),
            f"d = {p.ols_d}, k = {p.ols_steps}; from {int(stack['endpoints'].min()) if len(stack) else '-'} "
            "endpoints on",
        ),
        d_diag.row(
            _identity(d_diag, [r.ols_diagonal["retrain distance"]], "relative distance"),
            f"{r.ols_diagonal['retrain steps']} GD steps on L + R",
        ),
        d_scal.row(
            scalar, f"{len(scal)} checkpoints; errors scaled by the cancellation in grad L near the OLS minimum"
        ),
    ]


def _igr_row(r: Results) -> Claim:
    p, d = r.params, DECLARED["08.igr-probe-h-over-4"]
    order_slope, order_se, n_fit = igr_order(r.igr, p.igr_fit_fractions)
    smallest = r.igr.sort_values("h").iloc[0]
    v = verdicts.combine(
        [
            _order(d, [order_slope], [order_se], n_fit, ["|alpha/(h/4) - 1| vs h"]),
            verdicts.agreement(
                float(smallest["ratio alpha/(h/4)"]),
                1.0,
                rel_tol=d.test.smallest_effect,
                what=f"alpha/(h/4) at h = {smallest['h / h_edge']:g} h_edge",
            ),
        ],
        ["order", "smallest h"],
    )
    return d.row(v, f"tanh MLP {list(p.igr_hidden)} on {p.igr_n} digits, {p.igr_probes} probe steps per h")


def first_architecture(dropout: pd.DataFrame, hidden) -> pd.DataFrame:
    """The dropout fits of the chapter's first architecture (``dropout_hidden``)."""
    if "architecture" not in dropout:
        return dropout
    return dropout[dropout["architecture"] == "x".join(str(int(w)) for w in hidden)]


def _dropout_trend(dropout: pd.DataFrame, d: Declaration | None = None) -> verdicts.Verdict:
    """The ridge-against-rate trend on the fits that explain the gradient (the chapter's residual gate)."""
    d = d or DECLARED["08.dropout-rises-first-architecture"]
    _check_explained(d)
    ok = dropout[[verdicts.explained(x) for x in dropout["relative residual"]]]
    if len(ok) < d.test.min_n:
        res = dropout["relative residual"]
        return verdicts.inconclusive(
            "trend",
            f"{len(ok)} of {len(dropout)} ridge fits explain the gradient (relative residuals "
            f"{res.min():.3g}-{res.max():.3g}, the gate is {d.test['explained_residual']:g}; at least "
            f"{d.test.min_n} needed): the weights are not stationary for any ridge penalty, so their coefficients "
            "say nothing about dropout",
            measured=f"{len(ok)} explained fits",
            expected="increasing (rho > 0)" if d.test.sign > 0 else "decreasing (rho < 0)",
            n=len(ok),
        )
    return verdicts.trend(
        ok["dropout rate"],
        ok["estimated ridge"],
        d.test.sign,
        x_name="dropout rate",
        y_name="estimated ridge",
        test=_rank(d),
    )


def _dropout_row(r: Results) -> Claim:
    p, d = r.params, DECLARED["08.dropout-rises-first-architecture"]
    fits = first_architecture(r.dropout, p.dropout_hidden)
    return d.row(
        _dropout_trend(fits, d),
        f"ReLU MLP {list(p.dropout_hidden)} (the chapter's first architecture) on {p.dropout_n} digits, "
        f"{len(p.dropout_seeds)} seeds; only fits whose relative residual is below "
        f"{d.test['explained_residual']:g} count (as for every fit of this chapter)",
    )


def claims(r: Results) -> list[Claim]:
    return [
        _penalties_row(r),
        _smoothing_row(r),
        *_ols_rows(r),
        _igr_row(r),
        _dropout_row(r),
        *figure_rows.claims(r),
    ]


def facts(r: Results) -> dict:
    p = r.params
    slopes = recovery_slopes(r.penalties)
    order_slope, order_se, n_fit = igr_order(r.igr, p.igr_fit_fractions)
    stack = r.ols_stack[r.ols_stack["status"] == "solved"]
    en = r.penalties[r.penalties["kind"] == "elastic net"]
    worst = en.loc[en["condition"].astype(float).idxmax()]
    residual = r.dropout["relative residual"]
    return {
        "data_source": r.source,
        "dropout_median_residual": float(residual.median()),
        "dropout_best_explained": float(1 - residual.min()),  # the share of the gradient the best ridge fit explains
        "penalty_median_err": float(slopes["median rel. error"].median()),
        "penalty_worst_err": float(slopes["worst rel. error"].max()),
        "en_worst_condition": float(worst["condition"]),
        "en_worst_strength": float(worst["strength"]),
        "en_worst_zone": float(worst["share |theta| < smoothing"]),
        "ols_min_endpoints": int(stack["endpoints"].min()) if len(stack) else 0,
        "ols_max_err": float(stack["relative error of Q"].max()) if len(stack) else float("nan"),
        "ols_diag_vs_theory": r.ols_diagonal["diag vs theory"],
        "ols_retrain": r.ols_diagonal["retrain distance"],
        "igr_slope": order_slope,
        "igr_slope_se": order_se,
        "igr_smallest_ratio": float(r.igr.sort_values("h").iloc[0]["ratio alpha/(h/4)"]),
        "igr_breaks": igr_breaks(r.igr),
        **figure_rows.facts(r),
    }
