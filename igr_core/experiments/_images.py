"""What the two ResNet chapters (06, 07) share: image parameters, data and one training grid.

Abstraction: :class:`ImageParams` (data, model width and schedule, validated), the images of
a chapter (CIFAR-10 through tensorflow-datasets, or the offline Fashion-MNIST stand-in), the
data fingerprint the result store checks, one sweep of the engine, and the stand-in's name the
banner shows (:func:`stand_in`). Chapter modules import this; they never import each other.
"""

from __future__ import annotations

import dataclasses
import warnings

import pandas as pd

from igr_core._src import cache
from igr_core._src import columns as C
from igr_core._src import engine as _engine
from igr_core._src.data import Dataset, DataUnavailableError, load_cifar10, load_fashion_mnist, tfds_prepared
from igr_core.experiments._params import PROFILES, ParamsBase, one_of, positive, positive_seq, should_train

DATASETS = ("cifar10", "fashion_mnist")
DATA_SOURCES = {"cifar10": ("auto", "tfds", "mock"), "fashion_mnist": ("auto", "tfds", "debian")}
STAND_IN = "Fashion-MNIST stand-in, not CIFAR-10"


@dataclasses.dataclass(frozen=True)
class ImageParams(ParamsBase):
    """Data, model and schedule parameters shared by the ResNet chapters (06, 07)."""

    profile: str = "smoke"
    dataset: str = "fashion_mnist"  # "cifar10" (the paper) or "fashion_mnist" (the offline stand-in)
    data_source: str = (
        "auto"  # cifar10: auto|tfds|mock (mock = random images, code path only); fashion_mnist: auto|tfds|debian
    )
    data_dir: str = ""  # tensorflow-datasets data directory or the folder of the Fashion-MNIST IDX files
    n_train: int = 1024  # training images (0 = the whole split; otherwise a stratified subsample)
    n_test: int = 1000  # test images (0 = the whole split)
    width: float = 0.0625  # channel multiplier of ResNet-18 (1 = the paper's network)
    batch_size: int = 128  # the paper: 512
    epochs: float = 10.0
    eval_every_epochs: float = 2.0
    seeds: tuple = (0, 1)
    strategy: str = "auto"
    train_missing: str = "auto"  # "yes", "no" (read the cache only), "auto" (no for the paper profile on a CPU)

    def __post_init__(self):
        one_of("profile", self.profile, PROFILES)
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
            "(Debian package dataset-fashion-mnist)."
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_cifar10(p.data_source, p.data_dir or None, **kw)


def data_label(data: Dataset) -> str:
    """What the banner and the ledger say about the data."""
    if data.name == "fashion_mnist":
        return f"{STAND_IN}: {data.source}"
    return data.source


def sweep_config(
    p: ImageParams, n_train: int, experiment: str, learning_rates, mus=(0.0,), seeds=None, egr_method: str = "exact"
) -> _engine.SweepConfig:
    per_epoch = _engine.steps_per_epoch(n_train, p.batch_size)
    return _engine.SweepConfig(
        experiment=experiment,
        architecture="resnet18",
        widths=(float(p.width),),
        learning_rates=tuple(learning_rates),
        mus=tuple(mus),
        egr_method=egr_method,
        batch_size=p.batch_size,
        seeds=tuple(seeds or p.seeds),
        epochs=p.epochs,
        eval_every=max(1, int(round(p.eval_every_epochs * per_epoch))),
        eval_chunk=min(1000, max(p.batch_size, 100)),
        strategy=p.strategy,
    )


def run_grid(p: ImageParams, cfg: _engine.SweepConfig, data: Dataset, results_dir, log=None):
    """One sweep of a ResNet chapter, or None when it is not cached and may not be trained."""
    if cfg.batch_size is not None and cfg.batch_size > len(data.y_train):
        raise ValueError(f"`batch_size` ({cfg.batch_size}) exceeds the {len(data.y_train)} training images.")
    try:
        return _engine.run_sweep(cfg, data, results_dir, progress=False, log=log, cached_only=not should_train(p))
    except _engine.CacheMiss:
        return None


def run_grid_by_rate(p: ImageParams, data: Dataset, results_dir, experiment: str, learning_rates, log=None):
    """The learning-rate grid of a ResNet chapter as one sweep per learning rate, each in its own
    cache, joined into one result (or None when any is missing and may not be trained here).

    On a CPU (the "loop" strategy) every network is trained on its own, so a network's numbers do
    not depend on which other rates share its sweep (a test checks this); a profile that adds a
    learning rate then trains only the new rate, and a run interrupted after some rates keeps them.
    The joined result's ``config`` lists every rate; its ``provenance`` is keyed by rate and width;
    its ``path`` is the experiment's folder (parameters of one network: ``sweep_for(h)``)."""
    parts = []
    for h in learning_rates:
        sweep = run_grid(p, sweep_config(p, len(data.y_train), experiment, (h,)), data, results_dir, log)
        if sweep is None:
            return None
        parts.append(sweep)
    first = parts[0]
    return first._replace(
        metrics=pd.concat([s.metrics for s in parts], ignore_index=True),
        config=sweep_config(p, len(data.y_train), experiment, tuple(learning_rates)),
        path=first.path.parent,
        from_cache=all(s.from_cache for s in parts),
        provenance={f"h={s.config.learning_rates[0]:g} {k}": v for s in parts for k, v in s.provenance.items()},
    )


EMPTY_COLUMNS = [
    "width",
    "h",
    "mu",
    "seed",
    "step",
    C.DIVERGED,
    C.R_IG,
    C.TEST_ACC,
    C.TRAIN_ACC,
    C.SLOPE,
    C.TRAIN_E,
    C.THETA_NORM,
]


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


def data_fingerprint(p: ImageParams) -> dict | None:
    """The fingerprint of the chapter's images (None where they are not available here)."""
    try:
        return cache.data_fingerprint(load_images(p))
    except DataUnavailableError:
        return None


def stand_in(r) -> str | None:
    """The stand-in's name where the offline Fashion-MNIST replaced CIFAR-10 (the banner of chapters
    06 and 07)."""
    return STAND_IN if r.params.dataset == "fashion_mnist" else None
