"""Executing pages with papermill in worker processes: staged outputs published together, workers that
die with the pipeline, failures kept beside the last good page."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

from igr_core.book.fingerprints import (
    _record,
    _reusable,
    fingerprint,
)
from igr_core.book.planning import (
    chapter_of,
    kernel_env,
    plan,
)
from igr_core.book.toc import (
    EXECUTED,
    ROOT,
    execution_order,
)


def _hide_injected(path: Path) -> None:
    import nbformat

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        if "injected-parameters" in tags and "remove-cell" not in tags:
            cell.metadata["tags"] = [*tags, "remove-cell"]
    nbformat.write(nb, path)


def _check_writable(root: Path, name: str, profile: str) -> None:
    """A chapter's results folder, checked before its kernel starts (``execute`` checks the pages'
    folder and the staging folder once for all)."""
    from igr_core._src import store

    if chapter_of(name) is not None:
        store.check_writable(store.results_dir(profile, root))


def _publish(staged: dict[Path, Path]) -> None:
    """Move every staged file into place; the fingerprint file (what marks a page reusable) last,
    so an interruption in between re-executes the page next time instead of reusing half of it."""
    import shutil

    order = sorted(staged.items(), key=lambda kv: kv[1].name.endswith(".hash.json"))
    for src, dst in order:
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(src), dst)


SINGLE_THREAD_XLA = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"


def _execute_one(
    name: str,
    src: Path,
    nb,
    params: dict,
    effective: dict,
    profile: str,
    key: str,
    root: Path,
    single_thread: bool = False,
    recompute: bool = False,
    out_dir: Path | None = None,
):
    """Execute one notebook with papermill (in a worker process); returns (name, seconds,
    status, failure) with failure = (ename, evalue, failed notebook path) or None. With
    ``single_thread`` the kernel's XLA runs on one thread (unless ``XLA_FLAGS`` is set)."""
    import shutil

    import nbformat
    import papermill as pm

    _die_with_parent()
    _quiet_validated_parameters(params)
    if single_thread:
        os.environ.setdefault("XLA_FLAGS", SINGLE_THREAD_XLA)
    os.environ["IGR_ROOT"] = str(root)
    logs = root / "_build" / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    os.environ["IGR_PROGRESS_LOG"] = str(logs / f"{name}.log")  # progress lines (display.progress), off the page
    (logs / f"{name}.log").write_text("")
    os.environ.setdefault("PYTHONWARNINGS", "ignore::DeprecationWarning")
    if recompute:  # the kernel inherits it: the chapter's store.run recomputes (the sweep caches stay)
        from igr_core._src.store import RECOMPUTE_ENV

        os.environ[RECOMPUTE_ENV] = "1"
    out_dir, tmp_dir = out_dir or root / EXECUTED, root / "_build" / ".papermill"
    os.environ["IGR_EXECUTED_DIR"] = str(out_dir)  # the provenance page lists the records of its own build
    out = out_dir / f"{name}.ipynb"
    tmp = tmp_dir / f"{name}.ipynb"
    result = tmp_dir / f"{name}.out.ipynb"
    stage = tmp_dir / f"{name}.stage"
    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir(parents=True)
    os.environ["IGR_EXPORT_DIR"] = str(stage)  # the kernel writes the page's results zip here, published below
    nbformat.write(nb, tmp)
    t0 = time.perf_counter()
    env = kernel_env(name)
    os.environ.update(env)  # the kernel inherits it; this worker may run other notebooks after: restored below
    try:
        # the kernel's own log at ERROR: its "running over TCP without encryption" warning (a local kernel on
        # loopback) would print once per page; errors still show, and a cell that raises fails the run
        pm.execute_notebook(
            str(tmp),
            str(result),
            parameters=params,
            kernel_name="python3",
            cwd=str(root),
            progress_bar=False,
            log_output=False,
            extra_arguments=["--IPKernelApp.log_level=ERROR"],
        )
    except pm.PapermillExecutionError as err:
        bad = out_dir / f"{name}.failed.ipynb"
        shutil.move(str(result), bad)
        (out_dir / f"{name}.failed.txt").write_text(f"{err.ename}: {err.evalue}\n\n" + "\n".join(err.traceback))
        return name, time.perf_counter() - t0, "FAILED", (err.ename, err.evalue, str(bad))
    finally:
        for k in env:
            os.environ.pop(k, None)
    import json

    _hide_injected(result)
    dt = time.perf_counter() - t0
    key = fingerprint(name, src, effective, profile, root, out_dir)  # after the run: it includes what the run stored
    record = _record(root, name, profile, effective, dt, key)
    (stage / "hash.json").write_text(
        json.dumps({"fingerprint": key, "profile": profile, "record": record}, indent=1, default=str)
    )
    staged = {result: out, stage / "hash.json": out_dir / f"{name}.hash.json"}
    staged.update({f: out_dir / f.name for f in stage.glob("*_results.zip")})
    _publish(staged)
    shutil.rmtree(stage, ignore_errors=True)
    for stale in (out_dir / f"{name}.failed.ipynb", out_dir / f"{name}.failed.txt"):
        stale.unlink(missing_ok=True)
    return name, dt, "ok", None


def _quiet_validated_parameters(params: dict) -> None:
    """papermill warns "Passed unknown parameter" for every value that is not in the parameters cell;
    a chapter's cell names only ``profile`` and the pipeline validated the rest against its
    ``Params`` before any kernel started, so those warnings would mislead: drop them (only them)."""
    import logging

    names = set(params)

    class Validated(logging.Filter):
        def filter(self, record):
            msg = record.getMessage()
            return not (msg.startswith("Passed unknown parameter: ") and msg.split(": ", 1)[1] in names)

    logging.getLogger("papermill").addFilter(Validated())


def _die_with_parent() -> None:
    """A worker dies with the pipeline that started it (Linux ``PR_SET_PDEATHSIG``); its kernel
    follows (ipykernel exits when its parent process changes), so nothing is written by an orphan."""
    import signal

    if sys.platform.startswith("linux"):
        import ctypes

        try:
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
        except OSError:
            pass
        if os.getppid() == 1:  # the parent died before the call
            os._exit(1)


def default_jobs() -> int:
    """Notebooks executed at once: ``IGR_BOOK_JOBS`` if set, else 2 where there are at least 2
    cores. Measured on 2 cores (chapters 08 and 09, ``--force``): one at a time 174 s; two at
    once 152 s; two at once with single-threaded XLA kernels 130 s, which :func:`execute`
    therefore uses when the jobs leave fewer than 2 cores per kernel (compilation, a large
    share of a smoke run, is single-threaded anyway)."""
    env = os.environ.get("IGR_BOOK_JOBS")
    if env is not None:
        if not env.isdigit() or int(env) < 1:
            raise ValueError(f"IGR_BOOK_JOBS must be a positive integer, got {env!r}.")
        return int(env)
    return 2 if (os.cpu_count() or 1) >= 2 else 1


def execute(
    names: list[str],
    profile: str,
    overrides: dict[str, Any] | None = None,
    root: Path = ROOT,
    log=print,
    force: bool = False,
    jobs: int | None = None,
    recompute: bool = False,
    out_dir: Path | None = None,
) -> list[tuple[str, float, str]]:
    """Execute notebooks with papermill. Returns [(name, seconds, status)]; raises on failure.

    A notebook whose :func:`fingerprint` matches its last good execution is reused
    ("unchanged, reused") unless ``force``. Chapters (``notebooks/``) are independent and run
    ``jobs`` at a time (:func:`default_jobs`), each in its own kernel; the pages that gather
    their results (``book/``) run after all of them. A failing execution never replaces the
    last good notebook: it is written beside it as ``<name>.failed.ipynb`` with
    ``<name>.failed.txt`` (the traceback), and the run fails naming both. Long computations
    report progress to the terminal through :func:`igr_core.book.display.progress` (the
    kernel's own stderr), not into the page.
    """
    import concurrent.futures as cf
    import multiprocessing as mp

    if recompute:
        force = True
    jobs = default_jobs() if jobs is None else jobs
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"`jobs` must be a positive integer, got {jobs!r}.")
    overrides = overrides or {}
    plans = plan(execution_order(names, root), profile, overrides, root)
    out_dir = out_dir or root / EXECUTED
    from igr_core._src.store import check_writable

    for folder in (out_dir, root / "_build" / ".papermill"):  # before anything is written or executed
        check_writable(folder)
    times, failed = [], []

    profiles = {j.name: j.profile for j in plans}

    def done(name, dt, status, failure):
        times.append((name, dt, status))
        log(f"[{status:>6}] {name:<28} {dt:7.1f} s  ({profiles[name]})")
        if failure is not None:
            failed.append((name, out_dir / f"{name}.ipynb", *failure))

    stages = [
        [j for j in plans if j.source.parent.name != "book"],
        [j for j in plans if j.source.parent.name == "book"],
    ]
    ctx = mp.get_context("spawn")  # fresh interpreters: the parent may have imported jax
    for stage in stages:
        todo = []
        for j in stage:
            key = fingerprint(j.name, j.source, j.effective, j.profile, root, out_dir)  # after the chapters ran
            if not force and _reusable(j.name, key, j.profile, out_dir):
                times.append((j.name, 0.0, "reused"))
                log(f"[reused] {j.name:<28} unchanged, reused ({j.profile})")
            else:
                todo.append((j, key))
        if not todo:
            continue
        for j, _key in todo:
            _check_writable(root, j.name, j.profile)
        # every execution runs in a worker process, so that the environment it sets for its kernel
        # never reaches the caller's process (one notebook or --jobs 1 included)
        workers = min(jobs, len(todo))
        single = (os.cpu_count() or 1) // workers < 2
        with cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            runs = [pool.submit(_execute_one, *j, key, root, single, recompute, out_dir) for j, key in todo]
            for fut in cf.as_completed(runs):
                done(*fut.result())
    order = {j.name: i for i, j in enumerate(plans)}
    times.sort(key=lambda t: order[t[0]])
    log(times_table(times))
    if failed:
        msgs = "\n".join(
            f"  {n}: {ename}: {evalue} (failed execution: {b}; last good notebook "
            f"{'kept at ' + str(o) if o.exists() else 'none'})"
            for n, o, ename, evalue, b in failed
        )
        raise RuntimeError(f"{len(failed)} notebook(s) raised:\n{msgs}")
    return times


def times_table(times) -> str:
    lines = ["", f"{'notebook':<30}{'seconds':>10}  status", "-" * 50]
    lines += [f"{n:<30}{t:>10.1f}  {s}" for n, t, s in times]
    lines.append(f"{'total':<30}{sum(t for _, t, _ in times):>10.1f}")
    return "\n".join(lines)
