"""Chapter 06: implicit regularization in ResNet-18 (Appendix A.5, Figures A.7 and A.8).

Abstraction: ``run(Params, results_dir)`` trains (or reads from the cache) ResNet-18 (CIFAR
variant, BatchNorm, width multiplier ``width``) with SGD over the learning rates x seeds grid
on CIFAR-10, or offline on the Fashion-MNIST stand-in, and returns :class:`Results`: the tidy
metrics, the networks at their time of maximum test accuracy and at a matched training loss.
``claims(results)`` judges Predictions 2.1 to 2.3 on this model through
:mod:`igr_core.verdicts`, pooled over seeds. :func:`load_images` and :class:`ImageParams` are
shared with chapter 07 (:mod:`igr_core.experiments.egr`).

With BatchNorm, R_IG and the slope are those of the training-mode loss that SGD follows (each
batch of the training batch size normalized with its own statistics; see
:mod:`igr_core._src.engine`); loss and accuracies are in evaluation mode (moving averages).
"""
from __future__ import annotations

import dataclasses
import time
import warnings
from pathlib import Path
from typing import NamedTuple

import pandas as pd

from igr_core._src import engine as _engine
from igr_core._src import selection as _sel
from igr_core._src import verdicts as V
from igr_core._src.data import DataUnavailableError, Dataset, load_cifar10, load_fashion_mnist, tfds_prepared
from igr_core._src.models import resnet18_num_params
from igr_core.book.ledger import Claim
from igr_core.experiments._params import ParamsBase, one_of, positive, positive_seq, should_train

NOTEBOOK = "06_resnet"
DATASETS = ("cifar10", "fashion_mnist")
DATA_SOURCES = {"cifar10": ("auto", "tfds", "mock"), "fashion_mnist": ("auto", "tfds", "debian")}
STAND_IN = "Fashion-MNIST stand-in, not CIFAR-10"


@dataclasses.dataclass(frozen=True)
class ImageParams(ParamsBase):
    """Data, model and schedule parameters shared by the ResNet chapters (06, 07)."""
    profile: str = "smoke"
    dataset: str = "cifar10"  # "cifar10" (the paper) or "fashion_mnist" (the offline stand-in)
    data_source: str = "auto"  # cifar10: auto|tfds|mock (mock = random images, code path only); fashion_mnist: auto|tfds|debian
    data_dir: str = ""  # tensorflow-datasets data directory or the folder of the Fashion-MNIST IDX files
    n_train: int = 0  # training images (0 = the whole split; otherwise a stratified subsample)
    n_test: int = 0  # test images (0 = the whole split)
    width: float = 1.0  # channel multiplier of ResNet-18 (1 = the paper's network)
    batch_size: int = 512
    epochs: float = 200.0
    eval_every_epochs: float = 1.0
    seeds: tuple = (0,)
    strategy: str = "auto"
    train_missing: str = "auto"  # "yes", "no" (read the cache only), "auto" (no for the paper profile on a CPU)

    def __post_init__(self):
        one_of("profile", self.profile, ("smoke", "paper"))
        one_of("dataset", self.dataset, DATASETS)
        one_of("data_source", self.data_source, DATA_SOURCES[self.dataset])
        one_of("strategy", self.strategy, _engine.STRATEGIES)
        one_of("train_missing", self.train_missing, ("auto", "yes", "no"))
        positive("n_train", self.n_train, integer=True, allow_zero=True)
        positive("n_test", self.n_test, integer=True, allow_zero=True)
        positive("width", self.width)
        positive("batch_size", self.batch_size, integer=True)
        if self.n_train and self.batch_size > self.n_train:
            raise ValueError(f"`batch_size` ({self.batch_size}) must not exceed `n_train` ({self.n_train}).")
        positive("epochs", self.epochs)
        positive("eval_every_epochs", self.eval_every_epochs)
        positive_seq("seeds", self.seeds, integer=True, allow_zero=True)


@dataclasses.dataclass(frozen=True)
class Params(ImageParams):
    learning_rates: tuple = (0.005, 0.01, 0.05, 0.1, 0.2)  # Appendix A.5
    train_acc_threshold: float = 0.0  # the paper states none for ResNet-18: every network that does not diverge
    matched_train_loss: float = 0.05  # the control: first evaluation with training loss below this

    def __post_init__(self):
        super().__post_init__()
        positive_seq("learning_rates", self.learning_rates)
        if not 0.0 <= self.train_acc_threshold <= 1.0:
            raise ValueError(f"`train_acc_threshold` must be in [0, 1], got {self.train_acc_threshold!r}.")
        positive("matched_train_loss", self.matched_train_loss)


def load_images(p: ImageParams) -> Dataset:
    """The chapter's images. CIFAR-10 with ``data_source="auto"`` needs prepared tfds data; it
    never falls back to random mock images silently (``data_source="mock"`` asks for them)."""
    kw = dict(n_train=p.n_train or None, n_test=p.n_test or None)
    if p.dataset == "fashion_mnist":
        return load_fashion_mnist(p.data_source, p.data_dir or None, **kw)
    if p.data_source == "auto" and not tfds_prepared("cifar10", p.data_dir or None):
        raise DataUnavailableError(
            "CIFAR-10 is not prepared here (tensorflow-datasets' cifar10 under `data_dir` or $TFDS_DATA_DIR). "
            "Prepare it with internet, pass `data_dir`, or set `dataset: fashion_mnist` for the offline stand-in "
            "(Debian package dataset-fashion-mnist).")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_cifar10(p.data_source, p.data_dir or None, **kw)


def data_label(data: Dataset) -> str:
    """What the banner and the ledger say about the data."""
    if data.name == "fashion_mnist":
        return f"{STAND_IN}: {data.source}"
    return data.source


def sweep_config(p: ImageParams, n_train: int, experiment: str, learning_rates, mus=(0.0,), seeds=None,
                 egr_method: str = "exact") -> _engine.SweepConfig:
    per_epoch = _engine.steps_per_epoch(n_train, p.batch_size)
    return _engine.SweepConfig(experiment=experiment, architecture="resnet18", widths=(float(p.width),),
                               learning_rates=tuple(learning_rates), mus=tuple(mus), egr_method=egr_method,
                               batch_size=p.batch_size, seeds=tuple(seeds or p.seeds), epochs=p.epochs,
                               eval_every=max(1, int(round(p.eval_every_epochs * per_epoch))),
                               eval_chunk=min(1000, max(p.batch_size, 100)), strategy=p.strategy)


def run_grid(p: ImageParams, cfg: _engine.SweepConfig, data: Dataset, results_dir, log=None):
    """One sweep of a ResNet chapter, or None when it is not cached and may not be trained."""
    if cfg.batch_size is not None and cfg.batch_size > len(data.y_train):
        raise ValueError(f"`batch_size` ({cfg.batch_size}) exceeds the {len(data.y_train)} training images.")
    try:
        return _engine.run_sweep(cfg, data, results_dir, progress=False, log=log, cached_only=not should_train(p))
    except _engine.CacheMiss:
        return None


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


EMPTY_COLUMNS = ["width", "h", "mu", "seed", "step", "diverged", "R_IG", "test acc", "train acc", "slope",
                 "train E", "||theta||"]


def images_or_reason(p: ImageParams) -> tuple[Dataset | None, str]:
    """The chapter's images, or (None, why) when they are not available here and this run may
    not train anyway (the paper profile on a CPU without CIFAR-10): the page then says so
    instead of failing. When training is allowed, missing data is an error."""
    try:
        data = load_images(p)
    except DataUnavailableError as e:
        if should_train(p):
            raise
        return None, f"not available on this machine ({e})"
    return data, data_label(data)


def run(p: Params, results_dir, log=None) -> Results:
    t0 = time.perf_counter()
    data, label = images_or_reason(p)
    sweep = None
    if data is not None:
        cfg = sweep_config(p, len(data.y_train), "resnet_sgd", p.learning_rates)
        sweep = run_grid(p, cfg, data, Path(results_dir), log)
    shape = (3, 10) if data is None else (data.x_train.shape[-1], data.num_classes)
    m = resnet18_num_params(*shape, p.width)
    n_tr, n_te = (0, 0) if data is None else (len(data.y_train), len(data.y_test))
    if sweep is None:
        empty = pd.DataFrame(columns=EMPTY_COLUMNS)
        return Results(p, label, n_tr, n_te, m, None, empty, empty, empty, time.perf_counter() - t0)
    metrics = sweep.metrics
    return Results(p, label, n_tr, n_te, m, sweep,
                   _sel.fit_status(metrics, p.train_acc_threshold),
                   _sel.select_at_max_test_accuracy(metrics, p.train_acc_threshold),
                   _sel.select_at_train_loss(metrics, p.matched_train_loss), time.perf_counter() - t0)


def _trend(df: pd.DataFrame, x: str, y: str, sign: int, missing: str) -> V.Verdict:
    if df is None or df.empty:
        return V.Verdict("inconclusive", "trend", "not computed", "", "", 0, missing)
    return V.trend(df[x], df[y], sign, x_name=x, y_name=y)


def claims(r: Results) -> list[Claim]:
    p = r.params
    missing = ("no networks: the grid is not in the cached results and was not trained here" if r.sweep is None
               else "no network qualifies at this stopping time")
    scale = f"{r.data_source}; width x{p.width:g}; {len(r.status)} networks, pooled over {len(p.seeds)} seed(s)"
    return [
        Claim("R_IG at max test accuracy is smaller for larger learning rates", "Prediction 2.1, Figs. A.7b, A.8a",
              _trend(r.selected, "h", "R_IG", -1, missing), scale),
        Claim("Maximum test accuracy is higher for larger learning rates", "Prediction 2.3, Figs. A.7a, A.8b",
              _trend(r.selected, "h", "test acc", +1, missing), scale),
        Claim("Shallower loss-surface slope at max test accuracy for larger learning rates",
              "Prediction 2.2, Fig. A.7c", _trend(r.selected, "h", "slope", -1, missing), scale),
        Claim("Test accuracy is higher where R_IG is smaller", "Fig. A.8c",
              _trend(r.selected, "R_IG", "test acc", -1, missing), scale),
        Claim("(control) R_IG at max test accuracy tracks the training loss", "not in the paper",
              _trend(r.selected, "train E", "R_IG", +1, missing)),
        Claim("(control) Prediction 2.1 at matched training loss", "Prediction 2.1 with a loss control",
              _trend(r.matched, "h", "R_IG", -1, missing), f"first evaluation with E < {p.matched_train_loss:g}"),
    ]


def facts(r: Results) -> dict:
    return {"m": int(r.m), "m_full": resnet18_num_params(3, 10, 1.0), "n_networks": int(len(r.status)),
            "n_diverged": int(r.status["diverged"].sum()) if len(r.status) else 0, "data_source": r.data_source,
            "missing": "none" if r.sweep is not None else "ResNet-18 SGD grid"}
