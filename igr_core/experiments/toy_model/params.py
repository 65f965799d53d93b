"""Chapter 04's parameters and results.

Abstraction: :class:`Params` is the validated record of one run of the two-parameter model
(Table A.1's initial points, the step sizes of Figures 1a, 1b, A.1 and A.2, the convergence map
and the patch of starts of the sensitivity study); :class:`Results` is what ``run`` returns
and the result store keeps (stored as ``"04_toy_model.Params"`` and ``"04_toy_model.Results"``).
The chapter's metadata (results version, float64, preferred platform) lives here too.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import numpy as np
import pandas as pd

from igr_core.experiments._params import PROFILES, ParamsBase, one_of, positive, positive_seq
from igr_core.experiments.departures import Departure

NOTEBOOK = "04_toy_model"
RESULTS_VERSION = 3  # bump when what run() computes changes: stored results of another version are refused
X64 = True  # float64: run() turns it on (identities to rounding and fitted orders need it)
PLATFORM = "cpu"  # small sequential float64 steps: slower on an H200 than on 2 CPU cores (benchmarks/gpu_h200.md)
PATH_POINTS = 4001  # Figure 1a's paths are thinned to at most this many points


@dataclasses.dataclass(frozen=True)
class Params(ParamsBase):
    profile: str = "smoke"
    initial_points: tuple = ((2.8, 3.5), (75.0, 74.925))  # Table A.1's (a_0, b_0), points I and II
    test_point: tuple = (0.5, 0.6)  # Figure A.2's (x_t, y_t)
    t_end: tuple = (10.0, 3.0)  # Figure 1a's training time, per initial point
    distance_steps: tuple = (400, 2000)
    fig1b_hs: tuple = (0.001, 0.002, 0.005, 0.01, 0.02, 0.025, 0.05, 0.075, 0.1)
    fig1b_steps: int = 20000
    scan_h_range: tuple = (0.01, 0.4, 79)  # Figure A.1 scan: first h, last h, number of h
    ricochet_steps: int = 300
    mus: tuple = (0.0, 0.01, 0.03, 0.1, 0.3, 0.5, 1.0, 3.0)
    egr_t_end: float = 10.0
    egr_h_euler: float = 0.0001
    map_lim: float = 3.0
    map_grid: int = 21
    map_hs: tuple = (0.01, 0.05, 0.1)
    map_t_end: float = 20.0
    # sensitivity of the landing point to the initialization (Section 5): a patch of starts around point I
    sensitivity_hs: tuple = (0.001, 0.025, 0.1, 0.15, 0.18, 0.2)  # must hold Table A.1's h_S and h_L
    sensitivity_radius: float = 0.05
    sensitivity_grid: int = 21

    def __post_init__(self):
        one_of("profile", self.profile, PROFILES)
        if len(self.initial_points) != 2 or any(len(p) != 2 for p in self.initial_points):
            raise ValueError(f"`initial_points` must be two (a_0, b_0) pairs, got {self.initial_points!r}.")
        if len(self.test_point) != 2:
            raise ValueError(f"`test_point` must be an (x, y) pair, got {self.test_point!r}.")
        positive_seq("t_end", self.t_end)
        positive_seq("distance_steps", self.distance_steps, integer=True)
        positive_seq("fig1b_hs", self.fig1b_hs)
        positive_seq("mus", self.mus, allow_zero=True)
        positive_seq("map_hs", self.map_hs)
        positive_seq("sensitivity_hs", self.sensitivity_hs)
        for name in ("fig1b_steps", "ricochet_steps", "map_grid", "sensitivity_grid"):
            positive(name, getattr(self, name), integer=True)
        for name in ("egr_t_end", "egr_h_euler", "map_lim", "map_t_end", "sensitivity_radius"):
            positive(name, getattr(self, name))
        lo, hi, k = self.scan_h_range
        if not (0 < lo < hi and int(k) == k and k >= 3):
            raise ValueError(
                f"`scan_h_range` must be [first h > 0, last h > first, count >= 3], got {self.scan_h_range!r}."
            )


class Results(NamedTuple):
    params: Params
    points: dict  # "I", "II" -> ToyPoint with this run's initial points
    paths: dict  # point -> {trajectory name: (n + 1, 2) array}  (Figure 1a)
    closeness: pd.DataFrame  # distances of GD at h_M to the two flows, per point
    euler_gap: dict  # point -> max distance between the paper's Euler and Dopri8 integrations
    sweep: pd.DataFrame  # Figure 1b
    scan: pd.DataFrame  # Figure A.1 scan
    ricochet: np.ndarray  # GD at h_L from point I
    edges: dict  # linear stability edges and measured onsets (Figure A.1)
    egr: pd.DataFrame  # Figure A.2: mu, t, E, test error, ||theta||
    egr_profile: pd.DataFrame  # per time: Spearman rho(mu, test error) and p
    norms: pd.DataFrame  # end points of Figure 1a's trajectories: norms
    dists: pd.DataFrame  # ... distances to the min-norm minimum
    cmap: pd.DataFrame  # convergence map
    map_summary: pd.DataFrame
    sensitivity: pd.DataFrame  # landing point's dependence on the initialization, per h (Section 5)
    igr_reach: pd.DataFrame  # GD at h = 2 mu from each point (Section 5: "not possible with IGR")
    remark: dict  # Remark A.12's vector form and slope formula against automatic differentiation


# where this chapter departs from the paper's protocol or fills one of its silences (each with its reason);
# the Departures page lists every chapter's, the chapter's page shows its own (igr_core.experiments.departures)
DEPARTURES: tuple[Departure, ...] = (
    Departure(
        NOTEBOOK,
        ("fig1b_hs", "scan_h_range", "mus", "map_hs"),
        "Figure 1b and A.1 grids are not listed",
        "the grids in the profiles",
        "the paper gives the figures, not their grids; Table A.1's values are used exactly",
    ),
)
