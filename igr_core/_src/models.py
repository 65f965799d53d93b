"""Models: Haiku MLPs, exposed as pure (init, apply) pairs.

Abstraction: Haiku (in maintenance mode) stays inside this module. Everything else
in :mod:`igr_core` sees a :class:`Model`: ``init(key, x) -> params`` and
``apply(params, x) -> logits``, both pure functions over pytrees.

The paper's "5-layer MLPs with n_l units per layer" is read here as five hidden
layers of ``n_l`` ReLU units followed by a linear 10-way read-out: for n_l = 400
on 784 inputs that is 784*400 + 4*400*400 + 400*10 = 957,600 weights plus 2,010 biases
= 959,610 parameters, about 9.6e5 (the paper prints 9.6e6: see the errata page).
"""
from __future__ import annotations

from typing import Callable, NamedTuple, Sequence

import haiku as hk
import jax
import jax.numpy as jnp

ACTIVATIONS = {"relu": jax.nn.relu, "tanh": jnp.tanh, "softplus": jax.nn.softplus}


class Model(NamedTuple):
    init: Callable  # (key, x) -> params pytree
    apply: Callable  # (params, x) -> outputs (n, c)
    name: str  # human-readable description


def mlp(hidden: Sequence[int], num_outputs: int, activation: str = "relu") -> Model:
    """Fully connected network: ``len(hidden)`` hidden layers, then a linear read-out."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"`activation` must be one of {tuple(ACTIVATIONS)}, got {activation!r}.")
    hidden = [int(w) for w in hidden]
    if any(w <= 0 for w in hidden) or int(num_outputs) <= 0:
        raise ValueError(f"`hidden` widths and `num_outputs` must be positive, got {hidden}, {num_outputs}.")

    def forward(x):
        return hk.nets.MLP([*hidden, int(num_outputs)], activation=ACTIVATIONS[activation])(x)

    t = hk.without_apply_rng(hk.transform(forward))
    return Model(t.init, t.apply, f"MLP {hidden} -> {num_outputs} ({activation})")


def paper_mlp(width: int, num_classes: int = 10, depth: int = 5) -> Model:
    """The paper's MNIST MLP: ``depth`` hidden ReLU layers of ``width`` units."""
    return mlp([width] * depth, num_classes, "relu")


def mlp_num_params(n_in: int, hidden: Sequence[int], n_out: int) -> int:
    """Closed-form parameter count of :func:`mlp` (weights and biases)."""
    sizes = [n_in, *hidden, n_out]
    return sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))


__all__ = ["ACTIVATIONS", "Model", "mlp", "paper_mlp", "mlp_num_params"]
