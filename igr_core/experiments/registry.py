"""The chapters of the book, listed once.

Abstraction: :data:`CHAPTERS` holds one :class:`~igr_core._src.contract.Chapter` per chapter, in
book order, each built from its module by :meth:`Chapter.of` (which checks the contract);
:func:`get` finds one by its notebook name and names the allowed ones otherwise. The result
store, the ledger, the command line and the book pipeline take these objects; nothing else
imports a chapter module by name.
"""

from __future__ import annotations

import dataclasses

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
from igr_core.experiments.captions import BY_CHAPTER as _CAPTIONS

CHAPTERS: tuple[Chapter, ...] = tuple(
    dataclasses.replace(Chapter.of(m), captions=_CAPTIONS[m.NOTEBOOK])
    for m in (theorems, geometry, ntk, toy_model, mnist, resnet, egr, estimation, optimizers)
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


__all__ = ["CHAPTERS", "BY_NAME", "NAMES", "get", "find"]
