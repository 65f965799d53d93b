"""The chapter contract (``_src/contract.py``): what :class:`Chapter` checks on construction,
what :meth:`Chapter.of` requires of a module (and names when it is missing), the optional hooks
and their defaults, captions, registered type names, ``run`` arguments and ``resolve``."""

import dataclasses
import types
from typing import NamedTuple

import pytest

from igr_core._src.contract import Chapter


@dataclasses.dataclass(frozen=True)
class Params:
    profile: str = "smoke"
    n: int = 3

    @classmethod
    def resolve(cls, notebook, profile, overrides=None):
        return ("resolved", notebook, profile, overrides)


class Results(NamedTuple):
    params: Params
    value: float


def _run(params):
    return Results(params, 1.0)


def _module(name="fake_chapter", **extra):
    m = types.ModuleType(name)
    m.NOTEBOOK = "99_fake"
    m.RESULTS_VERSION = 2
    m.Params = Params
    m.Results = Results
    m.run = _run
    m.claims = lambda results: []
    m.facts = lambda results: {}
    for k, v in extra.items():
        setattr(m, k, v)
    return m


def _chapter(**kw):
    base = dict(
        name="99_fake",
        Params=Params,
        Results=Results,
        run=_run,
        claims=lambda r: [],
        facts=lambda r: {},
        results_version=1,
    )
    base.update(kw)
    return Chapter(**base)


def test_of_builds_the_chapter_a_module_declares():
    m = _module()
    c = Chapter.of(m)
    assert c.name == "99_fake" and c.results_version == 2 and c.module == "fake_chapter"
    assert c.Params is Params and c.Results is Results and c.run is _run
    assert c.claims is m.claims and c.facts is m.facts


@pytest.mark.parametrize("name", Chapter.REQUIRED)
def test_of_rejects_a_module_lacking_a_required_name_and_names_it(name):
    m = _module()
    delattr(m, name)
    with pytest.raises(TypeError, match=rf"fake_chapter lacks {name} \(the chapter contract\)"):
        Chapter.of(m)


def test_of_names_every_missing_name_and_a_misspelling_counts_as_missing():
    m = _module()
    del m.claims, m.RESULTS_VERSION
    m.RESULT_VERSION = 2  # misspelled: not the contract's name
    with pytest.raises(TypeError, match="lacks RESULTS_VERSION, claims"):
        Chapter.of(m)


def test_hook_defaults():
    c = Chapter.of(_module())
    assert c.x64 is False and c.platform is None
    assert c.data_fingerprint is None and c.can_fill is None
    assert c.is_complete(object()) is True  # the store keeps every result
    assert c.shortfall(object()) == ""  # the scale is adequate
    assert c.captions(object()) == {}


def test_of_takes_the_optional_hooks_by_their_module_names():
    def fingerprint(params):
        return "abc"

    def complete(results):
        return False

    def fill(params, results):
        return None

    def short(results):
        return "too small"

    c = Chapter.of(
        _module(
            data_fingerprint=fingerprint,
            is_complete=complete,
            can_fill=fill,
            shortfall=short,
            X64=True,
            PLATFORM="cpu",
            x64=False,  # the lower-case name is not the hook's module name: ignored
        )
    )
    assert c.data_fingerprint is fingerprint and c.is_complete is complete and c.can_fill is fill
    assert c.shortfall is short and c.x64 is True and c.platform == "cpu"


@pytest.mark.parametrize("name", ["fake", "6_resnet", "ab_resnet", "06-resnet", "06_", 6])
def test_a_name_not_shaped_like_a_notebook_is_refused(name):
    with pytest.raises(TypeError, match="chapter name must look like '06_resnet'"):
        _chapter(name=name)


@pytest.mark.parametrize("version", [0, -1, 1.0, "1", None])
def test_results_version_must_be_a_positive_int(version):
    with pytest.raises(TypeError, match="results_version must be a positive int"):
        _chapter(results_version=version)


def test_params_must_be_a_dataclass_with_resolve_and_results_a_namedtuple():
    class NoResolve:
        pass

    @dataclasses.dataclass(frozen=True)
    class DataclassWithoutResolve:
        n: int = 1

    for bad in (NoResolve, DataclassWithoutResolve):
        with pytest.raises(TypeError, match="Params must be a ParamsBase dataclass"):
            _chapter(Params=bad)
    for bad in (tuple, dict):
        with pytest.raises(TypeError, match="Results must be a NamedTuple"):
            _chapter(Results=bad)


@pytest.mark.parametrize("hook", ["run", "claims", "facts", "is_complete", "shortfall", "captions"])
def test_hooks_must_be_callable(hook):
    with pytest.raises(TypeError, match=f"{hook} must be callable"):
        _chapter(**{hook: "not a function"})


def test_a_chapter_is_frozen():
    c = _chapter()
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.name = "98_other"


def test_caption_returns_the_text_or_names_the_keys_it_has():
    c = _chapter(captions=lambda r: {"fig_a": "A shows a.", "fig_b": "B shows b."})
    assert c.caption(None, "fig_b") == "B shows b."
    with pytest.raises(KeyError, match="chapter 99_fake has no caption 'fig_c'; it has: fig_a, fig_b"):
        c.caption(None, "fig_c")
    with pytest.raises(KeyError, match="it has: none"):
        _chapter().caption(None, "fig_a")


def test_types_are_registered_under_the_chapter_name():
    assert _chapter().types() == {"99_fake.Params": Params, "99_fake.Results": Results}


def test_run_arguments_are_the_store_offers_run_accepts():
    def run_all(params, results_dir, log, parts, other=None):
        return None

    def run_log(params, log=None):
        return None

    assert _chapter().run_arguments() == frozenset()
    assert _chapter(run=run_all).run_arguments() == {"results_dir", "log", "parts"}
    assert _chapter(run=run_log).run_arguments() == {"log"}


def test_resolve_goes_through_params_resolve_with_the_chapter_name():
    c = _chapter()
    assert c.resolve("smoke") == ("resolved", "99_fake", "smoke", None)
    assert c.resolve("paper", {"n": 5}) == ("resolved", "99_fake", "paper", {"n": 5})
