"""Chapter 08's rows for the 2025 paper's Figures 4D, 5, 6 and 7: each evaluates a test declared in
``igr_core/declarations/08_estimation.yml`` (its words, quote, kind and thresholds live there)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from igr_core._src import columns as C
from igr_core._src import verdicts
from igr_core._src.verdicts import Claim
from igr_core.experiments.estimation.networks import error_order
from igr_core.experiments.estimation.params import Results

DECLARED = verdicts.declarations.chapter("08_estimation")


def _rank(d) -> verdicts.RankTest:
    return verdicts.RankTest(alpha=d.test.alpha, meaningful=d.test.smallest_effect)


def estimated(networks: pd.DataFrame) -> pd.DataFrame:
    """The networks with a selected checkpoint and a finite estimate."""
    if "status" not in networks or not len(networks):
        return networks.iloc[:0]
    ok = networks[networks["status"] == "estimated"]
    return ok[np.isfinite(ok["alpha"].astype(float))]


def network_gate(r: Results) -> verdicts.Gate:
    """The adequacy gates of the other network chapters on Figure 6's networks: the plateau test
    and the inclusion rule at the train-accuracy threshold of the selection."""
    return verdicts.gate(r.network_metrics, r.params.net_fit_threshold)


def recovery(networks: pd.DataFrame) -> dict:
    """Per-network relative error of the estimate to h/4 (equivalently of lambda_hat = alpha m to
    h m/4): median, range and n; the median ratio and its range."""
    ok = estimated(networks)
    err = ok["rel. error"].to_numpy(float) if len(ok) else np.array([])
    ratio = ok["ratio alpha/(h/4)"].to_numpy(float) if len(ok) else np.array([])
    nan = float("nan")
    return {
        "n": int(err.size),
        "median error": float(np.median(err)) if err.size else nan,
        "min error": float(err.min()) if err.size else nan,
        "max error": float(err.max()) if err.size else nan,
        "median ratio": float(np.median(ratio)) if ratio.size else nan,
        "min ratio": float(ratio.min()) if ratio.size else nan,
        "max ratio": float(ratio.max()) if ratio.size else nan,
    }


def network_rows(r: Results) -> list[Claim]:
    p = r.params
    nets = r.networks
    ok = estimated(nets)
    n_all, n_ex = len(nets), int(nets["status"].astype(str).str.startswith("excluded").sum()) if len(nets) else 0
    note = (
        f"{r.network_source}; tanh MLP {list(p.net_hidden)}, SGD batch {p.net_batch}, {p.net_epochs} epochs, "
        f"h in {{{', '.join(f'{h:g}' for h in p.net_hs)}}} x {len(p.net_seeds)} seeds; {n_ex} of {n_all} runs "
        f"excluded (train accuracy below {p.net_fit_threshold:g}); {p.net_probes} probe steps on "
        f"{p.net_probe_n} digits, RK4 in {p.net_rk4_substeps} substeps"
    )
    d_rise = DECLARED["08.networks-alpha-rises-with-h"]
    if len(ok) >= d_rise.test.min_n:
        rise = verdicts.trend(
            ok["h"], ok["alpha"], d_rise.test.sign, x_name="h", y_name="alpha_hat", test=_rank(d_rise)
        )
    else:
        rise = verdicts.inconclusive(
            "trend", f"{len(ok)} estimated networks (at least {d_rise.test.min_n} needed)", n=len(ok)
        )
    d_rec = DECLARED["08.networks-alpha-is-h-over-4"]
    rec = recovery(nets)
    if rec["n"] >= d_rec.test.min_n:
        agree = verdicts.agreement(
            rec["median ratio"],
            1.0,
            rel_tol=d_rec.test.smallest_effect,
            what=f"median alpha_hat/(h/4) = median lambda_hat/(h m/4) over {rec['n']} networks",
            n=rec["n"],
            uncertainty=(
                f"range {rec['min ratio']:.3g}-{rec['max ratio']:.3g}; relative error median "
                f"{rec['median error']:.3g}, range {rec['min error']:.3g}-{rec['max error']:.3g}"
            ),
        )
    else:
        agree = verdicts.inconclusive("agreement", f"{rec['n']} estimated networks", n=rec["n"])
    d_ord = DECLARED["08.networks-error-order-h"]
    slope, se, n_h, med = error_order(nets)
    ratio_edge = ok["h lambda_max / 2"] if len(ok) else pd.Series(dtype=float)
    order = verdicts.order([slope], [se], 1.0, n_h, tol=d_ord.test["tol"], labels=["median |alpha_hat/(h/4) - 1| vs h"])
    g = network_gate(r)
    rows = [
        d_rise.row(rise, note),
        d_rec.row(agree, note),
        d_ord.row(
            order,
            f"{note}; h lambda_max / 2 at the checkpoints {ratio_edge.min():.2g}-{ratio_edge.max():.2g} "
            "(the expansion parameter of the O(h) term)"
            if len(ratio_edge)
            else note,
        ),
    ]
    sel = nets[nets["status"] == "estimated"] if len(nets) else nets
    for cid, col in (("08.networks-rig-falls-with-h", C.R_IG), ("08.networks-acc-rises-with-h", C.TEST_ACC)):
        d = DECLARED[cid]
        v = verdicts.gated(
            g,
            lambda k, d=d, col=col: verdicts.trend(k["h"], k[col], d.test.sign, x_name="h", y_name=col, test=_rank(d)),
            sel,
            d.test.min_n,
            d.test.rule,
        )
        rows.append(d.row(v, f"{note}; gates: {g.summary()}"))
    return rows


# ------------------------------------------------------------------ Figure 5


def facet_name(depth: int, width: int) -> str:
    return f"depth {int(depth)}, width {int(width)}"


def explained_share(df: pd.DataFrame) -> str:
    """'k of n fits explain the gradient; the best explains x%' for a row and the figure."""
    res = df["relative residual"].astype(float)
    k = int(sum(verdicts.explained(x) for x in res))
    return f"{k} of {len(df)} fits explain the gradient (the best explains {100 * (1 - res.min()):.1f}%)"


def _explained_trend(df: pd.DataFrame, x: str, sign: int, d, what: str) -> verdicts.Verdict:
    ok = df[[verdicts.explained(v) for v in df["relative residual"]]]
    if len(ok) < d.test.min_n:
        res = df["relative residual"].astype(float)
        return verdicts.inconclusive(
            "trend",
            f"{what}: {len(ok)} of {len(df)} ridge fits explain the gradient (relative residuals {res.min():.3g}-"
            f"{res.max():.3g}, the gate is {verdicts.EXPLAINED_RESIDUAL:g}); the best explains "
            f"{100 * (1 - res.min()):.1f}% of it",
            measured=f"{len(ok)} explained fits",
            expected="increasing (rho > 0)" if sign > 0 else "decreasing (rho < 0)",
            n=len(ok),
        )
    return verdicts.trend(ok[x], ok["estimated ridge"], sign, x_name=x, y_name="estimated ridge", test=_rank(d))


def dropout_rows(r: Results) -> list[Claim]:
    p, df, chk = r.params, r.dropout, r.dropout_check
    facets = list(df.groupby(["depth", "width"], sort=True))
    note = (
        f"ReLU MLPs on {p.dropout_n} digits, full-batch GD {p.dropout_steps} steps, {len(p.dropout_seeds)} seeds, "
        f"rates {', '.join(f'{x:g}' for x in p.dropout_rates)}; {explained_share(df)}"
    )
    d_each = DECLARED["08.dropout-rises-every-architecture"]
    each = verdicts.combine(
        [_explained_trend(g, "dropout rate", d_each.test.sign, d_each, facet_name(*k)) for k, g in facets],
        [facet_name(*k) for k, _ in facets],
    )
    d_pool = DECLARED["08.dropout-rises-pooled"]
    pooled = _explained_trend(df, "dropout rate", d_pool.test.sign, d_pool, "pooled")
    d_wide = DECLARED["08.dropout-smaller-for-wider"]
    wide = _explained_trend(df[df["dropout rate"] > 0], "width", d_wide.test.sign, d_wide, "rate > 0")
    d_chk = DECLARED["08.dropout-known-ridge-check"]
    parts = []
    for k, g in chk.groupby(["depth", "width"], sort=True):
        ratio = float(np.median(g["estimated ridge"] / g["true ridge"]))
        res = float(np.median(g["relative residual"]))
        parts.append(
            verdicts.agreement(
                ratio,
                1.0,
                rel_tol=d_chk.test.smallest_effect,
                what=f"{facet_name(*k)}: estimated/true ridge (true {g['true ridge'].iloc[0]:.3g})",
                n=len(g),
            )
        )
        parts.append(
            verdicts.bound([res], verdicts.EXPLAINED_RESIDUAL, what=f"{facet_name(*k)}: median relative residual")
        )
    labels = [
        f"{facet_name(*k)} {w}" for k, _ in chk.groupby(["depth", "width"], sort=True) for w in ("ratio", "resid")
    ]
    check = verdicts.combine(parts, labels)
    return [
        d_each.row(each, note),
        d_pool.row(pooled, note),
        d_wide.row(wide, note),
        d_chk.row(check, f"{len(chk)} networks with rate 0 and the explicit ridge; {explained_share(chk)}"),
    ]


# ------------------------------------------------------------------ Figures 4D and 7


def variable_curve(ols_variable: pd.DataFrame) -> pd.DataFrame:
    """Median (over pools) relative error of Q at each number of endpoints."""
    return ols_variable.groupby("endpoints")["relative error of Q"].median().reset_index()


def ols_rows(r: Results) -> list[Claim]:
    p = r.params
    d4 = DECLARED["08.ols-variable-stop-falls-steeply"]
    cur = variable_curve(r.ols_variable)
    first, last = float(cur["relative error of Q"].iloc[0]), float(cur["relative error of Q"].iloc[-1])
    v4 = verdicts.combine(
        [
            verdicts.trend(
                cur["endpoints"],
                cur["relative error of Q"],
                d4.test.sign,
                x_name="endpoints",
                y_name="median error",
                test=_rank(d4),
            ),
            verdicts.bound(
                [last / first],
                d4.test["max_ratio"],
                what=f"error at {int(cur['endpoints'].iloc[-1])} / at {int(cur['endpoints'].iloc[0])} endpoint(s)",
            ),
        ],
        ["falls", "steeply"],
    )
    ks = r.ols_variable
    n4 = (
        f"d = {p.ols_d}, {p.ols_pools} pools, each endpoint stopped when its loss falls by less than "
        f"{p.ols_plateau_tol:g} (relative) in a step ({int(ks['stop steps (min)'].min())}-"
        f"{int(ks['stop steps (max)'].max())} steps); minimum-norm least squares"
    )
    b, sweep = r.bootstrap, r.bootstrap_noise
    top = int(b["endpoints"].max())
    at_top = b[b["endpoints"] == top]["bootstrap error"]
    multi = b[b["endpoints"] >= p.ols_d].drop_duplicates("endpoints")["multi-dataset error"]
    dw = DECLARED["08.bootstrap-weaker"]
    weaker = verdicts.combine(
        [
            verdicts.at_least(
                float(at_top.median()),
                float(at_top.min()),
                float(at_top.max()),
                dw.test.smallest_effect,
                what=f"bootstrap error at {top} resamples (median over pools)",
                n=len(at_top),
            ),
            verdicts.identity(multi, what="multi-dataset error"),
        ],
        ["bootstrap", "multi-dataset"],
    )
    counts = sorted(b["endpoints"].unique())
    half = counts[-2] if len(counts) > 1 else counts[-1]
    piv = b.pivot_table(index="pool", columns="endpoints", values="bootstrap error")
    ratio = piv[top] / piv[half]
    df_ = DECLARED["08.bootstrap-floor"]
    floor = verdicts.at_least(
        float(ratio.median()),
        float(ratio.min()),
        float(ratio.max()),
        df_.test.smallest_effect,
        what=f"error at {top} / at {half} resamples (median over pools)",
        n=len(ratio),
    )
    dz = DECLARED["08.bootstrap-beats-zero-only-noisy"]
    by = sweep.groupby("sigma")["bootstrap error"]
    lo_s, hi_s = min(sweep["sigma"]), max(sweep["sigma"])
    small = sweep[sweep["sigma"] == lo_s]["bootstrap error"]
    zero = verdicts.combine(
        [
            verdicts.trend(
                sweep["OLS sampling std / |beta|"],
                sweep["bootstrap error"],
                dz.test.sign,
                x_name="sampling std / |beta|",
                y_name="bootstrap error",
                test=_rank(dz),
            ),
            verdicts.at_least(
                float(small.median()),
                float(small.min()),
                float(small.max()),
                1.0,
                what=f"error at sigma = {lo_s:g}",
                n=len(small),
            ),
            verdicts.bound([float(by.median()[hi_s])], 1.0, what=f"median error at sigma = {hi_s:g}"),
        ],
        ["trend", "clean data: no better than zero", "noisy data: beats zero"],
    )
    nb = f"d = {p.ols_d}, n = {p.ols_n}, k = {p.ols_steps}; {p.boot_pools} pools of up to {top} resamples"
    return [
        d4.row(v4, n4),
        dw.row(weaker, f"{nb}; noise {p.boot_noise:g}"),
        df_.row(floor, f"{nb}; noise {p.boot_noise:g}"),
        dz.row(zero, f"{nb}; sigma in {{{', '.join(f'{s:g}' for s in p.boot_sigmas)}}}"),
    ]


def claims(r: Results) -> list[Claim]:
    return [*ols_rows(r), *dropout_rows(r), *network_rows(r)]


def facts(r: Results) -> dict:
    rec = recovery(r.networks)
    slope, se, n_h, _ = error_order(r.networks)
    nets = r.networks
    cur = variable_curve(r.ols_variable)
    return {
        "net_n": rec["n"],
        "net_median_err": rec["median error"],
        "net_min_err": rec["min error"],
        "net_max_err": rec["max error"],
        "net_median_ratio": rec["median ratio"],
        "net_slope": slope,
        "net_slope_se": se,
        "net_excluded": int(nets["status"].astype(str).str.startswith("excluded").sum()) if len(nets) else 0,
        "net_total": len(nets),
        "dropout_share": explained_share(r.dropout),
        "check_share": explained_share(r.dropout_check),
        "ols_var_first": float(cur["relative error of Q"].iloc[0]),
        "ols_var_last": float(cur["relative error of Q"].iloc[-1]),
        "boot_floor": float(
            r.bootstrap[r.bootstrap["endpoints"] == r.bootstrap["endpoints"].max()]["bootstrap error"].median()
        ),
    }


def main(argv=None) -> int:
    """Print Figure 6's per-network relative error of the estimate to h/4 (= lambda_hat to h m/4)
    from the stored results of a profile: median, range and n, and one line per network."""
    import argparse

    from igr_core._src import store
    from igr_core.experiments import registry

    ap = argparse.ArgumentParser(prog="python -m igr_core.experiments.estimation.figure_rows")
    ap.add_argument("--profile", default="paper")
    args = ap.parse_args(argv)
    chapter = registry.get("08_estimation")
    params = chapter.resolve(args.profile)
    got = store.read(chapter, store.entry_dir(store.results_dir(args.profile), chapter, params))
    if got is None:
        print(f"no stored chapter-08 results at the {args.profile} profile")
        return 1
    r = got.results
    rec = recovery(r.networks)
    cols = ["h", "seed", "status", C.TEST_ACC, "h lambda_max / 2", "alpha", "h/4", "rel. error", "fit residual"]
    print(r.networks[[c for c in cols if c in r.networks]].to_string(index=False))
    print(
        f"relative error of alpha_hat to h/4 (= lambda_hat to h m/4), per network: median {rec['median error']:.3g}, "
        f"range {rec['min error']:.3g}-{rec['max error']:.3g}, n = {rec['n']} ({args.profile} profile)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
