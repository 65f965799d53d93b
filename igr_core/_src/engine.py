r"""The sweep engine: train a grid of network configurations and record IGR metrics.

Abstraction: a :class:`SweepConfig` names a grid (widths x learning rates x EGR coefficients
mu x seeds, one batch size or full batch) of one architecture (the paper's MLP or the CIFAR
ResNet-18 with BatchNorm) trained on one :class:`~igr_core.data.Dataset`. Configurations that
share parameter shapes (same width) form a *group* whose states are stacked on a leading
grid axis. Training is a pure step and a pure evaluation, with the data passed as
arguments (never closed over): a group trains segment by segment, each segment at most
``eval_every`` optimizer steps inside one ``jax.lax.scan`` (shorter segments are padded with
inactive steps, so one compilation serves all), and every configuration is evaluated on
the full training and test sets at the end of each segment. Learning rates live in the
optimizer state as traced arrays (``optax.inject_hyperparams``) and the EGR coefficient mu in
the training state, so every configuration of a group reuses one compiled step.

Explicit gradient regularization (Section 4, Eq. 8): a configuration with mu > 0 descends
:math:`E_\mu = E + \mu\|\nabla E\|^2` on each minibatch, with gradient
:math:`g + 2\mu H g` (:func:`~igr_core.regularizers.hessian_gradient_product`, exact by
forward-over-reverse differentiation or by a finite difference, ``egr_method``). With mu = 0
the added term is exactly zero, so the step equals the SGD step bit for bit. Grids with no
mu > 0 compile the plain SGD step (no Hessian-gradient product).

BatchNorm (ResNet-18): the model state (moving averages) is carried in the training state.
Training steps run in training mode (each minibatch normalized with its own statistics, the
moving averages updated). Metrics: ``E`` and ``acc`` of each split in evaluation mode (moving
averages, the network one would deploy); ``R_IG`` and ``slope`` from the gradient of the
training-mode loss that SGD follows, :math:`\frac1K\sum_k \nabla E_k`, the mean over the
K = floor(n / B) consecutive batches of the split of the training batch size B (the
remainder dropped, B = n for full batch), each normalized with its own statistics. For models
without state (the MLP) the two modes coincide and the whole split is one mean.

Evaluations happen every ``eval_every`` steps and, in addition, at the physical times
``eval_times`` (t = step * h) for every learning rate, so a comparison at fixed physical
time (Figure A.5) finds every network at the same t whatever its h.

Two execution strategies give the same results:

* ``"vmap"``: the grid axis is vectorized and sharded over all local devices
  (``jax.sharding``, mesh axis ``"grid"``): one GPU, several, or several hosts;
* ``"loop"``: configurations run one after another with the same compiled segment, which
  is faster on a CPU (see ``benchmarks/README.md``).

``"auto"`` picks ``"loop"`` on CPU backends and ``"vmap"`` otherwise.

Every configuration sees the same minibatch order (a permutation per epoch drawn from
``data_seed``), so the learning rate (and the initialization seed) is the only difference.
A run whose training loss :func:`~igr_core.bea.diverged` (non-finite or above
``divergence_threshold``) is marked ``diverged`` and stops updating. Results are cached by
:mod:`igr_core._src.cache`; stopping-time selection is :mod:`igr_core._src.selection`.
"""

from __future__ import annotations

import dataclasses
import functools
import time
from pathlib import Path
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pandas as pd

from igr_core._src import cache as _cache
from igr_core._src.bea import diverged as _diverged
from igr_core._src.data import Dataset
from igr_core._src.losses import cross_entropy, mean_loss
from igr_core._src.models import Model, StatefulModel, paper_mlp, resnet
from igr_core._src.regularizers import _EGR_METHODS, hessian_gradient_product, igr_rate

STRATEGIES = ("auto", "vmap", "loop")
ARCHITECTURES = ("mlp", "resnet18", "resnet10")  # resnet10: one block per stage (fast to compile, tests)
EGR_METHODS = _EGR_METHODS  # Hessian-gradient routes of EGR (regularizers)


@dataclasses.dataclass(frozen=True)
class SweepConfig:
    experiment: str  # results sub-folder name, e.g. "mnist_sgd"
    widths: tuple  # MLP: hidden units per layer n_l; ResNet-18: channel multiplier (one group per width)
    learning_rates: tuple[float, ...]  # learning rates h
    depth: int = 5  # number of hidden ReLU layers (MLP only)
    batch_size: int | None = 32  # minibatch size; None = full-batch gradient descent
    seeds: tuple[int, ...] = (0,)  # initialization seeds
    epochs: float = 10.0  # training length in epochs (rounded up to whole multiples of eval_every)
    eval_every: int = 125  # optimizer steps between regular evaluations (and the longest segment)
    eval_times: tuple[float, ...] = ()  # physical times t = step * h evaluated for every learning rate
    data_seed: int = 0  # seed of the minibatch order, shared by every configuration
    eval_chunk: int = 1000  # examples per chunk when evaluating a whole split (memory bound)
    divergence_threshold: float = 1e4  # training loss above which (or non-finite) a run is diverged
    checkpoint_every: int = 5  # segments between checkpoints (for resuming)
    strategy: str = "auto"  # "vmap", "loop" or "auto" (loop on CPU, vmap on accelerators)
    architecture: str = "mlp"  # "mlp" (the paper's MNIST MLP) or "resnet18" (CIFAR variant, BatchNorm)
    mus: tuple[float, ...] = (0.0,)  # EGR coefficients mu (Eq. 8); 0 = plain SGD
    egr_method: str = "exact"  # Hessian-gradient route of EGR: "exact" or "finite_difference"

    def __post_init__(self):
        if self.architecture not in ARCHITECTURES:
            raise ValueError(f"`architecture` must be one of {ARCHITECTURES}, got {self.architecture!r}.")
        widths = _seq("widths", self.widths)
        if self.architecture == "mlp":
            if any(isinstance(w, bool) or not float(w).is_integer() or w <= 0 for w in widths):
                raise ValueError(f"`widths` of an MLP must be positive integers (units per layer), got {widths}.")
            widths = tuple(int(w) for w in widths)
        else:
            if any(isinstance(w, bool) or not np.isfinite(w) or w <= 0 for w in widths):
                raise ValueError(f"`widths` of a ResNet must be positive channel multipliers, got {widths}.")
            widths = tuple(float(w) for w in widths)
        object.__setattr__(self, "widths", widths)
        object.__setattr__(self, "mus", tuple(float(m) for m in _seq("mus", self.mus)))
        if any(not np.isfinite(m) or m < 0 for m in self.mus):
            raise ValueError(f"`mus` (EGR coefficients) must be non-negative finite numbers, got {self.mus}.")
        if self.egr_method not in EGR_METHODS:
            raise ValueError(f"`egr_method` must be one of {EGR_METHODS}, got {self.egr_method!r}.")
        object.__setattr__(self, "learning_rates", tuple(float(h) for h in _seq("learning_rates", self.learning_rates)))
        object.__setattr__(self, "seeds", tuple(int(s) for s in _seq("seeds", self.seeds)))
        object.__setattr__(self, "eval_times", tuple(float(t) for t in self.eval_times))
        if not self.experiment or not str(self.experiment).replace("_", "").replace("-", "").isalnum():
            raise ValueError(
                f"`experiment` must be a non-empty name of letters, digits, '_' or '-', got {self.experiment!r}."
            )
        if any(not np.isfinite(h) or h <= 0 for h in self.learning_rates):
            raise ValueError(f"`learning_rates` must be positive finite numbers, got {self.learning_rates}.")
        if any(not np.isfinite(t) or t <= 0 for t in self.eval_times):
            raise ValueError(f"`eval_times` must be positive finite physical times, got {self.eval_times}.")
        if self.batch_size is not None and (
            isinstance(self.batch_size, bool) or not isinstance(self.batch_size, int) or self.batch_size <= 0
        ):
            raise ValueError(f"`batch_size` must be a positive integer or None (full batch), got {self.batch_size!r}.")
        for name in ("depth", "eval_every", "eval_chunk", "checkpoint_every"):
            v = getattr(self, name)
            if not isinstance(v, int) or v <= 0:
                raise ValueError(f"`{name}` must be a positive integer, got {v!r}.")
        if not (np.isfinite(self.epochs) and self.epochs > 0):
            raise ValueError(f"`epochs` must be a positive number, got {self.epochs!r}.")
        if self.strategy not in STRATEGIES:
            raise ValueError(f"`strategy` must be one of {STRATEGIES}, got {self.strategy!r}.")

    def grid(self) -> list[tuple]:
        """Every (width, learning rate, mu, seed) of the sweep, grouped by width."""
        return [(w, h, mu, s) for w in self.widths for h in self.learning_rates for mu in self.mus for s in self.seeds]

    @property
    def egr(self) -> bool:
        """True when some configuration uses explicit gradient regularization (mu > 0)."""
        return any(m > 0 for m in self.mus)


def _seq(name, v):
    if isinstance(v, (str, bytes)) or not hasattr(v, "__iter__"):
        raise ValueError(f"`{name}` must be a non-empty sequence, got {v!r}.")
    v = tuple(v)
    if not v:
        raise ValueError(f"`{name}` must be a non-empty sequence, got {v!r}.")
    return v


class TrainState(NamedTuple):
    params: object  # model parameters (pytree)
    model_state: object  # BatchNorm moving statistics ({} for models without state)
    opt_state: object  # optax state; holds the learning rate as a traced array
    mu: jax.Array  # EGR coefficient (0 = SGD), traced
    diverged: jax.Array  # bool: set once the loss is non-finite or too large; updates stop
    best_params: object  # parameters at the best test accuracy seen so far
    best_model_state: object  # model state that goes with best_params
    best_acc: jax.Array  # best test accuracy seen so far


class SweepResult(NamedTuple):
    metrics: pd.DataFrame  # one row per configuration and evaluation
    config: SweepConfig  # what was run
    data_source: str  # which data was used
    path: Path  # cache folder
    from_cache: bool  # True when nothing was trained
    provenance: dict  # device, jax version, wall time of the run that produced the table

    def best_params(self, width, learning_rate: float, seed: int = 0, mu: float = 0.0):
        """Parameters of one configuration at its time of maximum test accuracy."""
        return _cache.load_best_params(self.path, self.config, width, learning_rate, seed, mu)

    def best_model_state(self, width, learning_rate: float, seed: int = 0, mu: float = 0.0):
        """Model state (BatchNorm statistics) that goes with :meth:`best_params` ({} for an MLP)."""
        return _cache.load_best_state(self.path, self.config, width, learning_rate, seed, mu)


# ----------------------------------------------------------------------------- the model


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


def _init_state(model: Model | StatefulModel, x_example, seed, learning_rate, mu=0.0) -> TrainState:
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
            grad_fn = lambda p: jax.grad(loss, has_aux=True)(p, model_state, x, y)[0]  # noqa: E731
            hg = hessian_gradient_product(grad_fn, params, g, egr_method)
            g = jax.tree_util.tree_map(lambda a, b: a + (2 * mu).astype(a.dtype) * b, g, hg)
        return value, new_state, g

    return gradient


# ------------------------------------------------------------------- pure step, evaluation


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
        keep = lambda old, new: jax.tree_util.tree_map(lambda o, n: jnp.where(skip, o, n), old, new)  # noqa: E731
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
    pick = lambda b, p: jnp.where(better, p, b)  # noqa: E731
    return state._replace(
        best_params=jax.tree_util.tree_map(pick, state.best_params, state.params),
        best_model_state=jax.tree_util.tree_map(pick, state.best_model_state, state.model_state),
        best_acc=jnp.where(better, acc, state.best_acc),
    )


def _from_grad(grad, params) -> dict:
    sq = optax.tree.norm(grad, squared=True)
    return {"R_IG": sq / optax.tree.size(params), "slope": jnp.sqrt(sq)}


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


METRICS = (
    "train E",
    "train acc",
    "R_IG",
    "slope",
    "test E",
    "test acc",
    "test R_IG",
    "test slope",
    "||theta||",
    "diverged",
)  # one row of a sweep's metrics table, per configuration and evaluation


def _metrics_row(train: dict, test: dict, norm, diverged) -> dict:
    """The metrics of one evaluation (both strategies build it here, once): ``train`` and
    ``test`` hold E, acc, R_IG and slope of each split."""
    row = {
        "train E": train["E"],
        "train acc": train["acc"],
        "R_IG": train["R_IG"],
        "slope": train["slope"],
        "test E": test["E"],
        "test acc": test["acc"],
        "test R_IG": test["R_IG"],
        "test slope": test["slope"],
        "||theta||": norm,
        "diverged": diverged,
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
        train = {"E": tr_e, "acc": tr_acc, "R_IG": g["R_IG"], "slope": g["slope"]}
        test = {"E": te_e, "acc": te_acc, "R_IG": float("nan"), "slope": float("nan")}
        return state, _metrics_row(train, test, norm, state.diverged)

    return metrics


# ------------------------------------------------------------------------ batches, schedule


def batch_indices(n_train: int, batch_size: int | None, data_seed: int, start: int, steps: int) -> np.ndarray:
    """Minibatch indices for optimizer steps ``start .. start + steps - 1``: a fresh
    permutation of the training set each epoch (from ``data_seed`` and the epoch), the last
    partial batch dropped. Full batch: dummy indices of shape (steps,)."""
    if batch_size is None:
        return np.zeros((steps,), np.int32)
    per_epoch = n_train // batch_size
    out = np.empty((steps, batch_size), np.int32)
    cache: dict[int, np.ndarray] = {}
    for i, s in enumerate(range(start, start + steps)):
        e, j = divmod(s, per_epoch)
        if e not in cache:
            cache[e] = np.random.default_rng([data_seed, e]).permutation(n_train)
        out[i] = cache[e][j * batch_size : (j + 1) * batch_size]
    return out


def steps_per_epoch(n_train: int, batch_size: int | None) -> int:
    return 1 if batch_size is None else n_train // batch_size


def total_steps(cfg: SweepConfig, n_train: int) -> int:
    """Training length in optimizer steps: ``epochs`` rounded up to a multiple of ``eval_every``."""
    steps = int(np.ceil(cfg.epochs * steps_per_epoch(n_train, cfg.batch_size)))
    return max(1, int(np.ceil(steps / cfg.eval_every))) * cfg.eval_every


def evaluation_steps(cfg: SweepConfig, n_train: int) -> np.ndarray:
    """Steps after which every configuration is evaluated (step 0 is always evaluated too):
    every ``eval_every`` steps, and ``round(T / h)`` for each physical time T in
    ``eval_times`` and each learning rate h whose run reaches it. Consecutive evaluations are
    at most ``eval_every`` apart."""
    end = total_steps(cfg, n_train)
    marks = set(range(cfg.eval_every, end + 1, cfg.eval_every))
    for t in cfg.eval_times:
        for h in cfg.learning_rates:
            k = int(round(t / h))
            if 0 < k <= end:
                marks.add(k)
    return np.array(sorted(marks), dtype=np.int64)


# --------------------------------------------------------------------------- the engine


def resolve_strategy(strategy: str) -> str:
    if strategy not in STRATEGIES:
        raise ValueError(f"`strategy` must be one of {STRATEGIES}, got {strategy!r}.")
    if strategy != "auto":
        return strategy
    return "loop" if jax.default_backend() == "cpu" else "vmap"


def _grid_sharding(n: int):
    """Sharding of a leading grid axis over all local devices, and the padded grid size."""
    from jax.sharding import Mesh, NamedSharding, PartitionSpec

    devices = np.array(jax.devices())
    mesh = Mesh(devices, ("grid",))
    padded = -(-n // len(devices)) * len(devices)
    return NamedSharding(mesh, PartitionSpec("grid")), padded


def per_step(cfg: SweepConfig, strategy: str) -> bool:
    """Convolutional networks run one jitted step at a time in the "loop" strategy (see
    :func:`make_train_step`); MLPs and the "vmap" strategy scan whole segments."""
    return strategy == "loop" and cfg.architecture != "mlp"


class StepSpec(NamedTuple):
    """Everything a group's compiled step and metrics depend on, frozen: built once from the
    configuration (:meth:`of`) and passed down instead of flags layer by layer; it is the
    compile cache's key. Learning rates, mu and the data are traced arguments, not part of it."""

    architecture: str
    width: float | int
    num_classes: int
    depth: int
    full_batch: bool
    divergence_threshold: float
    egr: bool
    egr_method: str | None
    eval_chunk: int
    batch: int
    strategy: str

    @classmethod
    def of(cls, cfg: SweepConfig, width, num_classes: int, batch: int, strategy: str) -> "StepSpec":
        return cls(
            cfg.architecture,
            width,
            num_classes,
            cfg.depth,
            cfg.batch_size is None,
            float(cfg.divergence_threshold),
            cfg.egr,
            cfg.egr_method if cfg.egr else None,
            cfg.eval_chunk,
            batch,
            strategy,
        )


@functools.lru_cache(maxsize=None)
def compiled(spec: StepSpec):
    """The jitted (train, metrics) pair of one step specification, shared by every sweep (and
    every resumed run) in this process that computes the same thing, so that a resumed sweep or
    a second sweep of the same architecture does not compile again (``compiled.cache_clear()``
    empties it)."""
    model = build_model_for(spec.architecture, spec.width, spec.num_classes, spec.depth)
    if spec.strategy == "loop" and spec.architecture != "mlp":
        step = make_train_step(model, spec.full_batch, spec.divergence_threshold, spec.egr, spec.egr_method or "exact")
        return jax.jit(step), make_stepwise_metrics(model, spec.eval_chunk, spec.batch)
    segment = make_train_segment(
        model, spec.full_batch, spec.divergence_threshold, spec.egr, spec.egr_method or "exact"
    )
    metrics = make_metrics(model, spec.eval_chunk, spec.batch)
    if spec.strategy == "vmap":
        segment = jax.vmap(segment, in_axes=(0, None, None, None, None))
        metrics = jax.vmap(metrics, in_axes=(0, None, None, None, None))
    return jax.jit(segment), jax.jit(metrics)


class Group:
    """One width of a sweep: compiled functions, the data on the device and the states of its
    configurations. One subclass per strategy (:func:`make_group` picks it): the configurations
    vectorized and sharded (:class:`VmapGroup`), scanned one after another
    (:class:`LoopGroup`), or stepped one jitted step at a time (:class:`StepGroup`, convolutional
    networks on a CPU)."""

    def __init__(self, cfg: SweepConfig, width, data: Dataset, strategy: str):
        self.cfg, self.width, self.strategy = cfg, width, strategy
        self.model = build_model(cfg, width, data.num_classes)
        self.configs = [(width, h, mu, s) for h in cfg.learning_rates for mu in cfg.mus for s in cfg.seeds]
        self.batch = cfg.batch_size or len(data.y_train)
        self.data = tuple(jnp.asarray(a) for a in (data.x_train, data.y_train, data.x_test, data.y_test))
        self.segment, self.metrics = compiled(StepSpec.of(cfg, width, data.num_classes, self.batch, strategy))
        self.states = self._init_states()

    def _init(self, seed, h, mu) -> TrainState:
        return _init_state(self.model, self.data[0][:1], seed, h, mu)

    def num_params(self) -> int:
        return int(optax.tree.size(self._first().params))


class _ListGroup(Group):
    """Configurations held as a list of states, one after another."""

    def _init_states(self):
        return [self._init(s, h, mu) for _, h, mu, s in self.configs]

    def _first(self) -> TrainState:
        return self.states[0]

    def train(self, idx, n_active: int | None = None):
        idx = jnp.asarray(idx)
        n = jnp.asarray(idx.shape[0] if n_active is None else n_active, jnp.int32)
        self.states = [self._train_one(s, idx, n) for s in self.states]

    def evaluate(self) -> list[dict]:
        rows, new = [], []
        for s in self.states:
            s, out = self.metrics(s, *self.data)
            new.append(s)
            rows.append({k: float(v) for k, v in jax.device_get(out).items()})
        self.states = new
        return rows

    def best_tree(self, field: str = "best_params"):
        """Best-test-accuracy parameters (or model state, ``field="best_model_state"``) of every
        configuration, leaves stacked on axis 0."""
        return jax.tree_util.tree_map(
            lambda *xs: np.stack([np.asarray(x) for x in xs]), *[getattr(s, field) for s in self.states]
        )

    # checkpoints: flat lists of leaves, stacked over configurations
    def state_leaves(self) -> list[np.ndarray]:
        per = [jax.tree_util.tree_leaves(s) for s in self.states]
        return [np.stack([np.asarray(p[i]) for p in per]) for i in range(len(per[0]))]

    def load_leaves(self, leaves: list[np.ndarray]) -> None:
        treedef = jax.tree_util.tree_structure(self.states[0])
        self.states = [
            jax.tree_util.tree_unflatten(treedef, [jnp.asarray(x[i]) for x in leaves]) for i in range(len(self.configs))
        ]


class LoopGroup(_ListGroup):
    """One configuration after another, each segment a ``lax.scan`` (MLPs on a CPU)."""

    def _train_one(self, s, idx, n):
        return self.segment(s, idx, n, *self.data[:2])


class StepGroup(_ListGroup):
    """One configuration after another, one jitted step at a time (convolutional networks on a
    CPU, where a scanned segment compiles slowly and runs no faster)."""

    def _train_one(self, s, idx, n):
        for i in range(int(n)):
            s = self.segment(s, idx[i], *self.data[:2])
        return s


class VmapGroup(Group):
    """Every configuration at once, vectorized over the grid axis and sharded over the devices
    (padded to a multiple of the device count)."""

    def _init_states(self):
        self.sharding, self.padded = _grid_sharding(len(self.configs))
        pad = self.configs + [self.configs[-1]] * (self.padded - len(self.configs))
        seeds = jnp.asarray([c[3] for c in pad])
        lrs = jnp.asarray([c[1] for c in pad], jnp.float32)
        mus = jnp.asarray([c[2] for c in pad], jnp.float32)
        return jax.device_put(jax.vmap(self._init)(seeds, lrs, mus), self.sharding)

    def _first(self) -> TrainState:
        return jax.tree_util.tree_map(lambda x: x[0], self.states)

    def train(self, idx, n_active: int | None = None):
        idx = jnp.asarray(idx)
        n = jnp.asarray(idx.shape[0] if n_active is None else n_active, jnp.int32)
        self.states = self.segment(self.states, idx, n, *self.data[:2])

    def evaluate(self) -> list[dict]:
        self.states, out = self.metrics(self.states, *self.data)
        out = jax.device_get(out)
        return [{k: float(v[i]) for k, v in out.items()} for i in range(len(self.configs))]

    def best_tree(self, field: str = "best_params"):
        return jax.tree_util.tree_map(lambda x: np.asarray(x)[: len(self.configs)], getattr(self.states, field))

    def state_leaves(self) -> list[np.ndarray]:
        return [np.asarray(x)[: len(self.configs)] for x in jax.tree_util.tree_leaves(self.states)]

    def load_leaves(self, leaves: list[np.ndarray]) -> None:
        treedef = jax.tree_util.tree_structure(self.states)
        pad = self.padded - len(self.configs)
        full = [np.concatenate([x, np.repeat(x[-1:], pad, axis=0)]) if pad else x for x in leaves]
        self.states = jax.device_put(
            jax.tree_util.tree_unflatten(treedef, [jnp.asarray(x) for x in full]), self.sharding
        )


def make_group(cfg: SweepConfig, width, data: Dataset, strategy: str) -> Group:
    """The group class of ``strategy`` ("vmap" or "loop"; "loop" on a convolutional network
    steps one jitted step at a time)."""
    if strategy == "vmap":
        return VmapGroup(cfg, width, data, strategy)
    return (StepGroup if per_step(cfg, strategy) else LoopGroup)(cfg, width, data, strategy)


_Group = make_group  # the name the benchmarks and tests have used


def _rows(group: Group, evals: list[dict], step: int, per_epoch: int, m: int) -> list[dict]:
    out = []
    for (w, h, mu, s), ev in zip(group.configs, evals):
        out.append(
            {
                "width": w,
                "batch_size": group.batch,
                "h": h,
                "mu": mu,
                "seed": s,
                "m": m,
                "lambda": igr_rate(h, m),
                "step": step,
                "epoch": step / per_epoch,
                "t": step * h,
                **ev,
                "diverged": bool(ev["diverged"]),
            }
        )
    return out


class CacheMiss(LookupError):
    """Raised by :func:`run_sweep` with ``cached_only=True`` when some width is not in the cache."""


def run_sweep(
    cfg: SweepConfig,
    data: Dataset,
    results_dir: str | Path,
    force: bool = False,
    progress: bool = True,
    stop_after_segments: int | None = None,
    log=None,
    cached_only: bool = False,
) -> SweepResult:
    """Train (or read from cache) every configuration of ``cfg`` on ``data``.

    ``stop_after_segments`` interrupts each group after that many segments (used to test
    resuming); the checkpoint written then is resumed by the next call. ``log`` (a callable
    taking a string) receives one line per width with steps/s (for terminal progress when a
    notebook runs under papermill). ``cached_only`` reads the cache and raises
    :class:`CacheMiss` instead of training.
    """
    # the terminal bar, not tqdm.auto: importing tqdm.auto in a kernel without ipywidgets warns
    # (TqdmWarning) into the page, and the bar is off there anyway (progress=False under papermill)
    from tqdm import tqdm

    if cfg.batch_size is not None and cfg.batch_size > len(data.y_train):
        raise ValueError(f"`batch_size` ({cfg.batch_size}) exceeds the training set size ({len(data.y_train)}).")
    strategy = resolve_strategy(cfg.strategy)
    root = _cache.sweep_dir(results_dir, cfg, data, force=force)
    n_train = len(data.y_train)
    marks = evaluation_steps(cfg, n_train)
    per_epoch = steps_per_epoch(n_train, cfg.batch_size)
    frames, trained = [], False
    for width in cfg.widths:
        gdir = root / _cache.group_name(width)
        gdir.mkdir(exist_ok=True)
        done = _cache.load_group(gdir)
        if done is not None:
            frames.append(done)
            continue
        if cached_only:
            raise CacheMiss(f"{cfg.experiment} width {width} is not in the cache {root}")
        trained = True
        t_start = time.perf_counter()
        group = make_group(cfg, width, data, strategy)
        m = group.num_params()
        start, rows = 0, []
        ck = _cache.load_checkpoint(gdir)
        if ck is not None:
            start, leaves, rows = ck
            group.load_leaves(leaves)
        if start == 0:
            rows = _rows(group, group.evaluate(), 0, per_epoch, m)
        name = f"n_l={width}" if cfg.architecture == "mlp" else f"width x{width:g}"
        bar = tqdm(
            total=len(marks) * len(group.configs),
            initial=start * len(group.configs),
            disable=not progress,
            desc=f"{cfg.experiment} {name} ({strategy})",
            unit="cfg-eval",
            leave=False,
        )
        t0, steps_run = time.perf_counter(), 0
        for k in range(start, len(marks)):
            if stop_after_segments is not None and k - start >= stop_after_segments:
                _cache.save_checkpoint(gdir, group.state_leaves(), k, rows)
                bar.close()
                raise KeyboardInterrupt(f"stopped after {stop_after_segments} segments (checkpoint saved)")
            prev = int(marks[k - 1]) if k else 0
            n_active = int(marks[k]) - prev
            idx = batch_indices(n_train, cfg.batch_size, cfg.data_seed, prev, cfg.eval_every)
            group.train(idx, n_active)
            rows += _rows(group, group.evaluate(), int(marks[k]), per_epoch, m)
            steps_run += n_active * len(group.configs)
            bar.update(len(group.configs))
            rate = steps_run / max(time.perf_counter() - t0, 1e-9)
            bar.set_postfix(steps_per_s=f"{rate:.0f}")
            if log is not None and (k + 1 - start) % max(1, (len(marks) - start) // 10) == 0 and k + 1 < len(marks):
                left = (int(marks[-1]) - int(marks[k])) * len(group.configs) / rate
                log(
                    f"{cfg.experiment} {name}: evaluation {k + 1}/{len(marks)}, {rate:.0f} config-steps/s, "
                    f"ETA {left:.0f} s"
                )
            if (k + 1) % cfg.checkpoint_every == 0 and k + 1 < len(marks):
                _cache.save_checkpoint(gdir, group.state_leaves(), k + 1, rows)
        bar.close()
        seconds = time.perf_counter() - t_start
        _cache.save_group(gdir, pd.DataFrame(rows), group.best_tree(), seconds, group.best_tree("best_model_state"))
        if log is not None:
            log(
                f"{cfg.experiment} {name}: {len(group.configs)} configurations x {int(marks[-1])} steps in "
                f"{seconds:.1f} s ({steps_run / max(time.perf_counter() - t0, 1e-9):.0f} config-steps/s, {strategy})"
            )
        frames.append(_cache.load_group(gdir))
    metrics = pd.concat(frames, ignore_index=True)
    metrics["data source"] = data.source
    return SweepResult(metrics, cfg, data.source, root, from_cache=not trained, provenance=_cache.provenance(root))


__all__ = [
    "STRATEGIES",
    "ARCHITECTURES",
    "EGR_METHODS",
    "StepSpec",
    "compiled",
    "CacheMiss",
    "SweepConfig",
    "TrainState",
    "SweepResult",
    "as_stateful",
    "build_model",
    "make_gradient",
    "make_loss",
    "make_training_loss",
    "make_train_segment",
    "make_train_step",
    "make_stepwise_metrics",
    "per_step",
    "make_evaluate",
    "make_metrics",
    "batch_indices",
    "steps_per_epoch",
    "total_steps",
    "evaluation_steps",
    "resolve_strategy",
    "run_sweep",
    "learning_rate_of",
]
