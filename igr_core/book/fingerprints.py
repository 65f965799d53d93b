"""When a page must be re-executed (its fingerprint) and what its execution record holds."""

from __future__ import annotations

from pathlib import Path

from igr_core.book.toc import (
    EXECUTED,
    ROOT,
)


def _entry_files(chapter_dir: Path) -> list[Path]:
    """Every file of a chapter's stored entries (``<chapter>/<key>/...``); the leftovers of swaps
    (``<key>.old-*``, ``.tmp-*``, ``.new-*``), parts and locks are no entry and are left out."""
    return [f for d in chapter_dir.glob("*") if d.is_dir() and "." not in d.name for f in d.rglob("*") if f.is_file()]


def fingerprint(
    name: str,
    src: Path,
    params: dict,
    profile: str,
    root: Path = ROOT,
    out_dir: Path | None = None,
    results: Path | None = None,
) -> str:
    """What an executed notebook depends on: its source, its parameters (profile and
    overrides), the lock file, every module of ``igr_core``, and, for the pages that gather
    results (``book/``), the chapters' ledger entries. A change in any re-executes it.
    ``results`` is the results root the build reads (default ``<root>/results``)."""
    import hashlib
    import json

    results = Path(results) if results is not None else root / "results"
    out_dir = out_dir or root / EXECUTED
    h = hashlib.sha256()
    h.update(src.read_bytes())
    h.update(json.dumps(params, sort_keys=True, default=str).encode())
    lock = root / "constraints.txt"
    h.update(lock.read_bytes() if lock.exists() else b"no lock")
    pkg = Path(__file__).resolve().parents[1]
    for f in sorted(pkg.rglob("*.py")):
        h.update(f.relative_to(pkg).as_posix().encode())
        h.update(f.read_bytes())
    if src.parent.name == "book":  # pages that gather every chapter's stored results and execution records
        gathering = {p.stem for p in (root / "book").glob("*.md")}  # not each other's records: those change
        # as the pages of this stage finish, so a fresh clone would re-execute them every time
        records = [f for f in out_dir.glob("*.hash.json") if f.name[: -len(".hash.json")] not in gathering]
        # every chapter's entries (folders named like 05_mnist), not the sweeps' caches
        files = [f for d in results.glob("*/[0-9][0-9]_*") for f in _entry_files(d)] + records
    else:  # a chapter: every file of its stored results (a recomputed, deleted or corrupted file re-executes it)
        files = _entry_files(results / profile / name)
    for f in sorted(files):
        # named as before results roots existed (``results/...`` under the checkout): committed records still match
        label = Path("results", f.relative_to(results)) if f.is_relative_to(results) else f.relative_to(root)
        h.update(label.as_posix().encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:16]


def _reusable(name: str, key: str, profile: str, out_dir: Path) -> bool:
    """Whether the page's record matches ``key`` and was written for the page and zip in place."""
    import json

    from igr_core._src.codec import sha256

    out, meta = out_dir / f"{name}.ipynb", out_dir / f"{name}.hash.json"
    if not (out.exists() and meta.exists()):
        return False
    try:
        saved = json.loads(meta.read_text())
    except (OSError, ValueError):
        return False
    if not (isinstance(saved, dict) and saved.get("fingerprint") == key and saved.get("profile") == profile):
        return False
    # the record counts only for the page (and zip) it was written with: a page replaced after it is rebuilt
    zips = saved.get("zips")
    return (
        saved.get("page_sha256") == sha256(out)
        and isinstance(zips, dict)
        and all((out_dir / z).exists() and sha256(out_dir / z) == h for z, h in zips.items())
        and {p.name for p in out_dir.glob(f"{name}_results.zip")} <= set(zips)
    )


def _record(root: Path, name: str, profile: str, params: dict, seconds: float, key: str) -> dict:
    """Provenance of one execution (read by the generated "How this book was made" page): profile,
    parameters, wall time, devices, library versions, commit, hash of the lock file, fingerprint."""
    import datetime
    import hashlib

    import jax

    from igr_core._src import store

    lock = root / "constraints.txt"
    return {
        "notebook": name,
        "profile": profile,
        "parameters": params,
        "seconds": round(seconds, 1),
        "devices": [str(d) for d in jax.devices()],
        "versions": store.library_versions(("jax", "jaxlib", "dm-haiku", "optax", "jupyter-book", "papermill")),
        "git_commit": store.git_commit(root),
        "constraints_sha256": hashlib.sha256(lock.read_bytes()).hexdigest()[:16] if lock.exists() else "",
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "fingerprint": key,
    }
