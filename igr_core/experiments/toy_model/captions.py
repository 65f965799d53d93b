"""Chapter 04's captions and banner: the sentences under Figures 1a, 1b, A.1, A.2 and the map.

Abstraction: :func:`captions` reads the distance ratios of Figure 1a's paths, the trend of
R_IG/E over h (Figure 1b), the onsets of ricochets and divergence (Figure A.1), the test error
against mu (Figure A.2) and how often the modified flow predicts GD's landing point (the
convergence map); :func:`banner` names Table A.1's training and test points.

Both are the contract's hooks (:class:`igr_core._src.contract.Chapter`); the phrasing they
share is :mod:`igr_core.experiments._captions`.
"""

from __future__ import annotations

from typing import Any

from igr_core._src import columns as C
from igr_core.experiments._captions import compare, num, span, trend
from igr_core.experiments.toy_model.params import Results
from igr_core.experiments.toy_model.rows import facts


def captions(r: Results) -> dict[str, str]:
    f = facts(r)
    ok = r.sweep[~r.sweep[C.DIVERGED]]
    summary = r.map_summary
    final = r.egr.sort_values("t").groupby("mu").last()
    return {
        "phase": (
            f"From initial point I, gradient descent ends at distance ratio {num(f['ratio_I'], 2)} (to the modified "
            f"flow over to the flow of $E$); from point II {num(f['ratio_II'], 2)}. EGR flow ends at "
            f"$\\|\\theta\\| =$ {num(f['egr_norm_I'])} (I), the minimum-norm solution has {num(f['min_norm'])}. "
            + compare(
                "the red GD path hugging the modified flow rather than the flow of $E$",
                "The paper's Figure 1a shows GD at a moderate rate following the modified flow more closely",
                (
                    "as in the paper, GD is closer to the modified flow from both points"
                    if max(f["ratio_I"], f["ratio_II"]) < 1
                    else "unlike the paper, GD is not closer to the modified flow from every point"
                ),
            )
        ),
        "lr_sweep": (
            f"After convergence, $R_{{IG}}/E$ is {span(ok, 'h', 'R_IG/E')} and $\\|\\theta\\|$ is "
            f"{span(ok, 'h', C.THETA_NORM)}. "
            + compare(
                "$R_{IG}/E$ falling as h grows",
                "The paper's Figure 1b shows $R_{IG}/E$ at the end of training smaller for larger h",
                trend(ok, "h", "R_IG/E", -1, "$R_{IG}/E$", "h", "step sizes"),
            )
        ),
        "ricochet": (
            f"Gradient descent starts to ricochet across the valley from h = {num(f['ricochet_onset'])} (stability "
            f"edge at $\\theta_0$: {num(f['edge_theta0'])}) and diverges from h = {num(f['divergence_onset'])}. "
            + compare(
                "the large-h path bouncing between the branches of minima before it settles",
                "The paper's Figure A.1 shows GD at h = 0.18 ricocheting across the surface until it lands",
                f"ricochets start at {num(f['ricochet_onset'] / f['edge_theta0'], 2)} times the stability edge",
            )
        ),
        "egr": (
            f"At t = {num(float(final['t'].max()))} the test error is {span(final.reset_index(), 'mu', 'test error')} "
            f"and $\\|\\theta\\|$ {span(final.reset_index(), 'mu', C.THETA_NORM)}. "
            + compare(
                "the curves for larger $\\mu$ ending lower",
                "The paper's Figure A.2 shows smaller test error with more EGR",
                trend(final.reset_index(), "mu", "test error", -1, "the final test error", "$\\mu$", "rates"),
            )
        ),
        "cmap": (
            f"Over {int(summary['starts'].max()):,} starts per step size, the modified flow predicts the end point "
            f"better than the flow of $E$ in {num(100 * float(summary['modified_closer'].min()), 3)}% to "
            f"{num(100 * float(summary['modified_closer'].max()), 3)}% of the converged runs. "
            + compare(
                "where the map turns from the modified flow's colour to the flow of $E$'s",
                "The paper has no figure for this (it is this companion's map of Figure 1's claim)",
                (
                    "the modified flow is the better prediction at every step size"
                    if float(summary["modified_closer"].min()) > 0.5
                    else "the modified flow is not the better prediction at every step size"
                ),
            )
        ),
    }


def banner(r: Results) -> dict[str, Any]:
    return {"data_source": "the single training point (x, y) = (1, 0.6) and test point (0.5, 0.6) of the paper"}


__all__ = ["captions", "banner"]
