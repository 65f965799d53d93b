"""Chapter 08's Figures 4D, 5, 6 and 7: the RK4 reference flow at its order, the RK4 probe against
the Dormand-Prince probe and h/4, the checkpoint selection of the trained networks, and the
least-squares studies' known answers, at tiny sizes (float64)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from igr_core import bea, estimate
from igr_core.experiments import estimation
from igr_core.experiments.estimation import figure_rows, networks

jax.config.update("jax_enable_x64", True)


def quad_loss(theta, A):
    return 0.5 * theta @ A @ theta


@pytest.fixture(scope="module")
def quadratic():
    rng = np.random.default_rng(0)
    M = rng.normal(size=(4, 4))
    A = jnp.asarray(M @ M.T / 4 + 0.5 * np.eye(4))
    theta = jnp.asarray(rng.normal(size=4))
    return A, theta


def test_rk4_flow_converges_at_order_4(quadratic):
    """The global error of RK4 over time h against the exact flow exp(-A h) theta falls like
    (h / substeps)^4: the fitted log-log slope is 4."""
    A, theta = quadratic
    w, V = np.linalg.eigh(np.asarray(A))
    h = 0.5
    exact = V @ (np.exp(-w * h) * (V.T @ np.asarray(theta)))
    grad = jax.grad(quad_loss)
    subs = [2, 4, 8, 16]
    errs = [float(np.linalg.norm(np.asarray(estimate.rk4_flow(grad, theta, h, s, A)) - exact)) for s in subs]
    slope, _ = bea.fit_order_stats([h / s for s in subs], errs)
    assert abs(slope - 4) < 0.25


def test_rk4_flow_refuses_bad_substeps(quadratic):
    A, theta = quadratic
    with pytest.raises(ValueError, match="substeps"):
        estimate.rk4_flow(jax.grad(quad_loss), theta, 0.1, 0, A)


def smooth_loss(theta, A):
    return 0.5 * theta @ A @ theta + 0.25 * jnp.sum(theta**4)


def test_rk4_probe_matches_dormand_prince_and_recovers_h_over_4(quadratic):
    """The RK4 probe (double backprop) gives the Dormand-Prince probe's vector v exactly and its
    deviation r to the RK4 error; alpha/(h/4) tends to 1 with an error of order 1 in h."""
    A, theta = quadratic
    rk4 = estimate.igr_probe(smooth_loss, rk4_substeps=16)
    dop = estimate.igr_probe(smooth_loss, 1e-13)
    r1, v1, _ = rk4(theta, jnp.asarray(0.01), A)
    r2, v2, _ = dop(theta, jnp.asarray(0.01), A)
    np.testing.assert_allclose(np.asarray(v1), np.asarray(v2), rtol=1e-12)
    np.testing.assert_allclose(np.asarray(r1), np.asarray(r2), rtol=1e-5)
    hs = [0.004, 0.008, 0.016, 0.032]
    errs = []
    for h in hs:
        fit = estimate.igr_coefficient(smooth_loss, [theta], h, A, probe=rk4)
        errs.append(abs(fit.ratio - 1))
        assert 0 <= fit.relative_residual < 0.5
    slope, _ = bea.fit_order_stats(hs, errs)
    assert abs(slope - 1) < 0.25 and errs[0] < 0.02


TINY = dict(
    net_train=64,
    net_val=32,
    net_test=32,
    net_hidden=(8,) * 5,
    net_hs=(0.05, 0.2),
    net_seeds=(0, 1),
    net_epochs=4,
    net_batch=16,
    net_probe_n=32,
    net_probes=2,
    net_sharpness_iters=3,
    net_fit_threshold=0.2,
)


def test_networks_select_best_validation_among_fitting_checkpoints():
    """Each network's selected epoch is the first of highest validation accuracy among the epochs
    whose training accuracy reaches the threshold; runs that never reach it are excluded; only
    numbers come back (no parameters in the tables)."""
    p = estimation.Params(**TINY)
    table, metrics, source = networks.igr_networks(p)
    assert "digits (disjoint)" in source and len(table) == 4
    for _, row in table.iterrows():
        m = metrics[(metrics["h"] == row["h"]) & (metrics["seed"] == row["seed"])]
        ok = m[(m["train acc"] >= p.net_fit_threshold) & ~m["diverged"]]
        if not len(ok):
            assert row["status"].startswith("excluded") and row["selected epoch"] == -1
            continue
        best = ok[ok["val acc"] == ok["val acc"].max()]["epoch"].min()
        assert row["selected epoch"] == best
    assert all(t.kind in "biufcO" for t in table.dtypes)  # numbers and words only
    est = table[table["status"] == "estimated"]
    np.testing.assert_allclose(est["lambda_hat = alpha m"] / est["lambda = h m/4"], est["ratio alpha/(h/4)"])
    rec = figure_rows.recovery(table)
    assert rec["n"] == len(est)


def test_least_squares_figures_known_answers():
    """Figure 7: independent datasets recover Q_k to rounding from d endpoints on, the bootstrap
    does not; Figure 4D: the error with the most endpoints is below the error with one."""
    p = estimation.Params(
        ols_n=30, ols_d=3, ols_pools=2, ols_pool_endpoints=(1, 3, 12), boot_counts=(1, 3, 12), boot_pools=2,
        boot_sigmas=(0.01, 10.0),
    )  # fmt: skip
    var = estimation.variable_stopping(p)
    cur = estimation.variable_curve(var)
    assert cur["relative error of Q"].iloc[-1] < cur["relative error of Q"].iloc[0]
    boot, sweep = estimation.bootstrap_study(p)
    multi = boot[boot["endpoints"] >= p.ols_d]["multi-dataset error"]
    assert multi.max() < 1e-10
    assert boot[boot["endpoints"] == 12]["bootstrap error"].min() > 1e-6
    assert set(sweep["sigma"]) == {0.01, 10.0}


def test_declarations_name_every_new_row():
    """Every row of Figures 4D, 5, 6 and 7 is declared, with a quote found verbatim in the 2025 text."""
    from igr_core._src.verdicts import declarations

    d = declarations.chapter("08_estimation")
    assert set(figure_rows.DECLARED) == set(d)
    assert all(x.source == "2025 estimation paper" for x in d.values())
    folder = declarations.papers_folder()
    if folder is not None and folder.is_dir():
        assert declarations.quote_problems(d, folder) == []
