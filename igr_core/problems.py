"""Small losses for the theory chapters, each with its data source. See :mod:`igr_core._src.problems`.

The public names are the implementation's ``__all__`` (one list, no copy here)."""

from igr_core._src import problems
from igr_core._src.problems import *  # noqa: F401,F403

__all__ = [*problems.__all__]
del problems
