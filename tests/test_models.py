"""Models: parameter counts against Haiku, the paper's reading of '5-layer'."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import igr_core
from igr_core import models


def test_paper_mlp_parameter_count_is_9_6e5():
    m = models.paper_mlp(400)
    params = m.init(jax.random.PRNGKey(0), jnp.zeros((1, 784), jnp.float32))
    assert igr_core.num_params(params) == models.mlp_num_params(784, [400] * 5, 10) == 959_610


def test_mlp_output_shape_and_bad_activation():
    m = models.mlp([8, 8], 3, "tanh")
    params = m.init(jax.random.PRNGKey(0), jnp.zeros((2, 5), jnp.float32))
    assert m.apply(params, jnp.ones((4, 5), jnp.float32)).shape == (4, 3)
    with pytest.raises(ValueError, match="activation"):
        models.mlp([8], 3, "gelu2")


def _count(tree):
    return sum(x.size for x in jax.tree_util.tree_leaves(tree))


def test_resnet18_full_width_parameter_count_on_cifar_shapes(standard_promotion):
    """The CIFAR ResNet-18 has 11,173,962 parameters (BatchNorm statistics are state, counted apart)."""
    model = models.resnet18(10)
    params, state = jax.eval_shape(lambda: model.init(jax.random.PRNGKey(0), jnp.zeros((1, 32, 32, 3), jnp.float32)))
    assert _count(params) == 11_173_962 == models.resnet18_num_params(3, 10)
    assert _count(state) > 0  # moving means and variances of every BatchNorm


def test_resnet18_small_width_any_input_shape_and_batchnorm_modes(standard_promotion):
    model = models.resnet18(10, width=0.125)
    x = jax.random.uniform(jax.random.PRNGKey(1), (4, 28, 28, 1))
    params, state = jax.jit(model.init)(jax.random.PRNGKey(0), x)
    assert _count(params) == models.resnet18_num_params(1, 10, 0.125)
    apply = jax.jit(model.apply, static_argnums=3)
    logits, new_state = apply(params, state, x, True)
    assert logits.shape == (4, 10)
    changed = jax.tree_util.tree_map(lambda a, b: bool(jnp.any(a != b)), state, new_state)
    assert any(jax.tree_util.tree_leaves(changed))  # training mode updates the moving statistics
    _, same = apply(params, new_state, x, False)
    assert all(
        bool(jnp.all(a == b)) for a, b in zip(jax.tree_util.tree_leaves(new_state), jax.tree_util.tree_leaves(same))
    )
    with pytest.raises(ValueError, match="`width` must be a positive multiplier"):
        models.resnet18(10, width=0)


def test_dropout_mlp_is_unbiased_and_deterministic_without_a_key():
    """Rate 0 (or no key) is the deterministic network; inverted dropout keeps each hidden
    unit's expectation, so the mean pre-read-out over many masks of a one-layer network matches
    the deterministic output (the read-out is linear)."""
    model = models.dropout_mlp([16], 3, "relu")
    x = jax.random.normal(jax.random.PRNGKey(0), (4, 5))
    params = model.init(jax.random.PRNGKey(1), x)
    det = model.apply(params, x)
    np.testing.assert_allclose(model.apply(params, x, 0.0, jax.random.PRNGKey(2)), det, rtol=1e-12)
    outs = jax.vmap(lambda k: model.apply(params, x, 0.3, k))(jax.random.split(jax.random.PRNGKey(3), 20000))
    assert float(jnp.max(jnp.abs(outs.mean(0) - det))) < 5 * float(jnp.max(outs.std(0))) / np.sqrt(20000)
    assert float(jnp.max(jnp.abs(outs[0] - det))) > 0  # a mask changes the output
    with pytest.raises(ValueError, match="`activation` must be one of"):
        models.dropout_mlp([4], 2, "gelu")


def test_haiku_under_the_lock_runs_without_deprecations():
    """dm-haiku 0.0.17 declares jax >= 0.11 only for its optional `jax` extra (not installed
    here); under the pinned jax 0.10.2 the models build and run with deprecation and future
    warnings turned into errors."""
    import warnings
    from importlib import metadata

    import jax
    import jax.numpy as jnp

    from igr_core import models

    requires = metadata.requires("dm-haiku") or []
    assert all("extra ==" in r for r in requires if r.startswith(("jax", "jaxlib"))), requires
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        warnings.simplefilter("error", FutureWarning)
        jax.config.update("jax_numpy_dtype_promotion", "standard")
        try:
            m = models.paper_mlp(16, 10, 2)
            p = m.init(jax.random.PRNGKey(0), jnp.ones((1, 784)))
            assert m.apply(p, jnp.ones((2, 784))).shape == (2, 10)
            r = models.resnet18(10, 0.0625)
            variables = r.init(jax.random.PRNGKey(0), jnp.ones((1, 28, 28, 1)))
            assert variables is not None
        finally:
            jax.config.update("jax_numpy_dtype_promotion", "strict")
