"""One seaborn style and one function per figure of the book.

Abstraction: every function takes tidy tables from the drivers and returns a matplotlib
Figure whose title names the paper figure it re-makes and the profile that produced it.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

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
        vals = np.asarray(jax.vmap(lambda t: fn(jnp.array([t]), *args))(jnp.asarray(grid)))
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
    cols = ["E", "R_IG", "mean |cos| cross terms", "off-diagonal fraction"]
    fig, axes = panel_grid(len(cols), 4.6, 3.4)
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
    ok = df[~df["diverged"]]
    for ax, col in zip(axes, ["R_IG/E", "||theta||"]):
        ax.plot(ok["h"], ok[col], "o-")
        for h in df.loc[df["diverged"], "h"]:
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
    ok = scan[~scan["diverged"]]
    axes[1].semilogy(ok["h"], ok["||theta||"], "o", ms=3, label="converged: final ||theta||")
    div = scan[scan["diverged"]]
    axes[1].plot(
        div["h"], np.full(len(div), ok["||theta||"].max() * 1.5 if len(ok) else 1.0), "rx", ms=5, label="diverged"
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
        axes[1].plot(grp["t"], grp["||theta||"], label=f"mu = {mu:g}")
    axes[1].set_xlabel("time t")
    axes[1].set_ylabel("||theta||")
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
        axes[0].loglog(grp["lambda"], grp["R_IG"], "o", label=f"n_l = {key}")
        axes[1].semilogx(grp["lambda"], grp["test acc"], "o", label=f"n_l = {key}")
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
    _hue_lines(axes[0, 0], selected, "h", "R_IG", "width", logy=True)
    _hue_lines(axes[1, 0], selected, "h", "test acc", "width")
    _hue_lines(axes[0, 1], selected, "width", "R_IG", "h", logy=True)
    _hue_lines(axes[1, 1], selected, "width", "test acc", "h")
    if full_batch is not None and len(full_batch):
        _hue_lines(axes[0, 2], full_batch, "h", "R_IG", "width", logy=True)
        axes[0, 2].set_title("full-batch gradient descent", fontsize="small")
    else:
        axes[0, 2].text(0.5, 0.5, "no full-batch run in this profile", ha="center", transform=axes[0, 2].transAxes)
    axes[1, 2].loglog(selected["R_IG"], 1 - selected["test acc"], "o")
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
        axes[0].loglog(grp["h"], grp["R_IG"], "o", label=f"seed {seed}")
        axes[1].semilogx(grp["h"], grp["test acc"], "o", label=f"seed {seed}")
        axes[2].semilogx(grp["R_IG"], grp["test acc"], "o", label=f"seed {seed}")
    for ax, (x, y) in zip(
        axes, [("learning rate h", "R_IG"), ("learning rate h", "max test accuracy"), ("R_IG", "max test accuracy")]
    ):
        ax.set_xlabel(x)
        ax.set_ylabel(y)
    axes[0].legend(fontsize="x-small")
    label(fig, title, profile)
    return fig


def egr_curves(metrics: pd.DataFrame, title: str, profile: str, column: str = "test acc"):
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
        ok = sub[~sub["diverged"]]
        axes[0].loglog(ok["lambda total"], ok["R_IG"], marker, label=f"{kind} (stable)")
        axes[1].semilogx(ok["lambda total"], ok["test acc"], marker, label=kind)
        bad = sub[sub["diverged"]]
        if len(bad):
            axes[0].plot(
                bad["lambda total"],
                [ok["R_IG"].min() if len(ok) else 1.0] * len(bad),
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
    for seed, grp in df.groupby("seed"):
        ax.plot(grp["dropout rate"], grp["estimated ridge"], "-", color="0.7", lw=1)
    mean = df.groupby("dropout rate")["estimated ridge"].mean()
    ax.plot(mean.index, mean.to_numpy(), "o-", color="C0", lw=2, label="mean over seeds")
    ax.set_xlabel("dropout rate")
    ax.set_ylabel("estimated ridge coefficient")
    ax.legend(fontsize="x-small")
    label(fig, title, profile)
    return fig


__all__ = [
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
    "figure2",
    "training_curves",
    "figure_a6",
    "figure3",
    "figure_a8",
    "egr_curves",
    "regularization_rate_plot",
    "penalty_recovery_plot",
    "early_stopping_plot",
    "igr_coefficient_plot",
    "dropout_ridge_plot",
    "optimizer_orders_plot",
]


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
        axes[0].loglog(g["h"], g["R_IG"], "o-", ms=4, label=f"seed {seed}")
        axes[1].semilogx(g["h"], g["test acc"], "o-", ms=4, label=f"seed {seed}")
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


__all__ += ["variable_stopping_plot", "bootstrap_plot", "dropout_facets_plot", "igr_networks_plot"]
