"""How a chapter's results are written to and read from files: the result store's codec.

Abstraction: :class:`Writer` turns a ``Results`` value into a JSON-able structure, writing every
table (parquet) and array (npz) beside it and hashing the content; :class:`Reader` checks every
file against its sha256 and rebuilds the value. Records (NamedTuples and dataclasses) are named by
*registered* names (:func:`common_types` and each chapter's ``Chapter.types``), never by module
paths, so moving a class does not break a committed result; :data:`LEGACY_NAMES` maps the module
paths that format-1 entries stored (the migration's table).
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


def common_types() -> dict[str, type]:
    """Types that appear inside chapters' results, by their registered names."""
    from igr_core._src.engine import SweepConfig, SweepResult
    from igr_core._src.problems import ProblemInfo
    from igr_core._src.toy import ToyPoint

    return {
        "engine.SweepConfig": SweepConfig,
        "engine.SweepResult": SweepResult,
        "problems.ProblemInfo": ProblemInfo,
        "toy.ToyPoint": ToyPoint,
    }


# format 1 stored module paths; these are where the classes lived then (the migration's table)
LEGACY_NAMES = {
    "igr_core._src.engine:SweepConfig": "engine.SweepConfig",
    "igr_core._src.engine:SweepResult": "engine.SweepResult",
    "igr_core._src.problems:ProblemInfo": "problems.ProblemInfo",
    "igr_core._src.toy:ToyPoint": "toy.ToyPoint",
    **{
        f"igr_core.experiments.{module}:{kind}": f"{chapter}.{kind}"
        for chapter, module in (
            ("01_theorem_checks", "theorems"),
            ("02_geometry", "geometry"),
            ("03_ntk", "ntk"),
            ("04_toy_model", "toy_model"),
            ("05_mnist", "mnist"),
            ("06_resnet", "resnet"),
            ("07_egr", "egr"),
            ("08_estimation", "estimation"),
            ("09_optimizers", "optimizers"),
        )
        for kind in ("Params", "Results")
    },
}


def type_table(chapter=None) -> dict[str, type]:
    """Registered name -> type: the common types and ``chapter``'s own."""
    table = common_types()
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
        self.files = files  # relpath -> sha256 (None: a format-1 entry, no hashes to check)
        for rel in files or {}:
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
        if name in LEGACY_NAMES:
            name = LEGACY_NAMES[name]
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
                base = self.folder.parent if "$format" in d or self.files is not None else self.folder
                return Path(os.path.normpath(base / d["$path"]))
            return Path(d["$path"])
        if "$array" in d:
            return self.arrays[d["$array"]]
        if "$tuple" in d:
            return tuple(self.decode(x) for x in d["$tuple"])
        if "$items" in d:
            return {self._key(self.decode(k)): self.decode(v) for k, v in d["$items"]}
        for tag in ("$record", "$namedtuple", "$dataclass"):  # $namedtuple, $dataclass: format 1
            if tag in d:
                return self._type(d[tag])(**{k: self.decode(v) for k, v in d["fields"].items()})
        raise ValueError(f"unknown stored value {sorted(d)!r}")

    @staticmethod
    def _key(k):
        return tuple(k) if isinstance(k, list) else k


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
    "common_types",
    "LEGACY_NAMES",
    "type_table",
    "sha256",
    "Writer",
    "Reader",
    "stable",
]
