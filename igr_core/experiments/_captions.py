"""What the chapters' captions share: how a number, a span and a trend are phrased.

Abstraction: each chapter's ``captions`` module (``igr_core/experiments/<chapter>/captions.py``)
holds one function, ``Results -> {figure key: caption}``, that its package re-exports as
``captions``, the contract's hook (:attr:`igr_core._src.contract.Chapter.captions`, default: no
captions); the page's ``page.figure(draw, ..., caption=key)`` shows the sentence under the
figure, above the provenance line. A caption states what the figure shows and the paper's
expectation where it has one; the verdict itself stays with the chapter's rules. Every number is
read from the stored results of the page's own profile, never typed. This module is the phrasing
they share: :func:`num` (a number as the page prints it), :func:`span`, :func:`rho`,
:func:`trend`, :func:`compare` (the reading sentence) and, for the training curves of chapters
05 and 06, :func:`sweep_curves` and :func:`last_ok`. It imports no chapter.
"""

from __future__ import annotations

import pandas as pd

from igr_core._src import columns as C
from igr_core._src.verdicts import number_or


def num(x: float, digits: int = 3) -> str:
    """A number as the page prints it ('n/a' for NaN or None)."""
    return number_or(x, "n/a", digits)


def span(df: pd.DataFrame, x: str, y: str) -> str:
    """``y`` (mean over the rest) at the smallest and at the largest ``x``: 'A at x = a and B at
    x = b'."""
    if not len(df):
        return "not measured (no rows)"
    m = df.groupby(x)[y].mean()
    return f"{num(m.iloc[0])} at {x} = {num(m.index[0])} and {num(m.iloc[-1])} at {x} = {num(m.index[-1])}"


def rho(df: pd.DataFrame, x: str, y: str) -> float:
    """Spearman's rank correlation of ``y`` with ``x`` over the rows with both finite (nan with
    fewer than three rows or a constant column)."""
    d = df[[x, y]].apply(pd.to_numeric, errors="coerce").dropna() if len(df) else df
    if len(d) < 3 or d[x].nunique() < 2 or d[y].nunique() < 2:
        return float("nan")
    return float(d[x].rank().corr(d[y].rank()))


def trend(df: pd.DataFrame, x: str, y: str, sign: int, y_words: str, x_words: str, unit: str = "networks") -> str:
    """How the data compare with a trend the paper shows (``sign``: +1 rises, -1 falls): 'as in the
    paper, <y_words> falls as <x_words> grows (Spearman's rho = -0.78 over 30 networks)', 'unlike
    the paper, ... rises ...', values equal to rounding, or too few points to compare."""
    n = int(df[[x, y]].dropna().shape[0]) if len(df) else 0
    v = pd.to_numeric(df[y], errors="coerce").dropna() if len(df) else pd.Series(dtype=float)
    if len(v) and float(v.max() - v.min()) <= 1e-9 * max(float(v.abs().max()), 1e-300):
        return f"{y_words} is the same for every {x_words} to rounding (spread {num(float(v.max() - v.min()), 2)})"
    r = rho(df, x, y)
    if r != r:
        return f"too few {unit} to compare ({n})"
    agree = "as in the paper" if r * sign > 0 else "unlike the paper"
    moves = "rises" if r > 0 else "falls"
    return f"{agree}, {y_words} {moves} as {x_words} grows (Spearman's $\\rho$ = {r:+.2f} over {n} {unit})"


def compare(look: str, paper: str, here: str) -> str:
    """The caption's reading sentence: what to look for, what the paper's figure shows and how
    these data compare (``paper`` names the figure; 'no figure' sentences say so)."""
    return f"**Look for** {look}. {paper}; here {here}."


def sweep_curves(metrics: pd.DataFrame, column: str) -> str:
    """``column`` at the last evaluation of the smallest and the largest h whose run did not
    diverge (diverged runs are named apart)."""
    last = metrics.sort_values("step").groupby("h").last().reset_index()
    diverged = last[last[C.DIVERGED].astype(bool)]["h"]
    out = span(last[~last[C.DIVERGED].astype(bool)], "h", column)
    return out + (f" (diverged at h = {', '.join(num(h) for h in diverged)})" if len(diverged) else "")


def last_ok(curves: pd.DataFrame) -> pd.DataFrame:
    """Each curve's last evaluation, diverged runs left out."""
    last = curves.sort_values("step").groupby("h").last().reset_index()
    return last[~last[C.DIVERGED].astype(bool)]


__all__ = ["num", "span", "rho", "trend", "compare", "sweep_curves", "last_ok"]
