"""Permutation statistics behind the trend and comparison rules (no verdicts here).

Abstraction: exact or Monte-Carlo permutation draws for Spearman's rho (re-pairings) and for
a difference of means (relabellings or sign flips), the two-sided p-value at a shift, and the
95% interval by inverting the test on the same draws; :func:`decide` turns a statistic, its
p-value and interval into an outcome, one rule for every test.
"""

from __future__ import annotations

import math

import numpy as np

from igr_core._src.verdicts.outcomes import Outcome


def min_p_value(n: int) -> float:
    """Smallest two-sided permutation p-value achievable with ``n`` pairs (no ties): 2 / n!."""
    if n < 2:
        return 1.0
    return min(1.0, 2.0 / math.factorial(n)) if n <= 20 else 0.0


def min_n(alpha: float) -> int:
    """The fewest pairs whose smallest permutation p-value (:func:`min_p_value`) passes ``alpha``:
    the minimum n of every rank rule, derived once from its level (5 at alpha = 0.05: 2/5! < 0.05)."""
    if not 0 < alpha < 1:
        raise ValueError(f"`alpha` must be in (0, 1), got {alpha!r}.")
    n = 2
    while min_p_value(n) > alpha:
        n += 1
    return n


def decide(
    stat: float,
    p: float,
    lo: float,
    hi: float,
    expected_sign: int,
    n: int,
    min_p: float,
    meaningful: float,
    alpha: float,
    effect: str = "trend",
    small: str = "",
) -> tuple[str, str]:
    """The outcome of a test statistic ``stat`` (p-value ``p``, 95% interval [lo, hi]) against
    the expected sign and the size this rule calls ``meaningful``: one rule for every test.
    Significant, expected sign and at least meaningful: reproduced; significant and expected
    sign but smaller: partly reproduced (``small`` says how small, in the caller's units);
    significant with the other sign, or an interval that excludes a meaningful effect of the
    expected sign: not reproduced; else inconclusive, with the reason."""
    s = int(np.sign(expected_sign))
    if min_p > alpha:
        return Outcome.INCONCLUSIVE, f"n = {n}: the smallest possible p is {min_p:.2g} > alpha = {alpha}"
    if not np.isfinite(stat) or not np.isfinite(p):
        return Outcome.INCONCLUSIVE, "no variation to rank (constant values)"
    if p < alpha:
        if np.sign(stat) == s and abs(stat) < meaningful:
            return Outcome.PARTLY, (
                f"significant and of the expected sign (p = {p:.2g}), but "
                + (
                    small
                    or f"small: |{effect}| = {abs(stat):.2g} < {meaningful:.3g}, the size this rule calls meaningful"
                )
            )
        if np.sign(stat) == s:
            return Outcome.REPRODUCED, f"significant {effect} of the expected sign (p = {p:.2g} < {alpha})"
        return Outcome.NOT_REPRODUCED, f"significant {effect} of the opposite sign (p = {p:.2g})"
    # not significant: can the data exclude a meaningful effect of the expected sign?
    best_case = hi if s > 0 else -lo
    if best_case < meaningful:
        return Outcome.NOT_REPRODUCED, (
            f"no significant {effect} (p = {p:.2g}) and the 95% interval excludes an effect "
            f"of the expected sign larger than {meaningful:.3g}"
        )
    return Outcome.INCONCLUSIVE, f"no significant {effect} (p = {p:.2g}), but the 95% interval still allows one"


class Enumeration(np.ndarray):
    """Null draws that enumerate every arrangement, the observed one among them (the identity):
    their p-value is the exact count / N. Monte-Carlo draws (plain arrays) count the observed
    statistic once more, (count + 1) / (N + 1), as scipy does."""


def _enumerated(values) -> Enumeration:
    return np.asarray(values, float).view(Enumeration)


def pairing_draws(rx: np.ndarray, ry: np.ndarray, n_resamples: int, seed: int):
    """Null draws for Spearman's rho on standardized ranks: for each re-pairing pi,
    (sum rx[pi] ry, sum rx[pi] rx). Under H0: "ry - beta rx is exchangeable against rx" the
    resampled statistic is ``s0 - beta c`` and the observed one ``rho - beta`` (unit-norm ranks,
    so beta, the rank-regression slope, equals rho at the estimate): one set of draws gives the
    p-value (beta = 0) and, inverted, the interval. Exact enumeration when n! <= n_resamples."""
    from itertools import permutations

    n = rx.size
    if math.factorial(n) <= n_resamples:
        perms = np.array(list(permutations(range(n))))
        return _enumerated(rx[perms] @ ry), _enumerated(rx[perms] @ rx)
    rng = np.random.default_rng(seed)
    s0, c = [], []
    for start in range(0, n_resamples, 256):
        k = min(256, n_resamples - start)
        perms = np.argsort(rng.random((k, n)), axis=1)
        s0.append(rx[perms] @ ry)
        c.append(rx[perms] @ rx)
    return np.concatenate(s0), np.concatenate(c)


def log_min_p_paired(n: int) -> float:
    """log of the smallest two-sided sign-flip p-value with ``n`` differences, 2 / 2^n (in logs:
    2^n overflows a float beyond n = 1023)."""
    return math.log(2.0) - n * math.log(2.0)


def permutation_draws(a: np.ndarray, b: np.ndarray, paired: bool, n_resamples: int, seed: int):
    """(null statistics at shift 0, their sensitivity to a shift delta): under a shift model
    (treatment - delta against baseline) every resampled statistic is ``s0 - delta * c``, so one
    set of draws serves the test and its inversion. Exact enumeration when there are at most
    ``n_resamples`` arrangements; draws are made in batches (memory stays O(batch * n))."""
    rng = np.random.default_rng(seed)
    if paired:
        d = a - b
        n = d.size
        if n <= 16 and 2**n <= n_resamples:
            signs = 1 - 2 * ((np.arange(2**n)[:, None] >> np.arange(n)) & 1)
            return _enumerated(signs @ d / n), _enumerated(signs.mean(axis=1))
        s0, c = [], []
        for start in range(0, n_resamples, 256):
            k = min(256, n_resamples - start)
            signs = rng.choice((-1.0, 1.0), size=(k, n))
            s0.append(signs @ d / n)
            c.append(signs.mean(axis=1))
        return np.concatenate(s0), np.concatenate(c)
    z = np.concatenate([a, b])
    na, n = a.size, z.size
    s0, c = [], []
    if math.comb(n, na) <= n_resamples:
        from itertools import combinations

        for idx in combinations(range(n), na):
            mask = np.zeros(n, bool)
            mask[list(idx)] = True
            k = int(mask[:na].sum())
            s0.append(z[mask].mean() - z[~mask].mean())
            c.append(k / na - (na - k) / (n - na))
        return _enumerated(s0), _enumerated(c)
    for start in range(0, n_resamples, 256):
        k = min(256, n_resamples - start)
        perms = np.argsort(rng.random((k, n)), axis=1)
        in_a = perms[:, :na]
        s0.append(z[in_a].mean(axis=1) - (z.sum() - z[in_a].sum(axis=1)) / (n - na))
        ka = (in_a < na).sum(axis=1)
        c.append(ka / na - (na - ka) / (n - na))
    return np.concatenate(s0), np.concatenate(c)


def p_at(delta: float, diff: float, s0: np.ndarray, c: np.ndarray) -> float:
    """Two-sided permutation p-value of H0: true difference = ``delta``: count / N over an
    exact enumeration (:class:`Enumeration`, which holds the observed arrangement), else
    (count + 1) / (N + 1), the observed statistic counted among Monte-Carlo draws as scipy does."""
    null = np.abs(np.asarray(s0) - delta * np.asarray(c))
    obs = abs(diff - delta) * (1 - 1e-12)
    count = np.count_nonzero(null >= obs)
    if isinstance(s0, Enumeration):
        return float(count / null.size)
    return float((count + 1) / (null.size + 1))


def inverted_interval(diff: float, s0, c, alpha: float, width: float) -> tuple[float, float]:
    """The shifts delta the permutation test does not reject at ``alpha``: the 1 - alpha
    interval from the same draws as the p-value (bisection on each side of ``diff``)."""
    width = max(width, abs(diff), 1e-300)

    def edge(direction: int) -> float:
        inside, step = diff, width
        out = diff + direction * step
        while p_at(out, diff, s0, c) >= alpha and step < 1e6 * width:
            inside, step = out, step * 2
            out = diff + direction * step
        if p_at(out, diff, s0, c) >= alpha:
            return float(direction * np.inf)
        for _ in range(60):
            mid = 0.5 * (inside + out)
            if p_at(mid, diff, s0, c) >= alpha:
                inside = mid
            else:
                out = mid
        return float(inside)

    return edge(-1), edge(+1)
