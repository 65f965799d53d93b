"""Stopping-time selection on sweep results. See :mod:`igr_core._src.selection`.

The public names are the implementation's ``__all__`` (one list, no copy here)."""

from igr_core._src import selection
from igr_core._src.selection import *  # noqa: F401,F403

__all__ = [*selection.__all__]
del selection
