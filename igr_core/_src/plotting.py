"""One seaborn style and one function per figure of the book.

Abstraction: every function takes tidy tables from the drivers and returns a matplotlib
Figure whose title names the paper figure it re-makes and the profile that produced it.
"""
from __future__ import annotations

import matplotlib


import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

PALETTE = "viridis"


def style() -> None:
    """The book's plotting style."""
    sns.set_theme(context="notebook", style="whitegrid", palette="deep", font_scale=0.95)
    plt.rcParams.update({"figure.dpi": 100, "savefig.dpi": 100, "figure.figsize": (7.5, 4.2),
                         "axes.titlesize": "medium"})


def label(fig, title: str, profile: str) -> None:
    """Title a figure with what it is and which profile produced it."""
    fig.suptitle(f"{title}  [{profile} profile]", fontsize="medium")
    fig.tight_layout()


def order_plot(errors: pd.DataFrame, fits: pd.DataFrame, title: str, profile: str):
    """Log-log error against h, one panel per problem, one line per modified-field order."""
    problems = list(dict.fromkeys(errors["problem"]))
    fig, axes = plt.subplots(1, len(problems), figsize=(5.2 * len(problems), 4.0), squeeze=False)
    for ax, prob in zip(axes[0], problems):
        sub = errors[errors["problem"] == prob]
        for k, grp in sub.groupby("order"):
            fit = fits[(fits["problem"] == prob) & (fits["order"] == k)].iloc[0]
            ax.loglog(grp["h"], grp["error"], "o-",
                      label=f"order {k}: slope {fit['measured slope']:.2f} (expect {fit['expected slope']})")
        ax.set_xlabel("learning rate h")
        ax.set_ylabel("error")
        ax.set_title(prob, fontsize="small")
        ax.legend(fontsize="small")
    label(fig, title, profile)
    return fig


def moderate_plot(df: pd.DataFrame, h_stable: float, title: str, profile: str):
    """Global error at fixed T against h for the flows of E and E~, with the stability edge."""
    fig, ax = plt.subplots(figsize=(7, 4))
    ok = df[~df["diverged"]]
    ax.loglog(ok["h"], ok["error, flow of E"], "o-", label="GD vs flow of E")
    ax.loglog(ok["h"], ok["error, modified flow"], "s-", label="GD vs flow of E~ (modified)")
    ax.axvline(h_stable, color="k", ls="--", lw=1, label=f"2/lambda_max(theta_0) = {h_stable:.3g}")
    for h in df.loc[df["diverged"], "h"]:
        ax.axvline(h, color="r", lw=0.8, alpha=0.6)
    if df["diverged"].any():
        ax.plot([], [], color="r", lw=0.8, label="GD diverged")
    ax.set_xlabel("learning rate h")
    ax.set_ylabel("error at time T")
    ax.legend(fontsize="small")
    label(fig, title, profile)
    return fig


def norm_ratio_plot(df: pd.DataFrame, title: str, profile: str):
    """Proposition A.9 ratio at every GD step, one line per h; the bound is 1."""
    fig, ax = plt.subplots(figsize=(7, 3.6))
    for h, grp in df.groupby("h"):
        ax.plot(grp["step"], grp["ratio"], label=f"h = {h:g}", lw=1)
    ax.axhline(1.0, color="k", ls="--", lw=1, label="bound (A.20)")
    ax.set_xlabel("GD step n")
    ax.set_ylabel("| ||th_{n+1}|| - ||th_n|| | / (h slope)")
    ax.set_ylim(0, 1.1)
    ax.legend(fontsize="small", ncol=2)
    label(fig, title, profile)
    return fig


def critical_points_plot(loss_fn, modified_fn_of_h, hs, crit: pd.DataFrame, lo: float, hi: float,
                         title: str, profile: str, *args):
    """E and E~_h on an interval, critical points marked (minima o, maxima x)."""
    import jax
    import jax.numpy as jnp

    grid = np.linspace(lo, hi, 801)
    fig, ax = plt.subplots(figsize=(7, 4))
    curves = [("E", 0.0, loss_fn)] + [(f"E~, h = {h:g}", h, modified_fn_of_h(h)) for h in hs]
    for name, h, fn in curves:
        vals = np.asarray(jax.vmap(lambda t: fn(jnp.array([t]), *args))(jnp.asarray(grid)))
        line, = ax.plot(grid, vals, label=name, lw=1.2)
        sel = crit[(crit["h"] == h) & (crit["function"] == ("E" if h == 0.0 else "E~"))]
        for _, r in sel.iterrows():
            v = float(fn(jnp.array([r["theta"]]), *args))
            ax.plot(r["theta"], v, "o" if r["kind"] == "minimum" else "x", color=line.get_color(), ms=7)
    ax.set_yscale("symlog", linthresh=1.0)
    ax.set_xlabel("theta")
    ax.set_ylabel("loss")
    ax.legend(fontsize="small")
    label(fig, title, profile)
    return fig


def surface_with_normals(A, B, E, S, normals_at, title: str, profile: str):
    """3-D loss surface of the 2-parameter model coloured by slope, with unit normals."""
    fig = plt.figure(figsize=(10, 4.6))
    ax = fig.add_subplot(1, 2, 1, projection="3d")
    ax.plot_surface(A, B, np.minimum(E, 8), facecolors=plt.cm.viridis(np.minimum(S, 8) / 8), rstride=1, cstride=1,
                    linewidth=0, antialiased=True, alpha=0.85)
    for (a, b, e), n in normals_at:
        ax.quiver(a, b, e, n[0], n[1], n[2], length=1.2, color="crimson", lw=1.2)
    ax.set_xlabel("a")
    ax.set_ylabel("b")
    ax.set_zlabel("E (clipped at 8)")
    ax.set_title("surface and unit normals N", fontsize="small")
    ax2 = fig.add_subplot(1, 2, 2)
    cs = ax2.contourf(A, B, np.log10(S + 1e-3), levels=20, cmap=PALETTE)
    fig.colorbar(cs, ax=ax2, label="log10 slope")
    ax2.contour(A, B, E, levels=[1e-3], colors="k", linestyles="--", linewidths=1)
    ax2.set_xlabel("a")
    ax2.set_ylabel("b")
    ax2.set_title("slope = tan(tilt angle); dashed: minima ab = y/x", fontsize="small")
    label(fig, title, profile)
    return fig


def ntk_cross_plot(df: pd.DataFrame, title: str, profile: str):
    """NTK cross-term statistics, loss and R_IG against physical time, one line per h."""
    cols = ["E", "R_IG", "mean |cos| cross terms", "off-diagonal fraction"]
    fig, axes = plt.subplots(1, 4, figsize=(14, 3.6))
    for ax, col in zip(axes, cols):
        for f, grp in df.groupby("h / h_edge"):
            ax.plot(grp["t"], grp[col], "o-", ms=3, label=f"h = {f:g} h_edge")
        if col in ("E", "R_IG"):
            ax.set_yscale("log")
        ax.set_xlabel("physical time t = n h")
        ax.set_title(col, fontsize="small")
    axes[0].legend(fontsize="small")
    label(fig, title, profile)
    return fig


__all__ = ["style", "label", "order_plot", "moderate_plot", "norm_ratio_plot", "critical_points_plot",
           "surface_with_normals", "ntk_cross_plot"]
