"""Permutation statistics (``_src/verdicts/stats.py``): draws against brute-force enumeration,
the shift model that lets one set of draws serve the test and its inversion, the p-value, the
inverted interval (its edges and its coverage on simulated data), the smallest achievable
p-values, and :func:`decide`'s one rule."""

import math
from itertools import combinations, permutations, product

import numpy as np
import pytest
from scipy.stats import rankdata

from igr_core._src.verdicts import stats as S
from igr_core._src.verdicts.outcomes import Outcome


def _unit(v):
    v = np.asarray(v, float) - np.mean(v)
    return v / np.linalg.norm(v)


def _ranks(x, y):
    return _unit(rankdata(x)), _unit(rankdata(y))


# ------------------------------------------------------------------ smallest p-values


def test_min_p_value_formula():
    assert S.min_p_value(0) == S.min_p_value(1) == 1.0
    assert S.min_p_value(2) == 1.0  # 2 / 2! = 1
    assert S.min_p_value(3) == pytest.approx(1 / 3)
    assert S.min_p_value(5) == pytest.approx(2 / 120)
    assert S.min_p_value(20) == pytest.approx(2 / math.factorial(20))
    assert S.min_p_value(21) == 0.0


def test_log_min_p_paired_formula_and_no_overflow():
    for n in (1, 2, 5, 30):
        assert math.exp(S.log_min_p_paired(n)) == pytest.approx(2.0 / 2**n)
    big = S.log_min_p_paired(5000)  # 2^5000 overflows a float; its log does not
    assert math.isfinite(big) and big == pytest.approx(math.log(2) - 5000 * math.log(2))


def test_min_p_value_bounds_every_p_value_of_an_exact_enumeration():
    """No arrangement of n = 5 pairs reaches a p-value below min_p_value(5)."""
    x = np.arange(5.0)
    rx = _unit(rankdata(x))
    lowest = 1.0
    for perm in permutations(range(5)):
        ry = _unit(rankdata(np.asarray(perm, float)))
        s0, c = S.pairing_draws(rx, ry, 9999, 0)
        lowest = min(lowest, S.p_at(0.0, float(rx @ ry), s0, c))
    assert lowest >= S.min_p_value(5)


def test_min_p_value_is_achieved_by_a_perfectly_monotone_sample():
    x = np.arange(5.0)
    rx, ry = _ranks(x, x)
    s0, c = S.pairing_draws(rx, ry, 9999, 0)
    assert S.p_at(0.0, 1.0, s0, c) == pytest.approx(S.min_p_value(5))


# ------------------------------------------------------------------ draws


def test_pairing_draws_enumerate_every_repairing_when_few_exist():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=4), rng.normal(size=4)
    rx, ry = _ranks(x, y)
    s0, c = S.pairing_draws(rx, ry, 24, 0)  # 4! = 24 <= n_resamples: exact
    assert s0.shape == c.shape == (24,)
    brute = sorted(float(rx[list(p)] @ ry) for p in permutations(range(4)))
    np.testing.assert_allclose(np.sort(s0), brute, atol=1e-12)
    brute_c = sorted(float(rx[list(p)] @ rx) for p in permutations(range(4)))
    np.testing.assert_allclose(np.sort(c), brute_c, atol=1e-12)
    mc, _ = S.pairing_draws(rx, ry, 23, 0)  # one fewer: Monte Carlo, as many draws as asked
    assert mc.shape == (23,)


def test_pairing_draws_monte_carlo_is_seeded():
    rx, ry = _ranks(np.arange(9.0), np.arange(9.0) % 4)
    a = S.pairing_draws(rx, ry, 600, 3)
    b = S.pairing_draws(rx, ry, 600, 3)
    other = S.pairing_draws(rx, ry, 600, 4)
    assert a[0].shape == (600,)
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.array_equal(a[0], other[0])


@pytest.mark.parametrize("n_resamples", [9999, 500])  # exact (5! = 120) and Monte Carlo
def test_pairing_draws_shift_model(n_resamples):
    """Under H0 "ry - beta rx exchangeable against rx", the resampled statistic of the shifted
    ranks is s0 - beta c: one set of draws serves every beta."""
    rng = np.random.default_rng(2)
    rx, ry = _ranks(rng.normal(size=5), rng.normal(size=5))
    s0, c = S.pairing_draws(rx, ry, n_resamples, 7)
    beta = 0.37
    shifted, _ = S.pairing_draws(rx, ry - beta * rx, n_resamples, 7)
    np.testing.assert_allclose(shifted, s0 - beta * c, atol=1e-12)
    assert float(rx @ rx) == pytest.approx(1.0)  # unit-norm ranks: observed rho - beta at beta


def test_paired_draws_are_every_sign_flip():
    d = np.array([0.3, -1.2, 2.0, 0.7])
    s0, c = S.permutation_draws(d + 1.0, np.ones(4), True, 9999, 0)
    assert s0.shape == (16,)
    brute = sorted(float(np.dot(s, d) / 4) for s in product((-1, 1), repeat=4))
    np.testing.assert_allclose(np.sort(s0), brute, atol=1e-12)
    mc, mc_c = S.permutation_draws(d + 1.0, np.ones(4), True, 15, 0)  # 2^4 > 15: Monte Carlo
    assert mc.shape == (15,) and set(np.round(np.abs(mc_c) * 4)) <= {0, 2, 4}


def test_unpaired_draws_are_every_relabelling():
    a, b = np.array([1.0, 2.5, 4.0]), np.array([0.0, 0.5, 3.0, 1.5])
    s0, c = S.permutation_draws(a, b, False, 9999, 0)
    assert s0.shape == (math.comb(7, 3),)
    z = np.concatenate([a, b])
    brute = []
    for idx in combinations(range(7), 3):
        mask = np.zeros(7, bool)
        mask[list(idx)] = True
        brute.append(z[mask].mean() - z[~mask].mean())
    np.testing.assert_allclose(np.sort(s0), np.sort(brute), atol=1e-12)
    assert np.max(c) == pytest.approx(1.0)  # the identity labelling: a full shift
    mc, _ = S.permutation_draws(a, b, False, 30, 0)  # 35 > 30: Monte Carlo
    assert mc.shape == (30,)


@pytest.mark.parametrize("paired", [True, False])
@pytest.mark.parametrize("n_resamples", [9999, 700])  # exact and Monte Carlo (same seed)
def test_permutation_draws_shift_model(paired, n_resamples):
    """Shifting the treatment by delta moves every resampled statistic by -delta c."""
    rng = np.random.default_rng(3)
    a, b = rng.normal(1.0, 1.0, 6), rng.normal(0.0, 1.0, 6)
    s0, c = S.permutation_draws(a, b, paired, n_resamples, 11)
    delta = 0.8
    shifted, _ = S.permutation_draws(a - delta, b, paired, n_resamples, 11)
    np.testing.assert_allclose(shifted, s0 - delta * c, atol=1e-12)


# ------------------------------------------------------------------ p-values


def test_p_value_against_brute_force_enumeration():
    """The two-sided p-value of a difference of means, counted by hand over every relabelling
    (the observed relabelling is one of them: count / N)."""
    a, b = np.array([3.1, 2.2, 4.0, 3.3]), np.array([1.0, 2.5, 0.4, 1.9])
    diff = a.mean() - b.mean()
    z = np.concatenate([a, b])
    stats = []
    for idx in combinations(range(8), 4):
        mask = np.zeros(8, bool)
        mask[list(idx)] = True
        stats.append(z[mask].mean() - z[~mask].mean())
    stats = np.abs(stats)
    expected = np.count_nonzero(stats >= abs(diff) - 1e-12) / stats.size
    s0, c = S.permutation_draws(a, b, False, 9999, 0)
    assert S.p_at(0.0, diff, s0, c) == pytest.approx(expected)
    assert expected < 0.1  # the case is not trivial: the groups differ


def test_monte_carlo_p_value_approaches_the_exact_one():
    rng = np.random.default_rng(4)
    x = np.arange(7.0)
    y = x + rng.normal(0, 3, 7)
    rx, ry = _ranks(x, y)
    rho = float(rx @ ry)
    exact = S.p_at(0.0, rho, *S.pairing_draws(rx, ry, 9999, 0))  # 7! = 5040: exact
    mc = S.p_at(0.0, rho, *S.pairing_draws(rx, ry, 4000, 0))
    assert 0.01 < exact < 0.99 and mc == pytest.approx(exact, abs=0.03)


def test_p_at_is_one_at_the_observed_shift_and_never_zero():
    rng = np.random.default_rng(5)
    a, b = rng.normal(2, 1, 8), rng.normal(0, 1, 8)
    s0, c = S.permutation_draws(a, b, True, 9999, 0)
    diff = float(np.mean(a - b))
    assert S.p_at(diff, diff, s0, c) == 1.0
    far = [S.p_at(diff + d, diff, s0, c) for d in (-100.0, 100.0)]
    assert all(1 / (s0.size + 1) <= p < 0.05 for p in far)  # rejected, but never p = 0
    assert S.p_at(0.0, diff, s0, c) < 0.05  # a clear shift of 2 standard deviations


# ------------------------------------------------------------------ interval


def test_interval_edges_are_where_the_test_starts_to_reject():
    rng = np.random.default_rng(6)
    a, b = rng.normal(1, 1, 10), rng.normal(0, 1, 10)
    s0, c = S.permutation_draws(a, b, True, 9999, 0)
    diff = float(np.mean(a - b))
    lo, hi = S.inverted_interval(diff, s0, c, 0.05, 4 * float(np.std(s0)))
    assert lo < diff < hi
    eps = 1e-6 * (hi - lo)
    assert S.p_at(lo + eps, diff, s0, c) >= 0.05 > S.p_at(lo - eps, diff, s0, c)
    assert S.p_at(hi - eps, diff, s0, c) >= 0.05 > S.p_at(hi + eps, diff, s0, c)
    grid = np.linspace(lo - (hi - lo), hi + (hi - lo), 101)
    kept = np.array([S.p_at(g, diff, s0, c) >= 0.05 for g in grid])
    np.testing.assert_array_equal(kept, (grid >= lo) & (grid <= hi))  # the set not rejected


def test_interval_is_unbounded_when_no_shift_can_be_rejected():
    a, b = np.array([1.0, 2.0, 3.0]), np.array([0.0, 0.5, 1.0])  # 8 sign flips: p >= 1/9
    s0, c = S.permutation_draws(a, b, True, 9999, 0)
    assert S.inverted_interval(float(np.mean(a - b)), s0, c, 0.05, 1.0) == (-np.inf, np.inf)


@pytest.mark.parametrize("paired", [True, False])
def test_interval_covers_the_true_shift_at_about_95_percent(paired):
    rng = np.random.default_rng(7)
    true, reps, hits = 0.7, 200, 0
    for _ in range(reps):
        b = rng.normal(0.0, 1.0, 9)
        a = (b if paired else rng.normal(0.0, 1.0, 9)) + true + rng.normal(0, 1.0, 9)
        s0, c = S.permutation_draws(a, b, paired, 999, int(rng.integers(1 << 30)))
        diff = float(np.mean(a - b)) if paired else float(a.mean() - b.mean())
        lo, hi = S.inverted_interval(diff, s0, c, 0.05, 4 * float(np.std(s0)))
        hits += lo <= true <= hi
    assert 0.90 <= hits / reps <= 0.99  # 95% +- 3.5 binomial standard errors


# ------------------------------------------------------------------ decide


def _decide(stat, p, lo, hi, sign=1, n=10, min_p=1e-3, meaningful=0.3, alpha=0.05, **kw):
    return S.decide(stat, p, lo, hi, sign, n, min_p, meaningful, alpha, **kw)


def test_decide_the_one_rule():
    assert _decide(0.8, 0.001, 0.5, 0.95)[0] == Outcome.REPRODUCED
    assert _decide(-0.8, 0.001, -0.95, -0.5, sign=-1)[0] == Outcome.REPRODUCED
    assert _decide(-0.8, 0.001, -0.95, -0.5, sign=-5)[0] == Outcome.REPRODUCED  # only the sign counts
    assert _decide(0.8, 0.001, 0.5, 0.95, sign=-1)[0] == Outcome.NOT_REPRODUCED  # significant, other sign
    outcome, why = _decide(0.1, 0.001, 0.05, 0.15)
    assert outcome == Outcome.PARTLY and "small" in why and "0.3" in why
    outcome, why = _decide(0.1, 0.001, 0.05, 0.15, small="a tenth of a unit")
    assert outcome == Outcome.PARTLY and why.endswith("a tenth of a unit")
    # not significant: decided only when the interval excludes a meaningful effect of the sign
    assert _decide(0.05, 0.5, -0.2, 0.25)[0] == Outcome.NOT_REPRODUCED
    assert _decide(0.05, 0.5, -0.2, 0.35)[0] == Outcome.INCONCLUSIVE
    assert _decide(-0.05, 0.5, -0.25, 0.2, sign=-1)[0] == Outcome.NOT_REPRODUCED
    assert _decide(-0.05, 0.5, -0.35, 0.2, sign=-1)[0] == Outcome.INCONCLUSIVE


def test_decide_is_inconclusive_when_the_data_cannot_decide():
    outcome, why = _decide(1.0, 0.001, 0.9, 1.0, n=4, min_p=0.083)
    assert outcome == Outcome.INCONCLUSIVE and "n = 4" in why and "smallest possible p" in why
    for stat, p in ((np.nan, 0.01), (0.5, np.nan), (np.inf, 0.01)):
        outcome, why = _decide(stat, p, -1.0, 1.0)
        assert outcome == Outcome.INCONCLUSIVE and "no variation" in why


def test_decide_names_its_effect_and_p_value():
    outcome, why = _decide(2.0, 0.004, 1.0, 3.0, effect="difference")
    assert outcome == Outcome.REPRODUCED and "difference" in why and "p = 0.004" in why
