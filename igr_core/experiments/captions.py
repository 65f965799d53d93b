"""What each figure of the book shows, in one sentence with its numbers, computed from the results.

Abstraction: one function per chapter, ``Results -> {figure key: caption}``; each chapter
re-exports its function as ``captions``, the contract's hook
(:attr:`igr_core._src.contract.Chapter.captions`, default: no captions), and the page's
``page.figure(draw, ..., caption=key)`` shows the sentence under the figure, above the provenance
line. A caption states what the figure shows and the paper's expectation where it has one; the
verdict itself stays with the chapter's rules. Every number is read from the stored results of
the page's own profile, never typed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from igr_core._src import columns as C
from igr_core._src.verdicts import number_or

if TYPE_CHECKING:  # the chapters import this module for their hook: theirs are imported where a caption is built
    from igr_core.experiments import egr, estimation, geometry, mnist, ntk, optimizers, resnet, theorems, toy_model


def _g(x: float, digits: int = 3) -> str:
    """A number as the page prints it ('n/a' for NaN or None)."""
    return number_or(x, "n/a", digits)


def span(df: pd.DataFrame, x: str, y: str) -> str:
    """``y`` (mean over the rest) at the smallest and at the largest ``x``: 'A at x = a and B at
    x = b'."""
    if not len(df):
        return "not measured (no rows)"
    m = df.groupby(x)[y].mean()
    return f"{_g(m.iloc[0])} at {x} = {_g(m.index[0])} and {_g(m.iloc[-1])} at {x} = {_g(m.index[-1])}"


def rho(df: pd.DataFrame, x: str, y: str) -> float:
    """Spearman's rank correlation of ``y`` with ``x`` over the rows with both finite (nan with
    fewer than three rows or a constant column)."""
    d = df[[x, y]].apply(pd.to_numeric, errors="coerce").dropna() if len(df) else df
    if len(d) < 3 or d[x].nunique() < 2 or d[y].nunique() < 2:
        return float("nan")
    return float(d[x].rank().corr(d[y].rank()))


def trend(df: pd.DataFrame, x: str, y: str, sign: int, y_words: str, x_words: str, unit: str = "networks") -> str:
    """How the data compare with a trend the paper shows (``sign``: +1 rises, -1 falls): 'as in the
    paper, <y_words> falls as <x_words> grows (Spearman's rho = -0.78 over 30 networks)', 'unlike
    the paper, ... rises ...', values equal to rounding, or too few points to compare."""
    n = int(df[[x, y]].dropna().shape[0]) if len(df) else 0
    v = pd.to_numeric(df[y], errors="coerce").dropna() if len(df) else pd.Series(dtype=float)
    if len(v) and float(v.max() - v.min()) <= 1e-9 * max(float(v.abs().max()), 1e-300):
        return f"{y_words} is the same for every {x_words} to rounding (spread {_g(float(v.max() - v.min()), 2)})"
    r = rho(df, x, y)
    if r != r:
        return f"too few {unit} to compare ({n})"
    agree = "as in the paper" if r * sign > 0 else "unlike the paper"
    moves = "rises" if r > 0 else "falls"
    return f"{agree}, {y_words} {moves} as {x_words} grows (Spearman's $\\rho$ = {r:+.2f} over {n} {unit})"


def compare(look: str, paper: str, here: str) -> str:
    """The caption's reading sentence: what to look for, what the paper's figure shows and how
    these data compare (``paper`` names the figure; 'no figure' sentences say so)."""
    return f"**Look for** {look}. {paper}; here {here}."


def _min(df: pd.DataFrame, column: str) -> float:
    return float(df[column].min()) if len(df) else float("nan")


def _max_slope_gap(fits: pd.DataFrame) -> float:
    return float((fits["measured slope"] - fits["expected slope"]).abs().max()) if len(fits) else float("nan")


def _slopes(fits: pd.DataFrame, problem: str) -> str:
    s = fits[fits["problem"] == problem].sort_values("order")
    measured = ", ".join(f"{v:.2f}" for v in s["measured slope"])
    expected = ", ".join(f"{v:g}" for v in s["expected slope"])
    return f"{measured} (expected {expected})"


def theorems_captions(r: theorems.Results) -> dict[str, str]:
    from igr_core.experiments import theorems

    f = theorems.facts(r)
    ratios = r.norm_ratios
    no_fig = "The paper has no figure for this"
    return {
        "local": (
            f"Fitted slopes of the one-step error against h for the flow of $E$, the modified flow and the "
            f"flow with $f_2$: {_slopes(r.local_fits, r.net.name)} on the network, "
            f"{_slopes(r.local_fits, r.toy.name)} on the two-parameter model. "
            + compare(
                "each flow's line one order steeper than the one before",
                f"{no_fig} (Theorem 3.1 states the orders in words)",
                f"the fitted slopes are within {_g(_max_slope_gap(r.local_fits), 2)} of the orders it predicts",
            )
        ),
        "global": (
            f"Global error at fixed time, same three flows: slopes {_slopes(r.global_fits, r.net.name)} on the "
            f"network, {_slopes(r.global_fits, r.toy.name)} on the two-parameter model. "
            + compare(
                "the modified flow's line below the flow of $E$'s at small h",
                f"{no_fig} (the global order is a cited result)",
                f"the fitted slopes are within {_g(_max_slope_gap(r.global_fits), 2)} of the expected orders",
            )
        ),
        "moderate": (
            f"The modified flow stops halving the error of the flow of $E$ at h = {_g(f['h_cross'])}; the "
            f"dashed stability edge $2/\\lambda_{{\\max}}(\\theta_0)$ is at {_g(f['h_edge'])}. "
            + compare(
                "where the two curves meet, against the dashed edge",
                f"{no_fig} (Remark 3.2 says the expansion holds for moderate h)",
                f"the modified flow stops helping at {_g(f['h_cross'] / f['h_edge'], 2)} of the stability edge",
            )
        ),
        "norm_ratio": (
            f"The largest ratio over {len(ratios):,} steps at {ratios['h'].nunique()} step sizes is "
            f"{_g(float(ratios['ratio'].max()))}; Proposition A.9 bounds it by 1. "
            + compare(
                "every point below the line at 1",
                f"{no_fig} (Proposition A.9 is a bound)",
                "the bound "
                + ("holds at every step" if float(ratios["ratio"].max()) <= 1 else "is exceeded at some steps"),
            )
        ),
        "critical": (
            f"Critical points of $E$ and $\\widetilde E$ on the double well: minima of $E$ lost: "
            f"{r.minima['minima_lost']}; further critical points of $\\widetilde E$ by step size: "
            f"{f['extra_critical_points']}. "
            + compare(
                "the minima of $E$ kept by $\\widetilde E$ and the new critical points it adds",
                f"{no_fig} (Proposition A.10 is proved, not plotted)",
                "no minimum of $E$ is lost" if not r.minima["minima_lost"] else "a minimum of $E$ is lost",
            )
        ),
    }


def geometry_captions(r: geometry.Results) -> dict[str, str]:
    from igr_core.experiments import geometry

    f = geometry.facts(r)
    return {
        "surface": (
            "Where the surface is steep (large slope, so large $R_{IG}$) its unit normal leans away from the "
            f"vertical; over {len(r.identities)} points the identities of Appendix A.2 hold to a relative error of "
            f"{_g(f['max_err_fd'], 2)} (finite-difference normals) and {_g(f['max_err_det'], 2)} (explicit "
            "determinant). "
            + compare(
                "the normals tilting where the contours crowd",
                "The paper has no figure for this (Appendix A.2 derives the identities)",
                f"they hold to {_g(max(f['max_err_fd'], f['max_err_det']), 2)}",
            )
        ),
    }


def ntk_captions(r: ntk.Results) -> dict[str, str]:
    s = r.summary.groupby("h / h_edge")[["cos start", "cos end"]].mean()
    return {
        "cross": (
            f"The mean |cosine| between the per-example gradients starts at {_g(float(s['cos start'].mean()))} and "
            f"at the end is {span(r.summary, 'h / h_edge', 'cos end')}. "
            + compare(
                "the curves for larger h ending lower",
                "The paper has no figure for this (Appendix A.3 argues that IGR pushes the cross terms to zero)",
                trend(r.summary, "h / h_edge", "cos end", -1, "the end cosine", "h", "runs"),
            )
        ),
    }


def toy_model_captions(r: toy_model.Results) -> dict[str, str]:
    from igr_core.experiments import toy_model

    f = toy_model.facts(r)
    ok = r.sweep[~r.sweep[C.DIVERGED]]
    summary = r.map_summary
    final = r.egr.sort_values("t").groupby("mu").last()
    return {
        "phase": (
            f"From initial point I, gradient descent ends at distance ratio {_g(f['ratio_I'], 2)} (to the modified "
            f"flow over to the flow of $E$); from point II {_g(f['ratio_II'], 2)}. EGR flow ends at "
            f"$\\|\\theta\\| =$ {_g(f['egr_norm_I'])} (I), the minimum-norm solution has {_g(f['min_norm'])}. "
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
            f"Gradient descent starts to ricochet across the valley from h = {_g(f['ricochet_onset'])} (stability "
            f"edge at $\\theta_0$: {_g(f['edge_theta0'])}) and diverges from h = {_g(f['divergence_onset'])}. "
            + compare(
                "the large-h path bouncing between the branches of minima before it settles",
                "The paper's Figure A.1 shows GD at h = 0.18 ricocheting across the surface until it lands",
                f"ricochets start at {_g(f['ricochet_onset'] / f['edge_theta0'], 2)} times the stability edge",
            )
        ),
        "egr": (
            f"At t = {_g(float(final['t'].max()))} the test error is {span(final.reset_index(), 'mu', 'test error')} "
            f"and $\\|\\theta\\|$ {span(final.reset_index(), 'mu', C.THETA_NORM)}. "
            + compare(
                "the curves for larger $\\mu$ ending lower",
                "The paper's Figure A.2 shows smaller test error with more EGR",
                trend(final.reset_index(), "mu", "test error", -1, "the final test error", "$\\mu$", "rates"),
            )
        ),
        "cmap": (
            f"Over {int(summary['starts'].max()):,} starts per step size, the modified flow predicts the end point "
            f"better than the flow of $E$ in {_g(100 * float(summary['modified_closer'].min()), 3)}% to "
            f"{_g(100 * float(summary['modified_closer'].max()), 3)}% of the converged runs. "
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


def _sweep_curves(metrics: pd.DataFrame, column: str) -> str:
    """``column`` at the last evaluation of the smallest and the largest h whose run did not
    diverge (diverged runs are named apart)."""
    last = metrics.sort_values("step").groupby("h").last().reset_index()
    diverged = last[last[C.DIVERGED].astype(bool)]["h"]
    out = span(last[~last[C.DIVERGED].astype(bool)], "h", column)
    return out + (f" (diverged at h = {', '.join(_g(h) for h in diverged)})" if len(diverged) else "")


def _last_ok(curves: pd.DataFrame) -> pd.DataFrame:
    """Each curve's last evaluation, diverged runs left out."""
    last = curves.sort_values("step").groupby("h").last().reset_index()
    return last[~last[C.DIVERGED].astype(bool)]


def _peak_drop(curves: pd.DataFrame) -> float:
    """The largest fall of test accuracy from its maximum to the last evaluation, in points, over
    the curves that did not diverge."""
    ok = curves[~curves.groupby("h")[C.DIVERGED].transform("any").astype(bool)]
    if not len(ok):
        return float("nan")
    g = ok.sort_values("step").groupby("h")[C.TEST_ACC]
    return float(100 * (g.max() - g.last()).max())


def mnist_captions(r: mnist.Results) -> dict[str, str]:
    from igr_core.experiments import mnist

    sel = r.selected
    curves = mnist.curves(r)
    noise = r.noise
    last = _last_ok(curves)
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
            f"{_sweep_curves(curves, C.R_IG)} and the training loss {_sweep_curves(curves, C.TRAIN_E)}. "
            + compare(
                "the $\\lambda R_{IG}/E$ panel: larger h lower",
                "The paper's Figure A.3 shows E and $R_{IG}$ falling, $\\lambda R_{IG}/E$ smaller for larger h "
                "and the norm settling",
                trend(last, "h", "lambda R_IG / E", -1, "$\\lambda R_{IG}/E$ at the last step", "h", "curves"),
            )
        ),
        "a4": (
            f"At the last step the test accuracy is {_sweep_curves(curves, C.TEST_ACC)} and the test "
            f"$R_{{IG}}$ {_sweep_curves(curves, C.TEST_R_IG)}. "
            + compare(
                "the test loss and test $R_{IG}$ dipping then rising, and the test accuracy peaking",
                "The paper's Figure A.4 shows that dip and a slight fall of test accuracy after its maximum",
                f"test accuracy ends at most {_g(_peak_drop(curves), 2)} points below its maximum",
            )
        ),
        "a5": (
            f"The same curves against physical time $t = nh$: at the last step $t$ is {_sweep_curves(curves, 't')}. "
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
                f"at the largest noise (sigma = {_g(float(noise['sigma'].max()))}): "
                + trend(mid, "h", "acc_mean", 1, "mean test accuracy", "h", "step sizes"),
            )
        )
    return out


def resnet_captions(r: resnet.Results) -> dict[str, str]:
    from igr_core.experiments import resnet

    f = resnet.facts(r)
    sel = r.selected
    out = {}
    if r.sweep is not None:
        metrics = r.sweep.metrics[r.sweep.metrics["seed"] == r.params.seeds[0]]
        out["a7_abc"] = (
            f"First seed, {f['steps']:,} steps, {f['evaluations']} evaluations; at the last step test accuracy "
            f"is {_sweep_curves(metrics, C.TEST_ACC)} and $R_{{IG}}$ {_sweep_curves(metrics, C.R_IG)}."
        )
        out["a7_def"] = (
            f"At the last step the training accuracy is {_sweep_curves(metrics, C.TRAIN_ACC)} and "
            f"$\\|\\theta\\|$ {_sweep_curves(metrics, C.THETA_NORM)}; {f['gates']}."
        )
        last = _last_ok(metrics)
        out["a7_abc"] += " " + compare(
            "the curves of larger h higher in test accuracy and lower in $R_{IG}$",
            "The paper's Figure A.7a-c shows test accuracy rising and $R_{IG}$ and the slope falling with h",
            trend(last, "h", C.TEST_ACC, 1, "test accuracy at the last step", "h", "curves"),
        )
        out["a7_def"] += " " + compare(
            "training accuracy reaching 1 (interpolation)",
            "The paper's Figure A.7e, f shows interpolation after a few thousand iterations",
            f"training accuracy at the last step is at least {_g(_min(last, C.TRAIN_ACC))}",
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


def egr_captions(r: egr.Results) -> dict[str, str]:
    from igr_core.experiments import egr

    f = egr.facts(r)
    out = {}
    if r.sweep is not None and len(r.gains):
        # the gain and interval of the verdict row (one interval for one difference on the page)
        row = next(c.verdict for c in egr.claims(r) if c.id == "07.egr-raises-max-test-acc")
        lo, hi = row.interval if len(row.interval) == 2 else (float("nan"), float("nan"))
        g = r.gains[np.isclose(r.gains["mu"].astype(float), float(r.params.egr_mu))]
        g = g.iloc[0] if len(g) else r.gains.iloc[-1]
        judged = len(row.interval) == 2
        gain = (
            f"a gain of {_g(row.value, 2)} [{_g(lo, 2)}, {_g(hi, 2)}] on {row.n} networks"
            if judged
            else "no gain judged (the gates leave too few networks)"
        )
        here = (
            f"the gain is {_g(100 * row.value, 2)} points (95% interval {_g(100 * lo, 2)} to {_g(100 * hi, 2)})"
            if judged
            else "no gain is judged at this scale"
        )
        out["figure3c"] = (
            f"Maximum test accuracy {_g(float(g['SGD max test acc']))} with SGD and "
            f"{_g(float(g['EGR max test acc']))} with EGR ($\\mu$ = {_g(float(r.params.egr_mu))}), {gain}; "
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


def estimation_captions(r: estimation.Results) -> dict[str, str]:
    from igr_core.experiments import estimation

    f = estimation.facts(r)
    igr = r.igr[r.igr["status"] == "estimated"]
    return {
        "penalties": (
            f"Known ridge and L1 penalties recovered from the trained weights: median relative error "
            f"{_g(f['penalty_median_err'], 2)}, worst {_g(f['penalty_worst_err'], 2)}. "
            + compare(
                "each estimate on the diagonal of the true strength",
                "The 2025 paper's Figure 3 shows known penalties recovered by gradient matching",
                f"the median relative error is {_g(f['penalty_median_err'], 2)}",
            )
        ),
        "early_stopping": (
            f"Least squares stopped early: with {f['ols_min_endpoints']} or more endpoints the stacked estimate "
            f"recovers the penalty matrix to {_g(f['ols_max_err'], 2)}. "
            + compare(
                "the error dropping to rounding once there are enough endpoints",
                "The 2025 paper's Figure 4 (B, C, E) shows early stopping recovered as a quadratic penalty",
                f"the largest error with enough endpoints is {_g(f['ols_max_err'], 2)}",
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
            f"Per-endpoint early stopping: the median relative error of Q falls from {_g(f['ols_var_first'], 2)} "
            f"with one endpoint to {_g(f['ols_var_last'], 2)} with the most. "
            + compare(
                "how fast the error falls as endpoints are added",
                "The 2025 paper's Figure 4D shows the estimation error falling off steeply",
                f"it falls from {_g(f['ols_var_first'], 2)} to {_g(f['ols_var_last'], 2)}",
            )
        ),
        "bootstrap": (
            f"Bootstrap recovery of Q: median relative error {_g(f['boot_floor'], 2)} at the most resamples, "
            "against rounding for independent datasets; right, the noise sweep against reporting zero. "
            + compare(
                "the bootstrap's error levelling off above the independent datasets' error",
                "The 2025 paper's Figure 7 shows bootstrap recovery qualitatively weaker, with a floor",
                f"the bootstrap levels off at {_g(f['boot_floor'], 2)}",
            )
        ),
        "igr_networks": (
            f"Trained networks: the estimate's relative error to h/4 has median {_g(f['net_median_err'], 2)} "
            f"(range {_g(f['net_min_err'], 2)}-{_g(f['net_max_err'], 2)}, n = {f['net_n']}); "
            f"{f['net_excluded']} of {f['net_total']} runs excluded for not fitting. "
            + compare(
                "the estimates following the h/4 line across the ladder of h",
                "The 2025 paper's Figure 6 shows the estimate against h m/4 on trained MNIST networks",
                f"the median relative error is {_g(f['net_median_err'], 2)} over {f['net_n']} networks",
            )
        ),
    }


def optimizers_captions(r: optimizers.Results) -> dict[str, str]:
    from igr_core.experiments import optimizers

    f = optimizers.facts(r)
    edges = r.edges.set_index("optimizer")["h_map (ratio reaches 1)"]
    mapped = "; ".join(f"{k}: {_g(v)}" for k, v in edges.items())
    local = optimizers.local_slopes(r.local)
    return {
        "orders": (
            f"Each optimizer's global error against h for each description. One epoch of SGD over all orders "
            f"against GD's modified loss has slope {_g(f['sgd_gd_slope'], 3)} and against SGD's "
            f"{_g(f['sgd_sgd_slope'], 3)}; heavy ball against its amplified modified loss without the shift "
            f"{_g(f['mom_noshift_slope'], 3)}. "
            + compare(
                "which description's line is steepest for each optimizer",
                "The paper has no figure for this (the descriptions are the cited works')",
                f"SGD's own modified loss gives slope {_g(f['sgd_sgd_slope'], 3)}, GD's {_g(f['sgd_gd_slope'], 3)}",
            )
        ),
        "local": (
            "One-step error of gradient descent against each description: slopes "
            + "; ".join(f"{d}: {_g(float(s), 3)}" for d, s in zip(local["description"], local[C.SLOPE]))
            + ". "
            + compare(
                "each description one order steeper than the one before",
                "The paper has no figure for this (Theorem 3.1's local orders)",
                "the slopes are listed above, one per description",
            )
        ),
        "adam": (
            f"With $\\rho > \\beta$ the coefficient of the large-gradient term is {_g(f['adam_anti'], 3)} (an "
            f"anti-penalty); sharpness difference from the flow of $-g/s$ at the largest h: "
            f"{_g(f['toy_dsharp_rho > beta'], 2)} ($\\rho > \\beta$) and {_g(f['toy_dsharp_rho < beta'], 2)} "
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
                f"the crossings span {_g(float(edges.min()))} to {_g(float(edges.max()))}",
            )
        ),
    }


__all__ = [
    "span",
    "theorems_captions",
    "geometry_captions",
    "ntk_captions",
    "toy_model_captions",
    "mnist_captions",
    "resnet_captions",
    "egr_captions",
    "estimation_captions",
    "optimizers_captions",
]
