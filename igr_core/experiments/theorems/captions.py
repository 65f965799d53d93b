"""Chapter 01's captions and banner: the sentences under the page's figures and its data sentence.

Abstraction: :func:`captions` reads the fitted local and global orders, where the modified flow
stops helping against the stability edge, Proposition A.9's largest norm ratio and the critical
points Proposition A.10 keeps or adds, one sentence per figure key; :func:`banner` names the
digits of the network and the two-parameter model's training point.

Both are the contract's hooks (:class:`igr_core._src.contract.Chapter`); the phrasing they
share is :mod:`igr_core.experiments._captions`.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from igr_core.experiments._captions import compare, num
from igr_core.experiments.theorems.params import Results
from igr_core.experiments.theorems.rows import facts


def _max_slope_gap(fits: pd.DataFrame) -> float:
    return float((fits["measured slope"] - fits["expected slope"]).abs().max()) if len(fits) else float("nan")


def _slopes(fits: pd.DataFrame, problem: str) -> str:
    s = fits[fits["problem"] == problem].sort_values("order")
    measured = ", ".join(f"{v:.2f}" for v in s["measured slope"])
    expected = ", ".join(f"{v:g}" for v in s["expected slope"])
    return f"{measured} (expected {expected})"


def captions(r: Results) -> dict[str, str]:
    f = facts(r)
    ratios = r.norm_ratios
    no_fig = "The paper has no figure for this"
    return {
        "local": (
            f"Fitted slopes of the one-step error against h for the flow of $E$, the modified flow and the "
            f"flow with $f_2$: {_slopes(r.local_fits, r.net.name)} on the network, "
            f"{_slopes(r.local_fits, r.toy.name)} on the two-parameter model. "
            + compare(
                "each flow's line one order steeper than the one before",
                f"{no_fig} (Theorem 3.1 states the orders in words)",
                f"the fitted slopes are within {num(_max_slope_gap(r.local_fits), 2)} of the orders it predicts",
            )
        ),
        "global": (
            f"Global error at fixed time, same three flows: slopes {_slopes(r.global_fits, r.net.name)} on the "
            f"network, {_slopes(r.global_fits, r.toy.name)} on the two-parameter model. "
            + compare(
                "the modified flow's line below the flow of $E$'s at small h",
                f"{no_fig} (the global order is a cited result)",
                f"the fitted slopes are within {num(_max_slope_gap(r.global_fits), 2)} of the expected orders",
            )
        ),
        "moderate": (
            f"The modified flow stops halving the error of the flow of $E$ at h = {num(f['h_cross'])}; the "
            f"dashed stability edge $2/\\lambda_{{\\max}}(\\theta_0)$ is at {num(f['h_edge'])}. "
            + compare(
                "where the two curves meet, against the dashed edge",
                f"{no_fig} (Remark 3.2 says the expansion holds for moderate h)",
                f"the modified flow stops helping at {num(f['h_cross'] / f['h_edge'], 2)} of the stability edge",
            )
        ),
        "norm_ratio": (
            f"The largest ratio over {len(ratios):,} steps at {ratios['h'].nunique()} step sizes is "
            f"{num(float(ratios['ratio'].max()))}; Proposition A.9 bounds it by 1. "
            + compare(
                "every point below the line at 1",
                f"{no_fig} (Proposition A.9 is a bound)",
                "the bound "
                + ("holds at every step" if float(ratios["ratio"].max()) <= 1 else "is exceeded at some steps"),
            )
        ),
        "critical": (
            f"Critical points of $E$ and $\\widetilde E$ on the double well: minima of $E$ lost: "
            f"{r.minima['minima_lost']}; further critical points of $\\widetilde E$ by step size: "
            f"{f['extra_critical_points']}. "
            + compare(
                "the minima of $E$ kept by $\\widetilde E$ and the new critical points it adds",
                f"{no_fig} (Proposition A.10 is proved, not plotted)",
                "no minimum of $E$ is lost" if not r.minima["minima_lost"] else "a minimum of $E$ is lost",
            )
        ),
    }


def banner(r: Results) -> dict[str, Any]:
    return {
        "data_source": f"{r.net.source} for the network (m = {r.net.m} parameters); "
        f"{r.toy.source} for the two-parameter model"
    }


__all__ = ["captions", "banner"]
