"""Experiment drivers for the theory chapters. See :mod:`igr_core._src.theory`."""
from igr_core._src.theory import (
    Problem, critical_points_1d, double_well, geometry_identities, minima_study, minima_summary, mnist_mlp_problem, moderate_regime,
    non_gradient_part, norm_bound_study, ntk_identity_table, ntk_summary, ntk_training_study, order_study, regression_mlp,
    sharpness, toy_problem, toy_surface, zero_set_study,
)

__all__ = ["Problem", "toy_problem", "mnist_mlp_problem", "order_study", "sharpness", "moderate_regime",
           "non_gradient_part", "norm_bound_study", "double_well", "critical_points_1d", "minima_study",
           "minima_summary", "zero_set_study", "geometry_identities", "toy_surface", "regression_mlp", "ntk_identity_table",
           "ntk_training_study", "ntk_summary"]
