"""Rules on noisy data (``_src/verdicts/trends.py``): Spearman's rho against scipy, the partial
rho against the textbook formula, sign handling, the p-value against an enumeration of every
re-pairing, NaN or inf -> inconclusive naming the count, the convergence shortcut, and
:func:`compare` on two groups (paired and independent)."""

import math
from itertools import permutations

import numpy as np
import pytest
from scipy.stats import rankdata, spearmanr

from igr_core._src.verdicts.outcomes import Outcome, tolerance
from igr_core._src.verdicts.trends import RankTest, compare, partial_trend, trend, trend_at_convergence


def _noisy(n, slope, seed, noise=1.0):
    rng = np.random.default_rng(seed)
    x = np.arange(n, dtype=float)
    return x, slope * x + rng.normal(0, noise * n / 4, n)


# ------------------------------------------------------------------ trend


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_rho_is_spearmans(seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=12)
    y = np.round(x + rng.normal(size=12), 0)  # ties in y
    v = trend(x, y, +1)
    assert v.value == pytest.approx(spearmanr(x, y).statistic, abs=1e-12)
    assert v.n == 12 and v.rule == "trend"


def test_sign_handling():
    x, y = _noisy(20, 1.0, 3, noise=0.2)
    assert trend(x, y, +1).outcome == Outcome.REPRODUCED
    assert trend(x, y, -1).outcome == Outcome.NOT_REPRODUCED  # significant, the other sign
    assert trend(x, -y, -1).outcome == Outcome.REPRODUCED
    assert trend(x, -y, -1).value == pytest.approx(-trend(x, y, +1).value)
    for bad in (0, 2, -0.5, "+"):
        with pytest.raises(ValueError, match="expected_sign"):
            trend(x, y, bad)


def test_a_weak_but_significant_trend_is_partly_reproduced():
    x, y = _noisy(200, 0.1, 4)
    v = trend(x, y, +1)
    assert 0 < v.value < RankTest().meaningful and v.p < 0.05
    assert v.outcome == Outcome.PARTLY and "weak" in v.why


def test_no_trend_with_many_points_is_not_reproduced_with_few_inconclusive():
    rng = np.random.default_rng(5)
    many = trend(np.arange(300.0), rng.normal(size=300), +1)
    assert many.outcome == Outcome.NOT_REPRODUCED and many.interval[1] < RankTest().meaningful
    few = trend(np.arange(6.0), rng.normal(size=6), +1)
    assert few.outcome == Outcome.INCONCLUSIVE and few.interval[1] > RankTest().meaningful


def test_p_value_is_within_one_draw_of_an_enumeration_of_every_repairing():
    x, y = _noisy(6, 1.0, 6)
    v = trend(x, y, +1)  # 6! = 720 <= n_resamples: exact enumeration
    rho = spearmanr(x, y).statistic
    null = np.array([spearmanr(x, y[list(p)]).statistic for p in permutations(range(6))])
    exact = np.mean(np.abs(null) >= abs(rho) - 1e-12)
    assert 0.01 < exact < 0.5
    assert v.p == pytest.approx(exact, abs=1 / null.size)
    lo, hi = v.interval
    assert -1 <= lo < v.value < hi <= 1


def test_p_value_is_the_exact_permutation_p_value_when_every_repairing_is_enumerated():
    x, y = _noisy(6, 1.0, 6)
    rho = spearmanr(x, y).statistic
    null = np.array([spearmanr(x, y[list(p)]).statistic for p in permutations(range(6))])
    assert trend(x, y, +1).p == pytest.approx(np.mean(np.abs(null) >= abs(rho) - 1e-12), rel=1e-9)


def test_monte_carlo_p_value_is_seeded_and_close_to_the_exact_one():
    x, y = _noisy(7, 1.0, 7, noise=1.5)  # 7! = 5040
    exact = trend(x, y, +1).p
    mc = [trend(x, y, +1, test=RankTest(n_resamples=2000, seed=s)).p for s in (0, 0, 1)]
    assert mc[0] == mc[1] and mc[0] != mc[2]
    assert mc[0] == pytest.approx(exact, abs=0.03) and 0.01 < exact < 0.9


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_a_non_finite_value_makes_the_trend_inconclusive_naming_the_count(bad):
    x, y = _noisy(10, 1.0, 8, noise=0.1)
    y[3] = bad
    v = trend(x, y, +1)
    assert v.outcome == Outcome.INCONCLUSIVE and "1 of 20 values are not finite" in v.why
    x[0] = bad
    assert "2 of 20" in trend(x, y, +1).why


def test_too_few_points_or_no_variation_is_inconclusive():
    v = trend([1.0, 2.0], [1.0, 2.0], +1)
    assert v.outcome == Outcome.INCONCLUSIVE and "n = 2" in v.why
    v = trend([1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0], +1)  # min p = 2/24 > 0.05
    assert v.outcome == Outcome.INCONCLUSIVE and "smallest possible p" in v.why
    v = trend(np.arange(10.0), np.ones(10), +1)
    assert v.outcome == Outcome.INCONCLUSIVE and "no variation" in v.why
    with pytest.raises(ValueError, match="same length"):
        trend(np.arange(5.0), np.arange(4.0), +1)


# ------------------------------------------------------------------ partial trend


def _chain(n, direct, seed):
    """x -> z -> y, plus a direct effect of x on y of size ``direct``."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    z = x + 0.5 * rng.normal(size=n)
    y = z + direct * x + 0.5 * rng.normal(size=n)
    return x, y, z


def test_partial_rho_is_the_textbook_partial_spearman():
    x, y, z = _chain(30, 0.3, 9)
    r = np.corrcoef(np.vstack([rankdata(x), rankdata(y), rankdata(z)]))
    rxy, rxz, ryz = r[0, 1], r[0, 2], r[1, 2]
    expected = (rxy - rxz * ryz) / math.sqrt((1 - rxz**2) * (1 - ryz**2))
    assert partial_trend(x, y, z, +1).value == pytest.approx(expected, abs=1e-12)


def test_partial_trend_separates_a_chain_from_a_direct_effect():
    x, y, z = _chain(150, 0.0, 10)
    assert trend(x, y, +1).outcome == Outcome.REPRODUCED  # marginally x and y move together
    assert partial_trend(x, y, z, 0).outcome == Outcome.REPRODUCED  # no effect once z is fixed
    assert partial_trend(x, y, z, +1).outcome != Outcome.REPRODUCED
    x, y, z = _chain(150, 2.0, 10)
    assert partial_trend(x, y, z, +1).outcome == Outcome.REPRODUCED
    assert partial_trend(x, y, z, 0).outcome == Outcome.NOT_REPRODUCED


def test_partial_trend_of_functions_of_z_is_inconclusive():
    z = np.arange(20.0)
    v = partial_trend(z**3, z + np.sin(z), z, +1)  # x and y both monotone in z: no partial rho exists
    assert v.outcome == Outcome.INCONCLUSIVE


def test_partial_trend_edge_cases():
    x, y, z = _chain(20, 1.0, 11)
    y[0] = np.nan
    v = partial_trend(x, y, z, +1)
    assert v.outcome == Outcome.INCONCLUSIVE and "1 of 60 values are not finite" in v.why
    assert partial_trend(x[:3], x[:3], z[:3], +1).outcome == Outcome.INCONCLUSIVE
    with pytest.raises(ValueError, match="expected_sign"):
        partial_trend(x, x, z, 2)
    with pytest.raises(ValueError, match="same length"):
        partial_trend(x, x, z[:-1], +1)


# ------------------------------------------------------------------ at convergence


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_converged_values_that_agree_to_rounding_have_no_trend(dtype):
    x = np.arange(8.0)
    y = 0.25 * (1 + tolerance(dtype) / 10 * np.arange(8) / 8)  # spread a tenth of the tolerance
    v = trend_at_convergence(x, y, +1, dtype=dtype)
    assert v.outcome == Outcome.NOT_REPRODUCED and "no trend exists" in v.why
    assert v.value == pytest.approx(np.ptp(y) / np.mean(y))


def test_converged_values_that_differ_are_decided_by_trend():
    x = np.arange(8.0)
    y = 0.25 * (1 + 1e-6 * np.arange(8))  # 7e-6 relative spread: above float64's, below float32's tolerance
    v64 = trend_at_convergence(x, y, +1, dtype="float64")
    assert v64.outcome == trend(x, y, +1).outcome == Outcome.REPRODUCED and v64.value == pytest.approx(1.0)
    assert trend_at_convergence(x, y, +1, dtype="float32").outcome == Outcome.NOT_REPRODUCED
    y_nan = y.copy()
    y_nan[2] = np.nan
    assert trend_at_convergence(x, y_nan, +1).outcome == Outcome.INCONCLUSIVE


# ------------------------------------------------------------------ compare


def test_compare_two_groups():
    rng = np.random.default_rng(12)
    base = rng.normal(1.0, 0.1, 10)
    treat = rng.normal(1.5, 0.1, 10)
    v = compare(treat, base, +1, meaningful=0.2)
    assert v.outcome == Outcome.REPRODUCED and v.rule == "compare" and v.n == 20
    assert v.value == pytest.approx(treat.mean() - base.mean()) and v.threshold == 0.2
    lo, hi = v.interval
    assert lo < v.value < hi and lo > 0 and v.p < 0.05
    assert compare(treat, base, -1, meaningful=0.2).outcome == Outcome.NOT_REPRODUCED
    assert compare(treat, base, +1, meaningful=1.0).outcome == Outcome.PARTLY  # significant but small
    rel = compare(treat, base, +1, meaningful_rel=0.1)
    assert rel.threshold == pytest.approx(0.1 * abs(base.mean())) and rel.outcome == Outcome.REPRODUCED


def test_compare_paired_uses_the_differences():
    rng = np.random.default_rng(13)
    base = rng.normal(0.0, 5.0, 12)  # large spread between pairs, small consistent shift within
    treat = base + 0.3 + rng.normal(0, 0.05, 12)
    paired = compare(treat, base, +1, paired=True, meaningful=0.1)
    assert paired.outcome == Outcome.REPRODUCED and paired.n == 12
    assert paired.value == pytest.approx(np.mean(treat - base))
    assert compare(treat, base, +1, meaningful=0.1).outcome == Outcome.INCONCLUSIVE  # unpaired: lost in the spread
    with pytest.raises(ValueError, match="same length"):
        compare(treat, base[:-1], +1, paired=True, meaningful=0.1)


def test_compare_no_difference_with_a_tight_interval_is_not_reproduced():
    rng = np.random.default_rng(14)
    v = compare(rng.normal(1.0, 0.01, 15), rng.normal(1.0, 0.01, 15), +1, meaningful=0.1)
    assert v.outcome == Outcome.NOT_REPRODUCED and v.interval[1] < 0.1


def test_compare_inconclusive_cases_and_argument_checks():
    v = compare([1.0, 2.0], [0.0, 0.5], +1, meaningful=0.1)  # 6 relabellings: min p = 1/3
    assert v.outcome == Outcome.INCONCLUSIVE and "smallest possible p" in v.why
    v = compare([1.0, np.nan, 3.0], [0.0, 0.5, np.inf], +1, meaningful=0.1)
    assert v.outcome == Outcome.INCONCLUSIVE and "2 of 6 values are not finite" in v.why
    many = compare(np.ones(600) + 1e-3, np.ones(600), +1, meaningful=0.1, n_resamples=199)
    assert many.n == 1200 and many.outcome != Outcome.INCONCLUSIVE  # C(1200, 600) overflows a float: logs
    with pytest.raises(ValueError, match="exactly one"):
        compare([1.0], [0.0], +1)
    with pytest.raises(ValueError, match="exactly one"):
        compare([1.0], [0.0], +1, meaningful=0.1, meaningful_rel=0.1)
    with pytest.raises(ValueError, match="non-negative"):
        compare([1.0], [0.0], +1, meaningful=-0.1)
    with pytest.raises(ValueError, match="expected_sign"):
        compare([1.0], [0.0], 0, meaningful=0.1)
