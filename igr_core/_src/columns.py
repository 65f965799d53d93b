"""The column names of the results tables, named once.

Abstraction: every table a sweep, a chapter or a page builds names its metric columns through
these constants (``df[C.TEST_ACC]``), never by typing the words; :data:`METRICS` is one row of a
sweep's metrics table, in order (:mod:`igr_core._src.engine.metrics` builds it), and
:data:`COLUMNS` every name a test forbids as a literal outside this module
(``tests/test_columns.py``). The values are the words the tables and their CSV files carry.
"""

from __future__ import annotations

TRAIN_E = "train E"  # training loss E
TRAIN_ACC = "train acc"
R_IG = "R_IG"  # the implicit regularizer ||grad E||^2 / m on the training data (Eq. 4)
SLOPE = "slope"  # the loss-surface slope ||grad E|| on the training data
TEST_E = "test E"
TEST_ACC = "test acc"
TEST_R_IG = "test R_IG"
TEST_SLOPE = "test slope"
THETA_NORM = "||theta||"  # the parameter norm
DIVERGED = "diverged"  # the run's loss left the divergence threshold (or became non-finite)

METRICS = (TRAIN_E, TRAIN_ACC, R_IG, SLOPE, TEST_E, TEST_ACC, TEST_R_IG, TEST_SLOPE, THETA_NORM, DIVERGED)

LAMBDA_TOTAL = "lambda total"  # m (h/4 + mu): implicit plus explicit regularization rate (chapter 07)
DATA_SOURCE = "data source"  # where a sweep's data came from

COLUMNS = (*METRICS, LAMBDA_TOTAL, DATA_SOURCE)

__all__ = [
    "TRAIN_E",
    "TRAIN_ACC",
    "R_IG",
    "SLOPE",
    "TEST_E",
    "TEST_ACC",
    "TEST_R_IG",
    "TEST_SLOPE",
    "THETA_NORM",
    "DIVERGED",
    "METRICS",
    "LAMBDA_TOTAL",
    "DATA_SOURCE",
    "COLUMNS",
]
