"""The two-parameter model of Section 5 / Appendix A.4. See :mod:`igr_core._src.toy`.

The public names are the implementation's ``__all__`` (one list, no copy here)."""

from igr_core._src import toy
from igr_core._src.toy import *  # noqa: F401,F403

__all__ = [*toy.__all__]
del toy
