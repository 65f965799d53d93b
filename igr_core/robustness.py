"""Multiplicative parameter noise: slope and accuracy under noise. See :mod:`igr_core._src.robustness`.

The public names are the implementation's ``__all__`` (one list, no copy here)."""

from igr_core._src import robustness
from igr_core._src.robustness import *  # noqa: F401,F403

__all__ = [*robustness.__all__]
del robustness
