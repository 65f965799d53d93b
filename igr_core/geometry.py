"""Loss-surface geometry (Appendix A.2). See :mod:`igr_core._src.geometry`."""
from igr_core._src.geometry import (
    metric_determinant, metric_tensor, norm_step_ratios, slope, tilt_angle, unit_normal,
)

__all__ = ["slope", "unit_normal", "tilt_angle", "metric_tensor", "metric_determinant", "norm_step_ratios"]
