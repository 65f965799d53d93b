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
import re
from pathlib import Path
from typing import Iterable

import pandas as pd

from igr_core._src import env as _env
from igr_core._src import store as _store
from igr_core._src.verdicts import Claim, Outcome
from igr_core.book.display import PROFILES, check_profile, public, show_markdown
from igr_core.experiments import registry
from igr_core.experiments._params import LARGEST

COLUMNS = ["claim", "kind", "reference", "measured", "expected", "uncertainty", "n", "verdict", "why"]
# the evidence of a row as fields (the pages render these, never a parsed string)
EVIDENCE = [
    "id",
    "note",
    "statistic",
    "value",
    "lo",
    "hi",
    "p",
    "threshold",
    "quote",
    "source",
    "where",
    "history",
    "timing",
]


repo_root = _store.repo_root  # where results/ lives (one definition, in the store)


def results_dir(profile: str, root: Path | None = None) -> Path:
    return _store.results_dir(check_profile(profile), root)


def _json_safe(v):
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if hasattr(v, "item"):
        return _json_safe(v.item())
    return v


def claim_id(notebook: str, claim: Claim) -> str:
    """A row's stable id: its declaration's (``06.max-acc-rises-with-h``), else one made from the
    chapter and the claim's words (rows not yet declared)."""
    if claim.id:
        return claim.id
    words = re.sub(r"[^a-z0-9]+", "-", claim.claim.lower()).strip("-")
    return f"{notebook[:2]}.{words[:48].rstrip('-') or 'row'}"


def anchor(cid: str) -> str:
    """The HTML id of a row's evidence on its chapter's page and on the ledger (``claim-06-max-acc``)."""
    return "claim-" + re.sub(r"[^A-Za-z0-9_-]+", "-", cid)


def _number(v) -> float:
    v = _json_safe(v)
    return float("nan") if v is None else float(v)


def rows(notebook: str, claims: Iterable[Claim], profile: str, computed: str | None = None) -> list[dict]:
    """The ledger's rows of one chapter: the claim's words, its declaration (quote, source, where,
    history, and with ``computed``, the date of the results, whether the test was declared before
    them) and its verdict's evidence as fields (statistic, value, interval, p, threshold, n)."""
    out = []
    for c in claims:
        v = c.checked().verdict
        d = c.declaration
        lo, hi = v.interval if len(v.interval) == 2 else (float("nan"), float("nan"))
        out.append(
            {
                "notebook": notebook,
                "id": claim_id(notebook, c),
                "claim": c.claim,
                "kind": c.kind,
                "version": c.version,
                "reference": c.reference,
                "measured": public(v.measured),
                "note": public(c.note),
                "expected": v.expected,
                "uncertainty": v.uncertainty,
                "n": int(v.n),
                "verdict": v.outcome.value,
                "why": public(v.why),
                "rule": v.rule,
                "value": _json_safe(v.value),
                "statistic": v.statistic,
                "lo": _number(lo),
                "hi": _number(hi),
                "p": _number(v.p),
                "threshold": _number(v.threshold),
                "quote": d.quote if d is not None else "",
                "source": d.source if d is not None else "",
                "where": d.where if d is not None else "",
                "history": [h.sentence() for h in d.history] if d is not None else [],
                "timing": d.timing(computed) if d is not None and computed else "",
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
    """Show the chapter's evidence, one card per row (and, with ``results``, write its tables for
    download). The ledger itself reads the result store (:func:`gather_claims`), not these cards."""
    if results is not None:
        export(notebook, results)
    try:
        got = stored(profile, notebook)
    except (_store.StaleResultsError, _store.CorruptResultsError, ValueError):
        got = None
    full = pd.DataFrame(rows(notebook, claims, profile, _date(got[1]) if got else None))
    if show:
        from igr_core.book.cards import evidence_markdown

        show_markdown(evidence_markdown(full))
    return full[COLUMNS]


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


def _date(manifest: dict | None) -> str:
    """When a chapter's stored results were computed (its manifest's date), "" when unknown."""
    return ((manifest or {}).get("provenance") or {}).get("date") or ""


def _unusable_row(notebook: str, profile: str, err: Exception) -> dict:
    """The ledger's row for a chapter whose stored results are stale or unreadable: it says so."""
    return {
        **{k: "" for k in EVIDENCE},
        "history": [],
        "id": f"{notebook[:2]}.stored-results-unusable",
        "notebook": notebook,
        "claim": UNUSABLE,
        "kind": "consistency check",
        "version": "both",
        "reference": "result store",
        "measured": type(err).__name__,
        "expected": "usable stored results",
        "uncertainty": "",
        "n": 0,
        "verdict": Outcome.INCONCLUSIVE.value,
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
                out += rows(chapter.name, chapter.claims(got[0]), prof, _date(got[1]))
    return pd.DataFrame(out, columns=["notebook", *COLUMNS, "version", "rule", "profile", *EVIDENCE])


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
    out_dir = Path(out_dir) if out_dir else _env.executed_dir()
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
                trained = "; ".join(t for t in (sweeps_trained(got[0]), carried_over(got[1])) if t)
                out.append({**got[1], "profile": prof, "trained": trained})
    return out


def carried_over(manifest: dict) -> str:
    """Parts of an entry taken unchanged from an earlier entry (provenance ``carried_over``), in
    words: which, and where and when they were computed ('' when none)."""
    c = (manifest.get("provenance") or {}).get("carried_over")
    if not isinstance(c, dict):
        return ""
    return (
        f"parts carried over from entry {c.get('from_entry', '?')}: {c.get('device', '?')} ({c.get('backend', '?')}), "
        f"{float(c.get('seconds') or 0):,.0f} s, {str(c.get('date', '?'))[:10]}"
    )


def sweeps_trained(results) -> str:
    """Where and how long the networks behind a chapter's results were trained, from the sweep
    caches' own provenance (``provenance.json`` beside each cache), '' when the results read no
    sweep cache. A chapter's manifest records the run that assembled the results, which for a
    chapter that re-assembles stored sweeps is seconds on whatever machine re-read them."""
    fields = getattr(results, "_fields", None) or list(getattr(results, "__dataclass_fields__", {}))
    by_device: dict[str, list] = {}
    for name in fields:
        prov = getattr(getattr(results, name, None), "provenance", None)
        if not isinstance(prov, dict):
            continue
        for v in prov.values():
            if isinstance(v, dict):
                key = f"{v.get('device', '?')} ({v.get('backend', '?')})"
                by_device.setdefault(key, []).append((float(v.get("seconds") or 0), str(v.get("date", "?"))[:10]))
    out = []
    for device, runs in by_device.items():
        dates = sorted({d for _, d in runs})
        when = dates[0] if len(dates) == 1 else f"{dates[0]} to {dates[-1]}"
        caches = f"{len(runs)} sweep caches, " if len(runs) > 1 else ""
        out.append(f"{device}: {caches}{sum(t for t, _ in runs):,.0f} s, {when}")
    return "; ".join(out)


def scales(root: Path | None = None) -> pd.DataFrame:
    """Each claim at every profile computed: one row per claim, a verdict and n per profile, and
    the profile the published book shows its chapter at (``published``)."""
    frames = [gather_claims(p, root) for p in PROFILES]
    key = ["notebook", "id", "reference", "claim", "kind"]
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


def _device_words(device: str) -> str:
    """A device as a reader says it: "a CPU", "one NVIDIA H200 GPU"."""
    if not device or device == "?":
        return "an unrecorded device"
    if device.lower() == "cpu":
        return "a CPU"
    name = device.replace(" 80GB HBM3", "")
    return f"one {name} GPU" if "gpu" not in name.lower() else f"one {name}"


def _span(values, fmt=lambda v: f"{v:g}") -> str:
    values = sorted(values)
    return fmt(values[0]) if len(values) == 1 else f"{fmt(values[0])} to {fmt(values[-1])}"


def scale_words(notebook: str, profile: str | None = None, root: Path | None = None) -> str:
    """The scale a chapter's verdicts were decided at, in words (the network, the data and its size,
    the steps, the hardware), read from its stored results at ``profile`` (default: the one it
    publishes): what a reader needs in place of a profile name. "" when nothing is stored."""
    profile = profile or largest_profile(notebook, root)
    got = stored(profile, notebook, root) if profile else None
    if got is None:
        return ""
    results, manifest = got
    p = results.params
    sweep = getattr(results, "sweep", None)
    provenance = dict(manifest.get("provenance") or {})
    if sweep is not None and getattr(sweep, "provenance", None):
        provenance = next(iter(sweep.provenance.values()))  # the device that trained the networks
    device = _device_words(provenance.get("device", ""))
    steps = int(sweep.metrics["step"].max()) if sweep is not None and len(sweep.metrics) else 0
    data = manifest.get("data") or {}
    n_train, n_test = getattr(results, "n_train", data.get("n_train")), getattr(results, "n_test", data.get("n_test"))
    if notebook == "05_mnist":
        return (
            f"MLPs of widths {_span(p.widths, lambda v: f'{v:,}')} trained on {n_train:,} training and {n_test:,} "
            f"test MNIST digits for up to {steps:,} steps, on {device}"
        )
    if notebook in ("06_resnet", "07_egr"):
        width = "the paper's width" if p.width == 1 else f"1/{round(1 / p.width)} of the paper's width"
        rates = getattr(p, "learning_rates", None) or [p.learning_rate]
        paper_rates = getattr(registry.get(notebook).resolve("paper"), "learning_rates", None) or []
        of = (
            f" ({len(rates)} of the paper's {len(paper_rates)})"
            if paper_rates and len(rates) != len(paper_rates)
            else ""
        )
        data_name = "Fashion-MNIST images standing in for CIFAR-10" if p.dataset != "cifar10" else "CIFAR-10 images"
        return (
            f"a ResNet-18 at {width} trained on {n_train:,} {data_name} (tested on {n_test:,}), learning "
            f"rate{'s' if len(rates) > 1 else ''} {', '.join(f'{h:g}' for h in rates)}{of}, {steps:,} steps, "
            f"on {device}"
        )
    if notebook == "01_theorem_checks":
        return (
            f"gradient descent on the two-parameter model and a tanh MLP ({' x '.join(map(str, p.hidden))}) on "
            f"{p.n_digits:,} MNIST digits, step sizes {_span(p.local_hs)}, in float64 on {device}"
        )
    from igr_core.experiments._params import describe

    return f"{describe(profile)}, on {device}"


def profiles_markdown(root: Path | None = None) -> str:
    """The intro's 'How to read it' list: each profile's description (its file's), the chapters
    it holds results for, and, where a chapter trains networks, its scale in words read from those
    results (:func:`scale_words`): no count on the page typed by hand."""
    from igr_core.experiments._params import describe

    lines = []
    for profile in PROFILES:
        have = [c.name for c in registry.CHAPTERS if profile in stored_profiles(c.name, root)]
        if not have:
            continue
        scales = []
        for nb in ("05_mnist", "06_resnet", "07_egr"):
            if nb in have:
                try:
                    words = scale_words(nb, profile, root)
                except (_store.StaleResultsError, _store.CorruptResultsError):
                    words = ""
                if words:
                    scales.append(f"{nb[:2]}: {words}")
        chapters = ", ".join(n[:2] for n in have)
        detail = f" Networks: {'; '.join(scales)}." if scales else ""
        lines.append(f"* `{profile}`: {describe(profile)}; results stored for chapters {chapters}.{detail}")
    return "\n".join(lines)


def errata_counts(root: Path | None = None) -> dict[str, int]:
    """The errata as the errata page counts them: its items (``###``) under each of its sections
    (``##``), by section title."""
    text = ((root or repo_root()) / "book" / "errata.md").read_text(encoding="utf-8")
    out: dict[str, int] = {}
    section = None
    for line in text.splitlines():
        if line.startswith("## "):
            section = line[3:].strip()
            out[section] = 0
        elif line.startswith("### ") and section is not None:
            out[section] += 1
    return out


ANSWER_CHAPTERS = ("01_theorem_checks", "05_mnist", "06_resnet", "07_egr")  # the chapters of the answer's headlines


def answer_context(root: Path | None = None) -> dict:
    """What the answer at the top of the book needs besides the ledger: each headline chapter's
    scale in words, the errata as their page counts them, and, for a chapter with a larger stored
    run that its gates refused, why that run could not decide."""
    scale = {nb: scale_words(nb, root=root) for nb in ANSWER_CHAPTERS}
    too_short = {}
    for nb in ANSWER_CHAPTERS:
        published, have = largest_profile(nb, root), stored_profiles(nb, root)
        larger = [q for q in have if PROFILES.index(q) > PROFILES.index(published)] if published else []
        for q in larger:
            why = shortfall(q, nb, root)
            if why:
                head = why.split("; ")[0]
                too_short[f"{nb}:{q}"] = f"the run of {scale_words(nb, q, root)} was too short to decide ({head})"
    return {"scale": scale, "errata": errata_counts(root), "too_short": too_short}


__all__ = [
    "COLUMNS",
    "EVIDENCE",
    "anchor",
    "claim_id",
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
    "scale_words",
    "errata_counts",
    "answer_context",
]
