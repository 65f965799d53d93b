"""Chapter 08's verdict rows and facts."""

from __future__ import annotations

import numpy as np
import pandas as pd

from igr_core._src import bea as _bea
from igr_core._src import verdicts
from igr_core._src.verdicts import Claim
from igr_core.experiments.estimation import figure_rows
from igr_core.experiments.estimation.params import (
    Results,
)
from igr_core.experiments.estimation.studies import (
    recovery_slopes,
)


def igr_order(igr: pd.DataFrame, n_fit: int) -> tuple[float, float, int]:
    """Fitted slope (and its standard error) of |alpha/(h/4) - 1| against h over the
    ``n_fit`` smallest step sizes: backward error analysis predicts 1."""
    ok = igr[np.isfinite(igr["|ratio - 1|"]) & (igr["|ratio - 1|"] > 0)].sort_values("h").head(n_fit)
    if len(ok) < 2:
        return np.nan, np.nan, len(ok)
    slope, se = _bea.fit_order_stats(ok["h"].to_numpy(), ok["|ratio - 1|"].to_numpy())
    return slope, se, len(ok)


def igr_breaks(igr: pd.DataFrame) -> float:
    """The smallest h / h_edge at which the estimate no longer agrees with h/4 (the
    agreement rule of :mod:`igr_core.verdicts`); NaN when it agrees everywhere."""
    bad = [
        f
        for f, r in zip(igr["h / h_edge"], igr["ratio alpha/(h/4)"])
        if verdicts.agreement(r, 1.0).outcome != verdicts.Outcome.REPRODUCED
    ]
    return float(min(bad)) if bad else float("nan")


def claims(r: Results) -> list[Claim]:
    p = r.params
    slopes = recovery_slopes(r.penalties)
    labels = [k if k == c else f"{k} ({c})" for k, c in zip(slopes["kind"], slopes["coefficient"])]
    recover = verdicts.combine(
        [
            verdicts.order(slopes["slope"], slopes["stderr"], 1.0, int(slopes["n strengths"].min()), labels=labels),
            *[
                verdicts.agreement(1 + e, 1.0, what=f"{lab} estimate / true (worst)")
                for lab, e in zip(labels, slopes["worst rel. error"])
            ],
        ],
        ["log-log slope", *labels],
    )
    l1s = r.penalties[r.penalties["kind"] != "ridge"]
    ident = verdicts.trend(
        l1s["strength"],
        l1s["share |theta| < smoothing"],
        +1,
        x_name="true strength",
        y_name="share of weights in the smoothing zone",
    )
    stack = r.ols_stack[r.ols_stack["status"] == "solved"]
    scal = r.ols_scalar
    scal_err = (scal["estimated ridge"] / scal["closed-form ridge"] - 1).abs() / scal["cancellation in grad L"]
    order_slope, order_se, n_fit = igr_order(r.igr, p.igr_fit_fractions)
    smallest = r.igr.sort_values("h").iloc[0]
    seeds = f"{len(p.penalty_seeds)} seeds x {len(p.penalty_strengths)} strengths"
    return [
        Claim(
            "Gradient matching recovers known explicit penalties (ridge, smoothed L1, both) from trained weights",
            "2025 paper, Figure 3",
            recover,
            f"ReLU net [{p.penalty_width}] on synthetic data, {seeds}; identified fits only",
            kind=verdicts.CITED,
        ),
        Claim(
            "Large L1/elastic-net penalties push weights into the smoothing zone, where ridge and L1 are "
            "indistinguishable",
            "2025 paper, Appendix H.2",
            ident,
            f"L1 and elastic net, {seeds}; {int((l1s['status'].str.startswith('refused')).sum())} fits refused "
            "as collinear",
            kind=verdicts.CITED,
        ),
        Claim(
            "Early stopping in least squares is the quadratic penalty Q_k: exact recovery from stacked endpoints",
            "2025 paper, Figure 4B; Ali et al. 2019",
            verdicts.identity(stack["relative error of Q"], what="relative error of Q"),
            f"d = {p.ols_d}, k = {p.ols_steps}; from {int(stack['endpoints'].min()) if len(stack) else '-'} "
            "endpoints on",
            kind=verdicts.CITED,
        ),
        Claim(
            "A diagonal penalty from one endpoint retrains (no early stopping) to the same weights",
            "2025 paper, Figure 4C",
            verdicts.identity([r.ols_diagonal["retrain distance"]], what="relative distance"),
            f"{r.ols_diagonal['retrain steps']} GD steps on L + R",
            kind=verdicts.CITED,
        ),
        Claim(
            "The scalar ridge coefficient of early stopping decays over training, as the closed form says",
            "2025 paper, Figure 4E",
            verdicts.combine(
                [
                    verdicts.trend(scal["step"], scal["estimated ridge"], -1, x_name="step", y_name="ridge"),
                    verdicts.identity(scal_err, what="rel. error / cancellation factor"),
                ],
                ["decay", "closed form"],
            ),
            f"{len(scal)} checkpoints; errors scaled by the cancellation in grad L near the OLS minimum",
            kind=verdicts.CITED,
        ),
        Claim(
            "The trajectory estimate of the IGR coefficient is h/4, with error O(h)",
            "2025 paper, Figure 6; Barrett & Dherin, Theorem 3.1",
            verdicts.combine(
                [
                    verdicts.order([order_slope], [order_se], 1.0, n_fit, labels=["|alpha/(h/4) - 1| vs h"]),
                    verdicts.agreement(
                        float(smallest["ratio alpha/(h/4)"]),
                        1.0,
                        what=f"alpha/(h/4) at h = {smallest['h / h_edge']:g} h_edge",
                    ),
                ],
                ["order", "smallest h"],
            ),
            f"tanh MLP {list(p.igr_hidden)} on {p.igr_n} digits, {p.igr_probes} probe steps per h",
            kind=verdicts.PAPER_CLAIM,
        ),
        Claim(
            "Dropout's implicit ridge penalty grows with the dropout rate",
            "2025 paper, Figure 5",
            _dropout_trend(r.dropout),
            f"ReLU MLP {list(p.dropout_hidden)} on {p.dropout_n} digits, {len(p.dropout_seeds)} seeds; only fits "
            f"whose relative residual is below {verdicts.EXPLAINED_RESIDUAL:g} count "
            "(as for every fit of this chapter)",
            kind=verdicts.CITED,
        ),
        *figure_rows.claims(r),
    ]


def _dropout_trend(dropout: pd.DataFrame) -> verdicts.Verdict:
    """The ridge-against-rate trend on the fits that explain the gradient (the chapter's residual gate)."""
    ok = dropout[[verdicts.explained(x) for x in dropout["relative residual"]]]
    if len(ok) < 3:
        res = dropout["relative residual"]
        return verdicts.inconclusive(
            "trend",
            f"{len(ok)} of {len(dropout)} ridge fits explain the gradient (relative residuals "
            f"{res.min():.3g}-{res.max():.3g}, the gate is {verdicts.EXPLAINED_RESIDUAL:g}): the weights are not "
            "stationary for any ridge penalty, so their coefficients say nothing about dropout",
            measured=f"{len(ok)} explained fits",
            expected="increasing (rho > 0)",
            n=len(ok),
        )
    return verdicts.trend(
        ok["dropout rate"], ok["estimated ridge"], +1, x_name="dropout rate", y_name="estimated ridge"
    )


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
