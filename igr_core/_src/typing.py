"""Type aliases used across :mod:`igr_core` (the one place they are defined).

``PyTree`` is any nested structure of arrays that :mod:`jax.tree_util` can
flatten: parameters, gradients and optimizer states are all pytrees.
``LossFn`` is a scalar loss ``E(theta, *args)`` differentiated with respect to
its first argument ``theta``.
"""

from __future__ import annotations

from typing import Any, Callable

import jax
from jaxtyping import Array, Float
from jaxtyping import PyTree as _PyTree

PyTree = _PyTree[Any]
Scalar = Float[Array, ""]
Vector = Float[Array, " m"]
LossFn = Callable[..., Scalar]
VectorField = Callable[..., PyTree]
ApplyFn = Callable[[PyTree, jax.Array], jax.Array]

__all__ = ["Array", "Float", "PyTree", "Scalar", "Vector", "LossFn", "VectorField", "ApplyFn"]
