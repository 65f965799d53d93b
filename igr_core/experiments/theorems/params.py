"""Chapter 01's parameters and results.

Abstraction: :class:`Params` is the validated record of one run of the theorem checks (the step
sizes of the order studies on the network and on the two-parameter model, the moderate-regime
scan, Proposition A.9's steps and Proposition A.10's step sizes); :class:`Results` is what
``run`` returns and the result store keeps (stored as ``"01_theorem_checks.Params"`` and
``"01_theorem_checks.Results"``). The chapter's metadata (results version, float64, preferred
platform) lives here too.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import pandas as pd

from igr_core._src.problems import ProblemInfo
from igr_core.experiments._params import PROFILES, ParamsBase, one_of, positive, positive_seq
from igr_core.experiments.departures import Departure

NOTEBOOK = "01_theorem_checks"
RESULTS_VERSION = 2  # bump when what run() computes changes: stored results of another version are refused
X64 = True  # float64: run() turns it on (identities to rounding and fitted orders need it)
PLATFORM = "cpu"  # small sequential float64 steps: slower on an H200 than on 2 CPU cores (benchmarks/gpu_h200.md)


@dataclasses.dataclass(frozen=True)
class Params(ParamsBase):
    profile: str = "smoke"
    local_hs: tuple = (0.08, 0.04, 0.02, 0.01)  # step sizes for the network
    toy_hs: tuple = (0.004, 0.002, 0.001, 0.0005)  # step sizes for the two-parameter model
    global_T: float = 1.0
    toy_T: float = 0.05
    n_digits: int = 64
    hidden: tuple = (16,)
    moderate_hs: tuple = (0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.8, 1.2, 2.0)
    moderate_T: float = 4.0
    norm_hs: tuple = (0.01, 0.1, 0.25)
    norm_steps: int = 200
    minima_hs: tuple = (0.1, 0.5, 0.7, 1.0)
    seed: int = 0

    def __post_init__(self):
        one_of("profile", self.profile, PROFILES)
        for name in ("local_hs", "toy_hs", "moderate_hs", "norm_hs", "minima_hs"):
            positive_seq(name, getattr(self, name))
        for name in ("global_T", "toy_T", "moderate_T"):
            positive(name, getattr(self, name))
        positive("n_digits", self.n_digits, integer=True)
        positive("norm_steps", self.norm_steps, integer=True)
        positive_seq("hidden", self.hidden, integer=True)
        positive("seed", self.seed, integer=True, allow_zero=True)
        if len(self.local_hs) < 3 or len(self.toy_hs) < 3:
            raise ValueError("`local_hs` and `toy_hs` need at least 3 step sizes (a slope with an error estimate).")


class Results(NamedTuple):
    params: Params
    net: ProblemInfo
    toy: ProblemInfo
    local_errors: pd.DataFrame  # problem, order, h, error
    local_fits: pd.DataFrame  # problem, order, expected slope, measured slope, stderr, n
    global_errors: pd.DataFrame
    global_fits: pd.DataFrame
    moderate: pd.DataFrame  # h, errors against both flows, ratio, diverged
    lambda_max: float  # |largest Hessian eigenvalue| at theta_0 (power iteration)
    h_cross: float  # h at which the modified flow stops halving GD's error (ratio crosses GAIN_LOST_RATIO)
    norm_ratios: pd.DataFrame  # Proposition A.9: h, step, ratio
    critical: pd.DataFrame  # Proposition A.10: critical points of E and E~ on the double well
    minima: dict  # summary of `critical`
    zero_set: dict  # Proposition A.10 on the two-parameter model
    asymmetry: pd.DataFrame  # problem, correction, ||A||_F / ||J||_F
    remark32: pd.DataFrame  # per problem: R, M along the trajectory, h_cross, implied C = h_cross M / R
    trapping: pd.DataFrame  # Remark 3.4: GD from the local minimum's basin of the double well, per h and start
    moderate_toy: pd.DataFrame  # the moderate-regime scan on the two-parameter model


# where this chapter departs from the paper's protocol or fills one of its silences (each with its reason);
# the Departures page lists every chapter's, the chapter's page shows its own (igr_core.experiments.departures)
DEPARTURES: tuple[Departure, ...] = (
    Departure(
        NOTEBOOK,
        ("problems",),
        "no experiment in the paper",
        "a tanh MLP on offline digits and the two-parameter model",
        "the theorems need a smooth loss",
    ),
)
