"""The claims ledger: every verdict row of every chapter, with its evidence.

Abstraction: a chapter's experiment module returns :class:`Claim` rows (the paper's claim,
where the paper makes it, and a :class:`~igr_core.verdicts.Verdict` computed by a rule in
:mod:`igr_core.verdicts`) and named *facts* (numbers the prose and the errata page quote).
:func:`record` shows the verdict table and writes both to
``results/<profile>/claims/<notebook>.json``; :func:`gather_claims` and :func:`facts` read
them back for the ledger and errata pages.
"""
from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Iterable, NamedTuple

import pandas as pd

from igr_core._src.verdicts import Claim
from igr_core.book.display import check_profile, show_markdown, table_markdown

COLUMNS = ["claim", "kind", "reference", "measured", "expected", "uncertainty", "n", "verdict", "why"]


def repo_root() -> Path:
    """The companion's root: ``$IGR_ROOT`` if set (the pipeline sets it), else the cwd."""
    return Path(os.environ.get("IGR_ROOT", Path.cwd()))


def results_dir(profile: str) -> Path:
    return repo_root() / "results" / check_profile(profile)


def _json_safe(v):
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if hasattr(v, "item"):
        return _json_safe(v.item())
    return v


def rows(notebook: str, claims: Iterable[Claim], profile: str) -> list[dict]:
    out = []
    for c in claims:
        v = c.checked().verdict
        measured = v.measured + (f" [{c.note}]" if c.note else "")
        out.append({"notebook": notebook, "claim": c.claim, "kind": c.kind, "version": c.version,
                    "reference": c.reference, "measured": measured,
                    "expected": v.expected, "uncertainty": v.uncertainty, "n": int(v.n), "verdict": v.outcome,
                    "why": v.why, "rule": v.rule, "value": _json_safe(v.value), "profile": profile})
    return out


def result_tables(results) -> dict[str, pd.DataFrame]:
    """Every table in a chapter's Results (DataFrame fields, and ``.metrics`` of sweep results)."""
    out = {}
    for name, v in results._asdict().items():
        if isinstance(v, pd.DataFrame):
            out[name] = v
        elif hasattr(v, "metrics") and isinstance(getattr(v, "metrics"), pd.DataFrame):
            out[f"{name}_metrics"] = v.metrics
    return out


def export(notebook: str, results) -> Path:
    """Write the chapter's result tables as CSV files in ``book/executed/<notebook>_results.zip``
    (offered for download on the chapter's page)."""
    import io
    import zipfile

    path = repo_root() / "book" / "executed" / f"{notebook}_results.zip"
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, df in result_tables(results).items():
            buf = io.StringIO()
            df.to_csv(buf, index=not isinstance(df.index, pd.RangeIndex))
            z.writestr(f"{notebook}/{name}.csv", buf.getvalue())
    return path


def record(notebook: str, claims: Iterable[Claim], profile: str, facts: dict | None = None,
           show: bool = True, results=None) -> pd.DataFrame:
    """Write the chapter's verdict rows and facts to the ledger (and, with ``results``, its
    tables for download) and show the verdict table."""
    if results is not None:
        export(notebook, results)
    table = rows(notebook, claims, profile)
    out = results_dir(profile) / "claims"
    out.mkdir(parents=True, exist_ok=True)
    payload = {"claims": table, "facts": {k: _json_safe(v) for k, v in (facts or {}).items()}}
    (out / f"{notebook}.json").write_text(json.dumps(payload, indent=1))
    df = pd.DataFrame(table)[COLUMNS]
    if show:
        show_markdown(table_markdown(df))
    return df


def _load(profile: str, root: Path | None = None) -> list[dict]:
    base = (Path(root) / "results" / profile) if root else results_dir(profile)
    return [json.loads(p.read_text()) | {"_name": p.stem} for p in sorted((base / "claims").glob("*.json"))]


def gather_claims(profile: str, root: Path | None = None) -> pd.DataFrame:
    """All verdict rows written under ``results/<profile>/claims``, in notebook order."""
    out = [r for d in _load(profile, root) for r in d["claims"]]
    return pd.DataFrame(out, columns=["notebook", *COLUMNS, "version", "rule", "value", "profile"])


def facts(profile: str, notebook: str, root: Path | None = None) -> dict:
    """The named numbers a chapter recorded (for the errata page)."""
    for d in _load(profile, root):
        if d["_name"] == notebook:
            return d["facts"]
    raise FileNotFoundError(f"no ledger entry for notebook {notebook!r} under results/{profile}/claims: "
                            "execute that chapter first")


def side_by_side(smoke: pd.DataFrame, paper: pd.DataFrame) -> pd.DataFrame:
    """Smoke and paper verdicts of the same claims next to each other (paper '-' when absent)."""
    key = ["notebook", "reference", "claim"]
    s = smoke[key + ["measured", "verdict"]].rename(columns={"measured": "smoke: measured", "verdict": "smoke"})
    if paper.empty:
        s["paper"] = "-"
        s["paper: measured"] = "-"
        return s
    p = paper[key + ["measured", "verdict"]].rename(columns={"measured": "paper: measured", "verdict": "paper"})
    out = s.merge(p, on=key, how="left").fillna("-")
    return out


__all__ = ["COLUMNS", "Claim", "repo_root", "results_dir", "rows", "result_tables", "export", "record", "gather_claims", "facts",
           "side_by_side"]
