"""Gradient descent's modified field to general order, the paper's printed recursion, and the
order-4 preconditioned form. See :mod:`igr_core._src.higher_order`.

The public names are the implementation's ``__all__`` (one list, no copy here)."""

from igr_core._src import higher_order
from igr_core._src.higher_order import *  # noqa: F401,F403

__all__ = [*higher_order.__all__]
del higher_order
