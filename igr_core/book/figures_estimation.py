"""The figures of estimating the implicit regularizer from trained weights (chapter 08): known
penalties recovered, early stopping as a ridge penalty, the stacked and bootstrap estimates of
Q, the IGR coefficient on small problems and trained networks, and dropout's ridge.

Abstraction: every function takes the chapter's tidy tables (one row per fit) and returns a
matplotlib Figure titled by :func:`igr_core.book.plotting.label` with the paper figure it
re-makes and the profile that produced it.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from igr_core._src import columns as C
from igr_core.book.layout import panel_grid
from igr_core.book.plotting import label


def penalty_recovery_plot(df: pd.DataFrame, title: str, profile: str):
    """Estimated against true penalty strength (log-log), one panel per penalty kind, mean and
    standard error over seeds of the identified fits; the dashed diagonal is exact recovery."""
    kinds = list(dict.fromkeys(df["kind"]))
    fig, axes = plt.subplots(1, len(kinds), figsize=(4.2 * len(kinds), 3.6), squeeze=False)
    ok = df[df["status"] == "identified"]
    lo, hi = df["strength"].min(), df["strength"].max()
    for ax, kind in zip(axes[0], kinds):
        grp = ok[ok["kind"] == kind]
        for coef, marker in (("ridge", "o"), ("l1", "s")):
            if (df[df["kind"] == kind][f"true {coef}"] == 0).all() or grp.empty:
                continue
            st = grp.groupby("strength")[f"est {coef}"].agg(["mean", "sem"])
            ax.errorbar(
                st.index,
                st["mean"],
                yerr=st["sem"].fillna(0),
                fmt=marker + "-",
                ms=4,
                capsize=2,
                label=f"{coef} coefficient",
            )
        ax.plot([lo, hi], [lo, hi], "k--", lw=1, label="exact recovery")
        for s in sorted(set(df[(df["kind"] == kind) & (df["status"] != "identified")]["strength"])):
            ax.axvline(s, color="0.85", lw=6, zorder=0)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("true strength")
        ax.set_ylabel("estimated strength")
        ax.set_title(f"{kind} (grey: not identified for some seed)", fontsize="small")
        ax.legend(fontsize="x-small")
    label(fig, title, profile)
    return fig


def early_stopping_plot(stack: pd.DataFrame, scalar: pd.DataFrame, title: str, profile: str):
    """Left: relative error of the stacked estimate of Q against the number of endpoints
    (unsolvable systems marked at the bottom). Right: the scalar ridge coefficient along one GD
    run, estimated and closed form."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    solved = stack[stack["status"] == "solved"]
    axes[0].semilogy(solved["endpoints"], solved["relative error of Q"], "o-", label="solved")
    floor = solved["relative error of Q"].min() if len(solved) else 1e-16
    for status, marker in (("underdetermined", "x"), ("collinear", "v")):
        bad = stack[stack["status"] == status]
        axes[0].plot(bad["endpoints"], [floor] * len(bad), marker, color="C3", ms=8, label=status)
    axes[0].set_xlabel("stacked endpoints (independent targets, one design)")
    axes[0].set_ylabel("||Q_hat - Q_k|| / ||Q_k||")
    axes[0].legend(fontsize="x-small")
    axes[1].loglog(scalar["t = step * lr"], scalar["closed-form ridge"], "k-", lw=1, label="closed form (Ali et al.)")
    axes[1].loglog(scalar["t = step * lr"], scalar["estimated ridge"], "o", ms=5, label="gradient matching")
    axes[1].set_xlabel("training time t = k h")
    axes[1].set_ylabel("scalar ridge coefficient")
    axes[1].legend(fontsize="x-small")
    label(fig, title, profile)
    return fig


def igr_coefficient_plot(igr: pd.DataFrame, fit_upto: float, title: str, profile: str):
    """Estimated IGR coefficient over h/4 against h / h_edge, and its distance from 1 (log-log)
    with the step sizes the order is fitted on marked."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    axes[0].semilogx(igr["h / h_edge"], igr["ratio alpha/(h/4)"], "o-")
    axes[0].axhline(1.0, color="k", ls="--", lw=1, label="Barrett & Dherin: h/4")
    axes[0].set_xlabel("h / h_edge")
    axes[0].set_ylabel("alpha_hat / (h/4)")
    axes[0].legend(fontsize="x-small")
    fit = igr["h / h_edge"] <= fit_upto
    axes[1].loglog(igr["h / h_edge"], igr["|ratio - 1|"], "o-", color="0.5", label="all step sizes")
    axes[1].loglog(igr.loc[fit, "h / h_edge"], igr.loc[fit, "|ratio - 1|"], "o", color="C3", label="fitted (order)")
    axes[1].set_xlabel("h / h_edge")
    axes[1].set_ylabel("|alpha_hat / (h/4) - 1|")
    axes[1].legend(fontsize="x-small")
    label(fig, title, profile)
    return fig


def dropout_ridge_plot(df: pd.DataFrame, title: str, profile: str):
    """The scalar ridge coefficient the dropout-trained weights reveal, against the dropout
    rate: one thin line per seed, the mean in bold."""
    fig, ax = plt.subplots(figsize=(6, 3.6))
    for _seed, grp in df.groupby("seed"):
        ax.plot(grp["dropout rate"], grp["estimated ridge"], "-", color="0.7", lw=1)
    mean = df.groupby("dropout rate")["estimated ridge"].mean()
    ax.plot(mean.index, mean.to_numpy(), "o-", color="C0", lw=2, label="mean over seeds")
    ax.set_xlabel("dropout rate")
    ax.set_ylabel("estimated ridge coefficient")
    ax.legend(fontsize="x-small")
    label(fig, title, profile)
    return fig


def _log_ticks(ax, values) -> None:
    """A log axis labelled at (at most four of) the values drawn, no minor labels."""
    from matplotlib.ticker import NullFormatter

    v = sorted({int(x) for x in values})
    step = max(1, -(-len(v) // 4))
    ax.set_xticks(v[::step])
    ax.set_xticklabels([str(x) for x in v[::step]])
    ax.xaxis.set_minor_formatter(NullFormatter())


def variable_stopping_plot(ols_variable: pd.DataFrame, title: str, profile: str):
    """Figure 4D: relative error of the stacked estimate of Q against the number of endpoints
    when each endpoint stops at its own plateau, one thin line per pool and the median in bold;
    the dashed line is the spread of the endpoints' own Q_k about the pool's median (the target)."""
    fig, ax = plt.subplots(figsize=(6, 3.6))
    for _, g in ols_variable.groupby("pool"):
        ax.semilogy(g["endpoints"], g["relative error of Q"], "-", color="0.7", lw=1)
    med = ols_variable.groupby("endpoints")["relative error of Q"].median()
    ax.semilogy(med.index, med.to_numpy(), "o-", color="C0", lw=2, label="median")
    spread = float(ols_variable["spread of Q_k in pool"].median())
    ax.axhline(spread, color="k", ls="--", lw=1, label="spread of Q_k")
    ax.set_xscale("log")
    _log_ticks(ax, ols_variable["endpoints"])
    ax.set_xlabel("endpoints (each stopped at its plateau)")
    ax.set_ylabel("relative error of Q")
    ax.legend(fontsize="x-small")
    label(fig, title, profile)
    return fig


def bootstrap_plot(bootstrap: pd.DataFrame, noise: pd.DataFrame, title: str, profile: str):
    """Figure 7. Left: relative error of Q from bootstrap resamples of one training set against
    the multi-dataset stack at the same number of endpoints (medians over pools). Right: the
    noise sweep (Panel F): the bootstrap error at the largest count against the OLS sampling
    standard deviation relative to |beta|; above the line at 1 it is worse than reporting zero."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    med = bootstrap.groupby("endpoints")[["bootstrap error", "multi-dataset error"]].median()
    axes[0].loglog(med.index, med["bootstrap error"], "o-", label="bootstrap")
    axes[0].loglog(med.index, med["multi-dataset error"], "s-", label="new datasets")
    _log_ticks(axes[0], med.index)
    axes[0].set_xlabel("endpoints")
    axes[0].set_ylabel("relative error of Q")
    axes[0].legend(fontsize="x-small")
    for _, g in noise.groupby("pool"):
        axes[1].loglog(g["OLS sampling std / |beta|"], g["bootstrap error"], "-", color="0.7", lw=1)
    m = noise.groupby("OLS sampling std / |beta|")["bootstrap error"].median()
    axes[1].loglog(m.index, m.to_numpy(), "o-", color="C0", lw=2, label="median over pools")
    axes[1].axhline(1.0, color="k", ls="--", lw=1, label="reporting zero")
    from matplotlib.ticker import NullFormatter

    axes[1].xaxis.set_minor_formatter(NullFormatter())
    axes[1].set_xlabel("OLS sampling std / |beta|")
    axes[1].set_ylabel("bootstrap error of Q")
    axes[1].legend(fontsize="x-small")
    label(fig, title, profile)
    return fig


def dropout_facets_plot(dropout: pd.DataFrame, check: pd.DataFrame, title: str, profile: str):
    """Figure 5 faceted by depth and width: the ridge coefficient the dropout-trained weights
    reveal against the rate, one thin line per seed and the mean in bold; filled markers are fits
    that explain the gradient (relative residual below the chapter's gate), hollow ones do not; each
    panel's title says how many explain it and how much the best explains. The dashed line is the
    known explicit ridge of the check network and the cross its estimate."""
    from igr_core._src import verdicts

    facets = list(dropout.groupby(["depth", "width"], sort=True))
    fig, axes = panel_grid(len(facets), 4.2, 3.4)
    for ax, ((depth, width), g) in zip(axes, facets):
        for _, s in g.groupby("seed"):
            ax.plot(s["dropout rate"], s["estimated ridge"], "-", color="0.75", lw=1)
        ok = np.array([verdicts.explained(x) for x in g["relative residual"]])
        ax.plot(g["dropout rate"][ok], g["estimated ridge"][ok], "o", color="C0", ms=4)
        ax.plot(g["dropout rate"][~ok], g["estimated ridge"][~ok], "o", mfc="none", color="C0", ms=4)
        mean = g.groupby("dropout rate")["estimated ridge"].mean()
        ax.plot(mean.index, mean.to_numpy(), "-", color="C0", lw=2)
        c = check[(check["depth"] == depth) & (check["width"] == width)]
        if len(c):
            ax.axhline(float(c["true ridge"].iloc[0]), color="k", ls="--", lw=1)
            ax.plot(np.zeros(len(c)), c["estimated ridge"], "x", color="C3", ms=6)
        res = g["relative residual"].astype(float)
        ax.set_title(
            f"depth {depth}, width {width}: {int(ok.sum())}/{len(g)} explained, best {100 * (1 - res.min()):.0f}%",
            fontsize="x-small",
        )
        ax.set_xlabel("dropout rate")
    axes[0].set_ylabel("estimated ridge")
    label(fig, title, profile)
    return fig


def igr_networks_plot(networks: pd.DataFrame, title: str, profile: str):
    """Figure 6 on trained networks, one point per network at its selected checkpoint. Left:
    R_IG against h; middle: test accuracy against h; right: the estimate alpha_hat against
    Barrett & Dherin's h/4 (log-log, the diagonal is exact recovery)."""
    ok = networks[networks["status"] == "estimated"] if len(networks) else networks
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.6))
    for seed, g in ok.groupby("seed"):
        axes[0].loglog(g["h"], g[C.R_IG], "o-", ms=4, label=f"seed {seed}")
        axes[1].semilogx(g["h"], g[C.TEST_ACC], "o-", ms=4, label=f"seed {seed}")
        axes[2].loglog(g["h/4"], g["alpha"], "o", ms=5, label=f"seed {seed}")
    if len(ok):
        lim = np.array([ok["h/4"].min() / 1.5, ok["h/4"].max() * 1.5])
        axes[2].loglog(lim, lim, "k--", lw=1, label="alpha = h/4")
    axes[0].set_xlabel("learning rate h")
    axes[0].set_ylabel("R_IG = ||grad L||^2 / m")
    axes[1].set_xlabel("learning rate h")
    axes[1].set_ylabel("test accuracy")
    axes[2].set_xlabel("h/4 (Barrett & Dherin)")
    axes[2].set_ylabel("alpha_hat (trajectory estimate)")
    for ax in axes:
        ax.legend(fontsize="xx-small")
    label(fig, title, profile)
    return fig


__all__ = [
    "penalty_recovery_plot",
    "early_stopping_plot",
    "igr_coefficient_plot",
    "dropout_ridge_plot",
    "variable_stopping_plot",
    "bootstrap_plot",
    "dropout_facets_plot",
    "igr_networks_plot",
]
