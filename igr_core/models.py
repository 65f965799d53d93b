"""Haiku models as pure functions (MLP; CIFAR ResNets with BatchNorm state). See :mod:`igr_core._src.models`.

The public names are the implementation's ``__all__`` (one list, no copy here)."""

from igr_core._src import models
from igr_core._src.models import *  # noqa: F401,F403

__all__ = [*models.__all__]
del models
