"""The claims ledger's row schema: what a row tests, where it comes from, and its verdict.

Abstraction: :class:`Claim` is one row (claim, reference, verdict from a rule, note, kind,
paper version); :data:`KINDS` says what a row is (a claim of the paper, a consistency check, this
companion's hypothesis, a claim of a cited work).
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from igr_core._src.verdicts.outcomes import OUTCOMES, Verdict

PAPER_CLAIM = "claim of the paper"
CONSISTENCY = "consistency check"
HYPOTHESIS = "companion's hypothesis"
CITED = "claim of a cited work"  # chapters 08-09 test other papers' statements (the reference names them)
KINDS = (PAPER_CLAIM, CONSISTENCY, HYPOTHESIS, CITED)
PAPER_VERSIONS = ("ICLR 2021", "arXiv", "both", "2025 estimation paper")  # the texts a row's words come from


class Claim(NamedTuple):
    """One row of the claims ledger: what is tested, where it comes from, and its verdict.

    ``kind`` says what the row is: a claim of the paper (``reference`` locates it), a
    consistency check (an identity that can fail only through a bug in this code: two of its
    routes to one quantity), this companion's own hypothesis (a control, a sharper reading the
    paper does not state), or a claim of a cited work (chapters 08-09). ``version`` names the
    text of the paper the reference and the row concern ("ICLR 2021", the text the book cites; "arXiv"; or "both")."""

    claim: str  # the claim, in a sentence
    reference: str  # where the paper makes it ("Theorem 3.1", "Fig. 2a", "Eq. A.23")
    verdict: Verdict  # computed by a rule of this module
    note: str = ""  # what was measured (setting, scale), shown beside the measurement
    kind: str = PAPER_CLAIM
    version: str = "both"
    id: str = ""  # the declaration's stable id ("06.max-acc-rises-with-h")
    declaration: Any = None  # the verdicts.declarations.Declaration the row evaluates (quote, test, history)

    def checked(self) -> "Claim":
        if not isinstance(self.verdict, Verdict):
            raise TypeError(
                f"claim {self.claim!r}: the verdict must come from igr_core.verdicts, got {self.verdict!r}."
            )
        if self.verdict.outcome not in OUTCOMES:
            raise ValueError(
                f"verdict must be one of {OUTCOMES}, got {self.verdict.outcome!r} for claim {self.claim!r}."
            )
        if self.kind not in KINDS:
            raise ValueError(f"claim {self.claim!r}: `kind` must be one of {KINDS}, got {self.kind!r}.")
        if self.version not in PAPER_VERSIONS:
            raise ValueError(f"claim {self.claim!r}: `version` must be one of {PAPER_VERSIONS}, got {self.version!r}.")
        return self


def number_or(value: float, missing: str, digits: int = 2) -> str:
    """``value`` to ``digits`` significant digits, or the words ``missing`` when it is not
    finite (a crossing never reached, an edge that does not exist)."""
    return f"{value:.{digits}g}" if value is not None and math.isfinite(value) else missing
