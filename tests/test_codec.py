"""The result store's codec (``_src/codec.py``) on its own: every storable kind of value written and
read back, a value it cannot store named with its type, records by registered names (one name, one
class), the content hash (volatile fields left out), the manifest schema, and the promise that the
codec imports no chapter, engine or problem module. (The store built on it is tested in
``test_store.py`` and ``test_faults.py``.)"""

import ast
import dataclasses
import hashlib
import json
import math
import shutil
import types
from pathlib import Path
from typing import NamedTuple

import jax.numpy as jnp
import numpy as np
import pandas as pd
import pytest

from igr_core._src import codec

CODEC = Path(codec.__file__)
FORBIDDEN = ("igr_core.experiments", "igr_core._src.engine", "igr_core._src.problems", "igr_core._src.toy")


class Point(NamedTuple):
    x: float
    label: str


@dataclasses.dataclass(frozen=True)
class Run:
    name: str
    seconds: float
    table: pd.DataFrame = dataclasses.field(compare=False, default=None)


TYPES = {"test.Point": Point, "test.Run": Run}


def write(folder: Path, value, types_=TYPES) -> dict:
    """What the store writes for ``value``: its tables, ``arrays.npz`` and a manifest naming every file."""
    folder.mkdir(parents=True)
    w = codec.Writer(folder, {t: n for n, t in types_.items()})
    structure = json.loads(json.dumps(w.encode(value, "results")))  # JSON-able, and what the reader sees
    if w.arrays:
        np.savez(folder / "arrays.npz", **w.arrays)
    files = {p.relative_to(folder).as_posix(): codec.sha256(p) for p in sorted(folder.rglob("*")) if p.is_file()}
    return {"format": 2, "files": files, "content": "0" * 32, "structure": structure, "results_version": 1}


def read(folder: Path, manifest: dict, types_=TYPES):
    return codec.Reader(folder, types_, "99_codec", manifest["files"]).decode(manifest["structure"])


def content_hash(folder: Path, value) -> str:
    w = codec.Writer(folder, {t: n for n, t in TYPES.items()})
    structure = w.encode(value, "results")
    w.content.update(json.dumps(codec.stable(structure), sort_keys=True, default=str).encode())
    return w.content.hexdigest()


# ---------------------------------------------------------------------------- round trip


def test_every_storable_kind_of_value_comes_back(tmp_path):
    table = pd.DataFrame({"i": np.arange(3), "f": [0.5, np.nan, 2.0], "b": [True, False, True], "s": ["a", "b", "c"]})
    value = {
        "none": None,
        "bools": [True, False, np.bool_(True)],
        "text": "mu = 0.1",
        "ints": [0, -7, np.int64(2**40), np.int32(3)],
        "floats": [0.25, np.float32(1.5), np.float64(-2.0)],
        "non_finite": [math.inf, -math.inf, math.nan],
        "table": table,
        "array": np.arange(6, dtype=np.float32).reshape(2, 3),
        "jax": jnp.linspace(0.0, 1.0, 4),
        "ints_array": np.array([[1, 2]], dtype=np.int64),
        "relative": Path("sweeps/mnist_sgd"),
        "absolute": tmp_path / "sweeps" / "mnist_sgd",
        "record": Point(1.0, "a"),
        "dataclass": Run("r", 2.5, table),
        "records": [Point(2.0, "b"), Point(3.0, "c")],
        "tuple": (1, (2, "three"), ()),
        "nested": {(1, 0.5): [{"k": []}], 3: "three", "empty": {}},
    }
    manifest = write(tmp_path / "entry", value)
    assert codec.validate_manifest(manifest, 2) == ""
    back = read(tmp_path / "entry", manifest)
    assert back.keys() == value.keys()
    assert back["none"] is None and back["bools"] == [True, False, True] and type(back["bools"][2]) is bool
    assert back["text"] == "mu = 0.1" and back["ints"] == [0, -7, 2**40, 3] and {type(i) for i in back["ints"]} == {int}
    assert back["floats"] == [0.25, 1.5, -2.0] and {type(f) for f in back["floats"]} == {float}
    inf, minus_inf, nan = back["non_finite"]
    assert inf == math.inf and minus_inf == -math.inf and math.isnan(nan)
    pd.testing.assert_frame_equal(back["table"], table)
    for key in ("array", "jax", "ints_array"):
        a = np.asarray(value[key])
        assert back[key].dtype == a.dtype and np.array_equal(back[key], a), key
    assert back["relative"] == Path("sweeps/mnist_sgd") and back["absolute"] == tmp_path / "sweeps" / "mnist_sgd"
    assert back["record"] == Point(1.0, "a") and type(back["record"]) is Point
    assert back["dataclass"] == Run("r", 2.5) and type(back["dataclass"]) is Run
    pd.testing.assert_frame_equal(back["dataclass"].table, table)
    assert back["records"] == value["records"] and back["tuple"] == (1, (2, "three"), ())
    assert back["nested"] == {(1, 0.5): [{"k": []}], 3: "three", "empty": {}}


def test_an_absolute_path_is_stored_relative_to_the_entry_so_a_moved_clone_finds_it(tmp_path):
    manifest = write(tmp_path / "a" / "entry", {"cache": tmp_path / "a" / "sweeps" / "x"})
    assert tmp_path.as_posix() not in json.dumps(manifest["structure"])
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    assert read(tmp_path / "b" / "entry", manifest) == {"cache": tmp_path / "b" / "sweeps" / "x"}


# ---------------------------------------------------------------------------- what is refused, named


class Unregistered(NamedTuple):
    a: int


@pytest.mark.parametrize(
    "value, named",
    [
        ([{1, 2}], r"result field 'results\[0\]': a set cannot be stored"),
        ([1, 2j], r"result field 'results\[1\]': a complex cannot be stored"),
        ((0, object()), r"result field 'results\[1\]': a object cannot be stored"),
        ([Point(1.0, "a"), Unregistered(1)], r"result field 'results\[1\]': Unregistered is not a registered type"),
    ],
    ids=["set", "complex", "object", "unregistered record"],
)
def test_a_value_that_cannot_be_stored_is_refused_naming_its_field_and_type(tmp_path, value, named):
    with pytest.raises(TypeError, match=named):
        codec.Writer(tmp_path, {t: n for n, t in TYPES.items()}).encode(value, "results")


# ---------------------------------------------------------------------------- registered names


@pytest.fixture
def registry(monkeypatch):
    """The codec's registry, restored after the test."""
    monkeypatch.setattr(codec, "_REGISTERED", dict(codec._REGISTERED))


def test_a_record_is_stored_by_its_registered_name_never_its_module_path(tmp_path):
    manifest = write(tmp_path / "entry", Point(1.0, "a"))
    text = json.dumps(manifest["structure"])
    assert manifest["structure"]["$record"] == "test.Point" and __name__ not in text

    class Moved(NamedTuple):  # the class moved to another module: the committed result still reads
        x: float
        label: str

    assert read(tmp_path / "entry", manifest, {"test.Point": Moved}) == Moved(1.0, "a")


def test_a_name_no_type_registers_is_refused_naming_it(tmp_path):
    manifest = write(tmp_path / "entry", Point(1.0, "a"))
    with pytest.raises(codec.CorruptResultsError, match=r"99_codec.*names a type 'test.Point' that no chapter"):
        read(tmp_path / "entry", manifest, {})


def test_a_registered_name_is_refused_for_a_second_type(registry):
    class First(NamedTuple):
        a: int

    class Second(NamedTuple):
        a: int

    codec.register({"test.one": First})
    codec.register({"test.one": First})  # the same type again is no conflict
    with pytest.raises(TypeError, match=r"'test.one' is registered for .*First, not .*Second"):
        codec.register({"test.one": Second})
    assert codec.registered()["test.one"] is First


def test_a_registered_name_is_refused_for_a_same_named_class_of_another_module(registry):
    first = types.new_class("Results", (tuple,))
    second = types.new_class("Results", (tuple,))
    first.__module__, second.__module__ = "chapter_a", "chapter_b"
    codec.register({"test.results": first})
    with pytest.raises(TypeError, match="registered for"):
        codec.register({"test.results": second})


def test_registered_is_a_copy_and_type_table_adds_the_chapters_own(registry):
    codec.register({"test.Point": Point})
    codec.registered()["test.Point"] = Run  # a copy: the registry is unchanged
    assert codec.registered()["test.Point"] is Point
    chapter = types.SimpleNamespace(types=lambda: {"99_codec.Results": Run})
    table = codec.type_table(chapter)
    assert table["99_codec.Results"] is Run and table["test.Point"] is Point
    assert "99_codec.Results" not in codec.type_table() and "99_codec.Results" not in codec.registered()


# ---------------------------------------------------------------------------- hashing


def test_sha256_is_the_files_digest(tmp_path):
    f = tmp_path / "blob"
    f.write_bytes(bytes(range(256)) * 5000)  # more than one block of the reader
    assert codec.sha256(f) == hashlib.sha256(f.read_bytes()).hexdigest()


def test_the_content_hash_sees_the_content_and_not_how_it_was_computed(tmp_path):
    table = pd.DataFrame({"x": [1.0, 2.0]})
    base = content_hash(tmp_path / "a", [Run("r", 1.0, table), np.arange(3.0)])
    assert content_hash(tmp_path / "b", [Run("r", 1.0, table.copy()), np.arange(3.0)]) == base  # folder aside
    assert content_hash(tmp_path / "c", [Run("r", 99.0, table), np.arange(3.0)]) == base  # `seconds` is volatile
    changed = [
        [Run("other", 1.0, table), np.arange(3.0)],
        [Run("r", 1.0, table * 2), np.arange(3.0)],
        [Run("r", 1.0, table.rename(columns={"x": "y"})), np.arange(3.0)],
        [Run("r", 1.0, table.astype(np.float32)), np.arange(3.0)],
        [Run("r", 1.0, table), np.arange(3.0) + 1],
        [Run("r", 1.0, table), np.arange(3.0, dtype=np.float32)],
        [Run("r", 1.0, table), np.arange(3.0).reshape(3, 1)],
    ]
    hashes = [content_hash(tmp_path / f"d{i}", v) for i, v in enumerate(changed)]
    assert base not in hashes and len(set(hashes)) == len(hashes)


def test_stable_drops_only_the_volatile_fields_of_records():
    structure = {
        "$record": "r",
        "fields": {f: 1 for f in (*codec.VOLATILE, "value")} | {"inner": {"$record": "s", "fields": {"seconds": 2}}},
    }
    assert codec.stable(structure) == {
        "$record": "r",
        "fields": {"value": 1, "inner": {"$record": "s", "fields": {}}},
    }
    plain_dict = {"$items": [["seconds", 3.0]], "seconds": 4}  # not a record: kept whole
    assert codec.stable([plain_dict]) == [plain_dict]


def test_plain_turns_tuples_into_lists_and_numpy_floats_into_floats():
    out = codec.plain((np.float32(0.5), [np.float64(1.0), (2, "a")], np.int64(3)))
    assert out == [0.5, [1.0, [2, "a"]], 3] and type(out[0]) is float and type(out[1][0]) is float


# ---------------------------------------------------------------------------- the manifest's schema


def _manifest(**changes) -> dict:
    m = {
        "format": 2,
        "files": {"arrays.npz": "a" * 64, "tables/001_t.parquet": "b" * 64},
        "content": "c" * 32,
        "structure": {"$items": [["t", {"$frame": "001_t"}], ["a", {"$array": "001_a"}]]},
        "results_version": 1,
    }
    return {**m, **changes}


@pytest.mark.parametrize(
    "manifest, problem",
    [
        ([], "a JSON list, not an object"),
        ({k: v for k, v in _manifest().items() if k != "content"}, "no 'content'"),
        (_manifest(results_version=True), "'results_version' is a bool"),
        (_manifest(chapter=7), "'chapter' is a int"),
        (_manifest(format=1), "format 1, this code reads format 2"),
        (_manifest(files={"/etc/passwd": "a" * 64}), "file '/etc/passwd' is not a path inside the entry"),
        (_manifest(files={"tables/../x": "a" * 64}), "is not a path inside the entry"),
        (_manifest(files={"arrays.npz": "A" * 64}), "file 'arrays.npz' has no sha256"),
        (_manifest(files={"arrays.npz": "a" * 64}), "table '001_t' is not among the hashed files"),
        (_manifest(structure={"$frame": "x/y"}), "table 'x/y' is not a file name inside the entry"),
        (_manifest(structure={"$float": 1.0}), "$float must be a string"),
        (_manifest(structure={"$items": [[1, 2, 3]]}), "$items must be a list of [key, value] pairs"),
        (_manifest(structure={"$record": "r"}), "a record needs a type name and a fields object"),
        (_manifest(structure={"$record": "r", "fields": {"f": {"$what": 1}}}), "results.f: unknown stored value"),
    ],
)
def test_a_manifest_departing_from_the_schema_is_named(manifest, problem):
    assert codec.validate_manifest(_manifest(), 2) == ""
    assert problem in codec.validate_manifest(manifest, 2)


# ---------------------------------------------------------------------------- what the codec imports


def imported_modules(source: str) -> set[str]:
    """Every module a source imports, at its top or inside a function (``from a import b`` counts a and a.b;
    a relative import is resolved against ``igr_core._src``)."""
    out = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(["igr_core", "_src"][: 3 - node.level] + ([base] if base else []))
            out |= {base} | {f"{base}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
            "import_module",
            "__import__",
        ):
            out |= {a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)}
    return out


def forbidden(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == f or m.startswith(f + ".") for f in FORBIDDEN))


def test_the_import_walk_sees_an_import_inside_a_function():
    """The rule can fail: imports of the forbidden layers, hidden in functions, are caught."""
    source = (
        "def f():\n    from igr_core._src.engine import SweepConfig\n"
        "def g():\n    import igr_core.experiments.mnist\n"
        "def h():\n    from . import toy\n"
        "def k():\n    importlib.import_module('igr_core._src.problems')\n"
    )
    assert forbidden(imported_modules(source)) == [
        "igr_core._src.engine",
        "igr_core._src.engine.SweepConfig",
        "igr_core._src.problems",
        "igr_core._src.toy",
        "igr_core.experiments.mnist",
    ]


def test_the_codec_imports_no_chapter_engine_or_problem_module():
    modules = imported_modules(CODEC.read_text())
    assert "numpy" in modules  # the walk reads the file
    assert forbidden(modules) == []
