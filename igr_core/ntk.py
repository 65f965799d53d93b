"""Neural tangent kernel form of IGR (Appendix A.3). See :mod:`igr_core._src.ntk`.

The public names are the implementation's ``__all__`` (one list, no copy here)."""

from igr_core._src import ntk
from igr_core._src.ntk import *  # noqa: F401,F403

__all__ = [*ntk.__all__]
del ntk
