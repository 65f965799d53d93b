"""Chapter 05: implicit regularization in MNIST MLPs (Section 6, Appendix A.5).

Abstraction: ``run(Params, results_dir)`` trains (or reads from the cache) the width x
learning-rate x seed grid at batch size ``batch_size``, a batch-size study at one width, a
full-batch run, and evaluates the noise study; it returns :class:`Results` (tables at the
chosen stopping times). ``claims(results)`` turns them into ledger rows through
:mod:`igr_core.verdicts`. ``python -m igr_core.experiments.mnist --profile paper`` runs the
chapter's computation without papermill (how the paper grid is run on an accelerator) and
records its claims.

One module per job: ``params`` (Params, Results), ``compute`` (``run`` and its parts), ``rows``
(the verdict rows and ``facts``), ``captions`` (what each figure shows, and the banner's data
sentence); this package re-exports them.
"""

from __future__ import annotations

from igr_core.experiments.mnist.captions import banner, captions
from igr_core.experiments.mnist.compute import (
    can_fill,
    curves,
    data_fingerprint,
    load_data,
    retrain_comparison,
    run,
    sweep_config,
)
from igr_core.experiments.mnist.params import (
    DEPARTURES,
    NOTEBOOK,
    PAPER_VALUES,
    RESULTS_VERSION,
    Params,
    Results,
)
from igr_core.experiments.mnist.rows import (
    DECLARED,
    adequacy,
    at_fixed_step,
    claims,
    control_rows,
    facts,
    fixed_step_gate,
    fixed_step_rows,
    min_networks,
    noise_tables,
    shortfall,
    training_rows,
    width_rows,
)

PART = "Experiments"  # its part of the table of contents

__all__ = [
    "DEPARTURES",
    "PAPER_VALUES",
    "PART",
    "banner",
    "captions",
    "DECLARED",
    "NOTEBOOK",
    "Params",
    "RESULTS_VERSION",
    "Results",
    "adequacy",
    "at_fixed_step",
    "can_fill",
    "claims",
    "control_rows",
    "curves",
    "data_fingerprint",
    "facts",
    "fixed_step_gate",
    "fixed_step_rows",
    "min_networks",
    "load_data",
    "noise_tables",
    "retrain_comparison",
    "run",
    "shortfall",
    "sweep_config",
    "training_rows",
    "width_rows",
]
