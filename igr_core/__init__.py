"""igr_core: the library behind the companion to *Implicit Gradient Regularization*.

Public API (re-exported here); submodules ``bea``, ``geometry``, ``ntk``, ``toy``,
``models``, ``data``, ``train``, ``robustness``, ``plotting``, ``report`` and
``book`` hold the rest. Implementations live in the private ``igr_core._src``.
"""
from igr_core import bea, data, geometry, models, ntk, robustness, stats, toy, train
from igr_core._src.regularizers import egr_grad, egr_loss, igr_rate, modified_loss, num_params, r_ig

__version__ = "0.1.0"

__all__ = ["r_ig", "num_params", "igr_rate", "modified_loss", "egr_loss", "egr_grad", "bea", "data", "geometry", "models", "ntk", "robustness", "stats", "toy", "train"]
