"""Every acceptance rule fed data that must pass and data that must fail."""

import math

import numpy as np
import pytest

from igr_core import verdicts as V


def test_order_passes_and_fails():
    ok = V.order([2.02, 1.97], [0.01, 0.02], 2, n=4, labels=["a", "b"])
    assert ok.outcome == "reproduced" and ok.n == 4 and "±" in ok.uncertainty
    off = V.order([2.5, 2.0], [0.01, 0.01], 2, n=4)  # a slope off by 0.5
    assert off.outcome == "not reproduced" and off.value == pytest.approx(2.5)
    assert V.order([2.0], [math.nan], 2, n=2).outcome == "inconclusive"  # two points: no error estimate


def test_identity_is_dtype_aware_and_fails_at_1e_6():
    assert V.identity([1e-15, 3e-13]).outcome == "reproduced"
    assert V.identity([1e-6]).outcome == "not reproduced"  # an identity off by 1e-6
    assert V.identity([1e-6], dtype="float32").outcome == "reproduced"  # float32: 1e4 eps = 1.2e-3
    assert V.identity([1e-2], dtype="float32").outcome == "not reproduced"
    assert V.identity([1e-9], route="finite_difference").outcome == "reproduced"
    assert V.identity([1e-6], route="finite_difference").outcome == "not reproduced"
    assert V.identity([1e-5], route="forward_difference").outcome == "reproduced"  # 1e4 sqrt(eps) = 1.5e-4
    assert V.identity([1e-3], route="forward_difference").outcome == "not reproduced"
    assert V.identity([math.nan]).outcome == "inconclusive"
    with pytest.raises(ValueError, match="route"):
        V.tolerance("float64", "guess")


def test_bound():
    assert V.bound([0.2, 0.99, 1.0], 1.0).outcome == "reproduced"
    assert V.bound([0.2, 1.0 + 1e-6], 1.0).outcome == "not reproduced"


def test_trend_passes_fails_and_is_inconclusive_for_small_n():
    x = np.arange(12.0)
    rng = np.random.default_rng(0)
    down = -x + 0.5 * rng.normal(size=12)
    assert V.trend(x, down, -1).outcome == "reproduced"
    wrong = V.trend(x, -down, -1)  # a wrong sign
    assert wrong.outcome == "not reproduced" and "opposite" in wrong.why
    flat = V.trend(np.arange(60.0), np.random.default_rng(1).normal(size=60), -1)  # a flat trend
    assert flat.outcome != "reproduced"
    small = V.trend([1, 2, 3, 4], [4, 3, 2, 1], -1)  # perfect, but n = 4
    assert small.outcome == "inconclusive" and "smallest possible p is 0.083" in small.why
    assert V.min_p_value(4) == pytest.approx(2 / 24)
    assert V.trend([1, 2, 3, 4, 5], [5, 4, 3, 2, 1], -1).outcome == "reproduced"  # n = 5: exact p = 2/120
    assert V.trend([1, 1, 1, 1, 1], [1, 2, 3, 4, 5], -1).outcome == "inconclusive"  # no variation
    assert "p =" in V.trend(x, down, -1).uncertainty and "CI" in V.trend(x, down, -1).uncertainty
    with pytest.raises(ValueError, match="expected_sign"):
        V.trend(x, down, 0)


def test_trend_wide_null_interval_is_not_reproduced_only_with_enough_data():
    rng = np.random.default_rng(3)
    big = V.trend(np.arange(200.0), rng.normal(size=200), -1)
    assert big.outcome == "not reproduced"  # the interval excludes |rho| >= 0.3
    few = V.trend(np.arange(6.0), [0.1, -0.3, 0.2, 0.05, -0.1, 0.0], -1)
    assert few.outcome == "inconclusive"


def test_trend_at_convergence():
    const = V.trend_at_convergence([0, 1, 2, 3, 4, 5], [0.045] * 5 + [0.045 * (1 + 1e-14)], -1)
    assert const.outcome == "not reproduced" and "same for every" in const.why
    varying = V.trend_at_convergence([0, 1, 2, 3, 4, 5], [6, 5, 4, 3, 2, 1], -1)
    assert varying.outcome == "reproduced"


def test_compare_paired_and_independent():
    rng = np.random.default_rng(0)
    base = rng.normal(size=10)
    assert V.compare(base - 1.0, base, -1, paired=True, meaningful_rel=0.1).outcome == "reproduced"
    assert V.compare(base + 1.0, base, -1, paired=True, meaningful_rel=0.1).outcome == "not reproduced"
    assert (
        V.compare([1.0, 2.0], [1.5, 2.5], -1, paired=True, meaningful_rel=0.1).outcome == "inconclusive"
    )  # min p = 0.5
    a, b = rng.normal(0, 1, 20), rng.normal(3, 1, 20)
    assert V.compare(a, b, -1, meaningful_rel=0.1).outcome == "reproduced"
    assert V.compare(a, b, +1, meaningful_rel=0.1).outcome == "not reproduced"


def test_agreement_toward_erratum_combine():
    assert V.agreement(0.26, 0.286).outcome == "reproduced"
    assert V.agreement(0.1, 0.286).outcome == "not reproduced"
    assert V.agreement(math.nan, 0.286).outcome == "inconclusive"
    assert V.toward(1.1, 3.0, 1.095).outcome == "reproduced"
    assert V.toward(1.7, 3.0, 1.095).outcome == "partly reproduced"
    assert V.toward(3.5, 3.0, 1.095).outcome == "not reproduced"
    assert V.erratum(6.4, 1e-16).outcome == "erratum confirmed"
    assert V.erratum(1e-16, 1e-16).outcome == "not reproduced"  # the printed form holds: no erratum
    assert V.erratum(6.4, 1e-3).outcome == "inconclusive"  # the correction fails too
    good, bad = V.bound([0.5], 1.0), V.bound([2.0], 1.0)
    assert V.combine([good, good]).outcome == "reproduced"
    assert V.combine([good, bad]).outcome == "not reproduced"
    assert V.combine([good, V.trend([1, 2, 3], [3, 2, 1], -1)]).outcome == "partly reproduced"


def test_every_outcome_is_known():
    for v in (V.identity([0.0]), V.trend(np.arange(5.0), np.arange(5.0), 1), V.erratum(1.0, 0.0)):
        assert v.outcome in V.OUTCOMES


def test_at_least_decides_only_when_the_interval_clears_the_threshold():
    assert V.at_least(0.2, 0.15, 0.25, 0.12).outcome == "reproduced"
    assert V.at_least(0.05, 0.01, 0.09, 0.12).outcome == "not reproduced"
    assert V.at_least(0.12, 0.02, 0.22, 0.12).outcome == "inconclusive"
    assert V.at_least(float("nan"), 0.0, 1.0, 0.12).outcome == "inconclusive"


def test_sign_decides_deterministic_differences_beyond_rounding():
    assert V.sign([0.1, 0.04, 0.01], +1, scale=1.7).outcome == "reproduced"
    assert V.sign([0.1, 0.04, 0.01], -1, scale=1.7).outcome == "not reproduced"
    assert V.sign([0.1, -0.04, 0.01], +1, scale=1.7).outcome == "inconclusive"  # the sign changes
    assert V.sign([0.1, 1e-16], +1, scale=1.7).outcome == "inconclusive"  # within rounding of the scale
    assert V.sign([0.1, np.nan], +1, scale=1.7).outcome == "inconclusive"
    with pytest.raises(ValueError, match="`expected_sign`"):
        V.sign([0.1], 0, scale=1.0)


# ---------------------------------------------------------------- every rule at n = 10,000

N_LARGE = 10_000


def test_every_rule_runs_at_n_10000():
    """The paper profile of chapter 04 pairs 3,721 starting points; no rule may overflow or
    exhaust memory at that scale (compare once computed 2 / 2**n)."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=N_LARGE)
    y = -0.5 * x + rng.normal(size=N_LARGE)
    assert V.trend(x, y, -1).outcome == "reproduced"
    assert V.trend_at_convergence(x, y, -1).outcome == "reproduced"
    paired = V.compare(y, y + 0.3 + 0.01 * rng.normal(size=N_LARGE), -1, paired=True, meaningful_rel=0.1)
    assert paired.outcome == "reproduced" and paired.n == N_LARGE
    unpaired = V.compare(rng.normal(1.0, 1, N_LARGE // 2), rng.normal(0.5, 1, N_LARGE // 2), +1, meaningful_rel=0.1)
    assert unpaired.outcome == "reproduced"
    assert V.identity(np.full(N_LARGE, 1e-17)).outcome == "reproduced"
    assert V.bound(np.linspace(0, 1, N_LARGE), 1.0).outcome == "reproduced"
    assert V.sign(np.full(N_LARGE, 1.0), +1, scale=1.0).outcome == "reproduced"
    assert V.order(np.full(N_LARGE, 2.0), np.full(N_LARGE, 0.01), 2.0, n=5).outcome == "reproduced"
    assert V.combine([V.identity([0.0])] * N_LARGE).outcome == "reproduced"
    assert V.min_p_value(N_LARGE) == 0.0


@pytest.mark.parametrize("paired", [True, False])
def test_compare_interval_comes_from_the_test(paired):
    """The 95% interval is the permutation test inverted: it excludes 0 exactly when p < 0.05,
    on data sets on both sides of the line."""
    rng = np.random.default_rng(3)
    for shift in (0.0, 0.3, 0.6, 1.0, 1.5):
        a, b = rng.normal(shift, 1, 12), rng.normal(0, 1, 12)
        v = V.compare(a, b, +1, paired=paired, meaningful_rel=0.1)
        p = float(v.uncertainty.split("p = ")[1].split(",")[0])
        lo, hi = (float(t) for t in v.uncertainty.split("[")[1].split("]")[0].split(", "))
        assert (p < 0.05) == (lo > 0 or hi < 0), v


def test_a_significant_but_small_effect_is_reported_as_small():
    """Chapter 03's case: a 1% change with p < 0.05 is not a 'reproduced' move toward zero."""
    rng = np.random.default_rng(0)
    base = rng.uniform(0.4, 0.45, 40)
    v = V.compare(base * 0.99, base, -1, paired=True, meaningful_rel=0.1)
    assert v.outcome == "partly reproduced" and "-1.0% of the baseline" in v.measured
    big = V.compare(base * 0.5, base, -1, paired=True, meaningful_rel=0.1)
    assert big.outcome == "reproduced"


def test_trend_interval_is_inverted_from_the_same_draws():
    rng = np.random.default_rng(5)
    for slope in (0.0, 0.2, 0.8):
        x = rng.normal(size=15)
        v = V.trend(x, slope * x + rng.normal(size=15), +1)
        p = float(v.uncertainty.split("p = ")[1].split(",")[0])
        lo, hi = (float(t) for t in v.uncertainty.split("[")[1].split("]")[0].split(", "))
        assert lo <= v.value <= hi and (p < 0.05) == (lo > 0 or hi < 0)


def test_a_missing_study_gives_an_inconclusive_row_with_its_reason():
    """Chapter 05's rows for a study the cache lacks (built by keyword: ``Verdict`` has no positional fields)."""
    from igr_core.experiments.mnist import rows

    v = rows._missing("noise study")
    assert v.outcome == "inconclusive" and "noise study is not in the cached results" in v.why
