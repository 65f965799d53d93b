"""The package's environment variables (``_src/env.py``): every ``IGR_*`` name a constant there, each
read by one function there and by nothing else in ``igr_core``; each reader's default when the
variable is unset, and bad values refused naming the variable."""

import ast
import re
from pathlib import Path

import pytest

from igr_core._src import env

PKG = Path(env.__file__).resolve().parents[1]
ENV = Path(env.__file__).resolve()
CONSTANTS = ("ROOT", "RESULTS", "RECOMPUTE", "EXPORT_DIR", "EXECUTED_DIR", "PROGRESS_LOG", "BOOK_JOBS", "CHAPTERS")
NAMES = {c: getattr(env, c) for c in CONSTANTS}
IGR_NAME = re.compile(r"IGR_[A-Z0-9_]+")


@pytest.fixture
def clean(monkeypatch, tmp_path):
    """No IGR_* variable set, the working directory a fresh folder."""
    for name in NAMES.values():
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return monkeypatch


def test_every_name_is_an_exported_constant_spelled_once():
    assert all(IGR_NAME.fullmatch(v) for v in NAMES.values()) and len(set(NAMES.values())) == len(NAMES)
    assert set(NAMES) <= set(env.__all__)
    spelled = [n.value for n in ast.walk(ast.parse(ENV.read_text())) if isinstance(n, ast.Constant)]
    for name in NAMES.values():
        assert [s for s in spelled if s == name] == [name], name


def test_each_name_is_read_by_one_function_of_env():
    readers = {c: [] for c in NAMES}
    for fn in ast.parse(ENV.read_text()).body:
        if isinstance(fn, ast.FunctionDef):
            for c in {n.id for n in ast.walk(fn) if isinstance(n, ast.Name) and n.id in NAMES}:
                readers[c].append(fn.name)
    assert all(len(r) == 1 for r in readers.values()), readers
    assert set(env.__all__) >= {r[0] for r in readers.values()}


def igr_spellings(pkg: Path = PKG) -> list[str]:
    """Every string constant of ``pkg`` outside its ``_src/env.py`` that is an IGR_* name (prose that
    mentions one is not a read)."""
    out = []
    for path in sorted(pkg.rglob("*.py")):
        if path.relative_to(pkg).as_posix() == "_src/env.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and IGR_NAME.fullmatch(node.value):
                out.append(f"{path.relative_to(pkg.parent).as_posix()}:{node.lineno} {node.value}")
    return out


def test_the_scan_sees_a_name_spelled_outside_env(tmp_path):
    """The rule can fail: a module reading ``os.environ["IGR_ROOT"]`` is caught, its docstring is not."""
    pkg = tmp_path / "igr_core"
    (pkg / "_src").mkdir(parents=True)
    (pkg / "_src" / "env.py").write_text('ROOT = "IGR_ROOT"\n')
    (pkg / "bad.py").write_text('"""Reads $IGR_ROOT."""\nimport os\nroot = os.environ["IGR_ROOT"]\n')
    assert igr_spellings(pkg) == ["igr_core/bad.py:3 IGR_ROOT"]


def test_nothing_else_in_the_package_spells_an_igr_name():
    assert igr_spellings() == []


# ---------------------------------------------------------------------------- each reader


def test_the_folders_default_to_the_checkout_and_follow_their_variables(clean, tmp_path):
    assert env.repo_root() == tmp_path
    assert env.results_root() == tmp_path / "results"
    assert env.export_dir() == tmp_path / "_build" / "exports"  # never the published book/executed
    assert env.executed_dir() == tmp_path / "book" / "executed"
    assert env.progress_log() is None
    clean.setenv(env.ROOT, "")  # set but empty: the working directory
    assert env.repo_root() == tmp_path
    clean.setenv(env.ROOT, str(tmp_path / "checkout"))
    assert env.results_root() == tmp_path / "checkout" / "results"
    assert env.export_dir() == tmp_path / "checkout" / "_build" / "exports"
    assert env.executed_dir() == tmp_path / "checkout" / "book" / "executed"
    for name, reader, where in [
        (env.RESULTS, env.results_root, "ci-results"),
        (env.EXPORT_DIR, env.export_dir, "stage"),
        (env.EXECUTED_DIR, env.executed_dir, "build/executed"),
        (env.PROGRESS_LOG, env.progress_log, "logs/page.log"),
    ]:
        clean.setenv(name, str(tmp_path / where))
        assert reader() == tmp_path / where, name


@pytest.mark.parametrize("value", ["", "1", "sweeps"])
def test_recompute_accepts_its_three_values(clean, value):
    assert env.recompute() == ""  # unset: read the store
    clean.setenv(env.RECOMPUTE, value)
    assert env.recompute() == value


@pytest.mark.parametrize("value", ["0", "yes", "true", "Sweeps", " 1", "1 "])
def test_recompute_refuses_anything_else_naming_the_variable(clean, value):
    clean.setenv(env.RECOMPUTE, value)
    with pytest.raises(ValueError, match=rf"IGR_RECOMPUTE must be one of '', '1', 'sweeps'; got {value!r}"):
        env.recompute()


def test_book_jobs_is_a_positive_integer_or_none(clean):
    assert env.book_jobs() is None
    for value, jobs in (("1", 1), ("12", 12), ("007", 7)):
        clean.setenv(env.BOOK_JOBS, value)
        assert env.book_jobs() == jobs


@pytest.mark.parametrize(
    "value",
    [
        "0",
        "-2",
        "two",
        "1.5",
        "",
        " 3",
        "²",  # a digit to str.isdigit, not to int()
    ],
)
def test_book_jobs_refuses_anything_else_naming_the_variable(clean, value):
    clean.setenv(env.BOOK_JOBS, value)
    with pytest.raises(ValueError, match="IGR_BOOK_JOBS must be a positive integer"):
        env.book_jobs()


def test_extra_chapters_are_the_comma_separated_modules(clean):
    assert env.extra_chapters() == ()
    clean.setenv(env.CHAPTERS, " tiny_chapter, other.book ,,")
    assert env.extra_chapters() == ("tiny_chapter", "other.book")
    clean.setenv(env.CHAPTERS, " , ")
    assert env.extra_chapters() == ()
