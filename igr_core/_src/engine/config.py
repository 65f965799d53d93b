"""The sweep's configuration and schedule: what a grid is, and when it steps and evaluates.

Abstraction: a frozen :class:`SweepConfig` (validated on construction: every bad field is
named before any compute), and the pure functions of the schedule it implies: the minibatch
indices of any range of steps (:func:`batch_indices`, the same order for every configuration),
the training length (:func:`total_steps`) and the evaluation marks (:func:`evaluation_steps`).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from igr_core._src.regularizers import _EGR_METHODS

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


__all__ = [
    "STRATEGIES",
    "ARCHITECTURES",
    "EGR_METHODS",
    "SweepConfig",
    "batch_indices",
    "steps_per_epoch",
    "total_steps",
    "evaluation_steps",
]
