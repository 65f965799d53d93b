"""The sweep engine, its cache and stopping-time selection. See :mod:`igr_core._src.engine`,
:mod:`igr_core._src.cache` and :mod:`igr_core._src.selection`."""
from igr_core._src.cache import config_hash, data_fingerprint, load_best_params, load_best_state, provenance
from igr_core._src.engine import (
    ARCHITECTURES, EGR_METHODS, STRATEGIES, TRACES, CacheMiss, SweepConfig, SweepResult, TrainState, as_stateful,
    batch_indices, build_model, evaluation_steps, learning_rate_of, make_evaluate, make_gradient, make_loss,
    make_metrics, make_stepwise_metrics, make_train_segment, make_train_step, make_training_loss, resolve_strategy, run_sweep, steps_per_epoch, total_steps,
)

__all__ = ["ARCHITECTURES", "EGR_METHODS", "STRATEGIES", "TRACES", "CacheMiss", "SweepConfig", "TrainState",
           "SweepResult", "as_stateful", "build_model", "make_gradient", "make_loss", "make_training_loss", "make_train_segment", "make_train_step", "make_stepwise_metrics",
           "make_evaluate", "make_metrics", "batch_indices", "steps_per_epoch", "total_steps", "evaluation_steps",
           "resolve_strategy", "run_sweep", "learning_rate_of", "config_hash", "data_fingerprint", "load_best_params",
           "load_best_state", "provenance"]
