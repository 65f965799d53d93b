"""Stopping-time selection: which evaluation of each trained network is compared.

Abstraction: input is a sweep's tidy metrics table (one row per configuration and
evaluation, from :mod:`igr_core._src.engine`); output is one row per configuration at the
chosen stopping time. The paper compares networks at the time of maximum test accuracy
(Figures 2, 3, A.6) and, as controls, at a fixed iteration (A.3, A.4) and a fixed physical
time t = n h (A.5); figure numbers of the ICLR 2021 version; this companion adds a matched training loss.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from igr_core._src import columns as C

_KEY_ORDER = ("width", "batch_size", "h", "mu", "seed")


def config_keys(metrics: pd.DataFrame) -> list[str]:
    """Columns that identify a configuration in a metrics table."""
    return [c for c in _KEY_ORDER if c in metrics.columns]


def _ever_diverged(metrics: pd.DataFrame) -> pd.Series:
    return metrics.groupby(config_keys(metrics))[C.DIVERGED].transform("max").astype(bool)


def fit_status(metrics: pd.DataFrame, train_acc_threshold: float = 1.0) -> pd.DataFrame:
    """Per configuration: whether it diverged, its training accuracy at the time of maximum
    test accuracy, and whether it *fits* there (the paper compares networks "at the time of
    maximum test accuracy and 100% train accuracy": the threshold is applied at that time)."""
    keys = config_keys(metrics)
    out = metrics.groupby(keys).agg(diverged=(C.DIVERGED, "max")).reset_index()
    sel = select_at_max_test_accuracy(metrics)[keys + [C.TRAIN_ACC, "step"]]
    sel = sel.rename(columns={C.TRAIN_ACC: "train acc at selection", "step": "selected step"})
    out = out.merge(sel, on=keys, how="left")
    out["fits"] = (out["train acc at selection"] >= train_acc_threshold - 1e-9) & ~out[C.DIVERGED].astype(bool)
    return out


def select_at_max_test_accuracy(metrics: pd.DataFrame, train_acc_threshold: float | None = None) -> pd.DataFrame:
    """One row per configuration that never diverged: the evaluation of maximum test accuracy
    (earliest on ties). With ``train_acc_threshold``, only configurations whose training
    accuracy *at that evaluation* reaches the threshold are kept."""
    metrics = metrics.reset_index(drop=True)
    keys = config_keys(metrics)
    ok = metrics[~_ever_diverged(metrics) & metrics[C.TEST_ACC].notna()]
    if ok.empty:
        return metrics.iloc[:0]
    idx = ok.sort_values("step", kind="stable").groupby(keys)[C.TEST_ACC].idxmax()
    sel = metrics.loc[idx].reset_index(drop=True)
    if train_acc_threshold is not None:
        sel = sel[sel[C.TRAIN_ACC] >= train_acc_threshold - 1e-9].reset_index(drop=True)
    return sel


def select_at_step(metrics: pd.DataFrame, step: int) -> pd.DataFrame:
    """One row per configuration: the last evaluation at or before ``step`` (fixed iteration)."""
    metrics = metrics.reset_index(drop=True)
    sub = metrics[metrics["step"] <= step]
    return sub.loc[sub.groupby(config_keys(metrics))["step"].idxmax()].reset_index(drop=True)


def select_at_time(metrics: pd.DataFrame, t: float, rel_tol: float = 0.05) -> pd.DataFrame:
    """One row per configuration: the evaluation closest to physical time ``t = step h``
    (Fig. A.5), kept only if it lies within ``rel_tol * t`` of ``t``; configurations with no
    evaluation that close (never reaching ``t``) are left out. The engine evaluates every
    learning rate at the physical times in ``SweepConfig.eval_times``."""
    if not t > 0:
        raise ValueError(f"`t` must be a positive physical time, got {t!r}.")
    metrics = metrics.reset_index(drop=True)
    gap = (metrics["t"] - t).abs()
    sub = metrics.assign(_gap=gap)[gap <= rel_tol * t]
    if sub.empty:
        return metrics.iloc[:0]
    return sub.loc[sub.groupby(config_keys(metrics))["_gap"].idxmin()].drop(columns="_gap").reset_index(drop=True)


def select_at_train_loss(metrics: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """One row per configuration: the first evaluation with training loss below ``threshold``
    (comparison at matched training loss); configurations that never get there are left out."""
    metrics = metrics.reset_index(drop=True)
    sub = metrics[(metrics[C.TRAIN_E] < threshold) & ~_ever_diverged(metrics)]
    if sub.empty:
        return metrics.iloc[:0]
    return sub.loc[sub.groupby(config_keys(metrics))["step"].idxmin()].reset_index(drop=True)


def selectable_at_time(learning_rates, eval_steps_by_h: dict, t: float, rel_tol: float = 0.05) -> dict:
    """For each learning rate h, whether one of its evaluation steps lies within ``rel_tol``
    of physical time ``t`` (a schedule check that needs no training)."""
    return {h: bool(np.any(np.abs(np.asarray(eval_steps_by_h[h]) * h - t) <= rel_tol * t)) for h in learning_rates}


__all__ = [
    "config_keys",
    "fit_status",
    "select_at_max_test_accuracy",
    "select_at_step",
    "select_at_time",
    "select_at_train_loss",
    "selectable_at_time",
]
