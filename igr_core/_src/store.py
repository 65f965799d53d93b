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
import errno
import hashlib
import json
import os
import shutil
import sys
import uuid
from pathlib import Path
from typing import Any, Callable, Mapping, NamedTuple

import numpy as np

from igr_core._src import env
from igr_core._src.codec import (
    MANIFEST,
    VOLATILE,
    CorruptResultsError,
    Reader,
    Writer,
    plain,
    register,
    sha256,
    stable,
    type_table,
    validate_manifest,
)
from igr_core._src.provenance import device, git_commit, library_versions, provenance

EXECUTION_ONLY = ("profile", "strategy", "train_missing")  # how a result is computed, not what it is
RECOMPUTE_ENV = env.RECOMPUTE
STORE_FORMAT = 2  # records by registered names, file and content hashes (the only format committed)
MIN_FREE_BYTES = 64 << 20  # free space required before a compute whose entry size is not known yet


class StaleResultsError(RuntimeError):
    """Stored results that the current code would not compute (results version or data differ)."""


class StoreNotWritableError(PermissionError):
    """The results folder cannot be written: refused before any compute."""


def _fresh(target: Path, tag: str) -> Path:
    """A folder beside ``target`` unique to this writer (process and call): ``<target>.<tag>-<pid>-<hex>``."""
    return target.with_name(f"{target.name}.{tag}-{os.getpid()}-{uuid.uuid4().hex[:8]}")


def _aside(tmp: Path, target: Path) -> Path:
    """Where :func:`_swap_in` moves the old entry: named after the new folder (same pid and hex), so
    :func:`recover` can tell a swap that was cut (the new folder is still beside) from a leftover."""
    return target.with_name(f"{target.name}.old-{tmp.name.rsplit('-', 2)[-2]}-{tmp.name.rsplit('-', 1)[-1]}")


def _swap_in(tmp: Path, target: Path) -> None:
    """Put the complete folder ``tmp`` at ``target``; the old entry is moved aside first and removed
    only after the new one is in place (a crash in between leaves both beside, :func:`recover`)."""
    old = None
    if target.exists():
        old = _aside(tmp, target)
        target.rename(old)
    tmp.rename(target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _writer_pid(folder: Path) -> int | None:
    try:
        return int(folder.name.rsplit("-", 2)[-2])
    except (ValueError, IndexError):
        return None


def _alive(pid: int | None) -> bool:
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def swap_leftovers(target: Path) -> list[Path]:
    """The ``.tmp-*``, ``.new-*`` and ``.old-*`` folders beside ``target``."""
    return [p for tag in ("tmp", "new", "old") for p in target.parent.glob(f"{target.name}.{tag}-*")]


def recover(target: Path) -> None:
    """An entry moved aside by a cut :func:`_swap_in` (its new folder still beside, its writer dead) is
    put back; leftovers of dead writers (an ``.old-*`` whose swap completed, a half-written ``.tmp-*``)
    are removed, so a deleted entry never comes back from an ``.old-*`` folder. A read-only folder is
    left as it is (nothing there is read)."""
    try:
        for old in sorted(target.parent.glob(f"{target.name}.old-*")):
            suffix = old.name.split(".old-", 1)[1]
            partners = [target.with_name(f"{target.name}.{tag}-{suffix}") for tag in ("tmp", "new")]
            cut = any(p.exists() for p in partners) and not _alive(_writer_pid(old))
            if cut and not (target / MANIFEST).exists() and (old / MANIFEST).exists():
                shutil.rmtree(target, ignore_errors=True)
                old.rename(target)
            elif not _alive(_writer_pid(old)):
                shutil.rmtree(old, ignore_errors=True)
        for tmp in target.parent.glob(f"{target.name}.tmp-*"), target.parent.glob(f"{target.name}.new-*"):
            for t in tmp:
                if not _alive(_writer_pid(t)):
                    shutil.rmtree(t, ignore_errors=True)
    except OSError as err:
        if err.errno not in (errno.EROFS, errno.EACCES, errno.EPERM):
            raise


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
    """The manifest of an entry, validated against the store's schema (:func:`codec.validate_manifest`)
    before any of it is used; anything else raises :class:`CorruptResultsError` naming the file."""
    path = Path(folder) / MANIFEST
    fix = (
        f"recompute the entry (`python -m igr_core.experiments {chapter_name or '<chapter>'} --recompute`) or "
        f"restore it from git (`git checkout -- {path.parent}`)"
    )
    try:
        manifest = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise CorruptResultsError(
            f"chapter {chapter_name or '?'}: the manifest {path} cannot be read ({type(err).__name__}); {fix}."
        ) from None
    problem = validate_manifest(manifest, STORE_FORMAT)
    if problem:
        raise CorruptResultsError(
            f"chapter {chapter_name or '?'}: the manifest {path} is not a valid result manifest ({problem}); the "
            f"entry is not used. To fix it, {fix}."
        )
    return manifest


def load(folder: Path, chapter=None):
    """(value, manifest) stored by :func:`save`; the manifest is validated and every file is checked
    against its content hash."""
    folder = Path(folder)
    name = chapter.name if chapter is not None else "?"
    manifest = read_manifest(folder, name)
    reader = Reader(folder, type_table(chapter), name, manifest["files"])
    return reader.decode(manifest["structure"]), manifest


# ---------------------------------------------------------------------------- keys and where results live


def repo_root() -> Path:
    """Where ``results/`` lives: ``$IGR_ROOT`` if set (the book pipeline sets it for its
    kernels), else the working directory (:func:`igr_core._src.env.repo_root`)."""
    return env.repo_root()


def results_dir(profile: str, root: Path | None = None) -> Path:
    """``<results root>/<profile>``: the one place that builds that path. The results root is
    ``<root>/results`` for an explicit ``root``, else ``$IGR_RESULTS`` (a build that computes into a
    results root of its own, such as CI's smoke build) or ``<$IGR_ROOT>/results``."""
    return (Path(root) / "results" if root is not None else env.results_root()) / profile


def params_key(params) -> str:
    """12 hex digits of the parameters that determine the results."""
    d = params.as_dict() if hasattr(params, "as_dict") else dataclasses.asdict(params)
    d = {k: plain(v) for k, v in d.items() if k not in EXECUTION_ONLY}
    return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()[:12]


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


def data_source_of(results) -> str:
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


class DiskFullError(StoreNotWritableError):
    """The disk holding the results folder has less free space than the entry needs."""


def _folder_bytes(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) if folder.is_dir() else 0


def expected_size(results_dir: Path, chapter_name: str = "") -> tuple[int, str]:
    """(bytes, why): twice the largest stored entry of ``chapter_name`` under ``results_dir`` (a
    recompute holds the old and the new entry at once) plus the sweep caches of this profile
    (``results_dir/sweeps``: a sweep's checkpoints and metrics, which a recompute of the chapter's
    sweeps writes again beside the old; the store cannot tell which of them are this chapter's, so
    all count), or :data:`MIN_FREE_BYTES` when that is less."""
    sizes = []
    if chapter_name:
        for manifest in Path(results_dir, chapter_name).glob("*/" + MANIFEST):
            sizes.append(_folder_bytes(manifest.parent))
    sweeps = _folder_bytes(Path(results_dir, "sweeps"))
    need = 2 * max(sizes, default=0) + sweeps
    if need < MIN_FREE_BYTES:
        return MIN_FREE_BYTES, f"the stated minimum of {MIN_FREE_BYTES >> 20} MiB"
    entry = f"twice its last stored entry of this profile ({max(sizes) >> 20} MiB)" if sizes else "no stored entry"
    return need, f"{entry} plus this profile's sweep caches ({sweeps >> 20} MiB)"


def _refuse(results_dir: Path, err: OSError) -> StoreNotWritableError:
    if err.errno == errno.EROFS:
        what = "is on a read-only filesystem"
    elif err.errno == errno.ENOSPC:
        return DiskFullError(
            f"the disk holding the results folder {results_dir} is full ({err.strerror}); nothing was computed. "
            "Free some space, or set IGR_RESULTS to a folder on another disk."
        )
    else:
        what = f"cannot be written ({err.strerror or err})"
    return StoreNotWritableError(
        f"the results folder {results_dir} {what}; nothing was computed. Make it writable, or set IGR_ROOT to a "
        "writable checkout (IGR_RESULTS to a writable results folder)."
    )


def check_writable(results_dir: Path, chapter_name: str = "") -> None:
    """Refuse, before any compute, a results folder this process cannot write (a read-only
    filesystem named as such) or whose disk lacks the space the entry will need (:func:`expected_size`)."""
    results_dir = Path(results_dir)
    probe = None
    try:
        results_dir.mkdir(parents=True, exist_ok=True)
        probe = results_dir / f".write-probe-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        probe.write_text("")
    except OSError as err:
        raise _refuse(results_dir, err) from None
    finally:
        if probe is not None:
            probe.unlink(missing_ok=True)
    need, why = expected_size(results_dir, chapter_name)
    free = shutil.disk_usage(results_dir).free
    if free < need:
        raise DiskFullError(
            f"the disk holding the results folder {results_dir} has {free >> 20} MiB free; "
            f"{chapter_name or 'an entry'} needs about {need >> 20} MiB ({why}); nothing was computed. Free some "
            "space, or set IGR_RESULTS to a folder on another disk."
        )


@contextlib.contextmanager
def writer_lock(path: Path, log: Callable | None = None, doing: str = "computing this entry"):
    """One writer per entry: an exclusive ``fcntl`` lock on ``<entry>.lock``; a second writer
    says whom it waits for (and what that one is ``doing``) and waits."""
    import fcntl

    lock = path.with_name(path.name + ".lock")
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "a+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            holder = f.read().strip() or "another process"
            msg = f"{path.parent.name}: waiting for {holder}, which is {doing} ({lock})"
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


def save_unless_unchanged(path: Path, results, manifest: dict, types, chapter) -> bool:
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
    "register",
    "type_table",
    "Parts",
    "no_parts",
    "Stored",
    "save",
    "load",
    "read_manifest",
    "swap_leftovers",
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
    "data_source_of",
    "save_unless_unchanged",
]
