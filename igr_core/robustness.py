"""Multiplicative parameter noise: slope and accuracy under noise. See :mod:`igr_core._src.robustness`."""
from igr_core._src.robustness import noise_study, perturb, summarize

__all__ = ["perturb", "noise_study", "summarize"]
