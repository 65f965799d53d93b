"""Chapter 06's parameters and results.

Abstraction: :class:`Params` extends the image chapters' shared
:class:`~igr_core.experiments._images.ImageParams` (data set, width, batch size, schedule,
seeds) with the learning-rate grid, the train accuracy that qualifies an evaluation as a
network's "time of maximum test accuracy" and the matched training loss of the control;
:class:`Results` is what ``run`` returns and the result store keeps (stored as
``"06_resnet.Params"`` and ``"06_resnet.Results"``).
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import pandas as pd

from igr_core._src import engine as _engine
from igr_core._src.verdicts import adequacy as _adequacy
from igr_core._src.verdicts import declarations as _declarations
from igr_core.experiments._images import ImageParams
from igr_core.experiments._params import positive, positive_seq
from igr_core.experiments.departures import PER_PROFILE, Departure

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


# the inclusion rule of every comparison: train accuracy reached at some evaluation, declared once
FIT_THRESHOLD = _declarations.chapter(NOTEBOOK)["06.rig-smaller-for-larger-h"].test["fit_threshold"]

# where this chapter departs from the paper's protocol or fills one of its silences (each with its reason);
# the Departures page lists every chapter's, the chapter's page shows its own (igr_core.experiments.departures)
PAPER_VALUES: dict = {
    "dataset": "cifar10",  # Section 6
    "width": 1.0,  # ResNet-18
    "batch_size": 512,  # Section 6
    "learning_rates": (0.005, 0.01, 0.05, 0.1, 0.2),  # Section 6
}  # what the paper states: the paper profile uses it or declares a departure
DEPARTURES: tuple[Departure, ...] = (
    Departure(
        NOTEBOOK,
        ("dataset",),
        "CIFAR-10",
        PER_PROFILE,
        "CIFAR-10 cannot be fetched offline here; the pages say so in a danger box",
    ),
    Departure(
        NOTEBOOK,
        ("width", "batch_size"),
        "ResNet-18, batch 512",
        PER_PROFILE,
        "a 2-core CPU: the paper's network is about 64 times the standin's cost per step; the accelerator "
        "profile runs the paper's network and batch on one GPU",
    ),
    Departure(
        NOTEBOOK,
        ("architecture",),
        "ResNet-18 (stem not stated)",
        "the CIFAR variant: 3x3 stem, no max-pool, BatchNorm, four stages of two basic blocks",
        "the common ResNet-18 for 32x32 images",
    ),
    Departure(
        NOTEBOOK,
        ("R_IG with BatchNorm",),
        "not stated",
        "R_IG and the slope of the training-mode loss SGD follows; losses and accuracies in evaluation mode",
        "SGD follows the training-mode gradient",
    ),
    Departure(
        NOTEBOOK,
        ("epochs",),
        "not stated",
        PER_PROFILE,
        "long enough for the larger learning rates to fit the training set (paper); a CPU budget (smoke, "
        "standin) or a 15-minute device budget (accelerator) otherwise. The standin run (1,008 steps on 1,536 "
        "images, all five learning rates) reaches the plateau its verdicts need for 12 of 15 networks (the gates "
        "leave out h = 0.005, still improving); the accelerator run (468 steps) does not, and its page says so",
    ),
    Departure(
        NOTEBOOK,
        ("n_train", "n_test"),
        "50,000 and 10,000 CIFAR-10 images",
        PER_PROFILE,
        "stratified subsamples of Fashion-MNIST: more epochs in the budget (0 = the whole split)",
    ),
    Departure(
        NOTEBOOK,
        ("the inclusion rule and the plateau test",),
        "networks that fail to solve the task are left out (Appendix A.5, for MNIST); no threshold for ResNet-18",
        f"train accuracy {FIT_THRESHOLD:g} at some evaluation (declared); the least-squares trend of test accuracy "
        f"over the last {_adequacy.PLATEAU_WINDOW:.0%} of the steps, projected over that window, below "
        f"{_adequacy.PLATEAU_TOL:g}, judged on at least {_adequacy.WINDOW_EVALUATIONS} evaluations in it",
        "a verdict at the time of maximum test accuracy needs networks that finished learning",
    ),
)
