"""The result store: chapters' results read, or computed, saved atomically and read back, with
their provenance. See :mod:`igr_core._src.store` (the guarantees are in its docstring and the
README).

The public names are the implementation's ``__all__`` (one list, no copy here)."""

from igr_core._src import store
from igr_core._src.store import *  # noqa: F401,F403

__all__ = list(store.__all__)
del store
