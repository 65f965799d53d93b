"""Every closed form of the two-parameter model (Appendix A.4) against autodiff."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import igr_core
from igr_core import toy

POINTS = [jnp.array([2.8, 3.5]), jnp.array([-0.7, 1.9]), jnp.array([75.0, 74.925])]
X, Y = 1.0, 0.6


def test_table_a1_as_printed():
    i, ii = toy.TABLE_A1["I"], toy.TABLE_A1["II"]
    assert i.theta0 == (2.8, 3.5) and ii.theta0 == (75.0, 74.925)
    assert (i.x, i.y) == (1.0, 0.6) == (ii.x, ii.y)
    assert (i.h_S, i.h_M, i.h_L, i.mu, i.h_Euler) == (1e-3, 2.5e-2, 1.8e-1, 0.5, 1e-4)
    assert (ii.h_S, ii.h_M, ii.h_L, ii.mu, ii.h_Euler) == (1e-6, 0.5e-4, None, 4.1e-2, 5e-7)


@pytest.mark.parametrize("th", POINTS)
def test_gradient_closed_form(th):
    np.testing.assert_allclose(toy.grad(th, X, Y), jax.grad(toy.loss)(th, X, Y), rtol=1e-13)


@pytest.mark.parametrize("th", POINTS)
def test_r_ig_closed_form_a25(th):
    assert float(toy.r_ig(th, X, Y)) == pytest.approx(float(igr_core.r_ig(jax.grad(toy.loss)(th, X, Y))), rel=1e-13)


def test_lambda_a26():
    assert toy.igr_lambda(0.1) == pytest.approx(igr_core.igr_rate(0.1, 2))


@pytest.mark.parametrize("th", POINTS)
def test_modified_loss_a27(th):
    h = 0.025
    assert float(toy.modified_loss(th, X, Y, toy.igr_lambda(h))) == pytest.approx(
        float(igr_core.modified_loss(toy.loss, h)(th, X, Y)), rel=1e-13
    )


@pytest.mark.parametrize("th", POINTS)
def test_modified_flow_a28_is_minus_grad_of_a27(th):
    lam = 0.3
    np.testing.assert_allclose(
        toy.modified_flow(th, X, Y, lam), -jax.grad(toy.modified_loss)(th, X, Y, lam), rtol=1e-12
    )


@pytest.mark.parametrize("th", POINTS)
def test_egr_a31_a32(th):
    mu = 0.5
    # (A.31) is E + mu R_IG = Eq. 8 with mu / m (m = 2): the erratum recorded in the book
    assert float(toy.egr_loss(th, X, Y, mu)) == pytest.approx(
        float(igr_core.egr_loss(toy.loss, mu / 2)(th, X, Y)), rel=1e-13
    )
    assert float(toy.egr_loss(th, X, Y, mu)) != pytest.approx(float(igr_core.egr_loss(toy.loss, mu)(th, X, Y)))
    np.testing.assert_allclose(
        toy.modified_flow(th, X, Y, mu), -igr_core.egr_grad(toy.loss, mu / 2)(th, X, Y), rtol=1e-12
    )


@pytest.mark.parametrize("th", POINTS)
def test_original_flow_a29_and_slope(th):
    np.testing.assert_allclose(toy.original_flow(th, X, Y), -jax.grad(toy.loss)(th, X, Y), rtol=1e-13)
    assert float(toy.slope(th, X, Y)) == pytest.approx(float(jnp.linalg.norm(jax.grad(toy.loss)(th, X, Y))), rel=1e-13)


def test_gd_path_a30():
    path = toy.gd_path(jnp.array([2.8, 3.5]), X, Y, 0.01, 3)
    th = jnp.array([2.8, 3.5])
    for k in range(3):
        th = th - 0.01 * jax.grad(toy.loss)(th, X, Y)
        np.testing.assert_allclose(path[k + 1], th, rtol=1e-14)


def test_min_norm_minimum():
    m = toy.min_norm_minimum(X, Y)
    assert m[0] * m[1] == pytest.approx(Y / X)
    with pytest.raises(ValueError, match="y / x"):
        toy.min_norm_minimum(1.0, -0.6)


def test_euler_flow_converges_to_accurate_flow():
    """The paper's Euler integration (h_Euler) against Dopri8: error shrinks linearly in h_Euler."""
    th0 = jnp.array([2.8, 3.5])
    t_end = 0.2
    ref = toy.accurate_flow_path(th0, X, Y, jnp.array([0.0, t_end]), lam=0.0125)[-1]
    errs = [
        float(jnp.linalg.norm(toy.euler_flow_path(th0, X, Y, t_end, he, lam=0.0125)[-1] - ref))
        for he in (1e-3, 5e-4, 2.5e-4)
    ]
    assert igr_core.bea.fit_order([1e-3, 5e-4, 2.5e-4], errs) == pytest.approx(1.0, abs=0.1)


def test_experiment_drivers_small():
    """Figure 1a endpoints, distances to flows, the learning-rate sweep and the convergence map."""
    from igr_core.experiments import toy_model as T

    paths = T.figure1a_paths("I", 1.0)
    assert set(paths) == {"GD, h_S = 0.001", "GD, h_M = 0.025", "modified flow, lambda = h_M/2", "EGR flow, mu = 0.5"}
    norms, dists = T.endpoints({"I": paths}, X, Y)
    assert list(norms.index) == ["GD, h_S", "GD, h_M", "modified flow", "EGR flow"]
    assert dists.loc["EGR flow", "I"] >= 0
    d = T.distance_to_flows("I", 40)
    assert d["to modified flow"].iloc[-1] < d["to original flow"].iloc[-1]
    sweep = T.lr_sweep((2.8, 3.5), X, Y, [0.01, 5.0], 2000)
    assert list(sweep["diverged"]) == [False, True]
    assert sweep["R_IG/E"].iloc[0] == pytest.approx(X**2 * sweep["||theta||"].iloc[0] ** 2)
    cmap = T.convergence_map(2.0, 5, [0.05], X, Y, 10.0)
    summary = T.convergence_summary(cmap)
    assert summary.loc[0.05, "starts"] + summary.loc[0.05, "diverged or unconverged"] == 25


def test_flow_landing_point_and_stability_edges():
    land = toy.flow_landing_point((2.8, 3.5), X, Y)
    assert land[0] * land[1] * X == pytest.approx(Y)  # on the hyperbola
    assert land[0] ** 2 - land[1] ** 2 == pytest.approx(2.8**2 - 3.5**2)  # a^2 - b^2 conserved by the flow
    ref = np.asarray(toy.accurate_flow_path(jnp.array([2.8, 3.5]), X, Y, jnp.array([0.0, 200.0])))[-1]
    np.testing.assert_allclose(ref, land, rtol=1e-6)
    # at a minimum the Hessian is x^2 (b, a)(b, a)^T: edge 2 / (x^2 ||theta||^2)
    assert toy.stability_edge(land, X, Y) == pytest.approx(2 / (X**2 * np.sum(land**2)))
    assert toy.residual_sign_changes(np.array([[1.0, 1.0], [0.5, 0.5], [1.0, 1.0]]), X, Y) == 2
