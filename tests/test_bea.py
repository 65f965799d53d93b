"""Backward error analysis: orders by fitted slopes, closed forms on quadratics."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from igr_core import bea, toy

HS = [0.04, 0.02, 0.01, 0.005]


def net_loss(params, x, y):
    h = jnp.tanh(x @ params["w1"] + params["b1"])
    return jnp.mean((h @ params["w2"] - y) ** 2)


@pytest.fixture(scope="module")
def net():
    k = jax.random.split(jax.random.PRNGKey(0), 5)
    params = {
        "w1": jax.random.normal(k[0], (3, 6)) * 0.7,
        "b1": jax.random.normal(k[1], (6,)) * 0.1,
        "w2": jax.random.normal(k[2], (6, 1)) * 0.7,
    }
    return params, jax.random.normal(k[3], (8, 3)), jax.random.normal(k[4], (8, 1))


@pytest.mark.parametrize("order", [0, 1, 2])
def test_local_order_toy(order):
    th = jnp.array([1.2, 0.9])
    errs = bea.local_errors(toy.loss, th, HS, order, 1.0, 0.6)
    assert bea.fit_order(HS, errs) == pytest.approx(order + 2, abs=0.15)


@pytest.mark.parametrize("order", [0, 1, 2])
def test_local_order_pytree_network(net, order):
    params, x, y = net
    hs = [0.2, 0.1, 0.05, 0.025]
    errs = bea.local_errors(net_loss, params, hs, order, x, y)
    assert bea.fit_order(hs, errs) == pytest.approx(order + 2, abs=0.2)


@pytest.mark.parametrize("order", [0, 1])
def test_global_order_toy(order):
    th = jnp.array([1.2, 0.9])
    errs = bea.global_errors(toy.loss, th, HS, 0.4, order, 1.0, 0.6)
    assert bea.fit_order(HS, errs) == pytest.approx(order + 1, abs=0.15)


def test_order1_field_is_minus_gradient_of_modified_loss(net):
    from igr_core import modified_loss

    params, x, y = net
    h = 0.05
    f1 = bea.modified_vector_field(net_loss, h, 1)(params, x, y)
    g_mod = jax.grad(modified_loss(net_loss, h))(params, x, y)
    for a, b in zip(jax.tree_util.tree_leaves(f1), jax.tree_util.tree_leaves(g_mod)):
        np.testing.assert_allclose(a, -b, rtol=1e-12, atol=1e-14)


def test_order2_field_closed_form_on_quadratic():
    """For E = th^T A th / 2: T = 0, so f2 = -A^2 g / 3 with g = A th (explicit Hessian)."""
    a_mat = jnp.array([[2.0, 0.3], [0.3, 0.5]])

    def loss(th):
        return 0.5 * th @ a_mat @ th

    th = jnp.array([0.7, -1.1])
    h = 0.1
    g = a_mat @ th
    expected = -g - h / 2 * a_mat @ g - h**2 / 3 * a_mat @ a_mat @ g
    np.testing.assert_allclose(bea.modified_vector_field(loss, h, 2)(th), expected, rtol=1e-13)


def test_third_derivative_term_against_explicit_tensor():
    """f2's T[g, g] against the explicit third-derivative tensor from nested jacfwd."""
    th = jnp.array([0.9, -0.4])
    args = (1.0, 0.6)
    g = jax.grad(toy.loss)(th, *args)
    hess = jax.hessian(toy.loss)(th, *args)
    tens = jax.jacfwd(jax.hessian(toy.loss))(th, *args)
    expected = -jnp.einsum("ijk,j,k->i", tens, g, g) / 12 - hess @ hess @ g / 3
    np.testing.assert_allclose(bea.correction(toy.loss, 2)(th, *args), expected, rtol=1e-12)


def test_f2_jacobian_antisymmetric_part_is_minus_one_twelfth_commutator():
    """Antisymmetric part of J(f_2) = -(1/12) [H, T[g]], entrywise against an explicit third
    derivative tensor, on a non-quadratic 3-parameter loss (where [H, T[g]] != 0)."""

    def loss(th):
        return jnp.sum(th**4) / 4 + th[0] * th[1] * th[2] + 0.3 * th[0] ** 2 * th[2]

    th = jnp.array([0.7, -0.4, 1.1])
    g = jax.grad(loss)(th)
    hess = jax.hessian(loss)(th)
    tg = jnp.einsum("ijk,k->ij", jax.jacfwd(jax.hessian(loss))(th), g)
    jac = jax.jacfwd(bea.correction(loss, 2))(th)
    antisym = (jac - jac.T) / 2
    expected = -(hess @ tg - tg @ hess) / 12
    assert float(jnp.max(jnp.abs(expected))) > 1e-2  # not a vacuous comparison
    np.testing.assert_allclose(antisym, expected, atol=1e-12)
    assert float(jnp.max(jnp.abs(antisym + (hess @ tg - tg @ hess) / 6))) > 1e-3  # the old -(1/6) is wrong


def test_sharpness_matches_eigvalsh_and_gd_final_marks_divergence():
    th = jnp.array([0.9, -0.4])
    lam = bea.sharpness(toy.loss, th, 1.0, 0.6)
    assert lam == pytest.approx(
        float(jnp.max(jnp.abs(jnp.linalg.eigvalsh(jax.hessian(toy.loss)(th, 1.0, 0.6))))), rel=1e-8
    )
    out = bea.gd_final(toy.loss, jnp.array([2.8, 3.5]), 5.0, 50, 1.0, 0.6)
    assert bool(jnp.all(jnp.isnan(out)))
    assert bool(bea.diverged(jnp.inf)) and bool(bea.diverged(2e6)) and not bool(bea.diverged(1.0))


def test_fit_order_stats_reports_a_standard_error():
    hs = np.array([0.1, 0.05, 0.025, 0.0125])
    slope, se = bea.fit_order_stats(hs, hs**2 * (1 + 0.01 * np.array([1, -1, 1, -1])))
    assert slope == pytest.approx(2.0, abs=0.02) and 0 < se < 0.02


def test_gd_step_matches_definition():
    th = jnp.array([0.9, -0.4])
    np.testing.assert_allclose(bea.gd_step(toy.loss, 0.1)(th, 1.0, 0.6), th - 0.1 * toy.grad(th, 1.0, 0.6), rtol=1e-15)


def test_flow_matches_closed_form_exponential():
    a_mat = jnp.diag(jnp.array([1.0, 3.0]))

    def loss(th):
        return 0.5 * th @ a_mat @ th

    th0 = jnp.array([1.0, 2.0])
    out = bea.flow(bea.modified_vector_field(loss, 0.0, 0), th0, 0.7)
    np.testing.assert_allclose(out, th0 * jnp.exp(-0.7 * jnp.diag(a_mat)), rtol=1e-11)


def test_jacobian_asymmetry_gradient_fields_vs_f2():
    th = jnp.array([0.9, -0.4])
    args = (1.0, 0.6)
    assert bea.jacobian_asymmetry(bea.correction(toy.loss, 1), th, *args) < 1e-14
    a2 = bea.jacobian_asymmetry(bea.correction(toy.loss, 2), th, *args)
    assert a2 > 1e-3
    a2_probe = bea.jacobian_asymmetry(bea.correction(toy.loss, 2), th, *args, num_probes=4000)
    assert a2_probe == pytest.approx(a2, rel=0.1)


def test_diverging_gd_is_reported_not_raised():
    errs = bea.global_errors(toy.loss, jnp.array([2.8, 3.5]), [0.5, 0.01], 10.0, 0, 1.0, 0.6)
    assert np.isinf(errs[0]) and np.isfinite(errs[1])


@pytest.mark.parametrize("bad", [3, -1, 1.0, "1", True])
def test_bad_order_is_rejected_before_compute(bad):
    with pytest.raises(ValueError, match="order"):
        bea.modified_vector_field(toy.loss, 0.1, bad)


@pytest.mark.parametrize("hs", [[], [0.1, -0.1], [0.0], [float("nan")]])
def test_bad_hs_rejected(hs):
    with pytest.raises(ValueError, match="hs"):
        bea.local_errors(toy.loss, jnp.array([1.0, 1.0]), hs, 1, 1.0, 0.6)


def test_fit_order_recovers_known_power():
    hs = np.array([0.1, 0.05, 0.025])
    assert bea.fit_order(hs, 3.0 * hs**2.5) == pytest.approx(2.5, abs=1e-12)


def test_local_errors_compile_once():
    """Step sizes are traced: a second h does not recompile."""
    th = jnp.array([1.2, 0.9])
    with jax.log_compiles(True):
        import logging

        records = []

        class H(logging.Handler):
            def emit(self, record):
                records.append(record.getMessage())

        logger = logging.getLogger("jax")
        handler = H()
        logger.addHandler(handler)
        try:
            bea.local_errors(toy.loss, th, [0.01, 0.02, 0.03], 1, 1.0, 0.6)
        finally:
            logger.removeHandler(handler)
    compiles = [r for r in records if "Compiling" in r and "one" in r]
    assert len(compiles) == 1, compiles


def test_one_step_errors_is_the_loop_behind_local_errors():
    """local_errors is one_step_errors with gradient descent and the modified field; any
    step map and field go through the same compiled loop (here GD against its order-1 field)."""
    from igr_core import problems

    pr = problems.toy_problem("I")
    hs = [0.004, 0.002, 0.001]
    a = bea.local_errors(pr.loss, pr.theta0, hs, 1, *pr.args)
    b = bea.one_step_errors(
        lambda h: bea.gd_step(pr.loss, h), lambda h: bea.modified_vector_field(pr.loss, h, 1), pr.theta0, hs, *pr.args
    )
    assert np.array_equal(a, b) and abs(bea.fit_order(hs, a) - 3) < 0.25
