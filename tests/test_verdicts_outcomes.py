"""Outcomes and the Verdict record (``_src/verdicts/outcomes.py``): outcomes print as their plain
words, a Verdict is built by keyword only, frozen, its outcome and interval normalized; every
threshold is a named constant with its reason; the dtype- and route-aware tolerance; the count
of non-finite values."""

import ast
import dataclasses
import inspect
import json
import math

import numpy as np
import pytest

from igr_core._src.verdicts import outcomes as O
from igr_core._src.verdicts.outcomes import DECIDED, OUTCOMES, Outcome, Verdict


def _verdict(**kw):
    base = dict(outcome="reproduced", rule="r", measured="m = 1", expected="> 0")
    base.update(kw)
    return Verdict(**base)


def test_an_outcome_is_its_plain_words():
    assert OUTCOMES == ("reproduced", "partly reproduced", "not reproduced", "inconclusive", "erratum confirmed")
    for o in Outcome:
        assert str(o) == f"{o}" == o.value and Outcome(o.value) is o and o == o.value
    assert json.dumps({"outcome": Outcome.PARTLY}) == '{"outcome": "partly reproduced"}'
    assert set(DECIDED) == set(Outcome) - {Outcome.INCONCLUSIVE}


def test_a_verdict_is_built_by_keyword_only_and_frozen():
    with pytest.raises(TypeError):
        Verdict("reproduced", "r", "m", "e")
    v = _verdict()
    assert v.outcome is Outcome.REPRODUCED and type(v.outcome) is Outcome  # words become the enum
    with pytest.raises(dataclasses.FrozenInstanceError):
        v.outcome = Outcome.INCONCLUSIVE
    with pytest.raises(ValueError):
        _verdict(outcome="reproduced!")
    assert math.isnan(v.value) and math.isnan(v.p) and math.isnan(v.threshold) and v.interval == ()


def test_replace_and_decided():
    v = _verdict(value=1.5)
    w = v.replace(outcome="inconclusive", why="too few")
    assert w.outcome is Outcome.INCONCLUSIVE and w.value == 1.5 and v.outcome is Outcome.REPRODUCED
    assert v.decided and not w.decided
    assert all(_verdict(outcome=o).decided == (o is not Outcome.INCONCLUSIVE) for o in Outcome)


def test_interval_is_a_pair_of_floats_or_empty():
    v = _verdict(interval=[np.float32(0.5), 2])
    assert v.interval == (0.5, 2.0) and all(type(x) is float for x in v.interval)
    for bad in ((1.0,), (1.0, 2.0, 3.0)):
        with pytest.raises(ValueError, match="`interval` must be"):
            _verdict(interval=bad)


def test_inconclusive_helper():
    v = O.inconclusive("trend", "no data", n=3)
    assert v.outcome is Outcome.INCONCLUSIVE and v.why == "no data" and v.measured == "not computed" and v.n == 3


def test_every_threshold_is_a_named_constant_with_its_reason():
    source = inspect.getsource(O)
    lines = source.splitlines()
    constants = [
        node
        for node in ast.parse(source).body
        if isinstance(node, ast.Assign)
        and len(node.targets) == 1
        and isinstance(node.targets[0], ast.Name)
        and node.targets[0].id.isupper()
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, (int, float))
    ]
    assert {"ALPHA", "RHO_MEANINGFUL", "IDENTITY_ULPS", "N_RESAMPLES"} <= {c.targets[0].id for c in constants}
    for c in constants:
        assert "#" in lines[c.lineno - 1], f"{c.targets[0].id} has no reason beside it"
        value = getattr(O, c.targets[0].id)
        assert math.isfinite(value) and value > 0


@pytest.mark.parametrize("dtype", ["float64", "float32", np.float32])
def test_tolerance_is_ulps_times_the_route_error_scale(dtype):
    eps = float(np.finfo(np.dtype(dtype)).eps)
    assert O.tolerance(dtype) == pytest.approx(O.IDENTITY_ULPS * eps)
    assert O.tolerance(dtype, "finite_difference") == pytest.approx(O.IDENTITY_ULPS * eps ** (2 / 3))
    assert O.tolerance(dtype, "forward_difference") == pytest.approx(O.IDENTITY_ULPS * eps**0.5)
    assert O.tolerance(dtype) < O.tolerance(dtype, "finite_difference") < O.tolerance(dtype, "forward_difference")
    with pytest.raises(ValueError, match="`route` must be one of"):
        O.tolerance(dtype, "central")


def test_count_nonfinite_and_its_sentence():
    assert O.count_nonfinite([1.0, np.nan], np.array([[np.inf, 2.0], [3.0, -np.inf]]), 5.0) == (3, 7)
    assert O.count_nonfinite([]) == (0, 0)
    assert O.nonfinite_why(3, 7).startswith("3 of 7 values are not finite")


def test_fmt():
    assert O.fmt(0.123456) == "0.123" and O.fmt(12345.0, 2) == "1.2e+04"
    assert O.fmt(None) == O.fmt(float("nan")) == O.fmt(float("inf")) == "nan"
