"""The promise of ``_src/verdicts/rules.py`` that holds across its rules: "every rule that receives
a NaN or inf among its data returns inconclusive naming how many values were not finite, never
a decided verdict" (each rule's pass and fail cases are in ``test_verdicts.py``); and
``explained``'s threshold."""

import math

import numpy as np
import pytest

from igr_core._src.verdicts import rules as R
from igr_core._src.verdicts.outcomes import EXPLAINED_RESIDUAL, Outcome

# each rule with data that would decide, and the same data with one value not finite
CASES = {
    "order": lambda bad: R.order([2.0, bad], [0.01, 0.01], 2, n=4),
    "identity": lambda bad: R.identity([1e-16, bad]),
    "bound": lambda bad: R.bound([0.5, bad], 1.0),
    "bound (upper)": lambda bad: R.bound([0.5, 0.7], bad),
    "erratum": lambda bad: R.erratum(bad, 1e-16),
    "toward": lambda bad: R.toward(bad, 0.0, 1.0),
    "at_least": lambda bad: R.at_least(2.0, 1.5, bad, 1.0),
    "sign": lambda bad: R.sign([0.5, bad], +1, scale=1.0),
}


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize("rule", sorted(CASES))
def test_a_non_finite_value_is_inconclusive_naming_the_count(rule, bad):
    decided = CASES[rule](0.9)
    assert decided.outcome != Outcome.INCONCLUSIVE, "the case must decide with finite data"
    v = CASES[rule](bad)
    assert v.outcome == Outcome.INCONCLUSIVE and "1 of" in v.why and "not finite" in v.why, v.why


def test_order_with_a_non_finite_standard_error_is_inconclusive():
    assert R.order([2.0, 2.01], [0.01, math.nan], 2, n=4).outcome == Outcome.INCONCLUSIVE


def test_agreement_names_how_many_values_were_not_finite():
    v = R.agreement(math.nan, 1.0)
    assert v.outcome == Outcome.INCONCLUSIVE and "1 of 2" in v.why


def test_reached_by_with_a_nan_first_step_is_inconclusive():
    assert R.reached_by([math.nan, 10], [100, 100], 50).outcome == Outcome.INCONCLUSIVE


def test_reached_by_with_a_nan_training_length_is_inconclusive():
    assert R.reached_by([10, 10], [math.nan, 100], 50).outcome == Outcome.INCONCLUSIVE


def test_reached_by_reads_inf_as_never_reached():
    assert R.reached_by([10, math.inf], [100, 100], 50).outcome == Outcome.NOT_REPRODUCED
    assert R.reached_by([10, math.inf], [100, 40], 50).outcome == Outcome.INCONCLUSIVE  # stopped short
    assert R.reached_by([10, 30], [100, 40], 50).outcome == Outcome.REPRODUCED


def test_explained_below_the_residual_threshold_only():
    assert R.explained(0.0) and R.explained(np.nextafter(EXPLAINED_RESIDUAL, 0))
    assert not R.explained(EXPLAINED_RESIDUAL) and not R.explained(0.5)
    assert not R.explained(math.nan) and not R.explained(math.inf)
