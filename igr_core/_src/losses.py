"""Loss functions of the book: one cross-entropy, one least squares.

Abstraction: per-example losses over model outputs, and factories that turn a
:class:`~igr_core.models.Model` into a scalar loss ``E(params, x, y)`` (a mean over examples,
so that ``E`` and ``R_IG`` do not scale with the number of examples) for the engine, the
theory chapters and the estimators alike.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

LOSS_KINDS = ("cross_entropy", "least_squares")


def cross_entropy(logits, labels):
    """Per-example softmax cross-entropy ``-log softmax(logits)[label]``; shape (n,)."""
    return -jnp.take_along_axis(jax.nn.log_softmax(logits), labels[:, None], axis=1)[:, 0]


def squared_error(outputs, labels):
    """Per-example squared error to one-hot targets, ``||f(x) - onehot(y)||^2``; shape (n,)."""
    return jnp.sum((outputs - jax.nn.one_hot(labels, outputs.shape[-1], dtype=outputs.dtype)) ** 2, axis=-1)


_PER_EXAMPLE = {"cross_entropy": cross_entropy, "least_squares": squared_error}


def per_example(kind: str):
    if kind not in LOSS_KINDS:
        raise ValueError(f"`loss_kind` must be one of {LOSS_KINDS}, got {kind!r}.")
    return _PER_EXAMPLE[kind]


def mean_loss(apply_fn, kind: str = "cross_entropy"):
    """``E(params, x, y) = mean_i loss(f(x_i), y_i)`` for a model's ``apply_fn``."""
    fn = per_example(kind)

    def loss(params, x, y):
        return jnp.mean(fn(apply_fn(params, x), y))

    return loss


__all__ = ["LOSS_KINDS", "cross_entropy", "squared_error", "per_example", "mean_loss"]
