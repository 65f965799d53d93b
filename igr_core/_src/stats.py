"""Small statistics for verdicts: rank correlations with permutation p-values.

Abstraction: every verdict about a trend ("R_IG decreases with lambda") is a Spearman rank
correlation with a two-sided permutation p-value, so that a handful of networks at smoke
scale gives an honest uncertainty instead of a yes/no.
"""
from __future__ import annotations

import numpy as np
from scipy.stats import rankdata


def spearman_permutation(x, y, n_perm: int = 10_000, seed: int = 0) -> tuple[float, float, int]:
    """Spearman's rho between ``x`` and ``y`` and a two-sided permutation p-value.

    Returns (rho, p, n). NaN pairs are dropped; with fewer than 3 pairs rho and p are NaN.
    The p-value counts permutations with |rho_perm| >= |rho| (plus one, Phipson & Smyth).
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    n = int(x.size)
    if n < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan"), float("nan"), n
    rx, ry = rankdata(x), rankdata(y)
    rx = (rx - rx.mean()) / np.linalg.norm(rx - rx.mean())
    ry = (ry - ry.mean()) / np.linalg.norm(ry - ry.mean())
    rho = float(rx @ ry)
    rng = np.random.default_rng(seed)
    perms = np.stack([rng.permutation(ry) for _ in range(n_perm)])
    null = perms @ rx
    p = (1 + np.sum(np.abs(null) >= abs(rho) - 1e-12)) / (n_perm + 1)
    return rho, float(p), n


def trend_verdict(rho: float, p: float, expected_sign: int, alpha: float = 0.05) -> str:
    """'reproduced' for a significant trend of the expected sign, 'not reproduced' for a
    significant opposite trend, 'inconclusive' otherwise (too weak to decide)."""
    if not np.isfinite(rho) or not np.isfinite(p):
        return "inconclusive"
    if p < alpha:
        return "reproduced" if np.sign(rho) == np.sign(expected_sign) else "not reproduced"
    return "inconclusive"


__all__ = ["spearman_permutation", "trend_verdict"]
