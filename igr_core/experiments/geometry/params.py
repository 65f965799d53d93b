"""Chapter 02's parameters, results and the identities' columns.

Abstraction: :class:`Params` is the validated record of one run of the geometry checks (how many
random points, the network's size, how far from the starting point); :class:`Results` is what
``run`` returns and the result store keeps (stored as ``"02_geometry.Params"`` and
``"02_geometry.Results"``). The chapter's metadata (results version, float64), the step size of
Proposition 3.3 and the column of relative errors each identity is judged on live here too.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import pandas as pd

from igr_core._src.problems import ProblemInfo
from igr_core.experiments._params import PROFILES, ParamsBase, one_of, positive, positive_seq

NOTEBOOK = "02_geometry"
RESULTS_VERSION = 1  # bump when what run() computes changes: stored results of another version are refused
X64 = True  # float64: run() turns it on (identities to rounding and fitted orders need it)
H_MODIFIED = 0.1  # the step size at which Proposition 3.3 is checked (declared: 02.modified-loss-slope-33)

COL_A6 = "A.6: <N_fd, z> vs 1/sqrt(1 + m R_IG)"
COL_A61 = "A.6.1: tan(alpha_fd) vs sqrt(m R_IG)"
COL_33 = "3.3: E~ vs E + h/4 tan^2(alpha_fd)"
COL_A8 = "A.8: det g (explicit LU) vs 1 + m R_IG"
ROWS = {  # declaration id -> the column of relative errors its identity is judged on
    "02.normal-cosine-a6": COL_A6,
    "02.slope-a61": COL_A61,
    "02.metric-determinant-a8": COL_A8,
    "02.modified-loss-slope-33": COL_33,
}


@dataclasses.dataclass(frozen=True)
class Params(ParamsBase):
    profile: str = "smoke"
    n_points: int = 8
    n_digits: int = 32
    hidden: tuple = (4,)
    point_scale: float = 0.5
    seed: int = 0

    def __post_init__(self):
        one_of("profile", self.profile, PROFILES)
        positive("n_points", self.n_points, integer=True)
        positive("n_digits", self.n_digits, integer=True)
        positive_seq("hidden", self.hidden, integer=True)
        positive("point_scale", self.point_scale)
        positive("seed", self.seed, integer=True, allow_zero=True)


class Results(NamedTuple):
    params: Params
    toy: ProblemInfo
    net: ProblemInfo
    identities: pd.DataFrame  # problem, point, R_IG, one column of relative errors per identity
    surface: tuple  # (A, B, E, slope) of the two-parameter model on a grid
    normals: tuple  # ((a, b, E), unit normal) at a few points of the two-parameter model's surface
