"""Chapter 07: explicit gradient regularization (Section 4, Eq. 8, Figure 3c).

Abstraction: ``run(Params, results_dir)`` trains, through the one sweep engine,

* ResNet-18 at one learning rate over a grid of EGR coefficients mu (mu = 0 is SGD, bit for
  bit) and seeds, on CIFAR-10 or the offline Fashion-MNIST stand-in (Figure 3c);
* the paper's MNIST MLP with full-batch gradient descent over a ladder of learning rates that
  crosses the stability edge, and with EGR at a small learning rate over a ladder of mu: the
  EGR argument of Section 4 (explicit regularization reaches rates gradient descent cannot),
  measured against the total regularization rate :math:`\\lambda = m(h/4 + \\mu)`;

and returns :class:`Results`. ``claims`` judges the gain of EGR against the paper's "more
than 12%" and the EGR argument through :mod:`igr_core.verdicts`.

One module per job: ``params`` (Params, Results), ``compute`` (``run``), ``rows`` (the declared
rows, the gates, ``facts`` and Figure 3c's title), ``captions`` (what each figure shows, and
the banner's data sentence); this package re-exports their public names and holds no logic.
"""

from __future__ import annotations

from igr_core.experiments._images import STAND_IN, data_fingerprint
from igr_core.experiments.egr.captions import banner, captions
from igr_core.experiments.egr.compute import is_complete, run
from igr_core.experiments.egr.params import (
    DEPARTURES,
    EGR_FD_REFUSED,
    NOTEBOOK,
    PAPER_VALUES,
    RESULTS_VERSION,
    Params,
    Results,
)
from igr_core.experiments.egr.rows import (
    DECLARED,
    adequacy,
    claims,
    facts,
    figure3c_title,
    mlp_adequacy,
    mlp_rows,
    resnet_rows,
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
    "EGR_FD_REFUSED",
    "NOTEBOOK",
    "RESULTS_VERSION",
    "STAND_IN",
    "Params",
    "Results",
    "adequacy",
    "claims",
    "data_fingerprint",
    "facts",
    "figure3c_title",
    "is_complete",
    "mlp_adequacy",
    "mlp_rows",
    "resnet_rows",
    "run",
    "shortfall",
]
