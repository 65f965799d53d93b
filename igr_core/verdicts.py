"""Acceptance rules and thresholds: the only home of verdicts. See :mod:`igr_core._src.verdicts`."""
from igr_core._src.verdicts import (
    AGREEMENT_REL_TOL, ALPHA, ERRATUM_MIN_ERROR, EXPLAINED_RESIDUAL, GAIN_LOST_RATIO, IDENTITY_ULPS, N_RESAMPLES, ORDER_TOL, OUTCOMES, RHO_MEANINGFUL,
    Verdict, agreement, at_least, bound, combine, compare, erratum, explained, identity, min_p_value, order, sign, tolerance, toward, trend,
    trend_at_convergence,
)

__all__ = ["OUTCOMES", "ALPHA", "ORDER_TOL", "IDENTITY_ULPS", "RHO_MEANINGFUL", "ERRATUM_MIN_ERROR",
           "AGREEMENT_REL_TOL", "EXPLAINED_RESIDUAL", "GAIN_LOST_RATIO", "N_RESAMPLES", "Verdict", "tolerance", "order", "identity", "bound", "erratum",
           "min_p_value", "trend", "trend_at_convergence", "compare", "agreement", "at_least", "toward", "sign", "explained", "combine"]
