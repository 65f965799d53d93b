"""What each figure of the book shows, in one sentence with its numbers, computed from the results.

Abstraction: one function per chapter, ``Results -> {figure key: caption}``; the registry hands
it to the chapter contract (:attr:`igr_core._src.contract.Chapter.captions`) and the page's
``C.figure(draw, ..., caption=key)`` shows the sentence under the figure, above the provenance
line. A caption states what the figure shows and the paper's expectation where it has one; the
verdict itself stays with the chapter's rules. Every number is read from the stored results of
the page's own profile, never typed.
"""

from __future__ import annotations

import pandas as pd

from igr_core._src.verdicts import number_or
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


def _slopes(fits: pd.DataFrame, problem: str) -> str:
    s = fits[fits["problem"] == problem].sort_values("order")
    measured = ", ".join(f"{v:.2f}" for v in s["measured slope"])
    expected = ", ".join(f"{v:g}" for v in s["expected slope"])
    return f"{measured} (expected {expected})"


def theorems_captions(r: theorems.Results) -> dict[str, str]:
    f = theorems.facts(r)
    ratios = r.norm_ratios
    return {
        "local": (
            f"Fitted slopes of the one-step error against h for the flow of $E$, the modified flow and the "
            f"flow with $f_2$: {_slopes(r.local_fits, r.net.name)} on the network, "
            f"{_slopes(r.local_fits, r.toy.name)} on the two-parameter model."
        ),
        "global": (
            f"Global error at fixed time, same three flows: slopes {_slopes(r.global_fits, r.net.name)} on the "
            f"network, {_slopes(r.global_fits, r.toy.name)} on the two-parameter model."
        ),
        "moderate": (
            f"The modified flow stops halving the error of the flow of $E$ at h = {_g(f['h_cross'])}; the "
            f"dashed stability edge $2/\\lambda_{{\\max}}(\\theta_0)$ is at {_g(f['h_edge'])}."
        ),
        "norm_ratio": (
            f"The largest ratio over {len(ratios):,} steps at {ratios['h'].nunique()} step sizes is "
            f"{_g(float(ratios['ratio'].max()))}; Proposition A.9 bounds it by 1."
        ),
        "critical": (
            f"Critical points of $E$ and $\\widetilde E$ on the double well: minima of $E$ lost: "
            f"{r.minima['minima_lost']}; further critical points of $\\widetilde E$ by step size: "
            f"{f['extra_critical_points']}."
        ),
    }


def geometry_captions(r: geometry.Results) -> dict[str, str]:
    f = geometry.facts(r)
    return {
        "surface": (
            "Where the surface is steep (large slope, so large $R_{IG}$) its unit normal leans away from the "
            f"vertical; over {len(r.identities)} points the identities of Appendix A.2 hold to a relative error of "
            f"{_g(f['max_err_fd'], 2)} (finite-difference normals) and {_g(f['max_err_det'], 2)} (explicit "
            "determinant)."
        ),
    }


def ntk_captions(r: ntk.Results) -> dict[str, str]:
    s = r.summary.groupby("h / h_edge")[["cos start", "cos end"]].mean()
    return {
        "cross": (
            f"The mean |cosine| between the per-example gradients starts at {_g(float(s['cos start'].mean()))} and "
            f"at the end is {span(r.summary, 'h / h_edge', 'cos end')}."
        ),
    }


def toy_model_captions(r: toy_model.Results) -> dict[str, str]:
    f = toy_model.facts(r)
    ok = r.sweep[~r.sweep["diverged"]]
    summary = r.map_summary
    final = r.egr.sort_values("t").groupby("mu").last()
    return {
        "phase": (
            f"From initial point I, gradient descent ends at distance ratio {_g(f['ratio_I'], 2)} (to the modified "
            f"flow over to the flow of $E$); from point II {_g(f['ratio_II'], 2)}. EGR flow ends at "
            f"$\\|\\theta\\| =$ {_g(f['egr_norm_I'])} (I), the minimum-norm solution has {_g(f['min_norm'])}."
        ),
        "lr_sweep": (
            f"After convergence, $R_{{IG}}/E$ is {span(ok, 'h', 'R_IG/E')} and $\\|\\theta\\|$ is "
            f"{span(ok, 'h', '||theta||')}."
        ),
        "ricochet": (
            f"Gradient descent starts to ricochet across the valley from h = {_g(f['ricochet_onset'])} (stability "
            f"edge at $\\theta_0$: {_g(f['edge_theta0'])}) and diverges from h = {_g(f['divergence_onset'])}."
        ),
        "egr": (
            f"At t = {_g(float(final['t'].max()))} the test error is {span(final.reset_index(), 'mu', 'test error')} "
            f"and $\\|\\theta\\|$ {span(final.reset_index(), 'mu', '||theta||')}."
        ),
        "cmap": (
            f"Over {int(summary['starts'].max()):,} starts per step size, the modified flow predicts the end point "
            f"better than the flow of $E$ in {_g(100 * float(summary['modified_closer'].min()), 3)}% to "
            f"{_g(100 * float(summary['modified_closer'].max()), 3)}% of the converged runs."
        ),
    }


def _sweep_curves(metrics: pd.DataFrame, column: str) -> str:
    """``column`` at the last evaluation of the smallest and the largest h whose run did not
    diverge (diverged runs are named apart)."""
    last = metrics.sort_values("step").groupby("h").last().reset_index()
    diverged = last[last["diverged"].astype(bool)]["h"]
    out = span(last[~last["diverged"].astype(bool)], "h", column)
    return out + (f" (diverged at h = {', '.join(_g(h) for h in diverged)})" if len(diverged) else "")


def mnist_captions(r: mnist.Results) -> dict[str, str]:
    sel = r.selected
    curves = mnist.curves(r)
    noise = r.noise
    out = {
        "figure2": (
            f"Over the {len(sel)} networks that fit the training set, $R_{{IG}}$ at the selected step is "
            f"{span(sel, 'lambda', 'R_IG')} and the maximum test accuracy {span(sel, 'lambda', 'test acc')}."
        ),
        "a3": (
            f"At the last step (first seed, $n_l$ = {curves['width'].iloc[0]}) $R_{{IG}}$ is "
            f"{_sweep_curves(curves, 'R_IG')} and the training loss {_sweep_curves(curves, 'train E')}."
        ),
        "a4": (
            f"At the last step the test accuracy is {_sweep_curves(curves, 'test acc')} and the test "
            f"$R_{{IG}}$ {_sweep_curves(curves, 'test R_IG')}."
        ),
        "a5": (
            f"The same curves against physical time $t = nh$: at the last step $t$ is {_sweep_curves(curves, 't')}."
        ),
        "a6": (
            f"Maximum test accuracy of the selected networks {span(sel, 'h', 'test acc')}; "
            f"$R_{{IG}}$ {span(sel, 'h', 'R_IG')}."
        ),
    }
    if noise is not None and len(noise):
        out["figure3"] = (
            f"Mean slope of the perturbed networks {span(noise, 'sigma', 'slope_mean')} and mean test accuracy "
            f"{span(noise, 'sigma', 'acc_mean')} (mean over the step sizes)."
        )
    return out


def resnet_captions(r: resnet.Results) -> dict[str, str]:
    f = resnet.facts(r)
    sel = r.selected
    out = {}
    if r.sweep is not None:
        metrics = r.sweep.metrics[r.sweep.metrics["seed"] == r.params.seeds[0]]
        out["a7_abc"] = (
            f"First seed, {f['steps']:,} steps, {f['evaluations']} evaluations; at the last step test accuracy "
            f"is {_sweep_curves(metrics, 'test acc')} and $R_{{IG}}$ {_sweep_curves(metrics, 'R_IG')}."
        )
        out["a7_def"] = (
            f"At the last step the training accuracy is {_sweep_curves(metrics, 'train acc')} and "
            f"$\\|\\theta\\|$ {_sweep_curves(metrics, '||theta||')}; {f['gates']}."
        )
    if len(sel):
        out["a8"] = (
            f"At each network's best test accuracy: $R_{{IG}}$ {span(sel, 'h', 'R_IG')}; test accuracy "
            f"{span(sel, 'h', 'test acc')}."
        )
    return out


def egr_captions(r: egr.Results) -> dict[str, str]:
    f = egr.facts(r)
    out = {}
    if r.sweep is not None and len(r.gains):
        g = r.gains.iloc[-1]
        out["figure3c"] = (
            f"Maximum test accuracy {_g(float(g['SGD max test acc']))} with SGD and "
            f"{_g(float(g['EGR max test acc']))} with EGR ($\\mu$ = {_g(float(g['mu']))}), a gain of "
            f"{_g(float(g['gain']), 2)} [{_g(float(g['gain lo']), 2)}, {_g(float(g['gain hi']), 2)}]; "
            f"{f['gates']}."
        )
    ok = r.mlp[~r.mlp["diverged"]]
    out["mlp"] = (
        f"Over the converged MLP runs, $R_{{IG}}$ is {span(ok, 'lambda total', 'R_IG')} and test accuracy "
        f"{span(ok, 'lambda total', 'test acc')}; {f['n_gd_diverged']} GD run(s) diverged."
    )
    return out


def estimation_captions(r: estimation.Results) -> dict[str, str]:
    f = estimation.facts(r)
    igr = r.igr[r.igr["status"] == "estimated"]
    return {
        "penalties": (
            f"Known ridge and L1 penalties recovered from the trained weights: median relative error "
            f"{_g(f['penalty_median_err'], 2)}, worst {_g(f['penalty_worst_err'], 2)}."
        ),
        "early_stopping": (
            f"Least squares stopped early: with {f['ols_min_endpoints']} or more endpoints the stacked estimate "
            f"recovers the penalty matrix to {_g(f['ols_max_err'], 2)}."
        ),
        "igr_coefficient": (f"The estimated coefficient over h/4 is {span(igr, 'h / h_edge', 'ratio alpha/(h/4)')}."),
        "dropout_facets": (
            f"Dropout's ridge coefficient by depth and width: {f['dropout_share']}; the known explicit ridge on "
            f"the same networks: {f['check_share']}."
        ),
        "variable_stopping": (
            f"Per-endpoint early stopping: the median relative error of Q falls from {_g(f['ols_var_first'], 2)} "
            f"with one endpoint to {_g(f['ols_var_last'], 2)} with the most."
        ),
        "bootstrap": (
            f"Bootstrap recovery of Q: median relative error {_g(f['boot_floor'], 2)} at the most resamples, "
            "against rounding for independent datasets; right, the noise sweep against reporting zero."
        ),
        "igr_networks": (
            f"Trained networks: the estimate's relative error to h/4 has median {_g(f['net_median_err'], 2)} "
            f"(range {_g(f['net_min_err'], 2)}-{_g(f['net_max_err'], 2)}, n = {f['net_n']}); "
            f"{f['net_excluded']} of {f['net_total']} runs excluded for not fitting."
        ),
    }


def optimizers_captions(r: optimizers.Results) -> dict[str, str]:
    f = optimizers.facts(r)
    edges = r.edges.set_index("optimizer")["h_map (ratio reaches 1)"]
    mapped = "; ".join(f"{k}: {_g(v)}" for k, v in edges.items())
    local = optimizers.local_slopes(r.local)
    return {
        "orders": (
            f"Each optimizer's global error against h for each description. One epoch of SGD over all orders "
            f"against GD's modified loss has slope {_g(f['sgd_gd_slope'], 3)} and against SGD's "
            f"{_g(f['sgd_sgd_slope'], 3)}; heavy ball against its amplified modified loss without the shift "
            f"{_g(f['mom_noshift_slope'], 3)}."
        ),
        "local": (
            "One-step error of gradient descent against each description: slopes "
            + "; ".join(f"{d}: {_g(float(s), 3)}" for d, s in zip(local["description"], local["slope"]))
            + "."
        ),
        "adam": (
            f"With $\\rho > \\beta$ the coefficient of the large-gradient term is {_g(f['adam_anti'], 3)} (an "
            f"anti-penalty); sharpness difference from the flow of $-g/s$ at the largest h: "
            f"{_g(f['toy_dsharp_rho > beta'], 2)} ($\\rho > \\beta$) and {_g(f['toy_dsharp_rho < beta'], 2)} "
            "($\\rho < \\beta$)."
        ),
        "rate_map": f"Step size where the first-order flow stops helping (ratio reaches 1): {mapped}.",
    }


BY_CHAPTER = {
    theorems.NOTEBOOK: theorems_captions,
    geometry.NOTEBOOK: geometry_captions,
    ntk.NOTEBOOK: ntk_captions,
    toy_model.NOTEBOOK: toy_model_captions,
    mnist.NOTEBOOK: mnist_captions,
    resnet.NOTEBOOK: resnet_captions,
    egr.NOTEBOOK: egr_captions,
    estimation.NOTEBOOK: estimation_captions,
    optimizers.NOTEBOOK: optimizers_captions,
}

__all__ = ["BY_CHAPTER", "span"]
