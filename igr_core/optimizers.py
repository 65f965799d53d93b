"""Modified equations of common optimizers (momentum, Adam/RMSProp, SGD with reshuffling) and
an optimizer-agnostic global-error measurement. See :mod:`igr_core._src.optimizers`."""
from igr_core._src.optimizers import (
    MAX_RESHUFFLE_EXAMPLES, Method, adam, adam_coefficients, adam_field, gd_field, global_errors, gradient_descent, heavy_ball, iterate,
    momentum_coefficient, momentum_field, momentum_start, sgd_epoch_errors, sgd_modified_loss, sgd_partition_variance,
    sgd_reshuffled_loss, sgd_reshuffling_errors, sgd_variance, trajectory,
)

__all__ = ["Method", "iterate", "trajectory", "gradient_descent", "heavy_ball", "adam", "gd_field", "momentum_coefficient", "momentum_field",
           "momentum_start", "adam_coefficients", "adam_field", "sgd_modified_loss", "sgd_variance", "global_errors",
           "sgd_epoch_errors", "sgd_reshuffled_loss", "sgd_partition_variance", "sgd_reshuffling_errors",
           "MAX_RESHUFFLE_EXAMPLES"]
