"""What several chapters' verdict rows share: the erratum rule at its declared threshold.

Abstraction: :func:`declared_erratum` judges a printed formula against its corrected form with
:func:`igr_core.verdicts.erratum` once the declaration's smallest error of the printed form is
the rule's own threshold (chapters 01 and 03 declare errata this way). Chapter modules import
this; they never import each other.
"""

from __future__ import annotations

from igr_core._src import verdicts
from igr_core._src.verdicts import declarations as _declarations


def declared_erratum(test: _declarations.Test, printed: float, corrected: float, what: str) -> verdicts.Verdict:
    """verdicts.erratum at the declared smallest error of the printed form (the rule's threshold is
    its module constant: a declaration that differs from it is refused rather than ignored)."""
    if test.smallest_effect != verdicts.ERRATUM_MIN_ERROR:
        raise ValueError(
            f"the declared smallest error of the printed form ({test.smallest_effect}) is not the erratum rule's "
            f"threshold verdicts.ERRATUM_MIN_ERROR = {verdicts.ERRATUM_MIN_ERROR}"
        )
    return verdicts.erratum(printed, corrected, dtype=test["dtype"], what=what)


__all__ = ["declared_erratum"]
