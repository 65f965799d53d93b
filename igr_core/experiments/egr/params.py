"""Chapter 07's parameters and results.

Abstraction: :class:`Params` extends the image chapters' shared
:class:`~igr_core.experiments._images.ImageParams` with the ResNet grid of EGR coefficients mu
(one learning rate; mu = 0 is the SGD baseline) and the MNIST MLP part (full-batch gradient
descent over a ladder of learning rates, EGR over a ladder of mu); the finite-difference EGR
is refused (:data:`EGR_FD_REFUSED`). :class:`Results` is what ``run`` returns and the result
store keeps (stored as ``"07_egr.Params"`` and ``"07_egr.Results"``).
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import pandas as pd

from igr_core._src import engine as _engine
from igr_core.experiments._images import ImageParams
from igr_core.experiments._params import positive, positive_seq
from igr_core.experiments.departures import PER_PROFILE, Departure

NOTEBOOK = "07_egr"
RESULTS_VERSION = 2  # bump when what run() computes changes: stored results of another version are refused
EGR_FD_REFUSED = (
    "`egr_method` 'finite_difference' is refused in this chapter: both of its networks are float32 ReLU "
    "networks (the ResNet with BatchNorm), where the finite-difference H g crosses ReLU kinks and shifts the "
    "batch statistics; measured off by a factor of about 11 against double backpropagation "
    "(benchmarks/egr_resnet.py --width 0.125). Use 'exact' (forward-over-reverse H g)."
)


@dataclasses.dataclass(frozen=True)
class Params(ImageParams):
    n_train: int = 512
    eval_every_epochs: float = 2.5
    seeds: tuple = (0, 1, 2, 3)
    learning_rate: float = 0.05  # Fig. 3c: the paper gives no h (this companion's choice)
    mus: tuple = (0.0, 0.01, 0.05)  # EGR coefficients of the ResNet grid; 0 = the SGD baseline
    egr_mu: float = 0.01  # the mu whose gain is judged, fixed before the run (the paper gives none)
    egr_method: str = "exact"  # "exact" (forward-over-reverse H g); "finite_difference" is refused (EGR_FD_REFUSED)
    mlp_n_train: int = 1000  # offline digits for the MLP part (full-batch gradient descent)
    mlp_width: int = 100
    mlp_gd_learning_rates: tuple = (0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0)  # crosses the stability edge
    mlp_egr_learning_rate: float = 0.05
    mlp_mus: tuple = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)  # the EGR ladder
    # not read since 2026-12-07 (the accuracy row's range is declared: GD's stable range, derived from the data);
    # kept so that results stored by earlier runs, whose parameters name it, still read
    mlp_accuracy_mu_max: float = 0.1
    mlp_steps: int = 300
    mlp_eval_every: int = 25
    mlp_seeds: tuple = (0,)  # initialization seeds of the MLP part, one sweep per seed (a seed added trains only it)

    def __post_init__(self):
        super().__post_init__()
        positive("learning_rate", self.learning_rate)
        positive_seq("mus", self.mus, allow_zero=True)
        if 0.0 not in [float(m) for m in self.mus]:
            raise ValueError(f"`mus` must contain 0 (the SGD baseline), got {list(self.mus)!r}.")
        positive("egr_mu", self.egr_mu)
        if float(self.egr_mu) not in [float(m) for m in self.mus]:
            raise ValueError(f"`egr_mu` ({self.egr_mu}) must be one of `mus` {list(self.mus)}.")
        if self.egr_method == "finite_difference":
            raise ValueError(EGR_FD_REFUSED)
        if self.egr_method not in _engine.EGR_METHODS:
            raise ValueError(f"`egr_method` must be 'exact', got {self.egr_method!r}.")
        for name in ("mlp_n_train", "mlp_width", "mlp_steps", "mlp_eval_every"):
            positive(name, getattr(self, name), integer=True)
        positive_seq("mlp_gd_learning_rates", self.mlp_gd_learning_rates)
        positive("mlp_egr_learning_rate", self.mlp_egr_learning_rate)
        positive_seq("mlp_mus", self.mlp_mus)
        positive_seq("mlp_seeds", self.mlp_seeds, integer=True, allow_zero=True)
        positive("mlp_accuracy_mu_max", self.mlp_accuracy_mu_max)  # fewer than 3 mu below it: the row says so


class Results(NamedTuple):
    params: Params
    data_source: str
    n_train: int
    n_test: int
    m: int  # ResNet parameters
    sweep: _engine.SweepResult | None  # ResNet mu grid (None: not cached, not trained here)
    selected: pd.DataFrame  # ResNet networks at their time of maximum test accuracy
    gains: pd.DataFrame  # per mu > 0: mean gain in maximum test accuracy over SGD, with its 95% interval
    mlp_source: str
    mlp_m: int
    mlp: pd.DataFrame  # MLP runs (GD ladder and EGR ladder) at max test accuracy, with lambda total
    seconds: float
    mlp_metrics: pd.DataFrame | None = None  # every evaluation of the MLP runs ("kind": GD or EGR); None: version 1


# where this chapter departs from the paper's protocol or fills one of its silences (each with its reason);
# the Departures page lists every chapter's, the chapter's page shows its own (igr_core.experiments.departures)
PAPER_VALUES: dict = {
    "dataset": "cifar10",
    "width": 1.0,
    "batch_size": 512,
}  # what the paper states: the paper profile uses it or declares a departure
DEPARTURES: tuple[Departure, ...] = (
    Departure(
        NOTEBOOK,
        ("learning_rate", "mus", "egr_mu"),
        "not stated (Figure 3c)",
        PER_PROFILE,
        "the paper gives neither h nor mu for Figure 3c; the gain is judged at egr_mu, fixed before the run",
    ),
    Departure(
        NOTEBOOK,
        ("n_train", "n_test"),
        "50,000 and 10,000 CIFAR-10 images",
        PER_PROFILE,
        "stratified subsamples of Fashion-MNIST (0 = the whole split)",
    ),
    Departure(
        NOTEBOOK,
        ("mlp_steps", "mlp_eval_every"),
        "no MLP experiment for EGR (Section 4 argues it; Figure 3c is ResNet-18)",
        PER_PROFILE,
        "this companion's MLP reading of Section 4, trained to its plateau at the larger profiles (until this "
        "round the smoke values ran at every profile)",
    ),
    Departure(
        NOTEBOOK,
        ("dataset", "width", "batch_size", "epochs"),
        "CIFAR-10, ResNet-18, batch 512",
        PER_PROFILE,
        "as chapter 06",
    ),
)
