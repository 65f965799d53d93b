"""Chapter 04: the two-parameter model (Section 5, Appendix A.4).

Abstraction: ``run(Params)`` computes Figure 1a (GD at h_S and h_M, the modified flow and the
EGR flow from both Table A.1 points, and GD's distance to the flows of E and E~), Figure 1b
(R_IG/E and ||theta|| after convergence against h), Figure A.1 (a scan of h: ricochets across
the valley, divergence, against GD's linear stability edges), Figure A.2 (the EGR flow's test
error against mu over training time) and a convergence map beyond the paper. ``claims``
decides each with :mod:`igr_core.verdicts`. Float64 (the caller enables x64).

One module per job: ``params`` (Params, Results, the chapter's metadata), ``compute`` (``run``
and one function per figure), ``rows`` (the declared rows and ``facts``), ``captions`` (what each figure shows, and the
banner's data sentence); this package re-exports their public names and holds no logic.
"""

from __future__ import annotations

from igr_core.experiments.toy_model.captions import banner, captions
from igr_core.experiments.toy_model.compute import (
    convergence_map,
    convergence_summary,
    distance_to_flows,
    egr_sweep,
    endpoints,
    euler_vs_accurate,
    figure1a_paths,
    igr_at_egr_rate,
    landing_sensitivity,
    lr_sweep,
    onset,
    per_start_errors,
    remark_a12_errors,
    ricochet_scan,
    run,
    thin,
)
from igr_core.experiments.toy_model.params import (
    DEPARTURES,
    NOTEBOOK,
    PATH_POINTS,
    PLATFORM,
    RESULTS_VERSION,
    X64,
    Params,
    Results,
)
from igr_core.experiments.toy_model.rows import DECLARED, claims, facts

PART = "Experiments"  # its part of the table of contents

__all__ = [
    "DEPARTURES",
    "PART",
    "banner",
    "captions",
    "DECLARED",
    "NOTEBOOK",
    "PATH_POINTS",
    "PLATFORM",
    "RESULTS_VERSION",
    "X64",
    "Params",
    "Results",
    "claims",
    "convergence_map",
    "convergence_summary",
    "distance_to_flows",
    "egr_sweep",
    "endpoints",
    "euler_vs_accurate",
    "facts",
    "figure1a_paths",
    "igr_at_egr_rate",
    "landing_sensitivity",
    "lr_sweep",
    "onset",
    "per_start_errors",
    "remark_a12_errors",
    "ricochet_scan",
    "run",
    "thin",
]
