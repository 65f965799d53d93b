"""Compute one chapter's results into the result store, without papermill or the book.

Usage::

    python -m igr_core.experiments 05_mnist --profile paper [-p NAME VALUE ...] [--recompute]

Parameters go through the one validation path (profile over the ``Params`` defaults, then the
overrides); the results land in ``results/<profile>/<chapter>/<key>/`` (relative to
``$IGR_ROOT`` or the working directory) and the chapter's verdicts are printed. The book then
re-plots them without recomputing.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time

import pandas as pd
import yaml

from igr_core._src import store
from igr_core.experiments import BY_NOTEBOOK
from igr_core.experiments._params import ParameterError, check_profile, preferred_platform, require_x64


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m igr_core.experiments", description=__doc__.split("\n")[0])
    ap.add_argument("chapter", choices=sorted(BY_NOTEBOOK))
    ap.add_argument("--profile", default="smoke")
    ap.add_argument("--recompute", action="store_true", help="recompute even where the store holds the results")
    ap.add_argument("-p", "--parameter", nargs=2, action="append", metavar=("NAME", "VALUE"), default=[])
    args = ap.parse_intermixed_args(argv)
    module = importlib.import_module(BY_NOTEBOOK[args.chapter])
    try:
        check_profile(args.profile)
        params = module.Params.resolve(args.chapter, args.profile, {k: yaml.safe_load(v) for k, v in args.parameter})
    except ParameterError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    platform = preferred_platform(module)
    if platform:  # before any backend starts
        import jax

        jax.config.update("jax_platforms", platform)
    if getattr(module, "X64", False):
        require_x64()
    t0 = time.perf_counter()
    out = store.run(
        module,
        params,
        store.repo_root() / "results" / args.profile,
        recompute=args.recompute,
        log=lambda s: print(s, flush=True),
    )
    print(
        f"{args.chapter} ({args.profile}): {'computed' if out.computed else 'read from the store'} in "
        f"{time.perf_counter() - t0:.1f} s -> {out.path}"
    )
    rows = pd.DataFrame(
        [
            {"claim": c.claim, "kind": c.kind, "verdict": c.verdict.outcome, "measured": c.verdict.measured}
            for c in module.claims(out.results)
        ]
    )
    with pd.option_context("display.max_colwidth", 80, "display.width", 200):
        print(rows.to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
