"""Acceptance rules and thresholds: the only home of verdicts. See :mod:`igr_core._src.verdicts`.

The public names are the implementation's ``__all__`` (one list, no copy here)."""

from igr_core._src import verdicts
from igr_core._src.verdicts import *  # noqa: F401,F403

__all__ = [*verdicts.__all__]
del verdicts
