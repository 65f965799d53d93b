"""The sweep engine (grid training, metrics, stopping times, caching). See :mod:`igr_core._src.train`."""
from igr_core._src.train import (
    STRATEGIES, SweepConfig, SweepResult, TrainState, batch_indices, config_hash, cross_entropy, data_fingerprint,
    fit_status, learning_rate_of, load_best_params, make_evaluate, make_loss, make_train_chunk, resolve_strategy,
    run_sweep, select_at_max_test_accuracy, select_at_step, select_at_time, select_at_train_loss, steps_per_epoch,
    total_chunks,
)

__all__ = ["STRATEGIES", "SweepConfig", "TrainState", "SweepResult", "cross_entropy", "make_loss",
           "make_train_chunk", "make_evaluate", "batch_indices", "steps_per_epoch", "total_chunks", "config_hash",
           "data_fingerprint", "resolve_strategy", "run_sweep", "load_best_params", "fit_status",
           "select_at_max_test_accuracy", "select_at_step", "select_at_time", "select_at_train_loss",
           "learning_rate_of"]
