"""Neural tangent kernel form of IGR (Appendix A.3). See :mod:`igr_core._src.ntk`."""
from igr_core._src.ntk import (
    empirical_ntk, least_squares_loss, ntk_cross_term_stats, ntk_modified_loss, r_ig_ntk,
)

__all__ = ["empirical_ntk", "least_squares_loss", "r_ig_ntk", "ntk_modified_loss", "ntk_cross_term_stats"]
