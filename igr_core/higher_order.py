"""Gradient descent's modified field to general order, the paper's printed recursion, and the
order-4 preconditioned form. See :mod:`igr_core._src.higher_order`."""
from igr_core._src.higher_order import (
    MAX_ORDER, euler_corrections, f2_antisymmetry, paper_corrections, preconditioned_field, truncated_field,
)

__all__ = ["MAX_ORDER", "euler_corrections", "paper_corrections", "truncated_field", "preconditioned_field",
           "f2_antisymmetry"]
