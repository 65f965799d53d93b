"""Parameters of the experiment modules: one home for every default, profiles as overrides.

Abstraction: each chapter's frozen ``Params`` dataclass holds every default, with its type (the
default's) and its value checks (``__post_init__``); ``Params()`` is the smoke profile, the
scale a CPU runs in minutes. A profile (``igr_core/profiles/<name>.yml``, shipped with the
package so that a notebook run by plain papermill or on Colab finds it) holds only the values
that differ from those defaults, per notebook. :func:`resolve` is the one validation path:

    profile file -> overrides (``-p NAME VALUE``, or names papermill injected) -> names, types
    (against the dataclass defaults) -> values (``__post_init__``) -> ``Params``

The book pipeline calls it before any kernel starts; each notebook calls it again with its
globals (its parameters cell names only ``profile``; papermill injects the rest).

Why the dataclasses and not the profile files hold the defaults: the dataclass is where the
types and the value checks live, ``run(Params())`` must run what the smoke page shows, and
a profile file then reads as the list of its departures from the smoke scale.
"""

from __future__ import annotations

import dataclasses
from importlib import resources
from typing import Any, Mapping

import numpy as np

from igr_core._src.codec import plain

PROFILES = ("smoke", "standin", "accelerator", "paper")  # by scale, smallest first
LARGEST = "largest"  # the published book: each chapter at the largest profile whose results are stored
ACCELERATOR_ONLY = ("paper", "accelerator")  # profiles that a CPU re-plots but never trains ("auto")


class ParameterError(ValueError):
    """A parameter name, type or value that a chapter does not accept."""


def describe(profile: str) -> str:
    """A profile's description: the ``description:`` of its file (the one home of that sentence)."""
    return str(load_profile(profile).get("description", profile))


def _nonfinite(value) -> bool:
    if isinstance(value, (list, tuple)):
        return any(_nonfinite(v) for v in value)
    if isinstance(value, dict):
        return any(_nonfinite(v) for v in value.values())
    return isinstance(value, (float, np.floating)) and not np.isfinite(value)


def _typename(v: Any) -> str:
    return "list" if isinstance(v, (list, tuple)) else type(v).__name__


def compatible(default: Any, value: Any) -> bool:
    """Whether ``value`` has the type of ``default`` (ints pass for floats; lists for tuples,
    element by element against the default's first element)."""
    if default is None:
        return True
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(default, bool) and isinstance(value, bool)
    if isinstance(default, float):
        return isinstance(value, (int, float, np.integer, np.floating))
    if isinstance(default, int):
        return isinstance(value, (int, np.integer))
    if isinstance(default, str):
        return isinstance(value, str)
    if isinstance(default, (list, tuple)):
        if not isinstance(value, (list, tuple)):
            return False
        return not (default and value) or all(compatible(default[0], v) for v in value)
    if isinstance(default, dict):
        return isinstance(value, dict)
    return type(default) is type(value)


def _tuples(v):
    return tuple(_tuples(x) for x in v) if isinstance(v, (list, tuple)) else v


class ParamsBase:
    """Mixin for the frozen parameter dataclasses of the experiment modules."""

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in dataclasses.fields(cls)]

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        return {f.name: f.default for f in dataclasses.fields(cls)}

    @classmethod
    def check(cls, values: Mapping[str, Any], where: str = "") -> None:
        """Names and types of ``values`` against the defaults; raises :class:`ParameterError`."""
        ParamsBase.check_against(cls.defaults(), values, where)

    @staticmethod
    def check_against(defaults: Mapping[str, Any], values: Mapping[str, Any], where: str = "") -> None:
        """Names and types of ``values`` against ``defaults`` (name -> default value)."""
        for name, value in values.items():
            if name not in defaults:
                raise ParameterError(f"{where}unknown parameter {name!r}; allowed: {', '.join(sorted(defaults))}")
            d = defaults[name]
            if _nonfinite(value):
                raise ParameterError(
                    f"{where}parameter {name!r} must hold finite numbers (no NaN or inf), got {plain(value)!r}"
                )
            if not compatible(d, value):
                elem = f" of {_typename(d[0])}" if isinstance(d, (list, tuple)) and d else ""
                raise ParameterError(
                    f"{where}parameter {name!r} must be a {_typename(d)}{elem} "
                    f"(default {plain(d)!r}), got {value!r} ({_typename(value)})"
                )

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]):
        """Build from a mapping that may hold more names (a notebook's globals)."""
        known = {k: _tuples(values[k]) for k in cls.names() if k in values}
        try:
            return cls(**known)
        except ParameterError:
            raise
        except ValueError as err:
            raise ParameterError(str(err)) from None

    @classmethod
    def notebook(cls) -> str:
        import sys

        return sys.modules[cls.__module__].NOTEBOOK

    @classmethod
    def resolve(cls, notebook: str, profile: str, overrides: Mapping[str, Any] | None = None):
        """See :func:`resolve`."""
        return resolve(cls, notebook, profile, overrides)

    @classmethod
    def from_namespace(cls, namespace: Mapping[str, Any]):
        """The chapter's parameters inside its notebook: ``profile`` and the names papermill
        injected (see :func:`from_namespace`)."""
        return from_namespace(cls, cls.notebook(), namespace)

    def as_dict(self) -> dict:
        return {f.name: plain(getattr(self, f.name)) for f in dataclasses.fields(self)}

    def changed(self) -> dict:
        """The values that differ from the defaults (what the profile and overrides set)."""
        d = type(self).defaults()
        return {k: v for k, v in self.as_dict().items() if plain(d[k]) != v}


def check_profile(profile: str) -> str:
    if profile not in PROFILES:
        raise ParameterError(f"`profile` must be one of {PROFILES}, got {profile!r}.")
    return profile


def load_profile(profile: str, folder=None) -> dict[str, Any]:
    """The whole profile file: ``igr_core/profiles/<profile>.yml``, or ``<folder>/<profile>.yml``
    for a book of its own (the pipeline's tests build one). The one profile loader."""
    import yaml

    check_profile(profile)
    if folder is None:
        return yaml.safe_load(resources.files("igr_core").joinpath("profiles", f"{profile}.yml").read_text()) or {}
    path = folder / f"{profile}.yml"  # a book of its own may leave a profile out: no departures then
    return (yaml.safe_load(path.read_text()) or {}) if path.exists() else {}


def profile_values(profile: str, notebook: str, folder=None) -> dict[str, Any]:
    """What a profile sets for one notebook (its departures from the ``Params`` defaults)."""
    data = load_profile(profile, folder)
    values = dict(data.get("defaults") or {})
    values.update((data.get("notebooks") or {}).get(notebook) or {})
    return values


def resolve(cls, notebook: str, profile: str, overrides: Mapping[str, Any] | None = None):
    """The one validation path: ``cls`` defaults <- profile <- ``overrides`` (names that are
    not fields of ``cls`` are ignored only when ``overrides`` is a notebook's namespace, see
    :func:`from_namespace`). Raises :class:`ParameterError` naming the parameter."""
    where = f"notebook {notebook!r}: "
    given = dict(overrides or {})
    if "profile" in given:  # `-p profile NAME` (plain papermill) names the profile like --profile does
        profile = given.pop("profile")
    check_profile(profile)
    values = profile_values(profile, notebook)
    cls.check(values, where + f"profile {profile!r}: ")
    cls.check(given, where)
    try:
        return cls.from_mapping({**values, **given, "profile": check_profile(profile)})
    except ParameterError as err:
        raise ParameterError(where + str(err)) from None


def from_namespace(cls, notebook: str, namespace: Mapping[str, Any]):
    """``Params`` inside a notebook: ``profile`` and any field names papermill injected."""
    given = {k: namespace[k] for k in cls.names() if k in namespace and k != "profile"}
    return resolve(cls, notebook, namespace.get("profile", "smoke"), given)


def positive(name: str, v, integer: bool = False, allow_zero: bool = False) -> None:
    ok = isinstance(v, (int, np.integer)) and not isinstance(v, bool) if integer else isinstance(v, (int, float))
    if not ok or not np.isfinite(v) or (v < 0 if allow_zero else v <= 0):
        kind = "integer" if integer else "number"
        raise ValueError(f"`{name}` must be a {'non-negative' if allow_zero else 'positive'} {kind}, got {v!r}.")


def positive_seq(name: str, v, integer: bool = False, allow_empty: bool = False, allow_zero: bool = False) -> None:
    if isinstance(v, (str, bytes)) or not hasattr(v, "__iter__"):
        raise ValueError(f"`{name}` must be a list, got {v!r}.")
    if not allow_empty and len(tuple(v)) == 0:
        raise ValueError(f"`{name}` must be a non-empty list, got {v!r}.")
    for x in v:
        try:
            positive(name, x, integer, allow_zero)
        except ValueError:
            raise ValueError(
                f"`{name}` must hold {'non-negative' if allow_zero else 'positive'} "
                f"{'integers' if integer else 'numbers'}, got {list(v)!r}."
            ) from None


def one_of(name: str, v, allowed) -> None:
    if v not in allowed:
        raise ValueError(f"`{name}` must be one of {tuple(allowed)}, got {v!r}.")


def require_x64() -> None:
    """Float64 for a chapter whose claims need it (identities to rounding, convergence orders):
    the chapter turns it on itself (``X64 = True`` in its module) rather than trusting the caller."""
    import jax

    if not jax.config.jax_enable_x64:
        jax.config.update("jax_enable_x64", True)


def preferred_platform(chapter) -> str | None:
    """The JAX platform a chapter asks for (``Chapter.platform``, e.g. "cpu" for tiny sequential
    float64 steps that a GPU runs slower), or None: none asked, no chapter (a gathering page), or
    the caller set ``JAX_PLATFORMS`` already (an explicit choice wins)."""
    import os

    platform = getattr(chapter, "platform", None)
    return None if platform is None or os.environ.get("JAX_PLATFORMS") else platform


def _number(default, value):
    """A YAML string that is a number in e-notation ("1e12") read as the number the parameter's
    type asks for (an int only where it is integral)."""
    if not isinstance(value, str) or isinstance(default, (bool, str)):
        return value
    try:
        x = float(value)
    except ValueError:
        return value
    if isinstance(default, int) and x.is_integer() and np.isfinite(x):
        return int(x)
    if isinstance(default, float):
        return x
    return value


def parse_overrides(pairs, params_cls=None, where: str = "") -> dict[str, Any]:
    """``-p NAME VALUE`` pairs as values (YAML), one clear line for a value that does not parse
    (the parameter, the value, what is allowed), numbers in e-notation read as numbers where the
    parameter's type is int or float."""
    import yaml

    defaults = params_cls.defaults() if params_cls is not None else {}
    out = {}
    for name, text in pairs or []:
        try:
            value = yaml.safe_load(text)
        except yaml.YAMLError as err:
            mark = getattr(err, "problem", None) or "not valid YAML"
            d = defaults.get(name)
            allowed = f"a YAML {_typename(d)} like {plain(d)!r}" if name in defaults else "a YAML value"
            raise ParameterError(
                f"{where}parameter {name!r}: cannot read {text!r} ({mark}); expected {allowed}"
            ) from None
        out[name] = value
    return coerce_numbers(params_cls, out) if params_cls is not None else out


def coerce_numbers(params_cls, values: Mapping[str, Any]) -> dict[str, Any]:
    """Numbers YAML reads as strings ("1e12") made numbers where the parameter's type is int or
    float (an int only where the value is integral)."""
    defaults = params_cls.defaults()
    out = {}
    for name, value in values.items():
        d = defaults.get(name)
        if isinstance(d, (list, tuple)) and isinstance(value, list) and d:
            value = [_number(d[0], v) for v in value]
        else:
            value = _number(d, value)
        out[name] = value
    return out


SCALE_WARNING = 100  # an override this many times the largest value any profile uses prints its estimated cost


def beyond_profiles(params_cls, notebook: str, overrides: Mapping[str, Any]) -> list[str]:
    """Numeric overrides far beyond anything the profiles use, as sentences with the factor (the
    run costs about that many times the largest profile's, for a parameter that scales the work)."""
    out = []
    for name, value in overrides.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or name not in params_cls.defaults():
            continue
        seen = [params_cls.defaults()[name]] + [profile_values(p, notebook).get(name) for p in PROFILES]
        seen = [abs(float(v)) for v in seen if isinstance(v, (int, float)) and not isinstance(v, bool) and v]
        if seen and abs(float(value)) > SCALE_WARNING * max(seen):
            out.append(
                f"{notebook}: {name} = {value:g} is {abs(float(value)) / max(seen):.3g} times the largest value any "
                f"profile uses ({max(seen):g}); if it scales the work, this run costs about that many times the "
                "largest profile's"
            )
    return out


def should_train(p) -> bool:
    """Whether a chapter may train what its store lacks: ``train_missing`` "yes"/"no", or
    "auto" = everywhere except the paper and accelerator profiles on a CPU (which re-plot
    committed results)."""
    import jax

    if p.train_missing != "auto":
        return p.train_missing == "yes"
    return not (p.profile in ACCELERATOR_ONLY and jax.default_backend() == "cpu")
