"""The two-parameter model of Section 5 / Appendix A.4. See :mod:`igr_core._src.toy`."""
from igr_core._src.toy import (
    TABLE_A1, TEST_POINT, ToyPoint, accurate_flow_path, egr_loss, euler_flow_path, flow_landing_point, gd_final,
    gd_path, grad, igr_lambda, loss, min_norm_minimum, modified_flow, modified_loss, original_flow, r_ig,
    residual_sign_changes, slope, stability_edge,
)

__all__ = ["ToyPoint", "TABLE_A1", "TEST_POINT", "loss", "grad", "r_ig", "igr_lambda", "modified_loss", "egr_loss",
           "modified_flow", "original_flow", "slope", "min_norm_minimum", "gd_path", "euler_flow_path",
           "accurate_flow_path", "gd_final", "flow_landing_point", "stability_edge", "residual_sign_changes"]
