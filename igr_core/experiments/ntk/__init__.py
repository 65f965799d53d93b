"""Chapter 03: the neural tangent kernel form of IGR (Appendix A.3).

Abstraction: ``run(Params)`` checks Proposition A.11 (R_IG through the empirical NTK, by
JVP/VJP products and by the explicit Jacobian) and the (A.23) erratum on least-squares MLPs on
real digits, then trains the scalar-output network by full-batch GD for the same physical
time at several step sizes (fractions of the stability edge 2/lambda_max, one small-h run as
the baseline that approximates the flow of E) over several seeds, following the NTK cross
terms. ``claims`` evaluates the tests declared in ``igr_core/declarations/03_ntk.yml``: each
step size against the baseline of the same seed (paired), and the trend in h across seeds.

One module per job: ``params`` (Params, Results, the chapter's metadata), ``compute`` (``run``,
the identities and the training study), ``rows`` (the declared rows and ``facts``), ``captions``
(what each figure shows, and the banner's data sentence); this package re-exports their public
names and holds no logic.
"""

from __future__ import annotations

from igr_core.experiments.ntk.captions import banner, captions
from igr_core.experiments.ntk.compute import identity_table, run, summarize, training_study
from igr_core.experiments.ntk.params import NOTEBOOK, PLATFORM, RESULTS_VERSION, X64, Params, Results
from igr_core.experiments.ntk.rows import DECLARED, claims, facts

PART = "Theory"  # its part of the table of contents

__all__ = [
    "PART",
    "banner",
    "captions",
    "DECLARED",
    "NOTEBOOK",
    "PLATFORM",
    "RESULTS_VERSION",
    "X64",
    "Params",
    "Results",
    "claims",
    "facts",
    "identity_table",
    "run",
    "summarize",
    "training_study",
]
