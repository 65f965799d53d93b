"""Acceptance rules: the only place where a measurement becomes a verdict.

Abstraction: a *rule* takes measured numbers (and what the paper predicts) and returns a
:class:`Verdict` that carries its evidence: the measured value, the expected value or sign,
the uncertainty, the number of observations, and a sentence saying why. Every threshold of
the book is a module constant here; notebooks and experiment modules never type one.
One concern per module:

* :mod:`.outcomes` -- the :class:`Outcome` enumeration, :class:`Verdict` (built by keyword),
  the thresholds, the dtype-aware :func:`tolerance`;
* :mod:`.stats` -- permutation statistics and the one decision rule for noisy tests;
* :mod:`.rules` -- deterministic rules: :func:`order` (a fitted log-log slope within
  :data:`ORDER_TOL`), :func:`identity`, :func:`bound`, :func:`erratum`, :func:`agreement`,
  :func:`toward`, :func:`at_least` (with a ceiling: a gain the data set cannot show is not
  testable), :func:`sign`, :func:`combine`;
* :mod:`.trends` -- :func:`trend` (Spearman's rho with a permutation p-value and interval),
  :func:`partial_trend`, :func:`trend_at_convergence`, :func:`compare` (two groups);
* :mod:`.adequacy` -- the gates a claim about trained networks passes first (plateau test,
  inclusion rule) and :func:`gated`, which decides only on the networks that pass;
* :mod:`.claims` -- the ledger's row schema, :class:`Claim`;
* :mod:`.declarations` -- every row's claim declared as data (quote, test, thresholds,
  history) in ``igr_core/declarations/<chapter>.yml``, checked against a lock and the texts.

Every rule that receives a NaN or inf among its data returns ``inconclusive`` naming how many
values were not finite.
"""

from igr_core._src.verdicts import declarations
from igr_core._src.verdicts.adequacy import (
    MIN_EVALUATIONS,
    PLATEAU_TOL,
    PLATEAU_WINDOW,
    WINDOW_EVALUATIONS,
    Gate,
    gate,
    gated,
    network_table,
)
from igr_core._src.verdicts.claims import (
    CITED,
    CONSISTENCY,
    HYPOTHESIS,
    KINDS,
    PAPER_CLAIM,
    PAPER_VERSIONS,
    Claim,
    number_or,
)
from igr_core._src.verdicts.outcomes import (
    AGREEMENT_REL_TOL,
    ALPHA,
    DECIDED,
    ERRATUM_MIN_ERROR,
    EXPLAINED_RESIDUAL,
    GAIN_LOST_RATIO,
    IDENTITY_ULPS,
    N_RESAMPLES,
    ORDER_TOL,
    OUTCOMES,
    RHO_MEANINGFUL,
    ROUTES,
    TOWARD_REL_TOL,
    Outcome,
    Verdict,
    inconclusive,
    tolerance,
)
from igr_core._src.verdicts.rules import (
    agreement,
    at_least,
    bound,
    combine,
    erratum,
    explained,
    identity,
    order,
    reached_by,
    sign,
    toward,
)
from igr_core._src.verdicts.stats import min_n, min_p_value
from igr_core._src.verdicts.trends import RankTest, compare, partial_trend, trend, trend_at_convergence

__all__ = [
    "declarations",
    "PAPER_CLAIM",
    "CONSISTENCY",
    "HYPOTHESIS",
    "CITED",
    "KINDS",
    "PAPER_VERSIONS",
    "Claim",
    "number_or",
    "Outcome",
    "OUTCOMES",
    "DECIDED",
    "ALPHA",
    "ORDER_TOL",
    "IDENTITY_ULPS",
    "RHO_MEANINGFUL",
    "ERRATUM_MIN_ERROR",
    "AGREEMENT_REL_TOL",
    "EXPLAINED_RESIDUAL",
    "GAIN_LOST_RATIO",
    "N_RESAMPLES",
    "ROUTES",
    "Verdict",
    "inconclusive",
    "tolerance",
    "order",
    "identity",
    "bound",
    "erratum",
    "min_p_value",
    "min_n",
    "TOWARD_REL_TOL",
    "trend",
    "RankTest",
    "partial_trend",
    "trend_at_convergence",
    "compare",
    "agreement",
    "at_least",
    "toward",
    "reached_by",
    "sign",
    "explained",
    "combine",
    "PLATEAU_TOL",
    "PLATEAU_WINDOW",
    "MIN_EVALUATIONS",
    "WINDOW_EVALUATIONS",
    "Gate",
    "gate",
    "gated",
    "network_table",
]
