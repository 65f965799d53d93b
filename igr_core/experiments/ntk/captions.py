"""Chapter 03's captions and banner: the sentence under the cross-term figure and the data sentence.

Abstraction: :func:`captions` reads the mean |cosine| between per-example gradients at the start
and at the end of training, per step size, against Appendix A.3's argument that IGR pushes the
cross terms to zero; :func:`banner` names the digits and their targets.

Both are the contract's hooks (:class:`igr_core._src.contract.Chapter`); the phrasing they
share is :mod:`igr_core.experiments._captions`.
"""

from __future__ import annotations

from typing import Any

from igr_core.experiments._captions import compare, num, span, trend
from igr_core.experiments.ntk.params import Results


def captions(r: Results) -> dict[str, str]:
    s = r.summary.groupby("h / h_edge")[["cos start", "cos end"]].mean()
    return {
        "cross": (
            f"The mean |cosine| between the per-example gradients starts at {num(float(s['cos start'].mean()))} and "
            f"at the end is {span(r.summary, 'h / h_edge', 'cos end')}. "
            + compare(
                "the curves for larger h ending lower",
                "The paper has no figure for this (Appendix A.3 argues that IGR pushes the cross terms to zero)",
                trend(r.summary, "h / h_edge", "cos end", -1, "the end cosine", "h", "runs"),
            )
        ),
    }


def banner(r: Results) -> dict[str, Any]:
    return {"data_source": f"{r.source}; targets +1 (even digit) / -1 (odd digit), or one-hot rows"}


__all__ = ["captions", "banner"]
