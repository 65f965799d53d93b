"""What a notebook shows besides figures' drawing: the profile banner, tables, markdown outputs,
a finished figure with its caption, the departures tables, progress lines and glue.

Abstraction: every call renders MyST markdown (or HTML) as a cell output (the book renders it),
or glues a computed value under a name for ``{glue:text}`` in the page's prose, so that no
number in prose is typed by hand. The verdicts' own rendering is elsewhere: one claim's evidence
card and the ledger in :mod:`igr_core.book.cards`, the findings and "In short" boxes in
:mod:`igr_core.book.findings`.
"""

from __future__ import annotations

import html
import re

import pandas as pd

from igr_core._src.codec import plain
from igr_core._src.verdicts import number_or  # noqa: F401  (prose formatting, re-exported for the pages)
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


def figure_html(fig) -> tuple[str, str]:
    """The figure drawn twice, for reading at both widths: laid out for a laptop's column
    (:data:`~igr_core.book.layout.WIDE_INCHES`) and, its panels stacked, for a phone's
    (:data:`~igr_core.book.layout.NARROW_INCHES`); each image carries the size of its smallest text in
    its own pixels (``data-text-px``), which ``make check-book`` scales by the size the page shows it
    at. Returns (the HTML, the layout problems of either drawing)."""
    import base64
    import io
    import pickle

    from igr_core.book.layout import NARROW_INCHES, WIDE_INCHES, layout_report, own_size, prepare_fitting, text_px

    copies = [pickle.loads(pickle.dumps(fig)) for _ in range(3)]  # independent copies to lay out again

    def drawn(f, width, cols, tries):
        prepare_fitting(f, width, cols, tries)
        return f, layout_report(f)

    # the laptop's drawing: at the column's width, or, where its text still collides there, as its
    # drawing function sized it, at reading size, scrolling sideways in its own box where it is wider;
    # the phone's: its panels stacked, else the laptop's
    wide, report = drawn(fig, WIDE_INCHES, None, 2)
    wide_css = "fig-wide"
    if report:
        own_size(copies[0])
        wide, report, wide_css = copies[0], layout_report(copies[0], own_size=True), "fig-wide fig-scroll"
    narrow, problems = drawn(copies[2], NARROW_INCHES, 1, 4)
    narrow_css = "fig-narrow"
    if problems:
        narrow, narrow_css = wide, "fig-narrow fig-scroll"
    images = []
    for css, f in ((wide_css, wide), (narrow_css, narrow)):
        buf = io.BytesIO()
        f.savefig(buf, format="png", dpi=f.dpi)
        data = base64.b64encode(buf.getvalue()).decode()
        w, h = (round(x * f.dpi) for x in f.get_size_inches())
        images.append(
            f'<img class="{css}" src="data:image/png;base64,{data}" width="{w}" height="{h}" '
            f'data-text-px="{text_px(f):.1f}" alt="figure">'
        )
    import matplotlib.pyplot as plt

    for f in copies:  # unpickled figures join pyplot's figures: closed, or the notebook shows them again
        plt.close(f)
    return '<div class="figure-pair">' + "".join(images) + "</div>", report


def show_figure(fig, takeaway: str, provenance: str) -> None:
    """Show a finished figure of the book: its text typeset (:func:`~igr_core.book.notation.texify_figure`),
    drawn at reading size for a laptop and, panels stacked, for a phone (:func:`figure_html`), then
    under it "What it shows:" ``takeaway``, the ``provenance`` line and any layout problem (which
    ``make check-book`` fails)."""
    import matplotlib.pyplot as plt
    from IPython.display import HTML, display

    from igr_core.book.notation import texify_figure

    texify_figure(fig)
    shown, report = figure_html(fig)
    plt.close(fig)
    display(HTML(shown))
    show_markdown(
        f'<span class="takeaway">What it shows:</span> {texify(takeaway)}\n\n<small>{provenance}</small>' + report
    )


LONG_TABLE = 15  # rows: a longer table goes behind a toggle (the figure above it and its caption summarise it)


def pivot_caption(df: pd.DataFrame, values: str | None = None) -> str:
    """A pivot's axes in words: 'rows: width; columns: h' (and what the cells hold), '' when the
    table names neither axis."""
    rows = [str(n) for n in df.index.names if n is not None] if not isinstance(df.index, pd.RangeIndex) else []
    cols = [str(n) for n in df.columns.names if n is not None]
    if not cols:
        return ""
    out = f"Rows: {', '.join(rows) or 'index'}; columns: {', '.join(cols)}"
    return out + (f"; cells: {values}" if values else "")


def frame(obj, digits: int = 3, caption: str | None = None):
    """A result table for reading: floats to ``digits`` significant digits (whole numbers without
    an exponent), numbers right-aligned, no numeric index (a meaningful index becomes columns),
    column labels flattened; a pivot (named column axis) captioned with its axes named
    (:func:`pivot_caption`, or ``caption``); a table longer than :data:`LONG_TABLE` rows behind
    a toggle. Other objects pass through. The full-precision tables are in the page's results zip."""
    if isinstance(obj, pd.Series):
        obj = obj.to_frame(obj.name if obj.name is not None else "value")
    if not isinstance(obj, pd.DataFrame):
        return obj
    axes = pivot_caption(obj)
    caption = "; ".join(x for x in (caption, axes) if x) or None
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
    numbers = [
        words(c) for c in df.columns if pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])
    ]
    for c in df.columns:
        if pd.api.types.is_string_dtype(df[c]) or pd.api.types.is_object_dtype(df[c]):
            df[c] = df[c].map(words)
    df.columns = [words(c) for c in df.columns]
    from IPython.display import HTML

    # MathJax typesets raw HTML only inside a class it is told to process (the book's config)
    style = df.style.hide(axis="index").format({c: fmt for c in floats})
    if numbers:
        style = style.set_properties(subset=numbers, **{"text-align": "right"})
    if caption:
        style = style.set_caption(html.escape(caption, quote=False))
    table = f'<div class="mathjax_process">{style.to_html()}</div>'
    if len(df) <= LONG_TABLE:
        return HTML(table)
    return HTML(
        f"<details><summary>The table: {len(df)} rows, {len(df.columns)} columns (click to show; "
        f"full precision in the page's results zip)</summary>{table}</details>"
    )


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
            [
                {"#": start + i, "what": what(d), "the paper": d.paper, "this companion": d.ours}
                for i, d in enumerate(other)
            ]
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


def progress(line: str) -> None:
    """A progress line for whoever runs the pipeline, never on the page: appended to the file
    ``$IGR_PROGRESS_LOG`` (the pipeline sets it per notebook and names it in its log; ipykernel
    captures the kernel's own stderr into the page), else written to the process's stderr."""
    import sys

    from igr_core._src import env

    path = env.progress_log()
    if path is not None:
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
    "figure_html",
    "show_figure",
    "pivot_caption",
    "departures_markdown",
    "paper_values_markdown",
]
