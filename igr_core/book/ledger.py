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

from igr_core._src import store as _store
from igr_core._src.verdicts import Claim
from igr_core.book.display import PROFILES, check_profile, show_markdown, table_markdown

COLUMNS = ["claim", "kind", "reference", "measured", "expected", "uncertainty", "n", "verdict", "why"]


repo_root = _store.repo_root  # where results/ lives (one definition, in the store)


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
    """Show the chapter's verdict table (and, with ``results``, write its tables for download).
    The ledger itself reads the result store (:func:`gather_claims`), not this table."""
    if results is not None:
        export(notebook, results)
    df = pd.DataFrame(rows(notebook, claims, profile))[COLUMNS]
    if show:
        show_markdown(table_markdown(df))
    return df


LARGEST = "largest"  # the ledger's and errata's pseudo-profile: each chapter at its largest stored scale


def _chapter_modules() -> dict:
    import importlib

    from igr_core.experiments import BY_NOTEBOOK

    return {name: importlib.import_module(mod) for name, mod in BY_NOTEBOOK.items()}


def stored(profile: str, notebook: str, root: Path | None = None):
    """(results, manifest) of a chapter's profile from the result store, or None when the store
    holds none for that profile's parameters (or holds them at another results version)."""
    module = _chapter_modules()[notebook]
    params = module.Params.resolve(notebook, profile)
    base = Path(root) / "results" / profile if root else results_dir(profile)
    path = _store.lookup(module, params, base)
    if path is None:
        return None
    results, manifest = _store.load(path)
    if manifest.get("results_version") != module.RESULTS_VERSION:
        return None
    return results, manifest


def largest_profile(notebook: str, root: Path | None = None) -> str | None:
    """The largest profile whose results the store holds for a chapter (None: no results)."""
    module = _chapter_modules()[notebook]
    for profile in reversed(PROFILES):
        base = Path(root) / "results" / profile if root else results_dir(profile)
        path = _store.lookup(module, module.Params.resolve(notebook, profile), base)
        if path is not None and json.loads((path / _store.MANIFEST).read_text()).get(
                "results_version") == module.RESULTS_VERSION:
            return profile
    return None


def _profiles_of(profile: str, notebook: str, root) -> list[str]:
    if profile == LARGEST:
        best = largest_profile(notebook, root)
        return [best] if best else []
    return [check_profile(profile)]


def gather_claims(profile: str, root: Path | None = None) -> pd.DataFrame:
    """Every verdict row computed from the result store, in chapter order: the rows of one
    profile, or with ``profile="largest"`` each chapter at its largest stored scale."""
    modules = _chapter_modules()
    out = []
    for name, module in modules.items():
        for prof in _profiles_of(profile, name, root):
            got = stored(prof, name, root)
            if got is not None:
                out += rows(name, module.claims(got[0]), prof)
    return pd.DataFrame(out, columns=["notebook", *COLUMNS, "version", "rule", "value", "profile"])


def facts(profile: str, notebook: str, root: Path | None = None) -> dict:
    """The named numbers a chapter's stored results give (for the errata page)."""
    for prof in _profiles_of(profile, notebook, root):
        got = stored(prof, notebook, root)
        if got is not None:
            return {k: _json_safe(v) for k, v in _chapter_modules()[notebook].facts(got[0]).items()}
    raise FileNotFoundError(f"no stored results for notebook {notebook!r} at profile {profile!r}: "
                            "execute that chapter first")


def manifests(root: Path | None = None) -> list[dict]:
    """The manifest of every chapter's stored results at every profile (what computed them)."""
    out = []
    for name in _chapter_modules():
        for prof in PROFILES:
            got = stored(prof, name, root)
            if got is not None:
                out.append({**got[1], "profile": prof})
    return out


def scales(root: Path | None = None) -> pd.DataFrame:
    """Each claim at every profile computed: one row per claim, a verdict and n per profile."""
    frames = [gather_claims(p, root) for p in PROFILES]
    key = ["notebook", "reference", "claim", "kind"]
    out = None
    for prof, df in zip(PROFILES, frames):
        part = df[key + ["verdict", "n", "measured"]].rename(
            columns={"verdict": prof, "n": f"{prof}: n", "measured": f"{prof}: measured"})
        out = part if out is None else out.merge(part, on=key, how="outer")
    chapters = {n: i for i, n in enumerate(_chapter_modules())}
    seen: dict = {}
    for df in reversed(frames):  # each chapter's rows in the order its largest scale lists them
        for n, c in zip(df["notebook"], df["claim"]):
            seen.setdefault((n, c), len(seen))
    rank = [(chapters.get(n, 99), seen.get((n, c), 0)) for n, c in zip(out["notebook"], out["claim"])]
    out = out.iloc[sorted(range(len(out)), key=lambda i: rank[i])]
    for prof in PROFILES:
        out[prof] = out[prof].fillna("-")
        out[f"{prof}: n"] = out[f"{prof}: n"].map(lambda v: "-" if pd.isna(v) else str(int(v)))
        out[f"{prof}: measured"] = out[f"{prof}: measured"].fillna("-")
    return out.reset_index(drop=True)


__all__ = ["COLUMNS", "LARGEST", "Claim", "repo_root", "results_dir", "rows", "result_tables", "export", "record",
           "stored", "largest_profile", "gather_claims", "facts", "manifests", "scales"]
