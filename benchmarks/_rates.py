"""What the benchmarks compare against: this device's float32 matmul rate, measured once.

Shared by the benchmark scripts (imported as ``_rates``: a script run as
``python benchmarks/<name>.py`` has this folder on its path)."""

from __future__ import annotations

import time

import jax
import jax.numpy as jnp


def matmul_flops(n: int | None = None, repeat: int = 5) -> float:
    """FLOP/s of a jitted float32 n x n matmul (JAX's default precision: TF32 on recent GPUs), the
    best of ``repeat`` after a warm-up; n = 8192 on an accelerator, 2048 on a CPU by default."""
    if n is None:
        n = 8192 if jax.default_backend() != "cpu" else 2048
    a = jnp.ones((n, n), jnp.float32)
    f = jax.jit(lambda x: x @ x)
    f(a).block_until_ready()
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        f(a).block_until_ready()
        best = min(best, time.perf_counter() - t0)
    return 2 * n**3 / best
