"""The result store: every chapter's results, persisted with provenance and reloaded to re-plot.

Abstraction: a chapter's ``Results`` (a NamedTuple of typed tables, arrays and numbers) lives
in one folder ``<results>/<profile>/<chapter>/<key>/``, where ``key`` hashes the chapter's
parameters (minus execution-only fields such as ``strategy``). The folder holds

* ``manifest.json`` -- the chapter, its results version (``RESULTS_VERSION``, declared by
  each experiment module and bumped when its computation changes), the parameters, the data
  fingerprint, the provenance (device, library versions, wall time, git commit, data source)
  and the structure of the results (which field is which table, array or number);
* ``tables/<field>.parquet`` -- every ``pandas.DataFrame`` (typed columns, index kept);
* ``arrays.npz`` -- every array.

:func:`run` returns the stored results where they exist and computes, saves and reloads them
otherwise, so a page always shows what the store holds and its claims are computed from it
(a changed verdict rule reaches committed results without retraining). A stored result whose
results version or data fingerprint differs from the code's is refused
(:class:`StaleResultsError`), never silently reused; ``recompute=True`` (``IGR_RECOMPUTE=1``,
``make book FORCE=1``) recomputes. Long chapters save named parts as they finish
(:class:`Parts`), so an interrupted run resumes; the sweep engine's per-width checkpoints
(:mod:`igr_core._src.cache`) are the same idea for training grids and use the same
fingerprints and provenance.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import importlib
import inspect
import json
import math
import os
import platform
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any, Callable, NamedTuple

import numpy as np
import pandas as pd

MANIFEST = "manifest.json"
EXECUTION_ONLY = ("profile", "strategy", "train_missing")  # how a result is computed, not what it is
RECOMPUTE_ENV = "IGR_RECOMPUTE"


class StaleResultsError(RuntimeError):
    """Stored results that the current code would not compute (results version or data differ)."""


# ---------------------------------------------------------------------------- encoding


def _qualname(obj_type) -> str:
    return f"{obj_type.__module__}:{obj_type.__qualname__}"


def _import(qualname: str):
    module, name = qualname.split(":")
    obj = importlib.import_module(module)
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


class _Writer:
    def __init__(self, folder: Path):
        self.folder, self.arrays, self.n = folder, {}, 0

    def _name(self, path: str) -> str:
        self.n += 1
        return f"{self.n:03d}_" + "".join(c if c.isalnum() else "_" for c in path)[:60]

    def encode(self, v, path: str):
        """A JSON-able description of ``v``; tables and arrays are written beside it."""
        if v is None or isinstance(v, (bool, str)):
            return v
        if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
            return int(v)
        if isinstance(v, (float, np.floating)):
            v = float(v)
            return v if math.isfinite(v) else {"$float": repr(v)}
        if isinstance(v, np.bool_):
            return bool(v)
        if isinstance(v, pd.DataFrame):
            name = self._name(path)
            (self.folder / "tables").mkdir(parents=True, exist_ok=True)
            frame = v.copy()
            frame.columns = [str(c) for c in frame.columns]
            try:
                frame.to_parquet(self.folder / "tables" / f"{name}.parquet")
            except Exception as err:  # pyarrow's errors name neither the field nor the column
                raise TypeError(f"result field {path!r}: table cannot be stored as parquet ({err})") from err
            return {"$frame": name, "columns": [str(c) for c in v.columns]}
        if isinstance(v, Path):  # relative to the entry, so a clone elsewhere finds it (a sibling cache folder)
            rel = os.path.relpath(v.resolve(), self.folder.resolve()) if v.is_absolute() else v.as_posix()
            return {"$path": Path(rel).as_posix(), "relative_to_entry": v.is_absolute()}
        if hasattr(v, "__array__") and not isinstance(v, (list, tuple, dict)):
            name = self._name(path)
            self.arrays[name] = np.asarray(v)
            return {"$array": name}
        if isinstance(v, tuple) and hasattr(v, "_fields"):
            return {
                "$namedtuple": _qualname(type(v)),
                "fields": {f: self.encode(getattr(v, f), f"{path}.{f}") for f in v._fields},
            }
        if dataclasses.is_dataclass(v) and not isinstance(v, type):
            return {
                "$dataclass": _qualname(type(v)),
                "fields": {f.name: self.encode(getattr(v, f.name), f"{path}.{f.name}") for f in dataclasses.fields(v)},
            }
        if isinstance(v, tuple):
            return {"$tuple": [self.encode(x, f"{path}[{i}]") for i, x in enumerate(v)]}
        if isinstance(v, list):
            return [self.encode(x, f"{path}[{i}]") for i, x in enumerate(v)]
        if isinstance(v, dict):
            return {"$items": [[self.encode(k, f"{path}.key"), self.encode(x, f"{path}[{k!r}]")] for k, x in v.items()]}
        raise TypeError(
            f"result field {path!r}: a {type(v).__name__} cannot be stored; results hold tables, arrays, "
            "numbers, strings and containers of them"
        )


class _Reader:
    def __init__(self, folder: Path):
        self.folder = folder
        path = folder / "arrays.npz"
        self.arrays = dict(np.load(path)) if path.exists() else {}

    def decode(self, d):
        if isinstance(d, list):
            return [self.decode(x) for x in d]
        if not isinstance(d, dict):
            return d
        if "$float" in d:
            return float(d["$float"])
        if "$frame" in d:
            frame = pd.read_parquet(self.folder / "tables" / f"{d['$frame']}.parquet")
            return frame
        if "$path" in d:
            return Path(os.path.normpath(self.folder / d["$path"])) if d.get("relative_to_entry") else Path(d["$path"])
        if "$array" in d:
            return self.arrays[d["$array"]]
        if "$tuple" in d:
            return tuple(self.decode(x) for x in d["$tuple"])
        if "$items" in d:
            return {self._key(self.decode(k)): self.decode(v) for k, v in d["$items"]}
        if "$namedtuple" in d:
            return _import(d["$namedtuple"])(**{k: self.decode(v) for k, v in d["fields"].items()})
        if "$dataclass" in d:
            return _import(d["$dataclass"])(**{k: self.decode(v) for k, v in d["fields"].items()})
        raise ValueError(f"unknown stored value {sorted(d)!r}")

    @staticmethod
    def _key(k):
        return tuple(k) if isinstance(k, list) else k


def _atomic_folder(target: Path, write: Callable[[Path], None]) -> None:
    tmp = target.with_name(target.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    write(tmp)
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)


def save(folder: Path, value, manifest: dict) -> None:
    """Write ``value`` (a chapter's Results, or any part of one) and ``manifest`` to ``folder``."""

    def write(tmp: Path):
        w = _Writer(tmp)
        structure = w.encode(value, "results")
        if w.arrays:
            np.savez(tmp / "arrays.npz", **w.arrays)
        (tmp / MANIFEST).write_text(json.dumps({**manifest, "structure": structure}, indent=1, default=str))

    _atomic_folder(Path(folder), write)


def load(folder: Path):
    """(value, manifest) stored by :func:`save`."""
    folder = Path(folder)
    manifest = json.loads((folder / MANIFEST).read_text())
    return _Reader(folder).decode(manifest["structure"]), manifest


# ---------------------------------------------------------------------------- keys and provenance


def repo_root() -> Path:
    """Where ``results/`` lives: ``$IGR_ROOT`` if set (the book pipeline sets it for its
    kernels), else the working directory. The one such function of the package."""
    return Path(os.environ.get("IGR_ROOT", Path.cwd()))


def _plain(v):
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, (float, np.floating)):
        return float(v)
    return v


def params_key(params) -> str:
    """12 hex digits of the parameters that determine the results."""
    d = params.as_dict() if hasattr(params, "as_dict") else dataclasses.asdict(params)
    d = {k: _plain(v) for k, v in d.items() if k not in EXECUTION_ONLY}
    return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()[:12]


def array_fingerprint(*arrays) -> str:
    h = hashlib.sha256()
    for a in arrays:
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()[:16]


def git_commit(root: Path | None = None) -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root or Path.cwd(), capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def library_versions() -> dict:
    from importlib import metadata

    out = {}
    for pkg in ("jax", "jaxlib", "dm-haiku", "optax", "numpy", "pandas"):
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

    def __init__(self, folder: Path | None, version: int, log: Callable | None = None):
        self.folder, self.version, self.log = (Path(folder) if folder else None), version, log
        self.reused: list[str] = []

    def __call__(self, name: str, fn: Callable[[], Any]):
        if self.folder is None:
            return fn()
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
        path = self.folder / safe
        if (path / MANIFEST).exists():
            value, manifest = load(path)
            if manifest.get("results_version") == self.version:
                self.reused.append(name)
                return value
        value = fn()
        save(path, value, {"part": name, "results_version": self.version})
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


def entry_dir(results_dir: Path, module, params) -> Path:
    return Path(results_dir) / module.NOTEBOOK / params_key(params)


def _data_of(module, params):
    fn = getattr(module, "data_fingerprint", None)
    return fn(params) if fn is not None else None


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


def check_manifest(module, manifest: dict, path: Path, data: dict | None) -> None:
    chapter, version = module.NOTEBOOK, module.RESULTS_VERSION
    how = (
        f"recompute with `make book FORCE=1`, `python -m igr_core.book execute {chapter} --recompute --profile "
        f"{path.parent.parent.name}` or {RECOMPUTE_ENV}=1"
    )
    if manifest.get("results_version") != version:
        raise StaleResultsError(
            f"chapter {chapter}: the stored results at {path} have results version {manifest.get('results_version')}, "
            f"the code computes version {version}; they are not reused. {how}."
        )
    stored = manifest.get("data")
    if data is not None and stored is not None and _content(stored) != _content(data):
        raise StaleResultsError(
            f"chapter {chapter}: the stored results at {path} were computed on other data "
            f"({manifest.get('data')}) than this machine has ({data}); they are not reused. {how}."
        )


def lookup(module, params, results_dir: Path) -> Path | None:
    """The folder of the stored results of ``params``, or None."""
    path = entry_dir(results_dir, module, params)
    return path if (path / MANIFEST).exists() else None


def run(
    module,
    params,
    results_dir: Path,
    *,
    recompute: bool | None = None,
    log: Callable | None = None,
    root: Path | None = None,
) -> Stored:
    """The chapter's results for ``params``: read from the store, or computed, saved and read back.

    ``module`` is an experiment module (``NOTEBOOK``, ``RESULTS_VERSION``, ``run``; optionally
    ``data_fingerprint(params)``, ``is_complete(results)`` and ``can_fill(params, results)``:
    stored results that lack parts which this run may compute are completed). ``results_dir`` is
    ``results/<profile>``; sweeps keep their resumable checkpoints under its ``sweeps/``.
    Results that a run could not complete here (``is_complete`` false: a grid that is not
    stored and may not be trained on this machine) are returned but not stored."""
    results_dir = Path(results_dir)
    if recompute is None:
        recompute = os.environ.get(RECOMPUTE_ENV, "") == "1"
    path = entry_dir(results_dir, module, params)
    data = _data_of(module, params)
    if recompute:
        shutil.rmtree(path, ignore_errors=True)
    elif (path / MANIFEST).exists():
        manifest = json.loads((path / MANIFEST).read_text())
        check_manifest(module, manifest, path, data)
        results, manifest = load(path)
        fill = getattr(module, "can_fill", None)
        if fill is None or not fill(params, results):
            return Stored(results, manifest, path, False)
        if log:
            log(f"{module.NOTEBOOK}: the stored results lack parts that this machine may compute; computing them")
    accepted = inspect.signature(module.run).parameters
    kwargs = {}
    if "results_dir" in accepted:
        kwargs["results_dir"] = results_dir / "sweeps"
    if "log" in accepted:
        kwargs["log"] = log
    if "parts" in accepted:
        kwargs["parts"] = Parts(path / "parts", module.RESULTS_VERSION, log)
    t0 = time.perf_counter()
    results = module.run(params, **kwargs)
    seconds = time.perf_counter() - t0
    complete = getattr(module, "is_complete", lambda r: True)(results)
    manifest = {
        "chapter": module.NOTEBOOK,
        "results_version": module.RESULTS_VERSION,
        "key": path.name,
        "params": params.as_dict(),
        "data": data,
        "provenance": provenance(seconds, _data_source(results), root),
    }
    if not complete:
        return Stored(results, {**manifest, "incomplete": True}, path, True)
    parts = path / "parts"
    keep = path.with_name(path.name + ".parts")
    if parts.exists():  # the parts live on until the whole is saved
        shutil.rmtree(keep, ignore_errors=True)
        parts.rename(keep)
    save(path, results, manifest)
    shutil.rmtree(keep, ignore_errors=True)
    loaded, manifest = load(path)
    return Stored(loaded, manifest, path, True)


__all__ = [
    "repo_root",
    "MANIFEST",
    "EXECUTION_ONLY",
    "RECOMPUTE_ENV",
    "StaleResultsError",
    "Parts",
    "no_parts",
    "Stored",
    "save",
    "load",
    "params_key",
    "array_fingerprint",
    "provenance",
    "git_commit",
    "library_versions",
    "device",
    "entry_dir",
    "check_manifest",
    "lookup",
    "run",
]
