"""One chapter's page: parameters -> result store -> banner -> figures -> verdicts, from one call.

Abstraction: a notebook puts its chapter on the page with ``page = chapter.open(module, globals())``:

    profile (papermill injects it, with any overrides) -> ``Params`` (the one validation path)
    -> :func:`igr_core._src.runner.run` (read the stored results, or compute, store and read back)
    -> the facts and the claims, each computed once -> the banner

and then draws with ``page.figure(draw, ..., caption=key)`` and ends with ``page.verdicts()``.
The :class:`Page` holds what ran (``params``, ``results``, ``stored``, ``facts``, ``claims``);
its chapter (:class:`igr_core._src.contract.Chapter`, from the registry) declares everything
else the page shows: the data sentence and stand-in of the banner (its ``banner`` hook), the
captions, the adequacy shortfall. :func:`banner` shows the profile, the data, where the results
come from (computed here, or read from the store with the device, date and commit that computed
them), the "In short" box (from the page's one list of claims, the one the ledger records) and
one table of the effective parameters, each marked with what set it (the ``Params`` default,
the profile, or an override). The notebook's own parameters cell names only the profile and is
hidden.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, NamedTuple

import numpy as np
import pandas as pd

from igr_core._src import env as _env
from igr_core._src import runner as _runner
from igr_core._src import store as _store
from igr_core.book import display, findings, ledger
from igr_core.experiments import registry
from igr_core.experiments._params import describe, profile_values


class Page(NamedTuple):
    """A chapter on its page: what ran and what it found, each computed once."""

    params: Any  # the chapter's Params
    results: Any  # its Results, as stored
    stored: _store.Stored
    facts: dict  # the chapter's facts(results): the numbers the prose quotes
    claims: list  # the chapter's claims(results): the in-short box and the ledger's record read this one list

    @property
    def contract(self):
        """The registered chapter (:class:`igr_core._src.contract.Chapter`) of this page."""
        return registry.get(type(self.params).notebook())

    def figure(self, draw: Callable, *args, caption: str, **kwargs):
        """Draw one figure with ``draw(*args, profile=<the profile>, **kwargs)`` (a function of
        :mod:`igr_core.book.plotting`, :mod:`~igr_core.book.figures_networks` or
        :mod:`~igr_core.book.figures_estimation`, or the chapter's own) and show it with what it shows (the
        chapter's caption ``caption``, computed from the results) and its provenance: the function
        that drew it, the stored result it plots and the page's tables for download."""
        takeaway = self.contract.caption(self.results, caption)  # a bad key fails before drawing
        fig = draw(*args, profile=self.params.profile, **kwargs)
        source = "/".join(self.stored.path.parts[-4:])
        zip_name = f"{type(self.params).notebook()}_results.zip"
        display.show_figure(
            fig,
            takeaway,
            f"Drawn by `{draw.__module__}.{draw.__name__}` from `{source}`; "
            f"the tables: {{download}}`{zip_name} <{zip_name}>`.",
        )
        return fig

    def verdicts(self) -> pd.DataFrame:
        """The page's verdict section: the evidence of every row (the page's one list of claims),
        recorded with the facts, and the result tables written for download."""
        name = type(self.params).notebook()
        return ledger.record(name, self.claims, self.params.profile, self.facts, results=self.results)


def compute(experiment, namespace: Mapping[str, Any]) -> Page:
    """The chapter's parameters from the notebook's namespace, its results from the store, and its
    facts and claims (once). ``experiment`` is the chapter's module (the notebook imports it); the
    store takes its registered :class:`~igr_core._src.contract.Chapter`."""
    chapter = registry.get(experiment.NOTEBOOK)
    p = chapter.Params.from_namespace(namespace)  # float64, where a chapter needs it, is switched on by the store
    s = _runner.run(
        chapter,
        p,
        ledger.results_dir(p.profile),
        recompute=_env.recompute(),
        log=display.progress,
        root=ledger.repo_root(),
    )
    return Page(p, s.results, s, chapter.facts(s.results), list(chapter.claims(s.results)))


def open(experiment, namespace: Mapping[str, Any]) -> Page:  # shadows the builtin here only: pages call chapter.open
    """Put a chapter on its page in one call: the book's plotting style, the parameters (the
    profile and papermill's overrides in ``namespace``), the stored results, the facts, the claims
    (once) and the banner. The notebook then draws with :meth:`Page.figure` and ends with
    :meth:`Page.verdicts`."""
    from igr_core.book import plotting

    plotting.style()
    page = compute(experiment, namespace)
    banner(page)
    return page


# a parameter that requests a size and the results' attribute with the size the loader returned
LOADED_COUNTS = ("n_train", "n_test")


def _requested(name: str, value, results) -> str:
    """A requested count beside the count the results hold where they differ (a stratified
    subsample rounds to whole classes; 0 asks for the whole split), so the page says the actual
    count once, the banner's, and the table shows where it came from."""
    loaded = getattr(results, name, None) if name in LOADED_COUNTS else None
    if not isinstance(loaded, (int, np.integer)) or not isinstance(value, int) or loaded == value:
        return display.short(value)
    if value == 0:
        return f"0 (the whole split: {int(loaded):,} loaded)"
    return f"{value:,} requested ({int(loaded):,} loaded: a stratified subsample, rounded per class)"


def parameters_table(p, results=None) -> pd.DataFrame:
    """Every effective parameter with what set it: the default, the profile, or an override; a
    requested data size shows the size loaded beside it where they differ (:func:`_requested`)."""
    defaults = type(p).defaults()
    from_profile = profile_values(p.profile, type(p).notebook())
    rows = []
    for name, value in p.as_dict().items():
        if name == "profile":
            continue
        plain_default = display.plain(defaults[name])
        if name in from_profile and display.plain(from_profile[name]) == value:
            by = f"profile `{p.profile}`"
        elif value == plain_default:
            by = "default"
        else:
            by = "override"
        rows.append({"parameter": f"`{name}`", "value": _requested(name, value, results), "set by": by})
    return pd.DataFrame(rows)


def where_from(stored: _store.Stored) -> str:
    m = stored.manifest
    prov = m.get("provenance", {})
    versions = prov.get("versions", {})
    what = (
        f"{prov.get('device', '?')} ({prov.get('backend', '?')}, jax {versions.get('jax', '?')}), "
        f"{prov.get('date', '?')}, {prov.get('seconds', 0):.0f} s, commit {prov.get('git_commit', '?')}"
    )
    if m.get("incomplete"):
        return f"computed here, not stored (incomplete on this machine): {what}"
    rel = "/".join(stored.path.parts[-4:])
    return (
        f"computed in this run and stored in `{rel}`: {what}"
        if stored.computed
        else f"read from the result store, `{rel}` (results version {m.get('results_version')}), computed by {what}"
    )


def value_words(v) -> str:
    """A parameter's value as prose shows it: numbers plainly (thousands separated), lists joined."""
    v = display.plain(v)
    if isinstance(v, bool) or v is None:
        return str(v)
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        return f"{v:,.0f}" if v.is_integer() and abs(v) >= 1000 else f"{v:g}"
    if isinstance(v, (list, tuple)):
        return ", ".join(value_words(x) for x in v)
    return str(v)


def glue_parameters(p) -> None:
    """Every parameter of the run glued as ``p_<name>``, so that the page's prose shows its value
    (``$h =$ {glue:text}`p_learning_rate```) where it would otherwise name it."""
    for name, value in p.as_dict().items():
        display.glue(f"p_{name}", value_words(value))


def banner(page: Page) -> None:
    """The page's banner: profile, data (the data sentence and stand-in of the chapter's ``banner``
    hook), where the results come from, the "In short" box (from the page's claims) and the
    parameters (each also glued for the prose, :func:`glue_parameters`)."""
    p = page.params
    chapter = page.contract
    said = chapter.banner(page.results)
    data_source, stand_in = said.get("data_source"), said.get("stand_in")
    glue_parameters(p)
    if stand_in:
        display.show_markdown(
            f"```{{danger}}\n**{stand_in}.** The paper trains on CIFAR-10, which cannot be fetched "
            "offline; every number and figure on this page comes from the stand-in data named "
            "below. Run with `dataset: cifar10` and prepared tensorflow-datasets data for the "
            "paper's data.\n```"
        )
    lines = []
    if data_source:
        lines.append(f"Data: {display.public(data_source)}.")
    lines.append(f"Results: {where_from(page.stored)}.")
    sweep = getattr(page.results, "sweep", None)
    if getattr(sweep, "provenance", None):
        trained = "; ".join(
            sorted(
                {
                    f"{v.get('device', '?')} (jax {v.get('jax', '?')}, {v.get('date', '?')[:10]})"
                    for v in sweep.provenance.values()
                }
            )
        )
        steps = int(sweep.metrics["step"].max()) if len(sweep.metrics) else 0
        evals = int(sweep.metrics["step"].nunique() - 1) if len(sweep.metrics) else 0
        lines.append(
            f"Training grid trained on: {trained}; {steps:,} steps per network, {evals} evaluations after step 0."
        )
    short = chapter.shortfall(page.results)
    if short:
        lines.append(
            f"**Not adequate to decide the claims about trained networks at this scale:** {short}. The "
            "affected verdicts below are inconclusive for that reason."
        )
    display.banner(p.profile, lines)
    rows = pd.DataFrame(ledger.rows(chapter.name, page.claims, p.profile))
    display.show_markdown(findings.in_short_markdown(rows, p.profile, short))
    from igr_core.experiments import departures

    mine = departures.for_chapter(type(p).notebook())
    if mine:
        display.show_markdown(
            "```{admonition} Choices and departures from the paper (all of them: [Departures](departures))\n"
            ":class: dropdown\n\n" + display.departures_markdown(mine) + "\n```"
        )
    table = display.table_markdown(parameters_table(p, page.results))
    # no backticks in a fence's info string (CommonMark: the fence would not open and the page shows it raw)
    display.show_markdown(
        f"```{{admonition}} Parameters of this run (profile {p.profile}: "
        f"{describe(p.profile)})\n:class: dropdown\n\n{table}\n```"
    )


__all__ = ["Page", "open", "compute", "parameters_table", "where_from", "banner", "glue_parameters", "value_words"]
