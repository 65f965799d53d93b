"""The figures of trained networks: the MLPs on MNIST, the ResNet-18 and explicit gradient
regularization (chapters 05 to 07): R_IG and test accuracy against the learning rate, the width
and the regularization rate, training curves, and the noise study.

Abstraction: every function takes the drivers' tidy tables (one row per network, or per logged
step) and returns a matplotlib Figure titled by :func:`igr_core.book.plotting.label` with the
paper figure it re-makes and the profile that produced it.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from igr_core._src import columns as C
from igr_core.book.layout import panel_grid
from igr_core.book.plotting import label


def _hue_lines(ax, df, x, y, hue, fmt="o-", logx=True, logy=False, **kw):
    for key, grp in df.groupby(hue):
        grp = grp.sort_values(x)
        ax.plot(grp[x], grp[y], fmt, ms=4, label=f"{hue} = {key:g}", **kw)
    if logx:
        ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(x)
    ax.set_ylabel(y)


def figure2(selected: pd.DataFrame, title: str, profile: str):
    """Figure 2: R_IG and test accuracy at the time of maximum test accuracy against lambda."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for key, grp in selected.groupby("width"):
        axes[0].loglog(grp["lambda"], grp[C.R_IG], "o", label=f"n_l = {key}")
        axes[1].semilogx(grp["lambda"], grp[C.TEST_ACC], "o", label=f"n_l = {key}")
    axes[0].set_xlabel("lambda = h m / 4")
    axes[0].set_ylabel("R_IG at max test accuracy")
    axes[1].set_xlabel("lambda = h m / 4")
    axes[1].set_ylabel("max test accuracy")
    axes[0].legend(fontsize="small")
    label(fig, title, profile)
    return fig


DIVERGED_FACTOR = 20.0  # a run whose largest value exceeds the others' largest this many times is off scale


def _diverged(metrics: pd.DataFrame, col: str) -> list:
    """The learning rates whose curve of ``col`` runs off the others' scale (a diverged run: its
    largest finite value more than :data:`DIVERGED_FACTOR` times the largest of every other run)."""
    top = metrics.groupby("h")[col].apply(lambda v: np.nanmax(np.abs(np.asarray(v, float))) if len(v) else np.nan)
    out = []
    for h, v in top.items():
        rest = top.drop(h).dropna()
        if len(rest) and np.isfinite(v) and v > DIVERGED_FACTOR * rest.max():
            out.append(h)
    return out


def training_curves(metrics: pd.DataFrame, columns, title: str, profile: str, x: str = "step", logy=()):
    """One panel per metric against ``x``, one line per learning rate (Figures A.3 to A.5). A run
    that diverged (:func:`_diverged`) is drawn dashed and, on a linear axis, clipped at the top of
    the others' range with its name at the edge, so that it does not flatten the other curves."""
    fig, axes = panel_grid(len(columns), 4.6, 3.4)
    for ax, col in zip(axes, columns):
        off = set(_diverged(metrics, col))
        for h, grp in metrics.groupby("h"):
            style = {"ls": "--", "lw": 1.0} if h in off else {"lw": 1.3}
            ax.plot(grp[x], grp[col], label=f"h = {h:g}" + (" (diverged)" if h in off else ""), **style)
        if col in logy:
            ax.set_yscale("log")
        elif off:
            kept = metrics[~metrics["h"].isin(off)][col].astype(float)
            lo, hi = np.nanmin(kept), np.nanmax(kept)
            pad = 0.08 * (hi - lo or abs(hi) or 1.0)
            ax.set_ylim(lo - pad, hi + pad)
            names = ", ".join(f"h = {h:g}" for h in sorted(off))
            ax.text(
                0.98,
                0.97,
                f"{names} diverged: off scale",
                transform=ax.transAxes,
                ha="right",
                va="top",
                fontsize="small",
                color="0.3",
            )
        ax.set_xlabel(x)
        ax.set_title(col, fontsize="small")
    axes[0].legend(fontsize="x-small")
    label(fig, title, profile)
    return fig


def figure_a6(selected: pd.DataFrame, full_batch: pd.DataFrame | None, title: str, profile: str):
    """Figure A.6: R_IG and test accuracy against h (per width) and against width (per h);
    full-batch GD; test error against R_IG."""
    fig, axes = plt.subplots(2, 3, figsize=(14, 7.2))
    _hue_lines(axes[0, 0], selected, "h", C.R_IG, "width", logy=True)
    _hue_lines(axes[1, 0], selected, "h", C.TEST_ACC, "width")
    _hue_lines(axes[0, 1], selected, "width", C.R_IG, "h", logy=True)
    _hue_lines(axes[1, 1], selected, "width", C.TEST_ACC, "h")
    if full_batch is not None and len(full_batch):
        _hue_lines(axes[0, 2], full_batch, "h", C.R_IG, "width", logy=True)
        axes[0, 2].set_title("full-batch gradient descent", fontsize="small")
    else:
        axes[0, 2].text(0.5, 0.5, "no full-batch run in this profile", ha="center", transform=axes[0, 2].transAxes)
    axes[1, 2].loglog(selected[C.R_IG], 1 - selected[C.TEST_ACC], "o")
    axes[1, 2].set_xlabel("R_IG at max test accuracy")
    axes[1, 2].set_ylabel("test error")
    for ax in axes.ravel()[:5]:
        if ax.get_legend_handles_labels()[0]:  # an empty panel (no batch study, no full batch) has none
            ax.legend(fontsize="x-small")
    label(fig, title, profile)
    return fig


def figure3(noise: pd.DataFrame, title: str, profile: str):
    """Figure 3a/3b: slope and test accuracy under multiplicative noise, mean +- sd per h."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for h, grp in noise.groupby("h"):
        grp = grp.sort_values("sigma")
        (line,) = axes[0].plot(grp["sigma"], grp["slope_mean"], "o-", ms=3, label=f"h = {h:g}")
        axes[0].fill_between(
            grp["sigma"],
            grp["slope_mean"] - grp["slope_sd"].fillna(0),
            grp["slope_mean"] + grp["slope_sd"].fillna(0),
            color=line.get_color(),
            alpha=0.15,
        )
        axes[1].plot(grp["sigma"], grp["acc_mean"], "-", color=line.get_color(), label=f"h = {h:g}")
        for sgn in (-1, 1):
            axes[1].plot(
                grp["sigma"], grp["acc_mean"] + sgn * grp["acc_sd"].fillna(0), "--", lw=0.8, color=line.get_color()
            )
    axes[0].set_yscale("log")
    axes[0].set_xlabel("noise level sigma")
    axes[0].set_ylabel("slope (mean +- sd)")
    axes[0].set_title("Figure 3a", fontsize="small")
    axes[1].set_xlabel("noise level sigma")
    axes[1].set_ylabel("test accuracy (mean, +- sd dashed)")
    axes[1].set_title("Figure 3b", fontsize="small")
    axes[0].legend(fontsize="small")
    label(fig, title, profile)
    return fig


def figure_a8(selected: pd.DataFrame, title: str, profile: str):
    """Figure A.8: learning rate vs R_IG, learning rate vs test accuracy, R_IG vs test accuracy,
    each network at its time of maximum test accuracy (one marker per seed)."""
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.9))
    for seed, grp in selected.groupby("seed"):
        axes[0].loglog(grp["h"], grp[C.R_IG], "o", label=f"seed {seed}")
        axes[1].semilogx(grp["h"], grp[C.TEST_ACC], "o", label=f"seed {seed}")
        axes[2].semilogx(grp[C.R_IG], grp[C.TEST_ACC], "o", label=f"seed {seed}")
    for ax, (x, y) in zip(
        axes, [("learning rate h", C.R_IG), ("learning rate h", "max test accuracy"), (C.R_IG, "max test accuracy")]
    ):
        ax.set_xlabel(x)
        ax.set_ylabel(y)
    axes[0].legend(fontsize="x-small")
    label(fig, title, profile)
    return fig


def egr_curves(metrics: pd.DataFrame, title: str, profile: str, column: str = C.TEST_ACC):
    """Figure 3c: a metric during training for each EGR coefficient mu (mean over seeds, band =
    min to max over seeds)."""
    fig, ax = plt.subplots(figsize=(7.5, 4))
    for mu, grp in metrics.groupby("mu"):
        stats = grp.groupby("step")[column].agg(["mean", "min", "max"]).reset_index()
        (line,) = ax.plot(stats["step"], stats["mean"], lw=1.5, label="SGD (mu = 0)" if mu == 0 else f"EGR mu = {mu:g}")
        ax.fill_between(stats["step"], stats["min"], stats["max"], color=line.get_color(), alpha=0.15)
    ax.set_xlabel("iteration")
    ax.set_ylabel(column)
    ax.legend(fontsize="small")
    label(fig, title, profile)
    return fig


def regularization_rate_plot(df: pd.DataFrame, title: str, profile: str):
    """R_IG and maximum test accuracy against the total regularization rate lambda = m (h/4 + mu),
    for gradient descent (implicit only: mu = 0) and EGR (small h, explicit mu); diverged runs
    marked at the bottom of the first panel."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for kind, marker in (("GD", "o"), ("EGR", "s")):
        sub = df[df["kind"] == kind]
        ok = sub[~sub[C.DIVERGED]]
        axes[0].loglog(ok[C.LAMBDA_TOTAL], ok[C.R_IG], marker, label=f"{kind} (stable)")
        axes[1].semilogx(ok[C.LAMBDA_TOTAL], ok[C.TEST_ACC], marker, label=kind)
        bad = sub[sub[C.DIVERGED]]
        if len(bad):
            axes[0].plot(
                bad[C.LAMBDA_TOTAL],
                [ok[C.R_IG].min() if len(ok) else 1.0] * len(bad),
                "x",
                color="red",
                label=f"{kind} diverged",
            )
    axes[0].set_xlabel("lambda = m (h/4 + mu)")
    axes[0].set_ylabel("R_IG at max test accuracy")
    axes[1].set_xlabel("lambda = m (h/4 + mu)")
    axes[1].set_ylabel("max test accuracy")
    axes[0].legend(fontsize="x-small")
    label(fig, title, profile)
    return fig


__all__ = [
    "DIVERGED_FACTOR",
    "figure2",
    "training_curves",
    "figure_a6",
    "figure3",
    "figure_a8",
    "egr_curves",
    "regularization_rate_plot",
]
