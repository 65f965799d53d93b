"""Chapter 06: implicit regularization in ResNet-18 (Appendix A.5, Figures A.7 and A.8).

Abstraction: ``run(Params, results_dir)`` trains (or reads from the cache) ResNet-18 (CIFAR
variant, BatchNorm, width multiplier ``width``) with SGD over the learning rates x seeds grid
on CIFAR-10, or offline on the Fashion-MNIST stand-in, and returns :class:`Results`: the tidy
metrics, the networks at their time of maximum test accuracy and at a matched training loss.
``claims(results)`` judges Predictions 2.1 to 2.3 on this model through
:mod:`igr_core.verdicts`, pooled over seeds. :class:`ImageParams` and the data and grid helpers
are shared with chapter 07 through :mod:`igr_core.experiments._images`.

One module per job: ``params`` (Params, Results), ``compute`` (``run``), ``rows`` (the declared
rows, the gates and ``facts``), ``captions`` (what each figure shows, and the banner's data
sentence); this package re-exports their public names and holds no logic.
"""

from __future__ import annotations

from igr_core.experiments._images import STAND_IN, data_fingerprint
from igr_core.experiments.resnet.captions import banner, captions
from igr_core.experiments.resnet.compute import is_complete, run
from igr_core.experiments.resnet.params import DEPARTURES, NOTEBOOK, PAPER_VALUES, RESULTS_VERSION, Params, Results
from igr_core.experiments.resnet.rows import (
    DECLARED,
    FIT_THRESHOLD,
    adequacy,
    claims,
    facts,
    interpolation,
    shortfall,
)

PART = "Experiments"  # its part of the table of contents

__all__ = [
    "DEPARTURES",
    "PAPER_VALUES",
    "PART",
    "banner",
    "captions",
    "DECLARED",
    "FIT_THRESHOLD",
    "NOTEBOOK",
    "RESULTS_VERSION",
    "STAND_IN",
    "Params",
    "Results",
    "adequacy",
    "claims",
    "data_fingerprint",
    "facts",
    "interpolation",
    "is_complete",
    "run",
    "shortfall",
]
