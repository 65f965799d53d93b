"""Backward error analysis of gradient descent (Section 3, Appendix A.1). See :mod:`igr_core._src.bea`."""
from igr_core._src.bea import (
    DIVERGENCE_NORM, ORDERS, correction, diverged, fit_order, fit_order_stats, flow, gd_final, gd_step, gd_trajectory,
    global_errors, hvp, jacobian_asymmetry, local_errors, modified_vector_field, one_step_errors, sharpness,
)

__all__ = ["ORDERS", "DIVERGENCE_NORM", "diverged", "gd_step", "gd_trajectory", "gd_final", "hvp", "sharpness",
           "correction", "modified_vector_field", "flow", "one_step_errors", "local_errors", "global_errors", "fit_order",
           "fit_order_stats", "jacobian_asymmetry"]
