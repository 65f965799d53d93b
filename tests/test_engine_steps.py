"""The pure training step (``_src/engine/steps.py``) on a tiny MLP: one step is the SGD step
computed by hand (an independent loss written from the weights), the EGR direction is the
gradient of E + mu ||grad E||^2 (and g bit for bit at mu = 0), a padded segment updates only its
active steps, divergence stops updates, and learning rate, mu and segment length are traced
(no recompilation)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from igr_core._src.engine import steps as St
from igr_core._src.models import StatefulModel

N, D, WIDTH, C = 12, 5, 3, 3


@pytest.fixture(scope="module")
def setup():
    rng = np.random.default_rng(0)
    model = St.build_model_for("mlp", WIDTH, C, 1)
    x = rng.normal(size=(N, D))
    y = jnp.asarray(rng.integers(0, C, N), jnp.int32)
    return model, x, y


def _layers(params):
    keys = sorted(params)  # mlp/~/linear_0, mlp/~/linear_1
    return [(params[k]["w"], params[k]["b"]) for k in keys]


def hand_loss(params, x, y):
    """Mean softmax cross-entropy of relu(x W0 + b0) W1 + b1, written from the weights."""
    (w0, b0), (w1, b1) = _layers(params)
    logits = jnp.maximum(x @ w0 + b0, 0) @ w1 + b1
    return jnp.mean(jax.nn.logsumexp(logits, axis=1) - logits[jnp.arange(x.shape[0]), y])


hand_grad = jax.jit(jax.grad(hand_loss))


def _close(a, b, **kw):
    jax.tree_util.tree_map(lambda u, v: np.testing.assert_allclose(np.asarray(u), np.asarray(v), **kw), a, b)


def _state(model, x, h=0.1, mu=0.0, seed=0):
    return St.init_state(model, jnp.asarray(x[:1]), seed, h, mu)


def test_init_state(setup):
    model, x, _ = setup
    s = _state(model, x.astype(np.float32), h=0.25, mu=0.5)
    assert float(St.learning_rate_of(s)) == 0.25 and St.learning_rate_of(s).dtype == jnp.float32
    assert float(s.mu) == 0.5 and not bool(s.diverged) and float(s.best_acc) == -1.0
    assert s.model_state == {} and s.best_model_state == {}
    _close(s.best_params, s.params, rtol=0, atol=0)
    assert [w.shape for w, _ in _layers(s.params)] == [(D, WIDTH), (WIDTH, C)]


def test_models_without_state_are_wrapped_and_losses_agree(setup):
    model, x, y = setup
    s = _state(model, x)
    wrapped = St.as_stateful(model)
    params, state = wrapped.init(jax.random.PRNGKey(0), x[:1])
    assert state == {}
    out, new_state = wrapped.apply(params, {}, x, True)
    np.testing.assert_array_equal(out, model.apply(params, x)) and new_state == {}
    stateful = StatefulModel(wrapped.init, wrapped.apply, "already stateful")
    assert St.as_stateful(stateful) is stateful
    expected = hand_loss(s.params, x, y)
    assert float(St.make_loss(model)(s.params, x, y)) == pytest.approx(float(expected), rel=1e-12)
    value, ms = St.make_training_loss(model)(s.params, {}, x, y)
    assert float(value) == pytest.approx(float(expected), rel=1e-12) and ms == {}


def test_build_model_picks_the_architecture():
    assert not isinstance(St.build_model_for("mlp", 4, 10, 2), StatefulModel)
    assert isinstance(St.build_model_for("resnet10", 0.125, 10, 5), StatefulModel)


def test_gradient_without_egr_is_the_loss_gradient(setup):
    model, x, y = setup
    s = _state(model, x)
    value, ms, g = jax.jit(St.make_gradient(model, egr=False))(s.params, {}, jnp.asarray(0.0, jnp.float32), x, y)
    assert float(value) == pytest.approx(float(hand_loss(s.params, x, y)), rel=1e-12)
    _close(g, hand_grad(s.params, x, y), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("method, rtol", [("exact", 1e-10), ("finite_difference", 1e-5)])
def test_egr_direction_is_the_gradient_of_the_regularized_loss(setup, method, rtol):
    model, x, y = setup
    s = _state(model, x)
    mu = 0.375  # exact in float32

    def regularized(p):
        g = jax.grad(hand_loss)(p, x, y)
        return hand_loss(p, x, y) + mu * sum(jnp.sum(v**2) for v in jax.tree_util.tree_leaves(g))

    gradient = jax.jit(St.make_gradient(model, egr=True, egr_method=method))
    _, _, d = gradient(s.params, {}, jnp.asarray(mu, jnp.float32), x, y)
    expected = jax.jit(jax.grad(regularized))(s.params)
    plain = hand_grad(s.params, x, y)
    assert (
        max(float(jnp.max(jnp.abs(a - b))) for a, b in zip(*map(jax.tree_util.tree_leaves, (expected, plain)))) > 1e-3
    )
    _close(d, expected, rtol=rtol, atol=rtol * 1e-2)


def test_egr_at_mu_zero_is_the_sgd_direction_bit_for_bit(setup):
    model, x, y = setup
    s = _state(model, x)
    zero = jnp.asarray(0.0, jnp.float32)
    g = jax.jit(St.make_gradient(model, egr=False))(s.params, {}, zero, x, y)[2]
    for method in ("exact", "finite_difference"):
        egr = jax.jit(St.make_gradient(model, egr=True, egr_method=method))
        _close(egr(s.params, {}, zero, x, y)[2], g, rtol=0, atol=0)
    with pytest.raises(ValueError, match="egr_method"):
        St.make_gradient(model, egr=True, egr_method="hutchinson")


def test_one_step_is_the_sgd_step_by_hand(setup):
    model, x, y = setup
    x32 = jnp.asarray(x, jnp.float32)
    h = 0.5
    s = _state(model, x32, h=h)
    idx = jnp.asarray([3, 0, 7, 7, 11], jnp.int32)
    new = jax.jit(St.make_train_step(model, False, 1e4))(s, idx, x32, y)
    g = hand_grad(s.params, x32[idx], y[idx])
    _close(new.params, jax.tree_util.tree_map(lambda p, gi: p - h * gi, s.params, g), rtol=1e-5, atol=1e-6)
    assert int(new.opt_state.count) == 1 and not bool(new.diverged)
    full = jax.jit(St.make_train_step(model, True, 1e4))(s, jnp.asarray(0), x32, y)  # full batch: idx ignored
    g = hand_grad(s.params, x32, y)
    _close(full.params, jax.tree_util.tree_map(lambda p, gi: p - h * gi, s.params, g), rtol=1e-5, atol=1e-6)


def test_a_segment_updates_only_its_active_steps(setup):
    model, x, y = setup
    x32 = jnp.asarray(x, jnp.float32)
    s = _state(model, x32, h=0.3)
    idx = jnp.asarray(np.arange(16).reshape(4, 4) % N, jnp.int32)
    segment = jax.jit(St.make_train_segment(model, False, 1e4))
    step = jax.jit(St.make_train_step(model, False, 1e4))
    two = segment(s, idx, jnp.asarray(2, jnp.int32), x32, y)
    by_hand = step(step(s, idx[0], x32, y), idx[1], x32, y)
    _close(two.params, by_hand.params, rtol=1e-6, atol=1e-7)
    assert int(two.opt_state.count) == 2  # the optimizer state is not advanced by inactive steps
    _close(segment(s, idx, jnp.asarray(0, jnp.int32), x32, y).params, s.params, rtol=0, atol=0)


def test_divergence_stops_updates(setup):
    model, x, y = setup
    x32 = jnp.asarray(x, jnp.float32)
    s = _state(model, x32, h=0.3)
    idx = jnp.zeros((3, 4), jnp.int32)
    segment = jax.jit(St.make_train_segment(model, False, 1e-3))  # every loss is above this threshold
    out = segment(s, idx, jnp.asarray(3, jnp.int32), x32, y)
    assert bool(out.diverged)
    _close(out.params, s.params, rtol=0, atol=0)
    flagged = s._replace(diverged=jnp.asarray(True))  # already diverged: no update at any threshold
    out = jax.jit(St.make_train_segment(model, False, 1e4))(flagged, idx, jnp.asarray(3, jnp.int32), x32, y)
    _close(out.params, s.params, rtol=0, atol=0)


def test_learning_rate_mu_and_segment_length_are_traced_not_compiled(setup):
    model, x, y = setup
    x32 = jnp.asarray(x, jnp.float32)
    traces = []
    segment = St.make_train_segment(model, False, 1e4, egr=True)

    def counted(*args):
        traces.append(1)
        return segment(*args)

    run = jax.jit(counted)
    idx = jnp.asarray(np.arange(8).reshape(2, 4), jnp.int32)
    one = jnp.asarray(1, jnp.int32)
    a = run(_state(model, x32, h=0.1), idx, one, x32, y)
    b = run(_state(model, x32, h=0.05), idx, one, x32, y)
    c = run(_state(model, x32, h=0.1, mu=0.5), idx, jnp.asarray(2, jnp.int32), x32, y)
    assert len(traces) == 1  # one compilation for every learning rate, mu and segment length
    p0 = _state(model, x32).params
    da, db = (jax.tree_util.tree_map(lambda u, v: u - v, s.params, p0) for s in (a, b))
    _close(db, jax.tree_util.tree_map(lambda v: 0.5 * v, da), rtol=1e-4, atol=1e-7)  # the traced h is used
    assert float(St.learning_rate_of(b)) == pytest.approx(0.05) and int(c.opt_state.count) == 2
