"""EGR on ResNet-18: step cost of the two EGR routes against an SGD step, their agreement, and
scan against per-step execution, measured side by side in one run (ratios, not timed tests).

    .venv/bin/python benchmarks/egr_resnet.py [--width 0.0625] [--batch 128] [--size 28]

Every step is the engine's own (``igr_core.engine.make_gradient`` through
``make_train_step`` / ``make_train_segment``) on random images of the given shape, float32.
The EGR routes' agreement is the relative difference of their H g against double
backpropagation (``jax.grad`` of E + mu ||g||^2). Prints a markdown table and appends it to
``benchmarks/egr_resnet.md``.
"""

from __future__ import annotations

import argparse
import datetime
import platform
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import optax

import igr_core
from igr_core import engine, models


def best_time(fn, repeat=3):
    jax.block_until_ready(fn())  # compile
    out = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        jax.block_until_ready(fn())
        out = min(out, time.perf_counter() - t0)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--width", type=float, default=0.0625)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--size", type=int, default=28)
    ap.add_argument("--channels", type=int, default=1)
    args = ap.parse_args(argv)
    jax.config.update("jax_numpy_dtype_promotion", "standard")
    model = models.resnet18(10, args.width)
    key = jax.random.PRNGKey(0)
    x = jax.random.uniform(key, (8 * args.batch, args.size, args.size, args.channels), jnp.float32)
    y = jax.random.randint(key, (8 * args.batch,), 0, 10)
    from igr_core.engine import init_state

    state = init_state(model, x[:1], 0, 0.05, 0.01)
    idx = jnp.arange(args.batch)
    rows = []
    steps = {}
    for name, egr, method in (
        ("SGD", False, "exact"),
        ("EGR exact (forward-over-reverse)", True, "exact"),
        ("EGR finite difference", True, "finite_difference"),
    ):
        step = jax.jit(engine.make_train_step(model, False, 1e4, egr, method))
        steps[name] = best_time(lambda step=step: step(state, idx, x, y).params)
    for name in list(steps)[1:]:
        rows.append(
            (
                f"{name} step vs SGD step",
                f"{steps[name] / steps['SGD']:.2f}x",
                f"{steps[name] * 1e3:.0f} ms vs {steps['SGD'] * 1e3:.0f} ms",
            )
        )
    # agreement of the routes with double backprop
    xb, yb = x[: args.batch], y[: args.batch]

    def loss(p):
        return engine.make_training_loss(model)(p, state.model_state, xb, yb)[0]

    mu = jnp.asarray(0.01, jnp.float32)
    g = jax.jit(jax.grad(loss))(state.params)
    ref = optax.tree.sub(jax.jit(jax.grad(igr_core.egr_loss(loss, mu)))(state.params), g)
    for method in ("exact", "finite_difference"):
        d = jax.jit(
            lambda p, method=method: engine.make_gradient(model, True, method)(p, state.model_state, mu, xb, yb)[2]
        )(state.params)
        rel = float(optax.tree.norm(optax.tree.sub(optax.tree.sub(d, g), ref)) / optax.tree.norm(ref))
        rows.append((f"EGR {method}: H g vs double backprop", f"rel. diff {rel:.1e}", "float32"))
    # scan vs per-step execution (why the engine runs ResNets one jitted step at a time on a CPU)
    seg = jax.jit(engine.make_train_segment(model, False, 1e4, False))
    one = jax.jit(engine.make_train_step(model, False, 1e4, False))
    idx8 = jnp.arange(8 * args.batch).reshape(8, args.batch)
    n8 = jnp.asarray(8, jnp.int32)
    t_scan = best_time(lambda: seg(state, idx8, n8, x, y).params, repeat=2)

    def loop():
        s = state
        for i in range(8):
            s = one(s, idx8[i], x, y)
        return s.params

    t_loop = best_time(loop, repeat=2)
    rows.append(
        (
            "8 SGD steps: scan vs per-step loop",
            f"scan / loop = {t_scan / t_loop:.2f}",
            f"{t_scan:.2f} s vs {t_loop:.2f} s",
        )
    )
    m = optax.tree.size(state.params)
    head = (
        f"Measured {datetime.date.today()} on {platform.node()}: {jax.default_backend()} backend "
        f"({jax.devices()[0].device_kind}), jax {jax.__version__}; ResNet-18 width x{args.width:g} (m = {m:,}), "
        f"batch {args.batch}, {args.size}x{args.size}x{args.channels} images"
    )
    table = "\n".join(
        [head, "", "| benchmark | ratio | detail |", "|---|---|---|", *[f"| {a} | {b} | {c} |" for a, b, c in rows]]
    )
    print(table)
    with open(Path(__file__).with_name("egr_resnet.md"), "a") as fh:
        fh.write(table + "\n\n")


if __name__ == "__main__":
    main()
