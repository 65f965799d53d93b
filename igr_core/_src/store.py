"""The result store: every chapter's results, persisted with provenance and reloaded to re-plot.

Abstraction: a chapter's ``Results`` (a NamedTuple of typed tables, arrays and numbers) lives
in one folder ``<results>/<profile>/<chapter>/<key>/``, where ``key`` hashes the chapter's
parameters (minus execution-only fields such as ``strategy``). The folder holds

* ``manifest.json`` -- the chapter, its results version, the parameters, the data
  fingerprint, the provenance (device, library versions, wall time, git commit, data source),
  the structure of the results (which field is which table, array or number; records named by
  their registered type names, :data:`COMMON_TYPES` and :meth:`Chapter.types`), the sha256 of
  every file beside it (``files``) and of the content (``content``);
* ``tables/<field>.parquet`` -- every ``pandas.DataFrame``;
* ``arrays.npz`` -- every array.

Guarantees (each tested in ``tests/test_faults.py``):

* nothing computed is lost: an entry is written into a fresh folder and swapped in only when
  complete, so an interrupted run, a recompute or a failed write leaves the previous entry intact;
  long chapters save parts as they finish (:class:`Parts`, ``<key>.parts/``) and resume from them;
* nothing is silently swapped: stored results of another results version or other data raise
  :class:`StaleResultsError` (chapter, both versions, how to recompute); a file whose content hash
  does not match its manifest raises :class:`CorruptResultsError` (the file and the fix); a
  recompute that reproduces the stored content keeps the stored files (and their provenance);
* one writer per entry: a lock file ``<key>.lock`` (``fcntl``) makes a second writer wait for
  the first and then reuse what it stored;
* a results folder that cannot be written stops the run before any compute.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any, Callable, Mapping, NamedTuple

import numpy as np

from igr_core._src.codec import (
    LEGACY_NAMES,
    MANIFEST,
    VOLATILE,
    CorruptResultsError,
    Reader,
    Writer,
    common_types,
    plain,
    sha256,
    stable,
    type_table,
)

EXECUTION_ONLY = ("profile", "strategy", "train_missing")  # how a result is computed, not what it is
RECOMPUTE_ENV = "IGR_RECOMPUTE"
STORE_FORMAT = 2  # 2: records by registered names, file and content hashes; 1: module qualnames, no hashes


class StaleResultsError(RuntimeError):
    """Stored results that the current code would not compute (results version or data differ)."""


class StoreNotWritableError(PermissionError):
    """The results folder cannot be written: refused before any compute."""


def _fresh(target: Path, tag: str) -> Path:
    """A folder beside ``target`` unique to this writer (process and call)."""
    return target.with_name(f"{target.name}.{tag}-{os.getpid()}-{uuid.uuid4().hex[:8]}")


def _swap_in(tmp: Path, target: Path) -> None:
    """Put the complete folder ``tmp`` at ``target``; the old entry is moved aside first and removed
    only after the new one is in place (a crash in between leaves it beside, :func:`recover`)."""
    old = None
    if target.exists():
        old = _fresh(target, "old")
        target.rename(old)
    tmp.rename(target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def recover(target: Path) -> None:
    """An entry moved aside by an interrupted :func:`_swap_in` is put back."""
    if (target / MANIFEST).exists():
        return
    olds = sorted(target.parent.glob(f"{target.name}.old-*"), key=lambda p: p.stat().st_mtime)
    if olds and (olds[-1] / MANIFEST).exists():
        if target.exists():
            shutil.rmtree(target)
        olds[-1].rename(target)


def save(folder: Path, value, manifest: dict, types: Mapping[str, type] | None = None) -> dict:
    """Write ``value`` (a chapter's Results, or any part of one) and ``manifest`` to ``folder``,
    atomically (a fresh folder swapped in when complete). Returns the manifest written."""
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    names = {t: n for n, t in (types or type_table()).items()}
    tmp = _fresh(folder, "tmp")
    tmp.mkdir()
    try:
        w = Writer(tmp, names)
        structure = w.encode(value, "results")
        if w.arrays:
            np.savez(tmp / "arrays.npz", **w.arrays)
        files = {p.relative_to(tmp).as_posix(): sha256(p) for p in sorted(tmp.rglob("*")) if p.is_file()}
        w.content.update(json.dumps(stable(structure), sort_keys=True, default=str).encode())
        full = {
            **manifest,
            "format": STORE_FORMAT,
            "files": files,
            "content": w.content.hexdigest()[:32],
            "structure": structure,
        }
        (tmp / MANIFEST).write_text(json.dumps(full, indent=1, default=str))
        _swap_in(tmp, folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return full


def read_manifest(folder: Path, chapter_name: str = "") -> dict:
    path = Path(folder) / MANIFEST
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise CorruptResultsError(
            f"chapter {chapter_name or '?'}: the manifest {path} cannot be read ({type(err).__name__}); recompute the "
            f"entry (`python -m igr_core.experiments {chapter_name or '<chapter>'} --recompute`) or restore it "
            "from git."
        ) from None


def load(folder: Path, chapter=None):
    """(value, manifest) stored by :func:`save`; every file is checked against its content hash."""
    folder = Path(folder)
    name = chapter.name if chapter is not None else "?"
    manifest = read_manifest(folder, name)
    files = manifest.get("files") if manifest.get("format", 1) >= 2 else None
    reader = Reader(folder, type_table(chapter), name, files)
    return reader.decode(manifest["structure"]), manifest


def migrate(folder: Path, chapter) -> bool:
    """Rewrite a format-1 entry in the current format (registered type names, content hashes),
    keeping its provenance; returns whether it changed anything."""
    manifest = read_manifest(folder, chapter.name)
    if manifest.get("format", 1) >= STORE_FORMAT:
        return False
    value, manifest = load(folder, chapter)
    keep = {k: v for k, v in manifest.items() if k not in ("structure", "files", "content", "format")}
    save(folder, value, keep, type_table(chapter))
    return True


# ---------------------------------------------------------------------------- keys and provenance


def repo_root() -> Path:
    """Where ``results/`` lives: ``$IGR_ROOT`` if set (the book pipeline sets it for its
    kernels), else the working directory. The one such function of the package."""
    return Path(os.environ.get("IGR_ROOT", Path.cwd()))


def results_dir(profile: str, root: Path | None = None) -> Path:
    """``<root>/results/<profile>``: the one place that builds that path."""
    return Path(root or repo_root()) / "results" / profile


def params_key(params) -> str:
    """12 hex digits of the parameters that determine the results."""
    d = params.as_dict() if hasattr(params, "as_dict") else dataclasses.asdict(params)
    d = {k: plain(v) for k, v in d.items() if k not in EXECUTION_ONLY}
    return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()[:12]


def git_commit(root: Path | None = None) -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root or Path.cwd(), capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def library_versions(packages=("jax", "jaxlib", "dm-haiku", "optax", "numpy", "pandas")) -> dict:
    from importlib import metadata

    out = {}
    for pkg in packages:
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def device() -> dict:
    import jax

    dev = jax.devices()[0]
    return {
        "device": getattr(dev, "device_kind", str(dev)),
        "backend": jax.default_backend(),
        "n_devices": len(jax.devices()),
        "machine": platform.machine(),
        "x64": bool(jax.config.jax_enable_x64),
    }


def provenance(seconds: float, data_source: str = "", root: Path | None = None) -> dict:
    return {
        **device(),
        "versions": library_versions(),
        "seconds": round(float(seconds), 2),
        "git_commit": git_commit(root),
        "data_source": data_source,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }


# ---------------------------------------------------------------------------- parts of a long run


class Parts:
    """Named parts of one chapter's computation, saved as each finishes, so that a run that is
    interrupted resumes from the parts it finished. ``parts(name, fn)`` returns ``fn()`` and
    saves it, or the saved value. Parts are kept per results version."""

    def __init__(self, folder: Path | None, version: int, log: Callable | None = None, types=None):
        self.folder, self.version, self.log = (Path(folder) if folder else None), version, log
        self.types = types
        self.reused: list[str] = []

    def __call__(self, name: str, fn: Callable[[], Any]):
        if self.folder is None:
            return fn()
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
        path = self.folder / safe
        if (path / MANIFEST).exists():
            try:
                value, manifest = load(path)
            except CorruptResultsError:
                value, manifest = None, {}  # a damaged part is recomputed
            if manifest.get("results_version") == self.version:
                self.reused.append(name)
                return value
        value = fn()
        save(path, value, {"part": name, "results_version": self.version}, self.types)
        if self.log:
            self.log(f"saved part {name}")
        return value


def no_parts(name: str, fn: Callable[[], Any]):
    """The :class:`Parts` protocol without saving (a chapter run outside the store)."""
    return fn()


# ---------------------------------------------------------------------------- the store


class Stored(NamedTuple):
    results: Any
    manifest: dict
    path: Path
    computed: bool  # True when this call computed the results, False when it read them


def entry_dir(results_dir: Path, chapter, params) -> Path:
    return Path(results_dir) / chapter.name / params_key(params)


def _data_source(results) -> str:
    for name in ("data_source", "source"):
        v = getattr(results, name, None)
        if isinstance(v, str):
            return v
    return ""


def _content(fingerprint: dict) -> dict:
    """What a data fingerprint says the data is (sizes and hash), not where it was read from: the
    same Fashion-MNIST files under another folder (a GPU machine's copy) are the same data."""
    return {k: v for k, v in fingerprint.items() if k != "source"}


def how_to_recompute(chapter_name: str, profile: str) -> str:
    return (
        f"recompute with `python -m igr_core.experiments {chapter_name} --profile {profile} --recompute`, "
        f"`python -m igr_core.book execute {chapter_name} --recompute --profile {profile}` or `make book FORCE=1`"
    )


def check_manifest(chapter, manifest: dict, path: Path, data: dict | None) -> None:
    how = how_to_recompute(chapter.name, path.parent.parent.name)
    if manifest.get("results_version") != chapter.results_version:
        raise StaleResultsError(
            f"chapter {chapter.name}: the stored results at {path} have results version "
            f"{manifest.get('results_version')}, the code computes version {chapter.results_version}; they are not "
            f"reused. To {how}."
        )
    stored = manifest.get("data")
    if data is not None and stored is not None and _content(stored) != _content(data):
        raise StaleResultsError(
            f"chapter {chapter.name}: the stored results at {path} were computed on other data "
            f"({manifest.get('data')}) than this machine has ({data}); they are not reused. To {how}."
        )


def lookup(chapter, params, results_dir: Path) -> Path | None:
    """The folder of the stored results of ``params`` (whatever their version), or None."""
    path = entry_dir(results_dir, chapter, params)
    recover(path)
    return path if (path / MANIFEST).exists() else None


def check_writable(results_dir: Path) -> None:
    """Refuse, before any compute, a results folder this process cannot write."""
    results_dir = Path(results_dir)
    probe = None
    try:
        results_dir.mkdir(parents=True, exist_ok=True)
        probe = results_dir / f".write-probe-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        probe.write_text("")
    except OSError as err:
        raise StoreNotWritableError(
            f"the results folder {results_dir} cannot be written ({err.strerror or err}); nothing was computed. "
            "Make it writable, or set IGR_ROOT to a writable checkout."
        ) from None
    finally:
        if probe is not None:
            probe.unlink(missing_ok=True)


@contextlib.contextmanager
def writer_lock(path: Path, log: Callable | None = None):
    """One writer per entry: an exclusive ``fcntl`` lock on ``<entry>.lock``; a second writer
    says whom it waits for and waits."""
    import fcntl

    lock = path.with_name(path.name + ".lock")
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "a+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            holder = f.read().strip() or "another process"
            msg = f"{path.parent.name}: waiting for {holder}, which is computing this entry ({lock})"
            (log or (lambda s: print(s, file=sys.stderr, flush=True)))(msg)
            fcntl.flock(f, fcntl.LOCK_EX)
        f.seek(0)
        f.truncate()
        f.write(f"pid {os.getpid()}")
        f.flush()
        try:
            yield
        finally:
            f.seek(0)
            f.truncate()
            fcntl.flock(f, fcntl.LOCK_UN)


def read(chapter, path: Path, data: dict | None = None) -> Stored | None:
    """The stored entry at ``path`` checked (version, data, hashes), or None where there is none."""
    if not (path / MANIFEST).exists():
        return None
    manifest = read_manifest(path, chapter.name)
    check_manifest(chapter, manifest, path, data)
    results, manifest = load(path, chapter)
    return Stored(results, manifest, path, False)


def run(
    chapter,
    params,
    results_dir: Path,
    *,
    recompute: bool | None = None,
    log: Callable | None = None,
    root: Path | None = None,
) -> Stored:
    """The chapter's results for ``params``: read from the store, or computed, saved and read back.

    ``chapter`` is a :class:`~igr_core._src.contract.Chapter`. ``results_dir`` is
    ``results/<profile>``; sweeps keep their resumable checkpoints under its ``sweeps/``.
    Results that a run could not complete here (``is_complete`` false: a grid that is not
    stored and may not be trained on this machine) are returned but not stored. A recompute
    computes first and swaps the new entry in only when it is complete."""
    results_dir = Path(results_dir)
    if recompute is None:
        recompute = os.environ.get(RECOMPUTE_ENV, "") == "1"
    if chapter.x64:  # the one switch for every caller through the store (page, command line), read or compute
        import jax

        jax.config.update("jax_enable_x64", True)
    path = entry_dir(results_dir, chapter, params)
    recover(path)
    data = chapter.data_fingerprint(params) if chapter.data_fingerprint is not None else None
    if not recompute:
        got = read(chapter, path, data)
        if got is not None and (chapter.can_fill is None or not chapter.can_fill(params, got.results)):
            return got
    check_writable(results_dir)
    with writer_lock(path, log):
        if not recompute:  # another writer may have stored it while this one waited
            got = read(chapter, path, data)
            if got is not None and (chapter.can_fill is None or not chapter.can_fill(params, got.results)):
                return got
            if got is not None and log:
                log(f"{chapter.name}: the stored results lack parts that this machine may compute; computing them")
        types = type_table(chapter)
        offers = {
            "results_dir": results_dir / "sweeps",
            "log": log,
            "parts": Parts(path.with_name(path.name + ".parts"), chapter.results_version, log, types),
        }
        kwargs = {k: v for k, v in offers.items() if k in chapter.run_arguments()}
        t0 = time.perf_counter()
        results = chapter.run(params, **kwargs)
        seconds = time.perf_counter() - t0
        manifest = {
            "chapter": chapter.name,
            "results_version": chapter.results_version,
            "key": path.name,
            "params": params.as_dict(),
            "data": data,
            "provenance": provenance(seconds, _data_source(results), root),
        }
        if not chapter.is_complete(results):
            return Stored(results, {**manifest, "incomplete": True}, path, True)
        if not _save_unless_unchanged(path, results, manifest, types, chapter) and log:
            log(f"{chapter.name}: the recomputed results equal the stored ones; the stored files are kept")
        shutil.rmtree(path.with_name(path.name + ".parts"), ignore_errors=True)
        loaded, manifest = load(path, chapter)
        return Stored(loaded, manifest, path, True)


def _save_unless_unchanged(path: Path, results, manifest: dict, types, chapter) -> bool:
    """Save, unless the stored entry holds the same content and parameters (a recompute that
    reproduced it): then its files, and the provenance of the run that made them, stay. Returns
    whether anything was written."""
    new_dir = _fresh(path, "new")
    written = save(new_dir, results, manifest, types)
    try:
        old = read_manifest(path, chapter.name) if (path / MANIFEST).exists() else None
    except CorruptResultsError:
        old = None
    same = (
        old is not None
        and old.get("content") == written["content"]
        and old.get("params") == written["params"]
        and old.get("results_version") == written["results_version"]
        and old.get("data") == written["data"]
    )
    if same:
        try:
            load(path, chapter)  # the old files are intact too
        except CorruptResultsError:
            same = False
    if same:
        shutil.rmtree(new_dir, ignore_errors=True)
        return False
    _swap_in(new_dir, path)
    return True


__all__ = [
    "repo_root",
    "results_dir",
    "plain",
    "MANIFEST",
    "EXECUTION_ONLY",
    "RECOMPUTE_ENV",
    "STORE_FORMAT",
    "VOLATILE",
    "StaleResultsError",
    "CorruptResultsError",
    "StoreNotWritableError",
    "common_types",
    "type_table",
    "LEGACY_NAMES",
    "Parts",
    "no_parts",
    "Stored",
    "save",
    "load",
    "read_manifest",
    "migrate",
    "recover",
    "params_key",
    "provenance",
    "git_commit",
    "library_versions",
    "device",
    "entry_dir",
    "check_manifest",
    "check_writable",
    "writer_lock",
    "how_to_recompute",
    "lookup",
    "read",
    "run",
]
