"""Chapter 05's captions and banner: the sentences under Figures 2, 3 and A.3 to A.6.

Abstraction: :func:`captions` reads, over the networks that fit the training set, R_IG and test
accuracy against lambda (Figure 2), the training curves of the first seed at their last step
(Figures A.3 to A.5), the selected networks (Figure A.6) and, where the noise study ran, the
perturbed networks' slopes and accuracies (Figure 3); :func:`banner` names the digits loaded.

Both are the contract's hooks (:class:`igr_core._src.contract.Chapter`); the phrasing they
share is :mod:`igr_core.experiments._captions`.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from igr_core._src import columns as C
from igr_core.experiments._captions import compare, last_ok, num, span, sweep_curves, trend
from igr_core.experiments.mnist import compute
from igr_core.experiments.mnist.params import Results


def _peak_drop(curves: pd.DataFrame) -> float:
    """The largest fall of test accuracy from its maximum to the last evaluation, in points, over
    the curves that did not diverge."""
    ok = curves[~curves.groupby("h")[C.DIVERGED].transform("any").astype(bool)]
    if not len(ok):
        return float("nan")
    g = ok.sort_values("step").groupby("h")[C.TEST_ACC]
    return float(100 * (g.max() - g.last()).max())


def captions(r: Results) -> dict[str, str]:
    sel = r.selected
    curves = compute.curves(r)
    noise = r.noise
    last = last_ok(curves)
    at_t = r.at_time
    out = {
        "figure2": (
            f"Over the {len(sel)} networks that fit the training set, $R_{{IG}}$ at the selected step is "
            f"{span(sel, 'lambda', C.R_IG)} and the maximum test accuracy {span(sel, 'lambda', C.TEST_ACC)}. "
            + compare(
                "the dots of (a) falling and those of (b) rising to the right",
                "The paper's Figure 2 shows $R_{IG}$ smaller and test accuracy higher for larger $\\lambda$",
                trend(sel, "lambda", C.R_IG, -1, "$R_{IG}$", "$\\lambda$")
                + "; "
                + trend(sel, "lambda", C.TEST_ACC, 1, "test accuracy", "$\\lambda$"),
            )
        ),
        "a3": (
            f"At the last step (first seed, $n_l$ = {curves['width'].iloc[0]}) $R_{{IG}}$ is "
            f"{sweep_curves(curves, C.R_IG)} and the training loss {sweep_curves(curves, C.TRAIN_E)}. "
            + compare(
                "the $\\lambda R_{IG}/E$ panel: larger h lower",
                "The paper's Figure A.3 shows E and $R_{IG}$ falling, $\\lambda R_{IG}/E$ smaller for larger h "
                "and the norm settling",
                trend(last, "h", "lambda R_IG / E", -1, "$\\lambda R_{IG}/E$ at the last step", "h", "curves"),
            )
        ),
        "a4": (
            f"At the last step the test accuracy is {sweep_curves(curves, C.TEST_ACC)} and the test "
            f"$R_{{IG}}$ {sweep_curves(curves, C.TEST_R_IG)}. "
            + compare(
                "the test loss and test $R_{IG}$ dipping then rising, and the test accuracy peaking",
                "The paper's Figure A.4 shows that dip and a slight fall of test accuracy after its maximum",
                f"test accuracy ends at most {num(_peak_drop(curves), 2)} points below its maximum",
            )
        ),
        "a5": (
            f"The same curves against physical time $t = nh$: at the last step $t$ is {sweep_curves(curves, 't')}. "
            + compare(
                "the $\\lambda R_{IG}/E$ curves for larger h lower at the same t",
                "The paper's Figure A.5 shows $R_{IG}/E$ smaller for larger h at equal physical time",
                trend(at_t, "h", "R_IG / E", -1, "$R_{IG}/E$ at the fixed time", "h"),
            )
        ),
        "a6": (
            f"Maximum test accuracy of the selected networks {span(sel, 'h', C.TEST_ACC)}; "
            f"$R_{{IG}}$ {span(sel, 'h', C.R_IG)}. "
            + compare(
                "test error rising with $R_{IG}$ in the last panel",
                "The paper's Figure A.6 shows $R_{IG}$ falling and test accuracy rising with h and width, and test "
                "error tracking $R_{IG}$",
                trend(sel, C.R_IG, "test error", 1, "test error", "$R_{IG}$"),
            )
        ),
    }
    if noise is not None and len(noise):
        mid = noise[noise["sigma"] == noise["sigma"].max()]
        out["figure3"] = (
            f"Mean slope of the perturbed networks {span(noise, 'sigma', 'slope_mean')} and mean test accuracy "
            f"{span(noise, 'sigma', 'acc_mean')} (mean over the step sizes). "
            + compare(
                "the curves of larger h staying lower in (a) and higher in (b) as the noise grows",
                "The paper's Figure 3a, b shows flatter slopes and more robust accuracy for larger learning rates",
                f"at the largest noise (sigma = {num(float(noise['sigma'].max()))}): "
                + trend(mid, "h", "acc_mean", 1, "mean test accuracy", "h", "step sizes"),
            )
        )
    return out


def banner(r: Results) -> dict[str, Any]:
    return {"data_source": f"{r.data_source}; {r.n_train} training and {r.n_test} test digits"}


__all__ = ["captions", "banner"]
