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
from typing import Iterable

import pandas as pd

from igr_core._src import env as _env
from igr_core._src import store as _store
from igr_core._src.verdicts import Claim
from igr_core.book.display import PROFILES, check_profile, public, show_markdown, table_markdown
from igr_core.experiments import registry
from igr_core.experiments._params import LARGEST

COLUMNS = ["claim", "kind", "reference", "measured", "expected", "uncertainty", "n", "verdict", "why"]


repo_root = _store.repo_root  # where results/ lives (one definition, in the store)


def results_dir(profile: str, root: Path | None = None) -> Path:
    return _store.results_dir(check_profile(profile), root)


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
        out.append(
            {
                "notebook": notebook,
                "claim": c.claim,
                "kind": c.kind,
                "version": c.version,
                "reference": c.reference,
                "measured": public(measured),
                "expected": v.expected,
                "uncertainty": v.uncertainty,
                "n": int(v.n),
                "verdict": v.outcome.value,
                "why": public(v.why),
                "rule": v.rule,
                "value": _json_safe(v.value),
                "profile": profile,
            }
        )
    return out


def result_tables(results) -> dict[str, pd.DataFrame]:
    """Every table in a chapter's Results (DataFrame fields, and ``.metrics`` of sweep results)."""
    out = {}
    for name, v in results._asdict().items():
        if isinstance(v, pd.DataFrame):
            out[name] = v
        elif hasattr(v, "metrics") and isinstance(v.metrics, pd.DataFrame):
            out[f"{name}_metrics"] = v.metrics
    return out


def export(notebook: str, results) -> Path:
    """Write the chapter's result tables as CSV files in ``<notebook>_results.zip`` (offered for
    download on the chapter's page): in the pipeline's staging folder, published with the page."""
    import io
    import zipfile

    # the pipeline stages it (IGR_EXPORT_DIR) and publishes it with the page, its provenance and its fingerprint
    # outside the pipeline (plain papermill, Jupyter) under _build/exports/, never into the published book/executed/
    path = _env.export_dir() / f"{notebook}_results.zip"
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, df in result_tables(results).items():
            buf = io.StringIO()
            df.to_csv(buf, index=not isinstance(df.index, pd.RangeIndex))
            z.writestr(f"{notebook}/{name}.csv", buf.getvalue())
    return path


def record(
    notebook: str, claims: Iterable[Claim], profile: str, facts: dict | None = None, show: bool = True, results=None
) -> pd.DataFrame:
    """Show the chapter's verdict table (and, with ``results``, write its tables for download).
    The ledger itself reads the result store (:func:`gather_claims`), not this table."""
    if results is not None:
        export(notebook, results)
    df = pd.DataFrame(rows(notebook, claims, profile))[COLUMNS]
    if show:
        from igr_core.book.display import verdict_badge

        lead = pd.DataFrame(
            {
                "claim": df["claim"],
                "verdict": [verdict_badge(v) for v in df["verdict"]],
                "reference (kind)": [f"{r} ({k})" for r, k in zip(df["reference"], df["kind"])],
            }
        )
        show_markdown(table_markdown(lead))
        show_markdown(
            "```{admonition} Evidence: measured values, expected values, uncertainty, n and the reason for "
            "each verdict\n:class: dropdown\n\n" + table_markdown(df) + "\n```"
        )
    return df


UNUSABLE = "(the stored results of this chapter cannot be used)"


def stored(profile: str, notebook: str, root: Path | None = None):
    """(results, manifest) of a chapter's profile from the result store, or None when the store
    holds none for that profile's parameters. Stale (another results version or other data) or
    corrupt entries raise :class:`~igr_core._src.store.StaleResultsError` or
    :class:`~igr_core._src.store.CorruptResultsError` (never silently skipped)."""
    chapter = registry.get(notebook)
    params = chapter.resolve(profile)
    path = _store.lookup(chapter, params, results_dir(profile, root))
    if path is None:
        return None
    got = _store.read(chapter, path)
    return got.results, got.manifest


def shortfall(profile: str, notebook: str, root: Path | None = None) -> str:
    """Why a chapter's stored results at ``profile`` cannot decide its claims ("" when they can)."""
    got = stored(profile, notebook, root)
    return "no stored results" if got is None else registry.get(notebook).shortfall(got[0])


def stored_profiles(notebook: str, root: Path | None = None) -> list[str]:
    """The profiles holding an entry for a chapter's parameters, whatever its results version."""
    chapter = registry.get(notebook)
    return [p for p in PROFILES if _store.lookup(chapter, chapter.resolve(p), results_dir(p, root)) is not None]


def largest_profile(notebook: str, root: Path | None = None) -> str | None:
    """The profile a chapter publishes: the largest whose stored results pass the chapter's
    adequacy gates (``Chapter.shortfall``); where none passes, the largest stored. An entry that
    is stale or unreadable is returned as it is, so that the page refuses it loudly instead of
    a smaller scale replacing it silently. None: no results stored."""
    have = stored_profiles(notebook, root)
    for profile in reversed(have):
        try:
            if not shortfall(profile, notebook, root):
                return profile
        except (_store.StaleResultsError, _store.CorruptResultsError):
            return profile
    return have[-1] if have else None


def _profiles_of(profile: str, notebook: str, root) -> list[str]:
    if profile == LARGEST:
        best = largest_profile(notebook, root)
        return [best] if best else []
    return [check_profile(profile)]


def _unusable_row(notebook: str, profile: str, err: Exception) -> dict:
    """The ledger's row for a chapter whose stored results are stale or unreadable: it says so."""
    return {
        "notebook": notebook,
        "claim": UNUSABLE,
        "kind": "consistency check",
        "version": "both",
        "reference": "result store",
        "measured": type(err).__name__,
        "expected": "usable stored results",
        "uncertainty": "",
        "n": 0,
        "verdict": "inconclusive",
        "why": public(str(err)),
        "rule": "store",
        "value": None,
        "profile": profile,
    }


def gather_claims(profile: str, root: Path | None = None) -> pd.DataFrame:
    """Every verdict row computed from the result store, in chapter order: the rows of one
    profile, or with ``profile="largest"`` each chapter at the profile it publishes. A chapter
    whose stored results are stale or unreadable gets one row saying so; the others go on."""
    out = []
    for chapter in registry.CHAPTERS:
        for prof in _profiles_of(profile, chapter.name, root):
            try:
                got = stored(prof, chapter.name, root)
            except (_store.StaleResultsError, _store.CorruptResultsError) as err:
                out.append(_unusable_row(chapter.name, prof, err))
                continue
            if got is not None:
                out += rows(chapter.name, chapter.claims(got[0]), prof)
    return pd.DataFrame(out, columns=["notebook", *COLUMNS, "version", "rule", "value", "profile"])


def facts(profile: str, notebook: str, root: Path | None = None) -> dict:
    """The named numbers a chapter's stored results give (for the errata page)."""
    for prof in _profiles_of(profile, notebook, root):
        got = stored(prof, notebook, root)
        if got is not None:
            return {k: _json_safe(v) for k, v in registry.get(notebook).facts(got[0]).items()}
    raise FileNotFoundError(
        f"no stored results for notebook {notebook!r} at profile {profile!r}: execute that chapter first"
    )


def execution_records(out_dir: Path | None = None) -> list[dict]:
    """The execution record of every page of one build (its ``<page>.hash.json``): the build the
    page itself belongs to (``$IGR_EXECUTED_DIR``, set by the pipeline), else the published one."""
    out_dir = Path(out_dir or os.environ.get("IGR_EXECUTED_DIR") or repo_root() / "book" / "executed")
    out = []
    for f in sorted(out_dir.glob("*.hash.json")):
        rec = json.loads(f.read_text()).get("record")
        if rec:
            out.append(rec)
    return out


def manifests(root: Path | None = None) -> list[dict]:
    """The manifest of every chapter's stored results at every profile (what computed them)."""
    out = []
    for chapter in registry.CHAPTERS:
        for prof in PROFILES:
            try:
                got = stored(prof, chapter.name, root)
            except (_store.StaleResultsError, _store.CorruptResultsError):
                continue  # the ledger shows these as unusable rows
            if got is not None:
                out.append({**got[1], "profile": prof})
    return out


def scales(root: Path | None = None) -> pd.DataFrame:
    """Each claim at every profile computed: one row per claim, a verdict and n per profile, and
    the profile the published book shows its chapter at (``published``)."""
    frames = [gather_claims(p, root) for p in PROFILES]
    key = ["notebook", "reference", "claim", "kind"]
    out = None
    for prof, df in zip(PROFILES, frames):
        part = df[key + ["verdict", "n", "measured"]].rename(
            columns={"verdict": prof, "n": f"{prof}: n", "measured": f"{prof}: measured"}
        )
        out = part if out is None else out.merge(part, on=key, how="outer")
    chapters = {n: i for i, n in enumerate(registry.NAMES)}
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
    published = {n: largest_profile(n, root) for n in set(out["notebook"])}
    out["published"] = out["notebook"].map(published)  # the scale the book shows the chapter at
    return out.reset_index(drop=True)


__all__ = [
    "COLUMNS",
    "LARGEST",
    "UNUSABLE",
    "Claim",
    "repo_root",
    "results_dir",
    "rows",
    "result_tables",
    "export",
    "record",
    "execution_records",
    "stored",
    "shortfall",
    "stored_profiles",
    "largest_profile",
    "gather_claims",
    "facts",
    "manifests",
    "scales",
]
