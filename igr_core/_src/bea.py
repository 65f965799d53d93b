"""Backward error analysis of gradient descent (Section 3, Appendix A.1).

Abstraction: gradient descent ``theta_{n+1} = theta_n - h grad E(theta_n)`` is the
explicit Euler method for the gradient flow ``theta' = f(theta) = -grad E(theta)``.
Backward error analysis finds a modified vector field

.. math::
    \\tilde f = f + h f_1 + h^2 f_2 + \\cdots \\qquad (\\text{Eq. 6, A.3})

whose exact flow interpolates the iterates. This module builds the truncated
modified fields (orders 0, 1, 2), integrates flows accurately (diffrax, Dormand-Prince
8(7) with tight adaptive tolerances), and measures local (one-step) and global
(fixed time ``T = n h``) errors between gradient descent and those flows, with a
fitted log-log slope for the order of accuracy.

Formulas (g = grad E, H its Hessian, T[u, v] the third derivative applied twice):

* order 1 (Theorem 3.1): :math:`f_1 = -\\tfrac12 H g = -\\tfrac14 \\nabla\\|g\\|^2`, so
  :math:`f + h f_1 = -\\nabla(E + \\tfrac h4 \\|g\\|^2)`;
* order 2: :math:`f_2 = \\tfrac1{12} f''(f,f) + \\tfrac13 f'f'f
  = -\\tfrac1{12} T[g,g] - \\tfrac13 H^2 g`, which is *not* a gradient field in
  general (its Jacobian has antisymmetric part :math:`-\\tfrac1{12} [H, T[g]]`).

The one-step error of GD against the flow of the order-k field is
:math:`O(h^{k+2})`; the error at fixed time T is :math:`O(h^{k+1})`.
"""

from __future__ import annotations

from typing import Callable, Sequence

import diffrax
import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.flatten_util import ravel_pytree

from igr_core._src import columns as C
from igr_core._src.typing import LossFn, PyTree, VectorField

ORDERS = (0, 1, 2)
DIVERGENCE_NORM = 1e6  # a GD iterate whose norm exceeds this (or is non-finite) has diverged


def diverged(value, threshold: float = DIVERGENCE_NORM) -> jax.Array:
    """The one divergence rule of the library: ``value`` (a loss or a norm) is non-finite or
    larger than ``threshold`` in magnitude. The sweep engine applies it to the training loss,
    the GD runs here to the parameter norm."""
    return ~jnp.isfinite(value) | (jnp.abs(value) > threshold)


def _check_order(order) -> int:
    if isinstance(order, bool) or not isinstance(order, (int, np.integer)) or int(order) not in ORDERS:
        raise ValueError(
            f"`order` must be one of {ORDERS} (the truncation order of the modified field), got {order!r}."
        )
    return int(order)


def gd_step(loss_fn: LossFn, h) -> Callable[..., PyTree]:
    """One gradient descent step (Eq. 1): ``theta -> theta - h grad E(theta)``."""
    grad_fn = jax.grad(loss_fn)

    def step(theta, *args):
        return optax.tree.add_scale(theta, -h, grad_fn(theta, *args))

    return step


def hvp(loss_fn: LossFn, theta: PyTree, v: PyTree, *args) -> PyTree:
    """Hessian-vector product H(theta) v by forward-over-reverse differentiation."""
    return jax.jvp(lambda t: jax.grad(loss_fn)(t, *args), (theta,), (v,))[1]


def correction(loss_fn: LossFn, k: int) -> VectorField:
    """The k-th correction f_k of the modified field of gradient descent (k = 0, 1, 2).

    f_0 = -g, f_1 = -H g / 2, f_2 = -T[g, g]/12 - H^2 g / 3 (independent of h).
    """
    k = _check_order(k)
    grad_fn = jax.grad(loss_fn)

    def field(theta, *args):
        g = grad_fn(theta, *args)
        if k == 0:
            return optax.tree.scale(-1.0, g)
        hg = hvp(loss_fn, theta, g, *args)
        if k == 1:
            return optax.tree.scale(-0.5, hg)
        h2g = hvp(loss_fn, theta, hg, *args)
        # T[g, g] = d/ds [H(theta + s g) g] at s = 0 (g held fixed).
        tgg = jax.jvp(lambda t: hvp(loss_fn, t, g, *args), (theta,), (g,))[1]
        return optax.tree.add_scale(optax.tree.scale(-1.0 / 3, h2g), -1.0 / 12, tgg)

    return field


def modified_vector_field(loss_fn: LossFn, h, order: int) -> VectorField:
    """The modified vector field of gradient descent truncated at ``order`` (0, 1 or 2).

    * 0: :math:`-g` (gradient flow of E, Eq. 5);
    * 1: :math:`-g - \\tfrac h2 Hg = -\\nabla \\widetilde E` (Eq. 7);
    * 2: adds :math:`h^2 f_2 = -h^2 (\\tfrac1{12} T[g,g] + \\tfrac13 H^2 g)`.

    Returns ``field(theta, *args)``, a pytree shaped like ``theta``. ``h`` may be traced.
    """
    order = _check_order(order)
    parts = [correction(loss_fn, k) for k in range(order + 1)]

    def field(theta, *args):
        out = parts[0](theta, *args)
        for k in range(1, order + 1):
            out = optax.tree.add_scale(out, h**k, parts[k](theta, *args))
        return out

    return field


def flow(
    field: VectorField,
    theta0: PyTree,
    t1,
    *args,
    rtol: float = 1e-12,
    atol: float = 1e-12,
    max_steps: int = 100_000,
    ts=None,
):
    """Accurately integrate ``theta' = field(theta, *args)`` from time 0 to ``t1``.

    Uses diffrax's Dormand-Prince 8(7) with a PID step-size controller; ``t1`` may be a
    traced array so a sweep over times compiles once. With ``ts`` (times in [0, t1]),
    returns the solution at those times stacked on a leading axis; otherwise the state
    at ``t1``. If the solver fails (step-size collapse on a stiff or blowing-up field,
    or ``max_steps`` reached) the returned leaves are NaN rather than raising, so sweeps
    over large step sizes record the failure.
    """
    term = diffrax.ODETerm(lambda t, y, a: field(y, *a))
    t1 = jnp.asarray(t1, dtype=jnp.result_type(float))
    saveat = diffrax.SaveAt(ts=ts) if ts is not None else diffrax.SaveAt(t1=True)
    sol = diffrax.diffeqsolve(
        term,
        diffrax.Dopri8(),
        t0=jnp.zeros_like(t1),
        t1=t1,
        dt0=None,
        y0=theta0,
        args=args,
        stepsize_controller=diffrax.PIDController(rtol=rtol, atol=atol),
        saveat=saveat,
        max_steps=max_steps,
        throw=False,
    )
    ok = sol.result == diffrax.RESULTS.successful
    ys = jax.tree_util.tree_map(lambda y: jnp.where(ok, y, jnp.nan), sol.ys)
    if ts is None:
        ys = jax.tree_util.tree_map(lambda y: y[0], ys)
    return ys


def gd_trajectory(loss_fn: LossFn, theta0: PyTree, h, n_steps: int, *args) -> PyTree:
    """Iterates theta_0..theta_n of gradient descent, stacked on a leading axis. ``h`` may
    be traced. A diverging run shows non-finite values (see :func:`gd_final` for the rule)."""
    step = gd_step(loss_fn, h)

    def body(theta, _):
        new = step(theta, *args)
        return new, new

    _, path = jax.lax.scan(body, theta0, None, length=int(n_steps))
    return jax.tree_util.tree_map(lambda a, p: jnp.concatenate([a[None], p]), theta0, path)


def gd_final(
    loss_fn: LossFn, theta0: PyTree, h, n_steps: int, *args, divergence_threshold: float = DIVERGENCE_NORM
) -> PyTree:
    """Last iterate of ``n_steps`` gradient descent steps; NaN from the first iterate that
    :func:`diverged` (norm above ``divergence_threshold`` or non-finite). ``h`` may be traced,
    and the function may be vmapped over starting points."""
    step = gd_step(loss_fn, h)

    def body(i, theta):
        new = step(theta, *args)
        bad = diverged(optax.tree.norm(new), divergence_threshold)
        return jax.tree_util.tree_map(lambda x: jnp.where(bad, jnp.nan, x), new)

    return jax.lax.fori_loop(0, n_steps, body, theta0)


def sharpness(loss_fn: LossFn, theta: PyTree, *args, iters: int = 100, seed: int = 0) -> float:
    """Largest Hessian eigenvalue magnitude |lambda|_max at ``theta`` by power iteration on
    Hessian-vector products (:func:`hvp`); ``2 / sharpness`` is GD's linear stability edge."""
    v = jax.tree_util.tree_map(lambda p: jax.random.normal(jax.random.PRNGKey(seed), p.shape, p.dtype), theta)

    @jax.jit
    def step(v):
        hv = hvp(loss_fn, theta, v, *args)
        return optax.tree.scale(1.0 / optax.tree.norm(hv), hv), optax.tree.vdot(v, hv)

    lam = 0.0
    for _ in range(iters):
        v, lam = step(v)
    return float(abs(lam))


def _as_hs(hs) -> np.ndarray:
    arr = np.asarray(hs, dtype=float).reshape(-1)
    if arr.size == 0 or not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise ValueError(f"`hs` must be a non-empty sequence of positive finite step sizes, got {hs!r}.")
    return arr


def one_step_errors(step_for: Callable, field_for: Callable, theta0: PyTree, hs: Sequence[float], *args) -> np.ndarray:
    """One-step errors ``||step_h(theta0) - phi_h(theta0)||`` for each h: ``step_for(h)`` is a
    one-step map ``(theta, *args) -> theta``, ``field_for(h)`` the field whose time-h flow
    ``phi_h`` describes it. One compilation serves every ``h`` (step sizes are traced)."""
    hs = _as_hs(hs)

    @jax.jit
    def one(h, theta, a):
        ref = flow(field_for(h), theta, h, *a)
        return optax.tree.norm(optax.tree.sub(step_for(h)(theta, *a), ref))

    return np.array([float(one(jnp.asarray(h), theta0, args)) for h in hs])


def local_errors(loss_fn: LossFn, theta0: PyTree, hs: Sequence[float], order: int, *args) -> np.ndarray:
    """One-step errors ``||GD_h(theta0) - phi_h(theta0)||`` for each step size in ``hs``.

    ``phi_h`` is the time-``h`` flow of the order-``order`` modified field built with the
    same ``h`` (order 0: the gradient flow of E). Expected scaling: ``h**(order + 2)``.
    """
    order = _check_order(order)
    return one_step_errors(
        lambda h: gd_step(loss_fn, h), lambda h: modified_vector_field(loss_fn, h, order), theta0, hs, *args
    )


def global_errors(
    loss_fn: LossFn,
    theta0: PyTree,
    hs: Sequence[float],
    T: float,
    order: int,
    *args,
    divergence_threshold: float = DIVERGENCE_NORM,
) -> np.ndarray:
    """Errors ``||theta_n - phi_T(theta0)||`` at fixed time ``T = n h`` (n = round(T/h)).

    Expected scaling: ``h**(order + 1)``. Step sizes for which gradient descent diverges
    (non-finite iterate, or norm above ``divergence_threshold``) give ``inf``; a flow the
    integrator cannot follow gives ``nan``.
    """
    order = _check_order(order)
    hs = _as_hs(hs)
    if not (np.isfinite(T) and T > 0):
        raise ValueError(f"`T` must be a positive finite time, got {T!r}.")

    @jax.jit
    def one(h, n, theta, a):
        gd = gd_final(loss_fn, theta, h, n, *a, divergence_threshold=divergence_threshold)
        ref = flow(modified_vector_field(loss_fn, h, order), theta, n * h, *a)
        return jnp.where(diverged(optax.tree.norm(gd)), jnp.inf, optax.tree.norm(optax.tree.sub(gd, ref)))

    out = []
    for h in hs:
        n = max(1, int(round(T / h)))
        out.append(float(one(jnp.asarray(h), n, theta0, args)))
    return np.array(out)


def fit_order(hs: Sequence[float], errors: Sequence[float]) -> float:
    """Least-squares slope of ``log(error)`` against ``log(h)``: the measured order."""
    return fit_order_stats(hs, errors)[0]


def fit_order_stats(hs: Sequence[float], errors: Sequence[float]) -> tuple[float, float]:
    """(slope, standard error of the slope) of the log-log least-squares fit; the standard
    error is NaN with two step sizes."""
    from scipy.stats import linregress

    hs = _as_hs(hs)
    errors = np.asarray(errors, dtype=float).reshape(-1)
    if errors.shape != hs.shape:
        raise ValueError(f"`errors` must have one entry per step size ({hs.size}), got {errors.size}.")
    if hs.size < 2 or not np.all(np.isfinite(errors)) or np.any(errors <= 0):
        raise ValueError("fit_order needs at least two step sizes and positive finite `errors`.")
    fit = linregress(np.log(hs), np.log(errors))
    return float(fit.slope), (float(fit.stderr) if hs.size > 2 else float("nan"))


def jacobian_asymmetry(
    field: VectorField, theta: PyTree, *args, num_probes: int | None = None, key: jax.Array | None = None
) -> float:
    """Relative size ``||A||_F / ||J||_F`` of the antisymmetric part ``A = (J - J^T)/2``
    of the Jacobian ``J`` of a vector field at ``theta``.

    A gradient field has a symmetric Jacobian, so this is ~machine precision for
    orders 0 and 1 and clearly non-zero for the order-2 field. With ``num_probes=None``
    the Jacobian is formed explicitly (small m); otherwise Hutchinson estimates
    ``E||A v||^2 = ||A||_F^2`` with Gaussian probes through one JVP and one VJP each.
    """
    flat, unravel = ravel_pytree(theta)

    def flat_field(x):
        return ravel_pytree(field(unravel(x), *args))[0]

    if num_probes is None:
        jac = jax.jacfwd(flat_field)(flat)
        return float(jnp.linalg.norm(jac - jac.T) / 2 / jnp.linalg.norm(jac))
    if key is None:
        key = jax.random.PRNGKey(0)
    probes = jax.random.normal(key, (num_probes, flat.size), dtype=flat.dtype)
    _, vjp_fn = jax.vjp(flat_field, flat)

    def one(v):
        jv = jax.jvp(flat_field, (flat,), (v,))[1]
        jtv = vjp_fn(v)[0]
        return jnp.sum(((jv - jtv) / 2) ** 2), jnp.sum(jv**2)

    a2, j2 = jax.lax.map(one, probes)
    return float(jnp.sqrt(jnp.mean(a2) / jnp.mean(j2)))


def crossing(hs, ratios, level: float = 1.0) -> float:
    """Smallest h at which ``ratios`` (sorted by h) reach ``level``, interpolated linearly in
    (log h, log ratio) between the last point below and the first at or above; NaN if the
    ratio never reaches the level (or starts above it)."""
    hs, r = np.asarray(hs, float), np.asarray(ratios, float)
    order = np.argsort(hs)
    hs, r = hs[order], r[order]
    ok = np.isfinite(r) & (r > 0)
    hs, r = hs[ok], r[ok]
    above = np.flatnonzero(r >= level)
    if above.size == 0 or above[0] == 0:
        return float("nan")
    i = above[0]
    x0, x1, y0, y1 = np.log(hs[i - 1]), np.log(hs[i]), np.log(r[i - 1]), np.log(r[i])
    return float(np.exp(x0 + (np.log(level) - y0) * (x1 - x0) / (y1 - y0)))


__all__ = [
    "crossing",
    "ORDERS",
    "DIVERGENCE_NORM",
    C.DIVERGED,
    "gd_final",
    "sharpness",
    "fit_order_stats",
    "gd_step",
    "hvp",
    "correction",
    "modified_vector_field",
    "flow",
    "gd_trajectory",
    "one_step_errors",
    "local_errors",
    "global_errors",
    "fit_order",
    "jacobian_asymmetry",
]
