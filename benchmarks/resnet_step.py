"""The ResNet-18 SGD step's share of this machine's float32 matmul rate, per width.

    .venv/bin/python benchmarks/resnet_step.py [--widths 0.0625 0.125 0.25] [--batch 128]

For each channel multiplier: the FLOPs of one training step (XLA's own cost analysis of the
compiled step, the engine's per-step function as the chapters use it), the best of several
timed steps, the achieved GFLOP/s, and that rate as a fraction of a 2048^2 float32 matmul
measured in the same run. It picks the width at which the CPU is used well (chapters 06-07's
stand-in profile). Prints a markdown table; ratios, not timed assertions.
"""

from __future__ import annotations

import argparse
import datetime
import platform
import time

import jax
import jax.numpy as jnp
import numpy as np
from _rates import matmul_flops  # noqa: E402  (benchmarks/ is on the path of a script)

from igr_core import engine, models
from igr_core.engine import init_state


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def step_cost(width: float, batch: int, size: int = 28, channels: int = 1, repeat: int = 5) -> tuple[float, float]:
    """(FLOPs of one step by XLA's cost analysis, best seconds per step)."""
    model = models.resnet18(10, width)
    key = jax.random.PRNGKey(0)
    x = jax.random.uniform(key, (2 * batch, size, size, channels), jnp.float32)
    y = jax.random.randint(key, (2 * batch,), 0, 10)
    state = init_state(model, x[:1], 0, 0.05, 0.0)
    step = jax.jit(engine.make_train_step(model, False, 1e4, False, "exact"))
    idx = jnp.arange(batch)
    flops = float(step.lower(state, idx, x, y).compile().cost_analysis().get("flops", np.nan))
    jax.block_until_ready(step(state, idx, x, y))
    best = min(_timed(lambda: jax.block_until_ready(step(state, idx, x, y))) for _ in range(repeat))
    return flops, best


def main(argv=None) -> str:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--widths", type=float, nargs="+", default=[0.0625, 0.125, 0.25])
    ap.add_argument("--batch", type=int, default=128)
    args = ap.parse_args(argv)
    jax.config.update("jax_numpy_dtype_promotion", "standard")
    peak = matmul_flops(2048) / 1e9
    lines = [
        f"Measured {datetime.date.today()} on {platform.node()}: {jax.device_count()} {jax.default_backend()} "
        f"device(s), jax {jax.__version__}; float32 matmul 2048^2: {peak:.0f} GFLOP/s",
        "",
        "| width | GFLOP per step | seconds per step | steps/s | GFLOP/s | fraction of matmul rate |",
        "|---|---|---|---|---|---|",
    ]
    for w in args.widths:
        flops, sec = step_cost(w, args.batch)
        rate = flops / sec / 1e9
        lines.append(f"| x{w:g} | {flops / 1e9:.2f} | {sec:.4f} | {1 / sec:.1f} | {rate:.1f} | {rate / peak:.2f} |")
    text = "\n".join(lines)
    print(text)
    return text


if __name__ == "__main__":
    main()
