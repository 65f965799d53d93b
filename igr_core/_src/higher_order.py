r"""Backward error analysis of gradient descent to general order, and where the paper's
recursion (Appendix A, Eqs. A.13-A.14) stops being right.

Abstraction: a *field* is ``f(theta, *args) -> pytree`` (for gradient descent,
``f = -grad E``). :func:`euler_corrections` returns the corrections :math:`f_0 = f, f_1, \dots,
f_L` of the modified field :math:`\tilde f = \sum_l h^l f_l` of the explicit Euler method by
matching, order by order in h, the Taylor series of the exact flow of :math:`\tilde f` to one
Euler step:

.. math::
    f_l = -[h^{l+1}] \sum_{j=2}^{l+1} \frac{h^j}{j!}\, D_F^{\,j-1} F, \qquad
    F = \sum_{i<l} h^i f_i,\quad D_F G = G' F,

where :math:`[h^{l+1}]` is the coefficient of :math:`h^{l+1}`, read off term by term (D is
linear in both its arguments) and :math:`G'F` is a Jacobian-vector product; no Jacobian is
formed.

:func:`paper_corrections` (alias :func:`arxiv_corrections`) implements Proposition A.4 as the
arXiv text prints it: Lemma A.1 writes the second
time derivative as :math:`\frac{d}{d\theta}\frac{\|\tilde f\|^2}{2}` (true only when
:math:`\tilde f` has a symmetric Jacobian, i.e. is a gradient field) and Lemma A.2 treats the
time derivatives :math:`L_{n,k}` as independent of h (taken along the flow of :math:`f_0`):

.. math::
    f_l = -\sum_{n+k=l+1,\ n\ge2} \frac1{n!} L_{n,k},\qquad
    L_{n,k} = D_{f_0}^{\,n-2}\,\nabla\!\!\sum_{i+j=k}\frac{\langle f_i, f_j\rangle}{2}.

i.e. :math:`f_l = -H_l`. :func:`iclr_corrections` implements the ICLR 2021 text, which notes
after (A.12) that :math:`H_l` depends on h through the :math:`f_i` ("we can not readily
identify :math:`f_l` with :math:`-H_l`") and prints

.. math::
    f_l = -\operatorname{order}_{l+1}\Big(\sum_{i=0}^{l} h^{i+1} H_i\Big),\qquad
    H_i = \sum_{n+k=i+1,\ n\ge2}\frac1{n!}L_{n,k},

with the time derivatives in :math:`L_{n,k}` taken along the modified flow
:math:`\tilde f = \sum_i h^i f_i`; the coefficient of :math:`h^{l+1}` is read off by
differentiating l + 1 times in h at h = 0. It keeps Lemma A.1's gradient form
(:math:`\ddot\theta = \nabla\|\tilde f\|^2/2`), exact only while every correction is a gradient.
All three give :math:`f_1` and :math:`f_2`; from :math:`f_3` on the arXiv reading differs even on
quadratics, the ICLR reading only where :math:`f_2` is not a gradient (tests and chapter 09
measure where, and the local order it costs).
:func:`preconditioned_field` is the order-4 description of gradient descent that does exist
when :math:`f_2` is not a gradient: :math:`\theta' = -(I + \frac{h^2}{6}H^2)\nabla\tilde E_2`,
:math:`\tilde E_2 = E + \frac h4\|g\|^2 + \frac{h^2}{12}g^\top Hg`.
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import jax
import jax.numpy as jnp
import optax

from igr_core._src.bea import hvp

MAX_ORDER = 3  # nested forward derivatives grow quickly; the recursion is checked up to here


def _check(order) -> int:
    if not (isinstance(order, int) and 0 <= order <= MAX_ORDER):
        raise ValueError(f"`order` must be an integer in [0, {MAX_ORDER}], got {order!r}.")
    return order


def _truncated(fs: Sequence[Callable], h, theta, *args):
    out = fs[0](theta, *args)
    for i in range(1, len(fs)):
        out = optax.tree.add_scale(out, h**i, fs[i](theta, *args))
    return out


def euler_corrections(field: Callable, order: int) -> list[Callable]:
    """``[f_0, ..., f_order]`` of the explicit Euler method's modified field (see the module
    docstring), each ``f_l(theta, *args)``."""
    order = _check(order)
    fs = [field]
    for l in range(1, order + 1):
        fs.append(_next_correction(tuple(fs), l))
    return fs


def _compositions(total: int, parts: int, below: int):
    """Tuples of ``parts`` non-negative integers < ``below`` summing to ``total``."""
    if parts == 1:
        return [(total,)] if total < below else []
    return [(i, *rest) for i in range(min(total, below - 1) + 1) for rest in _compositions(total - i, parts - 1, below)]


def _next_correction(fs: tuple, l: int) -> Callable:
    """f_l from the multilinear expansion of the h^{l+1} coefficient: D_F is linear in F and in
    the field it differentiates, so D_F^{j-1} F = sum over (a_1..a_j) of h^(a_1+..+a_j)
    G_j with G_1 = f_{a_1}, G_{r+1} = G_r' f_{a_{r+1}} (nested Jacobian-vector products)."""
    terms = [(j, a) for j in range(2, l + 2) for a in _compositions(l + 1 - j, j, l)]

    def f_l(theta, *args):
        out = optax.tree.zeros_like(theta)
        for j, a in terms:

            def G(t, i=a[0]):
                return fs[i](t, *args)

            for i in a[1:]:
                G = (lambda prev, idx: lambda t: jax.jvp(prev, (t,), (fs[idx](t, *args),))[1])(G, i)
            out = optax.tree.add_scale(out, -1.0 / math.factorial(j), G(theta))
        return out

    return f_l


def paper_corrections(field: Callable, order: int) -> list[Callable]:
    """``[f_0, ..., f_order]`` by Proposition A.4 (Eqs. A.11, A.14) as printed: gradients of
    half inner products, time derivatives along the flow of ``f_0``."""
    order = _check(order)
    fs = [field]

    def L(n, k, fs_now):
        def half_inner(t, *a):
            vals = [f(t, *a) for f in fs_now[: k + 1]]
            return sum(0.5 * optax.tree.vdot(vals[i], vals[k - i]) for i in range(k + 1))

        g = jax.grad(half_inner)
        for _ in range(n - 2):
            g = (lambda prev: lambda t, *a: jax.jvp(lambda s: prev(s, *a), (t,), (field(t, *a),))[1])(g)
        return g

    for l in range(1, order + 1):
        terms = [(n, l + 1 - n) for n in range(2, l + 2)]
        parts = [(n, L(n, k, tuple(fs))) for n, k in terms]

        def f_l(theta, *args, parts=parts):
            out = optax.tree.zeros_like(theta)
            for n, part in parts:
                out = optax.tree.add_scale(out, -1.0 / math.factorial(n), part(theta, *args))
            return out

        fs.append(f_l)
    return fs


arxiv_corrections = paper_corrections


def iclr_corrections(field: Callable, order: int, lemma_a1: bool = True) -> list[Callable]:
    """``[f_0, ..., f_order]`` by Proposition A.4 as the ICLR 2021 text prints it (Eq. A.14 with
    ``order_{l+1}``): time derivatives along the modified flow, the coefficient of h^{l+1}
    extracted by differentiating in h (see the module docstring). ``lemma_a1=False`` replaces
    Lemma A.1's gradient form by the true second derivative :math:`\tilde f'\tilde f` (the
    diagnosis: with it the recursion is exact at every order)."""
    order = _check(order)
    fs = [field]
    for l in range(1, order + 1):
        fs.append(_iclr_next(tuple(fs), l, lemma_a1))
    return fs


def _iclr_next(fs: tuple, l: int, lemma_a1: bool) -> Callable:
    def L(n, k, h, theta, args):
        def half_inner(t):
            vals = [f(t, *args) for f in fs[: k + 1]]
            return sum(0.5 * optax.tree.vdot(vals[i], vals[k - i]) for i in range(k + 1))

        def second(t):  # sum_{i+j=k} f_i' f_j: the h^k part of f~' f~, without Lemma A.1
            out = optax.tree.zeros_like(t)
            for i in range(k + 1):
                out = optax.tree.add(out, jax.jvp(lambda s, i=i: fs[i](s, *args), (t,), (fs[k - i](t, *args),))[1])
            return out

        def flow(t):  # the modified field known so far, f_0 + h f_1 + ... + h^(l-1) f_(l-1)
            return _truncated(fs, h, t, *args)

        g = jax.grad(half_inner) if lemma_a1 else second
        for _ in range(n - 2):
            g = (lambda prev: lambda t: jax.jvp(prev, (t,), (flow(t),))[1])(g)
        return g(theta)

    def series(h, theta, args):
        out = optax.tree.zeros_like(theta)
        for i in range(1, l + 1):  # H_0 = 0
            for n in range(2, i + 2):
                out = optax.tree.add_scale(out, h ** (i + 1) / math.factorial(n), L(n, i + 1 - n, h, theta, args))
        return out

    def f_l(theta, *args):
        dtype = jnp.result_type(*jax.tree_util.tree_leaves(theta))

        def d(h):
            return series(h, theta, args)

        for _ in range(l + 1):
            d = (lambda prev: lambda h: jax.jvp(prev, (h,), (jnp.ones_like(h),))[1])(d)
        return optax.tree.scale(-1.0 / math.factorial(l + 1), d(jnp.zeros((), dtype)))

    return f_l


def truncated_field(corrections: Sequence[Callable], h) -> Callable:
    """:math:`\\sum_l h^l f_l` of the given corrections (``h`` may be traced)."""
    return lambda theta, *args: _truncated(corrections, h, theta, *args)


def preconditioned_field(loss_fn: Callable, h) -> Callable:
    """:math:`-(I + \\frac{h^2}{6}H^2)\\nabla\\tilde E_2`, the order-4 preconditioned description of
    gradient descent (derived in chapter 09 of the book)."""

    def e2(theta, *args):
        g = jax.grad(loss_fn)(theta, *args)
        return (
            loss_fn(theta, *args)
            + h / 4 * optax.tree.vdot(g, g)
            + h**2 / 12 * optax.tree.vdot(g, hvp(loss_fn, theta, g, *args))
        )

    def field(theta, *args):
        g2 = jax.grad(e2)(theta, *args)
        h2g2 = hvp(loss_fn, theta, hvp(loss_fn, theta, g2, *args), *args)
        return optax.tree.scale(-1.0, optax.tree.add_scale(g2, h**2 / 6, h2g2))

    return field


def f2_antisymmetry(loss_fn: Callable, theta, *args) -> tuple[jax.Array, jax.Array]:
    """(antisymmetric part of the Jacobian of f_2, by forward differentiation of the f_2 field;
    the formula :math:`-\\frac1{12}[H, T[g]]` from an explicit Hessian and third-derivative
    tensor), for a flat ``theta``: two routes to the same matrix."""
    f2 = euler_corrections(lambda t, *a: -jax.grad(loss_fn)(t, *a), 2)[2]
    J = jax.jacfwd(lambda t: f2(t, *args))(theta)
    H = jax.hessian(loss_fn)(theta, *args)
    g = jax.grad(loss_fn)(theta, *args)
    Tg = jax.jvp(lambda t: jax.hessian(loss_fn)(t, *args), (theta,), (g,))[1]
    return 0.5 * (J - J.T), -(H @ Tg - Tg @ H) / 12


__all__ = [
    "MAX_ORDER",
    "euler_corrections",
    "paper_corrections",
    "arxiv_corrections",
    "iclr_corrections",
    "truncated_field",
    "preconditioned_field",
    "f2_antisymmetry",
]
