"""Running a chapter through the result store (read, or compute, save and read back). See
:mod:`igr_core._src.runner`.

The public names are the implementation's ``__all__`` (one list, no copy here)."""

from igr_core._src import runner
from igr_core._src.runner import *  # noqa: F401,F403

__all__ = list(runner.__all__)
del runner
