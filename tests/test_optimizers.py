"""Modified equations of common optimizers at their measured orders: each description's
global error at fixed time falls with the fitted slope the theory predicts (about 1 for the
naive flow, 2 for the first-order modified flow, 3 for SGD's epoch form), on the
two-parameter model and a small tanh network, in float64 (shared/notes/modified-equations.md)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from igr_core import bea
from igr_core import optimizers as O
from igr_core.problems import mnist_mlp_problem, toy_problem

TOL = 0.25  # verdicts.ORDER_TOL


@pytest.fixture(scope="module")
def problems():
    return {"toy": toy_problem("I"), "tanh": mnist_mlp_problem(16, (4,), "tanh", 0)}


def slope(hs, errors):
    return bea.fit_order(hs, errors)


@pytest.mark.parametrize(
    "name, hs", [("toy", [0.001, 0.0005, 0.00025, 0.000125]), ("tanh", [0.004, 0.002, 0.001, 0.0005])]
)
def test_heavy_ball_modified_flow_with_start_up_shift_is_second_order(problems, name, hs):
    pr, beta = problems[name], 0.7
    method = O.heavy_ball(pr.loss, beta)
    naive = O.global_errors(method, lambda h: O.momentum_field(pr.loss, h, beta, 0), pr.theta0, hs, 1.0, *pr.args)

    def shift(t, h, *a):
        return O.momentum_start(pr.loss, t, h, beta, *a)

    modified = O.global_errors(
        method, lambda h: O.momentum_field(pr.loss, h, beta, 1), pr.theta0, hs, 1.0, *pr.args, start_for=shift
    )
    assert abs(slope(hs, naive) - 1) < TOL and abs(slope(hs, modified) - 2) < TOL


@pytest.mark.parametrize("name", ["toy", "tanh"])
def test_adam_full_coefficients_are_second_order(problems, name):
    pr, (beta, rho, eps) = problems[name], (0.5, 0.6, 0.01)
    hs = [0.004, 0.002, 0.001, 0.0005]
    method = O.adam(pr.loss, beta, rho, eps)
    errs = [
        O.global_errors(
            method, lambda h, k=k: O.adam_field(pr.loss, h, beta, rho, eps, k), pr.theta0, hs, 0.1, *pr.args
        )
        for k in (0, 1)
    ]
    assert abs(slope(hs, errs[0]) - 1) < TOL and abs(slope(hs, errs[1]) - 2) < TOL


def test_adam_limits_and_the_anti_regularizer():
    """Small eps: c_j -> beta/(1-beta) - rho/(1-rho) (-990 for 0.9, 0.999: an anti-penalty).
    Large eps: the field tends to -eps^-1/2 grad[E + (h/sqrt(eps)) (1+beta)/(4(1-beta)) ||g||^2],
    with a relative gap falling like 1/eps (slope -1)."""
    assert float(O.adam_coefficients(jnp.asarray(1.0), 0.9, 0.999, 1e-12)) == pytest.approx(-990.0, rel=1e-9)
    pr = toy_problem("I")
    h, beta, rho = 0.01, 0.9, 0.9
    epss, gaps = [1e5, 1e6, 1e7], []  # eps >> g^2 at the start point
    for eps in epss:
        c = h / np.sqrt(eps) * (1 + beta) / (4 * (1 - beta))
        limit = bea.modified_vector_field(pr.loss, 4 * c, 1)(pr.theta0, *pr.args) / np.sqrt(eps)
        f = O.adam_field(pr.loss, h, beta, rho, eps, 1)(pr.theta0, *pr.args)
        gaps.append(float(jnp.linalg.norm(f - limit) / jnp.linalg.norm(limit)))
    assert abs(bea.fit_order(epss, gaps) + 1) < 0.1


def test_sgd_epoch_variance_term_raises_the_order(problems):
    pr = mnist_mlp_problem(8, (4,), "tanh", 0)
    x, y = pr.args
    batches = [(x[2 * i : 2 * i + 2], y[2 * i : 2 * i + 2]) for i in range(4)]
    hs = [0.02, 0.01, 0.005, 0.0025]
    errs = O.sgd_epoch_errors(lambda t, b: pr.loss(t, *b), batches, pr.theta0, hs)
    assert abs(slope(hs, errs["flow of E"]) - 2) < TOL and abs(slope(hs, errs["GD modified loss"]) - 2) < TOL
    assert abs(slope(hs, errs["SGD modified loss"]) - 3) < TOL

    # the two forms of SGD's modified loss agree: (h/4m) sum ||g_k||^2 = (h/4)||g||^2 + (h/4) variance
    def bl(t, b):
        return pr.loss(t, *b)

    def full(t):
        return sum(bl(t, b) for b in batches) / 4

    h = 0.1
    lhs = O.sgd_modified_loss(bl, batches, h)(pr.theta0)
    g_sq = sum(jnp.sum(v**2) for v in jax.tree_util.tree_leaves(jax.grad(full)(pr.theta0)))
    rhs = full(pr.theta0) + h / 4 * g_sq + h / 4 * O.sgd_variance(bl, batches, pr.theta0)
    assert abs(float(lhs / rhs) - 1) < 1e-13


def test_bad_input_is_refused():
    pr = toy_problem("I")
    with pytest.raises(ValueError, match="`beta` must be a decay rate"):
        O.heavy_ball(pr.loss, 1.0)
    with pytest.raises(ValueError, match="`rho` must be a decay rate"):
        O.adam(pr.loss, 0.9, -0.1, 1e-8)
    with pytest.raises(ValueError, match="`eps` must be positive"):
        O.adam(pr.loss, 0.9, 0.99, 0.0)
    with pytest.raises(ValueError, match="`T` must be a positive"):
        O.global_errors(
            O.gradient_descent(pr.loss), lambda h: O.gd_field(pr.loss, h, 1), pr.theta0, [0.1], -1.0, *pr.args
        )


def test_iterate_and_trajectory_agree_and_compile_once():
    """The saved path ends where the plain loop ends, and a second step size reuses the compilation."""
    pr = toy_problem("I")
    m = O.adam(pr.loss, 0.9, 0.999, 1e-4)
    run = jax.jit(lambda h, n: O.iterate(m, pr.theta0, h, n, *pr.args))
    path = jax.jit(lambda h: O.trajectory(m, pr.theta0, h, 5, 7, *pr.args))
    for h in (1e-3, 2e-3):
        p = path(jnp.asarray(h))
        assert p.shape == (6, 2) and np.array_equal(p[0], pr.theta0)
        assert float(jnp.max(jnp.abs(p[-1] - run(jnp.asarray(h), jnp.asarray(35))))) < 1e-14
    assert run._cache_size() == 1 and path._cache_size() == 1


def test_adam_with_rho_above_beta_lands_sharper_than_its_flow():
    """Cattaneo et al.: c_j < 0 for rho > beta rewards steep gradients. On the two-parameter
    model run to convergence, Adam(0.9, 0.999) reaches a sharper minimum than the flow of -g/s
    by an amount that shrinks with h; the control rho = 0.5 < beta a flatter one."""
    pr = toy_problem("I")

    def sharp(t):
        return float(jnp.linalg.eigvalsh(jax.hessian(pr.loss)(t, *pr.args))[-1])

    for rho, sign in ((0.999, 1), (0.5, -1)):
        ref = sharp(bea.flow(O.adam_field(pr.loss, 0.0, 0.9, rho, 1e-4, 0), pr.theta0, 4.0, *pr.args))
        m = O.adam(pr.loss, 0.9, rho, 1e-4)
        run = jax.jit(lambda h, n, m=m: O.iterate(m, pr.theta0, h, n, *pr.args))
        d = [sign * (sharp(run(jnp.asarray(h), jnp.asarray(int(4.0 / h)))) - ref) for h in (1e-4, 5e-5)]
        assert d[0] > d[1] > 1e-5, (rho, d)


def test_sgd_variance_averaged_over_partitions_and_the_reshuffled_epoch_order():
    """(N-B)/(B(N-1)) Gamma is the partition average of the variance term (checked by
    enumerating every ordering of 4 examples), and one epoch averaged over every reshuffle of 6
    examples follows the partition-averaged modified loss to the next order (slope 3 vs 2)."""
    from igr_core.experiments.optimizers import enumerated_partition_variance

    pr = mnist_mlp_problem(8, (4,), "tanh", 0)

    def bl(t, b):
        return pr.loss(t, *b)

    four = jax.tree_util.tree_map(lambda x: x[:4], pr.args)
    formula = float(O.sgd_partition_variance(bl, four, 2, pr.theta0))
    assert abs(formula / enumerated_partition_variance(bl, four, 2, pr.theta0) - 1) < 1e-13
    six = jax.tree_util.tree_map(lambda x: x[:6], pr.args)
    hs = [0.02, 0.01, 0.005, 0.0025]
    errs = O.sgd_reshuffling_errors(bl, six, 2, pr.theta0, hs)
    assert abs(slope(hs, errs["GD modified loss"]) - 2) < TOL and abs(slope(hs, errs["SGD modified loss"]) - 3) < TOL
    with pytest.raises(ValueError, match="`batch_size` must divide the 6 examples"):
        O.sgd_partition_variance(bl, six, 4, pr.theta0)
    with pytest.raises(ValueError, match="at most 8 are allowed"):
        O.sgd_reshuffling_errors(bl, pr.args, 2, pr.theta0, hs)


@pytest.mark.parametrize("which", ["gd", "heavy ball", "adam"])
def test_hand_written_steps_equal_optax_step_for_step(which, standard_promotion):
    """The Methods are written out (their modified flows are derived from these exact updates);
    they equal optax's optimizers step for step: optax.sgd, optax.sgd(momentum=beta) and
    optax.adam(b1=beta, b2=rho, eps=0, eps_root=eps) (optax's step counter is an int32, so this
    test runs under standard dtype promotion)."""
    import optax

    from igr_core import optimizers as O
    from igr_core.problems import toy_problem

    pr = toy_problem("I")
    h, beta, rho, eps = 0.01, 0.9, 0.999, 1e-4
    method, tx = {
        "gd": (O.gradient_descent(pr.loss), optax.sgd(h)),
        "heavy ball": (O.heavy_ball(pr.loss, beta), optax.sgd(h, momentum=beta)),
        "adam": (O.adam(pr.loss, beta, rho, eps), optax.adam(h, b1=beta, b2=rho, eps=0.0, eps_root=eps)),
    }[which]
    theta, state = pr.theta0, method.init(pr.theta0)
    ref, opt_state = pr.theta0, tx.init(pr.theta0)
    for _ in range(20):
        theta, state = method.step(theta, state, h, *pr.args)
        updates, opt_state = tx.update(jax.grad(pr.loss)(ref, *pr.args), opt_state, ref)
        ref = optax.apply_updates(ref, updates)
        np.testing.assert_allclose(np.asarray(theta), np.asarray(ref), rtol=1e-12, atol=1e-14)
