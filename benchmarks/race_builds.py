"""Two builds of one page at once, many times: does a published page ever carry another run's zip or record?

Two pairs of builds, each pair ``--trials`` times, the second build of a pair started an offset
after the first (spread evenly from ``--min-offset`` to ``--max-offset`` seconds):

* ``issue``: the command of the issue that found the race, ``execute CHAPTER --profile largest
  --force`` and then ``execute CHAPTER --profile smoke`` (the published build and a smoke build;
  they now publish into different folders, ``book/executed`` and ``_build/smoke/book/executed``);
* ``same-folder``: ``execute CHAPTER --profile smoke --force`` and then the same with
  ``-p OVERRIDE`` (two builds of one page into one folder, with different tables).

The published pages are checked twice per trial: when the first build ends (the second one is
still running, or waiting on the page's lock) and when both have ended. A check passes when the
record (``<page>.hash.json``) names the sha256 of the page and of the zip in place, the page ran
with the parameters of the run its record describes (its injected parameters), and every table
of the zip is byte-identical to that run's tables from a build run alone before the trials. Any
other state is printed and counted.

It rewrites ``book/executed/`` and ``results/`` of the checkout it runs in: run it in a scratch
worktree (``git worktree add ../race HEAD``), never in one with work to keep. Prints one line per
trial and a summary; exit 1 when any check failed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _tables(zip_path: Path) -> dict[str, str]:
    """sha256 of every member of a results zip (members only: the zip's own timestamps differ)."""
    with zipfile.ZipFile(zip_path) as z:
        return {n: hashlib.sha256(z.read(n)).hexdigest() for n in z.namelist()}


def _injected(page: Path) -> dict[str, str]:
    """The parameters papermill injected into a page (``name = value`` lines of its cell)."""
    nb = json.loads(page.read_text())
    for c in nb["cells"]:
        if c["cell_type"] == "code" and "injected-parameters" in c.get("metadata", {}).get("tags", []):
            pairs = (line.split("=", 1) for line in "".join(c["source"]).splitlines() if "=" in line)
            return {k.strip(): v.strip().strip("\"'") for k, v in pairs}
    return {}


class Run:
    """One build command: its profile, overrides and whether it forces re-execution."""

    def __init__(self, profile: str, overrides: dict[str, str], force: bool):
        self.profile, self.overrides, self.force = profile, overrides, force

    def start(self, root: Path, chapter: str) -> subprocess.Popen:
        cmd = [sys.executable, "-m", "igr_core.book", "execute", chapter, "--profile", self.profile]
        cmd += ["--force"] * self.force + [x for k, v in self.overrides.items() for x in ("-p", k, v)]
        return subprocess.Popen(cmd, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def folder(self, root: Path) -> Path:
        return (
            root / "book" / "executed"
            if self.profile == "largest"
            else root / "_build" / self.profile / "book" / "executed"
        )


def _published(folder: Path, chapter: str) -> tuple[Path, Path, Path]:
    return folder / f"{chapter}.ipynb", folder / f"{chapter}.hash.json", folder / f"{chapter}_results.zip"


def _identity(record: dict) -> str:
    """Which run a record describes: its profile and every effective parameter."""
    return json.dumps([record.get("profile"), record.get("record", {}).get("parameters")], sort_keys=True)


def check(folder: Path, chapter: str, reference: dict[str, tuple[dict, dict]]) -> list[str]:
    """Problems of the published page of ``chapter`` in ``folder`` (empty when its page, zip and
    record belong to one run). ``reference``: identity -> (injected parameters, tables) of each run alone."""
    page, meta, zip_path = _published(folder, chapter)
    if not meta.exists():
        return []  # no record: the next build re-executes the page (never reused as it is)
    record = json.loads(meta.read_text())
    problems = []
    if record.get("page_sha256") != _sha(page):
        problems.append("the page is not the one its record names")
    zips = record.get("zips", {})
    if zip_path.exists() != (zip_path.name in zips) or (zip_path.exists() and zips[zip_path.name] != _sha(zip_path)):
        problems.append("the zip is not the one its record names")
    known = reference.get(_identity(record))
    if known is None:
        problems.append("the record describes no run of this probe")
    else:
        if _injected(page) != known[0]:
            problems.append(f"the page ran with {_injected(page)}, its record's run with {known[0]}")
        if zip_path.exists() and _tables(zip_path) != known[1]:
            problems.append("the zip's tables are not those of its record's run")
    return problems


def _alone(root: Path, chapter: str, run: Run, reference: dict) -> str:
    """Run one build alone and add its identity, injected parameters and tables to ``reference``."""
    out = run.start(root, chapter).communicate()[0]
    page, meta, zip_path = _published(run.folder(root), chapter)
    record = json.loads(meta.read_text())
    reference[_identity(record)] = (_injected(page), _tables(zip_path))
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--chapter", default="04_toy_model")
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--min-offset", type=float, default=1.0)
    ap.add_argument("--max-offset", type=float, default=8.0)
    ap.add_argument("--override", nargs=2, default=("fig1b_steps", "500"), metavar=("NAME", "VALUE"))
    ap.add_argument("--pairs", nargs="+", default=["same-folder", "issue"], choices=("same-folder", "issue"))
    ap.add_argument("--root", type=Path, default=Path.cwd())
    a = ap.parse_args(argv)
    if a.trials < 1 or a.min_offset < 0 or a.max_offset < a.min_offset:
        ap.error("--trials must be >= 1 and 0 <= --min-offset <= --max-offset")
    root, chapter = a.root.resolve(), a.chapter
    pairs = {
        "issue": (Run("largest", {}, True), Run("smoke", {}, False)),
        "same-folder": (Run("smoke", {}, True), Run("smoke", dict([a.override]), True)),
    }
    reference: dict = {}
    for first, second in (pairs[p] for p in a.pairs):
        for run in (first, second):
            _alone(root, chapter, run, reference)
    print(f"{len(reference)} runs built alone first, their tables the reference", flush=True)
    failed = total = 0
    for name in a.pairs:
        first, second = pairs[name]
        folders = sorted({first.folder(root), second.folder(root)})
        for i in range(a.trials):
            offset = a.min_offset + (a.max_offset - a.min_offset) * i / max(a.trials - 1, 1)
            t0 = time.perf_counter()
            p1 = first.start(root, chapter)
            time.sleep(offset)
            p2 = second.start(root, chapter)
            out1 = p1.communicate()[0]
            mid = [x for f in folders for x in check(f, chapter, reference)]
            out2 = p2.communicate()[0]
            end = [x for f in folders for x in check(f, chapter, reference)]
            codes = (p1.returncode, p2.returncode)
            bad = mid + end + ([f"exit codes {codes}"] if any(codes) else [])
            failed, total = failed + bool(bad), total + 1
            waited = "waiting for" in out2
            print(
                f"{name} trial {i + 1:2d}: offset {offset:.1f} s, {time.perf_counter() - t0:4.0f} s; when the first "
                f"ended: {'ok' if not mid else '; '.join(mid)}; at the end: {'ok' if not end else '; '.join(end)} "
                f"(the second build {'waited for the first' if waited else 'did not wait'})",
                flush=True,
            )
            if bad and os.environ.get("RACE_VERBOSE"):
                print(out1, out2)
    print(f"{total - failed} of {total} trials published only pages whose zip and record are their own run's")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
