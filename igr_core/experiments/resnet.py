"""Chapter 06: implicit regularization in ResNet-18 (Appendix A.5, Figures A.7 and A.8).

Abstraction: ``run(Params, results_dir)`` trains (or reads from the cache) ResNet-18 (CIFAR
variant, BatchNorm, width multiplier ``width``) with SGD over the learning rates x seeds grid
on CIFAR-10, or offline on the Fashion-MNIST stand-in, and returns :class:`Results`: the tidy
metrics, the networks at their time of maximum test accuracy and at a matched training loss.
``claims(results)`` judges Predictions 2.1 to 2.3 on this model through
:mod:`igr_core.verdicts`, pooled over seeds. :class:`ImageParams` and the data and grid helpers
are shared with chapter 07 through :mod:`igr_core.experiments._images`.

With BatchNorm, R_IG and the slope are those of the training-mode loss that SGD follows (each
batch of the training batch size normalized with its own statistics; see
:mod:`igr_core._src.engine`); loss and accuracies are in evaluation mode (moving averages).
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import NamedTuple

import pandas as pd

from igr_core._src import engine as _engine
from igr_core._src import selection, verdicts
from igr_core._src.models import resnet18_num_params
from igr_core._src.verdicts import Claim
from igr_core.experiments._images import (
    EMPTY_COLUMNS,
    STAND_IN,  # noqa: F401  (the pages name the stand-in)
    ImageParams,
    data_fingerprint,  # noqa: F401  (the result store's data check)
    images_or_reason,
    run_grid_by_rate,
)
from igr_core.experiments._params import positive, positive_seq

NOTEBOOK = "06_resnet"
RESULTS_VERSION = 1  # bump when what run() computes changes: stored results of another version are refused


@dataclasses.dataclass(frozen=True)
class Params(ImageParams):
    learning_rates: tuple = (0.005, 0.01, 0.05, 0.1, 0.2)  # Appendix A.5
    train_acc_threshold: float = 0.0  # which evaluations may be a network's "time of maximum test accuracy"
    # (0: any; the inclusion rule of the comparisons is the declared gate, igr_core/declarations/06_resnet.yml)
    matched_train_loss: float = 1.1  # the control: first evaluation with training loss below this

    def __post_init__(self):
        super().__post_init__()
        positive_seq("learning_rates", self.learning_rates)
        if not 0.0 <= self.train_acc_threshold <= 1.0:
            raise ValueError(f"`train_acc_threshold` must be in [0, 1], got {self.train_acc_threshold!r}.")
        positive("matched_train_loss", self.matched_train_loss)


class Results(NamedTuple):
    params: Params
    data_source: str  # what the banner and the ledger say
    n_train: int
    n_test: int
    m: int  # parameters of the network
    sweep: _engine.SweepResult | None  # None: not cached and not trained (paper profile on a CPU)
    status: pd.DataFrame
    selected: pd.DataFrame  # at the time of maximum test accuracy
    matched: pd.DataFrame  # at the first evaluation with train E < matched_train_loss
    seconds: float


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


DECLARED = verdicts.declarations.chapter(NOTEBOOK)  # every row's words, test and thresholds
FIT_THRESHOLD = DECLARED["06.rig-smaller-for-larger-h"].test["fit_threshold"]  # the inclusion rule, declared once


def _trend(df: pd.DataFrame, x: str, y: str, d, missing: str) -> verdicts.Verdict:
    if df is None or df.empty:
        return verdicts.inconclusive("trend", missing)
    test = verdicts.RankTest(alpha=d.test.alpha, meaningful=d.test.smallest_effect)
    return verdicts.trend(df[x], df[y], d.test.sign, x_name=x, y_name=y, test=test)


def is_complete(r: Results) -> bool:
    """Whether the store keeps these results: not when the grid was neither stored nor trained here."""
    return r.sweep is not None


def adequacy(r: Results) -> verdicts.Gate:
    """The gates of the rows taken at the time of maximum test accuracy: each network on its
    plateau (:func:`igr_core.verdicts.gate`) and reaching the declared train accuracy."""
    return verdicts.gate(r.sweep.metrics if r.sweep is not None else None, FIT_THRESHOLD)


def shortfall(r: Results) -> str:
    """Why this scale cannot decide the chapter's claims about trained networks ("" when it can)."""
    if r.sweep is None:
        return "the ResNet-18 grid is not stored and was not trained here"
    g = adequacy(r)
    need = DECLARED["06.rig-smaller-for-larger-h"].test.min_n
    return "" if g.n_kept >= need else "; ".join(g.reasons())


def interpolation(r: Results, d) -> verdicts.Verdict:
    """Fig. A.7e-f: every network that does not diverge reaches the declared train accuracy by
    the declared step (``verdicts.reached_by``)."""
    if r.sweep is None:
        return verdicts.inconclusive("reached by", "the ResNet-18 grid is not stored and was not trained here")
    m, fit = r.sweep.metrics, d.test["fit_threshold"]
    first, trained = [], []
    for _, g in m.groupby(["h", "seed"]):
        if g["diverged"].astype(bool).any():
            continue
        hit = g[g["train acc"] >= fit - 1e-9]["step"]
        first.append(float(hit.min()) if len(hit) else float("inf"))
        trained.append(int(g["step"].max()))
    return verdicts.reached_by(first, trained, d.test["deadline"], what=f"train accuracy {fit:g}")


def claims(r: Results) -> list[Claim]:
    p = r.params
    missing = (
        "no networks: the grid is not in the cached results and was not trained here"
        if r.sweep is None
        else "no network qualifies at this stopping time"
    )
    g = adequacy(r)
    rates = ", ".join(f"{h:g}" for h in p.learning_rates)
    scale = (
        f"{r.data_source}; width x{p.width:g}; h in {{{rates}}}; {len(r.status)} networks, pooled over "
        f"{len(p.seeds)} seed(s); gates: {g.summary()}"
    )

    def at_best(cid: str, x: str, y: str) -> Claim:
        d = DECLARED[cid]
        v = verdicts.gated(g, lambda kept: _trend(kept, x, y, d, missing), r.selected, d.test.min_n, d.test.rule)
        return d.row(v, scale)

    d = DECLARED["06.control-matched-loss"]
    return [
        at_best("06.rig-smaller-for-larger-h", "h", "R_IG"),
        at_best("06.max-acc-higher-for-larger-h", "h", "test acc"),
        at_best("06.slope-shallower-for-larger-h", "h", "slope"),
        at_best("06.acc-higher-where-rig-smaller", "R_IG", "test acc"),
        DECLARED["06.interpolation"].row(
            interpolation(r, DECLARED["06.interpolation"]), f"{r.data_source}; h in {{{rates}}}; batch {p.batch_size}"
        ),
        at_best("06.control-rig-tracks-loss", "train E", "R_IG"),
        d.row(
            _trend(r.matched, "h", "R_IG", d, missing),
            f"first evaluation with E < {p.matched_train_loss:g} (not an end-of-training quantity: no plateau gate)",
        ),
    ]


def facts(r: Results) -> dict:
    return {
        "m": int(r.m),
        "m_full": resnet18_num_params(3, 10, 1.0),
        "n_networks": int(len(r.status)),
        "n_diverged": int(r.status["diverged"].sum()) if len(r.status) else 0,
        "data_source": r.data_source,
        "missing": "none" if r.sweep is not None else "ResNet-18 SGD grid",
        "lowest_train_acc_at_best": float(r.selected["train acc"].min()) if len(r.selected) else float("nan"),
        "highest_train_acc_at_best": float(r.selected["train acc"].max()) if len(r.selected) else float("nan"),
        "gates": adequacy(r).summary(),
        "shortfall": shortfall(r),
        "steps": int(r.sweep.metrics["step"].max()) if r.sweep is not None else 0,
        "evaluations": int(r.sweep.metrics["step"].nunique() - 1) if r.sweep is not None else 0,
    }
