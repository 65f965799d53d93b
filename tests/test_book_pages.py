"""The executed pages of the published book (committed under book/executed/): clean of stderr,
showing the values that ran and no defaults cell, and complete (every page of the table of
contents is there, so a plain `jupyter-book build .` on a fresh clone builds the whole book)."""

import json

import nbformat
import pytest

from igr_core import book
from igr_core.book.display import public
from igr_core.experiments import registry

EXECUTED = book.ROOT / "book" / "executed"
PAGES = book.toc_notebooks()


def test_every_page_of_the_toc_is_committed():
    missing = [p for p in PAGES if not (EXECUTED / f"{p}.ipynb").exists()]
    assert not missing, f"run `make book` and commit book/executed/: missing {missing}"


def outputs(page: str) -> list[dict]:
    """Every output of the committed page's code cells (the test is skipped where it is not executed)."""
    path = EXECUTED / f"{page}.ipynb"
    if not path.exists():
        pytest.skip("not executed here")
    nb = nbformat.read(path, as_version=4)
    return [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]


@pytest.mark.parametrize("page", PAGES)
def test_no_stderr_on_a_page(page):
    streams = [
        o.get("text", "")[:120] for o in outputs(page) if o.get("output_type") == "stream" and o.get("name") == "stderr"
    ]
    assert not streams, f"{page}: stderr on the page: {streams[:3]}"


def broken_fences(markdown: str) -> list[str]:
    """Backtick fence lines whose info string holds a backtick: CommonMark does not open such a
    fence, so the directive shows as raw text on the page."""
    return [ln for ln in markdown.splitlines() if ln.startswith("```") and "`" in ln.lstrip("`")]


def test_the_fence_rule_can_fail():
    assert broken_fences("```{admonition} Parameters (profile `smoke`)\n:class: dropdown\n```")
    assert not broken_fences("```{admonition} Parameters (profile smoke)\n| a | `b` |\n```")


@pytest.mark.parametrize("page", PAGES)
def test_every_directive_on_a_page_opens(page):
    bad = [line for o in outputs(page) for line in broken_fences("".join(o.get("data", {}).get("text/markdown", "")))]
    assert not bad, f"{page}: fences that do not open: {bad[:2]}"


@pytest.mark.parametrize("page", [p for p in PAGES if p in registry.BY_NAME])
def test_a_chapter_page_shows_the_values_that_ran(page):
    """No visible cell holds parameter defaults; the banner's table lists the effective values
    (what the run's provenance recorded), so no overridden value can show."""
    path = EXECUTED / f"{page}.ipynb"
    if not path.exists():
        pytest.skip("not executed here")
    nb = nbformat.read(path, as_version=4)
    for c in nb.cells:
        tags = c.metadata.get("tags", [])
        if "parameters" in tags or "injected-parameters" in tags:
            assert "remove-cell" in tags, f"{page}: a visible parameters cell"
    text = json.dumps([o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])])
    assert "Parameters of this run" in text, page
    meta = json.loads((EXECUTED / f"{page}.hash.json").read_text())
    effective = registry.get(page).resolve(meta["profile"]).as_dict()
    for name, value in effective.items():
        if name != "profile":
            shown = repr(value) if len(repr(value)) <= 90 else repr(value)[:87]
            assert shown.replace("'", "\\'")[:40] in text or shown[:40] in text, (page, name)


@pytest.mark.parametrize("page", PAGES)
def test_no_page_shows_a_path_of_the_machine_that_built_it(page):
    from igr_core.book.checkbook import MACHINE_PATHS

    text = json.dumps(outputs(page))
    for marker in (*MACHINE_PATHS, str(book.ROOT)):
        assert marker not in text, f"{page}: an absolute path ({marker}...) on the page"


def test_the_path_rule_can_fail():
    assert (
        public("IDX files from /usr/share/datasets/fashion-mnist (70,000)") == "IDX files from fashion-mnist (70,000)"
    )
    assert public("R_IG / E and 1/m and (h/4)") == "R_IG / E and 1/m and (h/4)"


def test_committed_results_and_pages_stay_small():
    """No committed file of the store or the pages is large (a 6-million-point path once made
    one 234 MB): the published book must clone quickly."""
    import subprocess

    files = subprocess.run(
        ["git", "ls-files", "results", "book/executed"], cwd=book.ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    big = [(f, (book.ROOT / f).stat().st_size) for f in files if (book.ROOT / f).exists()]
    big = [(f, s) for f, s in big if s > 5_000_000]
    assert not big, big


def test_the_static_book_checks_can_fail():
    from igr_core.book.checkbook import FINDINGS_TITLE, static_problems

    good = "<table><tr><th>a</th><th>b</th></tr><tr><td>1</td><td>2</td></tr></table>"
    assert static_problems("executed/claims.html", good, FINDINGS_TITLE) == []
    assert static_problems("executed/claims.html", good, "no box") == ["executed/claims.html: no findings box"]
    broken = "<table><tr><th>a</th><th>b</th></tr><tr><td>1</td><td>2</td><td>lost</td></tr></table>"
    assert "cell count differs" in static_problems("executed/09.html", broken, "")[0]
    assert "absolute machine path" in static_problems("x.html", good, "read from /work/main/.data/x")[0]
    assert "figure's text overlaps" in static_problems("x.html", good, "Figure layout problem: panels overlap.")[0]


def test_the_layout_checks_can_fail():
    """check-book's measured checks (:func:`layout_problems`): a verdict outside the window or cut
    by a container that scrolls sideways, and a figure without a caption sentence, each fail."""
    from igr_core.book.checkbook import layout_problems

    def badge(left, right, seen_right=None):
        return {
            "text": "reproduced",
            "left": left,
            "right": right,
            "seenLeft": left,
            "seenRight": right if seen_right is None else seen_right,
        }

    caption = {"caption": "The fitted slopes are 1.99, 2.99 and 4.00 (expected 2, 3, 4)."}
    good = {"width": 390, "verdicts": [badge(250, 340)], "figures": [caption]}
    assert layout_problems("p.html", good) == []
    off = dict(good, verdicts=[badge(250, 340), badge(900, 990)])
    assert "1 of 2 verdict(s) need horizontal scrolling" in layout_problems("p.html", off)[0]
    clipped = dict(good, verdicts=[badge(300, 420, seen_right=380)])  # inside a scrolling table wrapper
    assert "need horizontal scrolling" in layout_problems("p.html", clipped)[0]
    wide = dict(good, scrollWidth=520)
    assert "the page itself scrolls sideways" in layout_problems("p.html", wide)[0]
    bare = dict(good, figures=[caption, {"caption": ""}])
    assert "1 of 2 figure(s) without a caption sentence" in layout_problems("p.html", bare)[0]


@pytest.mark.parametrize("width", [1280, 390])
def test_the_reading_size_checks_can_fail(width):
    """check-book fails figure text under 10 px as displayed at either width (a figure's recorded text
    size times the scale the page shows it at), a figure that does not record it, and a table cell
    without padding."""
    from igr_core.book.checkbook import layout_problems

    good = {"width": width, "verdicts": [], "figures": [], "figtext": [{"px": 11.8}], "padding": [6.0, 6.0]}
    assert layout_problems("p.html", good) == []
    small = dict(good, figtext=[{"px": 11.8}, {"px": 6.3}])
    assert f"at {width} px: 1 of 2 figure(s) with text under 10 px as displayed" in layout_problems("p.html", small)[0]
    unknown = dict(good, figtext=[{"px": None}])
    assert "do not record their text size" in layout_problems("p.html", unknown)[0]
    tight = dict(good, padding=[6.0, 0.0])
    assert "1 table cell(s) without padding" in layout_problems("p.html", tight)[0]


def test_the_prose_and_anchor_checks_can_fail():
    """check-book fails a parameter name in prose where its value belongs and a claim without an anchor."""
    from igr_core.book.checkbook import static_problems

    code = '<code class="docutils literal notranslate"><span class="pre">{}</span></code>'
    prose = f"<p>The learning rate h = {code.format('learning_rate')} is fixed.</p>"
    got = static_problems("executed/07_egr.html", prose, "", names={"learning_rate"})
    assert got == ["executed/07_egr.html: parameter name(s) in prose where a value belongs: learning_rate"]
    table = f"<table><tr><th>parameter</th></tr><tr><td>{code.format('learning_rate')}</td></tr></table>"
    assert static_problems("executed/07_egr.html", table, "", names={"learning_rate"}) == []  # a table names it
    card = '<div class="evidence mathjax_process" id="claim-07-x" data-verdict="reproduced">'
    badge = '<span class="verdict verdict-reproduced">reproduced</span>'
    assert static_problems("executed/07_egr.html", card + badge, "", names=set()) == []
    bare = '<div class="evidence mathjax_process" data-verdict="reproduced">' + badge
    assert "1 claim(s) without an anchor" in static_problems("executed/07_egr.html", bare, "", names=set())[0]
    assert "without anchored evidence cards" in static_problems("executed/07_egr.html", badge, "", names=set())[0]


def test_evidence_cards_render_from_the_verdicts_fields():
    """A row renders its claim, quote with source and place, badge, statistic = value [interval], p,
    n, smallest effect, expected value, why, history and timing from fields; a row without a
    declaration renders without quote or history; the card's id is its anchor."""
    from igr_core.book import cards

    row = {
        "notebook": "06_resnet", "id": "06.max-acc", "claim": "Maximum test accuracy rises with h",
        "kind": "claim of the paper", "reference": "Fig. A.7a", "verdict": "reproduced",
        "statistic": "Spearman's rho(h, test acc)", "value": 0.79, "lo": 0.21, "hi": 1.0, "p": 0.015,
        "threshold": 0.3, "n": 9, "expected": "increasing (rho > 0)", "why": "a significant rise",
        "quote": "higher test accuracy", "source": "ICLR 2021", "where": "Appendix A.5",
        "history": ["test revised on 2026-12-06: x (y); before: paper: not reproduced"],
        "timing": "declared after the data", "measured": "rho(h, test acc) = 0.79 [ignored]",
    }  # fmt: skip
    card = cards.evidence_card(row)
    assert 'id="claim-06-max-acc"' in card and 'href="#claim-06-max-acc"' in card
    for piece in ("higher test accuracy", "ICLR 2021, Appendix A.5", "<b>0.79</b> [0.21, 1]", "p = 0.015",
                  "n = 9", "smallest effect that counts: 0.3", "a significant rise", "test revised on 2026-12-06",
                  "declared after the data", "verdict-reproduced"):  # fmt: skip
        assert piece in card, piece
    assert "[ignored]" not in card  # the measured words are not parsed back when the fields are there
    bare = {k: v for k, v in row.items() if k not in ("quote", "source", "where", "history", "timing")}
    card = cards.evidence_card(bare)
    assert "ev-quote" not in card and "ev-history" not in card and 'id="claim-06-max-acc"' in card
    notes = cards.evidence_markdown(__import__("pandas").DataFrame([dict(row, note="9 networks on their plateau")] * 2))
    assert notes.count("9 networks on their plateau") == 1  # the data-and-gates sentence once


def test_the_answer_names_its_scale_and_counts_kinds_apart():
    """The intro's sentences: claims of the paper counted apart from the other kinds, each headline
    with its scale in words (never a profile name alone), its statistic and what n counts."""
    import pandas as pd

    from igr_core.book import findings

    def row(nb, ref, kind, verdict, **kw):
        base = {"notebook": nb, "reference": ref, "kind": kind, "verdict": verdict, "n": 9, "why": "",
                "statistic": "", "value": float("nan"), "lo": float("nan"), "hi": float("nan"),
                "expected": "increasing (rho > 0)", "measured": "x", "claim": "c", "id": f"{nb[:2]}.x"}  # fmt: skip
        return {**base, **kw}

    claims = pd.DataFrame(
        [
            row(
                "06_resnet",
                "Prediction 2.3, Figs. A.7a, A.8b",
                "claim of the paper",
                "reproduced",
                statistic="Spearman's rho(h, test acc)",
                value=0.79,
                id="06.max-acc-higher-for-larger-h",
            ),  # fmt: skip
            row("06_resnet", "x", "consistency check", "reproduced"),
            row("06_resnet", "y", "companion's hypothesis", "not reproduced"),
        ]
    )
    scale = {"06_resnet": "a ResNet-18 at 1/8 of the paper's width trained on 1,536 Fashion-MNIST images, on a CPU"}
    text = " ".join(findings.answer_sentences(claims, scale, {"Errors that change a result": 6}))
    assert "Of the paper's 1 claims tested here, 1 hold" in text
    assert "1 consistency checks" in text and "1 hypotheses of this companion" in text
    assert scale["06_resnet"] in text and "standin" not in text
    assert "Spearman's rho(h, test accuracy) = 0.79" in text and "n = 9 networks" in text
    assert "6 errors that change a result" in text
    # the other headline of 06: said, not dropped
    assert "R_IG smaller for larger h was not tested at this scale" in text


@pytest.mark.parametrize("page", [p for p in PAGES if p in registry.BY_NAME])
def test_every_figure_on_a_page_has_a_caption_sentence(page):
    """Each figure output is followed, in the same cell, by what it shows (a sentence with its
    numbers) and its provenance line."""
    from igr_core.book.checkbook import MIN_CAPTION

    nb = nbformat.read(EXECUTED / f"{page}.ipynb", as_version=4) if (EXECUTED / f"{page}.ipynb").exists() else None
    if nb is None:
        pytest.skip("not executed here")
    for cell in (c for c in nb.cells if c.cell_type == "code"):
        outs = cell.get("outputs", [])
        for i, o in enumerate(outs):
            data = o.get("data", {})
            if "image/png" not in data and "figure-pair" not in "".join(data.get("text/html", "")):
                continue
            after = [x for x in outs[i + 1 :] if "text/markdown" in x.get("data", {})]
            assert after, f"{page}: a figure without a caption"
            text = "".join(after[0]["data"]["text/markdown"])
            caption = text.split("What it shows:</span>", 1)[-1].split("<small>Drawn by", 1)[0].strip()
            assert "What it shows:" in text and len(caption) >= MIN_CAPTION, f"{page}: {text[:120]!r}"
            assert "Drawn by `igr_core.book." in text


def test_pages_make_tables_through_display_only():
    """A '|' in a cell splits a pipe table, and the renderer then drops the excess cells (GFM), so a
    broken row keeps its cell count and only its content is lost: the pages make their tables through
    ``display.table_markdown`` (which escapes '|') or ``display.frame``, never ``DataFrame.to_markdown``."""
    sources = [*sorted((book.ROOT / "notebooks").glob("*.md")), *sorted((book.ROOT / "book").glob("*.md"))]
    direct = [p.name for p in sources if ".to_markdown(" in p.read_text()]
    assert not direct, f"tables made with DataFrame.to_markdown on: {direct}"


def test_the_prose_and_anchor_checks_read_tables_and_card_lists_as_what_they_are():
    """A parameters table names parameters on purpose and a list of cards is not a card: neither
    is a problem; the same name in a paragraph, and a card without an id, still are."""
    from igr_core.book.cards import section_id
    from igr_core.book.checkbook import static_problems

    names = {"batch_size"}
    code = '<code class="docutils literal notranslate"><span class="pre">batch_size</span></code>'
    table = f"<table><tr><td><p>{code}</p></td></tr></table>"
    listed = '<div class="evidence-list"><div class="evidence x" id="claim-06-a" data-chapter="06"></div></div>'
    ok = static_problems("book/executed/06_resnet.html", table + listed, "", names)
    assert not [p for p in ok if "parameter name" in p or "anchor" in p]
    prose = f"<p>h = {code}</p>"
    bad = static_problems("book/executed/06_resnet.html", prose + '<div class="evidence x"></div>', "", names)
    assert any("parameter name" in p for p in bad) and any("without an anchor" in p for p in bad)
    assert section_id("verdict-01_theorem_checks") == "verdict-01-theorem-checks"  # Sphinx's id for the label
