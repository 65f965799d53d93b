"""Parameter noise (Figure 3)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from igr_core import models, robustness


def test_perturb_is_multiplicative_gaussian():
    params = {"w": jnp.full((200, 200), 2.0, jnp.float32)}
    p = robustness.perturb(params, 0.5, jax.random.PRNGKey(0))
    eta = np.asarray(p["w"]) / 2.0 - 1.0
    assert abs(eta.mean()) < 0.01 and abs(eta.std() - 0.5) < 0.01
    zero = robustness.perturb({"w": jnp.zeros((3,), jnp.float32)}, 3.0, jax.random.PRNGKey(1))
    assert np.all(np.asarray(zero["w"]) == 0)  # multiplicative: zeros stay zero


def test_noise_study_shapes_and_zero_noise():
    m = models.mlp([8], 10, "relu")
    x = jax.random.uniform(jax.random.PRNGKey(0), (40, 784), jnp.float32)
    y = jnp.arange(40, dtype=jnp.int32) % 10
    params = m.init(jax.random.PRNGKey(1), x[:1])
    df = robustness.noise_study(m, params, x, y, x, y, [0.0, 1.0], n_realizations=5, batch=2, eval_chunk=16)
    assert list(df.groupby("sigma").size()) == [1, 5]
    s = robustness.summarize(df)
    assert s.loc[s["sigma"] == 1.0, "slope_sd"].iloc[0] > 0
    with pytest.raises(ValueError, match="sigmas"):
        robustness.noise_study(m, params, x, y, x, y, [-1.0])
