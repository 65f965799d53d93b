"""Chapter 05's verdict rows, one function per group, behind the adequacy gates."""

from __future__ import annotations

import numpy as np
import pandas as pd

from igr_core._src import selection, verdicts
from igr_core._src.models import mlp_num_params
from igr_core._src.verdicts import Claim
from igr_core.experiments.mnist.params import (
    Results,
)


def _trend(df: pd.DataFrame, x: str, y: str, sign: int) -> verdicts.Verdict:
    return verdicts.trend(df[x], df[y], sign, x_name=x, y_name=y)


def _per_group(df: pd.DataFrame, by: str, x: str, y: str, sign: int) -> verdicts.Verdict:
    groups = [(k, g) for k, g in df.groupby(by)]
    return verdicts.combine([_trend(g, x, y, sign) for _, g in groups], [f"{by}={k}" for k, _ in groups])


def noise_tables(noise: pd.DataFrame, sigmas) -> tuple[float, pd.DataFrame, pd.DataFrame]:
    """(sigma_mid, rows at sigma = 0, rows at sigma_mid) of the noise summary."""
    sig_mid = float(sorted(sigmas)[len(sigmas) // 2])
    return sig_mid, noise[noise["sigma"] == 0.0], noise[np.isclose(noise["sigma"], sig_mid)]


def _missing(what: str) -> verdicts.Verdict:
    return verdicts.inconclusive("trend", f"the {what} is not in the cached results of this profile (not trained here)")


def at_fixed_step(r: Results) -> pd.DataFrame:
    """Figures A.3 and A.4 (fixed iteration): the networks of width ``noise_width`` (the paper's
    n_l = 400) that did not diverge, at the last step every one of them reached, with the
    training and test ratios R_IG / E."""
    m = r.sweep.metrics
    m = m[m["width"] == r.params.noise_width]
    alive = m.groupby(["h", "seed"])["diverged"].transform("max") == 0
    m = m[alive]
    if m.empty:
        return m.assign(**{"R_IG / E": [], "test R_IG / test E": []})
    last = int(m.groupby(["h", "seed"])["step"].max().min())
    out = selection.select_at_step(m, last)
    out["R_IG / E"] = out["R_IG"] / out["train E"]
    out["test R_IG / test E"] = out["test R_IG"] / out["test E"]
    return out


MIN_NETWORKS = 5  # a rank trend needs 5 networks for its smallest p-value to pass alpha (2/5! < 0.05)


def adequacy(r: Results) -> verdicts.Gate:
    """The gates of the rows at the time of maximum test accuracy: every network of the main grid
    on its plateau and reaching ``train_acc_threshold`` (the selection applies it too)."""
    return verdicts.gate(r.sweep.metrics, r.params.train_acc_threshold)


def fixed_step_gate(r: Results) -> verdicts.Gate:
    """The inclusion rule of the fixed-iteration rows (Figs. A.3, A.4): the paper leaves out "models
    with excessively small learning rates, which fail to solve the task"; no plateau test (the rows
    are about one step, not the end of training)."""
    m = r.sweep.metrics
    return verdicts.gate(m[m["width"] == r.params.noise_width], r.params.train_acc_threshold, plateau=False)


def shortfall(r: Results) -> str:
    g = adequacy(r)
    return "" if g.n_kept >= MIN_NETWORKS else "; ".join(g.reasons())


def _gated(g: verdicts.Gate, df: pd.DataFrame, x: str, y: str, sign: int) -> verdicts.Verdict:
    return verdicts.gated(g, lambda d: _trend(d, x, y, sign), df, MIN_NETWORKS)


def _gated_groups(g: verdicts.Gate, df: pd.DataFrame, by: str, x: str, y: str, sign: int) -> verdicts.Verdict:
    return verdicts.gated(g, lambda d: _per_group(d, by, x, y, sign), df, MIN_NETWORKS)


def width_rows(r: Results) -> list[Claim]:
    """Does a wider network (larger lambda = h m / 4 at the same h) end with smaller R_IG and
    higher test accuracy? Per h, pooled over seeds; beside it the un-normalized ||grad E||^2
    = m R_IG, which does not carry the 1/m that R_IG has by definition."""
    g = adequacy(r)
    sel = r.selected.assign(**{"||grad E||^2": r.selected["R_IG"] * r.selected["m"]})
    return [
        Claim(
            "At a fixed learning rate, wider networks (larger lambda = h m/4) end with smaller R_IG",
            "Eq. 3 with Prediction 2.1, Figs. 2a, A.6",
            _gated_groups(g, sel, "h", "width", "R_IG", -1),
            "per h, pooled over seeds; partly definitional: R_IG = ||grad E||^2 / m falls with m by itself, "
            "the next row tests the part that is not",
        ),
        Claim(
            "... and with smaller un-normalized ||grad E||^2 = m R_IG",
            "this companion's control of the 1/m",
            _gated_groups(g, sel, "h", "width", "||grad E||^2", -1),
            "per h, pooled over seeds",
            kind=verdicts.HYPOTHESIS,
        ),
        Claim(
            "At a fixed learning rate, wider networks reach a higher maximum test accuracy",
            "Eq. 3 with Prediction 2.3, Figs. 2b, A.6",
            _gated_groups(g, sel, "h", "width", "test acc", +1),
            "per h, pooled over seeds",
        ),
    ]


def control_rows(r: Results) -> list[Claim]:
    """Which of lambda and R_IG carries the effect on test accuracy (partial rank correlations)."""
    g = adequacy(r)
    sel = g.keep(r.selected)
    scale = f"{r.data_source}; {len(sel)} networks that pass the gates ({g.summary()})"
    return [
        Claim(
            "(control) Test accuracy falls with R_IG when lambda is held fixed",
            "this companion's control",
            verdicts.partial_trend(
                sel["R_IG"], sel["test acc"], sel["lambda"], -1, x_name="R_IG", y_name="test acc", z_name="lambda"
            ),
            scale,
            kind=verdicts.HYPOTHESIS,
        ),
        Claim(
            "(control) With R_IG held fixed, lambda has no further effect on test accuracy (the paper's chain "
            "lambda -> R_IG -> accuracy predicts none)",
            "this companion's control",
            verdicts.partial_trend(
                sel["lambda"], sel["test acc"], sel["R_IG"], 0, x_name="lambda", y_name="test acc", z_name="R_IG"
            ),
            scale,
            kind=verdicts.HYPOTHESIS,
        ),
    ]


def fixed_step_rows(r: Results) -> list[Claim]:
    """Figures A.3c and A.4c: the ratios R_IG/E after a fixed number of iterations, on the networks
    that solve the task (the inclusion rule)."""
    p = r.params
    fixed = at_fixed_step(r)
    g = fixed_step_gate(r)
    kept = g.keep(fixed) if len(fixed) else fixed
    note = (
        f"n_l = {p.noise_width}, step {int(fixed['step'].max())} (the last every network reached); "
        f"{len(kept)} of {len(fixed)} networks reach train accuracy {p.train_acc_threshold:g} (the others are left out)"
        if len(fixed)
        else ""
    )
    if not len(fixed):
        return [
            Claim(c, ref, _missing("main grid at this width"), "")
            for c, ref in (
                ("After a fixed number of iterations, R_IG/E is smaller for larger h", "Fig. A.3c, Appendix A.5"),
                ("... and so is the test ratio R_IG/E on test data", "Fig. A.4c"),
            )
        ]
    return [
        Claim(
            "After a fixed number of iterations, R_IG/E is smaller for larger h",
            "Fig. A.3c, Appendix A.5",
            verdicts.gated(g, lambda d: _trend(d, "h", "R_IG / E", -1), fixed, MIN_NETWORKS),
            note,
        ),
        Claim(
            "... and so is the test ratio R_IG/E on test data",
            "Fig. A.4c",
            verdicts.gated(g, lambda d: _trend(d, "h", "test R_IG / test E", -1), fixed, MIN_NETWORKS),
            note,
        ),
    ]


def training_rows(r: Results) -> list[Claim]:
    """Figures A.3a, b, d and A.4a, b, d: during training (width noise_width, networks that solve the
    task), R_IG and E fall and the growth of the parameter norm slows. Each is a per-network
    comparison of the first and last quarter of the curve, pooled as a sign test over networks."""
    p = r.params
    m = r.sweep.metrics
    m = m[m["width"] == p.noise_width]
    g = fixed_step_gate(r)
    kept = g.keep(m) if len(m) else m
    rows = []
    for what, col, ref in (
        ("R_IG falls during training", "R_IG", "Fig. A.3a"),
        ("The training loss E falls during training", "train E", "Fig. A.3b"),
        ("R_IG on test data falls during training", "test R_IG", "Fig. A.4a"),
        ("The test loss falls during training", "test E", "Fig. A.4b"),
    ):
        d = [_late_minus_early(c, col) for _, c in kept.groupby(["h", "seed"])] if len(kept) else []
        rows.append(
            Claim(
                what,
                ref,
                verdicts.sign(d, -1, scale=1.0, dtype="float32", what=f"relative change of {col}"),
                f"n_l = {p.noise_width}; per network, (mean of the last quarter of the evaluations - mean of the "
                f"first quarter, after step 0) / |first|; {len(d)} networks that reach train accuracy "
                f"{p.train_acc_threshold:g}",
            )
        )
    growth = [_norm_growth_slows(c) for _, c in kept.groupby(["h", "seed"])] if len(kept) else []
    rows.append(
        Claim(
            "The parameter norm's growth slows during training",
            "Figs. A.3d, A.4d",
            verdicts.sign(
                growth, -1, scale=1.0, dtype="float32", what="relative change of the growth of ||theta|| per step"
            ),
            f"n_l = {p.noise_width}; (growth per step in the last quarter - in the first quarter) / |first|; "
            f"{len(growth)} networks",
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
            (d["||theta||"].iloc[-1] - d["||theta||"].iloc[0]) / max(d["step"].iloc[-1] - d["step"].iloc[0], 1)
        )

    first = rate(early)
    return (rate(late) - first) / max(abs(first), 1e-300)


def claims(r: Results) -> list[Claim]:
    p = r.params
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
    sel = r.selected.assign(**{"||grad E||^2": r.selected["R_IG"] * r.selected["m"]})
    matched = r.matched.assign(**{"||grad E||^2": r.matched["R_IG"] * r.matched["m"]})
    return (
        width_rows(r)
        + control_rows(r)
        + [
            Claim(
                "R_IG at max test accuracy is smaller for larger lambda",
                "Prediction 2.1, Fig. 2a",
                _gated(g, sel, "lambda", "R_IG", -1),
                scale + "; lambda = h m/4 and R_IG = ||grad E||^2/m share m, so part of this trend is definitional: "
                "the next row tests the rest",
            ),
            Claim(
                "... and un-normalized ||grad E||^2 = m R_IG is smaller for larger h",
                "this companion's control of the shared m",
                _gated(g, sel, "h", "||grad E||^2", -1),
                scale,
                kind=verdicts.HYPOTHESIS,
            ),
            Claim(
                "Higher maximum test accuracy for larger lambda",
                "Prediction 2.3, Fig. 2b",
                _gated(g, r.selected, "lambda", "test acc", +1),
                scale,
            ),
            Claim(
                "Within a width, R_IG falls as h grows",
                "Fig. A.6",
                _gated_groups(g, r.selected, "width", "h", "R_IG", -1),
                scale,
            ),
            Claim(
                "Within a width, maximum test accuracy rises with h",
                "Fig. A.6",
                _gated_groups(g, r.selected, "width", "h", "test acc", +1),
                scale,
            ),
            Claim(
                "Test error correlates with R_IG", "Fig. A.6", _gated(g, r.selected, "R_IG", "test error", +1), scale
            ),
            Claim(
                "At fixed physical time, R_IG/E is smaller for larger h",
                "Fig. A.5",
                _trend(r.at_time, "h", "R_IG / E", -1),
                time_note,
            ),
        ]
        + fixed_step_rows(r)
        + training_rows(r)
        + [
            Claim(
                "For every batch size, R_IG at max test accuracy falls as h grows",
                "Fig. A.6 (batch sizes)",
                _per_group(r.batch, "batch_size", "h", "R_IG", -1),
                batch_note,
            ),
            Claim(
                "Full-batch GD: R_IG smaller for larger h",
                "Fig. A.6 (full batch)",
                _trend(r.full_batch, "h", "R_IG", -1) if r.full_batch is not None else _missing("full-batch run"),
                fb_note,
            ),
            Claim(
                "Smaller slope for larger h at max test accuracy",
                "Prediction 2.2, Fig. 3a",
                noise_or_missing(_trend(at0, "h", "slope_mean", -1)),
                f"n_l = {p.noise_width}",
            ),
            Claim(
                "... and the slope stays smaller under noise",
                "Prediction 2.2, Fig. 3a",
                noise_or_missing(_trend(atm, "h", "slope_mean", -1)),
                f"sigma = {sig_mid:g}",
            ),
            Claim(
                "More robust test accuracy under noise for larger h",
                "Prediction 2.4, Fig. 3b",
                noise_or_missing(_trend(atm, "h", "acc_mean", +1)),
                f"sigma = {sig_mid:g}",
            ),
            Claim(
                "(control) R_IG at max test accuracy tracks the training loss",
                "not in the paper",
                _gated(g, r.selected, "train E", "R_IG", +1),
                scale,
                kind=verdicts.HYPOTHESIS,
            ),
            Claim(
                "(control) Prediction 2.1 at matched training loss, on ||grad E||^2 (no 1/m)",
                "Prediction 2.1 with a loss control",
                _trend(matched, "h", "||grad E||^2", -1),
                f"first evaluation with E < {p.matched_train_loss:g}; x = h and y = m R_IG, so that no factor m is "
                "shared",
                kind=verdicts.HYPOTHESIS,
            ),
            Claim(
                "(control) lambda R_IG / E falls with lambda",
                "Fig. A.3c",
                _gated(g, r.selected, "lambda", "lambda R_IG / E", -1),
                scale,
                kind=verdicts.HYPOTHESIS,
            ),
        ]
    )


def facts(r: Results) -> dict:
    return {
        "m400": mlp_num_params(784, [400] * 5, 10),
        "n_networks": int(len(r.status)),
        "n_fit": int(r.status["fits"].sum()),
        "n_diverged": int(r.status["diverged"].sum()),
        "data_source": r.data_source,
        "missing": ", ".join(r.missing) or "none",
        "gates": adequacy(r).summary(),
        "shortfall": shortfall(r),
    }
