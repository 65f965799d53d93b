"""Geometry of the loss surface (Section 3, Appendix A.2).

Abstraction: the loss surface is the graph S = {(theta, E(theta))} in R^{m+1}
(Monge parameterization). Every quantity here is a function of grad E only:

* unit normal :math:`N = (-\\nabla E, 1)/\\sqrt{1 + \\|\\nabla E\\|^2}`;
* tilt angle :math:`\\alpha = \\arccos\\langle N, \\hat z\\rangle` (A.16);
* slope :math:`\\tan\\alpha = \\|\\nabla E\\| = \\sqrt{m R_{IG}}` (A.17, Corollary A.6.1);
* metric :math:`g_{ij} = \\delta_{ij} + \\partial_i E\\, \\partial_j E`, with
  :math:`|g| = 1 + \\|\\nabla E\\|^2 = 1 + m R_{IG}` (Remark A.8).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import optax
from jax.flatten_util import ravel_pytree

from igr_core._src import columns as C
from igr_core._src.bea import gd_trajectory
from igr_core._src.typing import LossFn, PyTree


def _flat_grad(loss_fn: LossFn, theta: PyTree, *args) -> jax.Array:
    return ravel_pytree(jax.grad(loss_fn)(theta, *args))[0]


def slope(loss_fn: LossFn, theta: PyTree, *args) -> jax.Array:
    """Loss-surface slope tan(alpha) = ||grad E|| (A.17, Corollary A.6.1)."""
    return optax.tree.norm(jax.grad(loss_fn)(theta, *args))


def unit_normal(loss_fn: LossFn, theta: PyTree, *args) -> jax.Array:
    """Unit normal N(theta) to the loss surface, a vector in R^{m+1} (last entry: z)."""
    g = _flat_grad(loss_fn, theta, *args)
    return jnp.concatenate([-g, jnp.ones((1,), g.dtype)]) / jnp.sqrt(1.0 + jnp.sum(g**2))


def tilt_angle(loss_fn: LossFn, theta: PyTree, *args) -> jax.Array:
    """Angle alpha between the tangent plane and the parameter plane (A.16).

    Computed from the normal as ``atan2(||N_{1..m}||, N_{m+1})``, which equals
    ``arccos <N, z>`` but keeps full relative precision for small slopes.
    """
    n = unit_normal(loss_fn, theta, *args)
    return jnp.arctan2(jnp.linalg.norm(n[:-1]), n[-1])


def metric_tensor(loss_fn: LossFn, theta: PyTree, *args) -> jax.Array:
    """Induced metric g_ij = delta_ij + d_iE d_jE as an explicit m x m matrix (small m only)."""
    g = _flat_grad(loss_fn, theta, *args)
    return jnp.eye(g.size, dtype=g.dtype) + jnp.outer(g, g)


def metric_determinant(loss_fn: LossFn, theta: PyTree, *args) -> jax.Array:
    """det g = 1 + ||grad E||^2 by the matrix determinant lemma (Remark A.8); O(m)."""
    return 1.0 + optax.tree.norm(squared=True, tree=jax.grad(loss_fn)(theta, *args))


def tangent_basis_fd(loss_fn: LossFn, theta: PyTree, *args, step: float | None = None, chunk: int = 256) -> jax.Array:
    """Tangent vectors of the graph surface from loss *values* only (no autodiff): the
    central differences of the embedding X(theta) = (theta, E(theta)) along each axis,
    t_i = (e_i, [E(theta + d e_i) - E(theta - d e_i)] / 2d). Returns the (m + 1) x m matrix
    of columns t_i. ``step`` defaults to eps^(1/3) (1 + |theta_i|), the balance of truncation
    and rounding for central differences."""
    flat, unravel = ravel_pytree(theta)
    m = flat.size
    d = (jnp.finfo(flat.dtype).eps ** (1.0 / 3.0) if step is None else step) * (1.0 + jnp.abs(flat))

    def f(x):
        return loss_fn(unravel(x), *args)

    def column(i):
        e = jnp.zeros_like(flat).at[i].set(d[i])
        return (f(flat + e) - f(flat - e)) / (2 * d[i])

    slopes = jax.lax.map(column, jnp.arange(m), batch_size=min(chunk, m))
    return jnp.concatenate([jnp.eye(m, dtype=flat.dtype), slopes[None, :]], axis=0)


def unit_normal_from_basis(basis: jax.Array) -> jax.Array:
    """The unit normal of the surface spanned by the columns of ``basis`` ((m + 1) x m): the
    last column of the complete QR factorization (Householder), which is orthogonal to every
    tangent vector, oriented with N_{m+1} > 0."""
    q, _ = jnp.linalg.qr(basis, mode="complete")
    n = q[:, -1]
    return n * jnp.sign(n[-1])


def norm_step_ratios(loss_fn: LossFn, theta0: PyTree, h, n_steps: int, *args) -> jax.Array:
    """Proposition A.9 along a gradient descent trajectory.

    Returns, for every step n, ``| ||theta_{n+1}|| - ||theta_n|| | / (h slope(theta_n))``,
    which the proposition bounds by 1 (NaN where the slope is exactly zero).
    """
    path = gd_trajectory(loss_fn, theta0, h, n_steps, *args)
    norms = jax.vmap(optax.tree.norm)(path)
    slopes = jax.vmap(lambda th: slope(loss_fn, th, *args))(jax.tree_util.tree_map(lambda p: p[:-1], path))
    return jnp.abs(norms[1:] - norms[:-1]) / (h * slopes)


__all__ = [
    C.SLOPE,
    "unit_normal",
    "tilt_angle",
    "metric_tensor",
    "metric_determinant",
    "tangent_basis_fd",
    "unit_normal_from_basis",
    "norm_step_ratios",
]
