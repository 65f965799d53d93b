r"""The metrics of one evaluation, written once: loss, accuracy, R_IG (Eq. 4) and slope per split.

Abstraction: :data:`METRICS` names the columns of a sweep's metrics table; :func:`make_evaluate`
computes them over a whole split in bounded-memory chunks (scanned), :func:`make_metrics` for
both splits with the best-test-accuracy copy kept in the state, and
:func:`make_stepwise_metrics` the same numbers from jitted per-chunk calls (convolutional
networks on a CPU). Both build their row with :func:`_metrics_row`.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import optax

from igr_core._src import columns as C
from igr_core._src.engine.steps import TrainState, as_stateful, make_training_loss
from igr_core._src.losses import cross_entropy
from igr_core._src.models import Model, StatefulModel


def _chunks(x, y, size: int):
    """(k, size, ...) chunks of a split padded with zeros, and the (k, size) mask of real rows."""
    n = x.shape[0]
    k = -(-n // size)
    pad = k * size - n
    xp = jnp.concatenate([x, jnp.zeros((pad, *x.shape[1:]), x.dtype)]).reshape(k, size, *x.shape[1:])
    yp = jnp.concatenate([y, jnp.zeros((pad,), y.dtype)]).reshape(k, size)
    return xp, yp, (jnp.arange(k * size) < n).reshape(k, size)


def _grad_batches(n: int, grad_batch: int | None) -> tuple[int, int]:
    """(batch size, number of batches) of the training-mode gradient over a split of n rows."""
    b = n if grad_batch is None or grad_batch >= n else grad_batch
    return b, n // b


def _keep_best(state: TrainState, acc) -> TrainState:
    """The state with the best-test-accuracy parameters and model state updated by ``acc``."""
    better = (acc > state.best_acc) & ~state.diverged

    def pick(b, p):
        return jnp.where(better, p, b)

    return state._replace(
        best_params=jax.tree_util.tree_map(pick, state.best_params, state.params),
        best_model_state=jax.tree_util.tree_map(pick, state.best_model_state, state.model_state),
        best_acc=jnp.where(better, acc, state.best_acc),
    )


def _from_grad(grad, params) -> dict:
    sq = optax.tree.norm(grad, squared=True)
    return {C.R_IG: sq / optax.tree.size(params), C.SLOPE: jnp.sqrt(sq)}


def make_evaluate(model: Model | StatefulModel, chunk_size: int, grad_batch: int | None = None):
    """``evaluate(params, x, y, model_state={}) -> dict``: mean loss, accuracy, R_IG (Eq. 4) and
    the gradient norm (the loss-surface slope) over a whole split, in chunks of ``chunk_size``
    examples so memory stays bounded.

    Models without state: one pass, the gradient of the mean loss over the whole split.
    Models with BatchNorm state: loss and accuracy in evaluation mode (moving averages); R_IG
    and slope from the mean of the training-mode gradients of the consecutive batches of
    ``grad_batch`` examples (the training batch size; remainder dropped; the whole split when
    None or larger than the split), each normalized with its own statistics."""
    stateful = isinstance(model, StatefulModel)
    model = as_stateful(model)
    loss = make_training_loss(model)

    def eval_mode(params, model_state, x, y, with_grad: bool):
        n = x.shape[0]
        xp, yp, mask = _chunks(x, y, chunk_size)
        dt = jax.tree_util.tree_leaves(params)[0].dtype
        mask = mask.astype(dt)

        def body(carry, batch):
            xc, yc, mc = batch

            def summed(p):
                logits = model.apply(p, model_state, xc, False)[0]
                return jnp.sum(mc * cross_entropy(logits, yc)), logits

            if with_grad:
                (l, logits), g = jax.value_and_grad(summed, has_aux=True)(params)
            else:
                (l, logits), g = summed(params), None
            acc = jnp.sum(mc * (jnp.argmax(logits, axis=1).astype(yc.dtype) == yc).astype(dt))
            tl, tg, ta = carry
            return (tl + l, optax.tree.add(tg, g) if with_grad else tg, ta + acc), None

        zeros = jax.tree_util.tree_map(jnp.zeros_like, params) if with_grad else ()
        (tl, tg, ta), _ = jax.lax.scan(body, (jnp.zeros((), dt), zeros, jnp.zeros((), dt)), (xp, yp, mask))
        out = {"E": tl / n, "acc": ta / n}
        if with_grad:
            out.update(_from_grad(optax.tree.scale(1.0 / n, tg), params))
        return out

    def train_mode_gradient(params, model_state, x, y):
        b, k = _grad_batches(x.shape[0], grad_batch)
        xs = x[: k * b].reshape(k, b, *x.shape[1:])
        ys = y[: k * b].reshape(k, b)
        grad_of = jax.grad(lambda p, xc, yc: loss(p, model_state, xc, yc)[0])

        def body(tg, batch):
            return optax.tree.add(tg, grad_of(params, *batch)), None

        tg, _ = jax.lax.scan(body, jax.tree_util.tree_map(jnp.zeros_like, params), (xs, ys))
        return _from_grad(optax.tree.scale(1.0 / k, tg), params)

    def evaluate(params, x, y, model_state=None):
        model_state = {} if model_state is None else model_state
        if not stateful:
            return eval_mode(params, model_state, x, y, with_grad=True)
        return {
            **eval_mode(params, model_state, x, y, with_grad=False),
            **train_mode_gradient(params, model_state, x, y),
        }

    return evaluate


METRICS = C.METRICS  # (igr_core._src.columns) one row of a sweep's metrics table, per configuration and evaluation


def _metrics_row(train: dict, test: dict, norm, diverged) -> dict:
    """The metrics of one evaluation (both strategies build it here, once): ``train`` and
    ``test`` hold E, acc, R_IG and slope of each split."""
    row = {
        C.TRAIN_E: train["E"],
        C.TRAIN_ACC: train["acc"],
        C.R_IG: train[C.R_IG],
        C.SLOPE: train[C.SLOPE],
        C.TEST_E: test["E"],
        C.TEST_ACC: test["acc"],
        C.TEST_R_IG: test[C.R_IG],
        C.TEST_SLOPE: test[C.SLOPE],
        C.THETA_NORM: norm,
        C.DIVERGED: diverged,
    }
    assert tuple(row) == METRICS
    return row


def make_metrics(model: Model | StatefulModel, chunk_size: int, grad_batch: int | None = None):
    """``metrics(state, x_train, y_train, x_test, y_test) -> (state, dict)``: the evaluation of
    both splits (:func:`make_evaluate`), and the best-test-accuracy parameters (and model
    state) carried in the state."""
    evaluate = make_evaluate(model, chunk_size, grad_batch)

    def metrics(state: TrainState, x_train, y_train, x_test, y_test):
        tr = evaluate(state.params, x_train, y_train, state.model_state)
        te = evaluate(state.params, x_test, y_test, state.model_state)
        out = _metrics_row(tr, te, optax.tree.norm(state.params), state.diverged)
        return _keep_best(state, te["acc"]), out

    return metrics


def make_stepwise_metrics(model: StatefulModel, chunk_size: int, grad_batch: int):
    """The metrics of :func:`make_metrics` for a model with BatchNorm, computed by jitted
    per-chunk functions called from Python (no ``scan``: see :func:`make_train_step`). Same
    definitions; the test split's R_IG and slope are not computed (NaN), to save a backward
    pass over the test set that no chapter uses."""
    model = as_stateful(model)
    loss = make_training_loss(model)

    @jax.jit
    def sums(params, model_state, xc, yc):
        logits = model.apply(params, model_state, xc, False)[0]
        correct = (jnp.argmax(logits, axis=1).astype(yc.dtype) == yc).astype(jnp.float32)
        return jnp.sum(cross_entropy(logits, yc)).astype(jnp.float32), jnp.sum(correct)

    @jax.jit
    def add_grad(total, params, model_state, xb, yb):
        g = jax.grad(lambda p: loss(p, model_state, xb, yb)[0])(params)
        return optax.tree.add(total, g)

    @jax.jit
    def finish(state, total, k, acc):
        return (
            _keep_best(state, acc),
            _from_grad(optax.tree.scale(1.0 / k, total), state.params),
            optax.tree.norm(state.params),
        )

    def split(state, x, y):
        n = x.shape[0]
        tl = ta = 0.0
        for i in range(0, n, chunk_size):
            l, a = sums(state.params, state.model_state, x[i : i + chunk_size], y[i : i + chunk_size])
            tl, ta = tl + float(l), ta + float(a)
        return tl / n, ta / n

    def metrics(state: TrainState, x_train, y_train, x_test, y_test):
        b, k = _grad_batches(x_train.shape[0], grad_batch)
        total = jax.tree_util.tree_map(jnp.zeros_like, state.params)
        for i in range(k):
            total = add_grad(
                total, state.params, state.model_state, x_train[i * b : (i + 1) * b], y_train[i * b : (i + 1) * b]
            )
        tr_e, tr_acc = split(state, x_train, y_train)
        te_e, te_acc = split(state, x_test, y_test)
        state, g, norm = finish(state, total, jnp.asarray(k, jnp.float32), jnp.asarray(te_acc, jnp.float32))
        train = {"E": tr_e, "acc": tr_acc, C.R_IG: g[C.R_IG], C.SLOPE: g[C.SLOPE]}
        test = {"E": te_e, "acc": te_acc, C.R_IG: float("nan"), C.SLOPE: float("nan")}
        return state, _metrics_row(train, test, norm, state.diverged)

    return metrics


__all__ = ["METRICS", "make_evaluate", "make_metrics", "make_stepwise_metrics"]
