r"""The pure training step: model, loss, update direction (SGD or EGR) and the step itself.

Abstraction: a :class:`TrainState` (parameters, BatchNorm state, optax state holding the
learning rate as a traced array, mu, the divergence flag and the best-test-accuracy copy) and
factories of pure functions over it: :func:`make_gradient` (g, or g + 2 mu H g for EGR, Eq. 8),
:func:`make_train_segment` (a padded ``lax.scan`` of steps, one compilation for every segment
length) and :func:`make_train_step` (one step, for convolutional networks on a CPU). The data
is always an argument, never closed over.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax

from igr_core._src.bea import diverged as _diverged
from igr_core._src.engine.config import EGR_METHODS, SweepConfig
from igr_core._src.losses import cross_entropy, mean_loss
from igr_core._src.models import Model, StatefulModel, paper_mlp, resnet
from igr_core._src.regularizers import hessian_gradient_product


class TrainState(NamedTuple):
    params: object  # model parameters (pytree)
    model_state: object  # BatchNorm moving statistics ({} for models without state)
    opt_state: object  # optax state; holds the learning rate as a traced array
    mu: jax.Array  # EGR coefficient (0 = SGD), traced
    diverged: jax.Array  # bool: set once the loss is non-finite or too large; updates stop
    best_params: object  # parameters at the best test accuracy seen so far
    best_model_state: object  # model state that goes with best_params
    best_acc: jax.Array  # best test accuracy seen so far


def as_stateful(model: Model | StatefulModel) -> StatefulModel:
    """A model without state as a :class:`~igr_core.models.StatefulModel` with state ``{}``."""
    if isinstance(model, StatefulModel):
        return model
    return StatefulModel(
        lambda key, x: (model.init(key, x), {}),
        lambda params, state, x, is_training: (model.apply(params, x), state),
        model.name,
    )


def build_model(cfg: SweepConfig, width, num_classes: int) -> Model | StatefulModel:
    """The network of one group of ``cfg`` (a :class:`StatefulModel` when it has BatchNorm)."""
    return build_model_for(cfg.architecture, width, num_classes, cfg.depth)


def build_model_for(architecture: str, width, num_classes: int, depth: int) -> Model | StatefulModel:
    if architecture.startswith("resnet"):
        return resnet(num_classes, width, (2, 2, 2, 2) if architecture == "resnet18" else (1, 1, 1, 1))
    return paper_mlp(int(width), num_classes, depth)


def make_loss(model: Model):
    """Mean softmax cross-entropy of a classifier without state: ``loss(params, x, y) -> E``."""
    return mean_loss(model.apply, "cross_entropy")


def make_training_loss(model: Model | StatefulModel):
    """Mean softmax cross-entropy of a classifier in training mode:
    ``loss(params, model_state, x, y) -> (E, new_model_state)``."""
    model = as_stateful(model)

    def loss(params, model_state, x, y):
        logits, new_state = model.apply(params, model_state, x, True)
        return jnp.mean(cross_entropy(logits, y)), new_state

    return loss


def _optimizer():
    return optax.inject_hyperparams(optax.sgd)(learning_rate=0.0)


def init_state(model: Model | StatefulModel, x_example, seed, learning_rate, mu=0.0) -> TrainState:
    params, model_state = as_stateful(model).init(jax.random.PRNGKey(seed), x_example)
    opt_state = _optimizer().init(params)
    opt_state.hyperparams["learning_rate"] = jnp.asarray(learning_rate, dtype=jnp.float32)
    return TrainState(
        params,
        model_state,
        opt_state,
        jnp.asarray(mu, jnp.float32),
        jnp.asarray(False),
        params,
        model_state,
        jnp.asarray(-1.0, jnp.float32),
    )


def learning_rate_of(state: TrainState):
    return state.opt_state.hyperparams["learning_rate"]


def make_gradient(model: Model | StatefulModel, egr: bool, egr_method: str = "exact"):
    r"""``gradient(params, model_state, mu, x, y) -> (E, new_model_state, update direction)``.

    Without EGR (``egr=False``): the gradient g of the training-mode loss E. With EGR:
    :math:`g + 2\mu H g`, the gradient of :math:`E_\mu = E + \mu\|g\|^2` (Eq. 8), where the
    Hessian-gradient product is computed by ``egr_method``; for mu = 0 the added term is
    exactly zero and the direction is g bit for bit."""
    loss = make_training_loss(model)
    if egr_method not in EGR_METHODS:
        raise ValueError(f"`egr_method` must be one of {EGR_METHODS}, got {egr_method!r}.")

    def gradient(params, model_state, mu, x, y):
        (value, new_state), g = jax.value_and_grad(loss, has_aux=True)(params, model_state, x, y)
        if egr:

            def grad_fn(p):
                return jax.grad(loss, has_aux=True)(p, model_state, x, y)[0]

            hg = hessian_gradient_product(grad_fn, params, g, egr_method)
            g = jax.tree_util.tree_map(lambda a, b: a + (2 * mu).astype(a.dtype) * b, g, hg)
        return value, new_state, g

    return gradient


def _make_step(model, full_batch: bool, divergence_threshold: float, egr: bool, egr_method: str):
    gradient = make_gradient(model, egr, egr_method)
    opt = _optimizer()

    def step(carry, inp):
        state, x, y = carry
        idx, active = inp
        xb, yb = (x, y) if full_batch else (x[idx], y[idx])
        loss, new_model_state, grads = gradient(state.params, state.model_state, state.mu, xb, yb)
        updates, new_opt = opt.update(grads, state.opt_state, state.params)
        new_params = optax.apply_updates(state.params, updates)
        bad = state.diverged | (active & _diverged(loss, divergence_threshold))
        skip = bad | ~active

        def keep(old, new):
            return jax.tree_util.tree_map(lambda o, n: jnp.where(skip, o, n), old, new)

        new_state = state._replace(
            params=keep(state.params, new_params),
            opt_state=keep(state.opt_state, new_opt),
            model_state=keep(state.model_state, new_model_state),
            diverged=bad,
        )
        return (new_state, x, y), None

    return step


def make_train_segment(
    model: Model | StatefulModel,
    full_batch: bool,
    divergence_threshold: float,
    egr: bool = False,
    egr_method: str = "exact",
):
    """``segment(state, idx, n_active, x, y) -> state``: ``idx`` (L, batch) minibatch indices
    (or (L,) dummies for full batch); only the first ``n_active`` of the L steps update, so
    segments of any length up to L share one compilation. Diverged runs stop updating.
    ``egr``: compile the EGR direction (:func:`make_gradient`) with ``state.mu``."""
    step = _make_step(model, full_batch, divergence_threshold, egr, egr_method)

    def segment(state, idx, n_active, x, y):
        active = jnp.arange(idx.shape[0], dtype=n_active.dtype) < n_active
        return jax.lax.scan(step, (state, x, y), (idx, active))[0][0]

    return segment


def make_train_step(
    model: Model | StatefulModel,
    full_batch: bool,
    divergence_threshold: float,
    egr: bool = False,
    egr_method: str = "exact",
):
    """``step(state, idx, x, y) -> state``: one optimizer step of :func:`make_train_segment`,
    for the per-step execution of convolutional networks on a CPU (XLA:CPU runs convolutions
    about 3x slower inside a ``scan`` than in a jitted step called from Python; measured in
    ``benchmarks/egr_resnet.py``)."""
    step = _make_step(model, full_batch, divergence_threshold, egr, egr_method)

    def one(state, idx, x, y):
        return step((state, x, y), (idx, jnp.asarray(True)))[0][0]

    return one


__all__ = [
    "TrainState",
    "as_stateful",
    "build_model",
    "build_model_for",
    "make_loss",
    "make_training_loss",
    "make_gradient",
    "make_train_segment",
    "make_train_step",
    "learning_rate_of",
    "init_state",
]
