"""Compute one chapter's results into the result store, without papermill or the book.

Usage::

    python -m igr_core.experiments 05_mnist --profile paper [-p NAME VALUE ...] [--recompute [sweeps]]

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

from igr_core._src import runner, store
from igr_core.experiments import registry
from igr_core.experiments._params import (
    ParameterError,
    beyond_profiles,
    check_profile,
    parse_overrides,
    preferred_platform,
)

INT64 = (-(2**63), 2**63 - 1)


def check_integer_range(overrides: dict, where: str = "") -> None:
    """Refuse, in one line, an integer override that no array or counter can hold (beyond int64)."""

    def walk(name, v):
        if isinstance(v, bool):
            return
        if isinstance(v, int) and not INT64[0] <= v <= INT64[1]:
            raise ParameterError(
                f"{where}parameter {name!r}: {v} is out of range (integers must lie within +-{INT64[1]:.3g}, int64)"
            )
        if isinstance(v, (list, tuple)):
            for x in v:
                walk(name, x)

    for name, v in overrides.items():
        walk(name, v)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m igr_core.experiments", description=__doc__.split("\n")[0])
    ap.add_argument("chapter", choices=registry.NAMES)
    ap.add_argument("--profile", default="smoke")
    ap.add_argument(
        "--recompute",
        nargs="?",
        const="1",
        choices=("1", "sweeps"),
        help="recompute even where the store holds the results; sweep caches that verify are reused (say so); "
        "`--recompute sweeps` retrains them too",
    )
    ap.add_argument("-p", "--parameter", nargs=2, action="append", metavar=("NAME", "VALUE"), default=[])
    args = ap.parse_intermixed_args(argv)
    chapter = registry.get(args.chapter)
    try:
        check_profile(args.profile)
        overrides = parse_overrides(args.parameter, chapter.Params, where=f"chapter {args.chapter!r}: ")
        check_integer_range(overrides, f"chapter {args.chapter!r}: ")
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
        out = runner.run(
            chapter,
            params,
            store.results_dir(args.profile),
            recompute={None: False, "1": True, "sweeps": "sweeps"}[args.recompute],
            log=lambda s: print(s, flush=True),
        )
    except (store.StaleResultsError, store.CorruptResultsError, store.StoreNotWritableError, ValueError) as err:
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
