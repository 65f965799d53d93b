"""Estimating implicit regularization by gradient matching. See :mod:`igr_core._src.estimate`."""
from igr_core._src.estimate import (
    MAX_CONDITION, Fit, IGRFit, Penalty, diagonal_quadratic, early_stopping_penalty, fit_penalty, full_quadratic,
    grad_norm_sq, gradient_system, igr_coefficient, igr_probe, l1, quadratic_matrix, retrain_distance, ridge, solve,
    stack,
)

__all__ = ["MAX_CONDITION", "Penalty", "Fit", "IGRFit", "ridge", "l1", "diagonal_quadratic", "full_quadratic",
           "quadratic_matrix", "grad_norm_sq", "gradient_system", "stack", "solve", "fit_penalty",
           "early_stopping_penalty", "igr_probe", "igr_coefficient", "retrain_distance"]
