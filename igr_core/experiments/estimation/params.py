"""Chapter 08's parameters and results."""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import pandas as pd

from igr_core.experiments._params import PROFILES, ParamsBase, one_of, positive, positive_seq

NOTEBOOK = "08_estimation"
RESULTS_VERSION = 1  # bump when what run() computes changes: stored results of another version are refused
X64 = True  # float64: run() turns it on (identities to rounding and fitted orders need it)
PENALTY_KINDS = ("ridge", "l1", "elastic net")


@dataclasses.dataclass(frozen=True)
class Params(ParamsBase):
    profile: str = "smoke"
    # known penalties (their Figure 3 / Appendix H.2)
    penalty_strengths: tuple = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3)
    penalty_n: int = 64  # synthetic examples
    penalty_inputs: int = 5
    penalty_width: int = 16
    l1_smoothing: float = 0.01
    penalty_steps: int = 20000  # full-batch GD steps to stationarity
    penalty_lr: float = 0.05
    penalty_seeds: tuple = (0, 1, 2)
    # early stopping in least squares (their Figure 4 / Appendix H.3)
    ols_n: int = 50
    ols_d: int = 6
    ols_lr: float = 0.1
    ols_steps: int = 20
    ols_noise: float = 0.5
    ols_max_endpoints: int = 8
    ols_checkpoints: tuple = (1, 2, 5, 10, 20, 50, 100, 200)
    # the IGR coefficient (their Figure 6 / Appendix H.5)
    igr_n: int = 64  # digits
    igr_hidden: tuple = (32, 32)
    igr_pretrain_steps: int = 100  # GD steps at half the stability edge before probing
    igr_h_fractions: tuple = (
        0.005,
        0.01,
        0.02,
        0.04,
        0.08,
        0.16,
        0.32,
        0.64,
        1.0,
        1.5,
        2.0,
    )  # of h_edge = 2 / lambda_max
    igr_fit_fractions: int = 4  # the smallest step sizes the order is fitted on
    igr_probes: int = 4  # GD probe steps per step size
    # dropout (their Figure 5 / Appendix H.4)
    dropout_rates: tuple = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)
    dropout_n: int = 256
    dropout_hidden: tuple = (32,)
    dropout_steps: int = 1000  # the weights are averaged over the second half
    dropout_lr: float = 0.2
    dropout_seeds: tuple = (0, 1, 2, 3)

    def __post_init__(self):
        one_of("profile", self.profile, PROFILES)
        positive_seq("penalty_strengths", self.penalty_strengths)
        for name in (
            "penalty_n",
            "penalty_inputs",
            "penalty_width",
            "penalty_steps",
            "ols_n",
            "ols_d",
            "ols_steps",
            "ols_max_endpoints",
            "igr_n",
            "igr_fit_fractions",
            "igr_probes",
            "dropout_n",
            "dropout_steps",
        ):
            positive(name, getattr(self, name), integer=True)
        positive("igr_pretrain_steps", self.igr_pretrain_steps, integer=True, allow_zero=True)
        for name in ("l1_smoothing", "penalty_lr", "ols_lr", "ols_noise", "dropout_lr"):
            positive(name, getattr(self, name))
        positive_seq("penalty_seeds", self.penalty_seeds, integer=True, allow_zero=True)
        positive_seq("ols_checkpoints", self.ols_checkpoints, integer=True)
        positive_seq("igr_hidden", self.igr_hidden, integer=True)
        positive_seq("igr_h_fractions", self.igr_h_fractions)
        positive_seq("dropout_rates", self.dropout_rates, allow_zero=True)
        positive_seq("dropout_hidden", self.dropout_hidden, integer=True)
        positive_seq("dropout_seeds", self.dropout_seeds, integer=True, allow_zero=True)
        if self.dropout_steps < 2:
            raise ValueError(
                f"`dropout_steps` must be at least 2 (the weights are averaged over the second half), "
                f"got {self.dropout_steps!r}."
            )
        if max(self.dropout_rates) >= 1:
            raise ValueError(f"`dropout_rates` must lie in [0, 1), got {list(self.dropout_rates)!r}.")
        if self.igr_fit_fractions > len(self.igr_h_fractions):
            raise ValueError(
                f"`igr_fit_fractions` ({self.igr_fit_fractions}) must not exceed the number of "
                f"`igr_h_fractions` ({len(self.igr_h_fractions)})."
            )
        if self.ols_max_endpoints < self.ols_d:
            raise ValueError(
                f"`ols_max_endpoints` ({self.ols_max_endpoints}) must be at least `ols_d` "
                f"({self.ols_d}): endpoints show Q only on their span, so d of them are needed."
            )


class Results(NamedTuple):
    params: Params
    source: str  # the digits the tanh and dropout networks are trained on
    penalties: pd.DataFrame  # seed, kind, strength, true/estimated coefficients, stderr, condition, status
    ols_stack: pd.DataFrame  # endpoints, equations, relative error of Q, status
    ols_diagonal: dict  # single-endpoint diagonal estimate and its retraining check
    ols_scalar: pd.DataFrame  # step, t, estimated scalar ridge, closed-form scalar ridge
    igr: pd.DataFrame  # h / h_edge, h, alpha, h/4, ratio, |ratio - 1|
    dropout: pd.DataFrame  # seed, rate, estimated ridge, train accuracy, relative residual


# ------------------------------------------------------------------ known explicit penalties
