"""The book's table of contents and its notebook sources: which pages exist, where each comes from,
where a build's executed pages go.

``_toc.yml`` is generated (:func:`generate`, written by :func:`write_toc` before every build): its
chapter parts come from the registry, the one list of chapters, each chapter in the part its
contract names (``PART``); the pages around them (the companion's front pages, the back matter)
are listed here once."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from igr_core.experiments._params import LARGEST, ParameterError

ROOT = Path(__file__).resolve().parents[2]
EXECUTED = Path("book") / "executed"  # the published book's pages (committed)


def out_dir_for(profile: str, root: Path = ROOT) -> Path:
    """Where a build's executed pages go: the published build (``largest``) to ``book/executed``
    (committed), any other profile to its own ``_build/<profile>/book/executed``, so that a smoke
    rebuild never replaces the published pages."""
    return root / EXECUTED if profile == LARGEST else root / "_build" / profile / EXECUTED


SOURCE_DIRS = (Path("notebooks"), Path("book"))  # chapters first, then gathering pages

TOC = "_toc.yml"
TOC_HEADER = """# Table of contents. Entries under book/executed/ are notebooks: the pipeline executes
# them (sources in notebooks/ or book/) before the book is built. Generated from the registry
# of chapters (igr_core.book.toc.generate): edit a chapter's PART, not this file.
format: jb-book
root: book/executed/intro
parts:
"""
FRONT = ("The companion", ("book/executed/claims", "book/executed/errata", "book/executed/departures"))
BACK = ("Back matter", ("book/references", "book/executed/provenance"))


def toc_parts(chapters=None) -> list[tuple[str, tuple[str, ...]]]:
    """(caption, files) of every part: the front pages, the chapters grouped by their ``part`` in
    the registry's order (a part first named by an earlier chapter comes first), the back matter."""
    if chapters is None:
        from igr_core.experiments import registry

        chapters = registry.CHAPTERS
    grouped: dict[str, list[str]] = {}
    for c in chapters:
        grouped.setdefault(c.part, []).append((EXECUTED / c.name).as_posix())
    return [FRONT, *((part, tuple(files)) for part, files in grouped.items()), BACK]


def generate(chapters=None) -> str:
    """The text of ``_toc.yml`` for ``chapters`` (default: the registry's)."""
    lines = [TOC_HEADER.rstrip("\n")]
    for caption, files in toc_parts(chapters):
        lines += [f"  - caption: {caption}", "    chapters:", *(f"      - file: {f}" for f in files)]
    return "\n".join(lines) + "\n"


def write_toc(root: Path = ROOT, chapters=None) -> bool:
    """Write ``<root>/_toc.yml`` from the registry where it differs; whether it was written."""
    path, text = root / TOC, generate(chapters)
    if path.exists() and path.read_text() == text:
        return False
    path.write_text(text)
    return True


def toc_files(root: Path = ROOT) -> list[str]:
    """Every page of ``_toc.yml`` (the root first), as docnames in table-of-contents order,
    read with ``sphinx_external_toc`` (the parser Jupyter Book itself uses)."""
    from sphinx_external_toc.parsing import parse_toc_yaml

    site_map = parse_toc_yaml(str(root / "_toc.yml"))
    out: list[str] = []

    def walk(doc: str) -> None:
        out.append(doc)
        for sub in site_map[doc].subtrees:
            for item in sub.items:
                if hasattr(item, "docname") or isinstance(item, str):
                    walk(getattr(item, "docname", item))

    walk(site_map.root.docname)
    return out


def toc_notebooks(root: Path = ROOT) -> list[str]:
    """Names of the executed notebooks listed in ``_toc.yml``, in table-of-contents order."""
    prefix = EXECUTED.as_posix() + "/"
    return [f[len(prefix) :] for f in toc_files(root) if f.startswith(prefix)]


def source_of(name: str, root: Path = ROOT) -> Path:
    for d in SOURCE_DIRS:
        p = root / d / f"{name}.md"
        if p.exists():
            return p
    raise FileNotFoundError(f"no notebook source for {name!r} in {[str(d) for d in SOURCE_DIRS]}")


def execution_order(names: list[str], root: Path = ROOT) -> list[str]:
    """Chapters (``notebooks/``) before pages that gather results (``book/``)."""
    rank = {d: i for i, d in enumerate(SOURCE_DIRS)}
    return sorted(names, key=lambda n: rank[source_of(n, root).parent.relative_to(root)])


def read_notebook(path: Path):
    import jupytext

    nb = jupytext.read(path)
    nb.metadata.setdefault("kernelspec", {"name": "python3", "display_name": "Python 3", "language": "python"})
    return nb


def notebook_parameters(nb) -> dict[str, Any]:
    """Defaults declared in the cell tagged ``parameters`` (literal assignments only)."""
    cells = [c for c in nb.cells if c.cell_type == "code" and "parameters" in c.metadata.get("tags", [])]
    if len(cells) != 1:
        raise ParameterError(f"expected exactly one cell tagged 'parameters', found {len(cells)}")
    params = {}
    for node in ast.parse(cells[0].source).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            params[node.targets[0].id] = ast.literal_eval(node.value)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            params[node.target.id] = ast.literal_eval(node.value)
        elif not isinstance(node, ast.Expr):
            raise ParameterError("the 'parameters' cell may hold only literal assignments")
    return params


def resolve(arg: str) -> str:
    """Notebook name from a name or a path."""
    return Path(arg).stem
