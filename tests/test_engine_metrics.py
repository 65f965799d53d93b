r"""The metrics of one evaluation (``_src/engine/metrics.py``): E, accuracy, R_IG = ||grad E||^2 / m
(Eq. 4) and the slope ||grad E|| by independent routes in float64 (the closed-form gradient of a
linear softmax classifier; a central finite difference along the gradient of an MLP), chunking
that does not change a number, the best-test-accuracy copy, and a BatchNorm-like model whose
R_IG is the mean of training-mode batch gradients (remainder dropped), computed the same way by
the scanned and the stepwise metrics."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from igr_core._src.engine.metrics import METRICS, make_evaluate, make_metrics, make_stepwise_metrics
from igr_core._src.engine.steps import init_state
from igr_core._src.models import Model, StatefulModel, mlp

N, D, C = 14, 4, 3


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(N, D))
    y = rng.integers(0, C, N).astype(np.int32)
    return x, y


def _ce(logits, y):
    return jnp.mean(jax.nn.logsumexp(logits, axis=1) - logits[jnp.arange(y.shape[0]), y])


def linear_model():
    def init(key, x):
        k1, k2 = jax.random.split(key)
        return {"w": jax.random.normal(k1, (x.shape[1], C), x.dtype), "b": 0.1 * jax.random.normal(k2, (C,), x.dtype)}

    return Model(init, lambda p, x: x @ p["w"] + p["b"], "linear softmax")


def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_linear_model_metrics_match_the_closed_form(data):
    x, y = data
    model = linear_model()
    p = model.init(jax.random.PRNGKey(1), jnp.asarray(x))
    w, b = np.asarray(p["w"]), np.asarray(p["b"])
    logits = x @ w + b
    prob = _softmax(logits)
    onehot = np.eye(C)[y]
    loss = np.mean(-np.log(prob[np.arange(N), y]))
    gw, gb = x.T @ (prob - onehot) / N, np.mean(prob - onehot, axis=0)
    sq = np.sum(gw**2) + np.sum(gb**2)
    out = jax.jit(make_evaluate(model, chunk_size=5))(p, jnp.asarray(x), jnp.asarray(y))  # 3 chunks, padded
    assert out["E"].dtype == jnp.float64
    assert float(out["E"]) == pytest.approx(loss, rel=1e-13)
    assert float(out["acc"]) == pytest.approx(np.mean(logits.argmax(axis=1) == y), abs=1e-15)
    assert float(out["R_IG"]) == pytest.approx(sq / (D * C + C), rel=1e-12)  # Eq. 4: divided by m
    assert float(out["slope"]) == pytest.approx(np.sqrt(sq), rel=1e-12)


def test_slope_is_the_directional_derivative_along_the_gradient(data):
    """|grad E| = d/ds E(theta + s g/|g|) at s = 0, by a central difference of the loss alone."""
    x, y = data
    model = mlp([5], C, "tanh")
    p = model.init(jax.random.PRNGKey(2), jnp.asarray(x))
    out = jax.jit(make_evaluate(model, chunk_size=N))(p, jnp.asarray(x), jnp.asarray(y))
    m = sum(v.size for v in jax.tree_util.tree_leaves(p))

    apply = jax.jit(model.apply)

    def loss(q):
        z = np.asarray(apply(q, jnp.asarray(x)))
        z = z - z.max(axis=1, keepdims=True)
        return np.mean(np.log(np.exp(z).sum(axis=1)) - z[np.arange(N), y])

    g = jax.jit(jax.grad(lambda q: _ce(model.apply(q, x), y)))(p)
    gn = np.sqrt(sum(float(jnp.sum(v**2)) for v in jax.tree_util.tree_leaves(g)))
    s = 1e-5

    def moved(sign):
        return jax.tree_util.tree_map(lambda a, d: a + sign * s * d / gn, p, g)

    fd = (loss(moved(+1)) - loss(moved(-1))) / (2 * s)
    assert float(out["slope"]) == pytest.approx(fd, rel=1e-7)
    assert float(out["R_IG"]) == pytest.approx(fd**2 / m, rel=1e-7)
    assert float(out["E"]) == pytest.approx(loss(p), rel=1e-13)


def test_chunk_size_does_not_change_a_number(data):
    x, y = data
    model = mlp([5], C, "relu")
    p = model.init(jax.random.PRNGKey(3), jnp.asarray(x))
    outs = [jax.jit(make_evaluate(model, k))(p, jnp.asarray(x), jnp.asarray(y)) for k in (1, 4, N, 100)]
    for o in outs[1:]:
        for key in ("E", "acc", "R_IG", "slope"):
            assert float(o[key]) == pytest.approx(float(outs[0][key]), rel=1e-12)


def test_metrics_row_and_best_accuracy_copy(data):
    x, y = data
    x32, y32 = jnp.asarray(x, jnp.float32), jnp.asarray(y)
    model = linear_model()
    metrics = jax.jit(make_metrics(model, chunk_size=8))
    state = init_state(model, x32[:1], 0, 0.1)
    new, row = metrics(state, x32[:10], y32[:10], x32[10:], y32[10:])
    assert sorted(row) == sorted(METRICS) and len(METRICS) == len(set(METRICS))  # jit sorts a dict's keys
    test = jax.jit(make_evaluate(model, 8))(state.params, x32[10:], y32[10:])
    assert float(row["test acc"]) == float(test["acc"]) and float(row["test R_IG"]) == float(test["R_IG"])
    norm = np.sqrt(sum(float(jnp.sum(v.astype(jnp.float64) ** 2)) for v in jax.tree_util.tree_leaves(state.params)))
    assert float(row["||theta||"]) == pytest.approx(norm, rel=1e-6) and not bool(row["diverged"])
    assert float(new.best_acc) == float(test["acc"])  # the first evaluation is the best so far
    moved = new._replace(params=jax.tree_util.tree_map(lambda v: v + 1.0, new.params))
    kept, _ = metrics(moved._replace(best_acc=jnp.asarray(2.0, jnp.float32)), x32[:10], y32[:10], x32[10:], y32[10:])
    assert float(kept.best_acc) == 2.0  # not better: the copy is kept
    jax.tree_util.tree_map(lambda a, b: np.testing.assert_array_equal(a, b), kept.best_params, new.params)
    flagged = moved._replace(diverged=jnp.asarray(True))
    kept, row = metrics(flagged, x32[:10], y32[:10], x32[10:], y32[10:])
    assert bool(row["diverged"]) and float(kept.best_acc) == float(new.best_acc)  # a diverged run is never best


# ------------------------------------------------------------------ a model with BatchNorm-like state


def centring_model():
    """logits = (x - mean) W + b: the batch mean in training mode (and a moving average updated),
    the moving average in evaluation mode."""

    def init(key, x):
        return {"w": jax.random.normal(key, (x.shape[1], C), x.dtype), "b": jnp.zeros((C,), x.dtype)}, {
            "mean": jnp.full((x.shape[1],), 0.3, x.dtype)
        }

    def apply(params, state, x, is_training):
        if is_training:
            mu = jnp.mean(x, axis=0)
            state = {"mean": 0.9 * state["mean"] + 0.1 * mu}
        else:
            mu = state["mean"]
        return (x - mu) @ params["w"] + params["b"], state

    return StatefulModel(init, apply, "centring linear")


def test_stateful_model_r_ig_is_the_mean_of_training_mode_batch_gradients(data):
    x, y = data
    model = centring_model()
    params, state = model.init(jax.random.PRNGKey(4), jnp.asarray(x))
    out = jax.jit(make_evaluate(model, chunk_size=6, grad_batch=4))(params, jnp.asarray(x), jnp.asarray(y), state)
    # by hand: K = 3 batches of 4 (2 rows dropped), each centred on its own mean
    batch_grad = jax.jit(jax.grad(lambda p, xb, yb: _ce((xb - xb.mean(0)) @ p["w"] + p["b"], yb)))
    grads = [batch_grad(params, x[k * 4 : (k + 1) * 4], y[k * 4 : (k + 1) * 4]) for k in range(3)]
    mean = jax.tree_util.tree_map(lambda *g: sum(g) / 3, *grads)
    sq = sum(float(jnp.sum(v**2)) for v in jax.tree_util.tree_leaves(mean))
    assert float(out["R_IG"]) == pytest.approx(sq / (D * C + C), rel=1e-12)
    assert float(out["slope"]) == pytest.approx(np.sqrt(sq), rel=1e-12)
    eval_logits = (x - np.asarray(state["mean"])) @ np.asarray(params["w"]) + np.asarray(params["b"])
    assert float(out["E"]) == pytest.approx(float(_ce(jnp.asarray(eval_logits), jnp.asarray(y))), rel=1e-12)
    assert float(out["acc"]) == pytest.approx(np.mean(eval_logits.argmax(1) == y))
    whole = jax.jit(make_evaluate(model, chunk_size=6))(params, jnp.asarray(x), jnp.asarray(y), state)
    full = batch_grad(params, x, y)  # grad_batch None: the whole split is one batch
    assert float(whole["slope"]) ** 2 == pytest.approx(
        sum(float(jnp.sum(v**2)) for v in jax.tree_util.tree_leaves(full)), rel=1e-12
    )


def test_stepwise_metrics_equal_the_scanned_ones(data, float32):
    x, y = data
    x32, y32 = jnp.asarray(x, jnp.float32), jnp.asarray(y)
    model = centring_model()
    state = init_state(model, x32[:1], 0, 0.1)
    state = state._replace(model_state={"mean": jnp.full((D,), 0.2, jnp.float32)})
    s1, scanned = jax.jit(make_metrics(model, chunk_size=5, grad_batch=3))(
        state, x32[:10], y32[:10], x32[10:], y32[10:]
    )
    s2, stepwise = make_stepwise_metrics(model, chunk_size=5, grad_batch=3)(
        state, x32[:10], y32[:10], x32[10:], y32[10:]
    )
    assert tuple(stepwise) == METRICS
    for key in ("train E", "train acc", "R_IG", "slope", "test E", "test acc", "||theta||"):
        assert float(stepwise[key]) == pytest.approx(float(scanned[key]), rel=2e-5), key
    assert np.isnan(stepwise["test R_IG"]) and np.isnan(stepwise["test slope"])  # not computed, by design
    assert float(s1.best_acc) == float(s2.best_acc) == pytest.approx(float(scanned["test acc"]))
