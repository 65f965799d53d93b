"""Acceptance rules: the only place where a measurement becomes a verdict.

Abstraction: a *rule* takes measured numbers (and what the paper predicts) and returns a
:class:`Verdict` that carries its evidence: the measured value, the expected value or sign,
the uncertainty, the number of observations, and a sentence saying why. Every threshold of
the book is a module constant here; notebooks and experiment modules never type one.

Rules (each tested with data that must pass and data that must fail):

* :func:`order` -- a fitted log-log slope (convergence order) within :data:`ORDER_TOL` of the
  expected order, with the slope's standard error reported;
* :func:`identity` -- relative errors between two routes below a dtype-aware tolerance
  (:data:`IDENTITY_ULPS` units of the dtype's machine epsilon);
* :func:`bound` -- an inequality holding at every observation (to the same tolerance);
* :func:`trend` -- a monotone trend of an expected sign: Spearman's rho with an exact or
  Monte-Carlo permutation p-value and the 95% interval from the same draws (the test
  inverted); ``inconclusive`` when n is too small for the smallest achievable p to pass
  :data:`ALPHA`, or when the interval cannot exclude a meaningful effect; ``partly
  reproduced`` when significant but weaker than :data:`RHO_MEANINGFUL`;
* :func:`compare` -- two groups (a treatment against a baseline), difference of means with a
  permutation p-value and a permutation-inverted interval, its size stated relative to the
  baseline, decided like :func:`trend`;
* :func:`agreement` -- a measured value against a prediction within a relative tolerance;
* :func:`toward` -- a value that should reach a target: reproduced at the target, partly when
  it moved toward it from a reference;
* :func:`erratum` -- the paper's printed form fails where the corrected form holds;
* :func:`combine` -- several verdicts on one claim (all must agree for ``reproduced``).
"""

from __future__ import annotations

import math
from typing import NamedTuple, Sequence

import numpy as np

OUTCOMES = ("reproduced", "partly reproduced", "not reproduced", "inconclusive", "erratum confirmed")

ALPHA = 0.05  # significance level of every permutation test
ORDER_TOL = 0.25  # |measured slope - expected order| accepted for a convergence order
IDENTITY_ULPS = 1e4  # an identity holds when the relative error is below this many machine epsilons
RHO_MEANINGFUL = 0.3  # a trend weaker than this |rho| is not a meaningful effect
ERRATUM_MIN_ERROR = 1e-3  # the printed form must be off by at least this (relative) to be an erratum
AGREEMENT_REL_TOL = 0.5  # a measured value agrees with a prediction within this relative distance
EXPLAINED_RESIDUAL = 0.1  # a fitted regularizer explains weights that it leaves less than this share of -grad L
GAIN_LOST_RATIO = 0.5  # a modified equation "stops helping" once it no longer halves the error it explains
N_RESAMPLES = 9999  # permutations for Monte-Carlo p-values (exact enumeration when fewer exist)


class Verdict(NamedTuple):
    outcome: str  # one of OUTCOMES
    rule: str  # which rule decided
    measured: str  # the measured value(s), formatted
    expected: str  # the expected value, sign or bound
    uncertainty: str  # standard error, interval, p-value or tolerance
    n: int  # number of observations behind the measurement
    why: str  # one sentence: why this outcome (required for inconclusive)
    value: float = float("nan")  # the headline measured number (for glue and comparisons)


def _g(x, digits: int = 3) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "nan"
    return f"{x:.{digits}g}"


ROUTES = ("exact", "finite_difference", "forward_difference")
_ROUTE_POWER = {"exact": 1.0, "finite_difference": 2.0 / 3.0, "forward_difference": 0.5}


def tolerance(dtype, route: str = "exact") -> float:
    """Relative tolerance of an identity computed in ``dtype``: IDENTITY_ULPS times the error
    scale of the route: eps for exact (autodiff, closed form, factorization) routes,
    eps^(2/3), the optimal accuracy of a central difference, for ``"finite_difference"``, and
    eps^(1/2), the optimal accuracy of a one-sided difference (the finite-difference EGR
    product, :func:`~igr_core.regularizers.hessian_gradient_product`), for
    ``"forward_difference"``."""
    if route not in ROUTES:
        raise ValueError(f"`route` must be one of {ROUTES}, got {route!r}.")
    eps = float(np.finfo(np.dtype(dtype)).eps)
    return float(IDENTITY_ULPS * eps ** _ROUTE_POWER[route])


# ------------------------------------------------------------------------------- orders


def order(
    slopes: Sequence[float],
    stderrs: Sequence[float],
    expected: float,
    n: int,
    tol: float = ORDER_TOL,
    labels: Sequence[str] | None = None,
) -> Verdict:
    """Fitted convergence orders (one per problem) against the expected order.

    ``stderrs`` are the slopes' standard errors from the fit, ``n`` the step sizes per fit.
    Reproduced when every slope is within ``tol`` of ``expected``; a fit on fewer than three
    step sizes has no error estimate and is inconclusive.
    """
    slopes = np.asarray(slopes, float)
    stderrs = np.asarray(stderrs, float)
    labels = list(labels) if labels is not None else [f"#{i}" for i in range(slopes.size)]
    measured = ", ".join(f"{lab}: {s:.2f}" for lab, s in zip(labels, slopes))
    unc = ", ".join(f"{lab}: ±{e:.2g}" for lab, e in zip(labels, stderrs)) + f" (tol ±{tol})"
    worst = float(slopes[np.argmax(np.abs(slopes - expected))]) if slopes.size else float("nan")
    if n < 3 or slopes.size == 0 or not np.all(np.isfinite(slopes)):
        return Verdict(
            "inconclusive",
            "order",
            measured,
            f"{expected:g}",
            unc,
            n,
            f"a slope needs at least 3 finite step sizes (got {n})",
            worst,
        )
    off = np.abs(slopes - expected)
    if np.all(off <= tol):
        return Verdict(
            "reproduced", "order", measured, f"{expected:g}", unc, n, f"every slope within {tol} of {expected:g}", worst
        )
    return Verdict(
        "not reproduced",
        "order",
        measured,
        f"{expected:g}",
        unc,
        n,
        f"slope {worst:.2f} is {np.max(off):.2f} away from {expected:g} (tol {tol})",
        worst,
    )


# ---------------------------------------------------------------------------- identities


def identity(
    rel_errors: Sequence[float], dtype="float64", what: str = "relative error", route: str = "exact"
) -> Verdict:
    """Two routes to the same quantity agree: max relative error below :func:`tolerance`
    (of the less accurate ``route``)."""
    e = np.abs(np.asarray(rel_errors, float)).ravel()
    tol = tolerance(dtype, route)
    worst = float(np.max(e)) if e.size else float("nan")
    base = dict(
        rule="identity",
        measured=f"max {what} {worst:.1e}",
        expected="0",
        uncertainty=f"tol {tol:.1e} ({route} route, {np.dtype(dtype).name})",
        n=int(e.size),
        value=worst,
    )
    if e.size == 0 or not np.all(np.isfinite(e)):
        return Verdict("inconclusive", why="no finite errors to judge", **base)
    if worst <= tol:
        return Verdict("reproduced", why=f"every error below {tol:.1e}", **base)
    return Verdict("not reproduced", why=f"error {worst:.1e} exceeds {tol:.1e}", **base)


def bound(values: Sequence[float], upper: float, dtype="float64", what: str = "value") -> Verdict:
    """An inequality ``value <= upper`` at every observation (rounding tolerance of ``dtype``)."""
    v = np.asarray(values, float).ravel()
    v = v[np.isfinite(v)]
    tol = tolerance(dtype)
    worst = float(np.max(v)) if v.size else float("nan")
    base = dict(
        rule="bound",
        measured=f"max {what} {worst:.6g}",
        expected=f"<= {upper:g}",
        uncertainty=f"tol {tol:.1e} (relative)",
        n=int(v.size),
        value=worst,
    )
    if v.size == 0:
        return Verdict("inconclusive", why="no finite observations", **base)
    if worst <= upper * (1 + tol):
        return Verdict("reproduced", why=f"all {v.size} observations within the bound", **base)
    return Verdict("not reproduced", why=f"{int(np.sum(v > upper * (1 + tol)))} observations exceed {upper:g}", **base)


def erratum(printed_error: float, corrected_error: float, dtype="float64", what: str = "") -> Verdict:
    """The paper's printed form is off (relative error at least :data:`ERRATUM_MIN_ERROR`) where
    the corrected form holds as an identity (:func:`tolerance`)."""
    tol = tolerance(dtype)
    base = dict(
        rule="erratum",
        measured=f"printed off by {printed_error:.2g}; corrected off by {corrected_error:.1e}"
        + (f" ({what})" if what else ""),
        expected=f"printed >= {ERRATUM_MIN_ERROR:g}, corrected <= {tol:.1e}",
        uncertainty=f"tol {tol:.1e}",
        n=1,
        value=float(printed_error),
    )
    if not (np.isfinite(printed_error) and np.isfinite(corrected_error)):
        return Verdict("inconclusive", why="a non-finite error", **base)
    if corrected_error > tol:
        return Verdict("inconclusive", why="the corrected form does not hold either", **base)
    if printed_error >= ERRATUM_MIN_ERROR:
        return Verdict("erratum confirmed", why="the printed form fails where the corrected one holds", **base)
    return Verdict("not reproduced", why="the printed form holds too: no erratum here", **base)


# -------------------------------------------------------------------------------- trends


def min_p_value(n: int) -> float:
    """Smallest two-sided permutation p-value achievable with ``n`` pairs (no ties): 2 / n!."""
    if n < 2:
        return 1.0
    return min(1.0, 2.0 / math.factorial(n)) if n <= 20 else 0.0


def _decide(
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
        return "inconclusive", f"n = {n}: the smallest possible p is {min_p:.2g} > alpha = {alpha}"
    if not np.isfinite(stat) or not np.isfinite(p):
        return "inconclusive", "no variation to rank (constant values)"
    if p < alpha:
        if np.sign(stat) == s and abs(stat) < meaningful:
            return "partly reproduced", (
                f"significant and of the expected sign (p = {p:.2g}), but "
                + (
                    small
                    or f"small: |{effect}| = {abs(stat):.2g} < {meaningful:.3g}, the size this rule calls meaningful"
                )
            )
        if np.sign(stat) == s:
            return "reproduced", f"significant {effect} of the expected sign (p = {p:.2g} < {alpha})"
        return "not reproduced", f"significant {effect} of the opposite sign (p = {p:.2g})"
    # not significant: can the data exclude a meaningful effect of the expected sign?
    best_case = hi if s > 0 else -lo
    if best_case < meaningful:
        return "not reproduced", (
            f"no significant {effect} (p = {p:.2g}) and the 95% interval excludes an effect "
            f"of the expected sign larger than {meaningful:.3g}"
        )
    return "inconclusive", f"no significant {effect} (p = {p:.2g}), but the 95% interval still allows one"


def trend(
    x: Sequence[float],
    y: Sequence[float],
    expected_sign: int,
    alpha: float = ALPHA,
    n_resamples: int = N_RESAMPLES,
    seed: int = 0,
    meaningful: float = RHO_MEANINGFUL,
    x_name: str = "x",
    y_name: str = "y",
) -> Verdict:
    """Monotone trend of ``y`` in ``x`` with the expected sign (+1 increasing, -1 decreasing).

    Spearman's rho, two-sided permutation p-value (exact when n! <= n_resamples) and the 95%
    interval from the same draws (the permutation test inverted, see :func:`_pairing_draws`).
    Pairs with a non-finite entry are dropped. Outcomes: ``reproduced`` (p < alpha, expected
    sign, |rho| at least ``meaningful``), ``partly reproduced`` (significant, expected sign, but
    weaker than ``meaningful``), ``not reproduced`` (p < alpha with the other sign, or an
    interval that excludes a meaningful effect of the expected sign), else ``inconclusive`` with
    the reason (n too small for any p below alpha, or an interval that still allows an effect).
    """
    from scipy.stats import rankdata

    if expected_sign not in (-1, 1):
        raise ValueError(f"`expected_sign` must be -1 or +1, got {expected_sign!r}.")
    x = np.asarray(x, float).ravel()
    y = np.asarray(y, float).ravel()
    if x.shape != y.shape:
        raise ValueError(f"trend: `x` and `y` must have the same length, got {x.size} and {y.size}.")
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    n = int(x.size)
    sign = "decreasing (rho < 0)" if expected_sign < 0 else "increasing (rho > 0)"
    min_p = min_p_value(n)
    if n < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        why = (
            f"n = {n}: the smallest possible p is {min_p:.2g}"
            if min_p > alpha
            else "no variation to rank (constant values)"
        )
        return Verdict("inconclusive", "trend", f"rho({x_name}, {y_name}) undefined", sign, "", n, why)
    rx, ry = rankdata(x), rankdata(y)
    rx = (rx - rx.mean()) / np.linalg.norm(rx - rx.mean())
    ry = (ry - ry.mean()) / np.linalg.norm(ry - ry.mean())
    rho = float(rx @ ry)
    s0, c = _pairing_draws(rx, ry, n_resamples, seed)
    p = _p_at(0.0, rho, s0, c)
    lo, hi = _inverted_interval(rho, s0, c, alpha, 4 * float(np.std(s0)) + 1e-12)
    lo, hi = max(lo, -1.0), min(hi, 1.0)
    weak = f"weak: |rho| = {abs(rho):.2f} < {meaningful:g}, the size this rule calls meaningful"
    outcome, why = _decide(rho, p, lo, hi, expected_sign, n, min_p, meaningful, alpha, small=weak)
    return Verdict(
        outcome,
        "trend",
        f"rho({x_name}, {y_name}) = {rho:.2f}",
        sign,
        f"p = {p:.2g}, 95% CI [{lo:.2f}, {hi:.2f}] (permutation-inverted)",
        n,
        why,
        rho,
    )


def partial_trend(
    x: Sequence[float],
    y: Sequence[float],
    z: Sequence[float],
    expected_sign: int,
    alpha: float = ALPHA,
    n_resamples: int = N_RESAMPLES,
    seed: int = 0,
    meaningful: float = RHO_MEANINGFUL,
    x_name: str = "x",
    y_name: str = "y",
    z_name: str = "z",
) -> Verdict:
    """A monotone trend of ``y`` in ``x`` with ``z`` held fixed: the partial Spearman correlation
    (the ranks of x and y, each with its linear dependence on the ranks of z removed), its
    permutation p-value from re-pairing the residuals and the interval from the same draws,
    decided like :func:`trend`. It separates two correlated explanations (R_IG and lambda)."""
    from scipy.stats import rankdata

    if expected_sign not in (-1, 1):
        raise ValueError(f"`expected_sign` must be -1 or +1, got {expected_sign!r}.")
    x, y, z = (np.asarray(v, float).ravel() for v in (x, y, z))
    if not (x.shape == y.shape == z.shape):
        raise ValueError("partial_trend: `x`, `y` and `z` must have the same length.")
    ok = np.isfinite(x) & np.isfinite(y) & np.isfinite(z)
    x, y, z = x[ok], y[ok], z[ok]
    n = int(x.size)
    sign = ("decreasing" if expected_sign < 0 else "increasing") + f" with {z_name} fixed"
    name = f"partial rho({x_name}, {y_name} | {z_name})"
    min_p = min_p_value(n)
    if n < 4 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return Verdict(
            "inconclusive",
            "partial trend",
            f"{name} undefined",
            sign,
            "",
            n,
            f"n = {n}: too few points or no variation",
        )
    Z = np.column_stack([np.ones(n), rankdata(z)])

    def residual(v):
        r = rankdata(v)
        e = r - Z @ np.linalg.lstsq(Z, r, rcond=None)[0]
        norm = np.linalg.norm(e)
        return e / norm if norm > 0 else e

    ex, ey = residual(x), residual(y)
    if not (np.linalg.norm(ex) > 0 and np.linalg.norm(ey) > 0):
        return Verdict(
            "inconclusive",
            "partial trend",
            f"{name} undefined",
            sign,
            "",
            n,
            f"{x_name} or {y_name} is a function of {z_name}: nothing is left to rank",
        )
    rho = float(ex @ ey)
    s0, c = _pairing_draws(ex, ey, n_resamples, seed)
    p = _p_at(0.0, rho, s0, c)
    lo, hi = _inverted_interval(rho, s0, c, alpha, 4 * float(np.std(s0)) + 1e-12)
    lo, hi = max(lo, -1.0), min(hi, 1.0)
    weak = f"weak: |rho| = {abs(rho):.2f} < {meaningful:g}, the size this rule calls meaningful"
    outcome, why = _decide(rho, p, lo, hi, expected_sign, n, min_p, meaningful, alpha, small=weak)
    return Verdict(
        outcome,
        "partial trend",
        f"{name} = {rho:.2f}",
        sign,
        f"p = {p:.2g}, 95% CI [{lo:.2f}, {hi:.2f}] (permutation-inverted)",
        n,
        why,
        rho,
    )


def _pairing_draws(rx: np.ndarray, ry: np.ndarray, n_resamples: int, seed: int):
    """Null draws for Spearman's rho on standardized ranks: for each re-pairing pi,
    (sum rx[pi] ry, sum rx[pi] rx). Under H0: "ry - beta rx is exchangeable against rx" the
    resampled statistic is ``s0 - beta c`` and the observed one ``rho - beta`` (unit-norm ranks,
    so beta, the rank-regression slope, equals rho at the estimate): one set of draws gives the
    p-value (beta = 0) and, inverted, the interval. Exact enumeration when n! <= n_resamples."""
    from itertools import permutations

    n = rx.size
    if math.factorial(n) <= n_resamples:
        perms = np.array(list(permutations(range(n))))
        return rx[perms] @ ry, rx[perms] @ rx
    rng = np.random.default_rng(seed)
    s0, c = [], []
    for start in range(0, n_resamples, 256):
        k = min(256, n_resamples - start)
        perms = np.argsort(rng.random((k, n)), axis=1)
        s0.append(rx[perms] @ ry)
        c.append(rx[perms] @ rx)
    return np.concatenate(s0), np.concatenate(c)


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
    y = y[np.isfinite(y)]
    tol = tolerance(dtype)
    spread = float(np.ptp(y) / max(abs(float(np.mean(y))), 1e-300)) if y.size else float("nan")
    if y.size >= 2 and spread <= tol:
        sign = "decreasing (rho < 0)" if expected_sign < 0 else "increasing (rho > 0)"
        return Verdict(
            "not reproduced",
            "trend at convergence",
            f"relative spread of {y_name} = {spread:.1e}",
            sign,
            f"tol {tol:.1e}",
            int(y.size),
            f"at convergence {y_name} is the same for every {x_name} (to rounding): no trend exists",
            spread,
        )
    return trend(x, y_final, expected_sign, x_name=x_name, y_name=y_name)


def _log_min_p_paired(n: int) -> float:
    """log of the smallest two-sided sign-flip p-value with ``n`` differences, 2 / 2^n (in logs:
    2^n overflows a float beyond n = 1023)."""
    return math.log(2.0) - n * math.log(2.0)


def _permutation_draws(a: np.ndarray, b: np.ndarray, paired: bool, n_resamples: int, seed: int):
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
            return signs @ d / n, signs.mean(axis=1)
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
        return np.asarray(s0), np.asarray(c)
    for start in range(0, n_resamples, 256):
        k = min(256, n_resamples - start)
        perms = np.argsort(rng.random((k, n)), axis=1)
        in_a = perms[:, :na]
        s0.append(z[in_a].mean(axis=1) - (z.sum() - z[in_a].sum(axis=1)) / (n - na))
        ka = (in_a < na).sum(axis=1)
        c.append(ka / na - (na - ka) / (n - na))
    return np.concatenate(s0), np.concatenate(c)


def _p_at(delta: float, diff: float, s0: np.ndarray, c: np.ndarray) -> float:
    """Two-sided permutation p-value of H0: true difference = ``delta`` (the observed statistic
    counted among the draws, as scipy does for Monte-Carlo tests)."""
    null = np.abs(s0 - delta * c)
    obs = abs(diff - delta) * (1 - 1e-12)
    return float((np.count_nonzero(null >= obs) + 1) / (null.size + 1))


def _inverted_interval(diff: float, s0, c, alpha: float, width: float) -> tuple[float, float]:
    """The shifts delta the permutation test does not reject at ``alpha``: the 1 - alpha
    interval from the same draws as the p-value (bisection on each side of ``diff``)."""
    width = max(width, abs(diff), 1e-300)

    def edge(direction: int) -> float:
        inside, step = diff, width
        out = diff + direction * step
        while _p_at(out, diff, s0, c) >= alpha and step < 1e6 * width:
            inside, step = out, step * 2
            out = diff + direction * step
        if _p_at(out, diff, s0, c) >= alpha:
            return float(direction * np.inf)
        for _ in range(60):
            mid = 0.5 * (inside + out)
            if _p_at(mid, diff, s0, c) >= alpha:
                inside = mid
            else:
                out = mid
        return float(inside)

    return edge(-1), edge(+1)


def compare(
    treatment: Sequence[float],
    baseline: Sequence[float],
    expected_sign: int,
    alpha: float = ALPHA,
    paired: bool = False,
    n_resamples: int = N_RESAMPLES,
    seed: int = 0,
    what: str = "difference",
    meaningful_rel: float = 0.1,
) -> Verdict:
    """Two groups: is ``mean(treatment) - mean(baseline)`` of the expected sign, and how large?

    Permutation test (paired: sign flips of the differences; else: group relabelling; exact
    when the arrangements number at most ``n_resamples``) and the 95% interval of the difference
    from the same draws, by inverting the test under a shift model. The effect is also stated
    relative to the baseline's mean magnitude: a significant difference of the expected sign
    is ``reproduced`` when it is at least ``meaningful_rel`` of that magnitude, and ``partly
    reproduced`` (significant but small, with its size) otherwise; a non-significant one is
    ``not reproduced`` when the interval excludes a meaningful effect of the expected sign.
    Works at any n (the smallest achievable p is computed in logs).
    """
    if expected_sign not in (-1, 1):
        raise ValueError(f"`expected_sign` must be -1 or +1, got {expected_sign!r}.")
    a = np.asarray(treatment, float).ravel()
    b = np.asarray(baseline, float).ravel()
    if paired:
        if a.shape != b.shape:
            raise ValueError("compare(paired=True): both groups need the same length.")
        ok = np.isfinite(a) & np.isfinite(b)
        a, b = a[ok], b[ok]
        n = int(a.size)
        min_p = 1.0 if n == 0 else min(1.0, math.exp(_log_min_p_paired(n)))
        diff = float(np.mean(a - b)) if n else float("nan")
    else:
        a, b = a[np.isfinite(a)], b[np.isfinite(b)]
        n = int(a.size + b.size)
        log_comb = (math.lgamma(n + 1) - math.lgamma(a.size + 1) - math.lgamma(b.size + 1)) if n else 0.0
        min_p = 1.0 if min(a.size, b.size) == 0 else min(1.0, math.exp(math.log(2.0) - log_comb))
        diff = float(np.mean(a) - np.mean(b)) if a.size and b.size else float("nan")
    sign = "> 0" if expected_sign > 0 else "< 0"
    scale = max(abs(float(np.mean(b))) if b.size else 0.0, 1e-300)
    meaningful = meaningful_rel * scale
    rel = diff / scale if np.isfinite(diff) else float("nan")
    expected = f"{sign}, at least {meaningful_rel:.0%} of the baseline's mean magnitude ({_g(meaningful)})"
    measured = f"{what} = {_g(diff)} ({rel:+.1%} of the baseline)"
    if min_p > alpha or not np.isfinite(diff):
        return Verdict(
            "inconclusive",
            "compare",
            measured,
            expected,
            "",
            n,
            f"n = {n}: the smallest possible p is {min_p:.2g} > alpha = {alpha}",
            diff,
        )
    s0, c = _permutation_draws(a, b, paired, n_resamples, seed)
    p = _p_at(0.0, diff, s0, c)
    spread = float(np.std(s0)) if s0.size else abs(diff)
    lo, hi = _inverted_interval(diff, s0, c, alpha, 4 * spread + 1e-300)
    unc = f"p = {p:.2g}, 95% CI [{_g(lo)}, {_g(hi)}] (permutation-inverted)"
    small = f"small: {abs(rel):.1%} of the baseline, below the {meaningful_rel:.0%} this rule calls meaningful"
    outcome, why = _decide(
        diff, p, lo, hi, expected_sign, n, min_p, meaningful, alpha, effect="difference", small=small
    )
    return Verdict(outcome, "compare", measured, expected, unc, n, why, diff)


# ------------------------------------------------------------------------- predictions


def agreement(
    measured: float,
    predicted: float,
    rel_tol: float = AGREEMENT_REL_TOL,
    what: str = "value",
    n: int = 1,
    uncertainty: str = "",
    why_missing: str = "",
) -> Verdict:
    """A measured value against a prediction: ``|measured / predicted - 1| <= rel_tol``."""
    base = dict(
        rule="agreement",
        measured=f"{what} = {_g(measured)}",
        expected=f"{_g(predicted)} (±{rel_tol:.0%})",
        uncertainty=uncertainty or f"rel. tol {rel_tol:g}",
        n=n,
        value=float(measured),
    )
    if not (np.isfinite(measured) and np.isfinite(predicted)) or predicted == 0:
        return Verdict("inconclusive", why=why_missing or "the measurement or the prediction is missing", **base)
    off = abs(measured / predicted - 1)
    if off <= rel_tol:
        return Verdict("reproduced", why=f"within {off:.0%} of the prediction", **base)
    return Verdict("not reproduced", why=f"{off:.0%} away from the prediction (tol {rel_tol:.0%})", **base)


def toward(value: float, reference: float, target: float, rel_tol: float = 0.1, what: str = "value") -> Verdict:
    """A value that should reach ``target``: reproduced within ``rel_tol * |target|`` of it,
    partly reproduced when closer to it than ``reference`` (where it would be without the
    effect), not reproduced otherwise."""
    d_val, d_ref = abs(value - target), abs(reference - target)
    base = dict(
        rule="toward",
        measured=f"{what} = {_g(value)} (reference {_g(reference)})",
        expected=f"{_g(target)} (±{rel_tol:.0%})",
        uncertainty=f"distance {_g(d_val)} vs {_g(d_ref)}",
        n=1,
        value=float(value),
    )
    if not all(np.isfinite(v) for v in (value, reference, target)):
        return Verdict("inconclusive", why="a non-finite value", **base)
    if d_val <= rel_tol * abs(target):
        return Verdict("reproduced", why="reaches the target", **base)
    if d_val < d_ref:
        return Verdict("partly reproduced", why=f"moves toward the target but stays {d_val:.2g} away", **base)
    return Verdict("not reproduced", why="no closer to the target than the reference", **base)


def at_least(
    estimate: float, lo: float, hi: float, threshold: float, what: str = "value", n: int = 1, why_missing: str = ""
) -> Verdict:
    """A claimed lower bound ("more than ``threshold``") against an estimate with its interval
    [lo, hi]: reproduced when the whole interval lies at or above the threshold, not reproduced
    when it lies below, inconclusive when it straddles the threshold (the data cannot decide)."""
    base = dict(
        rule="at_least",
        measured=f"{what} = {_g(estimate)}",
        expected=f">= {_g(threshold)}",
        uncertainty=f"interval [{_g(lo)}, {_g(hi)}]",
        n=n,
        value=float(estimate),
    )
    if not all(np.isfinite(v) for v in (estimate, lo, hi, threshold)):
        return Verdict("inconclusive", why=why_missing or "the estimate or its interval is not finite", **base)
    if lo >= threshold:
        return Verdict("reproduced", why=f"the interval lies above {_g(threshold)}", **base)
    if hi < threshold:
        return Verdict("not reproduced", why=f"the interval lies below {_g(threshold)}", **base)
    return Verdict("inconclusive", why=f"the interval contains {_g(threshold)}: more data could decide", **base)


def sign(
    differences: Sequence[float], expected_sign: int, scale: float, dtype="float64", what: str = "difference"
) -> Verdict:
    """Deterministic differences (one per step size, say) of a claimed sign. Each counts only
    beyond the rounding floor ``tolerance(dtype) * |scale|`` (``scale``: the size of the
    quantities compared). Reproduced when every difference has the expected sign, not
    reproduced when every one has the opposite sign, inconclusive when one is within the
    floor or the signs differ (the effect changes sign over the observations)."""
    if expected_sign not in (-1, 1):
        raise ValueError(f"`expected_sign` must be -1 or +1, got {expected_sign!r}.")
    d = np.asarray(differences, float).ravel()
    floor = tolerance(dtype) * abs(float(scale))
    want = "> 0" if expected_sign > 0 else "< 0"
    shown = (
        ", ".join(_g(x) for x in d)
        if d.size <= 8
        else (f"{d.size} values in [{_g(float(np.min(d)))}, {_g(float(np.max(d)))}]")
    )
    base = dict(
        rule="sign",
        measured=f"{what}: {shown}",
        expected=want,
        uncertainty=f"floor {floor:.1e}",
        n=int(d.size),
        value=float(d[np.argmin(d * expected_sign)]) if d.size else float("nan"),
    )
    if d.size == 0 or not np.all(np.isfinite(d)):
        return Verdict("inconclusive", why="a missing or non-finite difference", **base)
    if np.any(np.abs(d) <= floor):
        return Verdict("inconclusive", why=f"{int(np.sum(np.abs(d) <= floor))} differences within rounding", **base)
    signs = np.sign(d) * expected_sign
    if np.all(signs > 0):
        return Verdict("reproduced", why=f"all {d.size} of the expected sign", **base)
    if np.all(signs < 0):
        return Verdict("not reproduced", why=f"all {d.size} of the opposite sign", **base)
    return Verdict(
        "inconclusive",
        why=f"{int(np.sum(signs > 0))} of {d.size} of the expected sign: the sign changes over the observations",
        **base,
    )


def explained(relative_residual: float) -> bool:
    """Whether a gradient-matching fit identifies a regularizer: its relative residual
    ``||G phi + grad L|| / ||grad L||`` is below :data:`EXPLAINED_RESIDUAL` (weights that are
    not stationary for any member of the family are not evidence about its coefficients)."""
    return bool(np.isfinite(relative_residual) and relative_residual < EXPLAINED_RESIDUAL)


def combine(verdicts: Sequence[Verdict], labels: Sequence[str] | None = None) -> Verdict:
    """Several verdicts on one claim: reproduced only if all are; not reproduced if any is;
    partly reproduced when some are reproduced and none fails; else inconclusive."""
    vs = list(verdicts)
    labels = list(labels) if labels is not None else [str(i) for i in range(len(vs))]
    outs = [v.outcome for v in vs]
    if outs and all(o == "reproduced" for o in outs):
        outcome, why = "reproduced", "every part reproduced"
    elif "not reproduced" in outs:
        outcome, why = (
            "not reproduced",
            "some part not reproduced: " + ", ".join(lab for lab, o in zip(labels, outs) if o == "not reproduced"),
        )
    elif "reproduced" in outs or "partly reproduced" in outs:
        outcome, why = (
            "partly reproduced",
            "not reproduced in full: " + ", ".join(f"{lab} ({o})" for lab, o in zip(labels, outs) if o != "reproduced"),
        )
    else:
        outcome, why = "inconclusive", "; ".join(f"{lab}: {v.why}" for lab, v in zip(labels, vs))[:300]
    return Verdict(
        outcome,
        "combine",
        "; ".join(f"{lab}: {v.measured}" for lab, v in zip(labels, vs)),
        "; ".join(sorted(set(v.expected for v in vs))),
        "; ".join(f"{lab}: {v.uncertainty}" for lab, v in zip(labels, vs)),
        int(sum(v.n for v in vs)),
        why,
    )


# ---------------------------------------------------------------------------- claims (ledger rows)

PAPER_CLAIM = "claim of the paper"
CONSISTENCY = "consistency check"
HYPOTHESIS = "companion's hypothesis"
CITED = "claim of a cited work"  # chapters 08-09 test other papers' statements (the reference names them)
KINDS = (PAPER_CLAIM, CONSISTENCY, HYPOTHESIS, CITED)
PAPER_VERSIONS = ("ICLR 2021", "arXiv", "both")


class Claim(NamedTuple):
    """One row of the claims ledger: what is tested, where it comes from, and its verdict.

    ``kind`` says what the row is: a claim of the paper (``reference`` locates it), a
    consistency check (an identity that can fail only through a bug in this code: two of its
    routes to one quantity), this companion's own hypothesis (a control, a sharper reading the
    paper does not state), or a claim of a cited work (chapters 08-09). ``version`` names the
    text of the paper the reference and the row concern ("ICLR 2021", the text the book cites; "arXiv"; or "both")."""

    claim: str  # the claim, in a sentence
    reference: str  # where the paper makes it ("Theorem 3.1", "Fig. 2a", "Eq. A.23")
    verdict: Verdict  # computed by a rule of this module
    note: str = ""  # what was measured (setting, scale), shown beside the measurement
    kind: str = PAPER_CLAIM
    version: str = "both"

    def checked(self) -> "Claim":
        if not isinstance(self.verdict, Verdict):
            raise TypeError(
                f"claim {self.claim!r}: the verdict must come from igr_core.verdicts, got {self.verdict!r}."
            )
        if self.verdict.outcome not in OUTCOMES:
            raise ValueError(
                f"verdict must be one of {OUTCOMES}, got {self.verdict.outcome!r} for claim {self.claim!r}."
            )
        if self.kind not in KINDS:
            raise ValueError(f"claim {self.claim!r}: `kind` must be one of {KINDS}, got {self.kind!r}.")
        if self.version not in PAPER_VERSIONS:
            raise ValueError(f"claim {self.claim!r}: `version` must be one of {PAPER_VERSIONS}, got {self.version!r}.")
        return self


def number_or(value: float, missing: str, digits: int = 2) -> str:
    """``value`` to ``digits`` significant digits, or the words ``missing`` when it is not
    finite (a crossing never reached, an edge that does not exist)."""
    return f"{value:.{digits}g}" if value is not None and math.isfinite(value) else missing


__all__ = [
    "PAPER_CLAIM",
    "CONSISTENCY",
    "HYPOTHESIS",
    "CITED",
    "KINDS",
    "PAPER_VERSIONS",
    "Claim",
    "number_or",
    "OUTCOMES",
    "ALPHA",
    "ORDER_TOL",
    "IDENTITY_ULPS",
    "RHO_MEANINGFUL",
    "ERRATUM_MIN_ERROR",
    "AGREEMENT_REL_TOL",
    "EXPLAINED_RESIDUAL",
    "GAIN_LOST_RATIO",
    "N_RESAMPLES",
    "Verdict",
    "tolerance",
    "order",
    "identity",
    "bound",
    "erratum",
    "min_p_value",
    "trend",
    "partial_trend",
    "trend_at_convergence",
    "compare",
    "agreement",
    "at_least",
    "toward",
    "sign",
    "explained",
    "combine",
]
