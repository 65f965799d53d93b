"""Loss functions (cross-entropy, least squares). See :mod:`igr_core._src.losses`.

The public names are the implementation's ``__all__`` (one list, no copy here)."""

from igr_core._src import losses
from igr_core._src.losses import *  # noqa: F401,F403

__all__ = [*losses.__all__]
del losses
