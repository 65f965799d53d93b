"""Chapter 09's captions and banner: the sentences under the orders, local, Adam and rate-map figures.

Abstraction: :func:`captions` reads each optimizer's fitted global and local slopes per
description, Adam's anti-penalty coefficient with rho > beta and where each first-order
description stops helping; :func:`banner` names the two-parameter model's point and the digits.

Both are the contract's hooks (:class:`igr_core._src.contract.Chapter`); the phrasing they
share is :mod:`igr_core.experiments._captions`.
"""

from __future__ import annotations

from typing import Any

from igr_core._src import columns as C
from igr_core.experiments._captions import compare, num
from igr_core.experiments.optimizers.params import Results
from igr_core.experiments.optimizers.rows import facts, local_slopes


def captions(r: Results) -> dict[str, str]:
    f = facts(r)
    edges = r.edges.set_index("optimizer")["h_map (ratio reaches 1)"]
    mapped = "; ".join(f"{k}: {num(v)}" for k, v in edges.items())
    local = local_slopes(r.local)
    return {
        "orders": (
            f"Each optimizer's global error against h for each description. One epoch of SGD over all orders "
            f"against GD's modified loss has slope {num(f['sgd_gd_slope'], 3)} and against SGD's "
            f"{num(f['sgd_sgd_slope'], 3)}; heavy ball against its amplified modified loss without the shift "
            f"{num(f['mom_noshift_slope'], 3)}. "
            + compare(
                "which description's line is steepest for each optimizer",
                "The paper has no figure for this (the descriptions are the cited works')",
                f"SGD's own modified loss gives slope {num(f['sgd_sgd_slope'], 3)}, GD's {num(f['sgd_gd_slope'], 3)}",
            )
        ),
        "local": (
            "One-step error of gradient descent against each description: slopes "
            + "; ".join(f"{d}: {num(float(s), 3)}" for d, s in zip(local["description"], local[C.SLOPE]))
            + ". "
            + compare(
                "each description one order steeper than the one before",
                "The paper has no figure for this (Theorem 3.1's local orders)",
                "the slopes are listed above, one per description",
            )
        ),
        "adam": (
            f"With $\\rho > \\beta$ the coefficient of the large-gradient term is {num(f['adam_anti'], 3)} (an "
            f"anti-penalty); sharpness difference from the flow of $-g/s$ at the largest h: "
            f"{num(f['toy_dsharp_rho > beta'], 2)} ($\\rho > \\beta$) and {num(f['toy_dsharp_rho < beta'], 2)} "
            "($\\rho < \\beta$). "
            + compare(
                "the $\\rho > \\beta$ path drifting toward sharper regions",
                "The paper has no figure for this (the Adam correction is a cited work's)",
                "the coefficient is " + ("negative, an anti-penalty" if f["adam_anti"] < 0 else "not negative"),
            )
        ),
        "rate_map": (
            f"Step size where the first-order flow stops helping (ratio reaches 1): {mapped}. "
            + compare(
                "where each optimizer's curve crosses 1",
                "The paper has no figure for this (Remark 3.2's moderate h, per optimizer)",
                f"the crossings span {num(float(edges.min()))} to {num(float(edges.max()))}",
            )
        ),
    }


def banner(r: Results) -> dict[str, Any]:
    return {"data_source": f"the two-parameter model's training point; {r.source}"}


__all__ = ["captions", "banner"]
