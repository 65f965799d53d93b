"""Loss-surface geometry (Appendix A.2). See :mod:`igr_core._src.geometry`."""
from igr_core._src.geometry import (
    metric_determinant, metric_tensor, norm_step_ratios, slope, tangent_basis_fd, tilt_angle, unit_normal,
    unit_normal_from_basis,
)

__all__ = ["slope", "unit_normal", "tilt_angle", "metric_tensor", "metric_determinant", "tangent_basis_fd",
           "unit_normal_from_basis", "norm_step_ratios"]
