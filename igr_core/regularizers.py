"""Implicit and explicit gradient regularizers (Eqs. 2, 3, 4, 8). See :mod:`igr_core._src.regularizers`."""
from igr_core._src.regularizers import (
    egr_grad, egr_loss, egr_value_and_grad, hessian_gradient_product, igr_rate, modified_loss, num_params, r_ig,
)

__all__ = ["r_ig", "num_params", "igr_rate", "modified_loss", "egr_loss", "egr_grad", "egr_value_and_grad",
           "hessian_gradient_product"]
