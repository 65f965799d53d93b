"""A new chapter is its package, its notebook and one registry line (issue 38's "Done when").

The test writes a minimal chapter package and its notebook into a throw-away book, registers the
package with the registry's one line for chapters outside ``igr_core`` (``$IGR_CHAPTERS``, the
line a chapter of the book adds to ``registry.MODULES``), generates the book's table of contents
from the registry, and executes the page with papermill through the book pipeline, as the
pipeline's own tests do (tests/test_pipeline.py). The page must show the banner's data sentence,
the figure's caption and the verdict rows: every piece came from the package through the
chapter contract's hooks, with nothing added to captions, departures, plotting, profiles or the
table of contents by hand.
"""

import importlib
import os
import textwrap

import nbformat
import pytest

from igr_core import book
from igr_core._src import env
from igr_core.book import toc
from igr_core.experiments import registry

PACKAGE = textwrap.dedent('''\
    """A minimal chapter: the sum of the first n squares, by a loop and by the closed form."""

    from __future__ import annotations

    import dataclasses
    from typing import NamedTuple

    import numpy as np
    import pandas as pd

    from igr_core import verdicts
    from igr_core.experiments._params import PROFILES, ParamsBase, one_of, positive

    NOTEBOOK = "98_tiny"
    RESULTS_VERSION = 1


    @dataclasses.dataclass(frozen=True)
    class Params(ParamsBase):
        profile: str = "smoke"
        n: int = 6

        def __post_init__(self):
            one_of("profile", self.profile, PROFILES)
            positive("n", self.n, integer=True)


    class Results(NamedTuple):
        params: Params
        sums: pd.DataFrame


    def run(p: Params) -> Results:
        k = np.arange(1, p.n + 1, dtype=float)
        return Results(p, pd.DataFrame({"n": k, "loop": np.cumsum(k**2), "closed": k * (k + 1) * (2 * k + 1) / 6}))


    def claims(r: Results) -> list:
        err = (r.sums["loop"] / r.sums["closed"] - 1).abs()
        return [verdicts.Claim("The first n squares sum to n(n+1)(2n+1)/6", "Tiny Eq. 1", verdicts.identity(err),
                               note=f"n up to {len(err)}")]


    def facts(r: Results) -> dict:
        return {"n": len(r.sums)}


    def captions(r: Results) -> dict:
        return {"sums": f"Tiny caption: the loop and the closed form agree up to n = {len(r.sums)}."}


    def banner(r: Results) -> dict:
        return {"data_source": "tiny data sentence: the integers 1 to n"}


    def draw(sums, profile):
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(4, 3))
        ax.plot(sums["n"], sums["closed"], "o-", label="closed form")
        ax.plot(sums["n"], sums["loop"], "x", label="loop")
        ax.set_xlabel("n")
        ax.set_ylabel("sum of squares")
        ax.legend()
        return fig
    ''')

NOTEBOOK = textwrap.dedent("""\
    ---
    jupytext:
      text_representation:
        extension: .md
        format_name: myst
        format_version: 0.13
    kernelspec:
      display_name: Python 3
      language: python
      name: python3
    ---

    # Tiny chapter

    ```{code-cell} ipython3
    :tags: [parameters, remove-cell]

    profile = "smoke"
    ```

    ```{code-cell} ipython3
    :tags: [remove-input]

    import tiny_chapter
    from igr_core.book import chapter

    page = chapter.open(tiny_chapter, globals())
    ```

    ```{code-cell} ipython3
    fig = page.figure(tiny_chapter.draw, page.results.sums, caption="sums")
    ```

    ```{code-cell} ipython3
    :tags: [remove-input]

    table = page.verdicts()
    ```
    """)


def page_text(path) -> str:
    """Everything a page shows: streams and every display's markdown, HTML and plain text."""
    nb = nbformat.read(path, as_version=4)
    out = []
    for cell in nb.cells:
        for o in cell.get("outputs", []) if cell.cell_type == "code" else []:
            out.append(o.get("text", ""))
            out += [str(o.get("data", {}).get(k, "")) for k in ("text/markdown", "text/html", "text/plain")]
    return "\n".join(out)


@pytest.fixture
def minimal_chapter(tmp_path, monkeypatch):
    """The chapter's package on the path of this process and of the kernels, and its one registry line."""
    packages = tmp_path / "packages"
    (packages / "tiny_chapter").mkdir(parents=True)
    (packages / "tiny_chapter" / "__init__.py").write_text(PACKAGE)
    root = tmp_path / "book_root"
    for d in ("notebooks", "book"):
        (root / d).mkdir(parents=True)
    (root / "notebooks" / "98_tiny.md").write_text(NOTEBOOK)
    monkeypatch.syspath_prepend(str(packages))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(packages), os.environ.get("PYTHONPATH")])))
    monkeypatch.setenv(env.CHAPTERS, "tiny_chapter")  # the registry line
    importlib.reload(registry)
    try:
        yield root
    finally:
        monkeypatch.delenv(env.CHAPTERS)
        importlib.reload(registry)  # the book's own chapters again, for the tests that follow


def test_a_minimal_chapter_renders_from_its_package_its_notebook_and_one_registry_line(minimal_chapter):
    root = minimal_chapter
    tiny = registry.get("98_tiny")
    assert registry.NAMES[-1] == "98_tiny" and tiny.part == "Beyond the paper"  # the contract's default part
    (root / "_toc.yml").write_text(toc.generate([tiny]))  # the book's table of contents, from the registry
    assert "98_tiny" in book.toc_notebooks(root)

    times = book.execute(["98_tiny"], "smoke", root=root, log=lambda *_: None, results=root / "results")
    assert times == [("98_tiny", times[0][1], "ok")]
    text = page_text(root / "book" / "executed" / "98_tiny.ipynb")
    assert "tiny data sentence: the integers 1 to n" in text  # the banner, from the chapter's hook
    assert "Tiny caption: the loop and the closed form agree up to n = 6." in text  # the figure's caption
    assert "The first n squares sum to n(n+1)(2n+1)/6" in text and "reproduced" in text  # the verdict rows
    assert "Tiny Eq. 1" in text
    stored = list((root / "results" / "smoke" / "98_tiny").glob("*/manifest.json"))
    assert len(stored) == 1  # the result store kept the chapter's entry


def test_a_chapter_without_captions_banner_part_or_departures_gets_the_defaults():
    """The optional hooks default: no captions (a figure key names what is missing), no data
    sentence, the default part, no departures (no entry in departures.py needed)."""
    import types

    from igr_core._src.contract import DEFAULT_PART, Chapter
    from igr_core.experiments import departures, geometry

    bare = types.ModuleType("bare")
    for name in Chapter.REQUIRED:
        setattr(bare, name, getattr(geometry, name))
    bare.NOTEBOOK = "97_bare"
    ch = Chapter.of(bare)
    assert ch.captions(None) == {} and ch.banner(None) == {} and ch.part == DEFAULT_PART
    with pytest.raises(KeyError, match="chapter 97_bare has no caption 'surface'; it has: none"):
        ch.caption(None, "surface")
    assert departures.declared("97_bare") == set() and departures.undeclared("97_bare", None) == []
