"""The sweep engine: train a grid of MLP configurations and record IGR metrics.

Abstraction: a :class:`SweepConfig` names a grid (widths x learning rates x seeds, one batch
size or full batch) trained on one :class:`~igr_core.data.Dataset`. Configurations that
share parameter shapes (same width) form a *group* whose states are stacked on a leading
grid axis. A group trains chunk by chunk: each chunk is ``eval_every`` optimizer steps
inside one ``jax.lax.scan``, after which every configuration is evaluated on the full
training and test sets. Learning rates live in the optimizer state as traced arrays
(``optax.inject_hyperparams``), so every configuration of a group reuses one compiled step.

Two execution strategies give the same results:

* ``"vmap"``: the grid axis is vectorized and sharded over all local devices
  (``jax.sharding``, mesh axis ``"grid"``): one GPU, several, or several hosts;
* ``"loop"``: configurations run one after another with the same compiled chunk, which
  is faster on a CPU (see ``benchmarks/README.md``).

``"auto"`` picks ``"loop"`` on CPU backends and ``"vmap"`` otherwise.

Every configuration sees the same minibatch order (a permutation per epoch drawn from
``data_seed``), so the learning rate (and the initialization seed) is the only difference.
A run whose loss becomes non-finite or exceeds ``divergence_threshold`` is marked
``diverged`` and stops updating. Results are a tidy table (one row per configuration and
evaluation) cached under ``<results>/<experiment>/<config hash>/`` with the config beside
it; checkpoints every few chunks let an interrupted sweep resume; ``force=True`` recomputes.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
import time
from pathlib import Path
from typing import NamedTuple, Sequence

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pandas as pd

from igr_core._src import tree as _tree
from igr_core._src.data import Dataset
from igr_core._src.models import Model, paper_mlp

STRATEGIES = ("auto", "vmap", "loop")


@dataclasses.dataclass(frozen=True)
class SweepConfig:
    experiment: str  # results sub-folder name, e.g. "mnist_sgd"
    widths: tuple[int, ...]  # hidden units per layer n_l (one group per width)
    learning_rates: tuple[float, ...]  # learning rates h
    depth: int = 5  # number of hidden ReLU layers
    batch_size: int | None = 32  # minibatch size; None = full-batch gradient descent
    seeds: tuple[int, ...] = (0,)  # initialization seeds
    epochs: float = 10.0  # training length in epochs (rounded up to whole chunks)
    eval_every: int = 125  # optimizer steps per chunk; metrics are recorded after each chunk
    data_seed: int = 0  # seed of the minibatch order, shared by every configuration
    eval_chunk: int = 1000  # examples per chunk when evaluating a whole split (memory bound)
    divergence_threshold: float = 1e4  # training loss above which (or non-finite) a run is diverged
    checkpoint_every: int = 5  # chunks between checkpoints (for resuming)
    strategy: str = "auto"  # "vmap", "loop" or "auto" (loop on CPU, vmap on accelerators)

    def __post_init__(self):
        object.__setattr__(self, "widths", tuple(int(w) for w in _seq("widths", self.widths)))
        object.__setattr__(self, "learning_rates", tuple(float(h) for h in _seq("learning_rates", self.learning_rates)))
        object.__setattr__(self, "seeds", tuple(int(s) for s in _seq("seeds", self.seeds)))
        if not self.experiment or not str(self.experiment).replace("_", "").replace("-", "").isalnum():
            raise ValueError(f"`experiment` must be a non-empty name of letters, digits, '_' or '-', got {self.experiment!r}.")
        if any(w <= 0 for w in self.widths):
            raise ValueError(f"`widths` must be positive integers, got {self.widths}.")
        if any(not np.isfinite(h) or h <= 0 for h in self.learning_rates):
            raise ValueError(f"`learning_rates` must be positive finite numbers, got {self.learning_rates}.")
        if self.batch_size is not None and (not isinstance(self.batch_size, int) or self.batch_size <= 0):
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

    def best_params(self, width: int, learning_rate: float, seed: int = 0):
        """Parameters of one configuration at its time of maximum test accuracy."""
        return load_best_params(self.path, self.config, width, learning_rate, seed)


# ----------------------------------------------------------------------------- the model


def cross_entropy(logits, labels):
    return -jnp.take_along_axis(jax.nn.log_softmax(logits), labels[:, None], axis=1)[:, 0]


def make_loss(model: Model):
    def loss(params, x, y):
        return jnp.mean(cross_entropy(model.apply(params, x), y))

    return loss


def _optimizer():
    return optax.inject_hyperparams(optax.sgd)(learning_rate=0.0)


def _init_state(model: Model, x_example, seed, learning_rate) -> TrainState:
    params = model.init(jax.random.PRNGKey(seed), x_example)
    opt_state = _optimizer().init(params)
    opt_state.hyperparams["learning_rate"] = jnp.asarray(learning_rate, dtype=jnp.float32)
    return TrainState(params, opt_state, jnp.asarray(False), params, jnp.asarray(-1.0, jnp.float32))


def learning_rate_of(state: TrainState):
    return state.opt_state.hyperparams["learning_rate"]


# ------------------------------------------------------------------- compiled chunk, eval


def make_train_chunk(model: Model, x_train, y_train, full_batch: bool, divergence_threshold: float):
    """``chunk(state, idx) -> state``: ``idx`` (steps, batch) minibatch indices, or (steps,)
    dummies for full batch. Steps inside ``lax.scan``; diverged runs stop updating."""
    loss_fn = make_loss(model)
    opt = _optimizer()

    def step(state: TrainState, idx):
        xb, yb = (x_train, y_train) if full_batch else (x_train[idx], y_train[idx])
        loss, grads = jax.value_and_grad(loss_fn)(state.params, xb, yb)
        updates, new_opt = opt.update(grads, state.opt_state, state.params)
        new_params = optax.apply_updates(state.params, updates)
        bad = state.diverged | ~jnp.isfinite(loss) | (loss > divergence_threshold)
        keep = lambda old, new: jax.tree_util.tree_map(lambda o, n: jnp.where(bad, o, n), old, new)  # noqa: E731
        return state._replace(params=keep(state.params, new_params), opt_state=keep(state.opt_state, new_opt),
                              diverged=bad), None

    def chunk(state, idx):
        return jax.lax.scan(step, state, idx)[0]

    return chunk


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
            return (tl + l, _tree.tree_axpy(1.0, g, tg), ta + acc), None

        zeros = jax.tree_util.tree_map(jnp.zeros_like, params)
        (tl, tg, ta), _ = jax.lax.scan(body, (jnp.zeros((), dt), zeros, jnp.zeros((), dt)), (xp, yp, mask))
        grad = _tree.tree_scale(1.0 / n, tg)
        sq = _tree.tree_sq_norm(grad)
        m = _tree.tree_size(params)
        return {"E": tl / n, "acc": ta / n, "R_IG": sq / m, "slope": jnp.sqrt(sq)}

    return evaluate


def make_metrics(model: Model, x_train, y_train, x_test, y_test, chunk_size: int):
    evaluate = make_evaluate(model, chunk_size)

    def metrics(state: TrainState):
        tr = evaluate(state.params, x_train, y_train)
        te = evaluate(state.params, x_test, y_test)
        acc = te["acc"]
        better = (acc > state.best_acc) & ~state.diverged
        best = jax.tree_util.tree_map(lambda b, p: jnp.where(better, p, b), state.best_params, state.params)
        out = {"train E": tr["E"], "train acc": tr["acc"], "R_IG": tr["R_IG"], "slope": tr["slope"],
               "test E": te["E"], "test acc": acc, "test R_IG": te["R_IG"], "test slope": te["slope"],
               "||theta||": _tree.tree_norm(state.params), "diverged": state.diverged}
        return state._replace(best_params=best, best_acc=jnp.where(better, acc, state.best_acc)), out

    return metrics


# ------------------------------------------------------------------------- batches, hash


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


def total_chunks(cfg: SweepConfig, n_train: int) -> int:
    steps = int(np.ceil(cfg.epochs * steps_per_epoch(n_train, cfg.batch_size)))
    return max(1, int(np.ceil(steps / cfg.eval_every)))


def data_fingerprint(data: Dataset) -> dict:
    h = hashlib.sha256()
    for a in (data.x_train, data.y_train, data.x_test, data.y_test):
        h.update(np.ascontiguousarray(a).tobytes())
    return {"source": data.source, "n_train": int(len(data.y_train)), "n_test": int(len(data.y_test)),
            "sha256": h.hexdigest()[:16]}


def config_hash(cfg: SweepConfig, data: Dataset) -> str:
    # strategy and checkpointing do not change results beyond float reassociation
    d = {k: v for k, v in dataclasses.asdict(cfg).items() if k not in ("strategy", "checkpoint_every")}
    payload = json.dumps({"config": d, "data": data_fingerprint(data), "version": 1}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:12]


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
    """One width: compiled functions and the states of its configurations."""

    def __init__(self, cfg: SweepConfig, width: int, data: Dataset, strategy: str):
        self.cfg, self.width, self.strategy = cfg, width, strategy
        self.model = paper_mlp(width, data.num_classes, cfg.depth)
        self.configs = [(width, h, s) for h in cfg.learning_rates for s in cfg.seeds]
        xtr, ytr = jnp.asarray(data.x_train), jnp.asarray(data.y_train)
        xte, yte = jnp.asarray(data.x_test), jnp.asarray(data.y_test)
        chunk = make_train_chunk(self.model, xtr, ytr, cfg.batch_size is None, cfg.divergence_threshold)
        metrics = make_metrics(self.model, xtr, ytr, xte, yte, cfg.eval_chunk)
        init = lambda s, h: _init_state(self.model, xtr[:1], s, h)  # noqa: E731
        if strategy == "vmap":
            self.sharding, self.padded = _grid_sharding(len(self.configs))
            self.chunk = jax.jit(jax.vmap(chunk, in_axes=(0, None)))
            self.metrics = jax.jit(jax.vmap(metrics))
            pad = self.configs + [self.configs[-1]] * (self.padded - len(self.configs))
            seeds = jnp.asarray([s for _, _, s in pad])
            lrs = jnp.asarray([h for _, h, _ in pad], jnp.float32)
            states = jax.vmap(init)(seeds, lrs)
            self.states = jax.device_put(states, self.sharding)
        else:
            self.chunk = jax.jit(chunk)
            self.metrics = jax.jit(metrics)
            self.states = [init(s, h) for _, h, s in self.configs]

    def train(self, idx):
        idx = jnp.asarray(idx)
        if self.strategy == "vmap":
            self.states = self.chunk(self.states, idx)
        else:
            self.states = [self.chunk(s, idx) for s in self.states]

    def evaluate(self) -> list[dict]:
        if self.strategy == "vmap":
            self.states, out = self.metrics(self.states)
            out = jax.device_get(out)
            return [{k: float(v[i]) for k, v in out.items()} for i in range(len(self.configs))]
        rows = []
        new = []
        for s in self.states:
            s, out = self.metrics(s)
            new.append(s)
            rows.append({k: float(v) for k, v in jax.device_get(out).items()})
        self.states = new
        return rows

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


def _save_checkpoint(path: Path, group: _Group, chunk_done: int, rows: list[dict]) -> None:
    tmp = path / "checkpoint.tmp.npz"
    np.savez(tmp, *group.state_leaves())
    tmp.replace(path / "checkpoint.npz")
    pd.DataFrame(rows).to_csv(path / "metrics.partial.csv", index=False)
    (path / "checkpoint.json").write_text(json.dumps({"chunks_done": chunk_done}))


def _load_checkpoint(path: Path):
    meta = path / "checkpoint.json"
    if not meta.exists() or not (path / "checkpoint.npz").exists():
        return None
    with np.load(path / "checkpoint.npz") as z:
        leaves = [z[f"arr_{i}"] for i in range(len(z.files))]
    rows = pd.read_csv(path / "metrics.partial.csv").to_dict("records") if (path / "metrics.partial.csv").exists() else []
    return json.loads(meta.read_text())["chunks_done"], leaves, rows


def run_sweep(cfg: SweepConfig, data: Dataset, results_dir: str | Path, force: bool = False,
              progress: bool = True, stop_after_chunks: int | None = None) -> SweepResult:
    """Train (or read from cache) every configuration of ``cfg`` on ``data``.

    ``stop_after_chunks`` interrupts each group after that many chunks (used to test
    resuming); the checkpoint written then is resumed by the next call.
    """
    from tqdm.auto import tqdm

    if cfg.batch_size is not None and cfg.batch_size > len(data.y_train):
        raise ValueError(f"`batch_size` ({cfg.batch_size}) exceeds the training set size ({len(data.y_train)}).")
    strategy = resolve_strategy(cfg.strategy)
    key = config_hash(cfg, data)
    root = Path(results_dir) / cfg.experiment / key
    if force and root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True, exist_ok=True)
    (root / "config.json").write_text(json.dumps({"config": dataclasses.asdict(cfg), "data": data_fingerprint(data),
                                                  "hash": key}, indent=1))
    n_chunks = total_chunks(cfg, len(data.y_train))
    per_epoch = steps_per_epoch(len(data.y_train), cfg.batch_size)
    frames, trained = [], False
    for width in cfg.widths:
        gdir = root / f"width_{width}"
        gdir.mkdir(exist_ok=True)
        if (gdir / "metrics.csv").exists():
            frames.append(pd.read_csv(gdir / "metrics.csv"))
            continue
        trained = True
        group = _Group(cfg, width, data, strategy)
        start, rows = 0, []
        ck = _load_checkpoint(gdir)
        if ck is not None:
            start, leaves, rows = ck
            group.load_leaves(leaves)
        if start == 0:
            rows = _rows(group, group.evaluate(), 0, per_epoch)
        bar = tqdm(total=n_chunks * len(group.configs), initial=start * len(group.configs), disable=not progress,
                   desc=f"{cfg.experiment} n_l={width} ({strategy})", unit="cfg-chunk", leave=False)
        t0, steps_run = time.perf_counter(), 0
        for c in range(start, n_chunks):
            if stop_after_chunks is not None and c - start >= stop_after_chunks:
                _save_checkpoint(gdir, group, c, rows)
                bar.close()
                raise KeyboardInterrupt(f"stopped after {stop_after_chunks} chunks (checkpoint saved)")
            group.train(batch_indices(len(data.y_train), cfg.batch_size, cfg.data_seed, c * cfg.eval_every,
                                      cfg.eval_every))
            rows += _rows(group, group.evaluate(), (c + 1) * cfg.eval_every, per_epoch)
            steps_run += cfg.eval_every * len(group.configs)
            bar.update(len(group.configs))
            bar.set_postfix(steps_per_s=f"{steps_run / (time.perf_counter() - t0):.0f}")
            if (c + 1) % cfg.checkpoint_every == 0 and c + 1 < n_chunks:
                _save_checkpoint(gdir, group, c + 1, rows)
        bar.close()
        df = pd.DataFrame(rows)
        _save_best(gdir, group)
        df.to_csv(gdir / "metrics.csv", index=False)
        for f in ("checkpoint.npz", "checkpoint.json", "metrics.partial.csv"):
            (gdir / f).unlink(missing_ok=True)
        frames.append(df)
    metrics = pd.concat(frames, ignore_index=True)
    metrics["data source"] = data.source
    return SweepResult(metrics, cfg, data.source, root, from_cache=not trained)


def _rows(group: _Group, evals: list[dict], step: int, per_epoch: int) -> list[dict]:
    from igr_core._src.regularizers import num_params

    m = num_params(jax.tree_util.tree_map(lambda x: x[0], group.states.params) if group.strategy == "vmap"
                   else group.states[0].params)
    out = []
    for (w, h, s), ev in zip(group.configs, evals):
        out.append({"width": w, "h": h, "seed": s, "m": m, "lambda": h * m / 4, "step": step,
                    "epoch": step / per_epoch, "t": step * h, **ev, "diverged": bool(ev["diverged"])})
    return out


def _save_best(gdir: Path, group: _Group) -> None:
    if group.strategy == "vmap":
        leaves = [np.asarray(x)[: len(group.configs)] for x in jax.tree_util.tree_leaves(group.states.best_params)]
    else:
        per = [jax.tree_util.tree_leaves(s.best_params) for s in group.states]
        leaves = [np.stack([np.asarray(p[i]) for p in per]) for i in range(len(per[0]))]
    np.savez(gdir / "best_params.npz", *leaves)


def load_best_params(path: Path, cfg: SweepConfig, width: int, learning_rate: float, seed: int = 0):
    """Parameters at the time of maximum test accuracy of one configuration (from the cache)."""
    configs = [(width, h, s) for h in cfg.learning_rates for s in cfg.seeds]
    try:
        i = [k for k, c in enumerate(configs) if c[1] == float(learning_rate) and c[2] == seed][0]
    except IndexError:
        raise ValueError(f"no configuration with learning rate {learning_rate} and seed {seed} in this sweep; "
                         f"learning rates: {cfg.learning_rates}, seeds: {cfg.seeds}") from None
    if width not in cfg.widths:
        raise ValueError(f"`width` {width} is not in this sweep's widths {cfg.widths}.")
    model = paper_mlp(width, 10, cfg.depth)
    template = model.init(jax.random.PRNGKey(0), jnp.zeros((1, 784), jnp.float32))
    with np.load(Path(path) / f"width_{width}" / "best_params.npz") as z:
        leaves = [jnp.asarray(z[f"arr_{j}"][i]) for j in range(len(z.files))]
    return jax.tree_util.tree_unflatten(jax.tree_util.tree_structure(template), leaves)


# ------------------------------------------------------------------- stopping-time choice


def fit_status(metrics: pd.DataFrame, train_acc_threshold: float = 1.0) -> pd.DataFrame:
    """Per configuration: whether it diverged and whether it ever reached the training
    accuracy threshold (the paper excludes networks that never fit the training set)."""
    g = metrics.groupby(["width", "h", "seed"])
    out = g.agg(diverged=("diverged", "max"), max_train_acc=("train acc", "max")).reset_index()
    out["fits"] = (out["max_train_acc"] >= train_acc_threshold - 1e-9) & ~out["diverged"]
    return out


def select_at_max_test_accuracy(metrics: pd.DataFrame) -> pd.DataFrame:
    """One row per configuration that never diverged: the evaluation of maximum test accuracy
    (earliest on ties)."""
    metrics = metrics.reset_index(drop=True)
    ever = metrics.groupby(["width", "h", "seed"])["diverged"].transform("max").astype(bool)
    ok = metrics[~ever & metrics["test acc"].notna()]
    idx = ok.sort_values("step").groupby(["width", "h", "seed"])["test acc"].idxmax()
    return metrics.loc[idx].reset_index(drop=True)


def select_at_step(metrics: pd.DataFrame, step: int) -> pd.DataFrame:
    """One row per configuration: the last evaluation at or before ``step`` (fixed iteration)."""
    metrics = metrics.reset_index(drop=True)
    sub = metrics[metrics["step"] <= step]
    return sub.loc[sub.groupby(["width", "h", "seed"])["step"].idxmax()].reset_index(drop=True)


def select_at_time(metrics: pd.DataFrame, t: float, rel_tol: float = 0.05) -> pd.DataFrame:
    """One row per configuration: the evaluation closest to physical time ``t = step h``
    (Fig. A.5), kept only if it lies within ``rel_tol * t`` of ``t``; configurations with no
    evaluation that close (too coarse an evaluation grid, or never reaching ``t``) are left out."""
    if not t > 0:
        raise ValueError(f"`t` must be a positive physical time, got {t!r}.")
    metrics = metrics.reset_index(drop=True)
    gap = (metrics["t"] - t).abs()
    sub = metrics.assign(_gap=gap)[gap <= rel_tol * t]
    return sub.loc[sub.groupby(["width", "h", "seed"])["_gap"].idxmin()].drop(columns="_gap").reset_index(drop=True)


def select_at_train_loss(metrics: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """One row per configuration: the first evaluation with training loss below ``threshold``
    (comparison at matched training loss); configurations that never get there are left out."""
    metrics = metrics.reset_index(drop=True)
    sub = metrics[(metrics["train E"] < threshold) & ~metrics["diverged"]]
    return sub.loc[sub.groupby(["width", "h", "seed"])["step"].idxmin()].reset_index(drop=True)


__all__ = ["STRATEGIES", "SweepConfig", "TrainState", "SweepResult", "cross_entropy", "make_loss",
           "make_train_chunk", "make_evaluate", "batch_indices", "steps_per_epoch", "total_chunks", "config_hash",
           "data_fingerprint", "resolve_strategy", "run_sweep", "load_best_params", "fit_status",
           "select_at_max_test_accuracy", "select_at_step", "select_at_time", "select_at_train_loss",
           "learning_rate_of"]
