"""Chapter 07's computation: the ResNet-18 EGR grid and the MNIST MLP ladders.

Abstraction: ``run(Params, results_dir)`` trains, through the one sweep engine,

* ResNet-18 at one learning rate over a grid of EGR coefficients mu (mu = 0 is SGD, bit for
  bit) and seeds, on CIFAR-10 or the offline Fashion-MNIST stand-in (Figure 3c), with the
  shared :mod:`igr_core.experiments._images` helpers;
* the paper's MNIST MLP with full-batch gradient descent over a ladder of learning rates that
  crosses the stability edge, and with EGR at a small learning rate over a ladder of mu,
  each run with its total regularization rate :math:`\\lambda = m(h/4 + \\mu)`;

and returns :class:`Results`: the networks at their time of maximum test accuracy, the gain of
each mu over SGD, the MLP runs and their every evaluation.
"""

from __future__ import annotations

import dataclasses
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from igr_core._src import columns as C
from igr_core._src import engine as _engine
from igr_core._src import selection
from igr_core._src.data import load_mnist
from igr_core._src.models import mlp_num_params, resnet18_num_params
from igr_core.experiments._images import EMPTY_COLUMNS, images_or_reason, run_grid, sweep_config
from igr_core.experiments.egr.params import Params, Results


def _gains(selected: pd.DataFrame) -> pd.DataFrame:
    base = selected[selected["mu"] == 0][C.TEST_ACC].to_numpy()
    rows = []
    for mu, grp in selected[selected["mu"] > 0].groupby("mu"):
        a = grp[C.TEST_ACC].to_numpy()
        diff = float(a.mean() - base.mean()) if len(a) and len(base) else float("nan")
        se = (
            float(np.sqrt(a.var(ddof=1) / len(a) + base.var(ddof=1) / len(base)))
            if len(a) > 1 and len(base) > 1
            else float("nan")
        )
        rows.append(
            {
                "mu": mu,
                "EGR max test acc": a.mean(),
                "SGD max test acc": base.mean(),
                "gain": diff,
                "gain lo": diff - 1.96 * se,
                "gain hi": diff + 1.96 * se,
                "n EGR": len(a),
                "n SGD": len(base),
            }
        )
    return pd.DataFrame(
        rows, columns=["mu", "EGR max test acc", "SGD max test acc", "gain", "gain lo", "gain hi", "n EGR", "n SGD"]
    )


def _mlp(p: Params, results_dir: Path, log=None) -> tuple[str, int, pd.DataFrame, pd.DataFrame]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        digits = load_mnist(source="auto", n_train=p.mlp_n_train)
    common = dict(
        widths=(p.mlp_width,),
        batch_size=None,
        epochs=float(p.mlp_steps),
        eval_every=p.mlp_eval_every,
        strategy=p.strategy,
    )
    gd = _engine.SweepConfig(experiment="egr_mlp_gd", learning_rates=tuple(p.mlp_gd_learning_rates), **common)
    egr = _engine.SweepConfig(
        experiment="egr_mlp",
        learning_rates=(p.mlp_egr_learning_rate,),
        mus=tuple(p.mlp_mus),
        egr_method=p.egr_method,
        **common,
    )
    frames, metrics = [], []
    for kind, base in (("GD", gd), ("EGR", egr)):
        # one sweep per seed: the networks are independent, and a profile that adds seeds trains only them
        runs = [
            _engine.run_sweep(dataclasses.replace(base, seeds=(s,)), digits, results_dir, progress=False, log=log)
            for s in p.mlp_seeds
        ]
        res_metrics = pd.concat([r.metrics for r in runs], ignore_index=True)
        metrics.append(res_metrics.assign(kind=kind))
        status = selection.fit_status(res_metrics, 0.0)
        best = selection.select_at_max_test_accuracy(res_metrics)
        keys = ["width", "h", "mu", "seed"]
        df = status[keys + [C.DIVERGED]].merge(
            best[keys + ["step", C.R_IG, C.SLOPE, C.TEST_ACC, C.TRAIN_E, "m"]], on=keys, how="left"
        )
        df["kind"] = kind
        frames.append(df)
    df = pd.concat(frames, ignore_index=True)
    m = mlp_num_params(digits.x_train.shape[1], [p.mlp_width] * 5, digits.num_classes)
    df[C.LAMBDA_TOTAL] = m * (df["h"] / 4 + df["mu"])
    df[C.DIVERGED] = df[C.DIVERGED].astype(bool)
    return digits.source, m, df, pd.concat(metrics, ignore_index=True)


def run(p: Params, results_dir, log=None) -> Results:
    t0 = time.perf_counter()
    results_dir = Path(results_dir)
    data, label = images_or_reason(p)
    sweep = None
    if data is not None:
        cfg = sweep_config(p, len(data.y_train), "resnet_egr", (p.learning_rate,), mus=p.mus, egr_method=p.egr_method)
        sweep = run_grid(p, cfg, data, results_dir, log)
    shape = (3, 10) if data is None else (data.x_train.shape[-1], data.num_classes)
    m = resnet18_num_params(*shape, p.width)
    selected = (
        selection.select_at_max_test_accuracy(sweep.metrics)
        if sweep is not None
        else pd.DataFrame(columns=EMPTY_COLUMNS)
    )
    mlp_source, mlp_m, mlp, mlp_metrics = _mlp(p, results_dir, log)
    n_tr, n_te = (0, 0) if data is None else (len(data.y_train), len(data.y_test))
    return Results(
        p,
        label,
        n_tr,
        n_te,
        m,
        sweep,
        selected,
        _gains(selected),
        mlp_source,
        mlp_m,
        mlp,
        time.perf_counter() - t0,
        mlp_metrics,
    )


def is_complete(r: Results) -> bool:
    """Whether the store keeps these results: not when the grid was neither stored nor trained here."""
    return r.sweep is not None
