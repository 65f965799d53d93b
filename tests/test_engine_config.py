"""The sweep's configuration and schedule (``_src/engine/config.py``): fields normalized and
validated on construction, the grid's order, the minibatch indices (shapes, per-epoch
permutations, determinism in ``data_seed``), the training length and the evaluation marks."""

import dataclasses

import numpy as np
import pytest

from igr_core._src.engine.config import (
    SweepConfig,
    batch_indices,
    evaluation_steps,
    steps_per_epoch,
    total_steps,
)


def cfg(**kw):
    base = dict(experiment="t", widths=(4,), learning_rates=(0.1,), depth=1, batch_size=10, epochs=1, eval_every=4)
    base.update(kw)
    return SweepConfig(**base)


# ------------------------------------------------------------------ the configuration


def test_fields_are_normalized():
    c = cfg(widths=[8.0, 4], learning_rates=[1, 0.5], seeds=[0, np.int64(2)], mus=[0, 1], eval_times=[1, 2])
    assert c.widths == (8, 4) and all(type(w) is int for w in c.widths)
    assert c.learning_rates == (1.0, 0.5) and all(type(h) is float for h in c.learning_rates)
    assert c.seeds == (0, 2) and all(type(s) is int for s in c.seeds)
    assert c.mus == (0.0, 1.0) and c.eval_times == (1.0, 2.0)
    r = cfg(widths=[1, 0.5], architecture="resnet18")
    assert r.widths == (1.0, 0.5) and all(type(w) is float for w in r.widths)  # channel multipliers


def test_a_config_is_frozen_and_hashable():
    c = cfg()
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.epochs = 3
    assert hash(c) == hash(cfg()) and c == cfg()


def test_grid_is_grouped_by_width_in_field_order():
    c = cfg(widths=(8, 4), learning_rates=(0.1, 0.2), mus=(0.0, 0.5), seeds=(0, 1))
    g = c.grid()
    assert len(g) == 16 and len(set(g)) == 16
    assert g[:8] == [(8, h, mu, s) for h in (0.1, 0.2) for mu in (0.0, 0.5) for s in (0, 1)]
    assert all(w == 4 for w, *_ in g[8:])


def test_egr_is_on_when_some_mu_is_positive():
    assert not cfg().egr and not cfg(mus=(0.0, 0.0)).egr
    assert cfg(mus=(0.0, 1e-3)).egr


@pytest.mark.parametrize(
    "kw, match",
    [
        ({"widths": "16"}, "`widths` must be a non-empty sequence"),
        ({"widths": 16}, "`widths` must be a non-empty sequence"),
        ({"widths": (True,)}, "`widths` of an MLP must be positive integers"),
        ({"widths": (np.inf,), "architecture": "resnet10"}, "channel multipliers"),
        ({"learning_rates": ()}, "`learning_rates` must be a non-empty sequence"),
        ({"learning_rates": (np.nan,)}, "`learning_rates` must be positive finite"),
        ({"seeds": ()}, "`seeds` must be a non-empty sequence"),
        ({"mus": (np.inf,)}, "`mus`"),
        ({"eval_times": (0.0,)}, "`eval_times` must be positive finite"),
        ({"eval_times": (np.nan,)}, "`eval_times` must be positive finite"),
        ({"batch_size": True}, "`batch_size` must be a positive integer or None"),
        ({"batch_size": 8.0}, "`batch_size` must be a positive integer or None"),
        ({"depth": 0}, "`depth` must be a positive integer"),
        ({"eval_every": 2.0}, "`eval_every` must be a positive integer"),
        ({"eval_chunk": -1}, "`eval_chunk` must be a positive integer"),
        ({"checkpoint_every": 0}, "`checkpoint_every` must be a positive integer"),
        ({"epochs": np.inf}, "`epochs` must be a positive number"),
        ({"experiment": ""}, "`experiment` must be a non-empty name"),
    ],
)
def test_every_bad_field_is_named_on_construction(kw, match):
    with pytest.raises(ValueError, match=match):
        cfg(**kw)


def test_good_names_and_full_batch_are_accepted():
    assert cfg(experiment="mnist_sgd-2", batch_size=None).batch_size is None


# ------------------------------------------------------------------ batches


def test_batch_indices_shape_dtype_and_dropped_remainder():
    idx = batch_indices(105, 10, data_seed=0, start=0, steps=25)  # 10 batches per epoch, 5 rows dropped
    assert idx.shape == (25, 10) and idx.dtype == np.int32
    for epoch in (idx[:10], idx[10:20]):
        flat = epoch.ravel()
        assert len(set(flat)) == 100 and flat.min() >= 0 and flat.max() < 105  # no repeats within an epoch
    assert steps_per_epoch(105, 10) == 10 and steps_per_epoch(105, None) == 1


def test_batch_indices_are_deterministic_in_the_data_seed_and_the_epoch():
    a = batch_indices(40, 8, data_seed=5, start=0, steps=15)
    np.testing.assert_array_equal(a, batch_indices(40, 8, data_seed=5, start=0, steps=15))
    assert not np.array_equal(a, batch_indices(40, 8, data_seed=6, start=0, steps=15))
    perm = np.random.default_rng([5, 2]).permutation(40)  # epoch 2 = steps 10..14
    np.testing.assert_array_equal(a[10:15].ravel(), perm)
    np.testing.assert_array_equal(batch_indices(40, 8, 5, 13, 1)[0], perm[24:32])  # any step alone


def test_full_batch_indices_are_dummies():
    idx = batch_indices(40, None, data_seed=0, start=7, steps=3)
    assert idx.shape == (3,) and not idx.any()


# ------------------------------------------------------------------ schedule


@pytest.mark.parametrize(
    "epochs, batch_size, eval_every, expected",
    [
        (2.5, 10, 8, 32),  # 25 steps, rounded up to 4 x 8
        (2.0, 10, 5, 20),  # already a multiple
        (3.0, None, 8, 8),  # full batch: 3 steps, at least one segment
        (0.01, 10, 4, 4),  # less than a step: one segment
    ],
)
def test_total_steps_rounds_up_to_whole_segments(epochs, batch_size, eval_every, expected):
    assert total_steps(cfg(epochs=epochs, batch_size=batch_size, eval_every=eval_every), 100) == expected


def test_evaluation_steps_regular_marks():
    marks = evaluation_steps(cfg(epochs=2.5, eval_every=8), 100)
    assert marks.dtype == np.int64
    np.testing.assert_array_equal(marks, [8, 16, 24, 32])


def test_evaluation_steps_add_physical_times_for_every_learning_rate():
    c = cfg(learning_rates=(0.1, 0.25), epochs=4, eval_every=10, eval_times=(1.0, 3.0, 100.0))
    marks = evaluation_steps(c, 100)  # 40 steps
    for t in (1.0, 3.0):
        for h in c.learning_rates:
            assert round(t / h) in marks  # t = step * h for each h (30 steps of h = 0.1 is t = 3)
    assert marks.max() == total_steps(c, 100) == 40  # t = 100 is never reached: no mark
    assert list(marks) == sorted(set(marks)) and 0 not in marks
    gaps = np.diff(np.concatenate([[0], marks]))
    assert gaps.max() <= c.eval_every and gaps.min() >= 1
    np.testing.assert_array_equal(marks, [4, 10, 12, 20, 30, 40])
