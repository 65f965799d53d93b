"""The benchmark scripts import against the current library (they are run by hand or on a lent
GPU, never by the tests, so an import that rots would otherwise go unnoticed until a device run)."""

import importlib.util
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).parent.parent / "benchmarks"
SCRIPTS = sorted(p for p in BENCHMARKS.glob("*.py") if not p.name.startswith("_"))  # _*.py: shared helpers


@pytest.fixture(autouse=True)
def _as_a_script(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))  # what `python benchmarks/<name>.py` has on its path


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_a_benchmark_script_imports(script):
    spec = importlib.util.spec_from_file_location(f"bench_{script.stem}", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # module level only: main() is not called
    assert callable(getattr(module, "main", None)), f"{script.name} has no main()"


def test_the_device_sizing_fits_what_it_predicts():
    """benchmarks/accelerator.py sizes epochs so that the predicted seconds of both chapters fit."""
    spec = importlib.util.spec_from_file_location("bench_acc", BENCHMARKS / "accelerator.py")
    acc = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(acc)
    c = {"steps_per_epoch": 39, "step_s": 0.011, "eval_s": 0.7}
    e = acc.size(c, c, 15, 0, 150.0, 2.0, 60.0)
    assert acc.predicted(c, 15, e, 2.0) <= 150.0 < acc.predicted(c, 15, e + 2.0, 2.0)
    assert acc.size(c, c, 15, 12, 1.0, 2.0, 60.0) == 2.0  # at least one evaluation period


@pytest.mark.parametrize("script", sorted(BENCHMARKS.glob("*.py")), ids=lambda p: p.name)
def test_a_benchmark_uses_the_public_api(script):
    """Benchmarks are users of the library: no ``igr_core._src`` import."""
    import ast

    tree = ast.parse(script.read_text())
    private = [
        n.module if isinstance(n, ast.ImportFrom) else a.name
        for n in ast.walk(tree)
        if isinstance(n, (ast.Import, ast.ImportFrom))
        for a in n.names
        if "._src" in ((n.module or "") if isinstance(n, ast.ImportFrom) else a.name)
    ]
    assert not private, f"{script.name} imports private modules: {private}"
