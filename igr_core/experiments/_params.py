"""Shared parameter handling for the experiment modules."""
from __future__ import annotations

import dataclasses
from typing import Any, Mapping

import numpy as np


class ParamsBase:
    """Mixin for the frozen parameter dataclasses of the experiment modules."""

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in dataclasses.fields(cls)]

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]):
        """Build from a mapping that may hold more names (a notebook's globals)."""
        known = {k: values[k] for k in cls.names() if k in values}
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in known.items()})

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


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
            raise ValueError(f"`{name}` must hold {'non-negative' if allow_zero else 'positive'} "
                             f"{'integers' if integer else 'numbers'}, got {list(v)!r}.") from None


def one_of(name: str, v, allowed) -> None:
    if v not in allowed:
        raise ValueError(f"`{name}` must be one of {tuple(allowed)}, got {v!r}.")


def should_train(p) -> bool:
    """Whether a chapter may train what its cache lacks: ``train_missing`` "yes"/"no", or
    "auto" = everywhere except the paper profile on a CPU (which re-plots committed results)."""
    import jax

    if p.train_missing != "auto":
        return p.train_missing == "yes"
    return not (p.profile == "paper" and jax.default_backend() == "cpu")
