"""Chapter 06's captions and banner: the sentences under Figures A.7 and A.8 (ResNet-18).

Abstraction: :func:`captions` reads the first seed's curves at their last step (Figure A.7a-c
and d-f, with the gates' sentence) and each network at its best test accuracy (Figure A.8);
:func:`banner` names the images loaded and, where Fashion-MNIST stood in for CIFAR-10, says so.

Both are the contract's hooks (:class:`igr_core._src.contract.Chapter`); the phrasing they
share is :mod:`igr_core.experiments._captions`.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from igr_core._src import columns as C
from igr_core.experiments._captions import compare, last_ok, num, span, sweep_curves, trend
from igr_core.experiments._images import stand_in
from igr_core.experiments.resnet.params import Results
from igr_core.experiments.resnet.rows import facts


def _min(df: pd.DataFrame, column: str) -> float:
    return float(df[column].min()) if len(df) else float("nan")


def captions(r: Results) -> dict[str, str]:
    f = facts(r)
    sel = r.selected
    out = {}
    if r.sweep is not None:
        metrics = r.sweep.metrics[r.sweep.metrics["seed"] == r.params.seeds[0]]
        out["a7_abc"] = (
            f"First seed, {f['steps']:,} steps, {f['evaluations']} evaluations; at the last step test accuracy "
            f"is {sweep_curves(metrics, C.TEST_ACC)} and $R_{{IG}}$ {sweep_curves(metrics, C.R_IG)}."
        )
        out["a7_def"] = (
            f"At the last step the training accuracy is {sweep_curves(metrics, C.TRAIN_ACC)} and "
            f"$\\|\\theta\\|$ {sweep_curves(metrics, C.THETA_NORM)}; {f['gates']}."
        )
        last = last_ok(metrics)
        out["a7_abc"] += " " + compare(
            "the curves of larger h higher in test accuracy and lower in $R_{IG}$",
            "The paper's Figure A.7a-c shows test accuracy rising and $R_{IG}$ and the slope falling with h",
            trend(last, "h", C.TEST_ACC, 1, "test accuracy at the last step", "h", "curves"),
        )
        out["a7_def"] += " " + compare(
            "training accuracy reaching 1 (interpolation)",
            "The paper's Figure A.7e, f shows interpolation after a few thousand iterations",
            f"training accuracy at the last step is at least {num(_min(last, C.TRAIN_ACC))}",
        )
    if len(sel):
        out["a8"] = (
            f"At each network's best test accuracy: $R_{{IG}}$ {span(sel, 'h', C.R_IG)}; test accuracy "
            f"{span(sel, 'h', C.TEST_ACC)}. "
            + compare(
                "$R_{IG}$ falling and test accuracy rising to the right",
                "The paper's Figure A.8 shows $R_{IG}$ falling, test accuracy rising with h, and the two correlated",
                trend(sel, "h", C.R_IG, -1, "$R_{IG}$", "h")
                + "; "
                + trend(sel, C.R_IG, C.TEST_ACC, -1, "test accuracy", "$R_{IG}$"),
            )
        )
    return out


def banner(r: Results) -> dict[str, Any]:
    return {
        "data_source": f"{r.data_source}; {r.n_train} training and {r.n_test} test images",
        "stand_in": stand_in(r),
    }


__all__ = ["captions", "banner"]
