"""Appendix A.3: NTK identities against the gradient and the explicit Jacobian."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import igr_core
from igr_core import ntk


def make(outputs):
    k = jax.random.split(jax.random.PRNGKey(7), 4)
    params = {"w1": jax.random.normal(k[0], (3, 5)), "w2": jax.random.normal(k[1], (5, outputs))}

    def apply_fn(p, x):
        out = jnp.tanh(x @ p["w1"]) @ p["w2"]
        return out[:, 0] if outputs == 1 else out

    x = jax.random.normal(k[2], (6, 3))
    y = jax.random.normal(k[3], (6,) if outputs == 1 else (6, outputs))
    return apply_fn, params, x, y


@pytest.mark.parametrize("outputs", [1, 3])
def test_kernel_routes_agree(outputs):
    apply_fn, params, x, _ = make(outputs)
    k1 = ntk.empirical_ntk(apply_fn, params, x)
    k2 = ntk.empirical_ntk(apply_fn, params, x, method="jacobian")
    np.testing.assert_allclose(k1, k2, rtol=1e-12, atol=1e-12)
    assert k1.shape == ((6, 6) if outputs == 1 else (6, 6, 3, 3))


def test_kernel_entry_is_inner_product_of_output_gradients():
    apply_fn, params, x, _ = make(1)
    k = ntk.empirical_ntk(apply_fn, params, x)
    gi = jax.flatten_util.ravel_pytree(jax.grad(lambda p: apply_fn(p, x)[1])(params))[0]
    gj = jax.flatten_util.ravel_pytree(jax.grad(lambda p: apply_fn(p, x)[4])(params))[0]
    assert float(k[1, 4]) == pytest.approx(float(gi @ gj), rel=1e-12)


@pytest.mark.parametrize("outputs", [1, 3])
def test_prop_a11(outputs):
    apply_fn, params, x, y = make(outputs)
    loss = ntk.least_squares_loss(apply_fn)
    direct = igr_core.r_ig(jax.grad(loss)(params, x, y))
    assert float(ntk.r_ig_ntk(apply_fn, params, x, y)) == pytest.approx(float(direct), rel=1e-12)


def test_modified_loss_kernel_form_has_factor_h():
    apply_fn, params, x, y = make(1)
    loss = ntk.least_squares_loss(apply_fn)
    for h in (0.01, 0.3):
        direct = igr_core.modified_loss(loss, h)(params, x, y)
        assert float(ntk.ntk_modified_loss(apply_fn, params, x, y, h)) == pytest.approx(float(direct), rel=1e-12)


def test_cross_term_stats_on_known_kernel():
    k = jnp.array([[4.0, 2.0], [2.0, 1.0]])  # rank one: cosine 1
    s = ntk.ntk_cross_term_stats(k)
    assert float(s["mean_abs_cosine"]) == pytest.approx(1.0)
    assert float(s["offdiag_fraction"]) == pytest.approx(4.0 / 9.0)
    assert float(ntk.ntk_cross_term_stats(jnp.eye(3))["mean_abs_cosine"]) == 0.0
