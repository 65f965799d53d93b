"""Chapters 04 and 09: every row comes from its declaration, and the declared tests decide.

The stored smoke results are read (never recomputed); a declared threshold changed in memory
changes the verdict, so no threshold hides in the code.
"""

from __future__ import annotations

import dataclasses

import jax
import pytest

from igr_core._src import runner, store
from igr_core.experiments import optimizers, registry, toy_model
from igr_core.verdicts import declarations

CHAPTERS = {"04_toy_model": toy_model, "09_optimizers": optimizers}


@pytest.fixture(scope="module")
def stored():
    """The committed smoke results of both chapters (read from the store, never computed)."""
    jax.config.update("jax_enable_x64", True)
    out = {}
    for name in CHAPTERS:
        chapter = registry.get(name)
        path = store.results_dir("smoke") / name
        if not path.is_dir():
            pytest.skip(f"no stored smoke results for {name}")
        found = runner.run(chapter, chapter.resolve("smoke", {}), store.results_dir("smoke"), log=lambda s: None)
        assert not found.computed, f"{name}: the smoke results were computed, not read"
        out[name] = found.results
    return out


def _with(module, cid, **test):
    """The declaration ``cid`` with its test's params (or fields) replaced."""
    d = module.DECLARED[cid]
    params = dict(d.test.params)
    fields = {k: v for k, v in test.items() if k in {f.name for f in dataclasses.fields(d.test)}}
    params.update({k: v for k, v in test.items() if k not in fields})
    return dataclasses.replace(d, test=dataclasses.replace(d.test, params=params, **fields))


@pytest.mark.parametrize("name", sorted(CHAPTERS))
def test_one_row_per_declaration(stored, name):
    rows = CHAPTERS[name].claims(stored[name])
    declared = declarations.chapter(name)
    assert [c.id for c in rows] == list(declared), "claims() returns every declaration once, in the file's order"
    for c in rows:
        d = declared[c.id]
        assert c.declaration == d and (c.claim, c.kind, c.reference, c.version) == (d.claim, d.kind, d.where, d.source)


@pytest.mark.parametrize("name", sorted(CHAPTERS))
def test_quotes_verbatim(name):
    folder = declarations.papers_folder()
    if folder is None or not folder.is_dir():
        pytest.skip(f"the paper texts are not at {folder} (set ${declarations.PAPERS_ENV})")
    assert declarations.quote_problems(declarations.chapter(name), folder) == []


def _row(module, results, cid):
    return next(c for c in module.claims(results) if c.id == cid)


def test_a2_decided_over_training_with_the_sign_change(stored, monkeypatch):
    r = stored["04_toy_model"]
    row = _row(toy_model, r, "04.egr-test-error")
    assert row.verdict.outcome == "not reproduced" and "reverses" in row.note
    # a range no time reaches leaves nothing to judge
    monkeypatch.setitem(
        toy_model.DECLARED, "04.egr-test-error", _with(toy_model, "04.egr-test-error", min_test_error_range=1e3)
    )
    assert _row(toy_model, r, "04.egr-test-error").verdict.outcome == "inconclusive"


def test_declared_thresholds_decide_the_toy_rows(stored, monkeypatch):
    r = stored["04_toy_model"]
    assert _row(toy_model, r, "04.landing-sensitive-to-init").verdict.outcome == "not reproduced"  # ~1.9x < 10x
    monkeypatch.setitem(
        toy_model.DECLARED,
        "04.landing-sensitive-to-init",
        _with(toy_model, "04.landing-sensitive-to-init", smallest_effect=1.5),
    )
    assert _row(toy_model, r, "04.landing-sensitive-to-init").verdict.outcome == "reproduced"
    # the landing map: improvements of 0.006-0.05 in log(a/b); a smallest effect of 1 makes them small
    monkeypatch.setitem(toy_model.DECLARED, "04.landing-map", _with(toy_model, "04.landing-map", smallest_effect=1.0))
    assert _row(toy_model, r, "04.landing-map").verdict.outcome != "reproduced"
    row = _row(toy_model, r, "04.min-norm-not-with-igr")
    assert row.verdict.outcome == "not reproduced" and "diverges" in row.note
    assert _row(toy_model, r, "04.remark-a12").verdict.outcome == "reproduced"


def test_declared_thresholds_decide_the_optimizer_rows(stored, monkeypatch):
    r = stored["09_optimizers"]
    assert _row(optimizers, r, "09.adam-anti-penalty-toy").verdict.outcome == "reproduced"
    monkeypatch.setitem(
        optimizers.DECLARED,
        "09.adam-anti-penalty-toy",
        _with(optimizers, "09.adam-anti-penalty-toy", converged_slope=0.0),
    )
    v = _row(optimizers, r, "09.adam-anti-penalty-toy").verdict
    assert v.outcome == "inconclusive" and "not converged" in v.why
    monkeypatch.setitem(optimizers.DECLARED, "09.gd-orders", _with(optimizers, "09.gd-orders", tol=1e-6))
    assert _row(optimizers, r, "09.gd-orders").verdict.outcome == "not reproduced"
