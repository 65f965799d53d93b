"""The neural tangent kernel form of implicit gradient regularization (Appendix A.3).

Abstraction: a model ``apply_fn(params, x) -> (n, c)`` outputs; errors
eps_i = f(x_i) - y_i; Jacobian rows J_i = d eps_i / d theta. The empirical NTK is
K(x_i, x_j) = J_i J_j^T (A.22), a (c x c) block per pair of points. For the least
squares loss E = sum_i ||eps_i||^2 (Proposition A.11):

.. math::
    R_{IG} = \\frac{1}{m}\\|\\nabla E\\|^2 = \\frac4m \\sum_{ij} \\epsilon_i^T K_{ij} \\epsilon_j,
    \\qquad \\widetilde E = E + h \\sum_{ij}\\epsilon_i^T K_{ij} \\epsilon_j
    = \\epsilon^T (1 + hK)\\epsilon \\text{ (scalar outputs)}.

(The paper's (A.23) prints :math:`\\epsilon^T(1 + K)\\epsilon`: the factor h is missing.)

Kernels are built from Jacobian-vector and vector-Jacobian products, K v = J (J^T v),
so the (n c) x m Jacobian is never formed; ``method="jacobian"`` forms it (small
problems, and as the second route in tests).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from igr_core._src.regularizers import num_params
from igr_core._src.typing import ApplyFn, PyTree

_NTK_METHODS = ("jvp_vjp", "jacobian")


def _outputs(apply_fn: ApplyFn, params: PyTree, x) -> jax.Array:
    out = apply_fn(params, x)
    return out[:, None] if out.ndim == 1 else out


def empirical_ntk(apply_fn: ApplyFn, params: PyTree, x, method: str = "jvp_vjp", chunk: int = 64) -> jax.Array:
    """Empirical NTK on the inputs ``x``.

    Returns an array of shape (n, n) for scalar outputs, else (n, n, c, c) with
    ``K[i, j] = J_i J_j^T``. ``method="jvp_vjp"`` computes columns K e_k = J (J^T e_k)
    in chunks of ``chunk`` basis vectors (memory O(chunk * (m + n c))).
    """
    if method not in _NTK_METHODS:
        raise ValueError(f"empirical_ntk: `method` must be one of {_NTK_METHODS}, got {method!r}.")

    def f(p):
        return _outputs(apply_fn, p, x)

    out, vjp_fn = jax.vjp(f, params)
    n, c = out.shape
    if method == "jacobian":
        jac = jax.jacrev(f)(params)
        rows = jnp.concatenate([j.reshape(n * c, -1) for j in jax.tree_util.tree_leaves(jac)], axis=1)
        k = rows @ rows.T
    else:

        def column(e):
            (jt_e,) = vjp_fn(e.reshape(n, c))
            return jax.jvp(f, (params,), (jt_e,))[1].reshape(-1)

        basis = jnp.eye(n * c, dtype=out.dtype)
        k = jax.lax.map(column, basis, batch_size=min(chunk, n * c)).T
    k = k.reshape(n, c, n, c).transpose(0, 2, 1, 3)
    return k[:, :, 0, 0] if c == 1 else k


def least_squares_loss(apply_fn: ApplyFn):
    """E(theta, x, y) = sum_i ||f(x_i) - y_i||^2, the loss of Proposition A.11."""

    def loss(params, x, y):
        eps = _outputs(apply_fn, params, x) - y.reshape(x.shape[0], -1)
        return jnp.sum(eps**2)

    return loss


def r_ig_ntk(apply_fn: ApplyFn, params: PyTree, x, y, method: str = "jvp_vjp") -> jax.Array:
    """R_IG through the NTK (Proposition A.11): (4/m) sum_ij eps_i^T K(x_i, x_j) eps_j."""
    k = empirical_ntk(apply_fn, params, x, method=method)
    eps = _outputs(apply_fn, params, x) - y.reshape(x.shape[0], -1)
    quad = eps[:, 0] @ k @ eps[:, 0] if k.ndim == 2 else jnp.einsum("ia,ijab,jb->", eps, k, eps)
    return 4.0 * quad / num_params(params)


def ntk_modified_loss(apply_fn: ApplyFn, params: PyTree, x, y, h) -> jax.Array:
    """Modified loss in kernel form, E + h sum_ij eps_i^T K_ij eps_j (A.21, corrected A.23)."""
    k = empirical_ntk(apply_fn, params, x)
    eps = _outputs(apply_fn, params, x) - y.reshape(x.shape[0], -1)
    if k.ndim == 2:
        e = eps[:, 0]
        return e @ ((jnp.eye(e.size, dtype=e.dtype) + h * k) @ e)
    return jnp.sum(eps**2) + h * jnp.einsum("ia,ijab,jb->", eps, k, eps)


def ntk_cross_term_stats(k: jax.Array) -> dict:
    """How large the off-diagonal NTK terms are relative to the diagonal ones (scalar outputs).

    Returns ``mean_abs_cosine``: mean over i != j of |K_ij| / sqrt(K_ii K_jj) (the cosine
    between the error directions grad eps_i and grad eps_j), and ``offdiag_fraction``:
    sum_{i != j} |K_ij| / sum_ij |K_ij|.
    """
    if k.ndim != 2:
        raise ValueError("ntk_cross_term_stats: expected a scalar-output kernel of shape (n, n).")
    d = jnp.sqrt(jnp.diag(k))
    cos = k / jnp.outer(d, d)
    n = k.shape[0]
    off = ~jnp.eye(n, dtype=bool)
    return {
        "mean_abs_cosine": jnp.sum(jnp.where(off, jnp.abs(cos), 0.0)) / (n * (n - 1)),
        "offdiag_fraction": jnp.sum(jnp.where(off, jnp.abs(k), 0.0)) / jnp.sum(jnp.abs(k)),
    }


__all__ = ["empirical_ntk", "least_squares_loss", "r_ig_ntk", "ntk_modified_loss", "ntk_cross_term_stats"]
