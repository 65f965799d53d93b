"""The book pipeline: Jupytext notebooks -> papermill (profile parameters) -> Jupyter Book.

Usage::

    python -m igr_core.book execute [NOTEBOOK ...] --profile smoke [--jobs N] [-p NAME VALUE ...]
    python -m igr_core.book build
    python -m igr_core.book all --profile smoke

``NOTEBOOK`` is a name (``01_theorem_checks``) or a path (``notebooks/01_theorem_checks.md``);
with none, every notebook in ``_toc.yml`` runs (chapters first, ``--jobs`` of them at once in
separate processes, then the pages that gather their results, such as the claims ledger). Parameter values given with ``-p`` are YAML
(``-p hs "[0.1, 0.05]"``). Parameters are validated against each notebook's cell tagged
``parameters`` before anything executes. A notebook that raises fails the run; its
executed copy is kept in ``book/executed/`` for inspection.
"""
from __future__ import annotations

import argparse
import ast
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from igr_core.experiments._params import LARGEST, ParameterError, check_profile, preferred_platform

ROOT = Path(__file__).resolve().parents[2]
EXECUTED = Path("book") / "executed"  # the published book's pages (committed)


def out_dir_for(profile: str, root: Path = ROOT) -> Path:
    """Where a build's executed pages go: the published build (``largest``) to ``book/executed``
    (committed), any other profile to its own ``_build/<profile>/book/executed``, so that a smoke
    rebuild never replaces the published pages."""
    return root / EXECUTED if profile == LARGEST else root / "_build" / profile / EXECUTED
SOURCE_DIRS = (Path("notebooks"), Path("book"))  # chapters first, then gathering pages


def toc_files(root: Path = ROOT) -> list[str]:
    """Every page of ``_toc.yml`` (the root first), as docnames in table-of-contents order,
    read with ``sphinx_external_toc`` (the parser Jupyter Book itself uses)."""
    from sphinx_external_toc.parsing import parse_toc_yaml

    site_map = parse_toc_yaml(str(root / "_toc.yml"))
    out: list[str] = []

    def walk(doc: str) -> None:
        out.append(doc)
        for sub in site_map[doc].subtrees:
            for item in sub.items:
                if hasattr(item, "docname") or isinstance(item, str):
                    walk(getattr(item, "docname", item))

    walk(site_map.root.docname)
    return out


def toc_notebooks(root: Path = ROOT) -> list[str]:
    """Names of the executed notebooks listed in ``_toc.yml``, in table-of-contents order."""
    prefix = EXECUTED.as_posix() + "/"
    return [f[len(prefix):] for f in toc_files(root) if f.startswith(prefix)]


def source_of(name: str, root: Path = ROOT) -> Path:
    for d in SOURCE_DIRS:
        p = root / d / f"{name}.md"
        if p.exists():
            return p
    raise FileNotFoundError(f"no notebook source for {name!r} in {[str(d) for d in SOURCE_DIRS]}")


def execution_order(names: list[str], root: Path = ROOT) -> list[str]:
    """Chapters (``notebooks/``) before pages that gather results (``book/``)."""
    rank = {d: i for i, d in enumerate(SOURCE_DIRS)}
    return sorted(names, key=lambda n: rank[source_of(n, root).parent.relative_to(root)])


def read_notebook(path: Path):
    import jupytext

    nb = jupytext.read(path)
    nb.metadata.setdefault("kernelspec", {"name": "python3", "display_name": "Python 3", "language": "python"})
    return nb


def notebook_parameters(nb) -> dict[str, Any]:
    """Defaults declared in the cell tagged ``parameters`` (literal assignments only)."""
    cells = [c for c in nb.cells if c.cell_type == "code" and "parameters" in c.metadata.get("tags", [])]
    if len(cells) != 1:
        raise ParameterError(f"expected exactly one cell tagged 'parameters', found {len(cells)}")
    params = {}
    for node in ast.parse(cells[0].source).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            params[node.targets[0].id] = ast.literal_eval(node.value)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            params[node.target.id] = ast.literal_eval(node.value)
        elif not isinstance(node, ast.Expr):
            raise ParameterError("the 'parameters' cell may hold only literal assignments")
    return params


def chapter_of(name: str):
    """The registered chapter of a page (None for the pages that gather results)."""
    from igr_core.experiments import registry

    return registry.find(name)


def kernel_env(name: str) -> dict[str, str]:
    """Environment for the kernel of notebook ``name``: ``JAX_PLATFORMS`` from its chapter's
    ``platform`` (chapters whose tiny sequential float64 steps run faster on the CPU than on a
    GPU, measured in ``benchmarks/gpu_h200.md``), unless the caller set ``JAX_PLATFORMS`` already
    (an explicit choice wins)."""
    platform = preferred_platform(chapter_of(name))
    return {} if platform is None else {"JAX_PLATFORMS": platform}


def effective_parameters(
    name: str, profile: str, overrides: dict[str, Any] | None = None, root: Path = ROOT, nb=None
) -> dict[str, Any]:
    """The values a notebook runs with, validated before any kernel starts. A chapter: its
    ``Params`` built by the one validation path (:func:`igr_core.experiments._params.resolve`:
    defaults <- profile <- overrides; names, types, values). Any other page: the literal
    defaults of its own ``parameters`` cell (its only declaration; the book's gathering pages
    declare only ``profile``), the profile's values for it, then the overrides."""
    from igr_core.experiments._params import ParamsBase, profile_values

    from igr_core.experiments._params import coerce_numbers

    if "profile" in (overrides or {}):
        raise ParameterError(f"notebook {name!r}: `profile` is not a parameter; name it with --profile")
    chapter = chapter_of(name)
    if chapter is not None:
        return chapter.resolve(profile, coerce_numbers(chapter.Params, overrides or {})).as_dict()
    if profile != LARGEST:
        check_profile(profile)
    defaults = notebook_parameters(nb if nb is not None else read_notebook(source_of(name, root)))
    local = root / "profiles" / f"{profile}.yml"  # a book of its own (tests build one)
    if local.exists():
        values = ((yaml.safe_load(local.read_text()) or {}).get("notebooks") or {}).get(name) or {}
    else:
        values = profile_values(profile, name) if profile != LARGEST else {}
    given = {**values, **(overrides or {})}
    ParamsBase.check_against(defaults, given, f"notebook {name!r}: ")
    return {**defaults, **given, "profile": profile}


def resolve(arg: str) -> str:
    """Notebook name from a name or a path."""
    return Path(arg).stem


def page_profile(name: str, profile: str, root: Path = ROOT) -> str:
    """The profile a notebook executes with. ``largest``: a chapter takes the largest profile
    whose results the store holds (else ``smoke``, computed here); the gathering pages take
    ``largest`` and read each chapter at its largest scale."""
    if profile != LARGEST:
        return check_profile(profile)
    if chapter_of(name) is None:
        return LARGEST
    from igr_core.book import ledger

    return ledger.largest_profile(name, root) or "smoke"


def plan(names: list[str], profile: str, overrides: dict[str, Any], root: Path = ROOT):
    """Validate every notebook's parameters before executing any: [(name, source, notebook,
    injected, effective, profile)]; papermill injects ``injected`` (the profile and the
    overrides), the notebook resolves the rest from its profile, and ``effective`` is what it
    will run."""
    jobs = []
    for name in names:
        src = source_of(name, root)
        nb = read_notebook(src)
        prof = page_profile(name, profile, root)
        effective = effective_parameters(name, prof, overrides, root, nb)
        # a chapter resolves its profile itself; another page gets every value it runs with
        chapter = chapter_of(name)
        injected = {"profile": prof, **{k: effective[k] for k in overrides}} if chapter is not None else effective
        jobs.append((name, src, nb, injected, effective, prof))
    return jobs


def _hide_injected(path: Path) -> None:
    import nbformat

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        if "injected-parameters" in tags and "remove-cell" not in tags:
            cell.metadata["tags"] = [*tags, "remove-cell"]
    nbformat.write(nb, path)


def fingerprint(name: str, src: Path, params: dict, profile: str, root: Path = ROOT, out_dir: Path | None = None) -> str:
    """What an executed notebook depends on: its source, its parameters (profile and
    overrides), the lock file, every module of ``igr_core``, and, for the pages that gather
    results (``book/``), the chapters' ledger entries. A change in any re-executes it."""
    import hashlib
    import json

    h = hashlib.sha256()
    h.update(src.read_bytes())
    h.update(json.dumps(params, sort_keys=True, default=str).encode())
    lock = root / "constraints.txt"
    h.update(lock.read_bytes() if lock.exists() else b"no lock")
    pkg = Path(__file__).resolve().parents[1]
    for f in sorted(pkg.rglob("*.py")):
        h.update(f.relative_to(pkg).as_posix().encode())
        h.update(f.read_bytes())
    if src.parent.name == "book":  # pages that gather every chapter's stored results and execution records
        gathering = {p.stem for p in (root / "book").glob("*.md")}  # not each other's records: those change
        # as the pages of this stage finish, so a fresh clone would re-execute them every time
        out_dir = out_dir or root / EXECUTED
        records = [f for f in out_dir.glob("*.hash.json") if f.name[: -len(".hash.json")] not in gathering]
        files = [f for f in (root / "results").glob("*/*/*/**/*") if f.is_file() and f.suffix != ".lock"]
        files = [f for f in files if f.parts[len(root.parts) + 2] != "sweeps"] + records
    else:  # a chapter: every file of its stored results (a recomputed, deleted or corrupted file re-executes it)
        files = [f for f in (root / "results" / profile / name).glob("*/**/*") if f.is_file()]
    for f in sorted(files):
        h.update(f.relative_to(root).as_posix().encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:16]


def _reusable(name: str, key: str, profile: str, out_dir: Path) -> bool:
    import json

    out, meta = out_dir / f"{name}.ipynb", out_dir / f"{name}.hash.json"
    if not (out.exists() and meta.exists()):
        return False
    saved = json.loads(meta.read_text())
    return saved.get("fingerprint") == key and saved.get("profile") == profile


def _record(root: Path, name: str, profile: str, params: dict, seconds: float, key: str) -> dict:
    """Provenance of one execution (read by the generated "How this book was made" page): profile,
    parameters, wall time, devices, library versions, commit, hash of the lock file, fingerprint."""
    import datetime
    import hashlib

    import jax

    from igr_core._src import store

    lock = root / "constraints.txt"
    return {"notebook": name, "profile": profile, "parameters": params, "seconds": round(seconds, 1),
            "devices": [str(d) for d in jax.devices()],
            "versions": store.library_versions(("jax", "jaxlib", "dm-haiku", "optax", "jupyter-book", "papermill")),
            "git_commit": store.git_commit(root),
            "constraints_sha256": hashlib.sha256(lock.read_bytes()).hexdigest()[:16] if lock.exists() else "",
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"), "fingerprint": key}


def _check_writable(root: Path, name: str, profile: str, out_dir: Path) -> None:
    """Every place one execution publishes to, checked before it starts (nothing half-published)."""
    from igr_core._src import store

    for folder in (out_dir, root / "_build" / ".papermill"):
        store.check_writable(folder)
    if chapter_of(name) is not None:
        store.check_writable(root / "results" / profile)


def _publish(staged: dict[Path, Path]) -> None:
    """Move every staged file into place; the fingerprint file (what marks a page reusable) last,
    so an interruption in between re-executes the page next time instead of reusing half of it."""
    import shutil

    order = sorted(staged.items(), key=lambda kv: kv[1].name.endswith(".hash.json"))
    for src, dst in order:
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(src), dst)


SINGLE_THREAD_XLA = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"


def _execute_one(name: str, src: Path, nb, params: dict, effective: dict, profile: str, key: str, root: Path,
                 single_thread: bool = False, recompute: bool = False, out_dir: Path | None = None):
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
        pm.execute_notebook(str(tmp), str(result), parameters=params, kernel_name="python3", cwd=str(root),
                            progress_bar=False, log_output=False, extra_arguments=["--IPKernelApp.log_level=ERROR"])
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
    (stage / "hash.json").write_text(json.dumps({"fingerprint": key, "profile": profile, "record": record}, indent=1,
                                                default=str))
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


def execute(names: list[str], profile: str, overrides: dict[str, Any] | None = None,
            root: Path = ROOT, log=print, force: bool = False, jobs: int | None = None,
            recompute: bool = False, out_dir: Path | None = None) -> list[tuple[str, float, str]]:
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

    profiles = {j[0]: j[5] for j in plans}

    def done(name, dt, status, failure):
        times.append((name, dt, status))
        log(f"[{status:>6}] {name:<28} {dt:7.1f} s  ({profiles[name]})")
        if failure is not None:
            failed.append((name, out_dir / f"{name}.ipynb", *failure))

    stages = [[j for j in plans if source_of(j[0], root).parent.name != "book"],
              [j for j in plans if source_of(j[0], root).parent.name == "book"]]
    ctx = mp.get_context("spawn")  # fresh interpreters: the parent may have imported jax
    for stage in stages:
        todo = []
        for name, src, nb, params, effective, prof in stage:
            key = fingerprint(name, src, effective, prof, root, out_dir)  # after the chapters ran, for the book pages
            if not force and _reusable(name, key, prof, out_dir):
                times.append((name, 0.0, "reused"))
                log(f"[reused] {name:<28} unchanged, reused ({prof})")
            else:
                todo.append((name, src, nb, params, effective, prof, key, root))
        if not todo:
            continue
        for name, *_rest in todo:
            _check_writable(root, name, profiles[name], out_dir)
        # every execution runs in a worker process, so that the environment it sets for its kernel
        # never reaches the caller's process (one notebook or --jobs 1 included)
        workers = min(jobs, len(todo))
        single = (os.cpu_count() or 1) // workers < 2
        with cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            for fut in cf.as_completed([pool.submit(_execute_one, *t, single, recompute, out_dir) for t in todo]):
                done(*fut.result())
    order = {n: i for i, (n, *_rest) in enumerate(plans)}
    times.sort(key=lambda t: order[t[0]])
    log(times_table(times))
    if failed:
        msgs = "\n".join(f"  {n}: {ename}: {evalue} (failed execution: {b}; last good notebook "
                         f"{'kept at ' + str(o) if o.exists() else 'none'})" for n, o, ename, evalue, b in failed)
        raise RuntimeError(f"{len(failed)} notebook(s) raised:\n{msgs}")
    return times


def times_table(times) -> str:
    lines = ["", f"{'notebook':<30}{'seconds':>10}  status", "-" * 50]
    lines += [f"{n:<30}{t:>10.1f}  {s}" for n, t, s in times]
    lines.append(f"{'total':<30}{sum(t for _, t, _ in times):>10.1f}")
    return "\n".join(lines)


def assemble(profile: str, root: Path = ROOT) -> Path:
    """The book root of a build other than the published one: ``_build/<profile>/`` with the
    configuration, the table of contents, the static files and the non-executed pages copied
    beside its executed pages (which the pipeline wrote there)."""
    import shutil

    if profile == LARGEST:
        return root
    book_root = root / "_build" / profile
    (book_root / "book").mkdir(parents=True, exist_ok=True)
    for name in ("_config.yml", "_toc.yml"):
        shutil.copy2(root / name, book_root / name)
    for f in (root / "book").glob("*"):
        if f.is_file():
            shutil.copy2(f, book_root / "book" / f.name)
    if (root / "_static").exists():
        shutil.copytree(root / "_static", book_root / "_static", dirs_exist_ok=True)
    return book_root


def build(root: Path = ROOT, log=print, profile: str = LARGEST) -> None:
    """Jupyter Book 1 build of the executed notebooks; warnings are errors (-W -n). The published
    build lands in ``_build/html``; another profile's in ``_build/<profile>/_build/html``."""
    book_root = assemble(profile, root)
    exe = Path(sys.executable).parent / "jupyter-book"
    cmd = [str(exe), "build", str(book_root), "-W", "-n", "--keep-going", "--builder", "html"]
    log("$ " + " ".join(cmd))
    t0 = time.perf_counter()
    res = subprocess.run(cmd, cwd=root)
    if res.returncode != 0:
        raise RuntimeError(f"jupyter-book build failed (exit {res.returncode}); see the output above")
    log(f"book built in {time.perf_counter() - t0:.1f} s: {book_root / '_build' / 'html' / 'index.html'}")


def _parse_overrides(pairs: list[list[str]] | None) -> dict[str, Any]:
    from igr_core.experiments._params import parse_overrides

    return parse_overrides(pairs)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m igr_core.book", description=__doc__.split("\n")[0])
    ap.add_argument("command", choices=("execute", "build", "all"))
    ap.add_argument("notebooks", nargs="*", help="names or paths (default: every notebook in _toc.yml)")
    ap.add_argument("--profile", default=None,
                    help=f"smoke (the default of execute and all), standin, accelerator, paper, or {LARGEST} (the "
                         "published book, the default of build: each chapter at the largest adequate scale stored)")
    ap.add_argument("--force", action="store_true", help="re-execute every notebook, even unchanged ones")
    ap.add_argument("--recompute", action="store_true",
                    help="recompute every chapter's results instead of reading the result store (implies --force)")
    ap.add_argument("--jobs", type=int, default=None,
                    help="chapters executed at once (default: IGR_BOOK_JOBS, else 2 on 2+ cores)")
    ap.add_argument("-p", "--parameter", nargs=2, action="append", metavar=("NAME", "VALUE"),
                    help="override one parameter (VALUE is YAML) for the notebooks executed")
    args = ap.parse_intermixed_args(argv)  # options anywhere: `execute --profile paper 04_toy_model` too
    if args.profile is None:
        args.profile = LARGEST if args.command == "build" else "smoke"
    try:
        if args.command in ("execute", "all"):
            names = [resolve(n) for n in args.notebooks] or toc_notebooks()
            known = set(toc_notebooks())
            for n in names:
                if n not in known:
                    raise ParameterError(f"unknown notebook {n!r}; allowed: {', '.join(sorted(known))}")
            execute(names, args.profile, _parse_overrides(args.parameter), force=args.force, jobs=args.jobs,
                    recompute=args.recompute, out_dir=out_dir_for(args.profile))
        if args.command in ("build", "all"):
            build(profile=args.profile)
    except (ParameterError, RuntimeError, OSError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
