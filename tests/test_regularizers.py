"""R_IG, lambda, modified and EGR losses against independent routes."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import igr_core
from igr_core import toy


def quad_loss(theta, a_mat, b_vec):
    """E = 1/2 th^T A th - b^T th: grad = A th - b, Hessian A (closed forms)."""
    return 0.5 * theta @ a_mat @ theta - b_vec @ theta


@pytest.fixture
def quad():
    rng = np.random.default_rng(0)
    m = rng.normal(size=(5, 5))
    a_mat = jnp.asarray(m @ m.T + np.eye(5))
    return a_mat, jnp.asarray(rng.normal(size=5)), jnp.asarray(rng.normal(size=5))


def tree_loss(params, x):
    """A pytree-parameter loss: a tiny 2-layer tanh net."""
    h = jnp.tanh(x @ params["w1"] + params["b1"])
    return jnp.sum((h @ params["w2"]) ** 2) / 2


@pytest.fixture
def tree_problem():
    k = jax.random.split(jax.random.PRNGKey(1), 4)
    params = {
        "w1": jax.random.normal(k[0], (3, 4)),
        "b1": jax.random.normal(k[1], (4,)),
        "w2": jax.random.normal(k[2], (4, 2)),
    }
    return params, jax.random.normal(k[3], (6, 3))


def test_r_ig_is_mean_square_over_all_leaves():
    grads = {"a": jnp.array([1.0, 2.0]), "b": {"c": jnp.array([[3.0]])}}
    assert igr_core.r_ig(grads) == pytest.approx((1 + 4 + 9) / 3)
    assert igr_core.num_params(grads) == 3


def test_r_ig_rejects_empty():
    with pytest.raises(ValueError, match="grads"):
        igr_core.r_ig({})


def test_igr_rate():
    assert igr_core.igr_rate(0.1, 400) == pytest.approx(10.0)


def test_toy_r_ig_matches_eq_a25():
    th = jnp.array([1.3, -0.4])
    g = jax.grad(toy.loss)(th, 1.0, 0.6)
    assert igr_core.r_ig(g) == pytest.approx(float(toy.r_ig(th, 1.0, 0.6)), rel=1e-13)


def test_modified_loss_closed_form_on_quadratic(quad):
    a_mat, b_vec, th = quad
    h = 0.07
    g = a_mat @ th - b_vec
    expected = quad_loss(th, a_mat, b_vec) + h / 4 * g @ g
    assert igr_core.modified_loss(quad_loss, h)(th, a_mat, b_vec) == pytest.approx(float(expected), rel=1e-13)


def test_modified_loss_equals_e_plus_lambda_rig(tree_problem):
    params, x = tree_problem
    h = 0.03
    m = igr_core.num_params(params)
    rig = igr_core.r_ig(jax.grad(tree_loss)(params, x))
    expected = tree_loss(params, x) + igr_core.igr_rate(h, m) * rig
    assert igr_core.modified_loss(tree_loss, h)(params, x) == pytest.approx(float(expected), rel=1e-13)


def test_egr_exact_gradient_closed_form_on_quadratic(quad):
    a_mat, b_vec, th = quad
    mu = 0.3
    g = a_mat @ th - b_vec
    expected = g + 2 * mu * a_mat @ g
    got = igr_core.egr_grad(quad_loss, mu, "exact")(th, a_mat, b_vec)
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_egr_finite_difference_matches_exact_float64(tree_problem):
    params, x = tree_problem
    exact = igr_core.egr_grad(tree_loss, 0.2, "exact")(params, x)
    fd = igr_core.egr_grad(tree_loss, 0.2, "finite_difference")(params, x)
    for a, b in zip(jax.tree_util.tree_leaves(exact), jax.tree_util.tree_leaves(fd)):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


def test_egr_finite_difference_float32_tolerance(float32, tree_problem):
    params, x = jax.tree_util.tree_map(lambda a: jnp.asarray(a, jnp.float32), tree_problem)
    exact = igr_core.egr_grad(tree_loss, 0.2, "exact")(params, x)
    fd = igr_core.egr_grad(tree_loss, 0.2, "finite_difference")(params, x)
    assert all(a.dtype == jnp.float32 for a in jax.tree_util.tree_leaves(fd))
    e = jax.flatten_util.ravel_pytree(exact)[0]
    f = jax.flatten_util.ravel_pytree(fd)[0]
    # sqrt(eps_32) ~ 3.5e-4 times curvature ratios: a norm-wise relative error of about 1e-2
    assert float(jnp.linalg.norm(f - e) / jnp.linalg.norm(e)) < 2e-2


def test_egr_finite_difference_error_shrinks_with_step(tree_problem):
    """The forward-difference error is first order in the step: a 10x smaller step gives ~10x less error."""
    params, x = tree_problem
    exact = jax.flatten_util.ravel_pytree(igr_core.egr_grad(tree_loss, 1.0, "exact")(params, x))[0]
    errs = []
    for s in (1e-3, 1e-4):
        fd = jax.flatten_util.ravel_pytree(
            igr_core.egr_grad(tree_loss, 1.0, "finite_difference", fd_scale=s)(params, x)
        )[0]
        errs.append(float(jnp.linalg.norm(fd - exact)))
    assert 5 < errs[0] / errs[1] < 20


def test_egr_loss_gradient_via_finite_differences_of_the_loss(tree_problem):
    """Third route: central differences of E_mu itself along a random direction."""
    params, x = tree_problem
    flat, unravel = jax.flatten_util.ravel_pytree(params)

    def f(v):
        return igr_core.egr_loss(tree_loss, 0.2)(unravel(v), x)

    d = jax.random.normal(jax.random.PRNGKey(5), flat.shape)
    eps = 1e-5
    fd = (f(flat + eps * d) - f(flat - eps * d)) / (2 * eps)
    g = jax.flatten_util.ravel_pytree(igr_core.egr_grad(tree_loss, 0.2)(params, x))[0]
    assert float(g @ d) == pytest.approx(float(fd), rel=1e-7)


def test_egr_grad_rejects_unknown_method():
    with pytest.raises(ValueError, match="method"):
        igr_core.egr_grad(quad_loss, 0.1, method="adjoint")


@pytest.mark.parametrize("method, rtol", [("exact", 1e-13), ("finite_difference", 1e-6)])
def test_egr_value_and_grad_closed_form_on_a_quadratic(method, rtol):
    """E = x^T A x / 2 - b^T x: g = A x - b, E_mu = E + mu |g|^2, grad E_mu = g + 2 mu A g."""
    a = jnp.array([[3.0, 0.5], [0.5, 1.0]])
    b = jnp.array([0.3, -0.7])

    def loss(x):
        return 0.5 * x @ a @ x - b @ x

    x = jnp.array([0.9, -1.2])
    mu = 0.05
    g = a @ x - b
    value, grad = igr_core.egr_value_and_grad(loss, mu, method)(x)
    assert float(value) == pytest.approx(float(loss(x) + mu * g @ g), rel=1e-13)
    np.testing.assert_allclose(grad, g + 2 * mu * a @ g, rtol=rtol)
    _, plain = igr_core.egr_value_and_grad(loss, 0.0, method)(x)
    np.testing.assert_array_equal(plain, jax.grad(loss)(x))  # mu = 0 is plain gradient descent, bit for bit
