"""Every chapter is a package of one shape: ``params``, ``compute``, ``rows``, ``captions`` behind a
facade that only re-exports.

For each chapter the registry lists: it is a package; it has the four modules; its
``__init__.py`` holds its docstring (an "Abstraction:" paragraph and a "One module per job:"
paragraph), imports, ``PART = ...`` and ``__all__ = [...]``, nothing else (no function, class or
other statement: the logic lives in the modules); every name in ``__all__`` exists; the
contract's ``captions`` and ``banner`` hooks come from the chapter's own ``captions`` module."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from igr_core.experiments import registry

JOBS = ("params", "compute", "rows", "captions")
ALLOWED_NAMES = ("PART", "__all__")


def facade_problems(source: str) -> list[str]:
    """What a package's ``__init__.py`` holds besides its docstring, imports, ``PART`` and ``__all__``."""
    body = ast.parse(source).body
    problems = []
    doc = ast.get_docstring(ast.Module(body=body, type_ignores=[]))
    if not doc or "Abstraction:" not in doc or "One module per job:" not in doc:
        problems.append("its docstring lacks the 'Abstraction:' or the 'One module per job:' paragraph")
    for i, node in enumerate(body):
        if i == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # the docstring
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] in (["PART"], ["__all__"]):
            name = node.targets[0].id
            if name == "PART" and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                continue
            if name == "__all__" and (
                isinstance(node.value, ast.List)
                and all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.value.elts)
            ):
                continue
        problems.append(f"line {node.lineno}: {ast.unparse(node).splitlines()[0]}")
    return problems


@pytest.mark.parametrize("module", registry.MODULES, ids=lambda m: m.__name__.rsplit(".", 1)[1])
def test_every_chapter_is_a_package_of_one_shape(module):
    name = module.__name__
    assert hasattr(module, "__path__"), f"{name} is a single module, not a package"
    for job in JOBS:
        importlib.import_module(f"{name}.{job}")  # raises where the module is missing
    init = Path(module.__file__)
    assert init.name == "__init__.py"
    assert facade_problems(init.read_text()) == [], f"{name}/__init__.py holds more than re-exports"
    missing = [n for n in module.__all__ if not hasattr(module, n)]
    assert not missing, f"{name}.__all__ names what it lacks: {missing}"
    for hook in ("captions", "banner"):
        assert getattr(module, hook).__module__ == f"{name}.captions", f"{name}.{hook} is not its captions module's"


def test_the_shape_check_can_fail():
    """A facade with logic, another assignment or a docstring without its paragraphs is caught."""
    doc = '"""Chapter.\n\nAbstraction: x.\n\nOne module per job: y.\n"""\n'
    good = doc + 'from a import b\nPART = "T"\n__all__ = ["b"]\n'
    assert facade_problems(good) == []
    assert facade_problems(good + "def f():\n    return 1\n")
    assert facade_problems(good + "class K:\n    pass\n")
    assert facade_problems(good + "X = 1\n")
    assert facade_problems(good + "__all__ = sorted(['b'])\n")
    assert facade_problems(good.replace("One module per job", "Modules"))
