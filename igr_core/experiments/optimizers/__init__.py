"""Chapter 09: modified equations of common optimizers, measured side by side.

Abstraction: ``run(Params)`` measures, for each optimizer and each of two losses (the
two-parameter model and a small tanh network on real digits, float64), the global error at a
fixed time of several continuous descriptions of the iterates over halving step sizes, with
one routine (:func:`igr_core.optimizers.global_errors`, or the epoch-averaged
:func:`~igr_core.optimizers.sgd_epoch_errors` for SGD). ``claims`` fits the log-log slopes and
lets :func:`igr_core.verdicts.order` decide each description's order.

Descriptions (derived in the chapter's page):

* gradient descent: the flow of E (order 1) and of E + (h/4)||g||^2 (order 2);
* heavy-ball momentum: -(1/(1-beta)) grad E (order 1); the amplified modified loss from the
  shifted start (order 2); the same without the shift, and with GD's coefficient at the
  effective rate (h/(1-beta))/4 instead of the amplified one (both expected to fall back);
* Adam: -g/s (order 1) and the full c_j correction (order 2), in a regime where the
  asymptotics are reached at CPU-sized step counts (beta, rho, eps in the parameters);
* SGD with reshuffling, one epoch averaged over every batch order: the flows of E and of GD's
  modified loss (order 2 over an epoch) against SGD's modified loss (order 3); and averaged
  over every reshuffle of a few examples (partition and order), the partition-averaged form;
* Adam with rho > beta against rho < beta at the same beta (the anti-regularizer), and a
  learning-rate map of where each first-order description stops helping.

One module per job: ``params`` (Params, Results, the labels), ``compute`` (``run``) with one
module per study (``flows``: the order study, ``recursion``: the printed recursion A.14,
``adam``: the Adam studies), ``rows`` (the declared rows, the fitted slopes and ``facts``),
``captions`` (what each figure shows, and the banner's data sentence); this package re-exports
their public names and holds no logic.
"""

from __future__ import annotations

from igr_core.experiments.optimizers.adam import adam_study, rate_map
from igr_core.experiments.optimizers.captions import banner, captions
from igr_core.experiments.optimizers.compute import run
from igr_core.experiments.optimizers.flows import (
    Description,
    descriptions,
    enumerated_partition_variance,
    error_rows,
    order_rows,
)
from igr_core.experiments.optimizers.params import (
    ADAM,
    ADAM_FULL,
    ADAM_NAIVE,
    FLOW_E,
    GD,
    GD_LOSS,
    GD_MODIFIED,
    HB_NAIVE,
    HB_NO_SHIFT,
    HB_SHIFTED,
    HB_UNAMPLIFIED,
    HEAVY_BALL,
    LOCAL_ARXIV,
    LOCAL_ICLR,
    NOTEBOOK,
    PLATFORM,
    QUADRATIC,
    QUARTIC,
    REGIME_ANTI,
    REGIME_CONTROL,
    RESULTS_VERSION,
    ROUTE_ARXIV,
    ROUTE_CLOSED_FORM,
    ROUTE_ICLR,
    ROUTE_ICLR_TRUE,
    SGD_ALL_ORDERS,
    SGD_LOSS,
    SGD_RESHUFFLE,
    SHARPNESS,
    TANH_MLP,
    TWO_PARAM_MODEL,
    X64,
    Params,
    Results,
)
from igr_core.experiments.optimizers.recursion import (
    RECURSION_ROUTES,
    higher_order_study,
    recursion_problems,
    recursion_table,
)
from igr_core.experiments.optimizers.rows import (
    DECLARED,
    adam_claims,
    claims,
    facts,
    local_slopes,
    map_claims,
    recursion_error,
    slopes,
)

PART = "Beyond the paper"  # its part of the table of contents

__all__ = [
    "PART",
    "banner",
    "captions",
    "ADAM",
    "ADAM_FULL",
    "ADAM_NAIVE",
    "DECLARED",
    "Description",
    "FLOW_E",
    "GD",
    "GD_LOSS",
    "GD_MODIFIED",
    "HB_NAIVE",
    "HB_NO_SHIFT",
    "HB_SHIFTED",
    "HB_UNAMPLIFIED",
    "HEAVY_BALL",
    "LOCAL_ARXIV",
    "LOCAL_ICLR",
    "NOTEBOOK",
    "PLATFORM",
    "Params",
    "QUADRATIC",
    "QUARTIC",
    "RECURSION_ROUTES",
    "REGIME_ANTI",
    "REGIME_CONTROL",
    "RESULTS_VERSION",
    "ROUTE_ARXIV",
    "ROUTE_CLOSED_FORM",
    "ROUTE_ICLR",
    "ROUTE_ICLR_TRUE",
    "Results",
    "SGD_ALL_ORDERS",
    "SGD_LOSS",
    "SGD_RESHUFFLE",
    "SHARPNESS",
    "TANH_MLP",
    "TWO_PARAM_MODEL",
    "X64",
    "adam_claims",
    "adam_study",
    "claims",
    "descriptions",
    "enumerated_partition_variance",
    "error_rows",
    "facts",
    "higher_order_study",
    "local_slopes",
    "map_claims",
    "order_rows",
    "rate_map",
    "recursion_error",
    "recursion_problems",
    "recursion_table",
    "run",
    "slopes",
]
