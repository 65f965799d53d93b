"""The command line: ``python -m igr_core.book execute|build|all``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from igr_core.book.jupyterbook import (
    build,
)
from igr_core.book.pipeline import (
    execute,
)
from igr_core.book.toc import (
    out_dir_for,
    resolve,
    toc_notebooks,
)
from igr_core.experiments._params import LARGEST, ParameterError


def _parse_overrides(pairs: list[list[str]] | None) -> dict[str, Any]:
    from igr_core.experiments._params import parse_overrides

    return parse_overrides(pairs)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m igr_core.book", description=__doc__.split("\n")[0])
    ap.add_argument("command", choices=("execute", "build", "all"))
    ap.add_argument("notebooks", nargs="*", help="names or paths (default: every notebook in _toc.yml)")
    ap.add_argument(
        "--profile",
        default=None,
        help=f"smoke (the default of execute and all), standin, accelerator, paper, or {LARGEST} (the "
        "published book, the default of build: each chapter at the largest adequate scale stored)",
    )
    ap.add_argument("--force", action="store_true", help="re-execute every notebook, even unchanged ones")
    ap.add_argument(
        "--recompute",
        nargs="?",
        const="1",
        choices=("1", "sweeps"),
        help="recompute every chapter's results instead of reading the result store (implies --force); sweep "
        "caches that verify are reused, and the log says so; `--recompute sweeps` retrains them too",
    )
    ap.add_argument(
        "--results",
        default=None,
        help="a results root of this build's own (default: results/ of the checkout); CI's smoke build computes "
        "into _build/smoke/results and never rewrites the committed entries",
    )
    ap.add_argument(
        "--jobs", type=int, default=None, help="chapters executed at once (default: IGR_BOOK_JOBS, else 2 on 2+ cores)"
    )
    ap.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        metavar=("NAME", "VALUE"),
        help="override one parameter (VALUE is YAML) for the notebooks executed",
    )
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
            execute(
                names,
                args.profile,
                _parse_overrides(args.parameter),
                force=args.force,
                jobs=args.jobs,
                recompute={None: False, "1": True, "sweeps": "sweeps"}[args.recompute],
                out_dir=out_dir_for(args.profile),
                results=Path(args.results).resolve() if args.results else None,
            )
        if args.command in ("build", "all"):
            build(profile=args.profile)
    except (ParameterError, RuntimeError, OSError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
