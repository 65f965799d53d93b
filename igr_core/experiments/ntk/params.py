"""Chapter 03's parameters and results.

Abstraction: :class:`Params` is the validated record of one run of the NTK chapter (the digits
and the network, the step sizes of the (A.23) check, the step sizes of training as fractions of
the stability edge, the baseline's fraction, the physical time and the seeds); :class:`Results`
is what ``run`` returns and the result store keeps (stored as ``"03_ntk.Params"`` and
``"03_ntk.Results"``). The chapter's metadata (results version, float64, preferred platform)
lives here too.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import pandas as pd

from igr_core.experiments._params import PROFILES, ParamsBase, one_of, positive, positive_seq

NOTEBOOK = "03_ntk"
RESULTS_VERSION = 1  # bump when what run() computes changes: stored results of another version are refused
X64 = True  # float64: run() turns it on (identities to rounding and fitted orders need it)
PLATFORM = "cpu"  # small sequential float64 steps: slower on an H200 than on 2 CPU cores (benchmarks/gpu_h200.md)


@dataclasses.dataclass(frozen=True)
class Params(ParamsBase):
    profile: str = "smoke"
    n: int = 32  # digits
    hidden: tuple = (32, 32)
    identity_hs: tuple = (0.01, 0.1)
    ntk_h_fractions: tuple = (0.1, 0.2, 0.4, 0.8)  # step sizes as fractions of h_edge = 2 / lambda_max
    baseline_fraction: float = 0.02  # the small-h run that stands for the flow of E
    ntk_T_edge: float = 100.0  # physical time T in units of h_edge
    n_evals: int = 4
    seeds: tuple = (0, 1, 2)

    def __post_init__(self):
        one_of("profile", self.profile, PROFILES)
        positive("n", self.n, integer=True)
        positive_seq("hidden", self.hidden, integer=True)
        positive_seq("identity_hs", self.identity_hs)
        positive_seq("ntk_h_fractions", self.ntk_h_fractions)
        positive("baseline_fraction", self.baseline_fraction)
        positive("ntk_T_edge", self.ntk_T_edge)
        positive("n_evals", self.n_evals, integer=True)
        positive_seq("seeds", self.seeds, integer=True, allow_zero=True)
        if self.baseline_fraction >= min(self.ntk_h_fractions):
            raise ValueError(
                f"`baseline_fraction` ({self.baseline_fraction}) must be smaller than every "
                f"`ntk_h_fractions` entry {list(self.ntk_h_fractions)}."
            )


class Results(NamedTuple):
    params: Params
    source: str
    identity: pd.DataFrame  # one row per network: relative errors of A.11 and of (A.23) printed/corrected
    trajectory: pd.DataFrame  # seed, h / h_edge, step, t, E, R_IG, cross-term statistics, diverged
    summary: pd.DataFrame  # seed, h / h_edge, baseline flag, cos start/end, diverged
