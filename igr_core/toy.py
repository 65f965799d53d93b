"""The two-parameter model of Section 5 / Appendix A.4. See :mod:`igr_core._src.toy`."""
from igr_core._src.toy import (
    TABLE_A1, TEST_POINT, ToyPoint, accurate_flow_path, convergence_map, convergence_summary, endpoints, distance_to_flows, egr_loss, egr_sweep,
    euler_flow_path, euler_vs_accurate, figure1a_paths, gd_final, gd_path, grad, igr_lambda, loss, lr_sweep,
    min_norm_minimum, modified_flow, modified_loss, original_flow, r_ig, slope,
)

__all__ = ["ToyPoint", "TABLE_A1", "TEST_POINT", "loss", "grad", "r_ig", "igr_lambda", "modified_loss", "egr_loss",
           "modified_flow", "original_flow", "slope", "min_norm_minimum", "gd_path", "euler_flow_path",
           "accurate_flow_path", "gd_final", "figure1a_paths", "distance_to_flows", "euler_vs_accurate",
           "lr_sweep", "egr_sweep", "convergence_map", "endpoints", "convergence_summary"]
