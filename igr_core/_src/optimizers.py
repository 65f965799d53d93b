r"""Modified equations of common optimizers (the paper's future work, Section 8), and one
optimizer-agnostic way to measure how well a continuous flow describes a discrete method.

Abstraction: a :class:`Method` is a discrete optimizer as pure functions,
``init(theta) -> state`` and ``step(theta, state, h, *args) -> (theta, state)`` for a loss
``E(theta, *args)``. A *description* of it is a vector field ``field(theta, *args)`` built
for the same h (time runs as ``t = n h``) with an optional start-up shift of the initial
point. :func:`global_errors` runs both to a fixed time for each h and returns the errors, whose
fitted log-log slope is the order to which the description holds (``bea.fit_order_stats``;
the verdict module decides). Every description below comes with such a measured slope in the
tests (``tests/test_optimizers.py``) and in chapter 09.

Formulas (g = grad E, H its Hessian; derived in chapter 09 of the book):

* gradient descent (Barrett & Dherin, Theorem 3.1): :math:`\theta' = -\nabla(E + \tfrac h4\|g\|^2)`;
* heavy-ball momentum :math:`\theta_{n+1} = \theta_n - hg + \beta(\theta_n - \theta_{n-1})`
  (Ghosh et al. 2023): :math:`\theta' = -\frac1{1-\beta}\nabla\big(E + \frac{h(1+\beta)}{4(1-\beta)^2}\|g\|^2\big)`,
  from the shifted start :math:`\theta_0 + \frac{h\beta}{(1-\beta)^2}g(\theta_0)` (zero initial velocity);
* Adam with bias correction and :math:`s_j = \sqrt{g_j^2+\epsilon}` (Cattaneo et al. 2024):
  :math:`\theta'_j = -[g_j + h c_j \partial_j N_\epsilon]/s_j`, :math:`N_\epsilon = \sum_i s_i`,
  :math:`c_j = \frac{\beta}{1-\beta} - \frac{\rho}{1-\rho} + \frac{\epsilon}{s_j^2}(\frac{\rho}{1-\rho} + \frac12)`;
  RMSProp is :math:`\beta = 0`; for :math:`\rho > \beta` and small :math:`\epsilon` the correction
  is an *anti*-penalty on :math:`N_\epsilon`;
* SGD with random reshuffling, one epoch of m batches averaged over batch orders (Smith,
  Dherin, Barrett & De 2021): the flow of :math:`E + \frac{h}{4m}\sum_k\|\nabla E_k\|^2` for time
  :math:`mh` (:func:`sgd_modified_loss`).
"""

from __future__ import annotations

import itertools
from typing import Callable, NamedTuple, Sequence

import jax
import jax.numpy as jnp
import numpy as np
import optax

from igr_core._src import bea as _bea


class Method(NamedTuple):
    """A discrete optimizer: ``init(theta) -> state``; ``step(theta, state, h, *args)``."""

    init: Callable
    step: Callable
    name: str


def _check_decay(name: str, v) -> None:
    if not (isinstance(v, (int, float)) and 0 <= v < 1):
        raise ValueError(f"`{name}` must be a decay rate in [0, 1), got {v!r}.")


def gradient_descent(loss_fn: Callable) -> Method:
    grad = jax.grad(loss_fn)
    return Method(
        lambda theta: (),
        lambda theta, state, h, *a: (optax.tree.add_scale(theta, -h, grad(theta, *a)), ()),
        "gradient descent",
    )


def heavy_ball(loss_fn: Callable, beta: float) -> Method:
    """Heavy-ball momentum as PyTorch writes it with lr = h: ``v = beta v + g``,
    ``theta -= h v``, from zero velocity."""
    _check_decay("beta", beta)
    grad = jax.grad(loss_fn)

    def step(theta, v, h, *a):
        v = optax.tree.add_scale(grad(theta, *a), beta, v)
        return optax.tree.add_scale(theta, -h, v), v

    return Method(lambda theta: optax.tree.zeros_like(theta), step, f"heavy ball (beta = {beta:g})")


def adam(loss_fn: Callable, beta: float, rho: float, eps: float) -> Method:
    """Adam with bias correction and eps inside the square root:
    ``theta -= h m_hat / sqrt(v_hat + eps)``. ``beta = 0`` is RMSProp (with bias-corrected v)."""
    _check_decay("beta", beta)
    _check_decay("rho", rho)
    if not (isinstance(eps, (int, float)) and eps > 0):
        raise ValueError(f"`eps` must be positive, got {eps!r}.")
    grad = jax.grad(loss_fn)

    def step(theta, state, h, *a):
        m, v, n = state
        g = grad(theta, *a)
        m = jax.tree_util.tree_map(lambda mm, gg: beta * mm + (1 - beta) * gg, m, g)
        v = jax.tree_util.tree_map(lambda vv, gg: rho * vv + (1 - rho) * gg**2, v, g)
        n = n + 1
        upd = jax.tree_util.tree_map(lambda mm, vv: (mm / (1 - beta**n)) / jnp.sqrt(vv / (1 - rho**n) + eps), m, v)
        return optax.tree.add_scale(theta, -h, upd), (m, v, n)

    def init(theta):
        z = optax.tree.zeros_like(theta)
        return z, z, jnp.zeros((), jnp.result_type(float))

    return Method(init, step, f"Adam (beta = {beta:g}, rho = {rho:g}, eps = {eps:g})")


# ------------------------------------------------------------------ descriptions (fields)


def gd_field(loss_fn: Callable, h, order: int = 1) -> Callable:
    """Gradient descent: the flow of E (order 0) or of E + (h/4)||g||^2 (order 1)."""
    return _bea.modified_vector_field(loss_fn, h, order)


def momentum_coefficient(h, beta: float):
    r"""The IGR coefficient of heavy-ball momentum in time t = n h:
    :math:`h(1+\beta)/(4(1-\beta)^2)`, i.e. :math:`(1+\beta)/(1-\beta)` times GD's h/4 at the
    effective rate :math:`\eta = h/(1-\beta)` (time :math:`n\eta`)."""
    return h * (1 + beta) / (4 * (1 - beta) ** 2)


def momentum_field(loss_fn: Callable, h, beta: float, order: int = 1) -> Callable:
    """Heavy ball: :math:`-\\frac1{1-\\beta}\\nabla E` (order 0) or
    :math:`-\\frac1{1-\\beta}\\nabla(E + c\\|g\\|^2)`, c = :func:`momentum_coefficient` (order 1)."""
    grad = jax.grad(loss_fn)
    c = momentum_coefficient(h, beta)

    def field(theta, *a):
        g = grad(theta, *a)
        if order == 1:
            g = optax.tree.add_scale(g, 2 * c, _bea.hvp(loss_fn, theta, g, *a))
        return optax.tree.scale(-1.0 / (1 - beta), g)

    return field


def momentum_start(loss_fn: Callable, theta0, h, beta: float, *args):
    r"""Where the modified flow of momentum starts from zero velocity:
    :math:`\theta_0 + \frac{h\beta}{(1-\beta)^2} g(\theta_0)`."""
    return optax.tree.add_scale(theta0, h * beta / (1 - beta) ** 2, jax.grad(loss_fn)(theta0, *args))


def adam_coefficients(g_sq, beta: float, rho: float, eps: float):
    r""":math:`c_j = \frac{\beta}{1-\beta} - \frac{\rho}{1-\rho} + \frac{\epsilon}{g_j^2+\epsilon}
    \big(\frac{\rho}{1-\rho} + \frac12\big)` (Cattaneo et al. 2024) for squared gradients ``g_sq``."""
    return beta / (1 - beta) - rho / (1 - rho) + eps / (g_sq + eps) * (rho / (1 - rho) + 0.5)


def adam_field(loss_fn: Callable, h, beta: float, rho: float, eps: float, order: int = 1) -> Callable:
    """Adam's flow: :math:`-g/s` (order 0) or :math:`-(g + h\\,c\\odot\\nabla N_\\epsilon)/s`,
    :math:`\\nabla N_\\epsilon = H(g/s)` (order 1)."""
    grad = jax.grad(loss_fn)

    def field(theta, *a):
        g = grad(theta, *a)
        s = jax.tree_util.tree_map(lambda x: jnp.sqrt(x**2 + eps), g)
        out = g
        if order == 1:
            dn = _bea.hvp(loss_fn, theta, jax.tree_util.tree_map(jnp.divide, g, s), *a)
            out = jax.tree_util.tree_map(lambda gg, d: gg + h * adam_coefficients(gg**2, beta, rho, eps) * d, g, dn)
        return jax.tree_util.tree_map(lambda o, ss: -o / ss, out, s)

    return field


def sgd_modified_loss(batch_loss: Callable, batches: Sequence, h) -> Callable:
    r"""SGD with random reshuffling, one epoch: :math:`E + \frac{h}{4m}\sum_k\|\nabla E_k\|^2` with
    E the mean of the m batch losses ``batch_loss(theta, batch)``. Equals
    :math:`E + \frac h4\|\nabla E\|^2 + \frac{h}{4m}\sum_k\|\nabla E_k - \nabla E\|^2`."""
    m = len(batches)
    grad = jax.grad(batch_loss)

    def loss(theta):
        e = sum(batch_loss(theta, b) for b in batches) / m
        pen = sum(optax.tree.norm(grad(theta, b), squared=True) for b in batches)
        return e + h / (4 * m) * pen

    return loss


def sgd_variance(batch_loss: Callable, batches: Sequence, theta) -> jax.Array:
    r"""The variance term :math:`\frac1m\sum_k\|\nabla E_k - \nabla E\|^2` that separates SGD's
    modified loss from gradient descent's (times h/4)."""
    grads = [jax.grad(batch_loss)(theta, b) for b in batches]
    mean = jax.tree_util.tree_map(lambda *x: sum(x) / len(x), *grads)
    return sum(optax.tree.norm(optax.tree.sub(g, mean), squared=True) for g in grads) / len(grads)


# ------------------------------------------------------------------ running a method


def iterate(method: Method, theta0, h, n, *args):
    """``n`` steps of ``method`` from ``theta0`` (fresh state); ``h`` and ``n`` may be traced,
    so one compilation serves every step size. Returns the final parameters."""
    end, _ = jax.lax.fori_loop(0, n, lambda i, c: method.step(c[0], c[1], h, *args), (theta0, method.init(theta0)))
    return end


def trajectory(method: Method, theta0, h, n_saves: int, every: int, *args):
    """The iterates ``theta_0, theta_every, ..., theta_(n_saves * every)`` stacked on a leading
    axis (``n_saves`` and ``every`` static, ``h`` may be traced)."""

    def chunk(c, _):
        c = jax.lax.fori_loop(0, every, lambda i, cc: method.step(cc[0], cc[1], h, *args), c)
        return c, c[0]

    _, path = jax.lax.scan(chunk, (theta0, method.init(theta0)), None, length=n_saves)
    return jax.tree_util.tree_map(lambda x0, p: jnp.concatenate([x0[None], p]), theta0, path)


# ------------------------------------------------------------------ errors and orders


def global_errors(
    method: Method, field_for: Callable, theta0, hs: Sequence[float], T: float, *args, start_for: Callable | None = None
) -> np.ndarray:
    """``||theta_n - phi_T(start)||`` with ``n = round(T / h)`` steps of ``method`` and the exact
    flow of ``field_for(h)`` to time ``n h`` (``bea.flow``), for each h; ``start_for(theta0, h)``
    shifts the flow's initial point (default: ``theta0``). One compilation serves every h.
    A diverged run gives ``inf``."""
    hs = _bea._as_hs(hs)
    if not (np.isfinite(T) and T > 0):
        raise ValueError(f"`T` must be a positive finite time, got {T!r}.")

    @jax.jit
    def one(h, n, theta, a):
        end = iterate(method, theta, h, n, *a)
        start = theta if start_for is None else start_for(theta, h, *a)
        ref = _bea.flow(field_for(h), start, n * h, *a)
        bad = _bea.diverged(optax.tree.norm(end))
        return jnp.where(bad, jnp.inf, optax.tree.norm(optax.tree.sub(end, ref)))

    return np.array([float(one(jnp.asarray(h), jnp.asarray(max(1, int(round(T / h)))), theta0, args)) for h in hs])


def sgd_reshuffled_loss(batch_loss: Callable, examples, batch_size: int, h) -> Callable:
    r"""SGD's modified loss averaged over random partitions of the N examples into batches of
    B (Smith, Dherin, Barrett & De 2021):
    :math:`E + \frac h4\|\nabla E\|^2 + \frac h4\frac{N-B}{B(N-1)}\Gamma`, with
    :math:`\Gamma = \frac1N\sum_i\|\nabla l_i - \nabla E\|^2` (:func:`sgd_partition_variance`);
    ``examples`` is a pytree with the examples on the leading axis, E = ``batch_loss(theta, examples)``."""

    def loss(theta):
        e = batch_loss(theta, examples)
        g = jax.grad(batch_loss)(theta, examples)
        return (
            e
            + h / 4 * optax.tree.norm(g, squared=True)
            + h / 4 * sgd_partition_variance(batch_loss, examples, batch_size, theta)
        )

    return loss


def sgd_partition_variance(batch_loss: Callable, examples, batch_size: int, theta) -> jax.Array:
    r""":math:`\frac{N-B}{B(N-1)}\Gamma`: the variance term of one epoch, averaged over every
    partition into batches of B (the variance of a mean of B examples drawn without replacement)."""
    n = _n_examples(examples, batch_size)
    per = jax.vmap(lambda ex: jax.grad(batch_loss)(theta, jax.tree_util.tree_map(lambda x: x[None], ex)))(examples)
    mean = jax.grad(batch_loss)(theta, examples)
    gamma = (
        sum(
            jnp.sum((p - m[None]) ** 2) for p, m in zip(jax.tree_util.tree_leaves(per), jax.tree_util.tree_leaves(mean))
        )
        / n
    )
    return (n - batch_size) / (batch_size * (n - 1)) * gamma


def _n_examples(examples, batch_size: int) -> int:
    n = int(jax.tree_util.tree_leaves(examples)[0].shape[0])
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or not 1 <= batch_size < n or n % batch_size:
        raise ValueError(f"`batch_size` must divide the {n} examples into at least 2 batches, got {batch_size!r}.")
    return n


def _epoch_errors(batch_loss: Callable, epochs, full: Callable, sgd_loss_for: Callable, theta0, hs) -> dict:
    """The shared loop: one SGD epoch for each stacked epoch of batches (leading axes: epoch,
    step), averaged, against the time-``m h`` flows of E, of GD's modified loss and of
    ``sgd_loss_for(h)``; one compilation for every h."""
    hs = _bea._as_hs(hs)
    m = int(jax.tree_util.tree_leaves(epochs)[0].shape[1])
    grad = jax.grad(batch_loss)

    @jax.jit
    def one(h, theta):
        def epoch(batches):
            return jax.lax.scan(lambda t, b: (optax.tree.add_scale(t, -h, grad(t, b)), None), theta, batches)[0]

        end = jax.tree_util.tree_map(lambda x: x.mean(0), jax.vmap(epoch)(epochs))
        sgd_grad = jax.grad(sgd_loss_for(h))
        fields = (
            _bea.modified_vector_field(full, h, 0),
            _bea.modified_vector_field(full, h, 1),
            lambda t: optax.tree.scale(-1.0, sgd_grad(t)),
        )
        return [optax.tree.norm(optax.tree.sub(end, _bea.flow(f, theta, m * h))) for f in fields]

    names = ("flow of E", "GD modified loss", "SGD modified loss")
    out = {k: [] for k in names}
    for h in hs:
        for k, e in zip(names, one(jnp.asarray(h), theta0)):
            out[k].append(float(e))
    return {k: np.asarray(v) for k, v in out.items()}


def sgd_epoch_errors(
    batch_loss: Callable, batches: Sequence, theta0, hs: Sequence[float], orders: Sequence | None = None
) -> dict:
    """One epoch of SGD (m steps, one per batch) averaged over batch ``orders`` (default: all
    m! permutations), against the time-``m h`` flows of E, of GD's modified loss
    E + (h/4)||grad E||^2 and of SGD's (:func:`sgd_modified_loss`). Returns errors per
    description, one per h."""
    m = len(batches)
    orders = list(orders) if orders is not None else list(itertools.permutations(range(m)))
    stacked = jax.tree_util.tree_map(lambda *b: jnp.stack(b), *batches)
    epochs = jax.tree_util.tree_map(lambda x: x[jnp.asarray(orders)], stacked)

    def full(t):
        return sum(batch_loss(t, b) for b in batches) / m

    return _epoch_errors(batch_loss, epochs, full, lambda h: sgd_modified_loss(batch_loss, batches, h), theta0, hs)


MAX_RESHUFFLE_EXAMPLES = 8  # every one of N! orderings is run: 8! = 40,320 epochs


def sgd_reshuffling_errors(batch_loss: Callable, examples, batch_size: int, theta0, hs: Sequence[float]) -> dict:
    """One epoch of SGD with random reshuffling, averaged exactly over every ordering of the N
    examples (each a partition into batches of B and an order of the batches), against the
    time-``m h`` flows of E, of GD's modified loss and of the partition-averaged SGD loss
    (:func:`sgd_reshuffled_loss`). ``N <= MAX_RESHUFFLE_EXAMPLES``."""
    n = _n_examples(examples, batch_size)
    if n > MAX_RESHUFFLE_EXAMPLES:
        raise ValueError(
            f"`examples` holds {n} examples; every one of N! orderings is averaged, so at most "
            f"{MAX_RESHUFFLE_EXAMPLES} are allowed."
        )
    perms = jnp.asarray(list(itertools.permutations(range(n))))
    epochs = jax.tree_util.tree_map(
        lambda x: x[perms].reshape((perms.shape[0], n // batch_size, batch_size) + x.shape[1:]), examples
    )
    return _epoch_errors(
        batch_loss,
        epochs,
        lambda t: batch_loss(t, examples),
        lambda h: sgd_reshuffled_loss(batch_loss, examples, batch_size, h),
        theta0,
        hs,
    )


__all__ = [
    "Method",
    "iterate",
    "trajectory",
    "gradient_descent",
    "heavy_ball",
    "adam",
    "gd_field",
    "momentum_coefficient",
    "momentum_field",
    "momentum_start",
    "adam_coefficients",
    "adam_field",
    "sgd_modified_loss",
    "sgd_variance",
    "global_errors",
    "sgd_epoch_errors",
    "sgd_reshuffled_loss",
    "sgd_partition_variance",
    "sgd_reshuffling_errors",
    "MAX_RESHUFFLE_EXAMPLES",
]
