"""Models: parameter counts against Haiku, the paper's reading of '5-layer'."""
import jax
import jax.numpy as jnp
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
