"""Parameter noise and the permutation statistics behind the verdicts."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.stats import spearmanr

from igr_core import models, robustness, stats


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


def test_spearman_matches_scipy_and_permutation_p_is_calibrated():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=30), rng.normal(size=30)
    rho, p, n = stats.spearman_permutation(x, y, n_perm=2000)
    assert rho == pytest.approx(spearmanr(x, y)[0]) and n == 30
    assert p > 0.05  # independent data: not significant here
    rho2, p2, _ = stats.spearman_permutation(x, 2 * x + 0.01 * y, n_perm=2000)
    assert rho2 == pytest.approx(1.0) and p2 < 0.001


def test_small_samples_cannot_reach_significance():
    """With 4 points even a perfect ranking has p = 2/24: the verdict stays inconclusive."""
    rho, p, n = stats.spearman_permutation([1, 2, 3, 4], [4, 3, 2, 1], n_perm=20000)
    assert rho == pytest.approx(-1.0) and p == pytest.approx(2 / 24, abs=0.01)
    assert stats.trend_verdict(rho, p, -1) == "inconclusive"
    assert stats.trend_verdict(-0.9, 0.001, -1) == "reproduced"
    assert stats.trend_verdict(0.9, 0.001, -1) == "not reproduced"
    assert np.isnan(stats.spearman_permutation([1, 2], [1, 2])[0])
