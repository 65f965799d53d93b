"""Running a chapter (``_src/runner.py``): the recompute values it accepts and refuses, what its log
says about reusing and recomputing (sweep caches, an unchanged recompute, parts a machine may fill),
results that are not complete never stored, what the chapter's ``run`` is offered, and the float64
switch. (Computing once, reading back, stale versions and interrupted runs are tested in
``test_store.py`` and ``test_faults.py``.)"""

import dataclasses
from pathlib import Path
from typing import NamedTuple

import jax
import numpy as np
import pandas as pd
import pytest

from igr_core._src import cache, runner
from igr_core._src.contract import Chapter
from igr_core.experiments._params import ParamsBase


@dataclasses.dataclass(frozen=True)
class Params(ParamsBase):
    profile: str = "smoke"
    n: int = 3
    strategy: str = "auto"


class Results(NamedTuple):
    params: Params
    table: pd.DataFrame


def chapter(run=None, calls=None, **hooks) -> Chapter:
    """A fast chapter; ``calls["run"]`` counts its computations."""
    calls = calls if calls is not None else {}
    calls.setdefault("run", 0)

    def table(p):
        calls["run"] += 1
        return Results(p, pd.DataFrame({"x": np.arange(p.n, dtype=np.float64)}))

    return Chapter(
        name="96_runner",
        Params=Params,
        Results=Results,
        run=run or table,
        claims=lambda r: [],
        facts=lambda r: {},
        results_version=1,
        **hooks,
    )


def snapshot(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# ---------------------------------------------------------------------------- the recompute argument


@pytest.mark.parametrize("value, computes", [(False, False), ("", False), (True, True), ("1", True), ("sweeps", True)])
def test_recompute_takes_its_documented_values(tmp_path, value, computes):
    calls = {}
    ch = chapter(calls=calls)
    runner.run(ch, Params(), tmp_path)
    got = runner.run(ch, Params(), tmp_path, recompute=value)
    assert got.computed is computes and calls["run"] == 1 + computes
    assert list(got.results.table["x"]) == [0.0, 1.0, 2.0]


@pytest.mark.parametrize("value", ["yes", "true", "0", "SWEEPS", None, 2])
def test_any_other_recompute_is_refused_before_anything_is_done(tmp_path, value):
    calls = {}
    with pytest.raises(ValueError, match=rf"`recompute` must be False, True, '', '1' or 'sweeps', got {value!r}"):
        runner.run(chapter(calls=calls), Params(), tmp_path, recompute=value)
    assert calls["run"] == 0 and not any(tmp_path.iterdir())


@pytest.mark.parametrize("value", [1, np.True_])
def test_a_value_equal_to_true_is_refused_or_recomputes(tmp_path, value):
    calls = {}
    ch = chapter(calls=calls)
    runner.run(ch, Params(), tmp_path)
    try:
        got = runner.run(ch, Params(), tmp_path, recompute=value)
    except ValueError:
        return
    assert got.computed and calls["run"] == 2


# ---------------------------------------------------------------------------- what the log says


def test_the_sweep_cache_policy_follows_recompute_and_speaks_through_the_log(tmp_path, capsys):
    """True / "1": sweep caches that verify are reused; "sweeps": each retrained once; the sweep code's
    lines go to the log given to ``run``, not the terminal."""

    def run(p):
        gdir = tmp_path / "sweeps" / "width_4"
        for _ in range(2):
            cache.say(f"{gdir.name}: {'retrained' if cache.must_retrain(gdir) else 'complete and verified, reused'}")
        return Results(p, pd.DataFrame({"x": [1.0]}))

    ch = chapter(run=run)
    said = {}
    for value in (False, True, "1", "sweeps"):
        lines = []
        runner.run(ch, Params(), tmp_path / "results", recompute=value, log=lines.append)
        said[value] = [line for line in lines if line.startswith("width_4")]
    reused = ["width_4: complete and verified, reused"] * 2
    assert said[False] == said[True] == said["1"] == reused
    assert said["sweeps"] == ["width_4: retrained", "width_4: complete and verified, reused"]  # once per recompute
    assert "width_4" not in capsys.readouterr().err
    assert not cache.must_retrain(tmp_path / "sweeps" / "width_4")  # the policy ends with the run


def test_a_recompute_that_reproduces_the_entry_says_so_and_one_that_differs_does_not(tmp_path):
    lines = []
    runner.run(chapter(), Params(), tmp_path)
    runner.run(chapter(), Params(), tmp_path, recompute=True, log=lines.append)
    assert lines == ["96_runner: the recomputed results equal the stored ones; the stored files are kept"]
    lines.clear()

    def other(p):
        return Results(p, pd.DataFrame({"x": np.ones(p.n)}))

    assert runner.run(chapter(run=other), Params(), tmp_path, recompute=True, log=lines.append).computed
    assert not [line for line in lines if "equal the stored ones" in line]


def test_stored_results_that_lack_parts_this_machine_may_compute_are_completed_and_said(tmp_path):
    state = {"rows": 2}

    def run(p):
        return Results(p, pd.DataFrame({"x": np.arange(state["rows"], dtype=np.float64)}))

    ch = chapter(run=run, can_fill=lambda p, r: len(r.table) < p.n)
    runner.run(ch, Params(), tmp_path)  # stored with a part missing (2 of 3 rows)
    state["rows"] = 3
    lines = []
    filled = runner.run(ch, Params(), tmp_path, log=lines.append)
    assert filled.computed and len(filled.results.table) == 3
    assert "96_runner: the stored results lack parts that this machine may compute; computing them" in lines
    again = runner.run(ch, Params(), tmp_path, log=lines.append)
    assert not again.computed and len(again.results.table) == 3


# ---------------------------------------------------------------------------- complete entries only


def test_results_that_are_not_complete_are_returned_but_not_stored(tmp_path):
    calls = {}
    ch = chapter(calls=calls, is_complete=lambda r: False)
    got = runner.run(ch, Params(), tmp_path)
    assert got.computed and got.manifest["incomplete"] is True and list(got.results.table["x"]) == [0.0, 1.0, 2.0]
    assert not got.path.exists()
    assert runner.run(ch, Params(), tmp_path).computed and calls["run"] == 2  # nothing to read


def test_a_recompute_that_is_not_complete_leaves_the_stored_entry(tmp_path):
    stored = runner.run(chapter(), Params(), tmp_path)
    before = snapshot(stored.path)

    def other(p):
        return Results(p, pd.DataFrame({"x": np.ones(p.n)}))

    got = runner.run(chapter(run=other, is_complete=lambda r: False), Params(), tmp_path, recompute=True)
    assert got.computed and got.manifest["incomplete"] and list(got.results.table["x"]) == [1.0, 1.0, 1.0]
    assert snapshot(stored.path) == before


# ---------------------------------------------------------------------------- what run is offered, float64


def test_run_is_offered_the_sweeps_folder_and_the_log(tmp_path):
    seen = {}

    def run(p, results_dir, log):
        seen.update(results_dir=results_dir, log=log)
        return Results(p, pd.DataFrame({"x": [0.0]}))

    lines = []
    runner.run(chapter(run=run), Params(), tmp_path / "results" / "smoke", log=lines.append)
    assert seen == {"results_dir": tmp_path / "results" / "smoke" / "sweeps", "log": lines.append}


def test_a_float64_chapter_switches_x64_on_whether_it_computes_or_reads(tmp_path, float32):
    ch = chapter(x64=True)
    runner.run(ch, Params(), tmp_path)
    assert jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", False)
    assert not runner.run(ch, Params(), tmp_path).computed and jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", False)
    runner.run(chapter(), Params(n=2), tmp_path)  # a chapter that does not ask leaves it as it is
    assert not jax.config.jax_enable_x64
