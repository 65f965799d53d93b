"""Chapter 02's captions and banner: what each figure shows and what the page says about its data.

Abstraction: ``captions(results)`` is ``{figure key: sentence}``, the contract's hook
(:attr:`igr_core._src.contract.Chapter.captions`): what each figure of the page shows, with its
numbers read from the results, what to look for and how it compares with the paper's figure
(the shared phrasing is :mod:`igr_core.experiments._captions`). ``banner(results)`` is the data
sentence of the page's banner (:attr:`igr_core._src.contract.Chapter.banner`).
"""

from __future__ import annotations

from typing import Any

from igr_core.experiments._captions import compare, num
from igr_core.experiments.geometry.params import Results
from igr_core.experiments.geometry.rows import facts


def captions(r: Results) -> dict[str, str]:
    f = facts(r)
    return {
        "surface": (
            "Where the surface is steep (large slope, so large $R_{IG}$) its unit normal leans away from the "
            f"vertical; over {len(r.identities)} points the identities of Appendix A.2 hold to a relative error of "
            f"{num(f['max_err_fd'], 2)} (finite-difference normals) and {num(f['max_err_det'], 2)} (explicit "
            "determinant). "
            + compare(
                "the normals tilting where the contours crowd",
                "The paper has no figure for this (Appendix A.2 derives the identities)",
                f"they hold to {num(max(f['max_err_fd'], f['max_err_det']), 2)}",
            )
        ),
    }


def banner(r: Results) -> dict[str, Any]:
    return {
        "data_source": f"{r.net.source} for the network (m = {r.net.m} parameters, explicit "
        f"{r.net.m} x {r.net.m} metric); {r.toy.source} for the two-parameter model"
    }


__all__ = ["captions", "banner"]
