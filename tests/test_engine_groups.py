"""Groups of configurations (``_src/engine/groups.py``) on a tiny synthetic data set: the loop
and vmap strategies give the same states and metrics (EGR included, the grid padded to the
device count), the step specification is the compile cache's key (learning rates, mu and seeds
are not in it: a second group with other rates compiles nothing), checkpoint leaves round-trip,
and each strategy picks its class."""

import jax
import numpy as np
import pytest

from igr_core._src.data import Dataset
from igr_core._src.engine import groups as G
from igr_core._src.engine.config import SweepConfig, batch_indices
from igr_core._src.engine.metrics import METRICS
from igr_core._src.models import mlp_num_params

N_TRAIN, D, C, WIDTH = 24, 6, 3, 4


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(N_TRAIN + 8, D)).astype(np.float32)
    y = rng.integers(0, C, N_TRAIN + 8).astype(np.int32)
    y[:C] = np.arange(C)  # every class present
    return Dataset(x[:N_TRAIN], y[:N_TRAIN], x[N_TRAIN:], y[N_TRAIN:], "synthetic (test)", "synthetic")


def cfg(**kw):
    base = dict(
        experiment="g",
        widths=(WIDTH,),
        learning_rates=(0.2, 0.1, 0.05),
        depth=1,
        batch_size=6,
        epochs=1,
        eval_every=4,
        eval_chunk=10,
    )
    base.update(kw)
    return SweepConfig(**base)


def _train(group, steps=4, n_active=None):
    group.train(batch_indices(N_TRAIN, 6, 0, 0, steps), n_active)
    return group.evaluate()


def test_resolve_strategy_and_per_step():
    assert G.resolve_strategy("auto") == ("loop" if jax.default_backend() == "cpu" else "vmap")
    assert G.resolve_strategy("vmap") == "vmap" and G.resolve_strategy("loop") == "loop"
    with pytest.raises(ValueError, match="`strategy` must be one of"):
        G.resolve_strategy("pmap")
    assert G.per_step(cfg(architecture="resnet10", widths=(0.125,)), "loop")
    assert not G.per_step(cfg(architecture="resnet10", widths=(0.125,)), "vmap")
    assert not G.per_step(cfg(), "loop")


def test_step_spec_holds_what_a_compiled_step_depends_on_and_nothing_traced():
    a = G.StepSpec.of(cfg(), WIDTH, C, 6, "loop")
    b = G.StepSpec.of(cfg(learning_rates=(1.0,), seeds=(3, 4), epochs=7), WIDTH, C, 6, "loop")
    assert a == b and hash(a) == hash(b)  # learning rates, seeds and length are traced or scheduled
    assert a.egr is False and a.egr_method is None and a.full_batch is False
    e = G.StepSpec.of(cfg(mus=(0.0, 0.5), egr_method="finite_difference"), WIDTH, C, 6, "loop")
    assert e.egr and e.egr_method == "finite_difference" and e != a
    assert G.StepSpec.of(cfg(mus=(0.0, 0.7)), WIDTH, C, 6, "loop") == G.StepSpec.of(
        cfg(mus=(0.0, 0.5)), WIDTH, C, 6, "loop"
    )  # mu itself is traced
    assert G.StepSpec.of(cfg(batch_size=None), WIDTH, C, N_TRAIN, "loop").full_batch
    assert G.StepSpec.of(cfg(), WIDTH, C, 6, "vmap") != a


def test_make_group_picks_the_class_and_holds_every_configuration(data):
    c = cfg(learning_rates=(0.2, 0.1), seeds=(0, 1))
    loop, vm = G.make_group(c, WIDTH, data, "loop"), G.make_group(c, WIDTH, data, "vmap")
    assert type(loop) is G.LoopGroup and type(vm) is G.VmapGroup
    assert loop.configs == vm.configs == [(WIDTH, h, 0.0, s) for h in (0.2, 0.1) for s in (0, 1)]
    assert loop.num_params() == vm.num_params() == mlp_num_params(D, [WIDTH], C)
    assert loop.batch == 6


def test_loop_and_vmap_agree(data):
    """An EGR grid (mu = 0 and mu > 0 in one compiled step), 6 configurations on 2 devices."""
    mus = (0.0, 0.5)
    c = cfg(mus=mus)
    loop, vm = G.make_group(c, WIDTH, data, "loop"), G.make_group(c, WIDTH, data, "vmap")
    leaf = jax.tree_util.tree_leaves(vm.states.params)[0]
    n = len(c.learning_rates) * len(mus)
    assert leaf.shape[0] == n + n % len(jax.devices())  # padded to a multiple of the devices
    rows_loop, rows_vm = _train(loop, n_active=3), _train(vm, n_active=3)
    assert len(rows_loop) == len(rows_vm) == n and all(set(r) == set(METRICS) for r in rows_vm)
    for a, b in zip(rows_loop, rows_vm):
        for k in METRICS:
            assert b[k] == pytest.approx(a[k], rel=1e-4, abs=1e-7), k
    for a, b in zip(loop.state_leaves(), vm.state_leaves()):
        assert a.shape == b.shape and a.shape[0] == n
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
    trained = [r["train E"] for r in rows_loop]
    assert len(set(trained)) == n  # every configuration trained differently (h, mu)


def test_a_second_group_with_other_learning_rates_compiles_nothing(data):
    G.compiled.cache_clear()
    first = G.make_group(cfg(), WIDTH, data, "vmap")
    _train(first)
    second = G.make_group(cfg(learning_rates=(0.3, 0.01, 0.02)), WIDTH, data, "vmap")
    assert second.segment is first.segment and second.metrics is first.metrics
    _train(second, n_active=2)
    assert second.segment._cache_size() == 1 and second.metrics._cache_size() == 1
    assert G.compiled.cache_info().currsize == 1


def test_checkpoint_leaves_round_trip(data):
    for strategy in ("loop", "vmap"):
        group = G.make_group(cfg(), WIDTH, data, strategy)
        _train(group)
        saved = group.state_leaves()
        after = _train(group)
        group.load_leaves(saved)
        for a, b in zip(saved, group.state_leaves()):
            np.testing.assert_array_equal(a, b)
        assert _train(group) == after  # resumed from the saved leaves: the same next evaluation


def test_best_tree_stacks_the_configurations(data):
    for strategy in ("loop", "vmap"):
        group = G.make_group(cfg(), WIDTH, data, strategy)
        _train(group)
        best = group.best_tree()
        leaves = jax.tree_util.tree_leaves(best)
        assert all(isinstance(x, np.ndarray) and x.shape[0] == 3 for x in leaves)
        assert jax.tree_util.tree_structure(jax.tree_util.tree_map(lambda x: x[0], best)) == (
            jax.tree_util.tree_structure(jax.tree_util.tree_map(np.asarray, group._first().params))
        )
        assert group.best_tree("best_model_state") == {}  # an MLP has no model state
