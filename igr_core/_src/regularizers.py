"""Implicit and explicit gradient regularizers (Barrett & Dherin, 2021, Sections 2 and 4).

Abstraction: a loss is a function ``E(theta, *args)`` of a parameter pytree; every
function here either measures a property of ``grad E`` or builds a new loss (or its
gradient) from ``E``. Nothing here trains; :mod:`igr_core.engine` does.
"""

from __future__ import annotations

from typing import Callable

import jax
import jax.numpy as jnp
import optax

from igr_core._src.typing import LossFn, PyTree

_EGR_METHODS = ("exact", "finite_difference")


def num_params(tree: PyTree) -> int:
    """Number of scalar parameters m of a pytree."""
    return optax.tree.size(tree)


def r_ig(grads: PyTree) -> jax.Array:
    r"""Implicit gradient regularizer (Eq. 4).

    .. math::
        R_{IG}(\theta) = \frac{1}{m} \sum_{i=1}^m \left(\nabla_{\theta_i} E(\theta)\right)^2

    Args:
      grads: the gradient ``grad E(theta)`` as a pytree (every leaf counts).

    Returns:
      the mean of the squared entries over all leaves.
    """
    m = num_params(grads)
    if m == 0:
        raise ValueError("r_ig: `grads` has no entries; expected a pytree with at least one array leaf.")
    return optax.tree.norm(squared=True, tree=grads) / m


def igr_rate(h, m):
    r"""Implicit regularization rate (Eq. 3): :math:`\lambda = h m / 4`."""
    return h * m / 4


def _grad_sq_penalized(loss_fn: LossFn, coefficient) -> Callable[..., jax.Array]:
    def penalized(theta, *args):
        value, grads = jax.value_and_grad(loss_fn)(theta, *args)
        return value + coefficient * optax.tree.norm(squared=True, tree=grads)

    return penalized


def modified_loss(loss_fn: LossFn, h) -> Callable[..., jax.Array]:
    r"""Modified loss of gradient descent with step ``h`` (Eq. 2, Theorem 3.1).

    .. math::
        \widetilde E(\theta) = E(\theta) + \frac{h}{4}\|\nabla E(\theta)\|^2
                             = E(\theta) + \lambda R_{IG}(\theta),\quad \lambda = hm/4.

    Returns ``f(theta, *args)``; ``h`` may be a Python float or a traced array.
    """
    return _grad_sq_penalized(loss_fn, h / 4)


def egr_loss(loss_fn: LossFn, mu) -> Callable[..., jax.Array]:
    r"""Explicitly regularized loss (Eq. 8): :math:`E_\mu = E + \mu \|\nabla E\|^2`."""
    return _grad_sq_penalized(loss_fn, mu)


def egr_grad(loss_fn: LossFn, mu, method: str = "exact", fd_scale: float | None = None):
    r"""Gradient of the EGR loss :math:`E_\mu` (Eq. 8).

    .. math::
        \nabla E_\mu = \nabla E + 2\mu\, H \nabla E, \qquad H = D^2 E.

    Two routes:

    * ``method="exact"``: double backpropagation, ``jax.grad`` of :func:`egr_loss`.
    * ``method="finite_difference"``: the Hessian-gradient product from two
      gradient evaluations (forward difference along the unit gradient
      direction :math:`v = g/\|g\|`):

      .. math::
          H g \approx \|g\| \, \frac{\nabla E(\theta + \delta v) - \nabla E(\theta)}{\delta}.

      Step rule: :math:`\delta = s\,(1 + \|\theta\|)` with
      :math:`s = \sqrt{\varepsilon_{\rm mach}}` of the parameter dtype unless
      ``fd_scale`` is given. Error: truncation
      :math:`\tfrac{\delta}{2}\|g\|\,\|T[v, v]\|` (T the third derivative) plus
      rounding of order :math:`\varepsilon_{\rm mach}\|\nabla E\|\|g\|/\delta`;
      the default balances the two, so the relative error of :math:`Hg` is
      about :math:`\sqrt{\varepsilon_{\rm mach}}` (1e-8 in float64, 3e-4 in float32)
      times curvature ratios. At a critical point (g = 0) it returns g exactly.

    Returns ``grad_fn(theta, *args)`` giving a pytree shaped like ``theta``.
    """
    if method not in _EGR_METHODS:
        raise ValueError(f"egr_grad: `method` must be one of {_EGR_METHODS}, got {method!r}.")
    if method == "exact":
        return jax.grad(egr_loss(loss_fn, mu))

    grad_fn = jax.grad(loss_fn)

    def fd_grad(theta, *args):
        g = grad_fn(theta, *args)
        hg = hessian_gradient_product(lambda t: grad_fn(t, *args), theta, g, "finite_difference", fd_scale)
        return optax.tree.add_scale(g, 2.0 * mu, hg)

    return fd_grad


def hessian_gradient_product(
    grad_fn: Callable[[PyTree], PyTree], theta: PyTree, g: PyTree, method: str = "exact", fd_scale: float | None = None
) -> PyTree:
    r"""The product :math:`H g` of the Hessian of a loss at ``theta`` with ``g`` (its gradient
    there), the term EGR adds to the gradient (:math:`\nabla E_\mu = g + 2\mu H g`, Eq. 8).

    ``grad_fn(theta) -> grad E(theta)``. Routes:

    * ``"exact"``: forward-over-reverse differentiation, ``jax.jvp(grad_fn, (theta,), (g,))``
      (one gradient evaluation and its tangent, no materialized Hessian);
    * ``"finite_difference"``: :math:`\|g\|\,(\nabla E(\theta + \delta v) - g)/\delta` along
      :math:`v = g/\|g\|`, with the step rule of :func:`egr_grad` (one more gradient
      evaluation); exactly zero at a critical point.
    """
    if method not in _EGR_METHODS:
        raise ValueError(f"hessian_gradient_product: `method` must be one of {_EGR_METHODS}, got {method!r}.")
    if method == "exact":
        return jax.jvp(grad_fn, (theta,), (g,))[1]
    g_norm = optax.tree.norm(g)
    dtype = jnp.result_type(*jax.tree_util.tree_leaves(theta))
    scale = jnp.sqrt(jnp.finfo(dtype).eps) if fd_scale is None else fd_scale
    delta = (scale * (1.0 + optax.tree.norm(theta))).astype(dtype)
    safe_norm = jnp.where(g_norm > 0, g_norm, 1.0)
    direction = optax.tree.scale(1.0 / safe_norm, g)
    g_shift = grad_fn(optax.tree.add_scale(theta, delta, direction))
    return optax.tree.scale(jnp.where(g_norm > 0, g_norm / delta, 0.0), optax.tree.sub(g_shift, g))


def egr_value_and_grad(loss_fn: LossFn, mu, method: str = "exact", fd_scale: float | None = None):
    r"""EGR for any JAX loss, to drop into an optax loop: ``(E_mu(theta), grad E_mu(theta))``
    with :math:`E_\mu = E + \mu\|\nabla E\|^2` (Eq. 8), by double backpropagation
    (``method="exact"``) or by the finite-difference Hessian-gradient product of
    :func:`egr_grad` (``"finite_difference"``: two gradient evaluations). ``mu`` may be traced.

    Example::

        import optax
        from igr_core import egr_value_and_grad

        value_and_grad = jax.jit(egr_value_and_grad(loss, mu=0.01))
        opt = optax.sgd(0.1)
        opt_state = opt.init(params)
        for x, y in batches:
            value, grads = value_and_grad(params, x, y)
            updates, opt_state = opt.update(grads, opt_state, params)
            params = optax.apply_updates(params, updates)

    With ``mu = 0`` both routes return exactly ``jax.value_and_grad(loss_fn)``'s gradient.
    """
    grad_of = egr_grad(loss_fn, mu, method, fd_scale)

    def value_and_grad(theta, *args):
        value, g = jax.value_and_grad(loss_fn)(theta, *args)
        return value + mu * optax.tree.norm(g, squared=True), grad_of(theta, *args)

    return value_and_grad


__all__ = [
    "num_params",
    "r_ig",
    "igr_rate",
    "modified_loss",
    "egr_loss",
    "egr_grad",
    "egr_value_and_grad",
    "hessian_gradient_product",
]
