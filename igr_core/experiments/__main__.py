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
import sys
import time

import pandas as pd

from igr_core._src import store
from igr_core.experiments import registry
from igr_core.experiments._params import (
    ParameterError,
    beyond_profiles,
    check_profile,
    parse_overrides,
    preferred_platform,
)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m igr_core.experiments", description=__doc__.split("\n")[0])
    ap.add_argument("chapter", choices=registry.NAMES)
    ap.add_argument("--profile", default="smoke")
    ap.add_argument("--recompute", action="store_true", help="recompute even where the store holds the results")
    ap.add_argument("-p", "--parameter", nargs=2, action="append", metavar=("NAME", "VALUE"), default=[])
    args = ap.parse_intermixed_args(argv)
    chapter = registry.get(args.chapter)
    try:
        check_profile(args.profile)
        overrides = parse_overrides(args.parameter, chapter.Params, where=f"chapter {args.chapter!r}: ")
        if "profile" in overrides:
            raise ParameterError(
                f"chapter {args.chapter!r}: `profile` is not a parameter here; name it with --profile (an override "
                f"would store results of one profile under results/{args.profile}/)"
            )
        params = chapter.resolve(args.profile, overrides)
        for line in beyond_profiles(chapter.Params, chapter.name, overrides):
            print(f"warning: {line}", file=sys.stderr, flush=True)
    except ParameterError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    platform = preferred_platform(chapter)
    if platform:  # before any backend starts
        import jax

        jax.config.update("jax_platforms", platform)
    t0 = time.perf_counter()
    try:
        out = store.run(
            chapter,
            params,
            store.results_dir(args.profile),
            recompute=args.recompute,
            log=lambda s: print(s, flush=True),
        )
    except (store.StaleResultsError, store.CorruptResultsError, store.StoreNotWritableError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(
        f"{args.chapter} ({args.profile}): {'computed' if out.computed else 'read from the store'} in "
        f"{time.perf_counter() - t0:.1f} s -> {out.path}"
    )
    rows = pd.DataFrame(
        [
            {"claim": c.claim, "kind": c.kind, "verdict": c.verdict.outcome.value, "measured": c.verdict.measured}
            for c in chapter.claims(out.results)
        ]
    )
    with pd.option_context("display.max_colwidth", 80, "display.width", 200):
        print(rows.to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
