"""Loss functions (cross-entropy, least squares). See :mod:`igr_core._src.losses`."""
from igr_core._src.losses import LOSS_KINDS, cross_entropy, mean_loss, per_example, squared_error

__all__ = ["LOSS_KINDS", "cross_entropy", "squared_error", "per_example", "mean_loss"]
