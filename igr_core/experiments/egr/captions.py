"""Chapter 07's captions and banner: the sentences under Figure 3c and the MLP figure.

Abstraction: :func:`captions` reads EGR's gain in maximum test accuracy over SGD with the
verdict row's interval (Figure 3c) and, on the MNIST MLP, R_IG and test accuracy against the
total regularization rate (Section 4's argument); :func:`banner` names the images and the MLP's
digits and, where Fashion-MNIST stood in for CIFAR-10, says so.

Both are the contract's hooks (:class:`igr_core._src.contract.Chapter`); the phrasing they
share is :mod:`igr_core.experiments._captions`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from igr_core._src import columns as C
from igr_core.experiments._captions import compare, num, span, trend
from igr_core.experiments._images import stand_in
from igr_core.experiments.egr.params import Results
from igr_core.experiments.egr.rows import claims, facts


def captions(r: Results) -> dict[str, str]:
    f = facts(r)
    out = {}
    if r.sweep is not None and len(r.gains):
        # the gain and interval of the verdict row (one interval for one difference on the page)
        row = next(c.verdict for c in claims(r) if c.id == "07.egr-raises-max-test-acc")
        lo, hi = row.interval if len(row.interval) == 2 else (float("nan"), float("nan"))
        g = r.gains[np.isclose(r.gains["mu"].astype(float), float(r.params.egr_mu))]
        g = g.iloc[0] if len(g) else r.gains.iloc[-1]
        judged = len(row.interval) == 2
        gain = (
            f"a gain of {num(row.value, 2)} [{num(lo, 2)}, {num(hi, 2)}] on {row.n} networks"
            if judged
            else "no gain judged (the gates leave too few networks)"
        )
        here = (
            f"the gain is {num(100 * row.value, 2)} points (95% interval {num(100 * lo, 2)} to {num(100 * hi, 2)})"
            if judged
            else "no gain is judged at this scale"
        )
        out["figure3c"] = (
            f"Maximum test accuracy {num(float(g['SGD max test acc']))} with SGD and "
            f"{num(float(g['EGR max test acc']))} with EGR ($\\mu$ = {num(float(r.params.egr_mu))}), {gain}; "
            f"{f['gates']}. "
            + compare(
                "the gap between the EGR and SGD curves of test accuracy",
                "The paper's Figure 3c shows EGR raising ResNet-18's test accuracy on CIFAR-10 by more than 12 points",
                here,
            )
        )
    ok = r.mlp[~r.mlp[C.DIVERGED]]
    out["mlp"] = (
        f"Over the converged MLP runs, $R_{{IG}}$ is {span(ok, C.LAMBDA_TOTAL, C.R_IG)} and test accuracy "
        f"{span(ok, C.LAMBDA_TOTAL, C.TEST_ACC)}; {f['n_gd_diverged']} GD run(s) diverged. "
        + compare(
            "EGR's points continuing GD's trend past the stability edge",
            "The paper has no figure for this (it is this companion's reading of Section 4 on an MLP)",
            trend(ok, C.LAMBDA_TOTAL, C.R_IG, -1, "$R_{IG}$", "the total rate", "runs"),
        )
    )
    return out


def banner(r: Results) -> dict[str, Any]:
    return {
        "data_source": f"{r.data_source}; {r.n_train} training and {r.n_test} test images; MLP part: {r.mlp_source}",
        "stand_in": stand_in(r),
    }


__all__ = ["captions", "banner"]
