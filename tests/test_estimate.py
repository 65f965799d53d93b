"""Gradient-matching estimators against known answers: ridge on a linear model, the OLS
early-stopping quadratic penalty from stacked endpoints, a diagonal penalty that retrains to
the same weights, the IGR coefficient h/4 at its predicted convergence order, and bad input."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from igr_core import bea, estimate


@pytest.fixture(scope="module")
def regression():
    rng = np.random.default_rng(0)
    n, d = 40, 4
    X = jnp.asarray(rng.normal(size=(n, d)))
    y = jnp.asarray(rng.normal(size=n))
    return X, y


def ls(theta, X, y):
    r = X @ theta - y
    return 0.5 * jnp.mean(r**2)


def test_ridge_recovered_to_1e_10(regression):
    X, y = regression
    lam = 0.3
    A = X.T @ X / len(y)
    theta = jnp.linalg.solve(A + lam * jnp.eye(4), X.T @ y / len(y))  # exact ridge optimum
    fit = estimate.solve(estimate.gradient_system(ls, theta, [estimate.ridge()], X, y))
    assert abs(fit.coef[0] - lam) < 1e-10 and fit.relative_residual < 1e-10


def test_early_stopping_quadratic_recovered_from_stacked_endpoints(regression):
    """GD from 0 on OLS for k steps equals the minimizer of L + theta^T Q theta / 2 with
    Q = A (I - M)^{-1} - A, M = (I - hA)^k (Ali et al. 2019); Q does not depend on y, so
    endpoints of independent datasets on the same inputs identify all d(d+1)/2 entries."""
    X, _ = regression
    n, d = X.shape
    A = X.T @ X / n
    h, k = 0.1, 20
    M = jnp.linalg.matrix_power(jnp.eye(d) - h * A, k)
    Q = A @ jnp.linalg.inv(jnp.eye(d) - M) - A
    systems = []
    for s in range(4):
        y = jnp.asarray(np.random.default_rng(10 + s).normal(size=n))
        theta = jnp.zeros(d)
        for _ in range(k):
            theta = theta - h * jax.grad(ls)(theta, X, y)
        systems.append(estimate.gradient_system(ls, theta, [estimate.full_quadratic(d)], X, y))
    with pytest.raises(ValueError, match="equations for 10 coefficients"):
        estimate.solve(systems[0])  # one endpoint: 4 equations, 10 unknowns
    fit = estimate.solve(estimate.stack(systems))
    np.testing.assert_allclose(estimate.quadratic_matrix(fit.coef, d), np.asarray(Q), atol=1e-9)


def test_early_stopping_penalty_closed_form_against_matrix_powers(regression):
    """The eigen route of estimate.early_stopping_penalty against A (I - M)^{-1} - A with
    M = (I - hA)^k by matrix powers, and the exact GD iterate as its generalized ridge solution."""
    X, y = regression
    n, d = X.shape
    A = X.T @ X / n
    for h, k in ((0.1, 20), (0.01, 3), (0.5, 7)):
        M = jnp.linalg.matrix_power(jnp.eye(d) - h * A, k)
        Q = A @ jnp.linalg.inv(jnp.eye(d) - M) - A
        Qe = estimate.early_stopping_penalty(X, h, k)
        np.testing.assert_allclose(np.asarray(Qe), np.asarray(Q), rtol=1e-9, atol=1e-12)
        theta = bea.gd_final(ls, jnp.zeros(d), h, k, X, y)
        np.testing.assert_allclose(np.asarray(jnp.linalg.solve(A + Qe, X.T @ y / n)), np.asarray(theta), rtol=1e-9)
    with pytest.raises(ValueError, match="`k` must be a positive integer"):
        estimate.early_stopping_penalty(X, 0.1, 0)
    with pytest.raises(ValueError, match="`h` must be a positive"):
        estimate.early_stopping_penalty(X, -0.1, 3)


def test_igr_probe_compiles_once_for_every_step_size():
    def quad(t):
        return 0.5 * jnp.sum(jnp.asarray([1.0, 3.0]) * t**2)

    probe = estimate.igr_probe(quad, 1e-12)
    theta = [jnp.asarray([0.4, -0.2])]
    estimate.igr_coefficient(quad, theta, 0.01, probe=probe)
    before = probe._cache_size()
    for h in (0.02, 0.04):
        estimate.igr_coefficient(quad, theta, h, probe=probe)
    assert probe._cache_size() == before == 1


def test_diagonal_penalty_from_one_endpoint_retrains_to_the_same_weights(regression):
    X, y = regression
    d = X.shape[1]
    theta = jnp.zeros(d)
    for _ in range(15):
        theta = theta - 0.1 * jax.grad(ls)(theta, X, y)
    fit = estimate.solve(estimate.gradient_system(ls, theta, [estimate.diagonal_quadratic(d)], X, y))
    q = jnp.asarray(fit.coef)
    dist = estimate.retrain_distance(
        ls, lambda t: 0.5 * jnp.sum(q * t**2), jnp.zeros(d), theta, X, y, steps=3000, learning_rate=0.5
    )
    assert dist < 1e-8


def test_igr_coefficient_converges_to_h_over_4_at_order_1():
    """Quadratic loss: alpha(h) = h/4 + O(h^2), so |alpha/(h/4) - 1| falls with slope 1."""
    A = jnp.diag(jnp.asarray([1.0, 2.0, 4.0]))

    def quad(t):
        return 0.5 * t @ A @ t

    thetas = [jnp.asarray([1.0, -0.5, 0.25]), jnp.asarray([0.3, 0.8, -0.6])]
    hs = [0.04, 0.02, 0.01, 0.005]
    errs = [abs(estimate.igr_coefficient(quad, thetas, h).ratio - 1) for h in hs]
    slope = bea.fit_order(hs, errs)
    assert abs(slope - 1.0) < 0.1 and errs[-1] < 0.02


def test_igr_coefficient_on_a_non_quadratic_loss():
    def loss(t):
        return jnp.sum(jnp.log(jnp.cosh(t))) + 0.5 * jnp.sum(t**2) * t[0] ** 2

    theta = jnp.asarray([0.7, -0.4, 1.1])
    hs = [0.02, 0.01, 0.005]
    errs = [abs(estimate.igr_coefficient(loss, [theta], h).ratio - 1) for h in hs]
    assert errs[-1] < errs[0] and abs(bea.fit_order(hs, errs) - 1.0) < 0.2


def test_bad_input_is_refused(regression):
    X, y = regression
    theta = jnp.ones(X.shape[1])
    with pytest.raises(ValueError, match="collinear"):
        estimate.solve(estimate.gradient_system(ls, theta, [estimate.ridge(), estimate.ridge()], X, y))
    G = jnp.stack([jnp.ones(6), jnp.ones(6) + 1e-10 * jnp.arange(6.0)], axis=1)
    with pytest.warns(UserWarning, match="condition number"):
        estimate.solve((G, jnp.arange(6.0), ("a", "b")))
    with pytest.raises(ValueError, match="zero curvature"):
        estimate.igr_coefficient(lambda t: jnp.sum(jnp.abs(t)), [jnp.asarray([1.0, -2.0])], 0.01)
    with pytest.raises(ValueError, match="at least one"):
        estimate.gradient_system(ls, theta, [], X, y)
