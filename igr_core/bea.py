"""Backward error analysis of gradient descent (Section 3, Appendix A.1). See :mod:`igr_core._src.bea`.

The public names are the implementation's ``__all__`` (one list, no copy here)."""

from igr_core._src import bea
from igr_core._src.bea import *  # noqa: F401,F403

__all__ = [*bea.__all__]
del bea
