"""Chapter 01: Theorem 3.1 and its neighbours, checked by convergence order.

Abstraction: ``run(Params) -> Results`` measures, in float64 (the caller enables x64),
local and global errors of gradient descent against the modified flows of orders 0, 1, 2
on the two-parameter model and a tanh MLP on real digits (fitted slopes with standard
errors), the moderate regime of Remark 3.2 (where the modified flow stops helping, against
the stability edge 2/lambda_max by power iteration), Proposition A.9 at every step,
Proposition A.10 on a double well and on the two-parameter model, and the non-gradient part
of the correction f_2 (Lemma A.1). ``claims(results)`` evaluates each test declared in
``igr_core/declarations/01_theorem_checks.yml`` with :mod:`igr_core.verdicts`.

One module per job: ``params`` (Params, Results, the chapter's metadata), ``compute`` (``run``
and one function per study), ``rows`` (the declared rows and ``facts``), ``captions`` (what each figure shows, and the
banner's data sentence); this package re-exports their public names and holds no logic.
"""

from __future__ import annotations

from igr_core.experiments.theorems.captions import banner, captions
from igr_core.experiments.theorems.compute import (
    TRAP_FRACTIONS,
    critical_points_1d,
    crossing,
    double_well,
    minima_study,
    minima_summary,
    moderate_regime,
    non_gradient_part,
    norm_bound_study,
    order_study,
    remark32_table,
    run,
    trajectory_scales,
    trapping_study,
    zero_set_study,
)
from igr_core.experiments.theorems.params import DEPARTURES, NOTEBOOK, PLATFORM, RESULTS_VERSION, X64, Params, Results
from igr_core.experiments.theorems.rows import DECLARED, claims, facts

PART = "Theory"  # its part of the table of contents

__all__ = [
    "DEPARTURES",
    "PART",
    "banner",
    "captions",
    "DECLARED",
    "NOTEBOOK",
    "PLATFORM",
    "RESULTS_VERSION",
    "TRAP_FRACTIONS",
    "X64",
    "Params",
    "Results",
    "claims",
    "critical_points_1d",
    "crossing",
    "double_well",
    "facts",
    "minima_study",
    "minima_summary",
    "moderate_regime",
    "non_gradient_part",
    "norm_bound_study",
    "order_study",
    "remark32_table",
    "run",
    "trajectory_scales",
    "trapping_study",
    "zero_set_study",
]
