"""Type aliases (``_src/typing.py``): defined in one place only, and meaning what they say
(a float scalar, a float vector; jaxtyping checks the dtype and the shape)."""

import ast
import warnings
from pathlib import Path

import jax.numpy as jnp

import igr_core
from igr_core._src import typing as T


def test_aliases_are_defined_in_one_place():
    names = set(T.__all__) - {"Array", "Float"}
    assert names == {"PyTree", "Scalar", "Vector", "LossFn", "VectorField", "ApplyFn"}
    root = Path(igr_core.__file__).parent
    for path in root.rglob("*.py"):
        if path == Path(T.__file__):
            continue
        with warnings.catch_warnings():  # a module's own warnings (escape sequences) are not this test's
            warnings.simplefilter("ignore")
            tree = ast.parse(path.read_text())
        for node in tree.body:
            targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
            for t in targets:
                assert not (isinstance(t, ast.Name) and t.id in names), f"{path.relative_to(root)} defines {t.id}"


def test_scalar_and_vector_mean_float_arrays_of_their_rank():
    assert isinstance(jnp.asarray(1.5), T.Scalar) and not isinstance(jnp.ones(3), T.Scalar)
    assert isinstance(jnp.ones(3), T.Vector) and not isinstance(jnp.ones((3, 2)), T.Vector)
    assert not isinstance(jnp.ones(3, jnp.int32), T.Vector)  # a float type
