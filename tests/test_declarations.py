"""Declared claims (igr_core/declarations/*.yml): every ledger row comes from a declaration with an
id and a verbatim quote; a declaration changed without a history entry fails; the format is
refused where it breaks, naming the file, the row and the field."""

import copy
import datetime as dt
import os
from pathlib import Path

import pytest
import yaml

from igr_core.experiments import registry
from igr_core.verdicts import declarations as D

ROOT = Path(__file__).resolve().parents[1]
ROW = {
    "id": "06.example",
    "claim": "A claim",
    "kind": "claim of the paper",
    "source": "ICLR 2021",
    "where": "Appendix A.5",
    "quote": "the test accuracy increases (Prediction 2.3)",
    "test": {
        "rule": "trend",
        "statistic": "Spearman's rho",
        "expected": "rho > 0",
        "unit": "Spearman's rho",
        "selection": "every network",
        "sign": 1,
        "smallest_effect": 0.3,
        "gates": ["plateau"],
        "min_n": 5,
    },
    "declared": "2026-12-06T07:15:17+00:00",
}


def parse(*rows, chapter="06_resnet"):
    return D.parse(chapter, {"chapter": chapter, "claims": list(rows)})


def test_every_chapter_has_declarations_and_each_row_of_its_claims_comes_from_one():
    everything = D.all_declarations()
    for ch in registry.CHAPTERS:
        declared = D.chapter(ch.name)
        assert declared, ch.name
        assert all(cid.startswith(ch.name[:2] + ".") for cid in declared)
    assert len(everything) == sum(len(D.chapter(ch.name)) for ch in registry.CHAPTERS)


def test_the_lock_matches_every_declaration():
    problems = D.check_lock(D.all_declarations(), D.read_lock())
    assert not problems, "\n".join(problems)


def test_a_declaration_changed_without_history_fails_the_lock():
    (d,) = parse(ROW).values()
    lock = {d.id: {"hash": d.content_hash(), "versions": 1}}
    assert D.check_lock({d.id: d}, lock) == []
    changed = copy.deepcopy(ROW)
    changed["test"]["smallest_effect"] = 0.1
    (c,) = parse(changed).values()
    problems = D.check_lock({c.id: c}, lock)
    assert len(problems) == 1 and "without a history entry" in problems[0]
    with pytest.raises(D.DeclarationError, match="without a history entry"):
        D.relock({c.id: c}, lock)
    # with a history entry the change is a revision: the lock asks to be renewed, then holds
    changed["history"] = [{"date": "2026-12-07T10:00:00+00:00", "change": "0.1", "why": "a reason"}]
    (c,) = parse(changed).values()
    assert "not yet locked" in D.check_lock({c.id: c}, lock)[0]
    assert D.check_lock({c.id: c}, D.relock({c.id: c}, lock)) == []
    # losing a history entry is caught too
    assert "versions" in D.check_lock({d.id: d}, D.relock({c.id: c}, lock))[0]


def test_malformed_declarations_are_refused_naming_row_and_field():
    cases = [
        ({"kind": "a claim"}, "`kind` must be one of"),
        ({"source": "NeurIPS"}, "`source` must be one of"),
        ({"id": "07.wrong-chapter"}, "`id` must look like '06.short-name'"),
        ({"quote": ""}, "missing quote"),
        ({"declared": "yesterday"}, "ISO 8601"),
        ({"test": {**ROW["test"], "sign": 2}}, "`test.sign`"),
        ({"test": {**ROW["test"], "smallest_effect": -1}}, "`test.smallest_effect`"),
        ({"test": {**ROW["test"], "gates": ["vibes"]}}, "`test.gates`"),
        ({"test": {**ROW["test"], "threshold": 3}}, "unknown fields"),
        ({"history": [{"date": "2026-01-01T00:00:00+00:00", "change": "x", "why": "y"}]}, "run forward in time"),
    ]
    for change, message in cases:
        with pytest.raises(D.DeclarationError, match=message) as err:
            parse({**ROW, **change})
        assert "06_resnet.yml, claim 1" in str(err.value)
    with pytest.raises(D.DeclarationError, match="duplicate id"):
        parse(ROW, ROW)


def test_a_row_reads_its_words_and_its_test_from_the_declaration():
    from igr_core import verdicts as V

    (d,) = parse(ROW).values()
    v = V.trend([1, 2, 3, 4, 5, 6], [1, 3, 2, 5, 4, 6], d.test.sign, test=V.RankTest(meaningful=d.test.smallest_effect))
    row = d.row(v, "a note")
    assert (row.claim, row.reference, row.kind, row.version, row.id) == (
        "A claim",
        "Appendix A.5",
        "claim of the paper",
        "ICLR 2021",
        "06.example",
    )
    assert row.verdict.threshold == d.test.smallest_effect and row.verdict.interval and row.verdict.p < 1
    with pytest.raises(KeyError, match="has no parameter 'fit_threshold'"):
        d.test["fit_threshold"]


def test_declared_before_or_after_the_data():
    (d,) = parse(ROW).values()
    assert d.timing("2026-12-06T10:57:20+00:00") == "declared before the data"
    assert d.timing("2026-11-30T16:22:12+00:00") == "declared after the data"
    assert d.timing(None) == ""
    revised = parse({**ROW, "history": [{"date": "2026-12-07T12:00:00+00:00", "change": "c", "why": "w"}]})
    (r,) = revised.values()
    assert r.revised == dt.datetime(2026, 12, 7, 12, tzinfo=dt.timezone.utc)
    assert r.timing("2026-12-06T10:57:20+00:00") == "declared after the data"
    assert r.history[0].sentence().startswith("test revised on 2026-12-07: c (w)")


PAPERS = D.papers_folder() or ROOT / "no-papers-named"


@pytest.mark.skipif(not PAPERS.is_dir(), reason=f"the paper texts are not here (set {D.PAPERS_ENV} to their folder)")
def test_every_quote_occurs_verbatim_in_its_text():
    problems = D.quote_problems(D.all_declarations(), PAPERS)
    assert not problems, "\n".join(problems)


@pytest.mark.skipif(not PAPERS.is_dir(), reason=f"the paper texts are not here (set {D.PAPERS_ENV} to their folder)")
def test_the_quote_check_can_fail_and_normalises_only_whitespace_and_hyphenation(tmp_path):
    for name in D.SOURCES.values():
        (tmp_path / name).write_text("Gradient descent can be surprisingly good at optimizing with-\nout overfitting.")
    ok = parse({**ROW, "quote": "surprisingly   good at\noptimizing without overfitting"})
    assert D.quote_problems(ok, tmp_path) == []
    bad = parse({**ROW, "quote": "surprisingly great at optimizing"})
    assert "not in the ICLR 2021 text" in D.quote_problems(bad, tmp_path)[0]


def test_the_papers_folder_is_named_by_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(D.PAPERS_ENV, str(tmp_path))
    assert D.papers_folder() == tmp_path
    monkeypatch.delenv(D.PAPERS_ENV)
    assert D.papers_folder() is None


def test_declaration_files_are_plain_yaml_with_a_chapter_and_claims():
    for f in sorted((ROOT / "igr_core" / "declarations").glob("*.yml")):
        raw = yaml.safe_load(f.read_text())
        assert raw["chapter"] == f.stem and isinstance(raw["claims"], list), f.name
    assert os.path.isfile(ROOT / "igr_core" / "declarations" / D.LOCK)


def test_a_declared_minimum_n_is_never_below_what_the_rules_level_allows():
    from igr_core import verdicts as V

    assert V.min_n(0.05) == 5 and V.min_p_value(V.min_n(0.05)) <= 0.05 < V.min_p_value(V.min_n(0.05) - 1)
    for cid, d in D.all_declarations().items():
        if d.test.min_n is not None and d.test.rule in ("trend", "partial trend"):
            assert d.test.min_n >= V.min_n(d.test.alpha), cid
