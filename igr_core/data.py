"""MNIST, Fashion-MNIST and CIFAR-10 through tensorflow-datasets with offline fallbacks. See :mod:`igr_core._src.data`.

The public names are the implementation's ``__all__`` (one list, no copy here)."""

from igr_core._src import data
from igr_core._src.data import *  # noqa: F401,F403

__all__ = [*data.__all__]
del data
