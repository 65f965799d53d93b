"""Appendix A.2 identities against independent routes (explicit determinant, trigonometry)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import igr_core
from igr_core import geometry, problems, toy
from igr_core.experiments import geometry as geo_exp
from igr_core.experiments import theorems


def net_loss(params, x):
    return jnp.sum(jnp.tanh(x @ params["w"] + params["b"]) ** 2)


@pytest.fixture
def net():
    k = jax.random.split(jax.random.PRNGKey(3), 3)
    return {"w": jax.random.normal(k[0], (4, 3)), "b": jax.random.normal(k[1], (3,))}, jax.random.normal(k[2], (5, 4))


def test_normal_is_unit_and_orthogonal_to_tangents(net):
    params, x = net
    n = geometry.unit_normal(net_loss, params, x)
    g = jax.flatten_util.ravel_pytree(jax.grad(net_loss)(params, x))[0]
    assert float(jnp.linalg.norm(n)) == pytest.approx(1.0, abs=1e-14)
    tangents = jnp.concatenate([jnp.eye(g.size), g[:, None]], axis=1)  # v_i = (e_i, d_iE)
    np.testing.assert_allclose(tangents @ n, 0.0, atol=1e-14)


def test_slope_is_tan_of_tilt_and_sqrt_m_rig(net):
    params, x = net
    m = igr_core.num_params(params)
    rig = igr_core.r_ig(jax.grad(net_loss)(params, x))
    s = geometry.slope(net_loss, params, x)
    assert float(jnp.tan(geometry.tilt_angle(net_loss, params, x))) == pytest.approx(float(s), rel=1e-13)
    assert float(s) == pytest.approx(float(jnp.sqrt(m * rig)), rel=1e-13)
    cos = geometry.unit_normal(net_loss, params, x)[-1]
    assert float(cos) == pytest.approx(float(1 / jnp.sqrt(1 + m * rig)), rel=1e-13)


def test_metric_determinant_explicit(net):
    params, x = net
    det_explicit = jnp.linalg.det(geometry.metric_tensor(net_loss, params, x))
    assert float(geometry.metric_determinant(net_loss, params, x)) == pytest.approx(float(det_explicit), rel=1e-12)


def test_toy_slope_closed_form():
    th = jnp.array([1.7, -0.3])
    assert float(geometry.slope(toy.loss, th, 1.0, 0.6)) == pytest.approx(float(toy.slope(th, 1.0, 0.6)), rel=1e-13)


def test_prop_a9_bound_holds_along_trajectory():
    ratios = geometry.norm_step_ratios(toy.loss, jnp.array([2.8, 3.5]), 0.01, 200, 1.0, 0.6)
    assert ratios.shape == (200,)
    assert float(jnp.nanmax(ratios)) <= 1.0 + 1e-12
    assert float(jnp.nanmax(ratios)) > 0.5  # the bound is nearly attained early on: not a vacuous check


def test_fd_tangent_basis_normal_matches_closed_form():
    """The finite-difference route (loss values, QR) against N = (-grad E, 1)/sqrt(1 + |g|^2)."""
    th = jnp.array([0.9, -1.3])
    basis = geometry.tangent_basis_fd(toy.loss, th, 1.0, 0.6)
    n_fd = geometry.unit_normal_from_basis(basis)
    np.testing.assert_allclose(n_fd, geometry.unit_normal(toy.loss, th, 1.0, 0.6), rtol=1e-8)
    assert float(jnp.max(jnp.abs(basis.T @ n_fd))) < 1e-9  # orthogonal to every tangent vector


def test_geometry_identities_driver():
    tab = geo_exp.identities(problems.toy_problem("I"), n_points=3, scale=0.5, seed=1)
    assert tab[list(geo_exp.ROUTE)].to_numpy().max() < 1e-9


def test_minima_study_finds_extra_critical_points_only_for_large_h():
    crit = theorems.minima_study([0.1, 0.7])
    counts = crit.groupby(["function", "h"]).size()
    assert counts[("E", 0.0)] == 3  # global min -1, local max 0.18, local min 0.82
    assert counts[("E~", 0.1)] == 3
    assert counts[("E~", 0.7)] == 5  # two further critical points where E'' = -2/h
    sub = crit[crit["h"] == 0.7]
    near_max = sub[np.abs(sub["theta"] - 0.1838) < 1e-3].iloc[0]
    assert near_max["kind"] == "minimum"  # the maximum of E became a minimum of E~


def test_zero_sets_coincide_on_toy():
    zs = theorems.zero_set_study(n_points=50, h=0.1)
    assert zs["max |E~| on zeros"] < 1e-20
    assert zs["max |grad E~| on zeros"] < 1e-12
    assert zs["min Hessian eigenvalue of E~ on zeros"] > -1e-12
    assert zs["off-zero points with E > 0 but E~ <= 0"] == 0


def test_minima_summary_reads_extra_points_and_new_minima():
    summary = theorems.minima_summary(theorems.minima_study([0.1, 0.7]))
    assert summary["max_distance"] < 1e-12 and summary["minima_lost"] == 0
    assert summary["extra"] == {0.1: 0, 0.7: 2}
    assert summary["new_minima"] == {0.1: 0, 0.7: 1}
