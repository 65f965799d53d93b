"""What each page runs with, validated before any kernel starts: its chapter, its profile, its parameters,
its kernel's environment."""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

from igr_core.book.toc import (
    ROOT,
    notebook_parameters,
    read_notebook,
    source_of,
)
from igr_core.experiments._params import LARGEST, ParameterError, check_profile, preferred_platform


def chapter_of(name: str):
    """The registered chapter of a page (None for the pages that gather results)."""
    from igr_core.experiments import registry

    return registry.find(name)


def kernel_env(name: str) -> dict[str, str]:
    """Environment for the kernel of notebook ``name``: ``JAX_PLATFORMS`` from its chapter's
    ``platform`` (chapters whose tiny sequential float64 steps run faster on the CPU than on a
    GPU, measured in ``benchmarks/gpu_h200.md``), unless the caller set ``JAX_PLATFORMS`` already
    (an explicit choice wins)."""
    platform = preferred_platform(chapter_of(name))
    return {} if platform is None else {"JAX_PLATFORMS": platform}


def effective_parameters(
    name: str, profile: str, overrides: dict[str, Any] | None = None, root: Path = ROOT, nb=None
) -> dict[str, Any]:
    """The values a notebook runs with, validated before any kernel starts. A chapter: its
    ``Params`` built by the one validation path (:func:`igr_core.experiments._params.resolve`:
    defaults <- profile <- overrides; names, types, values). Any other page: the literal
    defaults of its own ``parameters`` cell (its only declaration; the book's gathering pages
    declare only ``profile``), the profile's values for it, then the overrides."""
    from igr_core.experiments._params import ParamsBase, coerce_numbers, profile_values

    if "profile" in (overrides or {}):
        raise ParameterError(f"notebook {name!r}: `profile` is not a parameter; name it with --profile")
    from igr_core.experiments.__main__ import check_integer_range

    check_integer_range(overrides or {}, f"notebook {name!r}: ")
    chapter = chapter_of(name)
    if chapter is not None:
        return chapter.resolve(profile, coerce_numbers(chapter.Params, overrides or {})).as_dict()
    if profile != LARGEST:
        check_profile(profile)
    defaults = notebook_parameters(nb if nb is not None else read_notebook(source_of(name, root)))
    own = root / "profiles"  # a book of its own (the pipeline's tests build one) has its profiles beside it
    values = profile_values(profile, name, own if own.is_dir() else None) if profile != LARGEST else {}
    given = {**values, **(overrides or {})}
    ParamsBase.check_against(defaults, given, f"notebook {name!r}: ")
    return {**defaults, **given, "profile": profile}


def page_profile(name: str, profile: str, root: Path = ROOT) -> str:
    """The profile a notebook executes with. ``largest``: a chapter takes the largest profile
    whose results the store holds (else ``smoke``, computed here); the gathering pages take
    ``largest`` and read each chapter at its largest scale."""
    if profile != LARGEST:
        return check_profile(profile)
    if chapter_of(name) is None:
        return LARGEST
    from igr_core.book import ledger

    return ledger.largest_profile(name, root) or "smoke"


class Plan(NamedTuple):
    """One page to execute, validated: papermill injects ``injected`` (the profile and the
    overrides), the notebook resolves the rest from its profile, and ``effective`` is what it
    will run."""

    name: str
    source: Path
    notebook: Any  # the nbformat notebook read from ``source``
    injected: dict[str, Any]
    effective: dict[str, Any]
    profile: str


def plan(names: list[str], profile: str, overrides: dict[str, Any], root: Path = ROOT) -> list[Plan]:
    """Validate every notebook's parameters before executing any: one :class:`Plan` per page."""
    jobs = []
    for name in names:
        src = source_of(name, root)
        nb = read_notebook(src)
        prof = page_profile(name, profile, root)
        effective = effective_parameters(name, prof, overrides, root, nb)
        # a chapter resolves its profile itself; another page gets every value it runs with
        chapter = chapter_of(name)
        injected = {"profile": prof, **{k: effective[k] for k in overrides}} if chapter is not None else effective
        jobs.append(Plan(name, src, nb, injected, effective, prof))
    return jobs
