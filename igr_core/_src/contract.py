"""The chapter contract: what a chapter of the book is, declared once as a class.

Abstraction: a :class:`Chapter` is the frozen record the result store, the ledger and the book
pipeline take (never a module name to import): its name, its ``Params`` and ``Results`` types,
its ``run``, ``claims`` and ``facts``, its metadata (results version, float64, preferred JAX
platform) and the optional hooks, each with its default. :meth:`Chapter.of` builds one from a
chapter module and checks that the module declares what the contract requires, so a chapter
that lacks ``claims`` or misspells ``RESULTS_VERSION`` fails when the registry
(:mod:`igr_core.experiments.registry`) is imported, not when a page runs.

Stored results name their types by registered names (``"06_resnet.Results"``,
``"engine.SweepConfig"``): :meth:`Chapter.types` is a chapter's part of that table, and every
chapter registers the records shared across chapters (:func:`common_types`) with the codec when
it is declared, so the codec itself imports no chapter, engine or problem module.
"""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any, Callable, Mapping

from igr_core._src import codec


def common_types() -> dict[str, type]:
    """Records that appear inside several chapters' results, by their registered names."""
    from igr_core._src.engine import SweepConfig, SweepResult
    from igr_core._src.problems import ProblemInfo
    from igr_core._src.toy import ToyPoint

    return {
        "engine.SweepConfig": SweepConfig,
        "engine.SweepResult": SweepResult,
        "problems.ProblemInfo": ProblemInfo,
        "toy.ToyPoint": ToyPoint,
    }


def _always_complete(results) -> bool:
    return True


def _no_shortfall(results) -> str:
    return ""


def _no_captions(results) -> dict[str, str]:
    return {}


def _no_banner(results) -> dict:
    return {}


DEFAULT_PART = "Beyond the paper"  # the table of contents' part of a chapter that names none


@dataclasses.dataclass(frozen=True)
class Chapter:
    """One chapter: ``Params -> run(params) -> Results``; ``claims(Results)``; ``facts(Results)``.

    Required: ``name`` (the notebook, e.g. ``"06_resnet"``), ``Params`` (a frozen dataclass with
    ``resolve``), ``Results`` (a NamedTuple), ``run``, ``claims``, ``facts``, ``results_version``
    (bumped when what ``run`` computes changes: stored results of another version are refused).

    Optional hooks and their defaults: ``data_fingerprint(params)`` (None: no data check),
    ``is_complete(results)`` (True: the store keeps every result), ``can_fill(params, results)``
    (None: stored results are never completed), ``shortfall(results)`` ("" : the scale is
    adequate for the chapter's claims), ``captions(results)`` ({}: no captions; ``{figure key:
    sentence}``, what each figure of the page shows), ``banner(results)`` ({}: no data sentence;
    ``{"data_source": ..., "stand_in": ...}``, what the page's banner says about its data and
    whether a stand-in replaced the paper's), ``part`` (the module's ``PART``: the part of the
    table of contents the chapter sits in, :data:`DEFAULT_PART`), ``x64`` (False), ``platform``
    (None: any), ``departures`` (the module's ``DEPARTURES``: where it departs from the paper's
    protocol, each with its reason; ()) and ``paper_values`` (its ``PAPER_VALUES``: what the paper
    states for its parameters, which its paper profile uses or departs from by a declared departure; {}).
    """

    name: str
    Params: type
    Results: type
    run: Callable
    claims: Callable
    facts: Callable
    results_version: int
    x64: bool = False
    platform: str | None = None
    data_fingerprint: Callable | None = None
    is_complete: Callable = _always_complete
    can_fill: Callable | None = None
    shortfall: Callable = _no_shortfall
    captions: Callable = _no_captions
    banner: Callable = _no_banner
    part: str = DEFAULT_PART
    departures: tuple = ()  # where the chapter departs from the paper (experiments.departures.Departure records)
    paper_values: Mapping = dataclasses.field(default_factory=dict)  # what the paper states for its parameters
    module: str = ""  # where the chapter is implemented (for messages and documentation only)

    REQUIRED = ("NOTEBOOK", "RESULTS_VERSION", "Params", "Results", "run", "claims", "facts")
    HOOKS = {
        "data_fingerprint": "data_fingerprint",
        "is_complete": "is_complete",
        "can_fill": "can_fill",
        "shortfall": "shortfall",
        "captions": "captions",
        "banner": "banner",
        "part": "PART",
        "x64": "X64",
        "platform": "PLATFORM",
        "departures": "DEPARTURES",
        "paper_values": "PAPER_VALUES",
    }

    def __post_init__(self):
        if not (isinstance(self.name, str) and len(self.name) > 3 and self.name[:2].isdigit() and self.name[2] == "_"):
            raise TypeError(f"chapter name must look like '06_resnet', got {self.name!r}")
        if not (isinstance(self.results_version, int) and self.results_version >= 1):
            raise TypeError(
                f"chapter {self.name}: results_version must be a positive int, got {self.results_version!r}"
            )
        if not dataclasses.is_dataclass(self.Params) or not hasattr(self.Params, "resolve"):
            raise TypeError(f"chapter {self.name}: Params must be a ParamsBase dataclass")
        if not (issubclass(self.Results, tuple) and hasattr(self.Results, "_fields")):
            raise TypeError(f"chapter {self.name}: Results must be a NamedTuple")
        for hook in ("run", "claims", "facts", "is_complete", "shortfall", "captions", "banner"):
            if not callable(getattr(self, hook)):
                raise TypeError(f"chapter {self.name}: {hook} must be callable")
        if not (isinstance(self.part, str) and self.part.strip()):
            raise TypeError(f"chapter {self.name}: PART must name a part of the table of contents, got {self.part!r}")
        codec.register(common_types())  # the records a chapter's results may hold besides its own

    @classmethod
    def of(cls, module) -> "Chapter":
        """The chapter a module declares (``NOTEBOOK``, ``RESULTS_VERSION``, ``Params``, ``Results``,
        ``run``, ``claims``, ``facts``; optional hooks by their names in :attr:`HOOKS`)."""
        missing = [n for n in cls.REQUIRED if not hasattr(module, n)]
        if missing:
            raise TypeError(f"chapter module {module.__name__} lacks {', '.join(missing)} (the chapter contract)")
        hooks = {k: getattr(module, v) for k, v in cls.HOOKS.items() if hasattr(module, v)}
        return cls(
            name=module.NOTEBOOK,
            Params=module.Params,
            Results=module.Results,
            run=module.run,
            claims=module.claims,
            facts=module.facts,
            results_version=module.RESULTS_VERSION,
            module=module.__name__,
            **hooks,
        )

    def caption(self, results, key: str) -> str:
        """What figure ``key`` of the page shows; a clear error naming the chapter's keys."""
        captions = self.captions(results)
        if key not in captions:
            raise KeyError(f"chapter {self.name} has no caption {key!r}; it has: {', '.join(captions) or 'none'}")
        return captions[key]

    def types(self) -> dict[str, type]:
        """This chapter's registered names of stored types."""
        return {f"{self.name}.Params": self.Params, f"{self.name}.Results": self.Results}

    def run_arguments(self) -> frozenset:
        """Which of the store's offers (``results_dir``, ``log``, ``parts``) ``run`` accepts."""
        return frozenset(inspect.signature(self.run).parameters) & {"results_dir", "log", "parts"}

    def resolve(self, profile: str, overrides: dict | None = None) -> Any:
        """The validated parameters of a profile (the one validation path)."""
        return self.Params.resolve(self.name, profile, overrides)


__all__ = ["DEFAULT_PART", "Chapter", "common_types"]
