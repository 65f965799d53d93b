"""Reporting inside notebooks: profile banners, verdict tables, the claims ledger, glue.

Abstraction: a notebook ends with a list of :class:`Claim` rows (the paper's claim,
where the paper makes it, what was measured, a verdict). :func:`verdict_table` shows
them and writes them to ``results/<profile>/claims/<notebook>.json``;
:func:`gather_claims` reads every such file back for the claims ledger page.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Iterable, NamedTuple

import numpy as np
import pandas as pd

VERDICTS = ("reproduced", "partly reproduced", "not reproduced", "inconclusive", "erratum confirmed")
PROFILES = ("smoke", "paper")


class Claim(NamedTuple):
    claim: str  # the paper's claim, in a sentence
    reference: str  # where the paper makes it ("Theorem 3.1", "Fig. 2a", "Eq. A.23")
    measured: str  # what this run measured, with numbers
    verdict: str  # one of VERDICTS


def repo_root() -> Path:
    """The companion's root: ``$IGR_ROOT`` if set (the pipeline sets it), else the cwd."""
    return Path(os.environ.get("IGR_ROOT", Path.cwd()))


def results_dir(profile: str) -> Path:
    if profile not in PROFILES:
        raise ValueError(f"`profile` must be one of {PROFILES}, got {profile!r}.")
    return repo_root() / "results" / profile


def show_markdown(text: str) -> None:
    """Display MyST markdown as a cell output (rendered by the book)."""
    from IPython.display import Markdown, display

    display(Markdown(text))


def banner(profile: str, params: dict | None = None, data_source: str | None = None) -> None:
    """Show which profile produced the page, with the parameters of this run."""
    if profile not in PROFILES:
        raise ValueError(f"`profile` must be one of {PROFILES}, got {profile!r}.")
    kind = "warning" if profile == "smoke" else "note"
    what = ("**Smoke profile**: every number and figure on this page is a real computation, "
            "run at small scale on a CPU. It is not the paper's scale; rerun with the `paper` "
            "profile for that." if profile == "smoke" else
            "**Paper profile**: the paper's grids and hyper-parameters.")
    lines = [f"```{{{kind}}}", what]
    if data_source:
        lines.append(f"\nData: {data_source}.")
    if params:
        shown = ", ".join(f"`{k}={v!r}`" for k, v in params.items())
        lines.append(f"\nParameters of this run: {shown}.")
    lines.append("```")
    show_markdown("\n".join(lines))


def verdict_table(notebook: str, claims: Iterable[Claim], profile: str) -> pd.DataFrame:
    """Show the verdict table and write it to the claims ledger; returns the table."""
    rows = []
    for c in claims:
        if c.verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}, got {c.verdict!r} for claim {c.claim!r}.")
        rows.append({**c._asdict(), "notebook": notebook, "profile": profile})
    out = results_dir(profile) / "claims"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{notebook}.json").write_text(json.dumps(rows, indent=1))
    table = pd.DataFrame(rows)[["claim", "reference", "measured", "verdict"]]
    show_markdown(table_markdown(table))
    return table


def table_markdown(df: pd.DataFrame) -> str:
    """A pipe table (GitHub/MyST markdown) of a small frame, with no index."""
    def cell(v):
        return str(v).replace("|", "\\|").replace("\n", " ")

    cols = list(df.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join(lines)


def gather_claims(profile: str) -> pd.DataFrame:
    """All verdict rows written under ``results/<profile>/claims``, in notebook order."""
    rows = []
    for path in sorted((results_dir(profile) / "claims").glob("*.json")):
        rows.extend(json.loads(path.read_text()))
    return pd.DataFrame(rows, columns=["notebook", "claim", "reference", "measured", "verdict", "profile"])


_GLUED: dict = {}


def glue(name: str, value, fmt: str | None = None):
    """Glue a computed value for ``{glue:text}`` in the page's prose; returns the value."""
    from myst_nb import glue as _glue

    shown = format(value, fmt) if fmt else value
    _GLUED[name] = shown
    _glue(name, shown, display=False)
    return value


def glued(name: str):
    """The value glued under ``name`` in this kernel (to reuse it in a verdict row)."""
    return _GLUED[name]


def slope_verdict(measured, expected, tol: float = 0.25) -> str:
    """'reproduced' when every measured slope is within ``tol`` of its expected value."""
    measured, expected = np.atleast_1d(measured), np.atleast_1d(expected)
    return "reproduced" if np.all(np.abs(measured - expected) <= tol) else "not reproduced"


def slopes_text(fits: pd.DataFrame) -> str:
    """'problem: s0/s1/s2; ...' from an order-study fit table (measured slopes by order)."""
    parts = []
    for prob, grp in fits.groupby("problem", sort=False):
        parts.append(f"{prob}: " + "/".join(f"{v:.2f}" for v in grp.sort_values("order")["measured slope"]))
    return "; ".join(parts)


def fmt_sci(x: float, digits: int = 2) -> str:
    return f"{x:.{digits}e}"


__all__ = ["VERDICTS", "PROFILES", "Claim", "repo_root", "results_dir", "banner", "verdict_table",
           "table_markdown", "show_markdown", "gather_claims", "glue", "glued", "fmt_sci", "slope_verdict", "slopes_text"]
