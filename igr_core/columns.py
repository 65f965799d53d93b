"""The column names of the results tables (``from igr_core import columns as C``; ``df[C.TEST_ACC]``).
See :mod:`igr_core._src.columns`."""

from igr_core._src import columns
from igr_core._src.columns import *  # noqa: F401,F403

__all__ = [*columns.__all__]
del columns
