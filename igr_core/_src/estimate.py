r"""Estimating implicit regularization by gradient matching (the 2025 preprint "Estimating
Implicit Regularization in Deep Learning", cited in the book as ``estimating2025implicit``).

Abstraction: math only, no data or training. A *system* is a pair ``(G, y)`` of a matrix whose
columns are the gradients of candidate penalties at trained weights and the target
``y = -grad L``: a regularizer :math:`R_\phi = \sum_k \phi_k R_k` linear in its coefficients
explains the weights when :math:`G\phi = y` (their Eqs. 1-3, the stationarity of
:math:`L + R_\phi`). Systems from several endpoints (independent datasets, bootstrap resamples)
are stacked into one (their Section 2.2, Appendix F); :func:`solve` fits by least squares and
reports the residual, the conditioning and standard errors, and refuses systems that cannot
identify the coefficients. A general differentiable :math:`R_\phi` is fitted by
:func:`fit_penalty` (optax). The trajectory form (their Eqs. 4 and 6) estimates the coefficient
:math:`\alpha` of :math:`\|\nabla L\|^2` from gradient-descent steps against the exact gradient
flow of L over the same time (:func:`igr_coefficient`): backward error analysis predicts
:math:`\alpha = h/4` (Barrett & Dherin, Theorem 3.1). Gradients of the loss are vector-Jacobian
products (``jax.grad``) and Hessian-vector products are forward-over-reverse; no Jacobian or
Hessian is materialized except by the explicit quadratic-form penalties, whose columns are
the gradients themselves.
"""

from __future__ import annotations

import warnings
from typing import Callable, NamedTuple, Sequence

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.flatten_util import ravel_pytree

from igr_core._src.bea import flow, hvp

MAX_CONDITION = 1e8  # above this condition number the estimate is reported with a warning


class Penalty(NamedTuple):
    """Candidate penalties linear in their coefficients: ``columns(theta) -> (d, K)`` gradients
    of the K penalties at ``theta`` (flattened), with K names."""

    names: tuple
    columns: Callable


class Fit(NamedTuple):
    coef: np.ndarray  # (K,) estimated coefficients phi
    stderr: np.ndarray  # (K,) standard errors (NaN when there are no spare equations)
    names: tuple  # one name per coefficient
    residual_norm: float  # ||G phi - y||
    relative_residual: float  # ||G phi - y|| / ||y||
    condition: float  # condition number of G
    n_equations: int


def _flat(tree) -> jax.Array:
    return ravel_pytree(tree)[0]


def ridge() -> Penalty:
    r""":math:`R = \frac12\|\theta\|^2`, gradient :math:`\theta`."""
    return Penalty(("ridge",), lambda theta: _flat(theta)[:, None])


def l1(smoothing: float = 1e-6) -> Penalty:
    r"""Smoothed L1: :math:`R = \sum_i \sqrt{\theta_i^2 + s^2}`, gradient
    :math:`\theta_i/\sqrt{\theta_i^2+s^2}` (the sign away from zero)."""

    def cols(theta):
        t = _flat(theta)
        return (t / jnp.sqrt(t**2 + smoothing**2))[:, None]

    return Penalty(("l1",), cols)


def diagonal_quadratic(d: int) -> Penalty:
    r""":math:`R = \frac12\sum_i q_i\theta_i^2`: d coefficients, column i is
    :math:`\theta_i e_i`."""
    return Penalty(tuple(f"q{i}" for i in range(d)), lambda theta: jnp.diag(_flat(theta)))


def full_quadratic(d: int) -> Penalty:
    r""":math:`R = \frac12\theta^\top Q\theta`, Q symmetric: d(d+1)/2 coefficients
    :math:`Q_{ij}, i \le j`; the column of :math:`Q_{ij}` is the gradient with
    :math:`Q = E_{ij} + E_{ji}` (i < j) or :math:`E_{ii}`. :func:`quadratic_matrix` rebuilds Q."""
    iu = np.triu_indices(d)

    def cols(theta):
        t = _flat(theta)
        out = []
        for i, j in zip(*iu):
            c = jnp.zeros(d, t.dtype).at[i].add(t[j])
            out.append(c if i == j else c.at[j].add(t[i]))
        return jnp.stack(out, axis=1)

    return Penalty(tuple(f"Q{i}{j}" for i, j in zip(*iu)), cols)


def quadratic_matrix(coef, d: int) -> np.ndarray:
    """The symmetric matrix Q of :func:`full_quadratic`'s coefficients."""
    q = np.zeros((d, d))
    q[np.triu_indices(d)] = np.asarray(coef)
    return q + np.triu(q, 1).T


def gradient_system(loss_fn: Callable, theta, penalties: Sequence[Penalty], *args):
    """``(G, y, names)`` at trained weights ``theta``: G's columns are the candidate penalties'
    gradients, ``y = -grad L(theta, *args)``."""
    if not penalties:
        raise ValueError("`penalties` must name at least one candidate penalty.")
    y = -_flat(jax.grad(loss_fn)(theta, *args))
    G = jnp.concatenate([p.columns(theta) for p in penalties], axis=1)
    return G, y, tuple(n for p in penalties for n in p.names)


def stack(systems: Sequence[tuple]):
    """One system from several (endpoints of independent datasets or bootstrap resamples),
    with the same candidate names."""
    systems = list(systems)
    if not systems:
        raise ValueError("`systems` must hold at least one (G, y, names).")
    names = systems[0][2]
    if any(s[2] != names for s in systems):
        raise ValueError("stack: every system must have the same candidate penalties.")
    return (jnp.concatenate([s[0] for s in systems]), jnp.concatenate([s[1] for s in systems]), names)


def solve(system, max_condition: float = MAX_CONDITION) -> Fit:
    """Least-squares coefficients of ``G phi = y`` (``jnp.linalg.lstsq``) with residual,
    condition number and standard errors (residual variance times the diagonal of
    (G^T G)^-1). Fewer equations than coefficients, or collinear candidates (numerically
    rank-deficient G), raise ``ValueError``; a condition number above ``max_condition`` warns
    with the number."""
    G, y, names = system
    G = np.asarray(G, dtype=np.float64) if G.dtype == np.float64 else np.asarray(G)
    n, k = G.shape
    if n < k:
        raise ValueError(
            f"solve: {n} equations for {k} coefficients ({', '.join(names[:5])}...): stack more "
            "endpoints (independent datasets or bootstrap resamples) or use fewer candidates."
        )
    _, s, vt = np.linalg.svd(G, full_matrices=False)
    cond = float(s[0] / s[-1]) if s[-1] > 0 else float("inf")
    eps = float(np.finfo(G.dtype).eps)
    if not np.isfinite(cond) or s[-1] <= max(n, k) * eps * s[0]:
        raise ValueError(
            f"solve: the candidate gradients are collinear (condition number {cond:.3g}): the "
            f"coefficients of {names} are not identifiable from these weights."
        )
    if cond > max_condition:
        warnings.warn(
            f"solve: condition number {cond:.3g} > {max_condition:g}: the estimates of {names} are "
            "poorly identified (see the standard errors).",
            stacklevel=2,
        )
    coef, *_ = jnp.linalg.lstsq(jnp.asarray(G), jnp.asarray(y))
    coef = np.asarray(coef)
    resid = np.asarray(y) - G @ coef
    rss = float(resid @ resid)
    if n > k:
        inv_gram_diag = np.sum((vt.T / s) ** 2, axis=1)  # diag of (G^T G)^-1 from the SVD
        stderr = np.sqrt(rss / (n - k) * inv_gram_diag)
    else:
        stderr = np.full(k, np.nan)
    ynorm = float(np.linalg.norm(np.asarray(y)))
    return Fit(
        coef, stderr, tuple(names), float(np.sqrt(rss)), float(np.sqrt(rss)) / ynorm if ynorm else float("nan"), cond, n
    )


def fit_penalty(
    loss_fn: Callable, theta, penalty_fn: Callable, phi0, *args, steps: int = 2000, learning_rate: float = 1e-2
):
    r"""A general differentiable regularizer ``penalty_fn(phi, theta)``: minimize the
    gradient-matching error :math:`\|\nabla_\theta R_\phi(\theta) + \nabla L(\theta)\|^2`
    (their Eq. 3) over phi with Adam. Returns ``(phi, final matching error)``."""
    target = _flat(jax.grad(loss_fn)(theta, *args))

    def err(phi):
        return jnp.sum((_flat(jax.grad(penalty_fn, argnums=1)(phi, theta)) + target) ** 2)

    opt = optax.adam(learning_rate)

    @jax.jit
    def step(phi, state):
        value, g = jax.value_and_grad(err)(phi)
        updates, state = opt.update(g, state, phi)
        return optax.apply_updates(phi, updates), state, value

    phi, state = phi0, opt.init(phi0)
    for _ in range(int(steps)):
        phi, state, _ = step(phi, state)
    return phi, float(err(phi))


class IGRFit(NamedTuple):
    alpha: float  # estimated coefficient of ||grad L||^2
    predicted: float  # h / 4 (Barrett & Dherin)
    ratio: float  # alpha / (h/4)
    n_probes: int
    relative_residual: float = float("nan")  # ||r - alpha v|| / ||r|| over the probes: what alpha leaves unexplained


def early_stopping_penalty(X, h: float, k: int) -> jax.Array:
    r"""The quadratic penalty of early-stopped gradient descent on least squares (Ali et al.
    2019; the 2025 paper's Eq. 5): k steps of size h from 0 on
    :math:`L = \frac{1}{2n}\|X\theta - y\|^2` give exactly the minimizer of
    :math:`L + \frac12\theta^\top Q_k\theta` with

    .. math::
        Q_k = V\,\mathrm{diag}\Big(\frac{s_i (1-hs_i)^k}{1-(1-hs_i)^k}\Big)V^\top,
        \qquad S = X^\top X/n = V\,\mathrm{diag}(s_i)\,V^\top,

    whatever y is (eigen route; a zero eigenvalue takes its limit 1/(kh)). Q depends on the
    inputs only, so endpoints of independent targets on the same X share it."""
    X = jnp.asarray(X)
    if X.ndim != 2:
        raise ValueError(f"`X` must be an (n, d) matrix, got shape {X.shape}.")
    if not (np.isfinite(h) and h > 0):
        raise ValueError(f"`h` must be a positive step size, got {h!r}.")
    if not (isinstance(k, (int, np.integer)) and k >= 1):
        raise ValueError(f"`k` must be a positive integer number of steps, got {k!r}.")
    s, V = jnp.linalg.eigh(X.T @ X / X.shape[0])
    hs = h * s
    below = hs < 1  # 1 - (1 - hs)^k without cancellation where log1p applies
    one_minus_m = jnp.where(below, -jnp.expm1(k * jnp.log1p(-jnp.where(below, hs, 0.0))), 1 - (1 - hs) ** k)
    tiny = s <= s.max() * np.finfo(np.dtype(X.dtype)).eps
    q = jnp.where(tiny, 1.0 / (k * h), s * (1 - one_minus_m) / jnp.where(tiny, 1.0, one_minus_m))
    return (V * q) @ V.T


def rk4_flow(grad_fn: Callable, theta, h, substeps: int, *args):
    r"""The gradient flow :math:`\dot\theta = -\nabla L(\theta)` over time ``h`` by classical
    fourth-order Runge-Kutta in ``substeps`` equal steps (the 2025 paper's Appendix H.5 reference:
    sub-stepped Euler would carry the first-order backward error being estimated). ``grad_fn``
    is ``jax.grad`` of the loss; ``h`` may be traced."""
    if not (isinstance(substeps, (int, np.integer)) and substeps >= 1):
        raise ValueError(f"`substeps` must be a positive integer, got {substeps!r}.")
    dt = h / substeps

    def f(t):
        return jax.tree_util.tree_map(jnp.negative, grad_fn(t, *args))

    def body(_, t):
        k1 = f(t)
        k2 = f(optax.tree.add_scale(t, dt / 2, k1))
        k3 = f(optax.tree.add_scale(t, dt / 2, k2))
        k4 = f(optax.tree.add_scale(t, dt, k3))
        incr = jax.tree_util.tree_map(lambda a, b, c, d: (a + 2 * b + 2 * c + d) / 6, k1, k2, k3, k4)
        return optax.tree.add_scale(t, dt, incr)

    return jax.lax.fori_loop(0, int(substeps), body, theta)


def igr_probe(loss_fn: Callable, rtol: float = 1e-12, rk4_substeps: int | None = None):
    r"""One jitted probe ``(theta, h, *args) -> (r, v, |g|)`` for :func:`igr_coefficient`
    (h traced: one compilation serves every step size). The reference flow is Dormand-Prince 8
    at tolerance ``rtol`` or, with ``rk4_substeps``, classical RK4 in that many substeps
    (:func:`rk4_flow`, the 2025 paper's reference); with RK4, ``v`` is the gradient of
    :math:`\|\nabla L\|^2` by double backpropagation (their Appendix H.5), otherwise the
    forward-over-reverse Hessian-vector product :math:`2H\nabla L` (the same vector)."""
    grad_fn = jax.grad(loss_fn)

    def grad_sq(t, *args):
        return jnp.sum(_flat(grad_fn(t, *args)) ** 2)

    @jax.jit
    def probe(theta, h, *args):
        g = grad_fn(theta, *args)
        if rk4_substeps is None:
            end = flow(
                lambda t, *a: jax.tree_util.tree_map(jnp.negative, grad_fn(t, *a)),
                theta,
                h,
                *args,
                rtol=rtol,
                atol=rtol,
            )
            v = -2.0 * h * _flat(hvp(loss_fn, theta, g, *args))
        else:
            end = rk4_flow(grad_fn, theta, h, rk4_substeps, *args)
            v = -h * _flat(jax.grad(grad_sq)(theta, *args))  # reverse over reverse
        r = _flat(optax.tree.sub(optax.tree.scale(-h, g), optax.tree.sub(end, theta)))
        return r, v, jnp.linalg.norm(_flat(g))

    return probe


def igr_coefficient(
    loss_fn: Callable, thetas: Sequence, h: float, *args, rtol: float = 1e-12, probe: Callable | None = None
) -> IGRFit:
    r"""Trajectory form (their Eqs. 4, 6): at each probe point :math:`\theta`, the deviation
    of one gradient-descent step :math:`-h\nabla L` from the exact gradient flow of L over the
    same time h (``bea.flow``, Dormand-Prince 8) is regressed on
    :math:`-h\nabla\|\nabla L\|^2 = -2hH\nabla L`:

    .. math::
        \hat\alpha = \frac{\sum \langle r, v\rangle}{\sum\langle v, v\rangle},\quad
        r = -h\nabla L - (\varphi_h(\theta) - \theta),\quad v = -2hH\nabla L.

    Backward error analysis predicts :math:`\hat\alpha = h/4 + O(h^2)`. A loss whose curvature
    along its gradient is zero (piecewise linear, not twice differentiable) raises
    ``ValueError``: the trajectory form needs a Hessian. Pass ``probe=igr_probe(loss_fn, rtol)``
    to reuse one compilation across calls."""
    if not (np.isfinite(h) and h > 0):
        raise ValueError(f"`h` must be a positive step size, got {h!r}.")
    probe = probe or igr_probe(loss_fn, rtol)
    num = den = rr = 0.0
    h_arr = jnp.asarray(h, jnp.result_type(float))
    for theta in thetas:
        r, v, gn = probe(theta, h_arr, *args)
        r, v, gn = np.asarray(r), np.asarray(v), float(gn)
        vn = float(np.linalg.norm(v))
        if not (np.isfinite(vn) and np.all(np.isfinite(r))):
            raise ValueError("igr_coefficient: non-finite gradient, Hessian product or flow at a probe point.")
        if gn > 0 and vn == 0.0:
            raise ValueError(
                "igr_coefficient: the loss has zero curvature along its gradient at a probe point "
                "(piecewise linear, not twice differentiable?): the trajectory form needs a Hessian."
            )
        num += float(r @ v)
        den += float(v @ v)
        rr += float(r @ r)
    if den == 0.0:
        raise ValueError("igr_coefficient: every probe point is critical (zero gradient): nothing to estimate.")
    alpha = num / den
    resid = float(np.sqrt(max(rr - num * num / den, 0.0) / rr)) if rr > 0 else float("nan")
    return IGRFit(alpha, h / 4, alpha / (h / 4), len(thetas), resid)


def retrain_distance(
    loss_fn: Callable, penalty_fn: Callable, theta0, theta_ref, *args, steps: int = 5000, learning_rate: float = 0.1
) -> float:
    """Mode 2 (retraining check): gradient descent on ``L + penalty_fn`` from ``theta0`` with
    no implicit mechanism (full batch, run to convergence in one compiled loop), and the
    relative distance of the result to ``theta_ref``."""

    def total(t, *a):
        return loss_fn(t, *a) + penalty_fn(t)

    @jax.jit
    def train(theta, *a):
        def body(i, t):
            return optax.tree.add_scale(t, -learning_rate, jax.grad(total)(t, *a))

        return jax.lax.fori_loop(0, int(steps), body, theta)

    theta = train(theta0, *args)
    ref = _flat(theta_ref)
    return float(jnp.linalg.norm(_flat(theta) - ref) / jnp.linalg.norm(ref))


__all__ = [
    "MAX_CONDITION",
    "Penalty",
    "Fit",
    "IGRFit",
    "ridge",
    "l1",
    "diagonal_quadratic",
    "full_quadratic",
    "quadratic_matrix",
    "gradient_system",
    "stack",
    "solve",
    "fit_penalty",
    "early_stopping_penalty",
    "rk4_flow",
    "igr_probe",
    "igr_coefficient",
    "retrain_distance",
]
