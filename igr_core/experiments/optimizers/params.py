"""Chapter 09's parameters, results and the names of its optimizers, problems and descriptions.

Abstraction: :class:`Params` is the validated record of one run (step-size ladders, the
momentum, Adam and SGD settings, the anti-regularizer study and the learning-rate map);
:class:`Results` is what ``run`` returns and the result store keeps (stored as
``"09_optimizers.Params"`` and ``"09_optimizers.Results"``). The labels below are written once:
the computation writes them into the tables and the rows, facts and captions select by them.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import numpy as np
import pandas as pd

from igr_core._src import columns as C
from igr_core._src import optimizers as methods
from igr_core.experiments._params import PROFILES, ParamsBase, one_of, positive, positive_seq

NOTEBOOK = "09_optimizers"
RESULTS_VERSION = 2  # bump when what run() computes changes: stored results of another version are refused
X64 = True  # float64: run() turns it on (identities to rounding and fitted orders need it)
PLATFORM = "cpu"  # small sequential float64 steps: slower on an H200 than on 2 CPU cores (benchmarks/gpu_h200.md)


@dataclasses.dataclass(frozen=True)
class Params(ParamsBase):
    profile: str = "smoke"
    n_digits: int = 16
    hidden: tuple = (4,)
    T: float = 1.0  # fixed time for GD and momentum
    toy_hs: tuple = (0.001, 0.0005, 0.00025, 0.000125)
    net_hs: tuple = (0.004, 0.002, 0.001, 0.0005)
    momentum_beta: float = 0.7
    adam_beta: float = 0.5
    adam_rho: float = 0.6
    adam_eps: float = 0.01
    adam_T: float = 0.1
    adam_hs: tuple = (0.004, 0.002, 0.001, 0.0005)
    sgd_n: int = 8  # examples; every batch order of one epoch is averaged
    sgd_batch: int = 2
    sgd_hs: tuple = (0.02, 0.01, 0.005, 0.0025)
    reshuffle_n: int = 6  # examples; every one of the N! orderings (partition and order) is averaged
    reshuffle_batch: int = 2
    local_hs: tuple = (0.004, 0.002, 0.001, 0.0005)  # one-step errors on the two-parameter model
    # Adam's anti-regularizer: rho > beta against a control with rho < beta, same beta and eps
    anti_beta: float = 0.9
    anti_rho: float = 0.999
    control_rho: float = 0.5
    anti_eps: float = 1e-4
    anti_T: float = 4.0  # long enough to converge (checked: the row needs ||grad E|| <= its declared converged_slope)
    anti_hs: tuple = (1e-4, 5e-5, 2.5e-5)
    net_anti_T: float = 0.5
    net_anti_hs: tuple = (4e-4, 2e-4, 1e-4)
    # learning-rate map: error ratio modified / naive flow over a geometric ladder of h
    map_T: float = 1.0
    map_h_range: tuple = (1e-5, 0.2)
    map_n: int = 12

    def __post_init__(self):
        one_of("profile", self.profile, PROFILES)
        for name in ("n_digits", "sgd_n", "sgd_batch", "map_n", "reshuffle_n", "reshuffle_batch"):
            positive(name, getattr(self, name), integer=True)
        positive_seq("hidden", self.hidden, integer=True)
        positive_seq("map_h_range", self.map_h_range)
        if len(self.map_h_range) != 2 or not self.map_h_range[0] < self.map_h_range[1]:
            raise ValueError(
                f"`map_h_range` must be (smallest h, largest h) with smallest < largest, got "
                f"{list(self.map_h_range)!r}."
            )
        for name in ("T", "adam_eps", "adam_T", "anti_eps", "anti_T", "net_anti_T", "map_T"):
            positive(name, getattr(self, name))
        for name in ("toy_hs", "net_hs", "adam_hs", "sgd_hs", "local_hs", "anti_hs", "net_anti_hs"):
            positive_seq(name, getattr(self, name))
            if len(getattr(self, name)) < 3:
                raise ValueError(
                    f"`{name}` needs at least 3 step sizes for a slope with an error, got "
                    f"{list(getattr(self, name))!r}."
                )
        for name in ("momentum_beta", "adam_beta", "adam_rho", "anti_beta", "anti_rho", "control_rho"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and 0 <= v < 1):
                raise ValueError(f"`{name}` must be a decay rate in [0, 1), got {v!r}.")
        if self.sgd_n % self.sgd_batch or not 2 <= self.sgd_n // self.sgd_batch <= 6:
            raise ValueError(
                f"`sgd_batch` ({self.sgd_batch}) must divide `sgd_n` ({self.sgd_n}) into 2 to 6 batches "
                "(every order of the batches is averaged: m! epochs)."
            )
        if (
            self.reshuffle_n > methods.MAX_RESHUFFLE_EXAMPLES
            or self.reshuffle_n % self.reshuffle_batch
            or self.reshuffle_n == self.reshuffle_batch
        ):
            raise ValueError(
                f"`reshuffle_batch` ({self.reshuffle_batch}) must divide `reshuffle_n` "
                f"({self.reshuffle_n}, at most {methods.MAX_RESHUFFLE_EXAMPLES}) into at least 2 batches."
            )
        if not self.control_rho < self.anti_beta < self.anti_rho:
            raise ValueError(
                f"Adam's anti-regularizer study needs `control_rho` < `anti_beta` < `anti_rho` (a negative "
                f"and a positive coefficient), got {self.control_rho!r}, {self.anti_beta!r}, "
                f"{self.anti_rho!r}."
            )

    @property
    def map_hs(self) -> np.ndarray:
        return np.geomspace(self.map_h_range[0], self.map_h_range[1], self.map_n)


class Results(NamedTuple):
    params: Params
    source: str
    errors: pd.DataFrame  # optimizer, problem, description, expected order, h, error
    local: pd.DataFrame  # gradient descent's one-step errors: description, expected order, h, error
    recursion: pd.DataFrame  # problem, l, route, relative error against the reference
    antisymmetry_error: float  # J(f_2)'s antisymmetric part against -(1/12)[H, T[g]]
    adam: pd.DataFrame  # problem, regime, c, h, quantity, Adam, flow of -g/s, difference
    paths: pd.DataFrame  # two-parameter model: regime, h, t, a, b (the flow has h = 0)
    rate_map: pd.DataFrame  # optimizer, h, errors against the naive and first-order flows, ratio, diverged
    edges: pd.DataFrame  # optimizer, lambda_max at theta_0, stability edge (formula), h_map, largest finite h
    variance: tuple = (float("nan"), float("nan"))  # SGD's partition-averaged variance term: formula, enumeration


TWO_PARAM_MODEL, TANH_MLP = "2-parameter model", "tanh MLP"
GD, HEAVY_BALL, ADAM = "gradient descent", "heavy ball", "Adam"
SGD_ALL_ORDERS, SGD_RESHUFFLE = "SGD (one epoch, all orders)", "SGD (one epoch, every reshuffle)"
FLOW_E, GD_LOSS, SGD_LOSS = "flow of E", "GD modified loss", "SGD modified loss"
HB_NAIVE = "-(1/(1-beta)) grad E"
HB_SHIFTED = "amplified modified loss, shifted start"
HB_NO_SHIFT = "amplified modified loss, no shift"
HB_UNAMPLIFIED = "unamplified coefficient (h/(1-beta))/4, shifted start"
ADAM_NAIVE, ADAM_FULL = "-g/s", "full c_j correction"
GD_MODIFIED = "flow of E + (h/4)||g||^2"
REGIME_ANTI, REGIME_CONTROL = "rho > beta (anti-penalty)", "rho < beta (control)"  # Adam's two settings
NORM, SLOPE, SHARPNESS, PENALTY = C.THETA_NORM, "slope ||grad E||", "sharpness lambda_max", "N_eps"  # Adam's measures
ROUTE_CLOSED_FORM = "general recursion against the closed form"
# the readings of Proposition A.4 (Eq. A.14) compared against the exact corrections
ROUTE_ARXIV = "arXiv (A.14): f_l = -H_l, derivatives along f_0"
ROUTE_ICLR = "ICLR 2021 (A.14): order_{l+1}, derivatives along the modified flow"
ROUTE_ICLR_TRUE = "ICLR 2021 (A.14) with f~'f~ in place of Lemma A.1"
QUADRATIC, QUARTIC = "quadratic (3 variables)", "quartic (2 variables)"
LOCAL_ARXIV = "order 3, f_3 from the arXiv (A.14)"  # one-step descriptions with each text's f_3
LOCAL_ICLR = "order 3, f_3 from the ICLR 2021 (A.14)"
