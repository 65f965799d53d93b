"""Chapter 09's higher orders: the printed recursion (A.14) in each text against the true fields.

Abstraction: :func:`recursion_table` computes f_1..f_3 from each reading of (A.14)
(:data:`RECURSION_ROUTES`) on three problems (:func:`recursion_problems`) against the exact
corrections of the general recursion; :func:`higher_order_study` adds gradient descent's
one-step errors against flows of increasing order and f_2's non-gradient part. Only numbers
are returned; the fitted slopes and the rows are in :mod:`~igr_core.experiments.optimizers.rows`.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import optax
import pandas as pd

from igr_core._src import bea as _bea
from igr_core._src import higher_order
from igr_core._src.problems import toy_problem
from igr_core.experiments.optimizers.params import (
    LOCAL_ARXIV,
    LOCAL_ICLR,
    QUADRATIC,
    QUARTIC,
    ROUTE_ARXIV,
    ROUTE_CLOSED_FORM,
    ROUTE_ICLR,
    ROUTE_ICLR_TRUE,
    TWO_PARAM_MODEL,
    Params,
)


def _rel(a, b) -> float:
    return float(optax.tree.norm(optax.tree.sub(a, b)) / optax.tree.norm(b))


RECURSION_ROUTES = (
    (ROUTE_ARXIV, higher_order.arxiv_corrections),
    (ROUTE_ICLR, higher_order.iclr_corrections),
    (ROUTE_ICLR_TRUE, lambda f, k: higher_order.iclr_corrections(f, k, lemma_a1=False)),
)


def _quartic(t):
    """A non-quadratic loss in two variables with a non-gradient f_2 (T[g] and H do not commute)."""
    return 0.25 * t[0] ** 4 + 0.5 * t[0] ** 2 * t[1] + 0.3 * t[1] ** 2 + 0.1 * t[0] * t[1] ** 3


def recursion_problems():
    """(name, field f_0, theta, args): a quadratic (every f_l a gradient, closed forms known), the
    two-parameter model and a quartic (f_2 not a gradient)."""
    A = jnp.asarray([[2.0, 0.5, 0.0], [0.5, 1.0, 0.3], [0.0, 0.3, 0.5]])
    pr = toy_problem("I")

    def toy_field(t, *a):
        return -jax.grad(pr.loss)(t, *a)

    def quartic_field(t):
        return -jax.grad(_quartic)(t)

    def quadratic_field(t):
        return -A @ t

    return (
        (QUADRATIC, quadratic_field, jnp.asarray([0.3, -0.7, 0.5]), ()),
        (TWO_PARAM_MODEL, toy_field, pr.theta0, pr.args),
        (QUARTIC, quartic_field, jnp.asarray([0.7, -0.4]), ()),
    )


def recursion_table() -> pd.DataFrame:
    """Relative error of f_1..f_3 from each reading of (A.14) against the exact corrections
    (the general recursion, :func:`igr_core.higher_order.euler_corrections`); on the quadratic
    the exact ones are checked against the closed form -A^(l+1) theta / (l+1) too."""
    rows = []
    for name, field, theta, args in recursion_problems():
        exact = higher_order.euler_corrections(field, 3)
        refs = [jax.jit(exact[k])(theta, *args) for k in range(4)]
        if name == QUADRATIC:
            A = -jax.jacfwd(field)(theta)
            for k in (1, 2, 3):
                closed = -jnp.linalg.matrix_power(A, k + 1) @ theta / (k + 1)
                rows.append(
                    {
                        "problem": name,
                        "l": k,
                        "route": ROUTE_CLOSED_FORM,
                        "relative error": _rel(refs[k], closed),
                    }
                )
        for route, make in RECURSION_ROUTES:
            cs = make(field, 3)
            for k in (1, 2, 3):
                rows.append(
                    {
                        "problem": name,
                        "l": k,
                        "route": route,
                        "relative error": _rel(jax.jit(cs[k])(theta, *args), refs[k]),
                    }
                )
    return pd.DataFrame(rows)


def higher_order_study(p: Params):
    """One-step errors of gradient descent against the flows of E, of E + (h/4)||g||^2, of the
    order-2 field, of the preconditioned order-4 form, and of the order-3 fields from the
    general recursion and from both texts' (A.14) (two-parameter model); the corrections of
    every reading against the exact ones (:func:`recursion_table`); and f_2's non-gradient
    part against its formula."""
    pr = toy_problem("I")
    L, th, a = pr.loss, pr.theta0, pr.args

    def f0(t, *aa):
        return -jax.grad(L)(t, *aa)

    general, arxiv, iclr = (
        higher_order.euler_corrections(f0, 3),
        higher_order.arxiv_corrections(f0, 3),
        higher_order.iclr_corrections(f0, 3),
    )
    descriptions = (
        ("flow of E", 2, lambda h: _bea.modified_vector_field(L, h, 0)),
        ("flow of E + (h/4)||g||^2", 3, lambda h: _bea.modified_vector_field(L, h, 1)),
        ("f + h f_1 + h^2 f_2 (not a gradient)", 4, lambda h: _bea.modified_vector_field(L, h, 2)),
        ("preconditioned -(1 + h^2 H^2/6) grad E~_2", 4, lambda h: higher_order.preconditioned_field(L, h)),
        ("order 3, general recursion", 5, lambda h: higher_order.truncated_field(general, h)),
        (LOCAL_ARXIV, 5, lambda h: higher_order.truncated_field(arxiv, h)),
        (LOCAL_ICLR, 5, lambda h: higher_order.truncated_field(iclr, h)),
    )
    rows = []
    for desc, expected, field_for in descriptions:
        errs = _bea.one_step_errors(lambda h: _bea.gd_step(L, h), field_for, th, p.local_hs, *a)
        rows += [
            {"description": desc, "expected order": expected, "h": h, "error": float(e)}
            for h, e in zip(p.local_hs, errs)
        ]
    J_anti, formula = higher_order.f2_antisymmetry(L, th, *a)
    return pd.DataFrame(rows), recursion_table(), float(jnp.linalg.norm(J_anti - formula) / jnp.linalg.norm(formula))
