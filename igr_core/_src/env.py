"""The environment variables of the package: every ``IGR_*`` name, beside its one reader.

Abstraction: the book pipeline talks to the kernels it starts through a handful of environment
variables (where the checkout is, where the results live, whether to recompute, where a page's
results zip and execution records go, where progress lines go). Each name is a constant here and
each is read by one function here, so a writer (the pipeline) and a reader (the store, the
ledger, the display) can never spell it differently. Nothing else in ``igr_core`` reads ``IGR_*``.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = "IGR_ROOT"  # the checkout (where results/ and _build/ are), else the working directory
RESULTS = "IGR_RESULTS"  # a results root of its own (CI's smoke build), else <root>/results
RECOMPUTE = "IGR_RECOMPUTE"  # "1": recompute entries (sweep caches kept when they verify); "sweeps": retrain those too
EXPORT_DIR = "IGR_EXPORT_DIR"  # where a page writes its results zip (the pipeline's staging folder)
EXECUTED_DIR = "IGR_EXECUTED_DIR"  # the executed pages of the build a page belongs to
PROGRESS_LOG = "IGR_PROGRESS_LOG"  # a file for progress lines (off the page)
BOOK_JOBS = "IGR_BOOK_JOBS"  # notebooks executed at once
CHAPTERS = "IGR_CHAPTERS"  # modules of chapters outside the package (a book of its own), comma-separated
PAPERS = "IGR_PAPERS"  # the folder of the paper texts that declared quotes are checked against (not in the repo)

RECOMPUTE_CHOICES = ("", "1", "sweeps")


def repo_root() -> Path:
    """Where ``results/`` and ``_build/`` live: ``$IGR_ROOT`` if set, else the working directory."""
    return Path(os.environ.get(ROOT) or Path.cwd())


def results_root() -> Path:
    """``$IGR_RESULTS`` if set (a build computing into a results root of its own), else ``<root>/results``."""
    given = os.environ.get(RESULTS)
    return Path(given) if given else repo_root() / "results"


def recompute() -> str:
    """``""`` (read the store), ``"1"`` (recompute entries, reuse sweep caches that verify) or
    ``"sweeps"`` (retrain sweep caches too); anything else is refused naming the variable."""
    value = os.environ.get(RECOMPUTE, "")
    if value not in RECOMPUTE_CHOICES:
        raise ValueError(f"{RECOMPUTE} must be one of '', '1', 'sweeps'; got {value!r}. Unset it or fix its value.")
    return value


def export_dir() -> Path:
    """Where a page writes its results zip: the pipeline's staging folder (``$IGR_EXPORT_DIR``); a
    run outside the pipeline (plain papermill, Jupyter) writes under ``_build/exports/``, never into
    the published ``book/executed/``."""
    given = os.environ.get(EXPORT_DIR)
    return Path(given) if given else repo_root() / "_build" / "exports"


def executed_dir() -> Path:
    """The executed pages of the build a page belongs to (``$IGR_EXECUTED_DIR``), else the published ones."""
    given = os.environ.get(EXECUTED_DIR)
    return Path(given) if given else repo_root() / "book" / "executed"


def progress_log() -> Path | None:
    """The file progress lines go to (``$IGR_PROGRESS_LOG``), or None (the terminal)."""
    given = os.environ.get(PROGRESS_LOG)
    return Path(given) if given else None


def book_jobs() -> int | None:
    """``$IGR_BOOK_JOBS`` as a positive integer, None when unset; anything else is refused."""
    value = os.environ.get(BOOK_JOBS)
    if value is None:
        return None
    if not (value.isascii() and value.isdigit()) or int(value) < 1:
        raise ValueError(f"{BOOK_JOBS} must be a positive integer, got {value!r}.")
    return int(value)


def papers_dir() -> Path | None:
    """The folder of the paper texts (``$IGR_PAPERS``), or None where it is not set."""
    given = os.environ.get(PAPERS)
    return Path(given) if given else None


def extra_chapters() -> tuple[str, ...]:
    """The modules ``$IGR_CHAPTERS`` names (comma-separated), which the registry lists after its own
    chapters: a book of its own (the tests' minimal chapter) adds a chapter without editing the
    package. Empty when unset."""
    return tuple(n.strip() for n in os.environ.get(CHAPTERS, "").split(",") if n.strip())


__all__ = [
    "ROOT",
    "RESULTS",
    "RECOMPUTE",
    "EXPORT_DIR",
    "EXECUTED_DIR",
    "PROGRESS_LOG",
    "BOOK_JOBS",
    "CHAPTERS",
    "PAPERS",
    "repo_root",
    "results_root",
    "recompute",
    "export_dir",
    "executed_dir",
    "progress_log",
    "book_jobs",
    "extra_chapters",
    "papers_dir",
]
