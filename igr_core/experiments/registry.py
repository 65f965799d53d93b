"""The chapters of the book, listed once.

Abstraction: :data:`MODULES` is the one list of chapters (a new chapter is one more name there);
:data:`CHAPTERS` holds one :class:`~igr_core._src.contract.Chapter` per chapter, in book order,
each built from its module by :meth:`Chapter.of` (which checks the contract and reads every hook
the module declares: captions, banner, part of the table of contents, ...);
:func:`get` finds one by its notebook name and names the allowed ones otherwise. The result
store, the ledger, the command line, the table of contents and the book pipeline take these
objects; nothing else imports a chapter module by name. Chapters outside the package (a book of
its own: the tests' minimal chapter) follow the listed ones when ``$IGR_CHAPTERS`` names their
modules (:func:`igr_core._src.env.extra_chapters`).
"""

from __future__ import annotations

import importlib

from igr_core._src import env as _env
from igr_core._src.contract import Chapter
from igr_core.experiments import (
    egr,
    estimation,
    geometry,
    mnist,
    ntk,
    optimizers,
    resnet,
    theorems,
    toy_model,
)
from igr_core.experiments._params import ParameterError

MODULES = (theorems, geometry, ntk, toy_model, mnist, resnet, egr, estimation, optimizers)  # in book order

CHAPTERS: tuple[Chapter, ...] = tuple(
    Chapter.of(m) for m in (*MODULES, *(importlib.import_module(n) for n in _env.extra_chapters()))
)
BY_NAME: dict[str, Chapter] = {c.name: c for c in CHAPTERS}
NAMES: tuple[str, ...] = tuple(BY_NAME)


def get(name: str) -> Chapter:
    """The chapter of a notebook name (``"06_resnet"``); a clear error naming the allowed ones."""
    try:
        return BY_NAME[name]
    except KeyError:
        raise ParameterError(f"unknown chapter {name!r}; allowed: {', '.join(NAMES)}") from None


def find(name: str) -> Chapter | None:
    """The chapter of a page, or None for the pages that gather results (ledger, errata, ...)."""
    return BY_NAME.get(name)


__all__ = ["MODULES", "CHAPTERS", "BY_NAME", "NAMES", "get", "find"]
