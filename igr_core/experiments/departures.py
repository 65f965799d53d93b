"""Where this companion departs from the paper's protocol, or fills one of its silences.

Abstraction: each chapter declares, in its package's ``params`` (the contract's ``PAPER_VALUES``
and ``DEPARTURES``), the values the paper states for its parameters (ICLR 2021 text, Section 6
and Appendix A.5; Table A.1 for the two-parameter model) and every place it differs from them or
chooses where the paper is silent, each with its reason; :data:`COMMON` holds the departures of
every chapter. This module is their :class:`Departure` record and the one reader of them all
(through the registry): the "Departures from the paper" page lists them (:func:`table`), each
chapter shows its own (:func:`for_chapter`), and a test fails when a chapter's paper profile
differs from a stated value without a departure declared for that parameter (:func:`undeclared`).
"""

from __future__ import annotations

from typing import Any, NamedTuple

PER_PROFILE = "{per profile}"  # "ours" computed from the profiles (:func:`per_profile`), never retyped


class Departure(NamedTuple):
    chapter: str  # notebook name, or "all"
    parameters: tuple[str, ...]  # Params fields, or named aspects of the protocol ("data", "precision")
    paper: str  # what the paper states ("not stated" where it is silent)
    ours: str  # what this companion does (per profile where they differ)
    reason: str

    @property
    def what(self) -> str:
        """The departure's parameters as the pages name them."""
        return ", ".join(self.parameters)


COMMON: tuple[Departure, ...] = (  # departures of every chapter; each chapter declares its own (DEPARTURES)
    Departure(
        "all",
        ("precision",),
        "not stated (JAX defaults, float32)",
        "float64 for the theory chapters (01-04, 08-09); float32 for the network sweeps (05-07)",
        "orders and identities are measured to rounding, which float32 would hide",
    ),
    Departure(
        "all",
        ("seeds",),
        "not stated",
        "3 (05, 06), 4 (07), 1-10 elsewhere; listed in each profile",
        "a verdict pooled over seeds needs more than one network per setting",
    ),
)


def resolved(chapter: str) -> dict[str, Any]:
    """Every profile's validated ``Params`` of ``chapter``, largest scale first, each resolved once
    through the one validation path (``Chapter.resolve``)."""
    from igr_core.experiments import registry
    from igr_core.experiments._params import PROFILES

    ch = registry.get(chapter)
    return {profile: ch.resolve(profile) for profile in reversed(PROFILES)}


def per_profile(chapter: str, names, params: dict[str, Any] | None = None) -> dict[str, str]:
    """The values of ``names`` in every profile of ``chapter`` (``params``: :func:`resolved`, when
    the caller has it): {profile: "width 1, batch_size 512"}."""
    params = params or resolved(chapter)
    return {
        profile: ", ".join(f"`{n}` {getattr(p, n)!r}".replace("'", "") for n in names) for profile, p in params.items()
    }


def rendered(d: Departure, params: dict[str, Any] | None = None) -> Departure:
    """The departure with a per-profile "ours" filled in from the profiles (a dict: profile -> values)."""
    if d.ours != PER_PROFILE:
        return d
    return d._replace(ours=per_profile(d.chapter, d.parameters, params))


def _rendered_all(selected: list[Departure]) -> list[Departure]:
    params = {c: resolved(c) for c in dict.fromkeys(d.chapter for d in selected if d.ours == PER_PROFILE)}
    return [rendered(d, params.get(d.chapter)) for d in selected]


def _chapter(name: str):
    from igr_core.experiments import registry

    return registry.find(name)


def own(chapter: str) -> tuple[Departure, ...]:
    """The departures ``chapter`` declares (its contract's ``DEPARTURES``; none for an unknown name)."""
    ch = _chapter(chapter)
    return tuple(ch.departures) if ch is not None else ()


def every() -> tuple[Departure, ...]:
    """Every departure: :data:`COMMON`, then each chapter's in book order."""
    from igr_core.experiments import registry

    return COMMON + tuple(d for ch in registry.CHAPTERS for d in ch.departures)


def paper_values() -> dict[str, dict]:
    """The values the paper states, by chapter (the chapters that declare ``PAPER_VALUES``)."""
    from igr_core.experiments import registry

    return {ch.name: dict(ch.paper_values) for ch in registry.CHAPTERS if ch.paper_values}


def table() -> list[Departure]:
    """Every departure, rendered (the Departures page); each chapter's profiles resolved once."""
    return _rendered_all(list(every()))


def for_chapter(chapter: str) -> list[Departure]:
    """The departures a chapter shows in its choices box (its own and those for all chapters)."""
    return _rendered_all(list(COMMON + own(chapter)))


def declared(chapter: str) -> set[str]:
    """Parameters with a declared departure for ``chapter``."""
    return {n for d in own(chapter) for n in d.parameters}


def undeclared(chapter: str, params) -> list[str]:
    """Stated paper values that ``params`` (a chapter's paper-profile Params) changes without a
    declared departure."""
    out = []
    ch = _chapter(chapter)
    for name, value in (ch.paper_values if ch is not None else {}).items():
        got = getattr(params, name)
        same = tuple(got) == tuple(value) if isinstance(value, tuple) else got == value
        if not same and name not in declared(chapter):
            out.append(name)
    return out


__all__ = [
    "COMMON",
    "PER_PROFILE",
    "Departure",
    "every",
    "own",
    "paper_values",
    "per_profile",
    "resolved",
    "rendered",
    "table",
    "for_chapter",
    "declared",
    "undeclared",
]
