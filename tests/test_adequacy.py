"""The adequacy gates: a verdict about trained networks is decided only where they finished
learning (plateau test) and solved the task (inclusion rule); each gate can fail."""

import numpy as np
import pandas as pd
import pytest

from igr_core import verdicts as V


def curves(final_accs, rising=(), steps=1000, every=50, train_final=1.0, seeds=(0, 1, 2)):
    """Synthetic metrics: per learning rate, test accuracy that saturates at ``final_accs[h]``
    (or keeps rising for h in ``rising``), train accuracy rising to ``train_final[h]``."""
    rows = []
    for h, final in final_accs.items():
        for s in seeds:
            for step in range(0, steps + 1, every):
                x = step / steps
                acc = final * (x if h in rising else min(1.0, 3 * x))
                tr = (train_final.get(h, 1.0) if isinstance(train_final, dict) else train_final) * min(1.0, 2 * x)
                rows.append(
                    {
                        "width": 1,
                        "h": h,
                        "mu": 0.0,
                        "seed": s,
                        "step": step,
                        "test acc": acc + 0.001 * s,
                        "train acc": tr,
                        "R_IG": 1 / h + 0.01 * s + 0.1 * (1 - x),
                        "diverged": False,
                    }
                )
    return pd.DataFrame(rows)


def selected(m):
    return m.loc[m.groupby(["h", "seed"])["test acc"].idxmax()].reset_index(drop=True)


def trend_rule(d):
    return V.trend(d["h"], d["R_IG"], -1, x_name="h", y_name="R_IG")


def test_plateaued_curves_give_a_decided_verdict():
    m = curves({0.05: 0.8, 0.1: 0.82, 0.2: 0.84})
    g = V.gate(m, 0.99)
    assert g.n_kept == 9 and g.n_still_improving == 0
    v = V.gated(g, trend_rule, selected(m))
    assert v.outcome == "reproduced" and "left out" not in v.why


def test_still_rising_curves_are_inconclusive_with_the_reason():
    m = curves({0.05: 0.8, 0.1: 0.82, 0.2: 0.84}, rising=(0.05, 0.1, 0.2))
    g = V.gate(m, 0.99)
    v = V.gated(g, trend_rule, selected(m))
    assert v.outcome == "inconclusive" and v.n == 0
    assert "9 of 9 networks still improving at the last evaluation (step 1000" in v.why


def test_too_few_evaluations_show_no_plateau():
    m = curves({0.05: 0.8, 0.1: 0.82, 0.2: 0.84}, steps=100, every=50)  # two points: a straight line
    g = V.gate(m)
    assert g.n_still_improving == 9 and "fewer than 5 evaluations" in g.reasons()[0]


def test_the_inclusion_rule_drops_exactly_the_networks_below_the_threshold():
    m = curves({0.01: 0.7, 0.05: 0.8, 0.1: 0.82, 0.2: 0.84, 0.3: 0.85}, train_final={0.01: 0.9, 0.05: 0.989, 0.1: 0.99})
    g = V.gate(m, 0.99)
    dropped = g.table[~g.table["fits"]]
    assert sorted(dropped["h"].unique()) == [0.01, 0.05] and g.n_not_fit == 6 and g.n_kept == 9
    kept = g.keep(selected(m))
    assert sorted(kept["h"].unique()) == [0.1, 0.2, 0.3]
    v = V.gated(g, trend_rule, selected(m))
    assert v.decided and "6 of 15 networks left out" in v.why and "never reach train accuracy 0.99" in v.why


def test_a_gate_that_leaves_too_few_networks_is_inconclusive():
    m = curves({0.05: 0.8, 0.1: 0.82}, train_final={0.05: 0.5})
    v = V.gated(V.gate(m, 0.99), trend_rule, selected(m), min_n=5)
    assert v.outcome == "inconclusive" and "3 left, the rule needs at least 5" in v.why


def test_without_the_plateau_gate_a_fixed_step_claim_keeps_rising_networks():
    m = curves({0.05: 0.8, 0.1: 0.82, 0.2: 0.84}, rising=(0.05, 0.1, 0.2))
    assert V.gate(m, 0.99, plateau=False).n_kept == 9


def test_bad_gate_arguments_are_refused():
    m = curves({0.1: 0.8})
    with pytest.raises(ValueError, match="fit_threshold"):
        V.gate(m, 1.5)
    with pytest.raises(ValueError, match="window"):
        V.network_table(m, window=1.0)


def test_a_gain_above_the_data_sets_ceiling_is_not_testable():
    v = V.at_least(0.01, -0.01, 0.03, 0.12, what="gain", ceiling=0.95, baseline=0.84, ceiling_name="public reports")
    assert v.outcome == "inconclusive" and "not testable" in v.why and "0.96" in v.why
    fits = V.at_least(0.01, -0.01, 0.03, 0.12, what="gain", ceiling=0.95, baseline=0.70)
    assert fits.outcome == "not reproduced"  # a baseline of 0.70 leaves room for 12 points: decided


def test_reached_by_needs_the_deadline_to_decide():
    assert V.reached_by([500, 900], [1000, 1000], 3000).outcome == "reproduced"
    assert V.reached_by([500, np.inf], [1000, 1000], 3000).outcome == "inconclusive"  # stopped early
    assert V.reached_by([500, np.inf], [1000, 3000], 3000).outcome == "not reproduced"
    assert V.reached_by([500, 3500], [4000, 4000], 3000).outcome == "not reproduced"


@pytest.mark.parametrize(
    "rule",
    [
        lambda bad: V.trend([1, 2, 3, 4, 5, 6], [6, 5, 4, 3, 2, bad], -1),
        lambda bad: V.partial_trend([1, 2, 3, 4, 5, 6], [6, 5, 4, 3, 2, bad], [1, 1, 2, 2, 3, 3], -1),
        lambda bad: V.compare([1.0, 1.1, 1.2, bad, 1.3], [0.1, 0.2, 0.3, 0.2, 0.1], +1),
        lambda bad: V.bound([0.1, bad], 1.0),
        lambda bad: V.identity([1e-16, bad]),
        lambda bad: V.sign([1.0, bad], +1, 1.0),
        lambda bad: V.order([2.0, bad], [0.01, 0.01], 2.0, 5),
        lambda bad: V.at_least(bad, 0.0, 1.0, 0.5),
    ],
)
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_any_non_finite_value_makes_a_rule_inconclusive(rule, bad):
    v = rule(bad)
    assert v.outcome == "inconclusive" and ("not finite" in v.why or "not finite" in v.why.lower()), v


def test_a_claimed_absence_of_effect():
    rng = np.random.default_rng(0)
    z = np.repeat(np.arange(50.0), 8)
    x = rng.permutation(400).astype(float)
    y = z + 0.001 * rng.standard_normal(400)
    assert V.partial_trend(x, y, z, 0).outcome == "reproduced"  # y follows z alone
    y2 = z + 10 * x
    assert V.partial_trend(x, y2, z, 0).outcome == "not reproduced"


def test_verdicts_are_built_by_keyword_and_outcomes_are_an_enumeration():
    with pytest.raises(TypeError):
        V.Verdict("reproduced", "trend", "m", "e")  # positional: refused
    v = V.Verdict(outcome="reproduced", rule="trend", measured="m", expected="e")
    assert v.outcome is V.Outcome.REPRODUCED and v.outcome == "reproduced" and v.decided
    with pytest.raises(ValueError):
        V.Verdict(outcome="fine", rule="trend", measured="m", expected="e")
