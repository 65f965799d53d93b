"""Selections, trends and controls on sweep results. See :mod:`igr_core._src.analysis`."""
from igr_core._src.analysis import (
    at_max_test_accuracy, matched_loss, noise_by_learning_rate, per_width_trends, trend, trend_text,
)

__all__ = ["at_max_test_accuracy", "trend", "trend_text", "per_width_trends", "matched_loss",
           "noise_by_learning_rate"]
