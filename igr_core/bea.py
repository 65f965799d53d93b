"""Backward error analysis of gradient descent (Section 3, Appendix A.1). See :mod:`igr_core._src.bea`."""
from igr_core._src.bea import (
    ORDERS, correction, fit_order, flow, gd_step, gd_trajectory, global_errors, hvp, jacobian_asymmetry, local_errors,
    modified_vector_field,
)

__all__ = ["ORDERS", "gd_step", "hvp", "correction", "modified_vector_field", "flow", "gd_trajectory", "local_errors",
           "global_errors", "fit_order", "jacobian_asymmetry"]
