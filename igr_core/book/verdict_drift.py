"""Compare a fresh build's verdicts with the committed ones: report each row that differs, never fail on it.

Usage (what ``.ci/run`` calls after the smoke build)::

    python -m igr_core.book.verdict_drift --profile smoke --fresh _build/smoke/results

Abstraction: CI's smoke build computes every chapter into a results root of its own; on a machine
whose processor differs from the one that computed the committed entries, networks trained for a
few hundred steps end in other last digits, and a verdict near its threshold may flip. This module
reads the verdicts of both results roots through the ledger (:func:`ledger.gather_claims`) and
prints one line per row whose verdict differs: the chapter, the claim, both verdicts and the two
machines that computed them (processor, threads, XLA flags where recorded). It exits 0 whatever it
finds (a difference between processors is information, not a failure); it exits 1 only when it
cannot read the verdicts at all.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import pandas as pd

from igr_core._src import env, provenance
from igr_core.book.toc import ROOT


def _machine(results_root: Path, profile: str, notebook: str) -> str:
    """The machine that computed a chapter's entry under ``results_root`` (the newest manifest)."""
    manifests = sorted((results_root / profile / notebook).glob("*/manifest.json"), key=lambda p: p.stat().st_mtime)
    if not manifests:
        return "no stored entry"
    try:
        return provenance.describe(json.loads(manifests[-1].read_text()).get("provenance") or {})
    except (OSError, ValueError, AttributeError):
        return f"unreadable manifest {manifests[-1]}"


def verdicts(profile: str, results_root: Path) -> pd.DataFrame:
    """The ledger's rows of ``profile`` read from ``results_root`` (its ``<profile>/`` folders)."""
    from igr_core.book import ledger

    saved = os.environ.get(env.RESULTS)
    os.environ[env.RESULTS] = str(results_root)
    try:
        rows = ledger.gather_claims(profile, None)
    finally:
        os.environ.pop(env.RESULTS) if saved is None else os.environ.__setitem__(env.RESULTS, saved)
    return rows[["notebook", "claim", "verdict"]]


def differences(committed: pd.DataFrame, fresh: pd.DataFrame) -> pd.DataFrame:
    """Rows whose verdict differs (or that only one side has), keyed by chapter and claim."""
    both = committed.merge(fresh, on=["notebook", "claim"], how="outer", suffixes=(" committed", " fresh"))
    both = both.fillna({"verdict committed": "(no row)", "verdict fresh": "(no row)"})
    return both[both["verdict committed"] != both["verdict fresh"]].reset_index(drop=True)


def report(profile: str, committed_root: Path, fresh_root: Path) -> list[str]:
    committed, fresh = verdicts(profile, committed_root), verdicts(profile, fresh_root)
    lines = [
        f"[drift] {name}: no {side} entry to compare"
        for name in sorted(set(committed["notebook"]) ^ set(fresh["notebook"]))
        for side in ["fresh" if name in set(committed["notebook"]) else "committed"]
    ]
    shared = set(committed["notebook"]) & set(fresh["notebook"])
    diff = differences(committed[committed["notebook"].isin(shared)], fresh[fresh["notebook"].isin(shared)])
    if not shared:  # nothing was compared: never said to agree
        return [*lines, f"[drift] no chapter has a {profile} entry in both results roots: no verdict was compared"]
    if diff.empty:
        return [
            *lines,
            f"[drift] every {profile} verdict of the fresh build equals the committed one "
            f"({len(shared)} chapters compared)",
        ]
    lines.append(f"[drift] {len(diff)} {profile} verdict(s) differ from the committed entries (reported, not failed):")
    for r in diff.itertuples(index=False):
        was, now = _machine(committed_root, profile, r.notebook), _machine(fresh_root, profile, r.notebook)
        lines.append(f"  {r.notebook} | {r.claim}: committed {r[2]!r} (computed on {was}); fresh {r[3]!r} (on {now})")
    return lines


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m igr_core.book.verdict_drift", description=__doc__.split("\n")[0])
    ap.add_argument("--profile", default="smoke")
    ap.add_argument("--fresh", required=True, help="the fresh build's results root (e.g. _build/smoke/results)")
    ap.add_argument("--committed", default=str(ROOT / "results"), help="the committed results root")
    args = ap.parse_args(argv)
    try:
        lines = report(args.profile, Path(args.committed).resolve(), Path(args.fresh).resolve())
    except Exception as err:  # the report never fails CI on a verdict, only when it cannot read at all
        print(f"error: the verdicts could not be compared ({type(err).__name__}: {err})", file=sys.stderr)
        return 1
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
