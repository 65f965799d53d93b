"""Chapter 08: estimating implicit regularization by gradient matching (the 2025 preprint "Estimating
Implicit Regularization in Deep Learning", cited in the book as ``estimating2025implicit``), calibrated
on known answers.

Abstraction: ``run(Params)`` trains small networks and least-squares models, then asks
:mod:`igr_core.estimate` (math only) which regularizer their weights or steps reveal, in four
studies, each against a known answer:

* known explicit penalties (their Figure 3): a one-hidden-layer ReLU network on synthetic
  teacher data trained by full-batch GD to stationarity with ridge, smoothed L1 or both at a
  grid of true strengths, over seeds; both coefficients estimated at once from the weights;
* early stopping in least squares (their Figure 4; Ali et al. 2019): the quadratic penalty
  :math:`Q_k` recovered from stacked endpoints of independent targets on one design, a
  diagonal penalty from one endpoint that retrains (no early stopping) to the same weights,
  and a scalar ridge coefficient traced over training time against the closed form;
* the IGR coefficient (their Figure 6, Barrett & Dherin's h/4): full-batch GD on a tanh MLP on
  real digits in float64, probe steps at step sizes spanning the stability edge, the
  trajectory estimate against h/4 and its convergence order;
* dropout's implicit ridge penalty (their Figure 5): a ReLU MLP on real digits trained with
  dropout at several rates, the ridge coefficient the weights reveal against the rate.

``claims`` turns each study into ledger rows through :mod:`igr_core.verdicts`; ``facts``
are the numbers the page quotes.

One module per job: ``params`` (Params, Results), ``compute`` (the least-squares and dropout
studies and ``run``), ``networks`` (Figure 6's trained networks and their probe estimates),
``rows`` and ``figure_rows`` (the verdict rows and ``facts``; the rows of Figures 4D, 5, 6 and 7
evaluate the tests declared in ``igr_core/declarations/08_estimation.yml``), ``captions`` (what
each figure shows, and the banner's data sentence); this package re-exports them.
"""

from __future__ import annotations

from igr_core.experiments.estimation.captions import banner, captions
from igr_core.experiments.estimation.compute import (
    bootstrap_study,
    dropout_facets,
    dropout_study,
    early_stopping,
    igr_study,
    known_penalties,
    recovery_slopes,
    run,
    variable_stopping,
)
from igr_core.experiments.estimation.figure_rows import network_gate, recovery, variable_curve
from igr_core.experiments.estimation.networks import error_order, igr_networks
from igr_core.experiments.estimation.params import (
    DEPARTURES,
    NOTEBOOK,
    PENALTY_KINDS,
    RESULTS_VERSION,
    X64,
    Params,
    Results,
)
from igr_core.experiments.estimation.rows import (
    claims,
    facts,
    igr_breaks,
    igr_order,
)

PART = "Beyond the paper"  # its part of the table of contents

__all__ = [
    "DEPARTURES",
    "PART",
    "banner",
    "captions",
    "NOTEBOOK",
    "PENALTY_KINDS",
    "Params",
    "RESULTS_VERSION",
    "Results",
    "X64",
    "bootstrap_study",
    "claims",
    "dropout_facets",
    "error_order",
    "igr_networks",
    "network_gate",
    "recovery",
    "variable_curve",
    "variable_stopping",
    "dropout_study",
    "early_stopping",
    "facts",
    "igr_breaks",
    "igr_order",
    "igr_study",
    "known_penalties",
    "recovery_slopes",
    "run",
]
