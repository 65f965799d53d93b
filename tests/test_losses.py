"""Losses (``_src/losses.py``): the per-example cross-entropy and squared error against their
formulas, a mean over examples (E does not scale with the number of examples), the loss kinds,
and float64 kept."""

import jax.numpy as jnp
import numpy as np
import pytest

from igr_core._src.losses import LOSS_KINDS, cross_entropy, mean_loss, per_example, squared_error


@pytest.fixture
def batch():
    rng = np.random.default_rng(0)
    return rng.normal(size=(5, 4)), np.array([0, 3, 1, 1, 2], np.int32)


def test_cross_entropy_is_minus_log_softmax_of_the_label(batch):
    logits, labels = batch
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    out = cross_entropy(jnp.asarray(logits), jnp.asarray(labels))
    assert out.shape == (5,) and out.dtype == jnp.float64
    np.testing.assert_allclose(out, -np.log(p[np.arange(5), labels]), rtol=1e-13)


def test_cross_entropy_is_stable_for_large_logits():
    logits = jnp.asarray([[1000.0, 0.0], [0.0, -1000.0]])
    np.testing.assert_allclose(cross_entropy(logits, jnp.asarray([0, 1])), [0.0, 1000.0], atol=1e-12)


def test_squared_error_to_one_hot_targets(batch):
    out, labels = batch
    expected = np.sum((out - np.eye(4)[labels]) ** 2, axis=1)
    got = squared_error(jnp.asarray(out), jnp.asarray(labels))
    assert got.shape == (5,) and got.dtype == jnp.float64
    np.testing.assert_allclose(got, expected, rtol=1e-13)


def test_mean_loss_is_a_mean_over_examples(batch):
    x, labels = batch
    w = np.random.default_rng(1).normal(size=(4, 4))

    def apply(params, xb):
        return xb @ params

    for kind in LOSS_KINDS:
        E = mean_loss(apply, kind)
        value = float(E(jnp.asarray(w), jnp.asarray(x), jnp.asarray(labels)))
        assert value == pytest.approx(float(np.mean(per_example(kind)(jnp.asarray(x @ w), jnp.asarray(labels)))))
        twice = E(jnp.asarray(w), jnp.asarray(np.vstack([x, x])), jnp.asarray(np.concatenate([labels, labels])))
        assert float(twice) == pytest.approx(value, rel=1e-13)  # duplicating the data does not scale E
    assert mean_loss(apply)(jnp.asarray(w), jnp.asarray(x), jnp.asarray(labels)) == pytest.approx(
        float(np.mean(cross_entropy(jnp.asarray(x @ w), jnp.asarray(labels))))
    )  # cross-entropy by default


def test_loss_kinds():
    assert per_example("cross_entropy") is cross_entropy and per_example("least_squares") is squared_error
    with pytest.raises(ValueError, match="`loss_kind` must be one of"):
        per_example("hinge")
    with pytest.raises(ValueError, match="`loss_kind` must be one of"):
        mean_loss(lambda p, x: x, "hinge")
