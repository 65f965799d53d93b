"""What a notebook shows besides figures: the profile banner, markdown outputs and glue.

Abstraction: every call renders MyST markdown as a cell output (the book renders it), or
glues a computed value under a name for ``{glue:text}`` in the page's prose, so that no
number in prose is typed by hand.
"""

from __future__ import annotations

import html
import re

import pandas as pd

from igr_core._src.codec import plain
from igr_core._src.verdicts import (
    OUTCOMES,
    number_or,  # noqa: F401  (prose formatting, re-exported for the pages)
)
from igr_core.book.notation import HTML_MATH, texify
from igr_core.experiments._params import LARGEST, PROFILES, check_profile, describe

_ABSOLUTE_PATH = re.compile(r"(?<![\w.)\]])/(?:[\w.@+-]+/)+([\w.@+-]+)")


def public(text: str) -> str:
    """``text`` with every absolute path of the machine that ran it replaced by its last part
    (``/home/me/.data/fashion-mnist`` -> ``fashion-mnist``): no page shows a machine's folders."""
    return _ABSOLUTE_PATH.sub(lambda m: m.group(1), text) if isinstance(text, str) else text


def show_markdown(text: str) -> None:
    """Display MyST markdown as a cell output (rendered by the book)."""
    from IPython.display import Markdown, display

    display(Markdown(text))


def table_markdown(df: pd.DataFrame) -> str:
    """A pipe table of a small frame, no index, its plain-text notation typeset
    (:func:`igr_core.book.notation.texify`), cells with '|' escaped (``DataFrame.to_markdown``)."""
    clean = df.map(lambda v: texify(str(v)).replace("|", "\\|").replace("\n", " "))
    return clean.to_markdown(index=False, tablefmt="pipe")


def short(v, limit: int = 90) -> str:
    """A parameter value as a short code span."""
    text = repr(plain(v))
    return f"`{text if len(text) <= limit else text[: limit - 3] + '...'}`"


def profile_sentence(profile: str) -> str:
    """The banner's first sentence: the profile and its description (from its profile file)."""
    if profile == LARGEST:
        return (
            "**The published build**: every chapter at the largest scale whose stored results pass its adequacy "
            "gates (its page's banner names the profile, the data and the device)."
        )
    check_profile(profile)
    head = f"**{profile.capitalize()} profile**: {describe(profile)}."
    if profile == "smoke":
        head += (
            " Every number and figure on this page is a real computation at small scale; it is not the paper's scale."
        )
    return head


def banner(profile: str, extra: list[str] | None = None) -> None:
    """The profile box every page opens with (a warning at smoke scale); ``extra`` lines follow
    (the chapters' banner adds data, results and parameters, :func:`igr_core.book.chapter.banner`)."""
    kind = "warning" if profile == "smoke" else "note"
    show_markdown("\n".join([f"```{{{kind}}}", profile_sentence(profile), *[f"\n{x}" for x in extra or []], "```"]))


def show_figure(fig, takeaway: str, provenance: str) -> None:
    """Show a finished figure of the book: its text typeset (:func:`~igr_core.book.notation.texify_figure`),
    narrowed to the page where its text would shrink illegibly, then under it "What it shows:"
    ``takeaway``, the ``provenance`` line and any layout problem (which ``make check-book`` fails)."""
    import matplotlib.pyplot as plt

    from igr_core.book.layout import fit_to_page, layout_report
    from igr_core.book.notation import texify_figure

    texify_figure(fig)
    fit_to_page(fig)
    report = layout_report(fig)
    plt.show()
    show_markdown(
        f'<span class="takeaway">What it shows:</span> {texify(takeaway)}\n\n<small>{provenance}</small>' + report
    )


LONG_TABLE = 15  # rows: a longer table goes behind a toggle (the figure above it and its caption summarise it)


def frame(obj, digits: int = 4):
    """A result table for reading: floats to ``digits`` significant digits (whole numbers without
    an exponent), no numeric index (a meaningful index becomes columns), column labels
    flattened; a table longer than :data:`LONG_TABLE` rows behind a toggle. Other objects pass
    through. The full-precision tables are in the page's results zip."""
    if isinstance(obj, pd.Series):
        obj = obj.to_frame(obj.name if obj.name is not None else "value")
    if not isinstance(obj, pd.DataFrame):
        return obj
    df = obj if isinstance(obj.index, pd.RangeIndex) else obj.reset_index()
    df = df.copy()
    df.columns = [" ".join(str(x) for x in c).strip() if isinstance(c, tuple) else str(c) for c in df.columns]
    df = df.loc[:, ~pd.Index(df.columns).duplicated()]

    def fmt(v):
        if pd.isna(v):
            return ""
        return f"{int(v)}" if float(v).is_integer() and abs(v) < 1e12 else f"{v:.{digits}g}"

    def words(v):  # text in a cell or header: HTML-escaped, its notation typeset by MathJax
        return texify(html.escape(v, quote=False), HTML_MATH) if isinstance(v, str) else v

    floats = [words(c) for c in df.columns if pd.api.types.is_float_dtype(df[c])]
    for c in df.columns:
        if pd.api.types.is_string_dtype(df[c]) or pd.api.types.is_object_dtype(df[c]):
            df[c] = df[c].map(words)
    df.columns = [words(c) for c in df.columns]
    from IPython.display import HTML

    # MathJax typesets raw HTML only inside a class it is told to process (the book's config)
    table = f'<div class="mathjax_process">{df.style.hide(axis="index").format({c: fmt for c in floats}).to_html()}</div>'
    if len(df) <= LONG_TABLE:
        return HTML(table)
    return HTML(
        f"<details><summary>The table: {len(df)} rows, {len(df.columns)} columns (click to show; "
        f"full precision in the page's results zip)</summary>{table}</details>"
    )


OUTCOME_ORDER = ("reproduced", "partly reproduced", "erratum confirmed", "inconclusive", "not reproduced")


def verdict_badge(verdict: str) -> str:
    """A verdict as a coloured badge (CSS classes in ``_static/verdicts.css``; no emoji: without an
    emoji font those render as empty boxes); the words stay, for screen readers and search."""
    if verdict not in OUTCOMES:
        return verdict
    css = verdict.replace(" ", "-")
    return f'<span class="verdict verdict-{css}">{verdict}</span>'


def ledger_markdown(scales: pd.DataFrame) -> str:
    """The ledger as a reader needs it at any width: each claim (its chapter linked to the section
    that computes it, its reference and kind) beside its published verdict, with the scale that
    decided it and n; the verdict at every scale behind a toggle (``make check-book`` measures
    that every verdict on screen is inside the window at 1,280 and 390 px)."""
    rows, every = [], []
    for _, r in scales.iterrows():
        chapter = f"{{ref}}`{r['notebook'][:2]} <verdict-{r['notebook']}>`"
        p = r["published"]
        rows.append(
            {
                "claim": f"{chapter} {r['claim']} <small>({r['reference']}; {r['kind']})</small>",
                "verdict": f"{verdict_badge(r[p])} <small>{p}, n = {r[p + ': n']}</small>" if r[p] != "-" else "-",
            }
        )
        row = {"chapter": chapter, "claim": r["claim"]}
        for q in PROFILES:
            row[q] = verdict_badge(r[q]) + (f" (n={r[q + ': n']})" if r[q] != "-" else "")
        every.append(row)
    return (
        table_markdown(pd.DataFrame(rows))
        + "\n\n```{admonition} The verdict at every scale (one column per profile; - where not computed)\n"
        ":class: dropdown\n\n" + table_markdown(pd.DataFrame(every)) + "\n```"
    )


def details_markdown(claims: pd.DataFrame) -> str:
    """Every row's evidence (measured, expected, uncertainty, n, why), behind a click."""
    cols = ["notebook", "claim", "profile", "measured", "expected", "uncertainty", "n", "verdict", "why"]
    return (
        "```{admonition} Details: measured values, intervals, n and the reason for each verdict\n"
        ":class: dropdown\n\n" + table_markdown(claims[cols]) + "\n```"
    )


def changed_verdicts(scales: pd.DataFrame) -> pd.DataFrame:
    """Rows whose verdict differs between two scales that both computed it: the claim and, one per
    line, each computed scale's verdict."""
    out = []
    for _, r in scales.iterrows():
        got = {p: r[p] for p in PROFILES if r[p] != "-"}
        if len(set(got.values())) > 1:
            out.append(
                {
                    "claim": f"{r['notebook'][:2]}: {r['claim']}",
                    "verdict by scale": "<br>".join(f"{verdict_badge(v)} <small>{p}</small>" for p, v in got.items()),
                }
            )
    return pd.DataFrame(out)


def verdict_summary(claims: pd.DataFrame):
    """A small figure: verdict counts per chapter (stacked), kinds counted apart."""
    import matplotlib.pyplot as plt

    order = OUTCOME_ORDER
    colours = {
        "reproduced": "#2ca02c",
        "partly reproduced": "#bcbd22",
        "erratum confirmed": "#1f77b4",
        "inconclusive": "#9e9e9e",
        "not reproduced": "#d62728",
    }
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
        + f"; the chapter with the most inconclusive rows is {_most(claims, 'inconclusive')}.",
        "Drawn by `igr_core.book.display.verdict_summary` from the result store (every chapter's stored results "
        "at its largest scale, verdicts recomputed by `igr_core.verdicts`).",
    )
    return fig


def _most(claims: pd.DataFrame, verdict: str) -> str:
    counts = claims[claims["verdict"] == verdict]["notebook"].value_counts()
    return f"{counts.index[0]} ({counts.iloc[0]})" if len(counts) else "none"


# The paper's headline claims, for the Findings box: (label, chapter, references the rows may carry).
# Which rows are headlines is an editorial choice written once here; every verdict, scale and number
# in the box comes from the ledger.
HEADLINES = (
    ("Theorem 3.1: GD follows the modified flow (convergence orders)", "01_theorem_checks", ("Theorem 3.1, Eq. 7",)),
    ("Prediction 2.1 on MNIST: R_IG smaller for larger lambda", "05_mnist", ("Prediction 2.1, Fig. 2a",)),
    ("Prediction 2.2 on MNIST: smaller slope for larger h", "05_mnist", ("Prediction 2.2, Fig. 3a",)),
    ("Prediction 2.3 on MNIST: higher test accuracy for larger lambda", "05_mnist", ("Prediction 2.3, Fig. 2b",)),
    ("Prediction 2.4 on MNIST: more robust under noise", "05_mnist", ("Prediction 2.4, Fig. 3b",)),
    ("Figures A.7, A.8 on ResNet-18: R_IG smaller for larger h", "06_resnet", ("Prediction 2.1, Figs. A.7b, A.8a",)),
    (
        "Figures A.7, A.8 on ResNet-18: higher test accuracy for larger h",
        "06_resnet",
        ("Prediction 2.3, Figs. A.7a, A.8b",),
    ),
    ("Figure 3c: EGR raises ResNet-18's test accuracy", "07_egr", ("Section 6, Fig. 3c",)),
)


def _headline_rows(claims: pd.DataFrame) -> list[dict]:
    out = []
    for label, chapter, refs in HEADLINES:
        rows = claims[(claims["notebook"] == chapter) & claims["reference"].isin(refs)]
        if len(rows):
            r = rows.iloc[0]
            out.append(
                {
                    "label": label,
                    "chapter": chapter,
                    "verdict": r["verdict"],
                    "profile": r["profile"],
                    "n": int(r["n"]),
                    "measured": r["measured"].split(" [")[0],
                    "why": r["why"],
                }
            )
    return out


def _first_clause(text: str, limit: int = 160) -> str:
    """The first clause of a reason (up to ';'), cut at a word boundary with an ellipsis."""
    head = text.split("; ")[0]
    return head if len(head) <= limit else head[: head.rfind(" ", 0, limit)] + " ..."


def findings_markdown(claims: pd.DataFrame, n_errata: int | None = None) -> str:
    """The bottom line, generated from the ledger: each headline claim with its verdict, the scale
    it was decided at, n and its measured value; the errata count last."""
    lines = []
    for h in _headline_rows(claims):
        why = f" ({_first_clause(h['why'])})" if h["verdict"] == "inconclusive" else ""
        lines.append(
            f"- **{texify(h['label'])}**: {verdict_badge(h['verdict'])} at the {h['profile']} scale, "
            f"n = {h['n']}; {texify(h['measured'])}{texify(why)}. {{ref}}`Details <verdict-{h['chapter']}>`"
        )
    counts = claims["verdict"].value_counts()
    lines.append(
        "- **All rows**: "
        + ", ".join(f"{verdict_badge(v)} {counts.get(v, 0)}" for v in OUTCOME_ORDER if counts.get(v, 0))
    )
    if n_errata is not None:
        lines.append(f"- **Errata**: {n_errata} confirmed; see the [errata](errata).")
    return "```{admonition} Findings (generated from the claims ledger)\n:class: tip\n\n" + "\n".join(lines) + "\n```"


def in_short_markdown(claims: pd.DataFrame, profile: str, shortfall: str = "") -> str:
    """A chapter's "In short" box: what holds, what does not, at which scale and why (two to
    four lines, generated from its verdict rows)."""
    held = claims[claims["verdict"] == "reproduced"]
    failed = claims[claims["verdict"] == "not reproduced"]
    open_ = claims[claims["verdict"] == "inconclusive"]
    partly = claims[claims["verdict"].isin(["partly reproduced", "erratum confirmed"])]

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


def departures_markdown(rows) -> str:
    """The departures, narrow enough for the page: the ones whose value differs by profile as one
    table with a column per profile (largest scale first), the others as a table of their own;
    each row numbered, and its reason in the numbered list under its table (a sentence does not
    fit a table column)."""
    per = [d for d in rows if isinstance(d.ours, dict)]
    other = [d for d in rows if not isinstance(d.ours, dict)]
    parts, start = [], 1

    def what(d) -> str:  # parameter names as code (their underscores are not subscripts)
        names = ", ".join(f"`{n}`" if re.fullmatch(r"[a-z][a-z0-9_]*", n) else n for n in d.parameters)
        return f"{d.chapter} · {names}"

    def reasons(ds, first: int) -> str:
        return "\n".join(f"{first + i}. **{texify(what(d))}**: {texify(d.reason)}." for i, d in enumerate(ds))

    if per:
        profiles = list(per[0].ours)
        df = pd.DataFrame(
            [{"#": start + i, "what": what(d), "the paper": d.paper, **d.ours} for i, d in enumerate(per)],
            columns=["#", "what", "the paper", *profiles],
        )
        parts.append(
            "**Values set per profile** (a column per profile, largest scale first; the reasons below)\n\n"
            + table_markdown(df)
            + "\n\n"
            + reasons(per, start)
        )
        start += len(per)
    if other:
        df = pd.DataFrame(
            [{"#": start + i, "what": what(d), "the paper": d.paper, "this companion": d.ours} for i, d in enumerate(other)]
        )
        parts.append("**Choices at every profile**\n\n" + table_markdown(df) + "\n\n" + reasons(other, start))
    return "\n\n".join(parts)


def paper_values_markdown(values: dict) -> str:
    rows = [
        {"chapter": c, "parameter": f"`{k}`", "the paper's value": str(plain(v))}
        for c, d in values.items()
        for k, v in d.items()
    ]
    return table_markdown(pd.DataFrame(rows))


PROGRESS_ENV = "IGR_PROGRESS_LOG"


def progress(line: str) -> None:
    """A progress line for whoever runs the pipeline, never on the page: appended to the file
    ``$IGR_PROGRESS_LOG`` (the pipeline sets it per notebook and names it in its log; ipykernel
    captures the kernel's own stderr into the page), else written to the process's stderr."""
    import os
    import sys

    path = os.environ.get(PROGRESS_ENV)
    if path:
        with open(path, "a") as f:
            f.write(line.rstrip("\n") + "\n")
    else:
        print(line, file=sys.__stderr__, flush=True)


def glue(name: str, value, fmt: str | None = None):
    """Glue a computed value for ``{glue:text}`` in the page's prose; returns the value."""
    from myst_nb import glue as _glue

    shown = format(value, fmt) if fmt else value
    _glue(name, shown, display=False)
    return value


def glue_all(values: dict, fmt: str | None = None) -> None:
    """Glue every item of ``values`` (name -> value)."""
    for k, v in values.items():
        glue(k, v, fmt if isinstance(v, float) else None)


__all__ = [
    "PROFILES",
    "check_profile",
    "show_markdown",
    "table_markdown",
    "banner",
    "progress",
    "glue",
    "glue_all",
    "number_or",
    "frame",
    "plain",
    "public",
    "short",
    "profile_sentence",
    "verdict_badge",
    "ledger_markdown",
    "details_markdown",
    "changed_verdicts",
    "verdict_summary",
    "show_figure",
    "departures_markdown",
    "findings_markdown",
    "in_short_markdown",
    "HEADLINES",
    "paper_values_markdown",
]
