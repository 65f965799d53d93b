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


def _check_writable(root: Path, name: str, profile: str, results: Path, effective: dict, recompute: bool) -> None:
    """A chapter's results folder, checked before its kernel starts, where the kernel may write to it:
    a page that re-plots stored results reads only (a read-only results folder is fine then)."""
    from igr_core._src import store

    chapter = chapter_of(name)
    if chapter is None:
        return
    try:
        entry = store.entry_dir(results / profile, chapter, chapter.Params(**effective))
    except (TypeError, ValueError):
        entry = None
    if not recompute and entry is not None and (entry / store.MANIFEST).exists():
        return
    store.check_writable(results / profile, chapter.name)


def _sha(path: Path) -> str:
    from igr_core._src.codec import sha256

    return sha256(path)


def _publish(name: str, out_dir: Path, page: Path, zips: list[Path], record: dict) -> None:
    """Put the page, its results zip and its record in place (under the page's lock): the old record
    goes first, so an interruption re-executes the page next time; the record, written last, names
    the sha256 of the page and the zip it belongs to (:func:`_reusable` checks both)."""
    import json
    import shutil

    out_dir.mkdir(parents=True, exist_ok=True)
    meta = out_dir / f"{name}.hash.json"
    meta.unlink(missing_ok=True)
    for old in out_dir.glob(f"{name}_results.zip"):
        if old.name not in {z.name for z in zips}:
            old.unlink()  # a zip of another run never stays beside this page
    for z in zips:
        shutil.move(str(z), out_dir / z.name)
    shutil.move(str(page), out_dir / f"{name}.ipynb")
    record = {
        **record,
        "page_sha256": _sha(out_dir / f"{name}.ipynb"),
        "zips": {z.name: _sha(out_dir / z.name) for z in zips},
    }
    tmp = meta.with_name(meta.name + ".tmp")
    tmp.write_text(json.dumps(record, indent=1, default=str))
    tmp.replace(meta)


SINGLE_THREAD_XLA = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"


def _page_lock(root: Path, out_dir: Path, name: str) -> Path:
    """The lock of one page of one build (its pages folder): two builds of it take turns."""
    import hashlib

    tag = hashlib.sha256(str(out_dir.resolve()).encode()).hexdigest()[:8]
    return root / "_build" / ".papermill" / "locks" / f"{tag}-{name}"


def _staging(root: Path, name: str) -> Path:
    """A staging folder unique to this execution (process and call)."""
    import uuid

    folder = root / "_build" / ".papermill" / f"{name}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    (folder / "stage").mkdir(parents=True)
    return folder


def _kernel_environment(name: str, root: Path, out_dir: Path, stage: Path, results: Path | None, recompute) -> dict:
    """What the kernel of one page inherits: where the checkout, the results, its zip and its build's
    pages are; where progress goes; whether to recompute."""
    from igr_core._src import env

    logs = root / "_build" / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    (logs / f"{name}.log").write_text("")
    out = {
        env.ROOT: str(root),
        env.PROGRESS_LOG: str(logs / f"{name}.log"),  # progress lines (display.progress), off the page
        env.EXECUTED_DIR: str(out_dir),  # the provenance page lists the records of its own build
        env.EXPORT_DIR: str(stage),  # the kernel writes the page's results zip here, published with the page
    }
    if results is not None:
        out[env.RESULTS] = str(results)
    if recompute:  # "1": the chapter's runner.run recomputes (sweep caches reused where they verify); "sweeps"
        out[env.RECOMPUTE] = "sweeps" if recompute == "sweeps" else "1"
    return out


def _failed(name: str, src: Path, out_dir: Path, result: Path, fallback: Path, ename: str, evalue: str, tb: str):
    """A failed execution kept beside the last good page: ``.failed.ipynb`` and ``.failed.txt``."""
    import shutil

    out_dir.mkdir(parents=True, exist_ok=True)
    bad = out_dir / f"{name}.failed.ipynb"
    shutil.copy(str(result if result.exists() else fallback), bad)
    (out_dir / f"{name}.failed.txt").write_text(f"{ename}: {evalue}\n\n{tb}")
    return ename, evalue, str(bad)


def _exit_words(returncode: int | None) -> str:
    """How a kernel process ended, in words: the signal that killed it (by number and name, with
    what usually sends it) or its exit status; "" when unknown."""
    import signal

    if returncode is None:
        return ""
    if returncode >= 0:
        return f"it exited with status {returncode}"
    try:
        sig = signal.Signals(-returncode)
    except ValueError:
        return f"it was killed by signal {-returncode}"
    usual = {
        signal.SIGKILL: "the out-of-memory killer sends it when memory runs out (`dmesg` names it), as does `kill -9`",
        signal.SIGSEGV: "a segmentation fault: a crash in compiled code",
        signal.SIGABRT: "an abort: a failed assertion in compiled code",
        signal.SIGBUS: "a bus error: often a full /dev/shm or a truncated memory-mapped file",
    }.get(sig, "")
    return f"it was killed by signal {-returncode} ({sig.name})" + (f": {usual}" if usual else "")


def _dead_kernel(name: str, src: Path, err: BaseException, returncode: int | None = None) -> tuple[str, str]:
    """(ename, evalue) of a kernel that died: the notebook, the cause (the signal that killed the
    kernel, from its process's exit status, where known) and the kernel's peak memory."""
    import resource

    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss >> 10  # the reaped kernel's, in MiB
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") >> 20
    how = _exit_words(returncode) or (
        "it was killed by a signal or crashed (a segfault, or the out-of-memory killer's SIGKILL)"
    )
    cause = (
        f"the kernel of {name} ({src}) died while executing it ({type(err).__name__}: {err}): {how}; "
        f"its peak memory was {peak} MiB of {total} MiB"
    )
    return "DeadKernelError", cause


def _recording_kernel_manager(ended: dict):
    """A kernel manager class (nbclient's ``kernel_manager_class``) that writes the kernel process's
    exit status into ``ended["returncode"]`` when it finds the kernel dead: a negative number is
    the signal that killed it (a died kernel is otherwise only "Kernel died")."""
    from jupyter_client.manager import AsyncKernelManager

    class RecordingKernelManager(AsyncKernelManager):
        async def is_alive(self) -> bool:
            alive = await super().is_alive()
            process = getattr(self.provisioner, "process", None) if self.provisioner is not None else None
            if not alive and process is not None and process.returncode is not None:
                ended["returncode"] = process.returncode
            return alive

    return RecordingKernelManager


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
    recompute=False,
    out_dir: Path | None = None,
    results: Path | None = None,
    force: bool = True,
):
    """Execute one notebook with papermill (in a worker process) under the page's lock; returns
    (name, seconds, status, failure) with failure = (ename, evalue, failed notebook path) or None.
    A second build of the same page waits for the first (and says for whom), then reuses its page
    when the fingerprint matches (unless ``force``). With ``single_thread`` the kernel's XLA runs
    on one thread (unless ``XLA_FLAGS`` is set)."""
    from igr_core._src import store

    _die_with_parent()
    _quiet_validated_parameters(params)
    if single_thread:
        os.environ.setdefault("XLA_FLAGS", SINGLE_THREAD_XLA)
    out_dir = out_dir or root / EXECUTED
    say = lambda s: print(s, file=sys.stderr, flush=True)  # noqa: E731
    with store.writer_lock(_page_lock(root, out_dir, name), say, doing=f"building the page {name} into {out_dir}"):
        key = fingerprint(name, src, effective, profile, root, out_dir, results)
        if not force and _reusable(name, key, profile, out_dir):
            return name, 0.0, "reused", None
        return _run_and_publish(name, src, nb, params, effective, profile, root, recompute, out_dir, results)


def _run_and_publish(name, src, nb, params, effective, profile, root, recompute, out_dir, results):
    import shutil

    import nbformat
    import papermill as pm

    work = _staging(root, name)
    tmp, result, stage = work / f"{name}.ipynb", work / f"{name}.out.ipynb", work / "stage"
    nbformat.write(nb, tmp)
    t0 = time.perf_counter()
    env = {**_kernel_environment(name, root, out_dir, stage, results, recompute), **kernel_env(name)}
    saved = {k: os.environ.get(k) for k in env}
    ended: dict = {}  # the kernel process's exit status, where it died
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
            kernel_manager_class=_recording_kernel_manager(ended),
        )
    except pm.PapermillExecutionError as err:
        failure = _failed(name, src, out_dir, result, tmp, err.ename, err.evalue, "\n".join(err.traceback))
        return name, time.perf_counter() - t0, "FAILED", failure
    except Exception as err:  # a kernel that died (out of memory, a segfault) is not a PapermillExecutionError
        ename, evalue = _dead_kernel(name, src, err, ended.get("returncode"))
        return name, time.perf_counter() - t0, "FAILED", _failed(name, src, out_dir, result, tmp, ename, evalue, "")
    finally:
        for k, v in saved.items():
            os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)
    _hide_injected(result)
    dt = time.perf_counter() - t0
    key = fingerprint(name, src, effective, profile, root, out_dir, results)  # after the run: what it stored
    record = {"fingerprint": key, "profile": profile, "record": _record(root, name, profile, effective, dt, key)}
    _publish(name, out_dir, result, sorted(stage.glob("*_results.zip")), record)
    shutil.rmtree(work, ignore_errors=True)
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
    from igr_core._src import env

    jobs = env.book_jobs()
    if jobs is not None:
        return jobs
    return 2 if (os.cpu_count() or 1) >= 2 else 1


def execute(
    names: list[str],
    profile: str,
    overrides: dict[str, Any] | None = None,
    root: Path = ROOT,
    log=print,
    force: bool = False,
    jobs: int | None = None,
    recompute: bool | str = False,
    out_dir: Path | None = None,
    results: Path | None = None,
) -> list[tuple[str, float, str]]:
    """Execute notebooks with papermill. Returns [(name, seconds, status)]; raises on failure.

    A notebook whose :func:`fingerprint` matches its last good execution is reused
    ("unchanged, reused") unless ``force``. Chapters (``notebooks/``) are independent and run
    ``jobs`` at a time (:func:`default_jobs`), each in its own kernel; the pages that gather
    their results (``book/``) run after all of them. A failing execution never replaces the
    last good notebook: it is written beside it as ``<name>.failed.ipynb`` with
    ``<name>.failed.txt`` (the traceback), and the run fails naming both. Long computations
    report progress to the terminal through :func:`igr_core.book.display.progress` (the
    kernel's own stderr), not into the page. ``results`` is the results root the kernels read
    and write (default ``<root>/results``; CI's smoke build passes one of its own under ``_build/``).
    ``recompute``: True recomputes entries (sweep caches reused where they verify), ``"sweeps"``
    retrains the sweep caches too.
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
    results = Path(results) if results is not None else None
    times, failed = [], []

    profiles = {j.name: j.profile for j in plans}

    def done(name, dt, status, failure):
        times.append((name, dt, status))
        if status == "reused":  # another build published it while this one waited for the page
            log(f"[reused] {name:<28} unchanged, reused ({profiles[name]}; built by another build meanwhile)")
        else:
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
            key = fingerprint(j.name, j.source, j.effective, j.profile, root, out_dir, results)  # after the chapters
            if not force and _reusable(j.name, key, j.profile, out_dir):
                times.append((j.name, 0.0, "reused"))
                log(f"[reused] {j.name:<28} unchanged, reused ({j.profile})")
            else:
                todo.append((j, key))
        if not todo:
            continue
        for j, _key in todo:
            _check_writable(root, j.name, j.profile, results or root / "results", j.effective, bool(recompute))
        # every execution runs in a worker process, so that the environment it sets for its kernel
        # never reaches the caller's process (one notebook or --jobs 1 included)
        workers = min(jobs, len(todo))
        single = (os.cpu_count() or 1) // workers < 2
        with cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            runs = [
                pool.submit(_execute_one, *j, key, root, single, recompute, out_dir, results, force) for j, key in todo
            ]
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
