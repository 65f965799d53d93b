"""Analysis of sweep results for the deep-network chapters: selections, trends, controls.

Abstraction: input is a sweep's tidy metrics table (:mod:`igr_core.train`); output is small
tables with one row per network (at a chosen stopping time) and trend statistics
(Spearman rho with permutation p-values) that the notebooks turn into verdicts.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from igr_core._src import train as _train
from igr_core._src.models import paper_mlp
from igr_core._src.robustness import noise_study, summarize
from igr_core._src.stats import spearman_permutation, trend_verdict


def at_max_test_accuracy(metrics: pd.DataFrame, train_acc_threshold: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(selected, status): per network that never diverged and reached the training-accuracy
    threshold, the evaluation of maximum test accuracy; and every network's fit status."""
    status = _train.fit_status(metrics, train_acc_threshold)
    sel = _train.select_at_max_test_accuracy(metrics)
    keep = status[status["fits"]][["width", "h", "seed"]]
    sel = sel.merge(keep, on=["width", "h", "seed"])
    sel["lambda R_IG / E"] = sel["lambda"] * sel["R_IG"] / sel["train E"]
    return sel, status


def trend(df: pd.DataFrame, x: str, y: str, expected_sign: int, n_perm: int = 10_000, seed: int = 0) -> dict:
    """Spearman rho of ``y`` against ``x`` with a permutation p-value and a verdict."""
    rho, p, n = spearman_permutation(df[x], df[y], n_perm=n_perm, seed=seed)
    return {"x": x, "y": y, "rho": rho, "p": p, "n": n, "verdict": trend_verdict(rho, p, expected_sign)}


def trend_text(t: dict) -> str:
    if not np.isfinite(t["rho"]):
        return f"rho({t['x']}, {t['y']}) undefined (n = {t['n']})"
    return f"Spearman rho({t['x']}, {t['y']}) = {t['rho']:.2f}, permutation p = {t['p']:.3g}, n = {t['n']}"


def per_width_trends(selected: pd.DataFrame, x: str, y: str, expected_sign: int, n_perm: int = 10_000) -> pd.DataFrame:
    """The same trend within each width (learning rate the only change)."""
    rows = [{"width": w, **trend(g, x, y, expected_sign, n_perm)} for w, g in selected.groupby("width")]
    return pd.DataFrame(rows, columns=["width", "x", "y", "rho", "p", "n", "verdict"])


def matched_loss(metrics: pd.DataFrame, status: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """Networks compared at matched training loss: the first evaluation with E < threshold."""
    sel = _train.select_at_train_loss(metrics, threshold)
    ok = status[~status["diverged"]][["width", "h", "seed"]]
    sel = sel.merge(ok, on=["width", "h", "seed"])
    sel["lambda R_IG / E"] = sel["lambda"] * sel["R_IG"] / sel["train E"]
    return sel


def noise_by_learning_rate(result: _train.SweepResult, data, width: int, learning_rates: Sequence[float],
                           sigmas: Sequence[float], n_realizations: int, n_slope: int, seed: int = 0) -> pd.DataFrame:
    """Figure 3 data: for each learning rate whose network (first seed) never diverged, the
    network at its time of maximum test accuracy under multiplicative noise; summary rows
    (h, sigma, slope mean/sd, accuracy mean/sd)."""
    model = paper_mlp(width, data.num_classes, result.config.depth)
    seed0 = result.config.seeds[0]
    status = _train.fit_status(result.metrics).set_index(["width", "h", "seed"])["diverged"]
    out = []
    for h in learning_rates:
        if status.loc[(width, h, seed0)]:
            continue
        params = result.best_params(width, h, seed0)
        df = noise_study(model, params, data.x_train[:n_slope], data.y_train[:n_slope], data.x_test, data.y_test,
                         sigmas, n_realizations=n_realizations, seed=seed)
        s = summarize(df)
        s.insert(0, "h", h)
        out.append(s)
    return pd.concat(out, ignore_index=True)


__all__ = ["at_max_test_accuracy", "trend", "trend_text", "per_width_trends", "matched_loss",
           "noise_by_learning_rate"]
