"""The ledger's row schema (``_src/verdicts/claims.py``): a :class:`Claim`'s defaults, what
``checked`` refuses (a verdict not from the rules, an unknown kind or paper version), and
``number_or``."""

import math

import pytest

from igr_core._src.verdicts import claims as C
from igr_core._src.verdicts.outcomes import Verdict


def _verdict():
    return Verdict(outcome="reproduced", rule="r", measured="m = 1", expected="> 0")


def test_kinds_and_defaults():
    assert C.KINDS == (C.PAPER_CLAIM, C.CONSISTENCY, C.HYPOTHESIS, C.CITED) and len(set(C.KINDS)) == 4
    row = C.Claim("E decreases", "Theorem 3.1", _verdict())
    assert row.kind == C.PAPER_CLAIM and row.version == "both" and row.note == ""
    assert {"ICLR 2021", "arXiv", "both"} <= set(C.PAPER_VERSIONS)


def test_checked_returns_a_valid_row_unchanged():
    for kind in C.KINDS:
        for version in C.PAPER_VERSIONS:
            row = C.Claim("c", "Fig. 2a", _verdict(), kind=kind, version=version)
            assert row.checked() is row


def test_checked_refuses_a_verdict_not_from_the_rules():
    for bad in ("reproduced", {"outcome": "reproduced"}, None):
        with pytest.raises(TypeError, match="the verdict must come from igr_core.verdicts"):
            C.Claim("c", "Fig. 2a", bad).checked()


def test_checked_refuses_an_unknown_kind_or_version_naming_the_claim():
    with pytest.raises(ValueError, match=r"claim 'c': `kind` must be one of"):
        C.Claim("c", "Fig. 2a", _verdict(), kind="guess").checked()
    with pytest.raises(ValueError, match=r"claim 'c': `version` must be one of"):
        C.Claim("c", "Fig. 2a", _verdict(), version="ICLR 2020").checked()


def test_number_or():
    assert C.number_or(0.012345, "never") == "0.012" and C.number_or(1234.5, "never", digits=3) == "1.23e+03"
    for missing in (math.nan, math.inf, -math.inf, None):
        assert C.number_or(missing, "never reached") == "never reached"
    assert C.number_or(0.0, "none") == "0"
