"""Outcomes, the :class:`Verdict` record, the book's thresholds and the dtype-aware tolerance.

Abstraction: one enumeration of the outcomes a rule may return (:class:`Outcome`, a ``StrEnum``
so that a stored or printed outcome is its plain words), one frozen record built by keyword
(:class:`Verdict`), and every threshold of the book as a named constant with its reason.
"""

from __future__ import annotations

import dataclasses
import enum
import math

import numpy as np


class Outcome(enum.StrEnum):
    """What a rule concluded (the words are what the ledger prints)."""

    REPRODUCED = "reproduced"
    PARTLY = "partly reproduced"
    NOT_REPRODUCED = "not reproduced"
    INCONCLUSIVE = "inconclusive"
    ERRATUM = "erratum confirmed"


OUTCOMES = tuple(o.value for o in Outcome)
DECIDED = (Outcome.REPRODUCED, Outcome.PARTLY, Outcome.NOT_REPRODUCED, Outcome.ERRATUM)

ALPHA = 0.05  # significance level of every permutation test
ORDER_TOL = 0.25  # |measured slope - expected order| accepted for a convergence order
IDENTITY_ULPS = 1e4  # an identity holds when the relative error is below this many machine epsilons
RHO_MEANINGFUL = 0.3  # a trend weaker than this |rho| is not a meaningful effect
ERRATUM_MIN_ERROR = 1e-3  # the printed form must be off by at least this (relative) to be an erratum
AGREEMENT_REL_TOL = 0.5  # a measured value agrees with a prediction within this relative distance
TOWARD_REL_TOL = 0.1  # a value "reaches" a target within this share of the target's size (rules.toward)
EXPLAINED_RESIDUAL = 0.1  # a fitted regularizer explains weights that it leaves less than this share of -grad L
GAIN_LOST_RATIO = 0.5  # a modified equation "stops helping" once it no longer halves the error it explains
N_RESAMPLES = 9999  # permutations for Monte-Carlo p-values (exact enumeration when fewer exist)


@dataclasses.dataclass(frozen=True, kw_only=True)
class Verdict:
    """A rule's conclusion with its evidence. Built by keyword only (no positional fields)."""

    outcome: Outcome  # one of Outcome
    rule: str  # which rule decided
    measured: str  # the measured value(s), formatted
    expected: str  # the expected value, sign or bound
    uncertainty: str = ""  # standard error, interval, p-value or tolerance
    n: int = 0  # number of observations behind the measurement
    why: str = ""  # one sentence: why this outcome (required for inconclusive)
    value: float = float("nan")  # the headline measured number (for glue and comparisons)
    # the evidence as fields (the page renders these; no code parses ``measured`` back):
    statistic: str = ""  # what ``value`` is ("Spearman's rho", "fitted slope", "difference in max test accuracy")
    interval: tuple = ()  # (lo, hi): the interval the rule decided on, in the unit of ``value``; () when none
    p: float = float("nan")  # the rule's p-value (permutation tests); nan for deterministic rules
    threshold: float = float("nan")  # the smallest effect (or the tolerance) the rule used, in ``value``'s unit

    def __post_init__(self):
        object.__setattr__(self, "outcome", Outcome(self.outcome))
        interval = tuple(float(x) for x in self.interval)
        if len(interval) not in (0, 2):
            raise ValueError(f"`interval` must be () or (lo, hi), got {self.interval!r}.")
        object.__setattr__(self, "interval", interval)

    def replace(self, **changes) -> "Verdict":
        return dataclasses.replace(self, **changes)

    @property
    def decided(self) -> bool:
        return self.outcome in DECIDED


def inconclusive(rule: str, why: str, measured: str = "not computed", expected: str = "", **kw) -> Verdict:
    """An inconclusive verdict with its reason (data missing, too few, not finite, not adequate)."""
    return Verdict(outcome=Outcome.INCONCLUSIVE, rule=rule, measured=measured, expected=expected, why=why, **kw)


def fmt(x, digits: int = 3) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "nan"
    return f"{x:.{digits}g}"


def count_nonfinite(*arrays) -> tuple[int, int]:
    """(non-finite entries, all entries) over ``arrays``: a rule that receives any returns
    inconclusive naming the count, never a decided verdict."""
    bad = total = 0
    for a in arrays:
        a = np.asarray(a, float).ravel()
        bad += int(np.count_nonzero(~np.isfinite(a)))
        total += int(a.size)
    return bad, total


def nonfinite_why(bad: int, total: int) -> str:
    return f"{bad} of {total} values are not finite (NaN or inf): the data cannot decide"


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
