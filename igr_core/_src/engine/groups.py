"""Groups of configurations that share a compiled step, one class per execution strategy.

Abstraction: a frozen :class:`StepSpec` (everything a compiled step depends on; the compile
cache's key, :func:`compiled`) and a :class:`Group` per width of a sweep: its states, the data on
the device, ``train(idx, n_active)`` and ``evaluate()``. :class:`VmapGroup` stacks the
configurations on a grid axis sharded over the local devices; :class:`LoopGroup` scans them one
after another; :class:`StepGroup` steps convolutional networks one jitted step at a time.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from igr_core._src.data import Dataset
from igr_core._src.engine.config import STRATEGIES, SweepConfig
from igr_core._src.engine.metrics import make_metrics, make_stepwise_metrics
from igr_core._src.engine.steps import (
    TrainState,
    build_model,
    build_model_for,
    init_state,
    make_train_segment,
    make_train_step,
)


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
        return init_state(self.model, self.data[0][:1], seed, h, mu)

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


__all__ = [
    "resolve_strategy",
    "per_step",
    "StepSpec",
    "compiled",
    "Group",
    "LoopGroup",
    "StepGroup",
    "VmapGroup",
    "make_group",
]
