"""Chapter 02: R_IG as the squared slope of the loss surface (Appendix A.2).

Abstraction: at random points around a starting point, each identity of Appendix A.2 is
computed by two independent routes: the geometric side from the surface itself (its unit
normal found as the null vector of a tangent basis built by central finite differences of
loss *values*, no autodiff; the metric determinant by LU factorization of the explicit m x m
metric) and the other side from R_IG by automatic differentiation. ``run`` returns the
relative errors per point; ``claims`` judges them with :func:`igr_core.verdicts.identity` as
declared in ``igr_core/declarations/02_geometry.yml`` (finite-difference routes get the
finite-difference tolerance).
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
from jax.flatten_util import ravel_pytree

from igr_core._src import columns as C
from igr_core._src import geometry as _geo
from igr_core._src import toy as _toy
from igr_core._src import verdicts
from igr_core._src.problems import Problem, ProblemInfo, mnist_mlp_problem, toy_problem
from igr_core._src.regularizers import modified_loss, r_ig
from igr_core._src.verdicts import Claim
from igr_core._src.verdicts import declarations as _declarations
from igr_core.experiments._params import PROFILES, ParamsBase, one_of, positive, positive_seq, require_x64
from igr_core.experiments.banners import geometry_banner as banner
from igr_core.experiments.captions import geometry_captions as captions

NOTEBOOK = "02_geometry"
PART = "Theory"  # its part of the table of contents
RESULTS_VERSION = 1  # bump when what run() computes changes: stored results of another version are refused
X64 = True  # float64: run() turns it on (identities to rounding and fitted orders need it)
H_MODIFIED = 0.1  # the step size at which Proposition 3.3 is checked (declared: 02.modified-loss-slope-33)
DECLARED = _declarations.chapter(NOTEBOOK)  # every row's words, reference, kind and test (igr_core/declarations)

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
ROUTE = {col: DECLARED[cid].test["route"] for cid, col in ROWS.items()}  # each column's route, as declared


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


def identities(problem: Problem, n_points: int, scale: float, seed: int) -> pd.DataFrame:
    """Relative errors of Proposition A.6, Corollary A.6.1, Proposition 3.3 (finite-difference
    normal against autodiff R_IG) and Remark A.8 (explicit determinant) at random points."""
    flat0, unravel = ravel_pytree(problem.theta0)
    m = flat0.size
    key = jax.random.PRNGKey(seed)
    basis_fn = jax.jit(lambda th: _geo.tangent_basis_fd(problem.loss, th, *problem.args))
    rows = []
    for i in range(n_points):
        key, sub = jax.random.split(key)
        th = unravel(flat0 + scale * jax.random.normal(sub, flat0.shape, flat0.dtype))
        rig = r_ig(jax.grad(problem.loss)(th, *problem.args))
        n_fd = _geo.unit_normal_from_basis(basis_fn(th))
        tan_fd = jnp.linalg.norm(n_fd[:-1]) / n_fd[-1]
        e = problem.loss(th, *problem.args)
        det = jnp.linalg.det(_geo.metric_tensor(problem.loss, th, *problem.args))
        rows.append(
            {
                "problem": problem.name,
                "point": i,
                "m": m,
                C.R_IG: float(rig),
                COL_A6: float(abs(n_fd[-1] * jnp.sqrt(1 + m * rig) - 1)),
                COL_A61: float(abs(tan_fd / jnp.sqrt(m * rig) - 1)),
                COL_33: float(
                    abs(
                        modified_loss(problem.loss, H_MODIFIED)(th, *problem.args) / (e + H_MODIFIED / 4 * tan_fd**2)
                        - 1
                    )
                ),
                COL_A8: float(abs(det / (1 + m * rig) - 1)),
            }
        )
    return pd.DataFrame(rows)


def toy_surface(lim: float = 2.0, n: int = 41):
    """E and the slope of the two-parameter model on a grid: (A, B, E, slope)."""
    p = _toy.TABLE_A1["I"]
    a = np.linspace(-lim, lim, n)
    A, B = np.meshgrid(a, a)
    th = jnp.stack([A, B], axis=-1)
    return A, B, np.asarray(_toy.loss(th, p.x, p.y)), np.asarray(_toy.slope(th, p.x, p.y))


NORMAL_POINTS = ((-1.5, 1.0), (1.5, 1.5), (0.5, -1.5), (-1.0, -1.0), (0.0, 0.0))


def surface_normals(toy: Problem, points=NORMAL_POINTS) -> tuple:
    """((a, b, E), unit normal N) of the two-parameter model's surface at ``points``."""
    out = []
    for a, b in points:
        th = jnp.array([a, b])
        out.append(((a, b, float(toy.loss(th, *toy.args))), np.asarray(_geo.unit_normal(toy.loss, th, *toy.args))))
    return tuple(out)


def run(p: Params) -> Results:
    require_x64()
    toy = toy_problem("I")
    net = mnist_mlp_problem(n_examples=p.n_digits, hidden=p.hidden, activation="tanh", seed=p.seed)
    ident = pd.concat([identities(prob, p.n_points, p.point_scale, p.seed) for prob in (toy, net)], ignore_index=True)
    return Results(p, toy.info(), net.info(), ident, toy_surface(), surface_normals(toy))


def claims(r: Results) -> list[Claim]:
    """Each declared identity (igr_core/declarations/02_geometry.yml) judged on its column, at the
    declared dtype and route."""
    ident = r.identities
    note = f"{len(ident)} points, m up to {int(ident['m'].max())}"
    notes = {
        COL_A6: note + "; normal from a finite-difference tangent basis",
        COL_A61: note,
        COL_A8: note + "; explicit determinant",
        COL_33: note + f"; h = {H_MODIFIED}",
    }
    h = DECLARED["02.modified-loss-slope-33"].test["h"]
    if h != H_MODIFIED:
        raise ValueError(
            f"02.modified-loss-slope-33 declares h = {h}, but run() computes Proposition 3.3 at {H_MODIFIED}"
        )
    rows = []
    for cid, col in ROWS.items():
        d = DECLARED[cid]
        rows.append(d.row(verdicts.identity(ident[col], d.test["dtype"], route=d.test["route"]), notes[col]))
    return rows


def facts(r: Results) -> dict:
    cols = list(ROUTE)
    return {
        "max_err_fd": float(r.identities[[c for c in cols if ROUTE[c] != "exact"]].to_numpy().max()),
        "max_err_det": float(r.identities[COL_A8].max()),
        "m_net": r.net.m,
        "data_source": r.net.source,
    }


__all__ = [
    "NOTEBOOK",
    "PART",
    "banner",
    "captions",
    "Params",
    "Results",
    "run",
    "claims",
    "facts",
    "identities",
    "toy_surface",
]
