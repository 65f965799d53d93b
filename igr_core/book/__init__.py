"""The book pipeline: Jupytext notebooks -> papermill (profile parameters) -> Jupyter Book.

Usage::

    python -m igr_core.book execute [NOTEBOOK ...] --profile smoke [-p NAME VALUE ...]
    python -m igr_core.book build
    python -m igr_core.book all --profile smoke

``NOTEBOOK`` is a name (``01_theorem_checks``) or a path (``notebooks/01_theorem_checks.md``);
with none, every notebook in ``_toc.yml`` runs (chapters first, then pages that gather
their results, such as the claims ledger). Parameter values given with ``-p`` are YAML
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

ROOT = Path(__file__).resolve().parents[2]
EXECUTED = Path("book") / "executed"
SOURCE_DIRS = (Path("notebooks"), Path("book"))  # chapters first, then gathering pages


class ParameterError(ValueError):
    """A parameter name or value that a notebook does not accept."""


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


def _type_name(v: Any) -> str:
    return "list" if isinstance(v, (list, tuple)) else type(v).__name__


def _compatible(default: Any, value: Any) -> bool:
    if default is None:
        return True
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(default, bool) and isinstance(value, bool)
    if isinstance(default, float):
        return isinstance(value, (int, float))
    if isinstance(default, int):
        return isinstance(value, int)
    if isinstance(default, str):
        return isinstance(value, str)
    if isinstance(default, (list, tuple)):
        if not isinstance(value, (list, tuple)):
            return False
        if default and value:
            return all(_compatible(default[0], v) for v in value)
        return True
    if isinstance(default, dict):
        return isinstance(value, dict)
    return type(default) is type(value)


def validate_parameters(notebook: str, defaults: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """Check names and types of ``given`` against ``defaults``; raise naming the problem."""
    for name, value in given.items():
        if name not in defaults:
            raise ParameterError(
                f"notebook {notebook!r}: unknown parameter {name!r}; allowed: {', '.join(sorted(defaults))}")
        if not _compatible(defaults[name], value):
            d = defaults[name]
            elem = f" of {_type_name(d[0])}" if isinstance(d, (list, tuple)) and d else ""
            raise ParameterError(
                f"notebook {notebook!r}: parameter {name!r} must be a {_type_name(d)}{elem} "
                f"(default {d!r}), got {value!r} ({_type_name(value)})")
    return given


def load_profile(profile: str, root: Path = ROOT) -> dict[str, Any]:
    path = root / "profiles" / f"{profile}.yml"
    if not path.exists():
        allowed = sorted(p.stem for p in (root / "profiles").glob("*.yml"))
        raise ParameterError(f"unknown profile {profile!r}; allowed: {', '.join(allowed)}")
    data = yaml.safe_load(path.read_text()) or {}
    return data


def profile_parameters(profile: str, name: str, root: Path = ROOT) -> dict[str, Any]:
    data = load_profile(profile, root)
    params = dict(data.get("defaults") or {})
    params.update((data.get("notebooks") or {}).get(name) or {})
    return params


def resolve(arg: str) -> str:
    """Notebook name from a name or a path."""
    return Path(arg).stem


def plan(names: list[str], profile: str, overrides: dict[str, Any], root: Path = ROOT):
    """Validate every notebook's parameters before executing any: [(name, source, notebook, params)]."""
    jobs = []
    for name in names:
        src = source_of(name, root)
        nb = read_notebook(src)
        defaults = notebook_parameters(nb)
        params = {"profile": profile, **profile_parameters(profile, name, root)}
        validate_parameters(name, defaults, params)
        validate_parameters(name, defaults, overrides)
        params.update(overrides)
        jobs.append((name, src, nb, params))
    return jobs


def _hide_injected(path: Path) -> None:
    import nbformat

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        if "injected-parameters" in tags and "remove-cell" not in tags:
            cell.metadata["tags"] = [*tags, "remove-cell"]
    nbformat.write(nb, path)


def execute(names: list[str], profile: str, overrides: dict[str, Any] | None = None,
            root: Path = ROOT, log=print) -> list[tuple[str, float, str]]:
    """Execute notebooks with papermill. Returns [(name, seconds, status)]; raises on failure."""
    import nbformat
    import papermill as pm

    overrides = overrides or {}
    jobs = plan(execution_order(names, root), profile, overrides, root)
    out_dir = root / EXECUTED
    tmp_dir = root / "_build" / ".papermill"
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp_dir.mkdir(parents=True, exist_ok=True)
    os.environ["IGR_ROOT"] = str(root)
    os.environ.setdefault("PYTHONWARNINGS", "ignore::DeprecationWarning")
    times, failed = [], []
    for name, src, nb, params in jobs:
        tmp = tmp_dir / f"{name}.ipynb"
        nbformat.write(nb, tmp)
        out = out_dir / f"{name}.ipynb"
        t0 = time.perf_counter()
        status = "ok"
        try:
            pm.execute_notebook(str(tmp), str(out), parameters=params, kernel_name="python3", cwd=str(root),
                                progress_bar=False, log_output=False)
            _hide_injected(out)
        except pm.PapermillExecutionError as err:
            status = "FAILED"
            failed.append((name, out, err))
        dt = time.perf_counter() - t0
        times.append((name, dt, status))
        log(f"[{status:>6}] {name:<28} {dt:7.1f} s  ({profile})")
    log(times_table(times))
    if failed:
        msgs = "\n".join(f"  {n}: {e.ename}: {e.evalue} (executed notebook kept at {o})" for n, o, e in failed)
        raise RuntimeError(f"{len(failed)} notebook(s) raised:\n{msgs}")
    return times


def times_table(times) -> str:
    lines = ["", f"{'notebook':<30}{'seconds':>10}  status", "-" * 50]
    lines += [f"{n:<30}{t:>10.1f}  {s}" for n, t, s in times]
    lines.append(f"{'total':<30}{sum(t for _, t, _ in times):>10.1f}")
    return "\n".join(lines)


def build(root: Path = ROOT, log=print) -> None:
    """Jupyter Book 1 build of the executed notebooks; warnings are errors (-W -n)."""
    exe = Path(sys.executable).parent / "jupyter-book"
    cmd = [str(exe), "build", str(root), "-W", "-n", "--keep-going", "--builder", "html"]
    log("$ " + " ".join(cmd))
    t0 = time.perf_counter()
    res = subprocess.run(cmd, cwd=root)
    if res.returncode != 0:
        raise RuntimeError(f"jupyter-book build failed (exit {res.returncode}); see the output above")
    log(f"book built in {time.perf_counter() - t0:.1f} s: {root / '_build' / 'html' / 'index.html'}")


def _parse_overrides(pairs: list[list[str]] | None) -> dict[str, Any]:
    return {k: yaml.safe_load(v) for k, v in (pairs or [])}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m igr_core.book", description=__doc__.split("\n")[0])
    ap.add_argument("command", choices=("execute", "build", "all"))
    ap.add_argument("notebooks", nargs="*", help="names or paths (default: every notebook in _toc.yml)")
    ap.add_argument("--profile", default="smoke")
    ap.add_argument("-p", "--parameter", nargs=2, action="append", metavar=("NAME", "VALUE"),
                    help="override one parameter (VALUE is YAML) for the notebooks executed")
    args = ap.parse_args(argv)
    try:
        if args.command in ("execute", "all"):
            names = [resolve(n) for n in args.notebooks] or toc_notebooks()
            known = set(toc_notebooks())
            for n in names:
                if n not in known:
                    raise ParameterError(f"unknown notebook {n!r}; allowed: {', '.join(sorted(known))}")
            execute(names, args.profile, _parse_overrides(args.parameter))
        if args.command in ("build", "all"):
            build()
    except (ParameterError, RuntimeError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
