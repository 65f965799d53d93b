"""What a notebook shows besides figures: the profile banner, markdown outputs and glue.

Abstraction: every call renders MyST markdown as a cell output (the book renders it), or
glues a computed value under a name for ``{glue:text}`` in the page's prose, so that no
number in prose is typed by hand.
"""
from __future__ import annotations

import pandas as pd

PROFILES = ("smoke", "paper")


def check_profile(profile: str) -> str:
    if profile not in PROFILES:
        raise ValueError(f"`profile` must be one of {PROFILES}, got {profile!r}.")
    return profile


def show_markdown(text: str) -> None:
    """Display MyST markdown as a cell output (rendered by the book)."""
    from IPython.display import Markdown, display

    display(Markdown(text))


def table_markdown(df: pd.DataFrame) -> str:
    """A pipe table of a small frame, no index, cells with '|' escaped (``DataFrame.to_markdown``)."""
    clean = df.map(lambda v: str(v).replace("|", "\\|").replace("\n", " "))
    return clean.to_markdown(index=False, tablefmt="pipe")


def banner(profile: str, params: dict | None = None, data_source: str | None = None,
           provenance: str | None = None, stand_in: str | None = None) -> None:
    """Show which profile, data and (for cached results) which run produced the page;
    ``stand_in`` (e.g. "Fashion-MNIST stand-in, not CIFAR-10") is shown first, as a danger box."""
    check_profile(profile)
    if stand_in:
        show_markdown(f"```{{danger}}\n**{stand_in}.** The paper trains on CIFAR-10, which cannot be fetched "
                      "offline; every number and figure on this page comes from the stand-in data named below. "
                      "Run with `dataset: cifar10` and prepared tensorflow-datasets data for the paper's data.\n```")
    kind = "warning" if profile == "smoke" else "note"
    what = ("**Smoke profile**: every number and figure on this page is a real computation, "
            "run at small scale on a CPU. It is not the paper's scale; rerun with the `paper` "
            "profile for that." if profile == "smoke" else
            "**Paper profile**: the paper's grids and hyper-parameters.")
    lines = [f"```{{{kind}}}", what]
    if data_source:
        lines.append(f"\nData: {data_source}.")
    if provenance:
        lines.append(f"\nResults computed by: {provenance}.")
    if params:
        shown = ", ".join(f"`{k}={v!r}`" for k, v in params.items())
        lines.append(f"\nParameters of this run: {shown}.")
    lines.append("```")
    show_markdown("\n".join(lines))


def progress(line: str) -> None:
    """A progress line for the terminal that runs the pipeline: written to the kernel
    process's own stderr (inherited from papermill's terminal), so it never enters the page."""
    import sys

    print(line, file=sys.__stderr__, flush=True)


_GLUED: dict = {}


def glue(name: str, value, fmt: str | None = None):
    """Glue a computed value for ``{glue:text}`` in the page's prose; returns the value."""
    from myst_nb import glue as _glue

    shown = format(value, fmt) if fmt else value
    _GLUED[name] = shown
    _glue(name, shown, display=False)
    return value


def glue_all(values: dict, fmt: str | None = None) -> None:
    """Glue every item of ``values`` (name -> value)."""
    for k, v in values.items():
        glue(k, v, fmt if isinstance(v, float) else None)


def number_or(value: float, missing: str, digits: int = 2) -> str:
    """``value`` to ``digits`` significant digits, or the words ``missing`` when it is not
    finite (a crossing never reached, an edge that does not exist)."""
    import math

    return f"{value:.{digits}g}" if value is not None and math.isfinite(value) else missing


def glued(name: str):
    """The value glued under ``name`` in this kernel."""
    return _GLUED[name]


__all__ = ["PROFILES", "check_profile", "show_markdown", "table_markdown", "banner", "progress", "glue", "glue_all",
           "number_or", "glued"]
