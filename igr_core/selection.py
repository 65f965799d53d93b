"""Stopping-time selection on sweep results. See :mod:`igr_core._src.selection`."""
from igr_core._src.selection import (
    config_keys, fit_status, select_at_max_test_accuracy, select_at_step, select_at_time, select_at_train_loss,
    selectable_at_time,
)

__all__ = ["config_keys", "fit_status", "select_at_max_test_accuracy", "select_at_step", "select_at_time",
           "select_at_train_loss", "selectable_at_time"]
