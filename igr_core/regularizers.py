"""Implicit and explicit gradient regularizers (Eqs. 2, 3, 4, 8). See :mod:`igr_core._src.regularizers`.

The public names are the implementation's ``__all__`` (one list, no copy here)."""

from igr_core._src import regularizers
from igr_core._src.regularizers import *  # noqa: F401,F403

__all__ = [*regularizers.__all__]
del regularizers
