"""Rules on noisy data: monotone trends (Spearman), partial trends and two-group comparisons.

Abstraction: each rule ranks or groups the data, draws its permutation null
(:mod:`~igr_core._src.verdicts.stats`), and decides through the one rule
:func:`~igr_core._src.verdicts.stats.decide`: ``reproduced`` (significant, expected sign, at least
meaningful), ``partly reproduced`` (significant, expected sign, smaller), ``not reproduced``
(significant with the other sign, or an interval that excludes a meaningful effect), else
``inconclusive`` with the reason. A NaN or inf in the data makes the verdict inconclusive,
naming how many values were not finite (data with holes are filtered by the caller, on
purpose and visibly, never here).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Sequence

import numpy as np

from igr_core._src.verdicts.outcomes import (
    ALPHA,
    N_RESAMPLES,
    RHO_MEANINGFUL,
    Outcome,
    Verdict,
    count_nonfinite,
    fmt,
    nonfinite_why,
    tolerance,
)
from igr_core._src.verdicts.stats import (
    decide,
    inverted_interval,
    log_min_p_paired,
    min_p_value,
    p_at,
    pairing_draws,
    permutation_draws,
)

RESIDUAL_FLOOR = 1e-9  # a rank residual below this share of the ranks' spread is rounding, not signal


@dataclasses.dataclass(frozen=True)
class RankTest:
    """How a rank rule tests: its level, the number of re-pairings drawn and their seed, and the
    size of rho it calls meaningful (each default named and argued in ``outcomes``)."""

    alpha: float = ALPHA
    n_resamples: int = N_RESAMPLES
    seed: int = 0
    meaningful: float = RHO_MEANINGFUL


def _check_sign(expected_sign: int) -> None:
    if expected_sign not in (-1, 1):
        raise ValueError(f"`expected_sign` must be -1 or +1, got {expected_sign!r}.")


def _rank_verdict(
    rule: str,
    name: str,
    sign: str,
    ex: np.ndarray,
    ey: np.ndarray,
    expected_sign: int,
    n: int,
    test: RankTest,
) -> Verdict:
    """The shared tail of the rank rules: ``ex``, ``ey`` are unit-norm, centred ranks (or rank
    residuals); rho is their inner product, tested and inverted on one set of re-pairings.
    ``expected_sign`` 0 is a claimed absence of effect: reproduced when the interval lies inside
    (-meaningful, meaningful), not reproduced when a meaningful effect is significant."""
    alpha, meaningful = test.alpha, test.meaningful
    rho = float(ex @ ey)
    s0, c = pairing_draws(ex, ey, test.n_resamples, test.seed)
    p = p_at(0.0, rho, s0, c)
    lo, hi = inverted_interval(rho, s0, c, alpha, 4 * float(np.std(s0)) + 1e-12)
    lo, hi = max(lo, -1.0), min(hi, 1.0)
    if expected_sign == 0:
        if min_p_value(n) > alpha:
            outcome, why = Outcome.INCONCLUSIVE, f"n = {n}: too few points"
        elif -meaningful < lo and hi < meaningful:
            outcome, why = Outcome.REPRODUCED, "the 95% interval excludes a meaningful effect of either sign"
        elif p < alpha and abs(rho) >= meaningful:
            outcome, why = Outcome.NOT_REPRODUCED, f"a significant, meaningful effect (p = {p:.2g})"
        else:
            outcome, why = Outcome.INCONCLUSIVE, "the 95% interval still allows a meaningful effect"
    else:
        weak = f"weak: |rho| = {abs(rho):.2f} < {meaningful:g}, the size this rule calls meaningful"
        outcome, why = decide(rho, p, lo, hi, expected_sign, n, min_p_value(n), meaningful, alpha, small=weak)
    return Verdict(
        outcome=outcome,
        rule=rule,
        measured=f"{name} = {rho:.2f}",
        expected=sign,
        uncertainty=f"p = {p:.2g}, 95% CI [{lo:.2f}, {hi:.2f}] (permutation-inverted)",
        n=n,
        why=why,
        value=rho,
        statistic=f"Spearman's {name}",
        interval=(lo, hi),
        p=p,
        threshold=meaningful,
    )


def _unit(v: np.ndarray) -> np.ndarray:
    v = v - v.mean()
    norm = np.linalg.norm(v)
    return v / norm if norm > 0 else v


def trend(
    x: Sequence[float],
    y: Sequence[float],
    expected_sign: int,
    x_name: str = "x",
    y_name: str = "y",
    test: RankTest = RankTest(),
) -> Verdict:
    """Monotone trend of ``y`` in ``x`` with the expected sign (+1 increasing, -1 decreasing).

    Spearman's rho, two-sided permutation p-value (exact when n! <= n_resamples) and the 95%
    interval from the same draws (the permutation test inverted, see
    :func:`~igr_core._src.verdicts.stats.pairing_draws`), decided by
    :func:`~igr_core._src.verdicts.stats.decide`.
    """
    from scipy.stats import rankdata

    _check_sign(expected_sign)
    x = np.asarray(x, float).ravel()
    y = np.asarray(y, float).ravel()
    if x.shape != y.shape:
        raise ValueError(f"trend: `x` and `y` must have the same length, got {x.size} and {y.size}.")
    n = int(x.size)
    sign = "decreasing (rho < 0)" if expected_sign < 0 else "increasing (rho > 0)"
    undefined = dict(rule="trend", measured=f"rho({x_name}, {y_name}) undefined", expected=sign, n=n)
    bad, total = count_nonfinite(x, y)
    if bad:
        return Verdict(outcome=Outcome.INCONCLUSIVE, why=nonfinite_why(bad, total), **undefined)
    min_p = min_p_value(n)
    if n < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        why = f"n = {n}: the smallest possible p is {min_p:.2g}" if min_p > test.alpha else "no variation to rank"
        return Verdict(outcome=Outcome.INCONCLUSIVE, why=why, **undefined)
    rx, ry = _unit(rankdata(x)), _unit(rankdata(y))
    name = f"rho({x_name}, {y_name})"
    return _rank_verdict("trend", name, sign, rx, ry, expected_sign, n, test)


def partial_trend(
    x: Sequence[float],
    y: Sequence[float],
    z: Sequence[float],
    expected_sign: int,
    x_name: str = "x",
    y_name: str = "y",
    z_name: str = "z",
    test: RankTest = RankTest(),
) -> Verdict:
    """A monotone trend of ``y`` in ``x`` with ``z`` held fixed: the partial Spearman correlation
    (the ranks of x and y, each with its linear dependence on the ranks of z removed), its
    permutation p-value from re-pairing the residuals and the interval from the same draws,
    decided like :func:`trend`. It separates two correlated explanations (R_IG and lambda).
    ``expected_sign=0`` claims *no* partial effect (the paper's chain x -> z -> y predicts
    none): reproduced when the interval excludes a meaningful effect of either sign."""
    from scipy.stats import rankdata

    if expected_sign not in (-1, 0, 1):
        raise ValueError(f"`expected_sign` must be -1, 0 or +1, got {expected_sign!r}.")
    x, y, z = (np.asarray(v, float).ravel() for v in (x, y, z))
    if not (x.shape == y.shape == z.shape):
        raise ValueError("partial_trend: `x`, `y` and `z` must have the same length.")
    n = int(x.size)
    sign = {-1: "decreasing", 0: f"no effect (|rho| < {test.meaningful:g})", 1: "increasing"}[expected_sign]
    sign += f" with {z_name} fixed"
    name = f"partial rho({x_name}, {y_name} | {z_name})"
    undefined = dict(rule="partial trend", measured=f"{name} undefined", expected=sign, n=n)
    bad, total = count_nonfinite(x, y, z)
    if bad:
        return Verdict(outcome=Outcome.INCONCLUSIVE, why=nonfinite_why(bad, total), **undefined)
    if n < 4 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return Verdict(outcome=Outcome.INCONCLUSIVE, why=f"n = {n}: too few points or no variation", **undefined)
    Z = np.column_stack([np.ones(n), rankdata(z)])

    def residual(v):
        r = rankdata(v)
        e = r - Z @ np.linalg.lstsq(Z, r, rcond=None)[0]
        norm = np.linalg.norm(e)
        # what least squares leaves of a function of z is rounding noise, not something to rank
        floor = RESIDUAL_FLOOR * np.linalg.norm(r - r.mean())
        return e / norm if norm > floor else np.zeros_like(e)

    ex, ey = residual(x), residual(y)
    if not (np.linalg.norm(ex) > 0 and np.linalg.norm(ey) > 0):
        why = f"{x_name} or {y_name} is a function of {z_name}: nothing is left to rank"
        return Verdict(outcome=Outcome.INCONCLUSIVE, why=why, **undefined)
    return _rank_verdict("partial trend", name, sign, ex, ey, expected_sign, n, test)


def trend_at_convergence(
    x: Sequence[float],
    y_final: Sequence[float],
    expected_sign: int,
    dtype="float64",
    x_name: str = "x",
    y_name: str = "y",
) -> Verdict:
    """A claimed trend of converged values: when every ``y_final`` agrees to the identity
    tolerance of ``dtype`` (relative spread), ``y`` does not depend on ``x`` at all and the
    claimed trend is not reproduced; otherwise the :func:`trend` rule decides."""
    y = np.asarray(y_final, float).ravel()
    tol = tolerance(dtype)
    if count_nonfinite(y)[0] == 0 and y.size >= 2:
        spread = float(np.ptp(y) / max(abs(float(np.mean(y))), 1e-300))
        if spread <= tol:
            return Verdict(
                outcome=Outcome.NOT_REPRODUCED,
                rule="trend at convergence",
                measured=f"relative spread of {y_name} = {spread:.1e}",
                expected="decreasing (rho < 0)" if expected_sign < 0 else "increasing (rho > 0)",
                uncertainty=f"tol {tol:.1e}",
                n=int(y.size),
                why=f"at convergence {y_name} is the same for every {x_name} (to rounding): no trend exists",
                value=spread,
                statistic=f"relative spread of {y_name}",
                threshold=tol,
            )
    return trend(x, y_final, expected_sign, x_name=x_name, y_name=y_name)


def compare(
    treatment: Sequence[float],
    baseline: Sequence[float],
    expected_sign: int,
    alpha: float = ALPHA,
    paired: bool = False,
    n_resamples: int = N_RESAMPLES,
    seed: int = 0,
    what: str = "difference",
    meaningful: float | None = None,
    meaningful_rel: float | None = None,
) -> Verdict:
    """Two groups: is ``mean(treatment) - mean(baseline)`` of the expected sign, and how large?

    Permutation test (paired: sign flips of the differences; else: group relabelling; exact
    when the arrangements number at most ``n_resamples``) and the 95% interval of the difference
    from the same draws, by inverting the test under a shift model. The effect is also stated
    relative to the baseline's mean magnitude: a significant difference of the expected sign
    is ``reproduced`` when it is at least the smallest effect that counts, and ``partly
    reproduced`` (significant but small, with its size) otherwise; a non-significant one is
    ``not reproduced`` when the interval excludes a meaningful effect of the expected sign.
    The smallest effect is ``meaningful``, in the unit of the difference (points of accuracy,
    say: a claim declares it), or, only where a claim is about a relative size,
    ``meaningful_rel`` of the baseline's mean magnitude; exactly one of the two is given.
    Works at any n (the smallest achievable p is computed in logs).
    """
    _check_sign(expected_sign)
    if (meaningful is None) == (meaningful_rel is None):
        raise ValueError(
            "compare: give exactly one of `meaningful` (the smallest effect, in the unit of the difference) "
            f"and `meaningful_rel` (a share of the baseline), got {meaningful!r} and {meaningful_rel!r}."
        )
    if not (meaningful if meaningful is not None else meaningful_rel) >= 0:
        raise ValueError("compare: the smallest effect (`meaningful` or `meaningful_rel`) must be non-negative.")
    a = np.asarray(treatment, float).ravel()
    b = np.asarray(baseline, float).ravel()
    if paired and a.shape != b.shape:
        raise ValueError("compare(paired=True): both groups need the same length.")
    sign = "> 0" if expected_sign > 0 else "< 0"
    bad, total = count_nonfinite(a, b)
    if bad:
        return Verdict(
            outcome=Outcome.INCONCLUSIVE,
            rule="compare",
            measured=f"{what}: not computed",
            expected=sign,
            n=total,
            why=nonfinite_why(bad, total),
        )
    if paired:
        n = int(a.size)
        min_p = 1.0 if n == 0 else min(1.0, math.exp(log_min_p_paired(n)))
        diff = float(np.mean(a - b)) if n else float("nan")
    else:
        n = int(a.size + b.size)
        log_comb = (math.lgamma(n + 1) - math.lgamma(a.size + 1) - math.lgamma(b.size + 1)) if n else 0.0
        min_p = 1.0 if min(a.size, b.size) == 0 else min(1.0, math.exp(math.log(2.0) - log_comb))
        diff = float(np.mean(a) - np.mean(b)) if a.size and b.size else float("nan")
    scale = max(abs(float(np.mean(b))) if b.size else 0.0, 1e-300)
    relative = meaningful is None
    meaningful = meaningful_rel * scale if relative else float(meaningful)
    rel = diff / scale if np.isfinite(diff) else float("nan")
    smallest = (
        f"at least {meaningful_rel:.0%} of the baseline's mean magnitude ({fmt(meaningful)})"
        if relative
        else f"at least {fmt(meaningful)}"
    )
    base = dict(
        rule="compare",
        measured=f"{what} = {fmt(diff)} ({rel:+.1%} of the baseline)",
        expected=f"{sign}, {smallest}",
        n=n,
        value=diff,
        statistic=what,
        threshold=meaningful,
    )
    if min_p > alpha or not np.isfinite(diff):
        why = f"n = {n}: the smallest possible p is {min_p:.2g} > alpha = {alpha}"
        return Verdict(outcome=Outcome.INCONCLUSIVE, why=why, **base)
    s0, c = permutation_draws(a, b, paired, n_resamples, seed)
    p = p_at(0.0, diff, s0, c)
    spread = float(np.std(s0)) if s0.size else abs(diff)
    lo, hi = inverted_interval(diff, s0, c, alpha, 4 * spread + 1e-300)
    small = (
        f"small: {abs(rel):.1%} of the baseline, below the {meaningful_rel:.0%} this rule calls meaningful"
        if relative
        else f"small: |difference| = {fmt(abs(diff))} < {fmt(meaningful)}, the smallest effect that counts"
    )
    outcome, why = decide(diff, p, lo, hi, expected_sign, n, min_p, meaningful, alpha, effect="difference", small=small)
    unc = f"p = {p:.2g}, 95% CI [{fmt(lo)}, {fmt(hi)}] (permutation-inverted)"
    return Verdict(outcome=outcome, uncertainty=unc, why=why, interval=(lo, hi), p=p, **base)
