"""Chapter 08's rows are its declarations: every row comes from one (and every declaration gives
one row), the thresholds the rules use are the declared ones, and the residual gate the
declarations name is the one the rule applies. Decided on the committed smoke results."""

from __future__ import annotations

import dataclasses

import pytest

from igr_core import verdicts
from igr_core._src.verdicts import declarations
from igr_core.book import ledger
from igr_core.experiments import estimation
from igr_core.experiments.estimation import figure_rows, rows

CHAPTER = "08_estimation"
EXISTING = (  # the rows of the chapter's first four studies, declared after their tests (2026-11-23)
    "08.penalties-recovered",
    "08.l1-smoothing-zone",
    "08.ols-stack-exact",
    "08.ols-diagonal-retrains",
    "08.ols-scalar-ridge-decays",
    "08.igr-probe-h-over-4",
    "08.dropout-rises-first-architecture",
)


@pytest.fixture(scope="module")
def smoke():
    got = ledger.stored("smoke", CHAPTER)
    if got is None:
        pytest.skip("no committed chapter-08 results at the smoke profile")
    return got[0]


def replaced(monkeypatch, cid: str, **test_fields):
    """Swap one declaration's test for a revised one (in both row modules' view of the file)."""
    d = rows.DECLARED[cid]
    params = {**d.test.params, **test_fields.pop("params", {})}
    new = dataclasses.replace(d, test=dataclasses.replace(d.test, params=params, **test_fields))
    monkeypatch.setitem(rows.DECLARED, cid, new)
    monkeypatch.setitem(figure_rows.DECLARED, cid, new)


def test_every_row_comes_from_its_declaration_and_every_declaration_gives_one_row(smoke):
    claims = estimation.claims(smoke)
    declared = declarations.chapter(CHAPTER)
    ids = [c.id for c in claims]
    assert len(ids) == len(set(ids)) == len(declared)
    assert set(ids) == set(declared)
    for c in claims:
        d = declared[c.id]
        assert c.declaration == d
        assert (c.claim, c.kind, c.version, c.reference) == (d.claim, d.kind, d.source, d.where)


def test_the_first_studies_rows_are_declared_with_their_history():
    declared = declarations.chapter(CHAPTER)
    assert set(EXISTING) <= set(declared)
    for cid in EXISTING:
        d = declared[cid]
        assert d.source == "2025 estimation paper" and d.kind == verdicts.CITED, cid
        assert d.declared.isoformat() == "2026-11-23T00:54:36+00:00", cid
    # issue 35: the h/4 row is the 2025 paper's claim, and the change of kind is on record
    igr = declared["08.igr-probe-h-over-4"]
    assert any("claim of a cited work" in h.change for h in igr.history)
    # the dropout row's residual gate (2026-12-06) and selections are on record, oldest first
    assert len(declared["08.dropout-rises-first-architecture"].history) == 3


def test_a_declared_minimum_n_of_every_rank_test_is_the_levels(smoke):
    """Every row whose rule includes a trend (alone or combined) declares at least the fewest
    points at which its permutation p-value can pass its level."""
    for cid, d in declarations.chapter(CHAPTER).items():
        if "trend" in d.test.rule:
            assert d.test.min_n >= verdicts.min_n(d.test.alpha), cid


def test_the_tolerances_are_read_from_the_declarations(smoke, monkeypatch):
    by_id = {c.id: c.verdict for c in estimation.claims(smoke)}
    assert by_id["08.igr-probe-h-over-4"].outcome == verdicts.Outcome.REPRODUCED
    assert by_id["08.ols-stack-exact"].outcome == verdicts.Outcome.REPRODUCED
    # a tighter declared agreement: alpha_hat/(h/4) = 0.9997 at the smallest h misses 1e-6
    replaced(monkeypatch, "08.igr-probe-h-over-4", smallest_effect=1e-6)
    # a declared order of 2 is not the slope 1.00 measured
    replaced(monkeypatch, "08.penalties-recovered", params={"order": 2.0})
    by_id = {c.id: c.verdict for c in estimation.claims(smoke)}
    assert by_id["08.igr-probe-h-over-4"].outcome == verdicts.Outcome.NOT_REPRODUCED
    assert by_id["08.penalties-recovered"].outcome == verdicts.Outcome.NOT_REPRODUCED


def test_a_declared_minimum_n_above_the_data_leaves_the_row_inconclusive(smoke, monkeypatch):
    replaced(monkeypatch, "08.l1-smoothing-zone", min_n=10_000)
    v = {c.id: c.verdict for c in estimation.claims(smoke)}["08.l1-smoothing-zone"]
    assert v.outcome == verdicts.Outcome.INCONCLUSIVE and "declared minimum is 10000" in v.why


def test_the_declared_residual_gate_must_be_the_rules(smoke, monkeypatch):
    d = rows.DECLARED["08.dropout-rises-first-architecture"]
    assert d.test["explained_residual"] == verdicts.EXPLAINED_RESIDUAL
    replaced(monkeypatch, "08.dropout-rises-first-architecture", params={"explained_residual": 0.5})
    with pytest.raises(ValueError, match="explained_residual"):
        estimation.claims(smoke)


def test_the_dropout_row_decides_on_the_first_architecture_only(smoke):
    p = smoke.params
    fits = rows.first_architecture(smoke.dropout, p.dropout_hidden)
    assert len(fits) == len(p.dropout_seeds) * len(p.dropout_rates) < len(smoke.dropout)
    assert set(fits["architecture"]) == {"x".join(str(w) for w in p.dropout_hidden)}
    v = {c.id: c.verdict for c in estimation.claims(smoke)}["08.dropout-rises-first-architecture"]
    assert f"of {len(fits)} ridge fits" in v.why
