"""Models: Haiku MLPs and a CIFAR-style ResNet-18, exposed as pure functions.

Abstraction: Haiku (in maintenance mode) stays inside this module. Everything else
in :mod:`igr_core` sees a :class:`Model`: ``init(key, x) -> params`` and
``apply(params, x) -> logits``, both pure functions over pytrees.

The paper's "5-layer MLPs with n_l units per layer" is read here as five hidden
layers of ``n_l`` ReLU units followed by a linear 10-way read-out: for n_l = 400
on 784 inputs that is 784*400 + 4*400*400 + 400*10 = 957,600 weights plus 2,010 biases
= 959,610 parameters, about 9.6e5 (the paper prints 9.6e6: see the errata page).
"""

from __future__ import annotations

from typing import Callable, NamedTuple, Sequence

import haiku as hk
import jax
import jax.numpy as jnp

ACTIVATIONS = {"relu": jax.nn.relu, "tanh": jnp.tanh, "softplus": jax.nn.softplus}


class Model(NamedTuple):
    init: Callable  # (key, x) -> params pytree
    apply: Callable  # (params, x) -> outputs (n, c)
    name: str  # human-readable description


def mlp(hidden: Sequence[int], num_outputs: int, activation: str = "relu") -> Model:
    """Fully connected network: ``len(hidden)`` hidden layers, then a linear read-out."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"`activation` must be one of {tuple(ACTIVATIONS)}, got {activation!r}.")
    hidden = [int(w) for w in hidden]
    if any(w <= 0 for w in hidden) or int(num_outputs) <= 0:
        raise ValueError(f"`hidden` widths and `num_outputs` must be positive, got {hidden}, {num_outputs}.")

    def forward(x):
        return hk.nets.MLP([*hidden, int(num_outputs)], activation=ACTIVATIONS[activation])(x)

    t = hk.without_apply_rng(hk.transform(forward))
    return Model(t.init, t.apply, f"MLP {hidden} -> {num_outputs} ({activation})")


class DropoutModel(NamedTuple):
    """An MLP with (inverted) dropout after each hidden layer: ``init(key, x) -> params``;
    ``apply(params, x, rate, key)`` drops each hidden unit with probability ``rate`` (traced:
    one compilation serves every rate) and rescales the kept ones by 1/(1 - rate);
    ``apply(params, x)`` (no key) is the deterministic network the dropout run trains."""

    init: Callable
    apply: Callable
    name: str


def dropout_mlp(hidden: Sequence[int], num_outputs: int, activation: str = "relu") -> DropoutModel:
    """:func:`mlp`'s architecture with dropout on every hidden layer (its own parameter names)."""
    base = mlp(hidden, num_outputs, activation)  # validates the arguments
    act = ACTIVATIONS[activation]

    def forward(x, rate, drop):
        for w in hidden:
            x = act(hk.Linear(int(w))(x))
            if drop:
                keep = 1.0 - rate
                mask = jax.random.bernoulli(hk.next_rng_key(), keep, x.shape)
                x = jnp.where(mask, x / keep, 0.0)
        return hk.Linear(int(num_outputs))(x)

    t = hk.transform(forward)

    def init(key, x):
        return t.init(key, x, 0.0, False)

    def apply(params, x, rate=None, key=None):
        if key is None:
            return t.apply(params, None, x, 0.0, False)
        return t.apply(params, key, x, rate, True)

    return DropoutModel(init, apply, base.name.replace("MLP", "dropout MLP"))


def paper_mlp(width: int, num_classes: int = 10, depth: int = 5) -> Model:
    """The paper's MNIST MLP: ``depth`` hidden ReLU layers of ``width`` units."""
    return mlp([width] * depth, num_classes, "relu")


def mlp_num_params(n_in: int, hidden: Sequence[int], n_out: int) -> int:
    """Closed-form parameter count of :func:`mlp` (weights and biases)."""
    sizes = [n_in, *hidden, n_out]
    return sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))


class StatefulModel(NamedTuple):
    """A model with state (BatchNorm statistics): ``init(key, x) -> (params, state)`` and
    ``apply(params, state, x, is_training) -> (logits, new_state)``. In training mode
    BatchNorm normalizes with the batch's statistics and updates the moving averages; in
    evaluation mode it uses the moving averages and leaves the state unchanged."""

    init: Callable
    apply: Callable
    name: str


def _basic_block(channels: int, stride: int, project: bool, bn_decay: float):
    def block(x, is_training):
        def bn(name):
            return hk.BatchNorm(True, True, bn_decay, name=name)

        out = hk.Conv2D(channels, 3, stride=stride, with_bias=False, name="conv1")(x)
        out = jax.nn.relu(bn("bn1")(out, is_training))
        out = hk.Conv2D(channels, 3, stride=1, with_bias=False, name="conv2")(out)
        out = bn("bn2")(out, is_training)
        shortcut = x
        if project:
            shortcut = hk.Conv2D(channels, 1, stride=stride, with_bias=False, name="shortcut_conv")(x)
            shortcut = bn("shortcut_bn")(shortcut, is_training)
        return jax.nn.relu(out + shortcut)

    return block


def resnet(
    num_classes: int = 10, width: float = 1.0, stage_blocks: Sequence[int] = (2, 2, 2, 2), bn_decay: float = 0.9
) -> StatefulModel:
    """A CIFAR-style ResNet with basic blocks: a 3x3 stem of 64 channels with BatchNorm and no
    max-pool, four stages of ``stage_blocks`` basic blocks (64, 128, 256, 512 channels,
    strides 1, 2, 2, 2, 1x1 projection shortcuts where the shape changes), global average
    pooling and a linear read-out. ``width`` multiplies every channel count (at least 1
    channel), for small runs; any input shape (N, H, W, C) works (32x32x3, 28x28x1).
    :func:`resnet18` is ``stage_blocks=(2, 2, 2, 2)``; ``(1, 1, 1, 1)`` (ResNet-10) compiles in
    about half the time and serves the engine's tests."""
    if not (isinstance(width, (int, float)) and width > 0):
        raise ValueError(f"`width` must be a positive multiplier, got {width!r}.")
    if int(num_classes) <= 0:
        raise ValueError(f"`num_classes` must be positive, got {num_classes!r}.")
    blocks = tuple(int(b) for b in stage_blocks)
    if len(blocks) != 4 or any(b <= 0 for b in blocks):
        raise ValueError(f"`stage_blocks` must be four positive block counts, got {stage_blocks!r}.")
    ch = [max(1, int(round(c * width))) for c in (64, 128, 256, 512)]

    def forward(x, is_training):
        out = hk.Conv2D(ch[0], 3, stride=1, with_bias=False, name="stem_conv")(x)
        out = jax.nn.relu(hk.BatchNorm(True, True, bn_decay, name="stem_bn")(out, is_training))
        in_ch = ch[0]
        for i, (c, stride, nb) in enumerate(zip(ch, (1, 2, 2, 2), blocks)):
            for j in range(nb):
                s = stride if j == 0 else 1
                with hk.experimental.name_scope(f"stage{i + 1}_block{j + 1}"):
                    out = _basic_block(c, s, project=(s != 1 or in_ch != c), bn_decay=bn_decay)(out, is_training)
                in_ch = c
        out = jnp.mean(out, axis=(1, 2))
        return hk.Linear(int(num_classes), name="head")(out)

    depth = 2 + 2 * sum(blocks)
    t = hk.without_apply_rng(hk.transform_with_state(forward))
    return StatefulModel(
        lambda key, x: t.init(key, x, True),
        t.apply,
        f"ResNet-{depth} (CIFAR variant, width x{width:g}) -> {num_classes}",
    )


def resnet18(num_classes: int = 10, width: float = 1.0, bn_decay: float = 0.9) -> StatefulModel:
    """ResNet-18, CIFAR variant (He et al. 2016 as adapted to 32x32 inputs): :func:`resnet`
    with two basic blocks per stage. At full width on 32x32x3 it has 11,173,962 parameters
    (BatchNorm scale and offset included; the moving statistics are state)."""
    return resnet(num_classes, width, (2, 2, 2, 2), bn_decay)


def resnet18_num_params(in_channels: int = 3, num_classes: int = 10, width: float = 1.0) -> int:
    """Closed-form parameter count of :func:`resnet18` (convolutions without bias, BatchNorm
    scale and offset, the linear head)."""
    ch = [max(1, int(round(c * width))) for c in (64, 128, 256, 512)]
    total = 9 * in_channels * ch[0] + 2 * ch[0]
    in_ch = ch[0]
    for c, stride in zip(ch, (1, 2, 2, 2)):
        for j in range(2):
            s = stride if j == 0 else 1
            total += 9 * in_ch * c + 2 * c + 9 * c * c + 2 * c
            if s != 1 or in_ch != c:
                total += in_ch * c + 2 * c
            in_ch = c
    return total + in_ch * num_classes + num_classes


__all__ = [
    "ACTIVATIONS",
    "Model",
    "StatefulModel",
    "DropoutModel",
    "mlp",
    "dropout_mlp",
    "paper_mlp",
    "mlp_num_params",
    "resnet",
    "resnet18",
    "resnet18_num_params",
]
