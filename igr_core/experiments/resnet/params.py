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
from igr_core.experiments._images import ImageParams
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
