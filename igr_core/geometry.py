"""Loss-surface geometry (Appendix A.2). See :mod:`igr_core._src.geometry`.

The public names are the implementation's ``__all__`` (one list, no copy here)."""

from igr_core._src import geometry
from igr_core._src.geometry import *  # noqa: F401,F403

__all__ = [*geometry.__all__]
del geometry
