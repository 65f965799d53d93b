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
    assert "9 of 9 networks not shown on their plateau at the last evaluation (step 1000" in v.why


def test_too_few_evaluations_show_no_plateau():
    m = curves({0.05: 0.8, 0.1: 0.82, 0.2: 0.84}, steps=100, every=50)  # two points: a straight line
    g = V.gate(m)
    assert g.n_still_improving == 9 and "fewer than 3 evaluations in that window" in g.reasons()[0]


# The plateau test (issue 35): evaluation jitter as measured on the stand-in (0.002), the profiles'
# uniform schedules; decided by the trend over the last window, never by where the best point falls.
JITTER = 0.002
SCHEDULES = {  # (steps, evaluations after step 0) of the profiles' network chapters
    "06/07 standin": (1008, 21),
    "05 paper": (12500, 25),
    "smoke": (480, 10),
}


def _curves(at, gain_over_window, steps, n, rng):
    """``n`` noisy curves (one network each, by seed) whose trend adds ``gain_over_window`` of
    test accuracy across the last fifth of the steps, with evaluation jitter JITTER."""
    trend = 0.85 + gain_over_window * at / (V.PLATEAU_WINDOW * steps)
    acc = trend[None, :] + rng.normal(0, JITTER, (n, at.size))
    return pd.DataFrame(
        {
            "h": 0.1,
            "seed": np.repeat(np.arange(n), at.size),
            "step": np.tile(at, n),
            "test acc": acc.ravel(),
            "train acc": 1.0,
            "diverged": False,
        }
    )


def _draws(gain_over_window, steps, evals, n=400, seed=0):
    """How often the plateau test passes such a curve, over ``n`` draws (one gate, n networks)."""
    at = np.linspace(0, steps, evals + 1)
    table = V.gate(_curves(at, gain_over_window, steps, n, np.random.default_rng(seed))).table
    return float(table["plateau"].mean())


@pytest.mark.parametrize("schedule", SCHEDULES)
def test_a_flat_noisy_curve_passes_and_a_rising_one_fails(schedule):
    steps, evals = SCHEDULES[schedule]
    assert _draws(0.0, steps, evals) >= 0.95
    assert _draws(2 * V.PLATEAU_TOL, steps, evals) <= 0.05


def test_the_position_of_the_best_evaluation_does_not_decide():
    # a flat curve whose best evaluation is the last one (noise) still passes; the old rule
    # (best of the window beats the best before it) would fail it by the jitter alone
    at = np.linspace(0, 1000, 22)
    acc = 0.9 + 0.001 * np.sin(at)
    acc[-1] = 0.9 + 0.004
    m = pd.DataFrame({"h": 0.1, "seed": 0, "step": at, "test acc": acc, "train acc": 1.0, "diverged": False})
    assert bool(V.gate(m).table["plateau"].iloc[0])


def test_the_accelerator_curve_still_improving_is_not_a_plateau():
    # chapter 06, accelerator profile, h = 0.05, seed 0: best at the last evaluation, 0.35 points
    # over the last four evaluations, two of them in the last fifth
    at = np.array([0, 78, 156, 234, 312, 390, 468])
    acc = np.array([0.122, 0.8400, 0.8367, 0.8763, 0.8829, 0.8840, 0.8864])
    m = pd.DataFrame({"h": 0.05, "seed": 0, "step": at, "test acc": acc, "train acc": 1.0, "diverged": False})
    t = V.gate(m).table.iloc[0]
    assert not t["plateau"] and t["window evaluations"] == 2
    assert "fewer than 3 evaluations in that window" in V.gate(m).reasons()[0]


def test_moving_evaluations_cannot_pass_a_curve_that_uniform_evaluations_fail():
    # 20 dense evaluations early and one late put one evaluation in the window: never a plateau,
    # whatever the curve; the same rising curve under the uniform schedule fails too
    (steps, evals), rng = SCHEDULES["06/07 standin"], np.random.default_rng(1)
    uniform = np.linspace(0, steps, evals + 1)
    dense_then_one = np.r_[np.linspace(0, steps / 2, 21), steps]
    passed = {
        key: int(V.gate(_curves(at, gain, steps, 200, rng)).table["plateau"].sum())
        for key, at, gain in (
            ("uniform", uniform, 0.01),
            ("moved", dense_then_one, 0.01),
            ("moved, flat", dense_then_one, 0),
        )
    }
    assert passed["moved"] == passed["moved, flat"] == 0
    assert passed["uniform"] <= 10
