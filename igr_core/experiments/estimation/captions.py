"""Chapter 08's captions and banner: the sentences under the 2025 paper's Figures 3 to 7.

Abstraction: :func:`captions` reads, for each study, how well gradient matching recovers the
known answer (penalties, early stopping, per-endpoint stopping, the bootstrap, dropout's ridge
and the IGR coefficient on probe points and trained networks), against the 2025 paper's
figures; :func:`banner` names the synthetic designs and the digits.

Both are the contract's hooks (:class:`igr_core._src.contract.Chapter`); the phrasing they
share is :mod:`igr_core.experiments._captions`.
"""

from __future__ import annotations

from typing import Any

from igr_core.experiments._captions import compare, num, span
from igr_core.experiments.estimation.params import Results
from igr_core.experiments.estimation.rows import facts


def captions(r: Results) -> dict[str, str]:
    f = facts(r)
    igr = r.igr[r.igr["status"] == "estimated"]
    return {
        "penalties": (
            f"Known ridge and L1 penalties recovered from the trained weights: median relative error "
            f"{num(f['penalty_median_err'], 2)}, worst {num(f['penalty_worst_err'], 2)}. "
            + compare(
                "each estimate on the diagonal of the true strength",
                "The 2025 paper's Figure 3 shows known penalties recovered by gradient matching",
                f"the median relative error is {num(f['penalty_median_err'], 2)}",
            )
        ),
        "early_stopping": (
            f"Least squares stopped early: with {f['ols_min_endpoints']} or more endpoints the stacked estimate "
            f"recovers the penalty matrix to {num(f['ols_max_err'], 2)}. "
            + compare(
                "the error dropping to rounding once there are enough endpoints",
                "The 2025 paper's Figure 4 (B, C, E) shows early stopping recovered as a quadratic penalty",
                f"the largest error with enough endpoints is {num(f['ols_max_err'], 2)}",
            )
        ),
        "igr_coefficient": (
            f"The estimated coefficient over h/4 is {span(igr, 'h / h_edge', 'ratio alpha/(h/4)')}. "
            + compare(
                "the ratio staying near 1 for small h and leaving it as h grows",
                "The 2025 paper's Figure 6 compares the trajectory estimate with h/4",
                f"the ratio is {span(igr, 'h / h_edge', 'ratio alpha/(h/4)')}",
            )
        ),
        "dropout_facets": (
            f"Dropout's ridge coefficient by depth and width: {f['dropout_share']}; the known explicit ridge on "
            f"the same networks: {f['check_share']}. "
            + compare(
                "whether any panel's fits explain the gradient before reading its coefficients",
                "The 2025 paper's Figure 5 shows the dropout penalty rising with the rate in every architecture",
                f"{f['dropout_share']}, so the coefficients are not evidence either way",
            )
        ),
        "variable_stopping": (
            f"Per-endpoint early stopping: the median relative error of Q falls from {num(f['ols_var_first'], 2)} "
            f"with one endpoint to {num(f['ols_var_last'], 2)} with the most. "
            + compare(
                "how fast the error falls as endpoints are added",
                "The 2025 paper's Figure 4D shows the estimation error falling off steeply",
                f"it falls from {num(f['ols_var_first'], 2)} to {num(f['ols_var_last'], 2)}",
            )
        ),
        "bootstrap": (
            f"Bootstrap recovery of Q: median relative error {num(f['boot_floor'], 2)} at the most resamples, "
            "against rounding for independent datasets; right, the noise sweep against reporting zero. "
            + compare(
                "the bootstrap's error levelling off above the independent datasets' error",
                "The 2025 paper's Figure 7 shows bootstrap recovery qualitatively weaker, with a floor",
                f"the bootstrap levels off at {num(f['boot_floor'], 2)}",
            )
        ),
        "igr_networks": (
            f"Trained networks: the estimate's relative error to h/4 has median {num(f['net_median_err'], 2)} "
            f"(range {num(f['net_min_err'], 2)}-{num(f['net_max_err'], 2)}, n = {f['net_n']}); "
            f"{f['net_excluded']} of {f['net_total']} runs excluded for not fitting. "
            + compare(
                "the estimates following the h/4 line across the ladder of h",
                "The 2025 paper's Figure 6 shows the estimate against h m/4 on trained MNIST networks",
                f"the median relative error is {num(f['net_median_err'], 2)} over {f['net_n']} networks",
            )
        ),
    }


def banner(r: Results) -> dict[str, Any]:
    return {
        "data_source": "synthetic teacher data (penalties), synthetic Gaussian designs (least squares), "
        f"{r.source} (IGR coefficient, dropout)"
    }


__all__ = ["captions", "banner"]
