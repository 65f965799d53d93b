"""Chapter 06's computation: the ResNet-18 SGD grid and the networks it selects.

Abstraction: ``run(Params, results_dir)`` trains (or reads from the cache) ResNet-18 (CIFAR
variant, BatchNorm, width multiplier ``width``) with SGD over the learning rates x seeds grid
on CIFAR-10, or offline on the Fashion-MNIST stand-in, through the shared
:mod:`igr_core.experiments._images` helpers, and returns :class:`Results`: the tidy metrics,
each network's fit status, the networks at their time of maximum test accuracy and at a
matched training loss. Without the data or a stored grid it returns empty tables (and
:func:`is_complete` tells the store not to keep them).
"""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd

from igr_core._src import selection
from igr_core._src.models import resnet18_num_params
from igr_core.experiments._images import EMPTY_COLUMNS, images_or_reason, run_grid_by_rate
from igr_core.experiments.resnet.params import Params, Results


def run(p: Params, results_dir, log=None) -> Results:
    t0 = time.perf_counter()
    data, label = images_or_reason(p)
    sweep = None
    if data is not None:
        sweep = run_grid_by_rate(p, data, Path(results_dir), "resnet_sgd", p.learning_rates, log)
    shape = (3, 10) if data is None else (data.x_train.shape[-1], data.num_classes)
    m = resnet18_num_params(*shape, p.width)
    n_tr, n_te = (0, 0) if data is None else (len(data.y_train), len(data.y_test))
    if sweep is None:
        empty = pd.DataFrame(columns=EMPTY_COLUMNS)
        return Results(p, label, n_tr, n_te, m, None, empty, empty, empty, time.perf_counter() - t0)
    metrics = sweep.metrics
    return Results(
        p,
        label,
        n_tr,
        n_te,
        m,
        sweep,
        selection.fit_status(metrics, p.train_acc_threshold),
        selection.select_at_max_test_accuracy(metrics, p.train_acc_threshold),
        selection.select_at_train_loss(metrics, p.matched_train_loss),
        time.perf_counter() - t0,
    )


def is_complete(r: Results) -> bool:
    """Whether the store keeps these results: not when the grid was neither stored nor trained here."""
    return r.sweep is not None
