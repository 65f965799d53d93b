"""Chapter 02's captions and banner: the sentence under the surface figure and the data sentence.

Abstraction: :func:`captions` says how far Appendix A.2's identities hold, by finite-difference
normals and by the explicit determinant, under the figure of the two-parameter model's surface
and its normals; :func:`banner` names the network's digits, its size and the explicit metric.

Both are the contract's hooks (:class:`igr_core._src.contract.Chapter`); the phrasing they
share is :mod:`igr_core.experiments._captions`.
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
