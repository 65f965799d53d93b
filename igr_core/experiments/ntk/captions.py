"""Chapter 03's captions and banner: what each figure shows and what the page says about its data.

Abstraction: ``captions(results)`` is ``{figure key: sentence}``, the contract's hook
(:attr:`igr_core._src.contract.Chapter.captions`): what each figure of the page shows, with its
numbers read from the results, what to look for and how it compares with the paper's figure
(the shared phrasing is :mod:`igr_core.experiments._captions`). ``banner(results)`` is the data
sentence of the page's banner (:attr:`igr_core._src.contract.Chapter.banner`).
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
