"""The library's layers point one way, and no chapter module imports another.

Layers, lowest first: ``igr_core._src`` (the mathematics and machinery) < the public facades
``igr_core.<topic>`` (re-exports, generated from each implementation's ``__all__``) <
``igr_core.experiments`` (one module per chapter, with private shared helpers ``_params``,
``_images``) < ``igr_core.book`` (the pipeline and the pages). A module may import its own
layer or a lower one; chapter modules may not import one another."""

import ast
import importlib
from pathlib import Path

import pytest

from igr_core.experiments._params import PROFILES

PKG = Path(__file__).resolve().parents[1] / "igr_core"
CHAPTERS = {"theorems", "geometry", "ntk", "toy_model", "mnist", "resnet", "egr", "estimation", "optimizers"}


def layer(module: str) -> int:
    parts = module.split(".")
    if parts[:2] == ["igr_core", "_src"]:
        return 0
    if parts[:2] == ["igr_core", "experiments"]:
        return 2
    if parts[:2] == ["igr_core", "book"]:
        return 3
    if module == "igr_core":
        return 4  # the package root re-exports everything; nothing inside may import it
    return 1  # a facade


def is_module(name: str) -> bool:
    rel = Path(*name.split("."))
    return (PKG.parent / rel).with_suffix(".py").exists() or (PKG.parent / rel / "__init__.py").exists()


def imports(path: Path) -> list[str]:
    """Every igr_core module a file imports (``from a.b import c`` counts a.b, and a.b.c when
    c is a module)."""
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append(node.module)
            out += [f"{node.module}.{a.name}" for a in node.names if is_module(f"{node.module}.{a.name}")]
        elif isinstance(node, ast.Import):
            out += [a.name for a in node.names]
    return [m for m in out if m.startswith("igr_core")]


def modules():
    for f in sorted(PKG.rglob("*.py")):
        rel = f.relative_to(PKG.parent).with_suffix("")
        name = ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)
        yield name, f


@pytest.mark.parametrize("name, path", list(modules()), ids=lambda v: v if isinstance(v, str) else "")
def test_imports_point_down(name, path):
    mine = layer(name)
    for target in imports(path):
        if target == "igr_core" and name == "igr_core":
            continue
        assert layer(target) <= mine, f"{name} (layer {mine}) imports {target} (layer {layer(target)})"


@pytest.mark.parametrize("chapter", sorted(CHAPTERS))
def test_no_chapter_imports_another(chapter):
    for target in imports(PKG / "experiments" / f"{chapter}.py"):
        tail = target.split(".")
        others = CHAPTERS - {chapter}
        assert not (len(tail) >= 3 and tail[1] == "experiments" and tail[2] in others), (
            f"experiments.{chapter} imports {target}"
        )


def test_the_walk_sees_a_violation(tmp_path):
    """The rule can fail: a library module importing the book is caught."""
    bad = tmp_path / "bad.py"
    bad.write_text("from igr_core.book import ledger\n")
    assert any(layer(t) > layer("igr_core._src.bad") for t in imports(bad))


def test_facades_export_exactly_the_implementation_lists():
    """One list per topic: each facade's __all__ is its implementations' __all__, and every
    name in it exists (the verdicts facade once exported a name its implementation lacked)."""
    for f in sorted(PKG.glob("*.py")):
        if f.name == "__init__.py":
            continue
        facade = importlib.import_module(f"igr_core.{f.stem}")
        srcs = [
            n.module
            for n in ast.parse(f.read_text()).body
            if isinstance(n, ast.ImportFrom) and n.module and n.module.startswith("igr_core._src.")
        ]
        expected = [x for m in srcs for x in importlib.import_module(m).__all__]
        assert list(facade.__all__) == expected, f.stem
        assert all(hasattr(facade, x) for x in facade.__all__), f.stem


@pytest.mark.parametrize("profile", PROFILES)
def test_every_departure_from_a_stated_paper_value_is_declared(profile):
    from igr_core.experiments import BY_NOTEBOOK, departures

    for chapter in departures.PAPER_VALUES:
        module = importlib.import_module(BY_NOTEBOOK[chapter])
        assert departures.undeclared(chapter, module.Params.resolve(chapter, profile)) == [], (chapter, profile)


def test_an_undeclared_departure_is_caught():
    import dataclasses

    from igr_core.experiments import departures, mnist

    p = dataclasses.replace(mnist.Params.resolve("05_mnist", "paper"), noise_width=100, widths=(100, 400))
    assert departures.undeclared("05_mnist", p) == ["noise_width"]
