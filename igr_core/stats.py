"""Rank correlations with permutation p-values for verdicts. See :mod:`igr_core._src.stats`."""
from igr_core._src.stats import spearman_permutation, trend_verdict

__all__ = ["spearman_permutation", "trend_verdict"]
