"""The book pipeline: Jupytext notebooks -> papermill (profile parameters) -> Jupyter Book.

Usage::

    python -m igr_core.book execute [NOTEBOOK ...] --profile smoke [--jobs N] [-p NAME VALUE ...]
    python -m igr_core.book build
    python -m igr_core.book all --profile smoke

``NOTEBOOK`` is a name (``01_theorem_checks``) or a path (``notebooks/01_theorem_checks.md``);
with none, every notebook in ``_toc.yml`` runs (chapters first, ``--jobs`` of them at once in
separate processes, then the pages that gather their results, such as the claims ledger). Parameter
values given with ``-p`` are YAML (``-p hs "[0.1, 0.05]"``). Parameters are validated against each
notebook's cell tagged
``parameters`` before anything executes. A notebook that raises fails the run; its
executed copy is kept in ``book/executed/`` for inspection.

One job per module: :mod:`.toc` (pages and sources), :mod:`.planning` (parameters, profiles,
kernel environment), :mod:`.fingerprints` (reuse and execution records), :mod:`.pipeline`
(execution), :mod:`.jupyterbook` (the build), :mod:`.cli` (the command line); this package
re-exports their names.
"""

from __future__ import annotations

from igr_core.book.cli import (
    _parse_overrides,
    main,
)
from igr_core.book.fingerprints import (
    _record,
    _reusable,
    fingerprint,
)
from igr_core.book.jupyterbook import (
    assemble,
    build,
)
from igr_core.book.pipeline import (
    SINGLE_THREAD_XLA,
    _check_writable,
    _die_with_parent,
    _execute_one,
    _hide_injected,
    _publish,
    _quiet_validated_parameters,
    default_jobs,
    execute,
    times_table,
)
from igr_core.book.planning import (
    Plan,
    chapter_of,
    effective_parameters,
    kernel_env,
    page_profile,
    plan,
)
from igr_core.book.toc import (
    EXECUTED,
    ROOT,
    SOURCE_DIRS,
    execution_order,
    notebook_parameters,
    out_dir_for,
    read_notebook,
    resolve,
    source_of,
    toc_files,
    toc_notebooks,
)
from igr_core.experiments._params import LARGEST, ParameterError

__all__ = [
    "EXECUTED",
    "LARGEST",
    "ParameterError",
    "ROOT",
    "SINGLE_THREAD_XLA",
    "SOURCE_DIRS",
    "_check_writable",
    "_die_with_parent",
    "_execute_one",
    "_hide_injected",
    "_parse_overrides",
    "_publish",
    "_quiet_validated_parameters",
    "_record",
    "_reusable",
    "assemble",
    "build",
    "chapter_of",
    "default_jobs",
    "effective_parameters",
    "execute",
    "execution_order",
    "fingerprint",
    "kernel_env",
    "main",
    "notebook_parameters",
    "out_dir_for",
    "page_profile",
    "plan",
    "Plan",
    "read_notebook",
    "resolve",
    "source_of",
    "times_table",
    "toc_files",
    "toc_notebooks",
]
