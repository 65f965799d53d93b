"""Estimating implicit regularization by gradient matching. See :mod:`igr_core._src.estimate`.

The public names are the implementation's ``__all__`` (one list, no copy here)."""

from igr_core._src import estimate
from igr_core._src.estimate import *  # noqa: F401,F403

__all__ = [*estimate.__all__]
del estimate
