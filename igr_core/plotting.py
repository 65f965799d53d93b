"""The book's plotting style and one function per figure. See :mod:`igr_core._src.plotting`."""
from igr_core._src.plotting import *  # noqa: F401,F403
from igr_core._src.plotting import __all__  # noqa: F401
