"""The sweep loop: every group of a configuration trained segment by segment, resumable.

Abstraction: :func:`run_sweep` reads a sweep from the cache (:mod:`igr_core._src.cache`) or
trains it width by width (:func:`~igr_core._src.engine.groups.make_group`), evaluating at the
schedule's marks, checkpointing every ``checkpoint_every`` segments, and returns a
:class:`SweepResult` (the tidy metrics table, the configuration, the data source, provenance).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import NamedTuple

import pandas as pd

from igr_core._src import cache as _cache
from igr_core._src import columns as C
from igr_core._src.data import Dataset
from igr_core._src.engine.config import SweepConfig, batch_indices, evaluation_steps, steps_per_epoch
from igr_core._src.engine.groups import Group, make_group, resolve_strategy
from igr_core._src.regularizers import igr_rate


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
                C.DIVERGED: bool(ev[C.DIVERGED]),
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
    per_config = len(marks) + 1  # step 0 and every mark
    n_configs = len(cfg.learning_rates) * len(cfg.mus) * len(cfg.seeds)
    for width in cfg.widths:
        gdir = root / _cache.group_name(width)
        gdir.mkdir(exist_ok=True)
        retrain = _cache.must_retrain(gdir)
        done = None if retrain else _cache.load_group(gdir, n_configs * per_config, log)
        if done is not None:
            _cache.say(f"sweep cache {gdir}: complete and verified, reused", log)
            frames.append(done)
            continue
        if cached_only:
            raise CacheMiss(f"{cfg.experiment} width {width} is not in the cache {root}")
        why = "retrained (recompute of the sweep caches asked)" if retrain else "not complete in the cache, trained"
        _cache.say(f"sweep cache {gdir}: {why}", log)
        trained = True
        t_start = time.perf_counter()
        group = make_group(cfg, width, data, strategy)
        m = group.num_params()
        start, rows = 0, []
        ck = None if retrain else _cache.load_checkpoint(gdir, len(group.configs), log)
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
        frames.append(_cache.load_group(gdir, n_configs * per_config, log))
    metrics = pd.concat(frames, ignore_index=True)
    metrics[C.DATA_SOURCE] = data.source
    return SweepResult(metrics, cfg, data.source, root, from_cache=not trained, provenance=_cache.provenance(root))


__all__ = ["SweepResult", "CacheMiss", "run_sweep"]
