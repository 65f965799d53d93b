"""Chapter 05's verdict rows, one function per group, behind the adequacy gates."""

from __future__ import annotations

import numpy as np
import pandas as pd

from igr_core._src import columns as C
from igr_core._src import selection, verdicts
from igr_core._src.models import mlp_num_params
from igr_core._src.verdicts import Claim
from igr_core.experiments.mnist.params import (
    Results,
)

DECLARED = verdicts.declarations.chapter("05_mnist")  # every row's words, kind and test (igr_core/declarations)


def _rank(d) -> verdicts.RankTest:
    """The rank test of declaration ``d``: its level and the smallest rho it calls meaningful."""
    return verdicts.RankTest(alpha=d.test.alpha, meaningful=d.test.smallest_effect)


def _trend(df: pd.DataFrame, x: str, y: str, d) -> verdicts.Verdict:
    """Declaration ``d``'s trend of ``y`` in ``x`` (its expected sign and smallest effect)."""
    return verdicts.trend(df[x], df[y], d.test.sign, x_name=x, y_name=y, test=_rank(d))


def _per_group(df: pd.DataFrame, by: str, x: str, y: str, d) -> verdicts.Verdict:
    groups = [(k, g) for k, g in df.groupby(by)]
    return verdicts.combine([_trend(g, x, y, d) for _, g in groups], [f"{by}={k}" for k, _ in groups])


def noise_tables(noise: pd.DataFrame, sigmas) -> tuple[float, pd.DataFrame, pd.DataFrame]:
    """(sigma_mid, rows at sigma = 0, rows at sigma_mid) of the noise summary."""
    sig_mid = float(sorted(sigmas)[len(sigmas) // 2])
    return sig_mid, noise[noise["sigma"] == 0.0], noise[np.isclose(noise["sigma"], sig_mid)]


def _missing(what: str) -> verdicts.Verdict:
    return verdicts.inconclusive("trend", f"the {what} is not in the cached results of this profile (not trained here)")


def min_networks() -> int:
    """The fewest gated networks a rank row of the main grid is decided on (the declarations' min_n)."""
    return min(d.test.min_n for d in DECLARED.values() if d.test.min_n is not None)


def adequacy(r: Results) -> verdicts.Gate:
    """The gates of the rows at the time of maximum test accuracy: every network of the main grid
    on its plateau and reaching ``train_acc_threshold`` at its time of maximum test accuracy, the
    inclusion rule as the selection applies it (``r.status["fits"]``), so that the gates' counts, the
    networks compared and the page's "of N networks, k fit" are one count."""
    g = verdicts.gate(r.sweep.metrics, r.params.train_acc_threshold)
    if not len(g.table):
        return g
    keys = [k for k in g.keys if k in r.status.columns]
    at_sel = g.table[keys].merge(r.status[[*keys, "train acc at selection"]], on=keys, how="left")
    t = g.table.assign(**{"max train acc": at_sel["train acc at selection"].to_numpy(float)})
    t["fits"] = (t["max train acc"] >= r.params.train_acc_threshold - 1e-9).astype(bool)
    t["kept"] = ~t[C.DIVERGED].astype(bool) & t["plateau"] & t["fits"]
    return g._replace(table=t)


def fixed_step_gate(r: Results) -> verdicts.Gate:
    """The inclusion rule of the fixed-iteration rows (Figs. A.3, A.4): the paper leaves out "models
    with excessively small learning rates, which fail to solve the task"; no plateau test (the rows
    are about one step, not the end of training)."""
    m = r.sweep.metrics
    return verdicts.gate(m[m["width"] == r.params.noise_width], r.params.train_acc_threshold, plateau=False)


def shortfall(r: Results) -> str:
    g = adequacy(r)
    return "" if g.n_kept >= min_networks() else "; ".join(g.reasons())


def _gated(g: verdicts.Gate, df: pd.DataFrame, x: str, y: str, d) -> verdicts.Verdict:
    return verdicts.gated(g, lambda sel: _trend(sel, x, y, d), df, d.test.min_n)


def _gated_groups(g: verdicts.Gate, df: pd.DataFrame, by: str, x: str, y: str, d) -> verdicts.Verdict:
    return verdicts.gated(g, lambda sel: _per_group(sel, by, x, y, d), df, d.test.min_n)


def width_rows(r: Results) -> list[Claim]:
    """Does a wider network (larger lambda = h m / 4 at the same h) end with smaller R_IG and
    higher test accuracy? Per h, pooled over seeds; beside it the un-normalized ||grad E||^2
    = m R_IG, which does not carry the 1/m that R_IG has by definition."""
    g = adequacy(r)
    sel = r.selected.assign(**{"||grad E||^2": r.selected[C.R_IG] * r.selected["m"]})
    d1, d2, d3 = (DECLARED[k] for k in ("05.width-rig", "05.width-grad-norm", "05.width-test-acc"))
    return [
        d1.row(
            _gated_groups(g, sel, "h", "width", C.R_IG, d1),
            "per h, pooled over seeds; partly definitional: R_IG = ||grad E||^2 / m falls with m by itself, "
            "the next row tests the part that is not",
        ),
        d2.row(_gated_groups(g, sel, "h", "width", "||grad E||^2", d2), "per h, pooled over seeds"),
        d3.row(_gated_groups(g, sel, "h", "width", C.TEST_ACC, d3), "per h, pooled over seeds"),
    ]


def control_rows(r: Results) -> list[Claim]:
    """Which of lambda and R_IG carries the effect on test accuracy (partial rank correlations)."""
    g = adequacy(r)
    sel = g.keep(r.selected)
    scale = f"{r.data_source}; {len(sel)} networks that pass the gates ({g.summary()})"
    d1, d2 = DECLARED["05.partial-rig"], DECLARED["05.partial-lambda"]
    return [
        d1.row(
            verdicts.partial_trend(
                sel[C.R_IG],
                sel[C.TEST_ACC],
                sel["lambda"],
                d1.test.sign,
                x_name=C.R_IG,
                y_name=C.TEST_ACC,
                z_name="lambda",
                test=_rank(d1),
            ),
            scale,
        ),
        d2.row(
            verdicts.partial_trend(
                sel["lambda"],
                sel[C.TEST_ACC],
                sel[C.R_IG],
                d2.test.sign,
                x_name="lambda",
                y_name=C.TEST_ACC,
                z_name=C.R_IG,
                test=_rank(d2),
            ),
            scale,
        ),
    ]


def at_fixed_step(r: Results) -> pd.DataFrame:
    """Figures A.3 and A.4 (fixed iteration): the networks of width ``noise_width`` (the paper's
    n_l = 400) that did not diverge, at the last step every one of them reached, with the
    training ratios R_IG / E and lambda R_IG / E (Fig. A.3c) and the test ratio (Fig. A.4c)."""
    m = r.sweep.metrics
    m = m[m["width"] == r.params.noise_width]
    alive = m.groupby(["h", "seed"])[C.DIVERGED].transform("max") == 0
    m = m[alive]
    if m.empty:
        return m.assign(**{"R_IG / E": [], "lambda R_IG / E": [], "test R_IG / test E": []})
    last = int(m.groupby(["h", "seed"])["step"].max().min())
    out = selection.select_at_step(m, last)
    out["R_IG / E"] = out[C.R_IG] / out[C.TRAIN_E]
    out["lambda R_IG / E"] = out["lambda"] * out["R_IG / E"]
    out["test R_IG / test E"] = out[C.TEST_R_IG] / out[C.TEST_E]
    return out


def fixed_step_rows(r: Results) -> list[Claim]:
    """Figures A.3c and A.4c: lambda R_IG / E (training data) and R_IG / E (test data) after a
    fixed number of iterations, on the networks that solve the task (the inclusion rule)."""
    p = r.params
    fixed = at_fixed_step(r)
    g = fixed_step_gate(r)
    kept = g.keep(fixed) if len(fixed) else fixed
    d1, d2 = DECLARED["05.fixed-step-ratio"], DECLARED["05.fixed-step-test-ratio"]
    if not len(fixed):
        return [d.row(_missing("main grid at this width")) for d in (d1, d2)]
    note = (
        f"n_l = {p.noise_width}, step {int(fixed['step'].max())} (the last every network reached); "
        f"{len(kept)} of {len(fixed)} networks reach train accuracy {p.train_acc_threshold:g} (the others are left out)"
    )
    return [
        d1.row(verdicts.gated(g, lambda sel: _trend(sel, "h", "lambda R_IG / E", d1), fixed, d1.test.min_n), note),
        d2.row(verdicts.gated(g, lambda sel: _trend(sel, "h", "test R_IG / test E", d2), fixed, d2.test.min_n), note),
    ]


def _curves(r: Results) -> list[pd.DataFrame]:
    """The training curves of width ``noise_width`` whose networks pass the inclusion rule, one
    frame per network, sorted by step (step 0 included)."""
    m = r.sweep.metrics
    m = m[m["width"] == r.params.noise_width]
    if not len(m):
        return []
    kept = fixed_step_gate(r).keep(m)
    return [c.sort_values("step") for _, c in kept.groupby(["h", "seed"])]


def _dip(c: pd.DataFrame, col: str, factor: float) -> float:
    """Figure A.4a, b: min(first, last) / min - ``factor`` over the evaluations after step 0
    (positive: the curve has an interior minimum and lies ``factor`` above it at both ends)."""
    y = c.loc[c["step"] > 0, col].to_numpy(float)
    if y.size < 3:
        return float("nan")
    low = float(np.min(y))
    return float(min(y[0], y[-1]) / max(low, 1e-300)) - factor


def _peak(c: pd.DataFrame, share: float, smallest: float, slight: float) -> float:
    """Figure A.4d: over means of windows of ``share`` of the evaluations (at least 3), the least of
    (rise to the peak), (fall after it - ``smallest``) and (``slight`` - fall); positive when test
    accuracy rises to an interior maximum, then falls by at least ``smallest`` and at most ``slight``."""
    a = c[C.TEST_ACC].to_numpy(float)
    w = max(3, int(round(share * a.size)))
    if a.size < 2 * w:
        return float("nan")
    means = np.convolve(a, np.ones(w) / w, mode="valid")
    peak = float(np.max(means))
    fall = peak - float(means[-1])
    return min(peak - float(means[0]), fall - smallest, slight - fall)


def _plateau_step(c: pd.DataFrame, col: str, share: float) -> float:
    """The first step from which log ``col`` stays within ``share`` of its total change (step 0 to
    the last evaluation) of its last value, as a share of the steps trained."""
    steps = c["step"].to_numpy(float)
    y = np.log(np.maximum(c[col].to_numpy(float), 1e-300))
    far = np.abs(y - y[-1]) > share * abs(y[-1] - y[0])
    k = int(np.nonzero(far)[0][-1]) + 1 if far.any() else 0
    return float(steps[min(k, steps.size - 1)] / max(steps[-1], 1.0))


def training_rows(r: Results) -> list[Claim]:
    """Figures A.3 and A.4 during training (width noise_width, networks that solve the task):
    E and R_IG fall (A.3a, b), the parameter norm's growth slows (A.3d) and it settles before
    the training loss does (A.3d), test E and test R_IG dip then rise (A.4a, b), test accuracy
    peaks then falls slightly (A.4d). One value per network, decided by the sign rule over the
    networks."""
    p = r.params
    curves = _curves(r)
    n = len(curves)
    base = f"n_l = {p.noise_width}; {n} networks that reach train accuracy {p.train_acc_threshold:g}"
    rows = []
    for key, col in (("05.train-loss-falls", C.TRAIN_E), ("05.rig-falls", C.R_IG)):
        d = DECLARED[key]
        values = [_late_minus_early(c, col) for c in curves]
        rows.append(
            d.row(
                verdicts.sign(values, d.test.sign, scale=1.0, dtype="float32", what=f"relative change of {col}"),
                f"{base}; per network, (mean of the last quarter of the evaluations - mean of the first quarter, "
                "after step 0) / |first|",
            )
        )
    d = DECLARED["05.norm-growth-slows"]
    rows.append(
        d.row(
            verdicts.sign(
                [_norm_growth_slows(c) for c in curves],
                d.test.sign,
                scale=1.0,
                dtype="float32",
                what="relative change of the growth of ||theta|| per step",
            ),
            f"{base}; (growth per step in the last quarter - in the first quarter) / |first|",
        )
    )
    d = DECLARED["05.norm-plateaus-before-loss"]
    share = d.test["plateau_share"]
    rows.append(
        d.row(
            verdicts.sign(
                [_plateau_step(c, C.TRAIN_E, share) - _plateau_step(c, C.THETA_NORM, share) for c in curves],
                d.test.sign,
                scale=1.0,
                dtype="float32",
                what="plateau step of E - of ||theta|| (share of the steps)",
            ),
            f"{base}; a curve's plateau step: the first evaluation from which log y stays within {share:g} of "
            "its total change of its last value",
        )
    )
    for key, col in (("05.test-loss-dips", C.TEST_E), ("05.test-rig-dips", C.TEST_R_IG)):
        d = DECLARED[key]
        factor = d.test["rise_factor"]
        rows.append(
            d.row(
                verdicts.sign(
                    [_dip(c, col, factor) for c in curves],
                    d.test.sign,
                    scale=1.0,
                    dtype="float32",
                    what=f"min(first, last)/min of {col} - {factor:g}",
                ),
                f"{base}; the evaluations after step 0",
            )
        )
    d = DECLARED["05.test-acc-peaks"]
    share, slight, smallest = d.test["window_share"], d.test["slight_at_most"], d.test.smallest_effect
    rows.append(
        d.row(
            verdicts.sign(
                [_peak(c, share, smallest, slight) for c in curves],
                d.test.sign,
                scale=1.0,
                dtype="float32",
                what=f"least of rise, fall - {smallest:g}, {slight:g} - fall (window means of test acc)",
            ),
            f"{base}; windows of {share:.0%} of the evaluations; a fall counts from {smallest:g} to {slight:g}",
        )
    )
    return rows


def _quarters(c: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    c = c[c["step"] > 0].sort_values("step")
    q = max(1, len(c) // 4)
    return c.iloc[:q], c.iloc[-q:]


def _late_minus_early(c: pd.DataFrame, col: str) -> float:
    early, late = _quarters(c)
    first = float(early[col].mean())
    return float(late[col].mean() - first) / max(abs(first), 1e-300)


def _norm_growth_slows(c: pd.DataFrame) -> float:
    early, late = _quarters(c)

    def rate(d):
        return float(
            (d[C.THETA_NORM].iloc[-1] - d[C.THETA_NORM].iloc[0]) / max(d["step"].iloc[-1] - d["step"].iloc[0], 1)
        )

    first = rate(early)
    return (rate(late) - first) / max(abs(first), 1e-300)


def claims(r: Results) -> list[Claim]:
    """Chapter 05's ledger rows: each evaluates its declaration (igr_core/declarations/05_mnist.yml)."""
    p = r.params
    D = DECLARED
    noise = r.noise if r.noise is not None else pd.DataFrame(columns=["h", "sigma", "slope_mean", "acc_mean"])
    sig_mid, at0, atm = noise_tables(noise, p.sigmas)
    g = adequacy(r)

    def noise_or_missing(v: verdicts.Verdict) -> verdicts.Verdict:  # a noise-study verdict, or why it is missing
        return v if r.noise is not None else _missing("noise study")

    scale = f"{r.data_source}; {len(r.selected)} networks that fit, of {len(r.status)}; gates: {g.summary()}"
    fb_note = (
        f"{p.full_batch_steps} full-batch steps, n_l = {p.full_batch_width}, {r.full_batch_n_train} digits "
        "(no plateau gate: the full-batch curves are not in the stored results)"
    )
    reached = sorted(r.at_time["h"].unique()) if len(r.at_time) else []
    time_note = (
        f"T = {p.fixed_time:g}: reached by {len(reached)} of {len(p.learning_rates)} learning rates "
        f"(h >= {min(reached):g}) on these {r.n_train} digits; {len(r.at_time)} networks"
        if reached
        else f"T = {p.fixed_time:g}: no learning rate reaches it"
    )
    shown = set(r.batch["batch_size"].unique()) if len(r.batch) else set()
    dropped = [b for b in (p.batch_size, *p.batch_sizes) if b not in shown]
    batch_note = (
        f"n_l = {p.batch_width}"
        + (
            f"; batch size {', '.join(map(str, dropped))}: no network reaches train accuracy >= "
            f"{p.train_acc_threshold:g} at its max test accuracy, so it drops out"
            if dropped
            else ""
        )
        + "; no plateau gate for the other batch sizes (their curves are not in the stored results)"
    )
    sel = r.selected.assign(**{"||grad E||^2": r.selected[C.R_IG] * r.selected["m"]})
    matched = r.matched.assign(**{"||grad E||^2": r.matched[C.R_IG] * r.matched["m"]})
    at_time = r.at_time
    return (
        width_rows(r)
        + control_rows(r)
        + [
            D["05.rig-falls-with-lambda"].row(
                _gated(g, sel, "lambda", C.R_IG, D["05.rig-falls-with-lambda"]),
                scale + "; lambda = h m/4 and R_IG = ||grad E||^2/m share m, so part of this trend is definitional: "
                "the next row tests the rest",
            ),
            D["05.grad-norm-falls-with-h"].row(
                _gated(g, sel, "h", "||grad E||^2", D["05.grad-norm-falls-with-h"]), scale
            ),
            D["05.test-acc-rises-with-lambda"].row(
                _gated(g, r.selected, "lambda", C.TEST_ACC, D["05.test-acc-rises-with-lambda"]), scale
            ),
            D["05.rig-falls-with-h-per-width"].row(
                _gated_groups(g, r.selected, "width", "h", C.R_IG, D["05.rig-falls-with-h-per-width"]), scale
            ),
            D["05.test-acc-rises-with-h-per-width"].row(
                _gated_groups(g, r.selected, "width", "h", C.TEST_ACC, D["05.test-acc-rises-with-h-per-width"]),
                scale,
            ),
            D["05.test-error-tracks-rig"].row(
                _gated(g, r.selected, C.R_IG, "test error", D["05.test-error-tracks-rig"]), scale
            ),
            D["05.ratio-at-max-acc-falls-with-lambda"].row(
                _gated(g, r.selected, "lambda", "R_IG / E", D["05.ratio-at-max-acc-falls-with-lambda"]), scale
            ),
            D["05.fixed-time-ratio"].row(_trend(at_time, "h", "R_IG / E", D["05.fixed-time-ratio"]), time_note),
            D["05.fixed-time-rig"].row(_trend(at_time, "h", C.R_IG, D["05.fixed-time-rig"]), time_note),
            D["05.fixed-time-loss"].row(_trend(at_time, "h", C.TRAIN_E, D["05.fixed-time-loss"]), time_note),
        ]
        + fixed_step_rows(r)
        + training_rows(r)
        + [
            D["05.batch-sizes"].row(_per_group(r.batch, "batch_size", "h", C.R_IG, D["05.batch-sizes"]), batch_note),
            D["05.full-batch"].row(
                _trend(r.full_batch, "h", C.R_IG, D["05.full-batch"])
                if r.full_batch is not None
                else _missing("full-batch run"),
                fb_note,
            ),
            D["05.slope-falls-with-h"].row(
                noise_or_missing(_trend(at0, "h", "slope_mean", D["05.slope-falls-with-h"])), f"n_l = {p.noise_width}"
            ),
            D["05.slope-stays-small-under-noise"].row(
                noise_or_missing(_trend(atm, "h", "slope_mean", D["05.slope-stays-small-under-noise"])),
                f"sigma = {sig_mid:g}",
            ),
            D["05.robust-under-noise"].row(
                noise_or_missing(_trend(atm, "h", "acc_mean", D["05.robust-under-noise"])), f"sigma = {sig_mid:g}"
            ),
            D["05.rig-tracks-train-loss"].row(
                _gated(g, r.selected, C.TRAIN_E, C.R_IG, D["05.rig-tracks-train-loss"]), scale
            ),
            D["05.matched-loss"].row(
                _trend(matched, "h", "||grad E||^2", D["05.matched-loss"]),
                f"first evaluation with E < {p.matched_train_loss:g}; x = h and y = m R_IG, so that no factor m is "
                "shared",
            ),
            D["05.lambda-ratio-falls-with-lambda"].row(
                _gated(g, r.selected, "lambda", "lambda R_IG / E", D["05.lambda-ratio-falls-with-lambda"]), scale
            ),
        ]
    )


def facts(r: Results) -> dict:
    return {
        "m400": mlp_num_params(784, [400] * 5, 10),
        "n_networks": int(len(r.status)),
        "n_fit": int(r.status["fits"].sum()),
        "n_diverged": int(r.status[C.DIVERGED].sum()),
        "n_compared": int(len(adequacy(r).keep(r.selected))),
        "data_source": r.data_source,
        "missing": ", ".join(r.missing) or "none",
        "gates": adequacy(r).summary(),
        "shortfall": shortfall(r),
    }
