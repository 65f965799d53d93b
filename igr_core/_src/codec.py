"""How a chapter's results are written to and read from files: the result store's codec.

Abstraction: :class:`Writer` turns a ``Results`` value into a JSON-able structure, writing every
table (parquet) and array (npz) beside it and hashing the content; :class:`Reader` checks every
file against its sha256 and rebuilds the value. Records (NamedTuples and dataclasses) are named by
*registered* names (the types registered with :func:`register`, and each chapter's
``Chapter.types``), never by module paths, so moving a class does not break a committed result.
The codec imports no chapter, engine or problem module: the layers that own result types register
them here. :func:`validate_manifest` is the schema every manifest is checked against before use.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd

MANIFEST = "manifest.json"
# fields that say how and when a result was computed, not what it is: left out of the content hash, so a
# recompute that reproduces a result is recognised as such
VOLATILE = ("provenance", "from_cache", "seconds", "path")


class CorruptResultsError(RuntimeError):
    """A stored file is missing, truncated or altered (its content hash differs from the manifest's)."""


def plain(v):
    """Tuples as lists and numpy floats as floats, recursively (how parameters are compared, hashed and shown)."""
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    if isinstance(v, (float, np.floating)):
        return float(v)
    return v


# ---------------------------------------------------------------------------- registered types


_REGISTERED: dict[str, type] = {}


def register(types: Mapping[str, type]) -> None:
    """Register record types that appear inside results, by the names stored in manifests; a name
    already registered for another type is refused (two classes must never share a stored name); the
    same class of a reloaded module (same module and qualified name) takes its place."""
    for name, t in types.items():
        have = _REGISTERED.get(name)
        if (
            have is not None
            and have is not t
            and (have.__module__, have.__qualname__) != (t.__module__, t.__qualname__)
        ):
            raise TypeError(
                f"stored type name {name!r} is registered for {have.__module__}.{have.__qualname__}, "
                f"not {t.__module__}.{t.__qualname__}"
            )
        _REGISTERED[name] = t


def registered() -> dict[str, type]:
    """The registered record types, by name."""
    return dict(_REGISTERED)


def type_table(chapter=None) -> dict[str, type]:
    """Registered name -> type: the registered types and ``chapter``'s own (``chapter.types()``)."""
    table = registered()
    if chapter is not None:
        table.update(chapter.types())
    return table


# ---------------------------------------------------------------------------- encoding


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class Writer:
    def __init__(self, folder: Path, names: Mapping[type, str]):
        self.folder, self.arrays, self.n, self.names = folder, {}, 0, names
        self.content = hashlib.sha256()

    def _name(self, path: str) -> str:
        self.n += 1
        return f"{self.n:03d}_" + "".join(c if c.isalnum() else "_" for c in path)[:60]

    def _record(self, v, path: str, fields: dict) -> dict:
        name = self.names.get(type(v))
        if name is None:
            raise TypeError(
                f"result field {path!r}: {type(v).__qualname__} is not a registered type of the result store "
                "(store.common_types or the chapter's Params and Results)"
            )
        return {"$record": name, "fields": fields}

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
            target = self.folder / "tables" / f"{name}.parquet"
            try:
                frame.to_parquet(target)
            except Exception as err:  # pyarrow's errors name neither the field nor the column
                raise TypeError(f"result field {path!r}: table cannot be stored as parquet ({err})") from err
            self.content.update(name.encode() + pd.util.hash_pandas_object(frame, index=True).values.tobytes())
            self.content.update(json.dumps([str(c) for c in frame.columns] + [str(t) for t in frame.dtypes]).encode())
            return {"$frame": name, "columns": [str(c) for c in v.columns]}
        if isinstance(v, Path):  # relative to the entry, so a clone elsewhere finds it (a sibling cache folder)
            rel = os.path.relpath(v.resolve(), self.folder.parent.resolve()) if v.is_absolute() else v.as_posix()
            return {"$path": Path(rel).as_posix(), "relative_to_entry": v.is_absolute()}
        if hasattr(v, "__array__") and not isinstance(v, (list, tuple, dict)):
            name = self._name(path)
            a = np.asarray(v)
            self.arrays[name] = a
            self.content.update(f"{name}{a.dtype}{a.shape}".encode() + np.ascontiguousarray(a).tobytes())
            return {"$array": name}
        if isinstance(v, tuple) and hasattr(v, "_fields"):
            return self._record(v, path, {f: self.encode(getattr(v, f), f"{path}.{f}") for f in v._fields})
        if dataclasses.is_dataclass(v) and not isinstance(v, type):
            fields = {f.name: self.encode(getattr(v, f.name), f"{path}.{f.name}") for f in dataclasses.fields(v)}
            return self._record(v, path, fields)
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


class Reader:
    def __init__(self, folder: Path, types: Mapping[str, type], chapter_name: str, files: Mapping[str, str] | None):
        self.folder, self.types, self.chapter_name = folder, types, chapter_name
        self.files = files  # relpath -> sha256, validated by validate_manifest
        for rel in files:
            self._verify(rel)
        path = folder / "arrays.npz"
        try:
            self.arrays = dict(np.load(path)) if path.exists() else {}
        except Exception as err:
            raise self._corrupt(path, f"cannot be read ({type(err).__name__}: {err})") from None

    def _corrupt(self, path: Path, what: str) -> CorruptResultsError:
        return CorruptResultsError(
            f"chapter {self.chapter_name}: the stored file {path} {what}; the entry is not used. Recompute it with "
            f"`python -m igr_core.experiments {self.chapter_name} --profile {self.folder.parent.parent.name} "
            "--recompute` (or restore the file from git)."
        )

    def _verify(self, rel: str) -> None:
        path = self.folder / rel
        if not path.exists():
            raise self._corrupt(path, "is missing")
        if sha256(path) != self.files[rel]:
            raise self._corrupt(path, "does not match the content hash in its manifest (truncated or altered)")

    def _type(self, name: str) -> type:
        if name not in self.types:
            raise self._corrupt(self.folder / MANIFEST, f"names a type {name!r} that no chapter registers")
        return self.types[name]

    def decode(self, d):
        if isinstance(d, list):
            return [self.decode(x) for x in d]
        if not isinstance(d, dict):
            return d
        if "$float" in d:
            return float(d["$float"])
        if "$frame" in d:
            path = self.folder / "tables" / f"{d['$frame']}.parquet"
            try:
                return pd.read_parquet(path)
            except Exception as err:
                raise self._corrupt(path, f"cannot be read ({type(err).__name__}: {err})") from None
        if "$path" in d:
            if d.get("relative_to_entry"):
                return Path(os.path.normpath(self.folder.parent / d["$path"]))
            return Path(d["$path"])
        if "$array" in d:
            return self.arrays[d["$array"]]
        if "$tuple" in d:
            return tuple(self.decode(x) for x in d["$tuple"])
        if "$items" in d:
            return {self._key(self.decode(k)): self.decode(v) for k, v in d["$items"]}
        if "$record" in d:
            return self._type(d["$record"])(**{k: self.decode(v) for k, v in d["fields"].items()})
        raise ValueError(f"unknown stored value {sorted(d)!r}")

    @staticmethod
    def _key(k):
        return tuple(k) if isinstance(k, list) else k


# ---------------------------------------------------------------------------- the manifest's schema

_HEX = frozenset("0123456789abcdef")
_KINDS = {
    "format": int,
    "files": dict,
    "content": str,
    "structure": (dict, list, str, int, float, bool, type(None)),
    "results_version": int,
}
_ENTRY_KINDS = {"chapter": str, "key": str, "params": dict, "provenance": dict, "data": (dict, type(None))}


def _safe_name(name) -> bool:
    """A file name inside the entry: no folder, no ``..``, no absolute path."""
    return isinstance(name, str) and name != "" and "/" not in name and "\\" not in name and name not in (".", "..")


def _safe_rel(rel) -> bool:
    parts = rel.split("/") if isinstance(rel, str) else []
    return bool(parts) and not rel.startswith("/") and all(_safe_name(p) for p in parts)


def _check_files(files: dict) -> str:
    for rel, digest in files.items():
        if not _safe_rel(rel):
            return f"file {rel!r} is not a path inside the entry"
        if not (isinstance(digest, str) and len(digest) == 64 and set(digest) <= _HEX):
            return f"file {rel!r} has no sha256 (got {digest!r})"
    return ""


def _check_value(d, files: dict, where: str) -> str:  # noqa: C901 - one branch per stored kind
    """The first problem of one value of a structure ("" when none): every reference names a file
    inside the entry that the manifest hashes."""
    if isinstance(d, list):
        return next((p for i, x in enumerate(d) if (p := _check_value(x, files, f"{where}[{i}]"))), "")
    if not isinstance(d, dict):
        return "" if d is None or isinstance(d, (str, int, float, bool)) else f"{where}: {type(d).__name__}"
    if "$frame" in d:
        name = d["$frame"]
        if not _safe_name(name):
            return f"{where}: table {name!r} is not a file name inside the entry"
        return "" if f"tables/{name}.parquet" in files else f"{where}: table {name!r} is not among the hashed files"
    if "$array" in d:
        ok = isinstance(d["$array"], str) and "arrays.npz" in files
        return "" if ok else f"{where}: array {d['$array']!r} without a hashed arrays.npz"
    if "$float" in d:
        return "" if isinstance(d["$float"], str) else f"{where}: $float must be a string"
    if "$path" in d:
        return "" if isinstance(d["$path"], str) else f"{where}: $path must be a string"
    if "$tuple" in d:
        return _check_value(d["$tuple"], files, where)
    if "$items" in d:
        items = d["$items"]
        if not (isinstance(items, list) and all(isinstance(kv, list) and len(kv) == 2 for kv in items)):
            return f"{where}: $items must be a list of [key, value] pairs"
        return _check_value([x for kv in items for x in kv], files, where)
    if "$record" in d:
        if not (isinstance(d["$record"], str) and isinstance(d.get("fields"), dict)):
            return f"{where}: a record needs a type name and a fields object"
        return next((p for k, v in d["fields"].items() if (p := _check_value(v, files, f"{where}.{k}"))), "")
    return f"{where}: unknown stored value {sorted(d)!r}"


def validate_manifest(manifest, store_format: int) -> str:
    """The first way ``manifest`` departs from the store's schema ("" when it does not): a JSON object
    of the current format with its required keys and their types, every file inside the entry with a
    sha256, and every table or array the structure names among those hashed files."""
    if not isinstance(manifest, dict):
        return f"a JSON {type(manifest).__name__}, not an object"
    for key, kind in {**_KINDS, **_ENTRY_KINDS}.items():
        if key not in manifest:
            if key in _ENTRY_KINDS:  # an entry's description (a part, or a test's bare entry, has none)
                continue
            return f"no {key!r}"
        if not isinstance(manifest[key], kind) or (kind is int and isinstance(manifest[key], bool)):
            return f"{key!r} is a {type(manifest[key]).__name__}"
    if manifest["format"] != store_format:
        return f"format {manifest['format']}, this code reads format {store_format}"
    return _check_files(manifest["files"]) or _check_value(manifest["structure"], manifest["files"], "results")


def stable(d):
    """The structure without its :data:`VOLATILE` record fields (what the content hash covers)."""
    if isinstance(d, list):
        return [stable(x) for x in d]
    if not isinstance(d, dict):
        return d
    if "fields" in d:
        return {**d, "fields": {k: stable(v) for k, v in d["fields"].items() if k not in VOLATILE}}
    return {k: stable(v) for k, v in d.items()}


__all__ = [
    "plain",
    "MANIFEST",
    "VOLATILE",
    "CorruptResultsError",
    "register",
    "registered",
    "type_table",
    "validate_manifest",
    "sha256",
    "Writer",
    "Reader",
    "stable",
]
