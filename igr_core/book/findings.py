"""The verdicts summed up for a reader: the book's findings in three to five plain sentences, a
chapter's "In short" box, and the figure of verdict counts per chapter.

Abstraction: every function takes the claims ledger (a frame of verdict rows, each chapter at its
published scale) and returns MyST markdown or shows a figure; which rows are headlines is written
once here (:data:`HEADLINES`), and every verdict, scale and number comes from the ledger.
"""

from __future__ import annotations

import re
from typing import NamedTuple

import pandas as pd

from igr_core._src import columns as C
from igr_core._src.verdicts import Outcome
from igr_core.book.cards import has_value, number_html, verdict_badge
from igr_core.book.display import public, show_figure
from igr_core.book.notation import texify
from igr_core.book.verdict_style import ORDER, STYLES


def verdict_summary(claims: pd.DataFrame):
    """A small figure: verdict counts per chapter (stacked), kinds counted apart."""
    import matplotlib.pyplot as plt

    order = [o.value for o in ORDER]
    colours = {o.value: STYLES[o].chart for o in ORDER}
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.2), gridspec_kw={"width_ratios": [3, 1.4]})
    table = claims.groupby(["notebook", "verdict"]).size().unstack(fill_value=0)
    table = table.reindex(columns=[v for v in order if v in table.columns])
    table.plot.barh(stacked=True, ax=axes[0], color=[colours[v] for v in table.columns], width=0.7)
    axes[0].invert_yaxis()
    axes[0].set_xlabel("rows")
    axes[0].set_ylabel("")
    handles, names = axes[0].get_legend_handles_labels()
    axes[0].get_legend().remove()  # one legend under both panels, clear of every bar
    fig.legend(handles, names, fontsize=8, frameon=False, loc="lower center", ncol=len(names))
    kinds = claims.groupby(["kind", "verdict"]).size().unstack(fill_value=0)
    kinds = kinds.reindex(columns=[v for v in order if v in kinds.columns])
    kinds.plot.barh(stacked=True, ax=axes[1], color=[colours[v] for v in kinds.columns], width=0.6, legend=False)
    axes[1].set_xlabel("rows")
    axes[1].set_ylabel("")
    fig.suptitle("Verdicts at each chapter's largest computed scale, by chapter and by kind", fontsize=10)
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    counts = claims["verdict"].value_counts()
    show_figure(
        fig,
        f"{len(claims)} rows at each chapter's published scale: "
        + ", ".join(f"{v} {counts.get(v, 0)}" for v in order if counts.get(v, 0))
        + f"; the chapter with the most inconclusive rows is {_most(claims, Outcome.INCONCLUSIVE)}.",
        "Drawn by `igr_core.book.findings.verdict_summary` from the result store (every chapter's stored results "
        "at its largest scale, verdicts recomputed by `igr_core.verdicts`).",
    )
    return fig


def _most(claims: pd.DataFrame, verdict: str) -> str:
    counts = claims[claims["verdict"] == verdict]["notebook"].value_counts()
    return f"{counts.index[0]} ({counts.iloc[0]})" if len(counts) else "none"


class Headline(NamedTuple):
    """One of the paper's headline claims in the book's answer: its declared row, in plain words."""

    id: str  # the declared row's id (igr_core/declarations): its chapter is the id's declaration's
    label: str  # the claim in plain words
    unit: str  # what the row's n counts


# The paper's headline claims, for the answer at the top of the book. Which rows are headlines is an
# editorial choice written once here, by declared id (a test resolves each); every verdict, scale and
# number in the box comes from the ledger.
HEADLINES = (
    Headline("01.local-error-orders", "Theorem 3.1 (gradient descent follows the modified flow)", "fits"),
    Headline("05.rig-falls-with-lambda", "Prediction 2.1 (R_IG smaller for larger lambda)", "networks"),
    Headline("05.slope-falls-with-h", "Prediction 2.2 (a smaller slope for larger h)", "learning rates"),
    Headline("05.test-acc-rises-with-lambda", "Prediction 2.3 (higher test accuracy for larger lambda)", "networks"),
    Headline("05.robust-under-noise", "Prediction 2.4 (more robust under noise for larger h)", "learning rates"),
    Headline("06.max-acc-higher-for-larger-h", "higher test accuracy for larger h", "networks"),
    Headline("06.rig-smaller-for-larger-h", "R_IG smaller for larger h", "networks"),
    Headline("07.egr-raises-max-test-acc", "explicit gradient regularization raising the test accuracy", "networks"),
)


def headline_chapter(h: Headline, declared=None) -> str:
    """The chapter (notebook name) that declares a headline's row; a clear error for an unknown id.
    ``declared``: every declaration by id (read from the data files when not given)."""
    from igr_core._src.verdicts import declarations

    declared = (declared if declared is not None else declarations.all_declarations()).get(h.id)
    if declared is None:
        raise KeyError(f"headline {h.label!r}: no declaration has the id {h.id!r} (igr_core/declarations/*.yml)")
    return declared.chapter


# names of the library's columns that a reader should not see (the statistic of a rule names them)
READABLE = {"slope_mean": "mean slope", "acc_mean": "mean test accuracy under noise", C.TEST_ACC: "test accuracy"}


def readable(text: str) -> str:
    """A rule's words with the library's column names replaced by a reader's (:data:`READABLE`)."""
    for name, words in READABLE.items():
        text = re.sub(rf"(?<![\w]){re.escape(name)}(?![\w])", words, text)
    return text


def _headline_rows(claims: pd.DataFrame) -> list[dict]:
    """The ledger's row of each headline, in :data:`HEADLINES`' order. A headline whose chapter has
    rows in the ledger but not this one is said so in the answer ("was not tested at this scale"),
    never silently dropped; one whose chapter has no rows (not computed, unusable results) is left
    out, as its chapter is."""
    from igr_core._src.verdicts import declarations

    out, declared = [], declarations.all_declarations()
    for h in HEADLINES:
        chapter = headline_chapter(h, declared)
        mine = claims[claims["notebook"] == chapter]
        if mine.empty:
            continue
        rows = mine[mine["id"] == h.id]
        row = rows.iloc[0].to_dict() if len(rows) else {"notebook": chapter, "id": h.id, "verdict": None}
        out.append({**row, "label": h.label, "unit": h.unit})
    return out


def _first_clause(text: str, limit: int = 160) -> str:
    """The first clause of a reason (up to ';'), cut at a word boundary with an ellipsis."""
    head = text.split("; ")[0]
    return head if len(head) <= limit else head[: head.rfind(" ", 0, limit)] + " ..."


def _evidence_words(h: dict) -> str:
    """A headline's measurement for a reader: the statistic and its value, the expected value beside
    it, what n counts, and the interval where the verdict is not a pass ("Spearman's rho(lambda,
    R_IG) = -0.78, expected decreasing (rho < 0); n = 30 networks")."""
    n = f"n = {int(h['n']):,} {h['unit']}" if int(h.get("n") or 0) else ""
    if h.get("statistic") and has_value(h.get("value")):
        text = f"{readable(h['statistic'])} = {number_html(h['value'], 2)}"
        if h["verdict"] != Outcome.REPRODUCED and has_value(h.get("lo")) and has_value(h.get("hi")):
            text += f", 95% interval {number_html(h['lo'], 2)} to {number_html(h['hi'], 2)}"
    else:
        text = f"measured {readable(h['measured'])}"
    if h.get("expected"):
        text += f", expected {h['expected']}"
    return "; ".join(x for x in (text, n) if x)


def _clause(h: dict) -> str:
    if h["verdict"] is None:
        return f"{h['label']} was not tested at this scale (its chapter has no row {h['id']})"
    why = f" because {_first_clause(h['why'])}" if h["verdict"] == Outcome.INCONCLUSIVE and h.get("why") else ""
    return f"{h['label']} {STYLES[Outcome(h['verdict'])].verb} ({_evidence_words(h)}){why}"


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else "; ".join(items[:-1]) + "; and " + items[-1]


def answer_sentences(claims: pd.DataFrame, scale: dict, errata: dict, too_short: dict | None = None) -> list[str]:
    """The bottom line in three to five plain sentences, from the ledger (``claims``, each chapter
    at its published scale), ``scale`` (chapter -> its scale in words, :func:`~igr_core.book.ledger.scale_words`),
    ``errata`` (section -> items, as the errata page counts them) and ``too_short`` (chapter -> why a
    larger run could not decide)."""
    from igr_core._src.verdicts.claims import CITED, CONSISTENCY, HYPOTHESIS, PAPER_CLAIM

    paper = claims[claims["kind"] == PAPER_CLAIM]["verdict"].value_counts()
    kinds = claims["kind"].value_counts()
    # every outcome in the order of the ledger's legend, errata only where there are some
    counted = [f"{paper.get(o, 0)} {STYLES[o].plural}" for o in ORDER if o != Outcome.ERRATUM or paper.get(o, 0)]
    out = [
        f"Of the paper's {int(paper.sum())} claims tested here, " + ", ".join(counted[:-1]) + f" and {counted[-1]}; "
        f"counted apart are {kinds.get(CONSISTENCY, 0)} consistency checks of this code, "
        f"{kinds.get(HYPOTHESIS, 0)} hypotheses of this companion and {kinds.get(CITED, 0)} claims of cited works."
    ]
    heads = _headline_rows(claims)
    by_chapter: dict[str, list[dict]] = {}
    for h in heads:
        by_chapter.setdefault(h["chapter"] if "chapter" in h else h["notebook"], []).append(h)
    places = {"01_theorem_checks": "In the theory", "05_mnist": "On MNIST", "06_resnet": "On ResNet-18"}
    for chapter in ("01_theorem_checks", "05_mnist"):
        hs = by_chapter.get(chapter, [])
        if hs:
            out.append(f"{places[chapter]} ({scale.get(chapter, '')}), {_join([_clause(h) for h in hs])}.")
    resnet = by_chapter.get("06_resnet", []) + by_chapter.get("07_egr", [])
    if resnet:
        where = scale.get("06_resnet", "")
        egr = [x for x in scale.get("07_egr", "").split(", ") if x and x not in where.split(", ")]
        if egr and by_chapter.get("07_egr"):
            where += f"; for explicit gradient regularization, {', '.join(egr)}"
        sentence = f"On ResNet-18 ({where}), {_join([_clause(h) for h in resnet])}"
        short = "; ".join(v for v in (too_short or {}).values() if v)
        out.append(sentence + (f"; {short}." if short else "."))
    if errata:
        parts = [f"{n} {title[0].lower() + title[1:]}" for title, n in errata.items()]
        out.append(f"The [errata](errata) list {_join(parts).replace('; and', ' and')}.")
    return out


def findings_markdown(claims: pd.DataFrame, n_errata=None, *, scale=None, errata=None, too_short=None) -> str:
    """The answer first: three to five plain sentences (:func:`answer_sentences`), each claim with
    its scale in words, its statistic named for a reader and the expected value beside the measured
    one; then the counts of every row by verdict. ``n_errata`` is ignored (the errata are counted
    as the errata page counts them, ``errata``)."""
    sentences = answer_sentences(claims, scale or {}, errata or {}, too_short)
    counts = claims["verdict"].value_counts()
    every = ", ".join(f"{verdict_badge(o)} {counts.get(o, 0)}" for o in ORDER if counts.get(o, 0))
    body = "\n\n".join(texify(public(x)) for x in sentences)
    body += f"\n\n<small>Every row of the [claims ledger](claims), all kinds together: {every}.</small>"
    return "```{admonition} Findings (generated from the claims ledger)\n:class: tip answer\n\n" + body + "\n```"


def in_short_markdown(claims: pd.DataFrame, profile: str, shortfall: str = "") -> str:
    """A chapter's "In short" box: what holds, what does not, at which scale and why (two to
    four lines, generated from its verdict rows)."""
    held = claims[claims["verdict"] == Outcome.REPRODUCED]
    failed = claims[claims["verdict"] == Outcome.NOT_REPRODUCED]
    open_ = claims[claims["verdict"] == Outcome.INCONCLUSIVE]
    partly = claims[claims["verdict"].isin([Outcome.PARTLY, Outcome.ERRATUM])]

    def names(df, k=3):
        shown = "; ".join(df["claim"].head(k))
        return shown + (f"; and {len(df) - k} more" if len(df) > k else "")

    lines = [
        f"At the {profile} scale, {len(claims)} rows: {len(held)} reproduced, {len(partly)} partly or errata, "
        f"{len(failed)} not reproduced, {len(open_)} inconclusive."
    ]
    if len(held):
        lines.append(f"Holds: {names(held)}.")
    if len(failed):
        lines.append(f"Does not hold: {names(failed)}.")
    if len(open_):
        lines.append("Undecided: " + (f"the runs are not adequate ({shortfall})." if shortfall else names(open_) + "."))
    return "```{admonition} In short\n:class: tip\n\n" + "\n\n".join(texify(public(x)) for x in lines[:4]) + "\n```"


__all__ = [
    "HEADLINES",
    "READABLE",
    "Headline",
    "headline_chapter",
    "readable",
    "answer_sentences",
    "findings_markdown",
    "in_short_markdown",
    "verdict_summary",
]
