"""Small pytree algebra: the vector-space operations the theory modules need.

Parameters are pytrees (nested dicts of arrays from Haiku, plain arrays, tuples),
so every formula below is written over pytrees with :mod:`jax.tree_util`.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

from igr_core._src.typing import PyTree


def tree_vdot(a: PyTree, b: PyTree) -> jax.Array:
    """Euclidean inner product sum_i a_i b_i over all leaves."""
    leaves = jax.tree_util.tree_leaves(jax.tree_util.tree_map(lambda x, y: jnp.vdot(x, y), a, b))
    return sum(leaves, jnp.zeros((), dtype=jnp.result_type(*leaves)) if leaves else 0.0)


def tree_sq_norm(a: PyTree) -> jax.Array:
    """Squared Euclidean norm ||a||^2 over all leaves."""
    return tree_vdot(a, a)


def tree_norm(a: PyTree) -> jax.Array:
    """Euclidean norm ||a|| over all leaves."""
    return jnp.sqrt(tree_sq_norm(a))


def tree_axpy(alpha, x: PyTree, y: PyTree) -> PyTree:
    """alpha * x + y, leaf by leaf (alpha a scalar)."""
    return jax.tree_util.tree_map(lambda xi, yi: alpha * xi + yi, x, y)


def tree_scale(alpha, x: PyTree) -> PyTree:
    """alpha * x, leaf by leaf."""
    return jax.tree_util.tree_map(lambda xi: alpha * xi, x)


def tree_sub(x: PyTree, y: PyTree) -> PyTree:
    """x - y, leaf by leaf."""
    return jax.tree_util.tree_map(lambda a, b: a - b, x, y)


def tree_size(tree: PyTree) -> int:
    """Number of scalar entries m in a pytree (static Python int)."""
    return int(sum(int(jnp.size(x)) for x in jax.tree_util.tree_leaves(tree)))


def tree_all_finite(tree: PyTree) -> jax.Array:
    """True when every entry of every leaf is finite."""
    leaves = jax.tree_util.tree_leaves(tree)
    return jnp.all(jnp.stack([jnp.all(jnp.isfinite(x)) for x in leaves]))
