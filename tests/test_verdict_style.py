"""Every verdict has its words, order and colours, keyed by the Outcome enum (igr_core.book.verdict_style),
and the findings' headlines resolve to declared rows."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from igr_core._src.verdicts import Outcome, declarations
from igr_core._src.verdicts.claims import PAPER_CLAIM
from igr_core.book import cards, findings, verdict_style
from igr_core.book.verdict_style import ORDER, STYLES

ROOT = Path(__file__).resolve().parents[1]


def test_every_outcome_has_each_style_field_and_one_place_in_the_order():
    assert set(STYLES) == set(Outcome)
    assert sorted(ORDER) == sorted(Outcome) and len(ORDER) == len(set(ORDER))
    for o in Outcome:
        style = STYLES[o]
        for field in style._fields:
            if field != "meaning":
                assert getattr(style, field), f"{o}: no {field}"
        assert re.fullmatch(r"#[0-9a-f]{6}", style.badge) and re.fullmatch(r"#[0-9a-f]{6}", style.chart)


def test_white_words_on_every_badge_meet_wcag_aa():
    for o in Outcome:
        assert verdict_style.contrast("#ffffff", STYLES[o].badge) >= 4.5, o
    assert verdict_style.contrast("#ffffff", "#ffffff") == pytest.approx(1.0)
    assert verdict_style.contrast("#000000", "#ffffff") == pytest.approx(21.0)


def test_the_stylesheet_holds_the_badge_colours_of_the_module():
    css = (ROOT / "_static" / "verdicts.css").read_text()
    rules = {m.group(1): m.group(2) for m in re.finditer(r"\.(verdict-[a-z-]+) \{ background: (#[0-9a-f]{6}); \}", css)}
    assert rules == {verdict_style.css_class(o): STYLES[o].badge for o in Outcome}
    assert verdict_style.badge_css() in css


def test_a_badge_names_its_outcome_and_any_other_text_stays_plain():
    for o in Outcome:
        badge = cards.verdict_badge(o.value)
        assert verdict_style.css_class(o) in badge and f">{o.value}<" in badge
    assert cards.verdict_badge("-") == "-"
    assert verdict_style.outcome("-") is None and verdict_style.outcome("reproduced") is Outcome.REPRODUCED


def test_the_legend_lists_every_outcome_in_order():
    legend = verdict_style.legend_markdown()
    places = [legend.index(f"**{o.value}**") for o in ORDER]
    assert places == sorted(places)


def test_every_headline_resolves_to_a_declared_row_of_the_paper():
    declared = declarations.all_declarations()
    assert len({h.id for h in findings.HEADLINES}) == len(findings.HEADLINES)
    for h in findings.HEADLINES:
        d = declared[h.id]
        assert findings.headline_chapter(h, declared) == d.chapter
        assert d.kind == PAPER_CLAIM, h


def test_an_unknown_headline_id_is_an_error_and_a_missing_row_is_said(monkeypatch):
    bad = findings.Headline("05.no-such-row", "a renamed claim", "networks")
    with pytest.raises(KeyError, match="05.no-such-row"):
        findings.headline_chapter(bad)
    # a chapter present in the ledger without the headline's row: said so, naming the id
    monkeypatch.setattr(findings, "HEADLINES", (findings.Headline("05.rig-falls-with-lambda", "P2.1", "networks"),))
    ledger = pd.DataFrame([{"notebook": "05_mnist", "id": "05.other", "verdict": "reproduced"}])
    (row,) = findings._headline_rows(ledger)
    said = "P2.1 was not tested at this scale (its chapter has no row 05.rig-falls-with-lambda)"
    assert findings._clause(row) == said
    # a chapter with no rows at all (not computed): left out of the answer
    assert findings._headline_rows(ledger.assign(notebook="06_resnet")) == []


def test_no_page_module_types_a_verdict_word():
    """Outside verdict_style (and the enum itself), the book's code names an outcome by the enum."""
    import ast

    words = {o.value for o in Outcome}
    found = []
    for f in sorted((ROOT / "igr_core" / "book").glob("*.py")):
        if f.name == "verdict_style.py":
            continue
        for node in ast.walk(ast.parse(f.read_text())):
            if isinstance(node, ast.Constant) and node.value in words:
                found.append(f"{f.name}:{node.lineno} {node.value!r}")
    assert not found, found
