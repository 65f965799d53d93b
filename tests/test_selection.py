"""Stopping-time selection (``_src/selection.py``): one row per configuration at the chosen time
(max test accuracy, earliest on ties, diverged runs left out; fixed step; fixed physical time
within a tolerance; matched training loss), the training-accuracy threshold applied at the
selected time, and results that do not depend on the table's row order."""

import numpy as np
import pandas as pd
import pytest

from igr_core._src import selection as S


def table():
    """Four configurations (h x seed), evaluations at steps 0, 10, 20, 30."""
    rows = []
    curves = {
        (0.1, 0): ([0.1, 0.8, 0.9, 0.9], [2.0, 0.4, 0.2, 0.1], [0.2, 0.9, 1.0, 1.0], False),
        (0.1, 1): ([0.1, 0.7, 0.6, 0.5], [2.0, 0.5, 0.3, 0.2], [0.2, 0.8, 0.9, 1.0], False),
        (0.5, 0): ([0.1, 0.95, np.nan, np.nan], [2.0, 0.3, np.inf, np.nan], [0.2, 1.0, 0.0, 0.0], True),
        (0.5, 1): ([0.1, 0.5, 0.6, np.nan], [2.0, 1.0, 0.8, 0.6], [0.2, 0.5, 0.6, 0.7], False),
    }
    for (h, seed), (acc, loss, tr_acc, div) in curves.items():
        for i, step in enumerate([0, 10, 20, 30]):
            rows.append(
                {
                    "width": 8,
                    "batch_size": 32,
                    "h": h,
                    "mu": 0.0,
                    "seed": seed,
                    "step": step,
                    "t": step * h,
                    "test acc": acc[i],
                    "train E": loss[i],
                    "train acc": tr_acc[i],
                    "diverged": div and i >= 2,  # diverged after its best evaluation
                    "R_IG": float(i),
                }
            )
    return pd.DataFrame(rows)


def _by(df):
    return {(r.h, r.seed): r for r in df.itertuples(index=False)}


def test_config_keys_in_their_order():
    assert S.config_keys(table()) == ["width", "batch_size", "h", "mu", "seed"]
    assert S.config_keys(table().drop(columns=["mu", "batch_size"])) == ["width", "h", "seed"]


def test_max_test_accuracy_earliest_on_ties_and_never_a_diverged_run():
    sel = S.select_at_max_test_accuracy(table())
    got = _by(sel)
    assert set(got) == {(0.1, 0), (0.1, 1), (0.5, 1)}  # (0.5, 0) diverged later: left out entirely
    assert got[(0.1, 0)].step == 20  # 0.9 at steps 20 and 30: the earliest
    assert got[(0.1, 1)].step == 10 and got[(0.5, 1)].step == 20  # a NaN accuracy is never the maximum
    assert list(sel.columns) == list(table().columns)


def test_the_training_accuracy_threshold_is_applied_at_the_selected_time():
    sel = S.select_at_max_test_accuracy(table(), train_acc_threshold=1.0)
    assert [(r.h, r.seed) for r in sel.itertuples()] == [(0.1, 0)]  # (0.1, 1) reaches 1.0 only later
    status = S.fit_status(table(), 1.0).set_index(["h", "seed"])
    assert bool(status.loc[(0.1, 0), "fits"]) and not bool(status.loc[(0.1, 1), "fits"])
    assert status.loc[(0.1, 1), "train acc at selection"] == 0.8 and status.loc[(0.1, 1), "selected step"] == 10
    assert bool(status.loc[(0.5, 0), "diverged"]) and not bool(status.loc[(0.5, 0), "fits"])
    assert np.isnan(status.loc[(0.5, 0), "selected step"])  # a diverged run has no selection
    assert S.fit_status(table(), 0.8).set_index(["h", "seed"])["fits"].sum() == 2  # (0.1, 0) and (0.1, 1)


def test_fixed_step_is_the_last_evaluation_at_or_before_it():
    sel = S.select_at_step(table(), 25)
    assert len(sel) == 4 and set(sel["step"]) == {20}
    assert set(S.select_at_step(table(), 30)["step"]) == {30}
    assert set(S.select_at_step(table(), 9)["step"]) == {0}


def test_fixed_physical_time_within_the_tolerance():
    sel = _by(S.select_at_time(table(), 5.0))  # h = 0.5 reaches t = 5 at step 10; h = 0.1 never does
    assert set(sel) == {(0.5, 0), (0.5, 1)} and {r.step for r in sel.values()} == {10}
    sel = _by(S.select_at_time(table(), 2.1, rel_tol=0.05))  # 2.0 is within 5% of 2.1; h = 0.5 has no t near it
    assert set(sel) == {(0.1, 0), (0.1, 1)} and {r.t for r in sel.values()} == {2.0}
    assert S.select_at_time(table(), 2.5, rel_tol=0.05).empty  # closest are 2.0 and 3.0: 20% away
    assert "_gap" not in S.select_at_time(table(), 5.0).columns
    for bad in (0.0, -1.0, float("nan")):
        with pytest.raises(ValueError, match="positive physical time"):
            S.select_at_time(table(), bad)


def test_matched_training_loss_is_the_first_evaluation_below_it():
    got = _by(S.select_at_train_loss(table(), 0.35))
    assert {k: r.step for k, r in got.items()} == {(0.1, 0): 20, (0.1, 1): 20}
    # (0.5, 0) got there at step 10 but diverged later; (0.5, 1) never gets below 0.6
    assert S.select_at_train_loss(table(), 0.01).empty


def test_selection_does_not_depend_on_the_row_order():
    shuffled = table().sample(frac=1.0, random_state=3)
    key = ["h", "seed"]
    for select in (
        S.select_at_max_test_accuracy,
        lambda d: S.select_at_step(d, 25),
        lambda d: S.select_at_time(d, 5.0),
        lambda d: S.select_at_train_loss(d, 0.35),
    ):
        a = select(table()).sort_values(key).reset_index(drop=True)
        b = select(shuffled).sort_values(key).reset_index(drop=True)
        pd.testing.assert_frame_equal(a, b)


def test_selectable_at_time_is_a_schedule_check():
    steps = {0.1: [10, 20, 30], 0.5: [10, 12]}  # t = 1, 2, 3 and t = 5, 6
    assert S.selectable_at_time([0.1, 0.5], steps, 2.05) == {0.1: True, 0.5: False}
    assert S.selectable_at_time([0.1, 0.5], steps, 2.5) == {0.1: False, 0.5: False}
    assert S.selectable_at_time([0.1, 0.5], steps, 4.0, rel_tol=0.3) == {0.1: True, 0.5: True}
