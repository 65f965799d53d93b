"""The sweep engine, its cache and stopping-time selection. See :mod:`igr_core._src.engine`,
:mod:`igr_core._src.cache` and :mod:`igr_core._src.selection`."""
from igr_core._src.cache import config_hash, data_fingerprint, load_best_params, provenance
from igr_core._src.engine import (
    STRATEGIES, TRACES, CacheMiss, SweepConfig, SweepResult, TrainState, batch_indices, evaluation_steps, learning_rate_of,
    make_evaluate, make_loss, make_metrics, make_train_segment, resolve_strategy, run_sweep, steps_per_epoch,
    total_steps,
)

__all__ = ["STRATEGIES", "TRACES", "CacheMiss", "SweepConfig", "TrainState", "SweepResult", "make_loss", "make_train_segment",
           "make_evaluate", "make_metrics", "batch_indices", "steps_per_epoch", "total_steps", "evaluation_steps",
           "resolve_strategy", "run_sweep", "learning_rate_of", "config_hash", "data_fingerprint", "load_best_params",
           "provenance"]
