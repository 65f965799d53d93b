"""The sweep engine, its cache and stopping-time selection. See :mod:`igr_core._src.engine`,
:mod:`igr_core._src.cache` and :mod:`igr_core._src.selection`.

The public names are the implementation's ``__all__`` (one list, no copy here)."""

from igr_core._src import cache, engine
from igr_core._src.cache import *  # noqa: F401,F403
from igr_core._src.engine import *  # noqa: F401,F403

__all__ = [*cache.__all__, *engine.__all__]
del cache, engine
