"""Chapters 01-03 evaluate declared tests only: one row per declaration, built by the declaration,
with every threshold read from it (changing a declared threshold changes the verdict); quotes
found verbatim in the paper; the Remark 3.4 consistency check can fail (on a bug)."""

import dataclasses

import pytest

from igr_core._src import store
from igr_core._src.contract import Chapter
from igr_core.book import ROOT
from igr_core.experiments import geometry, ntk, theorems
from igr_core.experiments.theorems.rows import _trapped
from igr_core.verdicts import declarations

MODULES = (theorems, geometry, ntk)


def stored(module, profile="paper"):
    """The committed results of a chapter at a profile (read, never computed)."""
    folders = sorted((ROOT / "results" / profile / module.NOTEBOOK).glob("*/manifest.json"))
    if not folders:
        pytest.skip(f"no stored {profile} results for {module.NOTEBOOK}")
    results, _ = store.load(folders[-1].parent, Chapter.of(module))
    return results


def with_test(module, monkeypatch, cid, **changes):
    """The chapter's declarations with one row's test changed (``params`` merged): the one table the
    chapter's rows read, changed in place (the package re-exports it)."""
    d = module.DECLARED[cid]
    params = {**d.test.params, **changes.pop("params", {})}
    new = dataclasses.replace(d, test=dataclasses.replace(d.test, params=params, **changes))
    monkeypatch.setitem(module.DECLARED, cid, new)


def outcome(module, results, cid):
    return {c.id: c for c in module.claims(results)}[cid].verdict.outcome


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.NOTEBOOK)
def test_one_row_per_declaration(module):
    rows = module.claims(stored(module))
    assert [c.id for c in rows] == list(module.DECLARED), "every declaration is a row, in the file's order"
    for c in rows:
        d = module.DECLARED[c.id]
        assert c.declaration is d
        assert (c.claim, c.reference, c.kind, c.version) == (d.claim, d.where, d.kind, d.source)


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.NOTEBOOK)
def test_quotes_verbatim(module):
    folder = declarations.papers_folder()
    if folder is None or not folder.is_dir():
        pytest.skip(f"the paper texts are not here ({folder}; set ${declarations.PAPERS_ENV})")
    assert declarations.quote_problems(module.DECLARED, folder) == []


def test_order_tolerance_is_the_declared_one(monkeypatch):
    r = stored(theorems)
    assert outcome(theorems, r, "01.local-error-orders") == "reproduced"
    with_test(theorems, monkeypatch, "01.local-error-orders", params={"tol": 0.001})
    assert outcome(theorems, r, "01.local-error-orders") == "not reproduced"


def test_theorem_row_tests_its_words_only():
    """Theorem 3.1's row fits orders 0 and 1; f_2's order is its own row (a cited work)."""
    t = theorems.DECLARED["01.local-error-orders"].test
    assert list(t["orders"]) == [0, 1] and list(t["expected_slopes"]) == [2, 3]
    assert theorems.DECLARED["01.local-error-f2"].kind == "claim of a cited work"


def test_crossing_level_is_the_declared_one(monkeypatch):
    r = stored(theorems)
    before = {c.id: c.verdict for c in theorems.claims(r)}["01.moderate-regime-edge"]
    assert before.value == pytest.approx(r.h_cross)  # the declared level is the one run() used
    with_test(theorems, monkeypatch, "01.moderate-regime-edge", params={"gain_lost_ratio": 0.9})
    after = {c.id: c.verdict for c in theorems.claims(r)}["01.moderate-regime-edge"]
    assert after.value > before.value  # the error ratio grows with h: a higher level is crossed later


def test_remark34_check_fails_on_an_escape():
    """The 1-D trapping check is a consistency check: it fails when a run below the edge leaves."""
    r = stored(theorems)
    test = theorems.DECLARED["01.remark34-trapped-1d"].test
    assert _trapped(r.trapping, test).outcome == "reproduced"
    bad = r.trapping.copy()
    i = bad.index[bad["h / edge"] < test["edge_fraction"]][0]
    bad.loc[i, "modified flow stays"] = False
    assert _trapped(bad, test).outcome == "not reproduced"


def test_erratum_threshold_must_match_the_rule(monkeypatch):
    r = stored(theorems)
    with_test(theorems, monkeypatch, "01.lemma-a1-gradient-corrections", smallest_effect=0.01)
    with pytest.raises(ValueError, match="ERRATUM_MIN_ERROR"):
        theorems.claims(r)


def test_identity_route_is_the_declared_one(monkeypatch):
    r = stored(geometry)
    assert outcome(geometry, r, "02.slope-a61") == "reproduced"
    with_test(geometry, monkeypatch, "02.slope-a61", params={"route": "exact"})  # finite differences are not exact
    assert outcome(geometry, r, "02.slope-a61") == "not reproduced"


def test_geometry_refuses_another_h(monkeypatch):
    with_test(geometry, monkeypatch, "02.modified-loss-slope-33", params={"h": 0.2})
    with pytest.raises(ValueError, match="declares h"):
        geometry.claims(stored(geometry))


def test_cross_term_smallest_effect_is_the_declared_one(monkeypatch):
    r = stored(ntk)
    v = {c.id: c.verdict for c in ntk.claims(r)}["03.cross-terms-toward-zero"]
    assert v.outcome == "partly reproduced"  # significant, below a tenth of the baseline
    assert v.threshold == pytest.approx(0.1 * abs(r.summary[r.summary["baseline"]]["cos end"].mean()))
    with_test(ntk, monkeypatch, "03.cross-terms-toward-zero", smallest_effect=0.01)
    assert outcome(ntk, r, "03.cross-terms-toward-zero") == "reproduced"


def test_trend_meaningful_rho_is_the_declared_one(monkeypatch):
    r = stored(ntk)
    assert outcome(ntk, r, "03.cross-terms-more-for-larger-h") == "reproduced"
    with_test(ntk, monkeypatch, "03.cross-terms-more-for-larger-h", smallest_effect=0.99)
    assert outcome(ntk, r, "03.cross-terms-more-for-larger-h") == "partly reproduced"
