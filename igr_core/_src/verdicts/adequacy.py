"""Adequacy gates: a verdict about trained networks is decided only where they finished learning.

Abstraction: :func:`network_table` reads a sweep's tidy metrics (one row per configuration and
evaluation) into one row per network: how many evaluations, the best test accuracy and when,
how much the last stretch of training still improved it (the *plateau test*), the best
training accuracy it reached (the *inclusion rule*: the paper leaves out "models with
excessively small learning rates, which fail to solve the task", Appendix A.5), and whether it
diverged. :func:`gate` turns that table and the conditions of one claim into a :class:`Gate`:
the networks that may be compared, with the reasons for the others in words. :func:`gated`
runs a rule on the kept networks only, or returns ``inconclusive`` with the reason when the
gates leave fewer than the rule's minimum n ("12 of 15 networks still improving at the last
evaluation (step 468)"), never a decided verdict from networks that had not finished.

Thresholds (the paper states none for the plateau; these are this companion's choices, fixed
before the runs they judge and shown on the pages):

* :data:`PLATEAU_WINDOW` -- "the end of training": the last fifth of the steps trained;
* :data:`WINDOW_EVALUATIONS` -- a plateau is judged on at least three evaluations inside that
  window (with fewer, a slope over the window is a line through two points, or nothing);
* :data:`PLATEAU_TOL` -- the *plateau test*: the least-squares slope of test accuracy against
  the step over the evaluations in the window, projected over the window's length (the gain
  the trend adds across the last fifth), must be below half a point of accuracy. A flat curve
  with evaluation noise passes it (the noise enters the slope averaged over the window, not as
  a maximum); a curve still rising fails it wherever its evaluations fall. The position of the
  best evaluation is not used: on a flat, noisy curve it falls in the last fifth one time in five.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np
import pandas as pd

from igr_core._src import columns as C
from igr_core._src.verdicts.outcomes import Outcome, Verdict

PLATEAU_WINDOW = 0.2  # the last fifth of the steps trained
PLATEAU_TOL = 0.005  # the trend's projected gain of test accuracy over that window: below half a point
WINDOW_EVALUATIONS = 3  # evaluations inside the window needed before a curve can show a plateau
MIN_EVALUATIONS = WINDOW_EVALUATIONS  # (the pages' name for it)
KEYS = ("width", "batch_size", "h", "mu", "seed")


def _keys(metrics: pd.DataFrame) -> list[str]:
    return [k for k in KEYS if k in metrics.columns]


def projected_gain(steps: np.ndarray, acc: np.ndarray, window: float = PLATEAU_WINDOW) -> tuple[float, int]:
    """The plateau test's statistic for one curve: the least-squares slope of ``acc`` against
    ``steps`` over the evaluations in the last ``window`` of the steps, times the window's length
    in steps, and the number of evaluations it used (nan with fewer than two finite ones)."""
    steps, acc = np.asarray(steps, float), np.asarray(acc, float)
    last = float(steps.max()) if steps.size else 0.0
    inside = (steps >= (1 - window) * last - 1e-9) & np.isfinite(acc)
    k = int(inside.sum())
    if k < 2 or np.ptp(steps[inside]) == 0:
        return float("nan"), k
    slope = float(np.polyfit(steps[inside], acc[inside], 1)[0])
    return slope * window * last, k


def network_table(metrics: pd.DataFrame, window: float = PLATEAU_WINDOW) -> pd.DataFrame:
    """One row per network of a sweep's metrics: ``evaluations`` (after step 0), ``window
    evaluations`` (inside the last ``window`` of the steps), ``last step``, ``best step`` and
    ``best test acc``, ``late gain`` (:func:`projected_gain`: the trend of test accuracy over
    the window, projected over it), ``max train acc`` and ``diverged``."""
    if not 0 < window < 1:
        raise ValueError(f"`window` must be in (0, 1), got {window!r}.")
    keys = _keys(metrics)
    rows = []
    for key, g in metrics.sort_values("step", kind="stable").groupby(keys):
        key = key if isinstance(key, tuple) else (key,)
        acc = g[C.TEST_ACC].to_numpy(float)
        steps = g["step"].to_numpy(int)
        gain, k = projected_gain(steps, acc, window)
        best = int(np.nanargmax(acc)) if np.isfinite(acc).any() else 0
        rows.append(
            {
                **dict(zip(keys, key)),
                "evaluations": int((steps > 0).sum()),
                "window evaluations": k,
                "last step": int(steps.max()),
                "best step": int(steps[best]),
                "best test acc": float(acc[best]) if acc.size else float("nan"),
                "late gain": gain,
                "max train acc": float(np.nanmax(g[C.TRAIN_ACC].to_numpy(float))) if len(g) else float("nan"),
                C.DIVERGED: bool(g[C.DIVERGED].astype(bool).any()),
            }
        )
    return pd.DataFrame(rows)


class Gate(NamedTuple):
    """Which networks a claim may compare, and why the others may not."""

    table: pd.DataFrame  # network_table with the columns "plateau", "fits", "kept"
    keys: list  # the columns that identify a network
    plateau_tol: float
    fit_threshold: float | None  # None: the claim has no inclusion rule

    @property
    def n(self) -> int:
        return int((~self.table[C.DIVERGED]).sum()) if len(self.table) else 0

    @property
    def n_kept(self) -> int:
        return int(self.table["kept"].sum()) if len(self.table) else 0

    @property
    def n_still_improving(self) -> int:
        t = self.table
        return int((~t[C.DIVERGED] & ~t["plateau"]).sum()) if len(t) else 0

    @property
    def n_not_fit(self) -> int:
        t = self.table
        return int((~t[C.DIVERGED] & ~t["fits"]).sum()) if len(t) else 0

    def keep(self, selected: pd.DataFrame) -> pd.DataFrame:
        """The rows of ``selected`` (one per network) whose network passes the gates."""
        if selected is None or selected.empty or self.table.empty:
            return selected
        kept = self.table[self.table["kept"]][self.keys]
        keys = [k for k in self.keys if k in selected.columns]
        return selected.merge(kept[keys].drop_duplicates(), on=keys, how="inner")

    def reasons(self) -> list[str]:
        """The shortfall in words: networks still improving, networks that do not fit."""
        out = []
        t = self.table
        if not len(t):
            return ["no trained networks"]
        last = int(t["last step"].max())
        if self.n_still_improving:
            few = t[~t[C.DIVERGED] & (t["window evaluations"] < WINDOW_EVALUATIONS)]
            detail = (
                f"; {len(few)} with fewer than {WINDOW_EVALUATIONS} evaluations in that window, too few to show one"
                if len(few)
                else ""
            )
            out.append(
                f"{self.n_still_improving} of {self.n} networks not shown on their plateau at the last evaluation "
                f"(step {last}: the trend of test accuracy over the last {PLATEAU_WINDOW:.0%} of the steps adds "
                f"{self.plateau_tol:g} or more across it{detail})"
            )
        if self.fit_threshold is not None and self.n_not_fit:
            out.append(
                f"{self.n_not_fit} of {self.n} networks do not fit the training set (train accuracy "
                f"{self.fit_threshold:g}): left out, as the paper leaves out models that fail to solve the task"
            )
        return out

    def summary(self) -> str:
        """One line for the pages: how many networks pass each gate."""
        if not len(self.table):
            return "no trained networks"
        parts = [f"{self.n - self.n_still_improving} of {self.n} networks on their plateau"]
        if self.fit_threshold is not None:
            parts.append(f"{self.n - self.n_not_fit} of {self.n} reach train accuracy {self.fit_threshold:g}")
        parts.append(f"{self.n_kept} compared")
        return "; ".join(parts)


def gate(
    metrics: pd.DataFrame,
    fit_threshold: float | None = None,
    plateau: bool = True,
    tol: float = PLATEAU_TOL,
    window: float = PLATEAU_WINDOW,
) -> Gate:
    """The gates of one claim on a sweep's metrics: the plateau test (unless ``plateau`` is
    False: a claim about a fixed step is not about the end of training) and, with
    ``fit_threshold``, the inclusion rule (the network's best training accuracy reaches it)."""
    if fit_threshold is not None and not 0 <= fit_threshold <= 1:
        raise ValueError(f"`fit_threshold` must be in [0, 1], got {fit_threshold!r}.")
    if not tol >= 0:
        raise ValueError(f"`tol` must be non-negative, got {tol!r}.")
    t = (
        network_table(metrics, window)
        if metrics is not None and len(metrics)
        else pd.DataFrame(
            columns=[
                *KEYS,
                "evaluations",
                "window evaluations",
                "last step",
                "best step",
                "best test acc",
                "late gain",
                "max train acc",
                C.DIVERGED,
            ]
        )
    )
    keys = _keys(metrics) if metrics is not None and len(metrics) else list(KEYS)
    t["plateau"] = (
        (((t["window evaluations"] >= WINDOW_EVALUATIONS) & (t["late gain"] < tol)) if plateau else True)
        if len(t)
        else pd.Series(dtype=bool)
    )
    t["fits"] = (t["max train acc"] >= fit_threshold - 1e-9) if fit_threshold is not None and len(t) else True
    if len(t):
        t["plateau"] = t["plateau"].astype(bool)
        t["fits"] = t["fits"].astype(bool)
        t["kept"] = ~t[C.DIVERGED].astype(bool) & t["plateau"] & t["fits"]
    else:
        t["kept"] = pd.Series(dtype=bool)
    return Gate(t, keys, tol, fit_threshold)


def gated(
    g: Gate,
    rule: Callable[[pd.DataFrame], Verdict],
    selected: pd.DataFrame,
    min_n: int = 5,
    rule_name: str = "trend",
) -> Verdict:
    """``rule`` on the rows of ``selected`` whose networks pass the gates, or ``inconclusive``
    with the reason when fewer than ``min_n`` networks pass. A decided verdict's reason names
    the networks left out and why."""
    kept = g.keep(selected)
    n_kept = 0 if kept is None else len(kept)
    reasons = g.reasons() if len(g.table) else ["no trained networks"]
    if n_kept < min_n:
        why = "; ".join(reasons) if reasons else "too few networks"
        return Verdict(
            outcome=Outcome.INCONCLUSIVE,
            rule=rule_name,
            measured=f"not judged: {n_kept} of {g.n} networks pass the adequacy gates",
            expected=f"at least {min_n} networks that finished learning",
            n=n_kept,
            why=f"{why}; {n_kept} left, the rule needs at least {min_n}",
        )
    v = rule(kept)
    left_out = g.n - g.n_kept
    if left_out:
        v = v.replace(
            why=f"{v.why} ({left_out} of {g.n} networks left out by the adequacy gates: " + "; ".join(reasons) + ")"
        )
    return v
