"""The general-order corrections of gradient descent against closed forms (f_1, f_2 in general;
every f_l on a quadratic), the printed recursion's f_3 against the same, the local orders of
the truncated fields, and f_2's non-gradient part against its formula."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from igr_core import bea
from igr_core import higher_order as HO
from igr_core.problems import toy_problem

A = jnp.asarray([[2.0, 0.5, 0.0], [0.5, 1.0, 0.3], [0.0, 0.3, 0.5]])
X = jnp.asarray([0.3, -0.7, 0.5])


def rel(a, b):
    return float(jnp.linalg.norm(a - b) / jnp.linalg.norm(b))


def test_quadratic_corrections_match_the_logarithm_series():
    """On E = theta^T A theta / 2 the modified field is log(I - hA) theta / h exactly, so
    f_l = -A^(l+1) theta / (l+1); the printed recursion gives -A^4 theta / 3 for f_3."""
    general = HO.euler_corrections(lambda t: -A @ t, 3)
    printed = HO.paper_corrections(lambda t: -A @ t, 3)
    for l in range(4):
        closed = -jnp.linalg.matrix_power(A, l + 1) @ X / (l + 1)
        assert rel(general[l](X), closed) < 1e-14
        if l < 3:
            assert rel(printed[l](X), closed) < 1e-14
    np.testing.assert_allclose(printed[3](X), -jnp.linalg.matrix_power(A, 4) @ X / 3, rtol=1e-13)


def test_iclr_reading_is_exact_on_quadratics_and_off_at_f3_elsewhere():
    """The ICLR 2021 text's (A.14) (order_{l+1}, derivatives along the modified flow) gives
    every f_l of a quadratic; on the two-parameter model its f_3 is off by about a percent
    (Lemma A.1's gradient form, since f_2 is not a gradient), and with the true second
    derivative it is exact: the diagnosis."""
    iclr = HO.iclr_corrections(lambda t: -A @ t, 3)
    for l in range(4):
        assert rel(iclr[l](X), -jnp.linalg.matrix_power(A, l + 1) @ X / (l + 1)) < 1e-14
    pr = toy_problem("I")

    def f0(t, *a):
        return -jax.grad(pr.loss)(t, *a)

    exact = HO.euler_corrections(f0, 3)[3](pr.theta0, *pr.args)
    off = rel(HO.iclr_corrections(f0, 3)[3](pr.theta0, *pr.args), exact)
    assert 1e-3 < off < 0.1
    assert rel(HO.iclr_corrections(f0, 3, lemma_a1=False)[3](pr.theta0, *pr.args), exact) < 1e-13


def test_both_recursions_give_the_closed_forms_of_f1_and_f2():
    pr = toy_problem("I")

    def f0(t, *a):
        return -jax.grad(pr.loss)(t, *a)

    for cs in (HO.euler_corrections(f0, 2), HO.paper_corrections(f0, 2)):
        for l in (1, 2):
            assert rel(cs[l](pr.theta0, *pr.args), bea.correction(pr.loss, l)(pr.theta0, *pr.args)) < 1e-13


def test_local_order_five_with_the_general_f3_and_four_with_the_preconditioned_form():
    pr = toy_problem("I")

    def f0(t, *a):
        return -jax.grad(pr.loss)(t, *a)

    hs = [0.004, 0.002, 0.001, 0.0005]
    general = HO.euler_corrections(f0, 3)
    for field_for, expected in (
        (lambda h: HO.truncated_field(general, h), 5),
        (lambda h: HO.preconditioned_field(pr.loss, h), 4),
    ):
        errs = bea.one_step_errors(lambda h: bea.gd_step(pr.loss, h), field_for, pr.theta0, hs, *pr.args)
        assert abs(bea.fit_order(hs, errs) - expected) < 0.25


def test_on_a_quadratic_the_second_order_modified_loss_exists():
    """T = 0: E~2 = E + (h/4)||g||^2 + (h^2/6) g^T H g is a loss whose gradient flow reaches local
    order 4 (shared/notes), where E + (h/4)||g||^2 stops at 3."""

    def loss(t):
        return 0.5 * t @ A @ t

    def e2(h):
        def e(t):
            g = jax.grad(loss)(t)
            return loss(t) + h / 4 * g @ g + h**2 / 6 * g @ (A @ g)

        return lambda t: -jax.grad(e)(t)

    hs = [0.02, 0.01, 0.005, 0.0025]

    def step(h):
        return bea.gd_step(loss, h)

    four = bea.one_step_errors(step, e2, X, hs)
    three = bea.one_step_errors(step, lambda h: bea.modified_vector_field(loss, h, 1), X, hs)
    assert abs(bea.fit_order(hs, four) - 4) < 0.25 and abs(bea.fit_order(hs, three) - 3) < 0.25


def test_f2_antisymmetric_part_is_minus_one_twelfth_of_the_commutator():
    pr = toy_problem("I")
    J_anti, formula = HO.f2_antisymmetry(pr.loss, pr.theta0, *pr.args)
    assert float(jnp.linalg.norm(formula)) > 0 and rel(J_anti, formula) < 1e-12


def test_bad_order_is_refused():
    with pytest.raises(ValueError, match="`order` must be an integer in"):
        HO.euler_corrections(lambda t: -t, 4)
    with pytest.raises(ValueError, match="`order` must be an integer in"):
        HO.paper_corrections(lambda t: -t, -1)
