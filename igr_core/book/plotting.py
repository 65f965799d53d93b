"""The book's plotting style, the drawing every figure shares, and the figures of the modified flows
on small problems: the theorem checks, the geometry of the loss surface, the NTK, the
two-parameter toy model and the optimizers' modified flows (chapters 01 to 04 and 09).

Abstraction: every function takes tidy tables from the drivers and returns a matplotlib
Figure whose title names the paper figure it re-makes and the profile that produced it
(:func:`label`). The figures of trained networks are in :mod:`igr_core.book.figures_networks`,
those of estimating the implicit regularizer in :mod:`igr_core.book.figures_estimation`.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from igr_core._src import columns as C
from igr_core.book.layout import panel_grid

PALETTE = "viridis"


def style() -> None:
    """The book's plotting style."""
    sns.set_theme(context="notebook", style="whitegrid", palette="deep", font_scale=0.95)
    plt.rcParams.update(
        {"figure.dpi": 100, "savefig.dpi": 100, "figure.figsize": (7.5, 4.2), "axes.titlesize": "medium"}
    )


def label(fig, title: str, profile: str, tight: bool = True) -> None:
    """Title a figure with what it is and which profile produced it (the page shows it, with its
    caption and provenance: :meth:`igr_core.book.chapter.Page.figure`)."""
    fig.suptitle(f"{title}  [{profile} profile]", fontsize="medium")
    if tight:  # figures with colour-bar axes lay themselves out (tight_layout cannot)
        fig.tight_layout()


def order_plot(errors: pd.DataFrame, fits: pd.DataFrame, title: str, profile: str):
    """Log-log error against h, one panel per problem, one line per modified-field order."""
    problems = list(dict.fromkeys(errors["problem"]))
    fig, axes = plt.subplots(1, len(problems), figsize=(5.2 * len(problems), 4.0), squeeze=False)
    for ax, prob in zip(axes[0], problems):
        sub = errors[errors["problem"] == prob]
        for k, grp in sub.groupby("order"):
            fit = fits[(fits["problem"] == prob) & (fits["order"] == k)].iloc[0]
            ax.loglog(
                grp["h"],
                grp["error"],
                "o-",
                label=f"order {k}: slope {fit['measured slope']:.2f} (expect {fit['expected slope']})",
            )
        ax.set_xlabel("learning rate h")
        ax.set_ylabel("error")
        ax.set_title(prob, fontsize="small")
        ax.legend(fontsize="small")
    label(fig, title, profile)
    return fig


def moderate_plot(df: pd.DataFrame, h_stable: float, title: str, profile: str):
    """Global error at fixed T against h for the flows of E and E~, with the stability edge."""
    fig, ax = plt.subplots(figsize=(7, 4))
    ok = df[~df[C.DIVERGED]]
    ax.loglog(ok["h"], ok["error, flow of E"], "o-", label="GD vs flow of E")
    ax.loglog(ok["h"], ok["error, modified flow"], "s-", label="GD vs flow of E~ (modified)")
    ax.axvline(h_stable, color="k", ls="--", lw=1, label=f"2/lambda_max(theta_0) = {h_stable:.3g}")
    for h in df.loc[df[C.DIVERGED], "h"]:
        ax.axvline(h, color="r", lw=0.8, alpha=0.6)
    if df[C.DIVERGED].any():
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


def critical_points_plot(
    loss_fn, modified_fn_of_h, hs, crit: pd.DataFrame, lo: float, hi: float, title: str, profile: str, *args
):
    """E and E~_h on an interval, critical points marked (minima o, maxima x)."""
    import jax
    import jax.numpy as jnp

    grid = np.linspace(lo, hi, 801)
    fig, ax = plt.subplots(figsize=(7, 4))
    curves = [("E", 0.0, loss_fn)] + [(f"E~, h = {h:g}", h, modified_fn_of_h(h)) for h in hs]
    for name, h, fn in curves:
        vals = np.asarray(jax.vmap(lambda t: fn(jnp.array([t]), *args))(jnp.asarray(grid)))  # noqa: B023 (called at once)
        (line,) = ax.plot(grid, vals, label=name, lw=1.2)
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
    ax.plot_surface(
        A,
        B,
        np.minimum(E, 8),
        facecolors=plt.cm.viridis(np.minimum(S, 8) / 8),
        rstride=1,
        cstride=1,
        linewidth=0,
        antialiased=True,
        alpha=0.85,
    )
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
    cols = ["E", C.R_IG, "mean |cos| cross terms", "off-diagonal fraction"]
    fig, axes = panel_grid(len(cols), 4.6, 3.4)
    for ax, col in zip(axes, cols):
        for f, grp in df.groupby("h / h_edge"):
            ax.plot(grp["t"], grp[col], "o-", ms=3, label=f"h = {f:g} h_edge")
        if col in ("E", C.R_IG):
            ax.set_yscale("log")
        ax.set_xlabel("physical time t = n h")
        ax.set_title(col, fontsize="small")
    axes[0].legend(fontsize="small")
    label(fig, title, profile)
    return fig


def _phase_background(ax, lim, x, y, n=21):
    import jax.numpy as jnp

    from igr_core._src import toy as _toy

    (a_lo, a_hi), (b_lo, b_hi) = lim
    A, B = np.meshgrid(np.linspace(a_lo, a_hi, n), np.linspace(b_lo, b_hi, n))
    F = np.asarray(_toy.original_flow(jnp.stack([A, B], -1), x, y))
    norm = np.hypot(F[..., 0], F[..., 1]) + 1e-12
    ax.quiver(A, B, F[..., 0] / norm, F[..., 1] / norm, color="0.75", width=0.0025, scale=35)
    a = np.linspace(a_lo, a_hi, 800)
    with np.errstate(divide="ignore"):
        bb = y / (x * a)
    bb[(bb < b_lo) | (bb > b_hi)] = np.nan
    ax.plot(a, bb, "k--", lw=1, label="minima ab = y/x")
    s = np.sqrt(y / x)
    ax.plot([s], [s], "kx", ms=9, mew=2, label="min-norm minimum")
    ax.set_xlim(a_lo, a_hi)
    ax.set_ylim(b_lo, b_hi)
    ax.set_xlabel("a")
    ax.set_ylabel("b")


_PATH_STYLE = {
    "GD, h_S": dict(color="tab:green", lw=2),
    "GD, h_M": dict(color="tab:red", lw=2),
    "modified": dict(color="k", lw=1, ls=":"),
    "EGR": dict(color="tab:blue", lw=1.5, ls="--"),
}


def _style_for(name):
    for key, st in _PATH_STYLE.items():
        if name.startswith(key):
            return st
    return {}


def phase_portrait(panels, title: str, profile: str):
    """Figure 1a: one panel per initial point; ``panels`` is a list of
    (panel title, paths dict, ((a_lo, a_hi), (b_lo, b_hi)), x, y)."""
    fig, axes = plt.subplots(1, len(panels), figsize=(6.2 * len(panels), 5.4), squeeze=False)
    for ax, (name, paths, lim, x, y) in zip(axes[0], panels):
        _phase_background(ax, lim, x, y)
        for label_, path in paths.items():
            p = np.asarray(path)
            p = p[:: max(1, len(p) // 4000)] if len(p) > 4000 else p  # thin long Euler paths for drawing
            ax.plot(p[:, 0], p[:, 1], label=label_, **_style_for(label_))
            ax.plot(p[0, 0], p[0, 1], "ko", ms=4)
        ax.set_title(name, fontsize="small")
        ax.legend(fontsize="x-small", loc="upper right")
    label(fig, title, profile)
    return fig


def lr_sweep_plot(df: pd.DataFrame, title: str, profile: str, moderate_max: float | None = None):
    """Figure 1b: R_IG/E and ||theta|| after convergence against the learning rate."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    ok = df[~df[C.DIVERGED]]
    for ax, col in zip(axes, ["R_IG/E", C.THETA_NORM]):
        ax.plot(ok["h"], ok[col], "o-")
        for h in df.loc[df[C.DIVERGED], "h"]:
            ax.axvline(h, color="r", lw=0.6, alpha=0.5)
        if moderate_max is not None:
            ax.axvspan(ok["h"].min(), moderate_max, color="tab:green", alpha=0.08, label="moderate range (verdict)")
            ax.legend(fontsize="small")
        ax.set_xscale("log")
        ax.set_xlabel("learning rate h")
        ax.set_title(f"{col} after convergence", fontsize="small")
    label(fig, title, profile)
    return fig


def ricochet_plot(path, lim, x, y, scan: pd.DataFrame, title: str, profile: str):
    """Figure A.1: GD at a large learning rate ricocheting, and a scan of the outcome over h."""
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.8))
    _phase_background(axes[0], lim, x, y)
    p = np.asarray(path)
    axes[0].plot(p[:, 0], p[:, 1], "-o", color="tab:purple", ms=2.5, lw=0.8, label="GD, h_L")
    axes[0].legend(fontsize="x-small")
    ok = scan[~scan[C.DIVERGED]]
    axes[1].semilogy(ok["h"], ok[C.THETA_NORM], "o", ms=3, label="converged: final ||theta||")
    div = scan[scan[C.DIVERGED]]
    axes[1].plot(
        div["h"], np.full(len(div), ok[C.THETA_NORM].max() * 1.5 if len(ok) else 1.0), "rx", ms=5, label=C.DIVERGED
    )
    axes[1].set_xlabel("learning rate h")
    axes[1].set_title("outcome of GD by learning rate", fontsize="small")
    axes[1].legend(fontsize="small")
    label(fig, title, profile)
    return fig


def egr_test_error_plot(df: pd.DataFrame, title: str, profile: str):
    """Figure A.2: test error at the test point against mu, at several training times."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    times = sorted(df["t"].unique())
    pick = [times[len(times) // 8], times[len(times) // 4], times[len(times) // 2], times[-1]]
    for t in pick:
        sub = df[np.isclose(df["t"], t)]
        axes[0].plot(sub["mu"], sub["test error"], "o-", ms=3, label=f"t = {t:g}")
    axes[0].set_xscale("symlog", linthresh=1e-2)
    axes[0].set_xlabel("explicit regularization rate mu")
    axes[0].set_ylabel("test error at the test point")
    axes[0].legend(fontsize="small")
    for mu, grp in df.groupby("mu"):
        axes[1].plot(grp["t"], grp[C.THETA_NORM], label=f"mu = {mu:g}")
    axes[1].set_xlabel("time t")
    axes[1].set_ylabel(C.THETA_NORM)
    axes[1].legend(fontsize="x-small", ncol=2)
    label(fig, title, profile)
    return fig


def convergence_map_plot(df: pd.DataFrame, title: str, profile: str):
    """Where GD lands (log|a/b|) over a grid of starts, per h, and the modified flow's error."""
    hs = sorted(df["h"].unique())
    fig, axes = plt.subplots(len(hs), 2, figsize=(9.0, 3.4 * len(hs)), squeeze=False)
    axes = axes.T  # row 0: where GD lands; row 1: the modified flow's error (one column per h, drawn as rows)
    for j, h in enumerate(hs):
        sub = df[df["h"] == h]
        n = int(np.sqrt(len(sub)))
        ext = [sub["a0"].min(), sub["a0"].max(), sub["b0"].min(), sub["b0"].max()]
        im = axes[0, j].imshow(
            sub["GD log|a/b|"].to_numpy().reshape(n, n), origin="lower", extent=ext, cmap="coolwarm", vmin=-4, vmax=4
        )
        axes[0, j].set_title(f"GD lands at log|a/b|, h = {h:g}", fontsize="small")
        err = np.abs(sub["GD log|a/b|"] - sub["modified log|a/b|"]).to_numpy().reshape(n, n)
        im2 = axes[1, j].imshow(np.log10(err + 1e-12), origin="lower", extent=ext, cmap="magma", vmin=-8, vmax=1)
        axes[1, j].set_title("log10 |GD - modified flow|", fontsize="small")
    fig.colorbar(im, ax=axes[0, :].tolist(), shrink=0.8)
    fig.colorbar(im2, ax=axes[1, :].tolist(), shrink=0.8)
    label(fig, title, profile, tight=False)
    return fig


def optimizer_orders_plot(errors: pd.DataFrame, title: str, profile: str):
    """Global error against h (log-log), one panel per optimizer and problem, one line per
    description."""
    panels = list(dict.fromkeys(errors["panel"]))
    fig, axes = panel_grid(len(panels), 4.6, 3.6)
    for ax, panel in zip(axes, panels):
        for desc, g in errors[errors["panel"] == panel].groupby("description", sort=False):
            ax.loglog(g["h"], g["error"], "o-", ms=3, label=f"{desc} (order {int(g['expected order'].iloc[0])})")
        ax.set_title(panel, fontsize="small")
        ax.set_xlabel("h")
        ax.legend(fontsize="xx-small")
    axes[0].set_ylabel("global error")
    label(fig, title, profile)
    return fig


def adam_paths_plot(paths: pd.DataFrame, adam: pd.DataFrame, lim, x, y, title: str, profile: str):
    """Adam's iterates on the two-parameter model for each (beta, rho) regime against the flow
    of -g/s, over the valley of minima; right: the sharpness difference at convergence
    against h (log-log of its magnitude, sign in the marker)."""
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.8))
    _phase_background(axes[0], lim, x, y)
    colors = dict(zip(dict.fromkeys(paths["regime"]), ["tab:red", "tab:blue"]))
    for (regime, h), g in paths.groupby(["regime", "h"], sort=False):
        if h == 0:
            axes[0].plot(
                g["a"],
                g["b"],
                ":",
                color="k",
                lw=1.2,
                label="flow of -g/s" if regime == paths["regime"].iloc[0] else None,
            )
        else:
            axes[0].plot(g["a"], g["b"], "-", color=colors[regime], lw=1.5, label=f"Adam, {regime}, h = {h:g}")
            axes[0].plot(g["a"].iloc[-1], g["b"].iloc[-1], "o", color=colors[regime], ms=5)
    axes[0].legend(fontsize="x-small", loc="upper left")
    d = adam[(adam["problem"] == "2-parameter model") & (adam["quantity"] == "sharpness lambda_max")]
    for regime, g in d.groupby("regime", sort=False):
        pos = g["difference"] > 0
        axes[1].loglog(g["h"], g["difference"].abs(), "-", color=colors.get(regime, "k"), label=regime)
        axes[1].loglog(g.loc[pos, "h"], g.loc[pos, "difference"], "^", color=colors.get(regime, "k"), ms=6)
        axes[1].loglog(g.loc[~pos, "h"], -g.loc[~pos, "difference"], "v", color=colors.get(regime, "k"), ms=6)
    axes[1].set_xlabel("h")
    axes[1].set_ylabel("|lambda_max(Adam) - lambda_max(flow)|")
    axes[1].set_title("sharpness of the minimum reached (^ sharper, v flatter)", fontsize="small")
    axes[1].legend(fontsize="x-small")
    label(fig, title, profile)
    return fig


def rate_map_plot(rate: pd.DataFrame, edges: pd.DataFrame, title: str, profile: str):
    """Error against the first-order modified flow over error against the naive flow, per
    optimizer, against h; dashed verticals at each stability edge, dots at h_map."""
    fig, ax = plt.subplots(figsize=(8.5, 4.4))
    for (name, g), color in zip(rate.groupby("optimizer", sort=False), sns.color_palette("deep")):
        ok = g[np.isfinite(g["ratio"])]
        ax.loglog(ok["h"], ok["ratio"], "o-", ms=3, color=color, label=name)
        e = edges[edges["optimizer"] == name].iloc[0]
        if np.isfinite(e["stability edge"]):
            ax.axvline(e["stability edge"], color=color, ls="--", lw=1)
        if np.isfinite(e["h_map (ratio reaches 1)"]):
            ax.plot(e["h_map (ratio reaches 1)"], 1.0, "D", color=color, ms=6)
    ax.axhline(1.0, color="k", lw=0.8)
    ax.set_xlabel("h")
    ax.set_ylabel("error ratio first-order / naive flow")
    ax.legend(fontsize="x-small")
    label(fig, title, profile)
    return fig


__all__ = [
    "PALETTE",
    "style",
    "label",
    "order_plot",
    "moderate_plot",
    "norm_ratio_plot",
    "critical_points_plot",
    "surface_with_normals",
    "ntk_cross_plot",
    "phase_portrait",
    "lr_sweep_plot",
    "ricochet_plot",
    "egr_test_error_plot",
    "convergence_map_plot",
    "optimizer_orders_plot",
    "adam_paths_plot",
    "rate_map_plot",
]
