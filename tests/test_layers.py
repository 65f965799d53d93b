"""The library's layers point one way, and no chapter module imports another.

Layers, lowest first: ``igr_core._src`` (the mathematics and machinery) < the public facades
``igr_core.<topic>`` (re-exports, generated from each implementation's ``__all__``) <
``igr_core.experiments`` (one package per chapter, with private shared helpers ``_params``,
``_images``, ``_rows``, ``_captions``) < ``igr_core.book`` (the pipeline and the pages). A module
may import its own layer or a lower one; chapter modules may not import one another."""

import ast
import importlib
from pathlib import Path

import pytest

from igr_core.experiments import registry
from igr_core.experiments._params import PROFILES

PKG = Path(__file__).resolve().parents[1] / "igr_core"
CHAPTERS = {c.module.rsplit(".", 1)[1] for c in registry.CHAPTERS}  # the registry lists them once


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
    single = PKG / "experiments" / f"{chapter}.py"
    files = [single] if single.exists() else sorted((PKG / "experiments" / chapter).glob("*.py"))  # a chapter package
    for target in [t for f in files for t in imports(f)]:
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
    from igr_core.experiments import departures

    assert set(departures.paper_values()) == {"05_mnist", "06_resnet", "07_egr"}  # the chapters the paper sizes
    for chapter in departures.paper_values():
        assert departures.undeclared(chapter, registry.get(chapter).resolve(profile)) == [], (chapter, profile)


def test_an_undeclared_departure_is_caught():
    import dataclasses

    from igr_core.experiments import departures, mnist

    p = dataclasses.replace(mnist.Params.resolve("05_mnist", "paper"), noise_width=100, widths=(100, 400))
    assert departures.undeclared("05_mnist", p) == ["noise_width"]


def test_no_module_imports_a_chapter_by_name():
    """Chapters are reached through the registry only: no ``importlib`` of a chapter module anywhere
    in the package (the layer walk above cannot see such imports) but in the registry itself, which
    imports the chapters outside the package that ``$IGR_CHAPTERS`` names."""
    for name, path in modules():
        text = path.read_text()
        if name == "igr_core.experiments.registry":
            continue
        assert "import_module(" not in text or name == "igr_core._src.store" and "experiments" not in text, name


def test_every_chapter_satisfies_the_contract():
    import types

    from igr_core._src.contract import Chapter

    assert [c.name for c in registry.CHAPTERS] == sorted(c.name for c in registry.CHAPTERS)
    for c in registry.CHAPTERS:
        assert isinstance(c, Chapter) and c.resolve("smoke").profile == "smoke"
    broken = types.ModuleType("broken")
    broken.NOTEBOOK, broken.RESULTS_VERSION = "98_broken", 1
    with pytest.raises(TypeError, match="lacks Params, Results, run, claims, facts"):
        Chapter.of(broken)


def test_a_profile_is_described_in_one_place():
    """The banner's sentence for a profile is its file's ``description:`` (no second copy)."""
    from igr_core.book import display
    from igr_core.experiments._params import describe, load_profile

    for profile in PROFILES:
        text = load_profile(profile)["description"]
        assert describe(profile) == text and text in display.profile_sentence(profile)
