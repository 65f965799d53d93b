"""igr_core: the library behind the companion to *Implicit Gradient Regularization*.

Public API: the regularizers below, and the modules

* mathematics: ``regularizers`` (Eqs. 2-4, 8), ``bea`` (backward error analysis: one GD loop,
  flows, error orders, the divergence rule, power iteration), ``geometry`` (App. A.2), ``ntk``
  (App. A.3), ``toy`` (the two-parameter model, App. A.4), ``losses``, ``estimate`` (estimating
  implicit regularization by gradient matching), ``higher_order`` (gradient descent's modified
  field to order 3; the printed recursion A.14), ``optimizers`` (modified flows of momentum, Adam
  and SGD, and one global-error routine for any optimizer);
* training: ``engine`` (the sweep engine and its cache), ``selection`` (stopping times),
  ``robustness`` (parameter noise), ``models`` (Haiku, confined there), ``data``;
* judging: ``verdicts`` (every acceptance rule and threshold);
* ``problems`` (the small losses the theory chapters study) and ``experiments`` (one module
  per chapter);
* ``book`` (the papermill/Jupyter Book pipeline, the ledger, display, plotting, browser check).

Implementations live in the private ``igr_core._src``.
"""

from igr_core import (
    bea,
    data,
    engine,
    estimate,
    geometry,
    higher_order,
    losses,
    models,
    ntk,
    optimizers,
    problems,
    robustness,
    selection,
    toy,
    verdicts,
)
from igr_core._src.regularizers import (
    egr_grad,
    egr_loss,
    egr_value_and_grad,
    igr_rate,
    modified_loss,
    num_params,
    r_ig,
)

__version__ = "0.2.0"

__all__ = [
    "r_ig",
    "num_params",
    "igr_rate",
    "modified_loss",
    "egr_loss",
    "egr_grad",
    "egr_value_and_grad",
    "bea",
    "data",
    "engine",
    "estimate",
    "geometry",
    "higher_order",
    "losses",
    "optimizers",
    "models",
    "ntk",
    "problems",
    "robustness",
    "selection",
    "toy",
    "verdicts",
]
