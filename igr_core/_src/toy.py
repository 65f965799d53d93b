"""The two-parameter model of Section 5 and Appendix A.4, with closed forms.

Abstraction: E(a, b) = (y - a b x)^2 / 2 (Eq. A.24) for one data point (x, y), with
theta = (a, b) a length-2 array. Minima form the hyperbola a b = y / x; the one of
smallest norm (the flattest) is a = b = sqrt(y / x) (for y / x > 0). Every closed form
below is checked against automatic differentiation of :func:`loss` in the tests.

Trajectory helpers return arrays of shape (n + 1, 2): gradient descent (A.30), the
Euler discretization the paper uses for flows (step h_Euler), and accurate flows from
:func:`igr_core.bea.flow`.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from igr_core._src import bea as _bea
from igr_core._src import columns as C
from igr_core._src.regularizers import igr_rate


class ToyPoint(NamedTuple):
    """One column of Table A.1."""

    theta0: tuple[float, float]  # (a_0, b_0)
    x: float  # training input
    y: float  # training target
    h_S: float  # small learning rate
    h_M: float  # moderate learning rate
    h_L: float | None  # large learning rate (n/a for point II)
    mu: float  # explicit regularization rate
    h_Euler: float  # Euler step used to integrate flows


# Table A.1 of the paper, exactly as printed.
TABLE_A1 = {
    "I": ToyPoint(theta0=(2.8, 3.5), x=1.0, y=0.6, h_S=1e-3, h_M=2.5e-2, h_L=1.8e-1, mu=0.5, h_Euler=1e-4),
    "II": ToyPoint(theta0=(75.0, 74.925), x=1.0, y=0.6, h_S=1e-6, h_M=0.5e-4, h_L=None, mu=4.1e-2, h_Euler=5e-7),
}

# Test point of Figure A.2.
TEST_POINT = (0.5, 3.0 / 5.0)


def loss(theta, x, y):
    """E(a, b) = (y - a b x)^2 / 2 (Eq. A.24)."""
    a, b = theta[..., 0], theta[..., 1]
    return 0.5 * (y - a * b * x) ** 2


def grad(theta, x, y):
    """Closed-form gradient: (-b x (y - a b x), -a x (y - a b x))."""
    a, b = theta[..., 0], theta[..., 1]
    r = y - a * b * x
    return jnp.stack([-b * x * r, -a * x * r], axis=-1)


def r_ig(theta, x, y):
    """R_IG = ((dE/da)^2 + (dE/db)^2) / 2 = (a^2 + b^2) x^2 E (Eq. A.25)."""
    return jnp.sum(theta**2, axis=-1) * x**2 * loss(theta, x, y)


def igr_lambda(h):
    """lambda = m h / 4 = h / 2 for m = 2 (Eq. A.26): :func:`igr_core.igr_rate` with m = 2."""
    return igr_rate(h, 2)


def modified_loss(theta, x, y, lam):
    """E~ = E (1 + lambda (a^2 + b^2) x^2) (Eq. A.27)."""
    return loss(theta, x, y) * (1.0 + lam * jnp.sum(theta**2, axis=-1) * x**2)


def egr_loss(theta, x, y, mu):
    """E_mu = E (1 + mu (a^2 + b^2) x^2) (Eq. A.31), as the paper uses it in Section 5.

    This is E + mu R_IG, i.e. Eq. 8's E + mu' ||grad E||^2 with mu' = mu / m = mu / 2
    (an erratum: A.31 follows the lambda-parameterization of Eq. 2, not Eq. 8).
    """
    return modified_loss(theta, x, y, mu)


def modified_flow(theta, x, y, lam):
    """Right-hand side of the modified flow (A.28) / EGR flow (A.32 with lam = mu):
    -(1 + lam x^2 ||theta||^2) grad E - 2 lam x^2 E theta (Remark A.12)."""
    factor = 1.0 + lam * jnp.sum(theta**2, axis=-1, keepdims=True) * x**2
    return -factor * grad(theta, x, y) - 2.0 * lam * x**2 * loss(theta, x, y)[..., None] * theta


def original_flow(theta, x, y):
    """Right-hand side of the gradient flow of E (A.29)."""
    return -grad(theta, x, y)


def slope(theta, x, y):
    """Loss-surface slope ||theta|| |x| sqrt(2 E) (Remark A.12)."""
    return jnp.linalg.norm(theta, axis=-1) * jnp.abs(x) * jnp.sqrt(2.0 * loss(theta, x, y))


def min_norm_minimum(x, y):
    """The flattest global minimum a = b = sqrt(y / x) (requires y / x > 0)."""
    if y / x <= 0:
        raise ValueError("min_norm_minimum: needs y / x > 0 so that a = b = sqrt(y/x) is real.")
    s = float(np.sqrt(y / x))
    return np.array([s, s])


def _euler(rhs, theta0, h, n_steps, *args):
    """The paper's explicit Euler integration of a flow (also GD, for rhs = -grad E)."""

    def body(th, _):
        new = th + h * rhs(th, *args)
        return new, new

    _, path = jax.lax.scan(body, jnp.asarray(theta0), None, length=int(n_steps))
    return jnp.concatenate([jnp.asarray(theta0)[None], path])


def gd_path(theta0, x, y, h, n_steps):
    """Gradient descent (A.30): n_steps + 1 iterates (:func:`igr_core.bea.gd_trajectory`).
    A diverging run shows inf/nan."""
    return _bea.gd_trajectory(loss, jnp.asarray(theta0), h, n_steps, x, y)


def euler_flow_path(theta0, x, y, t_end, h_euler, lam=0.0):
    """The paper's flow integration: Euler with step h_Euler up to time t_end on the
    modified flow with rate ``lam`` (lam = 0: the flow of E; lam = h_M/2: modified; lam = mu: EGR)."""
    n = int(round(t_end / h_euler))
    return _euler(modified_flow, theta0, h_euler, n, x, y, lam)


def accurate_flow_path(theta0, x, y, ts, lam=0.0, rtol=1e-10, atol=1e-12):
    """The same flow integrated accurately (diffrax Dopri8, adaptive) at times ``ts``."""
    ts = jnp.asarray(ts)
    return _bea.flow(
        lambda th, *a: modified_flow(th, *a),
        jnp.asarray(theta0),
        ts[-1],
        x,
        y,
        lam,
        rtol=rtol,
        atol=atol,
        ts=ts,
        max_steps=1_000_000,
    )


def gd_final(theta0, x, y, h, n_steps: int, divergence_threshold: float = _bea.DIVERGENCE_NORM):
    """Last GD iterate after ``n_steps`` steps, NaN once diverged (:func:`igr_core.bea.gd_final`)."""
    return _bea.gd_final(loss, jnp.asarray(theta0), h, n_steps, x, y, divergence_threshold=divergence_threshold)


def flow_landing_point(theta0, x, y):
    """Where the gradient flow of E from ``theta0`` meets the hyperbola ab = y/x: the flow
    conserves a^2 - b^2 (d/dt (a^2 - b^2) = 0 by A.29), so the landing point solves
    a^2 - b^2 = c, a b = y / x with the signs of the starting quadrant."""
    a0, b0 = float(theta0[0]), float(theta0[1])
    c, q = a0**2 - b0**2, y / x
    s = np.sqrt(c**2 + 4 * q**2)  # a^2 + b^2 at the landing point
    a = np.sqrt((s + c) / 2) * (np.sign(a0) or 1.0)
    b = q / a
    return np.array([a, b])


def stability_edge(theta, x, y) -> float:
    """GD's linear stability edge 2 / lambda_max of the Hessian of E at ``theta``."""
    h = np.asarray(jax.hessian(loss)(jnp.asarray(theta, dtype=jnp.result_type(float)), x, y))
    return float(2.0 / np.max(np.abs(np.linalg.eigvalsh(h))))


def residual_sign_changes(path, x, y) -> int:
    """How often a trajectory crosses the valley of minima: sign changes of y - a b x
    along its finite iterates (a ricochet is at least one crossing)."""
    p = np.asarray(path)
    with np.errstate(over="ignore", invalid="ignore"):
        r = y - p[:, 0] * p[:, 1] * x
    r = r[np.isfinite(r)]
    s = np.sign(r[r != 0])
    return int(np.sum(s[1:] != s[:-1]))


__all__ = [
    "ToyPoint",
    "TABLE_A1",
    "TEST_POINT",
    "loss",
    "grad",
    "r_ig",
    "igr_lambda",
    "modified_loss",
    "egr_loss",
    "modified_flow",
    "original_flow",
    C.SLOPE,
    "min_norm_minimum",
    "gd_path",
    "euler_flow_path",
    "accurate_flow_path",
    "gd_final",
    "flow_landing_point",
    "stability_edge",
    "residual_sign_changes",
]
