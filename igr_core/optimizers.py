"""Modified equations of common optimizers (momentum, Adam/RMSProp, SGD with reshuffling) and
an optimizer-agnostic global-error measurement. See :mod:`igr_core._src.optimizers`.

The public names are the implementation's ``__all__`` (one list, no copy here)."""

from igr_core._src import optimizers
from igr_core._src.optimizers import *  # noqa: F401,F403

__all__ = [*optimizers.__all__]
del optimizers
