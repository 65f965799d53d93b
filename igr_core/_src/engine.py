"""The sweep engine: train a grid of MLP configurations and record IGR metrics.

Abstraction: a :class:`SweepConfig` names a grid (widths x learning rates x seeds, one batch
size or full batch) trained on one :class:`~igr_core.data.Dataset`. Configurations that
share parameter shapes (same width) form a *group* whose states are stacked on a leading
grid axis. Training is a pure step and a pure evaluation, with the data passed as
arguments (never closed over): a group trains segment by segment, each segment at most
``eval_every`` optimizer steps inside one ``jax.lax.scan`` (shorter segments are padded with
inactive steps, so one compilation serves all), and every configuration is evaluated on
the full training and test sets at the end of each segment. Learning rates live in the
optimizer state as traced arrays (``optax.inject_hyperparams``), so every configuration of
a group reuses one compiled step.

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

import collections
import dataclasses
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
from igr_core._src.models import Model, paper_mlp
from igr_core._src.regularizers import igr_rate

STRATEGIES = ("auto", "vmap", "loop")
TRACES: collections.Counter = collections.Counter()  # times each compiled function was traced (tests)


@dataclasses.dataclass(frozen=True)
class SweepConfig:
    experiment: str  # results sub-folder name, e.g. "mnist_sgd"
    widths: tuple[int, ...]  # hidden units per layer n_l (one group per width)
    learning_rates: tuple[float, ...]  # learning rates h
    depth: int = 5  # number of hidden ReLU layers
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

    def __post_init__(self):
        object.__setattr__(self, "widths", tuple(int(w) for w in _seq("widths", self.widths)))
        object.__setattr__(self, "learning_rates", tuple(float(h) for h in _seq("learning_rates", self.learning_rates)))
        object.__setattr__(self, "seeds", tuple(int(s) for s in _seq("seeds", self.seeds)))
        object.__setattr__(self, "eval_times", tuple(float(t) for t in self.eval_times))
        if not self.experiment or not str(self.experiment).replace("_", "").replace("-", "").isalnum():
            raise ValueError(f"`experiment` must be a non-empty name of letters, digits, '_' or '-', got {self.experiment!r}.")
        if any(w <= 0 for w in self.widths):
            raise ValueError(f"`widths` must be positive integers, got {self.widths}.")
        if any(not np.isfinite(h) or h <= 0 for h in self.learning_rates):
            raise ValueError(f"`learning_rates` must be positive finite numbers, got {self.learning_rates}.")
        if any(not np.isfinite(t) or t <= 0 for t in self.eval_times):
            raise ValueError(f"`eval_times` must be positive finite physical times, got {self.eval_times}.")
        if self.batch_size is not None and (isinstance(self.batch_size, bool) or not isinstance(self.batch_size, int)
                                            or self.batch_size <= 0):
            raise ValueError(f"`batch_size` must be a positive integer or None (full batch), got {self.batch_size!r}.")
        for name in ("depth", "eval_every", "eval_chunk", "checkpoint_every"):
            v = getattr(self, name)
            if not isinstance(v, int) or v <= 0:
                raise ValueError(f"`{name}` must be a positive integer, got {v!r}.")
        if not (np.isfinite(self.epochs) and self.epochs > 0):
            raise ValueError(f"`epochs` must be a positive number, got {self.epochs!r}.")
        if self.strategy not in STRATEGIES:
            raise ValueError(f"`strategy` must be one of {STRATEGIES}, got {self.strategy!r}.")

    def grid(self) -> list[tuple[int, float, int]]:
        """Every (width, learning rate, seed) of the sweep, grouped by width."""
        return [(w, h, s) for w in self.widths for h in self.learning_rates for s in self.seeds]


def _seq(name, v):
    if isinstance(v, (str, bytes)) or not hasattr(v, "__iter__"):
        raise ValueError(f"`{name}` must be a non-empty sequence, got {v!r}.")
    v = tuple(v)
    if not v:
        raise ValueError(f"`{name}` must be a non-empty sequence, got {v!r}.")
    return v


class TrainState(NamedTuple):
    params: object  # model parameters (pytree)
    opt_state: object  # optax state; holds the learning rate as a traced array
    diverged: jax.Array  # bool: set once the loss is non-finite or too large; updates stop
    best_params: object  # parameters at the best test accuracy seen so far
    best_acc: jax.Array  # best test accuracy seen so far


class SweepResult(NamedTuple):
    metrics: pd.DataFrame  # one row per configuration and evaluation
    config: SweepConfig  # what was run
    data_source: str  # which data was used
    path: Path  # cache folder
    from_cache: bool  # True when nothing was trained
    provenance: dict  # device, jax version, wall time of the run that produced the table

    def best_params(self, width: int, learning_rate: float, seed: int = 0):
        """Parameters of one configuration at its time of maximum test accuracy."""
        return _cache.load_best_params(self.path, self.config, width, learning_rate, seed)


# ----------------------------------------------------------------------------- the model


def make_loss(model: Model):
    """Mean softmax cross-entropy of a classifier (the loss of every deep-network chapter)."""
    return mean_loss(model.apply, "cross_entropy")


def _optimizer():
    return optax.inject_hyperparams(optax.sgd)(learning_rate=0.0)


def _init_state(model: Model, x_example, seed, learning_rate) -> TrainState:
    params = model.init(jax.random.PRNGKey(seed), x_example)
    opt_state = _optimizer().init(params)
    opt_state.hyperparams["learning_rate"] = jnp.asarray(learning_rate, dtype=jnp.float32)
    return TrainState(params, opt_state, jnp.asarray(False), params, jnp.asarray(-1.0, jnp.float32))


def learning_rate_of(state: TrainState):
    return state.opt_state.hyperparams["learning_rate"]


# ------------------------------------------------------------------- pure step, evaluation


def make_train_segment(model: Model, full_batch: bool, divergence_threshold: float):
    """``segment(state, idx, n_active, x, y) -> state``: ``idx`` (L, batch) minibatch indices
    (or (L,) dummies for full batch); only the first ``n_active`` of the L steps update, so
    segments of any length up to L share one compilation. Diverged runs stop updating."""
    loss_fn = make_loss(model)
    opt = _optimizer()

    def step(carry, inp):
        state, x, y = carry
        idx, active = inp
        xb, yb = (x, y) if full_batch else (x[idx], y[idx])
        loss, grads = jax.value_and_grad(loss_fn)(state.params, xb, yb)
        updates, new_opt = opt.update(grads, state.opt_state, state.params)
        new_params = optax.apply_updates(state.params, updates)
        bad = state.diverged | (active & _diverged(loss, divergence_threshold))
        skip = bad | ~active
        keep = lambda old, new: jax.tree_util.tree_map(lambda o, n: jnp.where(skip, o, n), old, new)  # noqa: E731
        new_state = state._replace(params=keep(state.params, new_params), opt_state=keep(state.opt_state, new_opt),
                                   diverged=bad)
        return (new_state, x, y), None

    def segment(state, idx, n_active, x, y):
        TRACES["segment"] += 1
        active = jnp.arange(idx.shape[0], dtype=n_active.dtype) < n_active
        return jax.lax.scan(step, (state, x, y), (idx, active))[0][0]

    return segment


def make_evaluate(model: Model, chunk_size: int):
    """``evaluate(params, x, y) -> dict``: mean loss, accuracy, R_IG (Eq. 4) and the
    gradient norm (the loss-surface slope) of the mean loss over a whole split, computed in
    chunks of ``chunk_size`` examples so memory stays bounded."""

    def evaluate(params, x, y):
        n = x.shape[0]
        k = -(-n // chunk_size)
        pad = k * chunk_size - n
        xp = jnp.concatenate([x, jnp.zeros((pad, *x.shape[1:]), x.dtype)]).reshape(k, chunk_size, *x.shape[1:])
        yp = jnp.concatenate([y, jnp.zeros((pad,), y.dtype)]).reshape(k, chunk_size)
        dt = jax.tree_util.tree_leaves(params)[0].dtype
        mask = (jnp.arange(k * chunk_size) < n).reshape(k, chunk_size).astype(dt)

        def body(carry, batch):
            xc, yc, mc = batch

            def summed(p):
                logits = model.apply(p, xc)
                return jnp.sum(mc * cross_entropy(logits, yc)), logits

            (l, logits), g = jax.value_and_grad(summed, has_aux=True)(params)
            acc = jnp.sum(mc * (jnp.argmax(logits, axis=1).astype(yc.dtype) == yc).astype(dt))
            tl, tg, ta = carry
            return (tl + l, optax.tree.add(tg, g), ta + acc), None

        zeros = jax.tree_util.tree_map(jnp.zeros_like, params)
        (tl, tg, ta), _ = jax.lax.scan(body, (jnp.zeros((), dt), zeros, jnp.zeros((), dt)), (xp, yp, mask))
        grad = optax.tree.scale(1.0 / n, tg)
        sq = optax.tree.norm(grad, squared=True)
        m = optax.tree.size(params)
        return {"E": tl / n, "acc": ta / n, "R_IG": sq / m, "slope": jnp.sqrt(sq)}

    return evaluate


def make_metrics(model: Model, chunk_size: int):
    """``metrics(state, x_train, y_train, x_test, y_test) -> (state, dict)``: the evaluation of
    both splits, and the best-test-accuracy parameters carried in the state."""
    evaluate = make_evaluate(model, chunk_size)

    def metrics(state: TrainState, x_train, y_train, x_test, y_test):
        TRACES["metrics"] += 1
        tr = evaluate(state.params, x_train, y_train)
        te = evaluate(state.params, x_test, y_test)
        acc = te["acc"]
        better = (acc > state.best_acc) & ~state.diverged
        best = jax.tree_util.tree_map(lambda b, p: jnp.where(better, p, b), state.best_params, state.params)
        out = {"train E": tr["E"], "train acc": tr["acc"], "R_IG": tr["R_IG"], "slope": tr["slope"],
               "test E": te["E"], "test acc": acc, "test R_IG": te["R_IG"], "test slope": te["slope"],
               "||theta||": optax.tree.norm(state.params), "diverged": state.diverged}
        return state._replace(best_params=best, best_acc=jnp.where(better, acc, state.best_acc)), out

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
        out[i] = cache[e][j * batch_size:(j + 1) * batch_size]
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


class _Group:
    """One width: compiled functions, the data on the device and the states of its configurations."""

    def __init__(self, cfg: SweepConfig, width: int, data: Dataset, strategy: str):
        self.cfg, self.width, self.strategy = cfg, width, strategy
        self.model = paper_mlp(width, data.num_classes, cfg.depth)
        self.configs = [(width, h, s) for h in cfg.learning_rates for s in cfg.seeds]
        self.batch = cfg.batch_size or len(data.y_train)
        self.data = tuple(jnp.asarray(a) for a in (data.x_train, data.y_train, data.x_test, data.y_test))
        segment = make_train_segment(self.model, cfg.batch_size is None, cfg.divergence_threshold)
        metrics = make_metrics(self.model, cfg.eval_chunk)
        x_example = self.data[0][:1]
        init = lambda s, h: _init_state(self.model, x_example, s, h)  # noqa: E731
        if strategy == "vmap":
            self.sharding, self.padded = _grid_sharding(len(self.configs))
            self.segment = jax.jit(jax.vmap(segment, in_axes=(0, None, None, None, None)))
            self.metrics = jax.jit(jax.vmap(metrics, in_axes=(0, None, None, None, None)))
            pad = self.configs + [self.configs[-1]] * (self.padded - len(self.configs))
            seeds = jnp.asarray([s for _, _, s in pad])
            lrs = jnp.asarray([h for _, h, _ in pad], jnp.float32)
            self.states = jax.device_put(jax.vmap(init)(seeds, lrs), self.sharding)
        else:
            self.segment = jax.jit(segment)
            self.metrics = jax.jit(metrics)
            self.states = [init(s, h) for _, h, s in self.configs]

    def train(self, idx, n_active: int | None = None):
        idx = jnp.asarray(idx)
        n = jnp.asarray(idx.shape[0] if n_active is None else n_active, jnp.int32)
        xtr, ytr = self.data[:2]
        if self.strategy == "vmap":
            self.states = self.segment(self.states, idx, n, xtr, ytr)
        else:
            self.states = [self.segment(s, idx, n, xtr, ytr) for s in self.states]

    def evaluate(self) -> list[dict]:
        if self.strategy == "vmap":
            self.states, out = self.metrics(self.states, *self.data)
            out = jax.device_get(out)
            return [{k: float(v[i]) for k, v in out.items()} for i in range(len(self.configs))]
        rows, new = [], []
        for s in self.states:
            s, out = self.metrics(s, *self.data)
            new.append(s)
            rows.append({k: float(v) for k, v in jax.device_get(out).items()})
        self.states = new
        return rows

    def best_params_tree(self):
        """Best-test-accuracy parameters of every configuration, leaves stacked on axis 0."""
        if self.strategy == "vmap":
            return jax.tree_util.tree_map(lambda x: np.asarray(x)[: len(self.configs)], self.states.best_params)
        return jax.tree_util.tree_map(lambda *xs: np.stack([np.asarray(x) for x in xs]),
                                      *[s.best_params for s in self.states])

    def num_params(self) -> int:
        one = (jax.tree_util.tree_map(lambda x: x[0], self.states.params) if self.strategy == "vmap"
               else self.states[0].params)
        return int(optax.tree.size(one))

    # checkpoints: flat lists of leaves, stacked over configurations
    def state_leaves(self) -> list[np.ndarray]:
        if self.strategy == "vmap":
            return [np.asarray(x)[: len(self.configs)] for x in jax.tree_util.tree_leaves(self.states)]
        per = [jax.tree_util.tree_leaves(s) for s in self.states]
        return [np.stack([np.asarray(p[i]) for p in per]) for i in range(len(per[0]))]

    def load_leaves(self, leaves: list[np.ndarray]) -> None:
        if self.strategy == "vmap":
            treedef = jax.tree_util.tree_structure(self.states)
            pad = self.padded - len(self.configs)
            full = [np.concatenate([x, np.repeat(x[-1:], pad, axis=0)]) if pad else x for x in leaves]
            self.states = jax.device_put(jax.tree_util.tree_unflatten(treedef, [jnp.asarray(x) for x in full]),
                                         self.sharding)
        else:
            treedef = jax.tree_util.tree_structure(self.states[0])
            self.states = [jax.tree_util.tree_unflatten(treedef, [jnp.asarray(x[i]) for x in leaves])
                           for i in range(len(self.configs))]


def _rows(group: _Group, evals: list[dict], step: int, per_epoch: int, m: int) -> list[dict]:
    out = []
    for (w, h, s), ev in zip(group.configs, evals):
        out.append({"width": w, "batch_size": group.batch, "h": h, "seed": s, "m": m, "lambda": igr_rate(h, m), "step": step,
                    "epoch": step / per_epoch, "t": step * h, **ev, "diverged": bool(ev["diverged"])})
    return out


class CacheMiss(LookupError):
    """Raised by :func:`run_sweep` with ``cached_only=True`` when some width is not in the cache."""


def run_sweep(cfg: SweepConfig, data: Dataset, results_dir: str | Path, force: bool = False,
              progress: bool = True, stop_after_segments: int | None = None, log=None,
              cached_only: bool = False) -> SweepResult:
    """Train (or read from cache) every configuration of ``cfg`` on ``data``.

    ``stop_after_segments`` interrupts each group after that many segments (used to test
    resuming); the checkpoint written then is resumed by the next call. ``log`` (a callable
    taking a string) receives one line per width with steps/s (for terminal progress when a
    notebook runs under papermill). ``cached_only`` reads the cache and raises
    :class:`CacheMiss` instead of training.
    """
    from tqdm.auto import tqdm

    if cfg.batch_size is not None and cfg.batch_size > len(data.y_train):
        raise ValueError(f"`batch_size` ({cfg.batch_size}) exceeds the training set size ({len(data.y_train)}).")
    strategy = resolve_strategy(cfg.strategy)
    root = _cache.sweep_dir(results_dir, cfg, data, force=force)
    n_train = len(data.y_train)
    marks = evaluation_steps(cfg, n_train)
    per_epoch = steps_per_epoch(n_train, cfg.batch_size)
    frames, trained = [], False
    for width in cfg.widths:
        gdir = root / f"width_{width}"
        gdir.mkdir(exist_ok=True)
        done = _cache.load_group(gdir)
        if done is not None:
            frames.append(done)
            continue
        if cached_only:
            raise CacheMiss(f"{cfg.experiment} n_l={width} is not in the cache {root}")
        trained = True
        t_start = time.perf_counter()
        group = _Group(cfg, width, data, strategy)
        m = group.num_params()
        start, rows = 0, []
        ck = _cache.load_checkpoint(gdir)
        if ck is not None:
            start, leaves, rows = ck
            group.load_leaves(leaves)
        if start == 0:
            rows = _rows(group, group.evaluate(), 0, per_epoch, m)
        bar = tqdm(total=len(marks) * len(group.configs), initial=start * len(group.configs), disable=not progress,
                   desc=f"{cfg.experiment} n_l={width} ({strategy})", unit="cfg-eval", leave=False)
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
                log(f"{cfg.experiment} n_l={width}: evaluation {k + 1}/{len(marks)}, {rate:.0f} config-steps/s, "
                    f"ETA {left:.0f} s")
            if (k + 1) % cfg.checkpoint_every == 0 and k + 1 < len(marks):
                _cache.save_checkpoint(gdir, group.state_leaves(), k + 1, rows)
        bar.close()
        seconds = time.perf_counter() - t_start
        _cache.save_group(gdir, pd.DataFrame(rows), group.best_params_tree(), seconds)
        if log is not None:
            log(f"{cfg.experiment} n_l={width}: {len(group.configs)} configurations x {int(marks[-1])} steps in "
                f"{seconds:.1f} s ({steps_run / max(time.perf_counter() - t0, 1e-9):.0f} config-steps/s, {strategy})")
        frames.append(pd.read_csv(gdir / "metrics.csv"))
    metrics = pd.concat(frames, ignore_index=True)
    metrics["data source"] = data.source
    return SweepResult(metrics, cfg, data.source, root, from_cache=not trained, provenance=_cache.provenance(root))


__all__ = ["STRATEGIES", "TRACES", "CacheMiss", "SweepConfig", "TrainState", "SweepResult", "make_loss", "make_train_segment",
           "make_evaluate", "make_metrics", "batch_indices", "steps_per_epoch", "total_steps", "evaluation_steps",
           "resolve_strategy", "run_sweep", "learning_rate_of"]
