"""Chapter 02's computation: each identity of Appendix A.2 by two independent routes.

Abstraction: at random points around a starting point, :func:`identities` computes the geometric
side of each identity from the surface itself (its unit normal found as the null vector of a
tangent basis built by central finite differences of loss *values*, no autodiff; the metric
determinant by LU factorization of the explicit m x m metric) and the other side from R_IG by
automatic differentiation, as relative errors per point; :func:`toy_surface` and
:func:`surface_normals` are the two-parameter model's surface and normals the page draws.
``run(Params)`` calls them on the two-parameter model and a tanh MLP on real digits. Float64
(the caller enables x64).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
from jax.flatten_util import ravel_pytree

from igr_core._src import columns as C
from igr_core._src import geometry as _geo
from igr_core._src import toy as _toy
from igr_core._src.problems import Problem, mnist_mlp_problem, toy_problem
from igr_core._src.regularizers import modified_loss, r_ig
from igr_core.experiments._params import require_x64
from igr_core.experiments.geometry.params import COL_33, COL_A6, COL_A8, COL_A61, H_MODIFIED, Params, Results


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
