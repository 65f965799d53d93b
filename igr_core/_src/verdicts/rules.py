"""Rules on deterministic numbers: orders, identities, bounds, errata, predictions, signs.

Abstraction: each rule takes measured numbers (and what the paper predicts) and returns a
:class:`~igr_core._src.verdicts.outcomes.Verdict` carrying its evidence. Every rule that
receives a NaN or inf among its data returns ``inconclusive`` naming how many values were not
finite, never a decided verdict.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from igr_core._src.verdicts.outcomes import (
    AGREEMENT_REL_TOL,
    ERRATUM_MIN_ERROR,
    EXPLAINED_RESIDUAL,
    ORDER_TOL,
    TOWARD_REL_TOL,
    Outcome,
    Verdict,
    count_nonfinite,
    fmt,
    nonfinite_why,
    tolerance,
)

# ------------------------------------------------------------------------------- orders


def _screen(bad: int, total: int, size: int, empty: str, base: dict) -> Verdict | None:
    """The inconclusive verdict of data that cannot be judged (values not finite, or none), else None."""
    if bad:
        return Verdict(outcome=Outcome.INCONCLUSIVE, why=nonfinite_why(bad, total), **base)
    if size == 0:
        return Verdict(outcome=Outcome.INCONCLUSIVE, why=empty, **base)
    return None


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
    base = dict(
        rule="order",
        measured=", ".join(f"{lab}: {s:.2f}" for lab, s in zip(labels, slopes)),
        expected=f"{expected:g}",
        uncertainty=", ".join(f"{lab}: ±{e:.2g}" for lab, e in zip(labels, stderrs)) + f" (tol ±{tol})",
        n=n,
        statistic="fitted log-log slope (the one farthest from the expected order)",
        threshold=float(tol),
    )
    bad, total = count_nonfinite(slopes, stderrs)
    if bad:
        return Verdict(outcome=Outcome.INCONCLUSIVE, why=nonfinite_why(bad, total), **base)
    worst = float(slopes[np.argmax(np.abs(slopes - expected))]) if slopes.size else float("nan")
    if n < 3 or slopes.size == 0:
        why = f"a slope needs at least 3 finite step sizes (got {n})"
        return Verdict(outcome=Outcome.INCONCLUSIVE, why=why, value=worst, **base)
    off = np.abs(slopes - expected)
    if np.all(off <= tol):
        return Verdict(outcome=Outcome.REPRODUCED, why=f"every slope within {tol} of {expected:g}", value=worst, **base)
    why = f"slope {worst:.2f} is {np.max(off):.2f} away from {expected:g} (tol {tol})"
    return Verdict(outcome=Outcome.NOT_REPRODUCED, why=why, value=worst, **base)


# ---------------------------------------------------------------------------- identities


def identity(
    rel_errors: Sequence[float], dtype="float64", what: str = "relative error", route: str = "exact"
) -> Verdict:
    """Two routes to the same quantity agree: max relative error below :func:`tolerance`
    (of the less accurate ``route``) in the ``dtype`` the chapter computes in."""
    e = np.abs(np.asarray(rel_errors, float)).ravel()
    tol = tolerance(dtype, route)
    bad, total = count_nonfinite(e)
    worst = float(np.max(e)) if e.size and not bad else float("nan")
    base = dict(
        rule="identity",
        measured=f"max {what} {worst:.1e}",
        expected="0",
        uncertainty=f"tol {tol:.1e} ({route} route, {np.dtype(dtype).name})",
        n=int(e.size),
        value=worst,
        statistic=f"max {what}",
        threshold=tol,
    )
    screened = _screen(bad, total, e.size, "no errors to judge", base)
    if screened is not None:
        return screened
    if worst <= tol:
        return Verdict(outcome=Outcome.REPRODUCED, why=f"every error below {tol:.1e}", **base)
    return Verdict(outcome=Outcome.NOT_REPRODUCED, why=f"error {worst:.1e} exceeds {tol:.1e}", **base)


def bound(values: Sequence[float], upper: float, dtype="float64", what: str = "value") -> Verdict:
    """An inequality ``value <= upper`` at every observation (rounding tolerance of ``dtype``)."""
    v = np.asarray(values, float).ravel()
    tol = tolerance(dtype)
    bad, total = count_nonfinite(v, [upper])
    worst = float(np.max(v)) if v.size and not bad else float("nan")
    base = dict(
        rule="bound",
        measured=f"max {what} {worst:.6g}",
        expected=f"<= {upper:g}",
        uncertainty=f"tol {tol:.1e} (relative)",
        n=int(v.size),
        value=worst,
        statistic=f"max {what}",
        threshold=float(upper),
    )
    screened = _screen(bad, total, v.size, "no observations", base)
    if screened is not None:
        return screened
    if worst <= upper * (1 + tol):
        return Verdict(outcome=Outcome.REPRODUCED, why=f"all {v.size} observations within the bound", **base)
    why = f"{int(np.sum(v > upper * (1 + tol)))} observations exceed {upper:g}"
    return Verdict(outcome=Outcome.NOT_REPRODUCED, why=why, **base)


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
        statistic="relative error of the printed form",
        threshold=ERRATUM_MIN_ERROR,
    )
    bad, total = count_nonfinite([printed_error, corrected_error])
    if bad:
        return Verdict(outcome=Outcome.INCONCLUSIVE, why=nonfinite_why(bad, total), **base)
    if corrected_error > tol:
        return Verdict(outcome=Outcome.INCONCLUSIVE, why="the corrected form does not hold either", **base)
    if printed_error >= ERRATUM_MIN_ERROR:
        return Verdict(outcome=Outcome.ERRATUM, why="the printed form fails where the corrected one holds", **base)
    return Verdict(outcome=Outcome.NOT_REPRODUCED, why="the printed form holds too: no erratum here", **base)


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
        measured=f"{what} = {fmt(measured)}",
        expected=f"{fmt(predicted)} (±{rel_tol:.0%})",
        uncertainty=uncertainty or f"rel. tol {rel_tol:g}",
        n=n,
        value=float(measured),
        statistic=what,
        threshold=float(rel_tol),
    )
    bad, total = count_nonfinite([measured, predicted])
    if bad or predicted == 0:
        why = why_missing or (nonfinite_why(bad, total) if bad else "the prediction is 0: no relative distance")
        return Verdict(outcome=Outcome.INCONCLUSIVE, why=why, **base)
    off = abs(measured / predicted - 1)
    if off <= rel_tol:
        return Verdict(outcome=Outcome.REPRODUCED, why=f"within {off:.0%} of the prediction", **base)
    return Verdict(
        outcome=Outcome.NOT_REPRODUCED, why=f"{off:.0%} away from the prediction (tol {rel_tol:.0%})", **base
    )


def toward(
    value: float, reference: float, target: float, rel_tol: float = TOWARD_REL_TOL, what: str = "value"
) -> Verdict:
    """A value that should reach ``target``: reproduced within ``rel_tol * |target|`` of it,
    partly reproduced when closer to it than ``reference`` (where it would be without the
    effect), not reproduced otherwise."""
    d_val, d_ref = abs(value - target), abs(reference - target)
    base = dict(
        rule="toward",
        measured=f"{what} = {fmt(value)} (reference {fmt(reference)})",
        expected=f"{fmt(target)} (±{rel_tol:.0%})",
        uncertainty=f"distance {fmt(d_val)} vs {fmt(d_ref)}",
        n=1,
        value=float(value),
        statistic=what,
        threshold=float(rel_tol),
    )
    bad, total = count_nonfinite([value, reference, target])
    if bad:
        return Verdict(outcome=Outcome.INCONCLUSIVE, why=nonfinite_why(bad, total), **base)
    if d_val <= rel_tol * abs(target):
        return Verdict(outcome=Outcome.REPRODUCED, why="reaches the target", **base)
    if d_val < d_ref:
        return Verdict(outcome=Outcome.PARTLY, why=f"moves toward the target but stays {d_val:.2g} away", **base)
    return Verdict(outcome=Outcome.NOT_REPRODUCED, why="no closer to the target than the reference", **base)


def at_least(
    estimate: float,
    lo: float,
    hi: float,
    threshold: float,
    what: str = "value",
    n: int = 1,
    why_missing: str = "",
    ceiling: float | None = None,
    baseline: float | None = None,
    ceiling_name: str = "",
) -> Verdict:
    """A claimed lower bound ("more than ``threshold``") against an estimate with its interval
    [lo, hi]: reproduced when the whole interval lies at or above the threshold, not reproduced
    when it lies below, inconclusive when it straddles the threshold (the data cannot decide).

    With ``ceiling`` (the largest value the measured quantity can reach on this data, e.g. the
    best accuracy reported for the data set) and ``baseline`` (where the gain starts): a gain
    that would carry the baseline above the ceiling cannot be observed, so the claim is not
    testable there and the verdict is inconclusive with that reason, never "not reproduced"."""
    base = dict(
        rule="at_least",
        measured=f"{what} = {fmt(estimate)}",
        expected=f">= {fmt(threshold)}",
        uncertainty=f"interval [{fmt(lo)}, {fmt(hi)}]",
        n=n,
        value=float(estimate),
        statistic=what,
        interval=(lo, hi),
        threshold=float(threshold),
    )
    bad, total = count_nonfinite([estimate, lo, hi, threshold])
    if bad:
        return Verdict(outcome=Outcome.INCONCLUSIVE, why=why_missing or nonfinite_why(bad, total), **base)
    if ceiling is not None and baseline is not None and baseline + threshold > ceiling:
        why = (
            f"not testable at this scale: baseline {baseline:.2f} + {threshold:g} = {baseline + threshold:.2f} "
            "is above "
            f"the ceiling {ceiling:.2f}" + (f" ({ceiling_name})" if ceiling_name else "")
        )
        return Verdict(outcome=Outcome.INCONCLUSIVE, why=why, **base)
    if lo >= threshold:
        return Verdict(outcome=Outcome.REPRODUCED, why=f"the interval lies above {fmt(threshold)}", **base)
    if hi < threshold:
        return Verdict(outcome=Outcome.NOT_REPRODUCED, why=f"the interval lies below {fmt(threshold)}", **base)
    why = f"the interval contains {fmt(threshold)}: more data could decide"
    return Verdict(outcome=Outcome.INCONCLUSIVE, why=why, **base)


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
    shown = (
        ", ".join(fmt(x) for x in d)
        if d.size <= 8
        else (f"{d.size} values in [{fmt(float(np.min(d)))}, {fmt(float(np.max(d)))}]")
    )
    bad, total = count_nonfinite(d, [scale])
    base = dict(
        rule="sign",
        measured=f"{what}: {shown}",
        expected="> 0" if expected_sign > 0 else "< 0",
        uncertainty=f"floor {floor:.1e}",
        n=int(d.size),
        value=float(d[np.argmin(d * expected_sign)]) if d.size and not bad else float("nan"),
        statistic=f"{what} (the one least of the expected sign)",
        threshold=floor,
    )
    if bad:
        return Verdict(outcome=Outcome.INCONCLUSIVE, why=nonfinite_why(bad, total), **base)
    if d.size == 0:
        return Verdict(outcome=Outcome.INCONCLUSIVE, why="no differences to judge", **base)
    if np.any(np.abs(d) <= floor):
        why = f"{int(np.sum(np.abs(d) <= floor))} differences within rounding"
        return Verdict(outcome=Outcome.INCONCLUSIVE, why=why, **base)
    signs = np.sign(d) * expected_sign
    if np.all(signs > 0):
        return Verdict(outcome=Outcome.REPRODUCED, why=f"all {d.size} of the expected sign", **base)
    if np.all(signs < 0):
        return Verdict(outcome=Outcome.NOT_REPRODUCED, why=f"all {d.size} of the opposite sign", **base)
    why = f"{int(np.sum(signs > 0))} of {d.size} of the expected sign: the sign changes over the observations"
    return Verdict(outcome=Outcome.INCONCLUSIVE, why=why, **base)


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
    if outs and all(o == Outcome.REPRODUCED for o in outs):
        outcome, why = Outcome.REPRODUCED, "every part reproduced"
    elif Outcome.NOT_REPRODUCED in outs:
        failed = ", ".join(lab for lab, o in zip(labels, outs) if o == Outcome.NOT_REPRODUCED)
        outcome, why = Outcome.NOT_REPRODUCED, "some part not reproduced: " + failed
    elif Outcome.REPRODUCED in outs or Outcome.PARTLY in outs:
        rest = ", ".join(f"{lab} ({o})" for lab, o in zip(labels, outs) if o != Outcome.REPRODUCED)
        outcome, why = Outcome.PARTLY, "not reproduced in full: " + rest
    else:
        outcome, why = Outcome.INCONCLUSIVE, "; ".join(f"{lab}: {v.why}" for lab, v in zip(labels, vs))[:300]
    return Verdict(
        outcome=outcome,
        rule="combine",
        measured="; ".join(f"{lab}: {v.measured}" for lab, v in zip(labels, vs)),
        expected="; ".join(sorted(set(v.expected for v in vs))),
        uncertainty="; ".join(f"{lab}: {v.uncertainty}" for lab, v in zip(labels, vs)),
        n=int(sum(v.n for v in vs)),
        why=why,
    )


def reached_by(
    first_steps: Sequence[float], trained_to: Sequence[int], deadline: int, what: str = "the target"
) -> Verdict:
    """Every run reaches ``what`` by step ``deadline``: ``first_steps`` are the first steps at
    which each run reached it (``inf`` for a run that never did), ``trained_to`` how far each run
    was trained. Reproduced when every run reached it by the deadline; not reproduced when a run
    trained to the deadline did not (or reached it only later); inconclusive when a run that has
    not reached it stopped before the deadline (it may still get there)."""
    first = np.asarray(first_steps, float).ravel()
    trained = np.asarray(trained_to, float).ravel()
    if first.shape != trained.shape:
        raise ValueError("reached_by: `first_steps` and `trained_to` must have the same length.")
    if np.isnan(first).any() or count_nonfinite(trained)[0]:
        bad, total = int(np.isnan(first).sum()) + count_nonfinite(trained)[0], first.size + trained.size
        return Verdict(
            outcome=Outcome.INCONCLUSIVE,
            rule="reached by",
            measured=f"{what}: not judged",
            expected=f"all by step {deadline:,}",
            n=int(first.size),
            why=nonfinite_why(bad, total) + " (a run never reaching it is inf, not NaN)",
            statistic=f"last step at which a run reaches {what}",
            threshold=float(deadline),
        )
    reached = np.isfinite(first)
    base = dict(
        rule="reached by",
        measured=(
            f"{int(reached.sum())} of {first.size} runs reach {what}"
            + (f", the last at step {int(first[reached].max()):,}" if reached.any() else "")
        ),
        expected=f"all by step {deadline:,}",
        uncertainty=f"runs trained to step {int(trained.min()):,}-{int(trained.max()):,}" if trained.size else "",
        n=int(first.size),
        value=float(first[reached].max()) if reached.any() else float("nan"),
        statistic=f"last step at which a run reaches {what}",
        threshold=float(deadline),
    )
    if first.size == 0:
        return Verdict(outcome=Outcome.INCONCLUSIVE, why="no runs to judge", **base)
    late = reached & (first > deadline)
    missed = ~reached & (trained >= deadline)
    short = ~reached & (trained < deadline)
    if late.any() or missed.any():
        n_late = int(late.sum() + missed.sum())
        why = f"{n_late} of {first.size} runs trained to step {deadline:,} had not reached {what} by then"
        return Verdict(outcome=Outcome.NOT_REPRODUCED, why=why, **base)
    if short.any():
        why = (
            f"{int(short.sum())} of {first.size} runs had not reached {what} when they stopped "
            f"(step {int(trained[short].max()):,}, short of {deadline:,}): they may still get there"
        )
        return Verdict(outcome=Outcome.INCONCLUSIVE, why=why, **base)
    return Verdict(outcome=Outcome.REPRODUCED, why=f"all {first.size} runs reach {what} by step {deadline:,}", **base)
