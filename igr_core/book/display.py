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


def figure_html(fig) -> tuple[str, str]:
    """The figure drawn twice, for reading at both widths: laid out for a laptop's column
    (:data:`~igr_core.book.layout.WIDE_INCHES`) and, its panels stacked, for a phone's
    (:data:`~igr_core.book.layout.NARROW_INCHES`); each image carries the size of its smallest text in
    its own pixels (``data-text-px``), which ``make check-book`` scales by the size the page shows it
    at. Returns (the HTML, the layout problems of either drawing)."""
    import base64
    import io
    import pickle

    from igr_core.book.layout import NARROW_INCHES, WIDE_INCHES, layout_report, prepare, text_px

    narrow = pickle.loads(pickle.dumps(fig))  # an independent copy to stack
    images, report = [], ""
    for css, f, width, cols in (("fig-wide", fig, WIDE_INCHES, None), ("fig-narrow", narrow, NARROW_INCHES, 1)):
        prepare(f, width, cols)
        report += layout_report(f)
        buf = io.BytesIO()
        f.savefig(buf, format="png", dpi=f.dpi)
        data = base64.b64encode(buf.getvalue()).decode()
        w, h = (round(x * f.dpi) for x in f.get_size_inches())
        images.append(
            f'<img class="{css}" src="data:image/png;base64,{data}" width="{w}" height="{h}" '
            f'data-text-px="{text_px(f):.1f}" alt="figure">'
        )
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


OUTCOME_ORDER = ("reproduced", "partly reproduced", "erratum confirmed", "inconclusive", "not reproduced")


def verdict_badge(verdict: str) -> str:
    """A verdict as a coloured badge (CSS classes in ``_static/verdicts.css``; no emoji: without an
    emoji font those render as empty boxes); the words stay, for screen readers and search."""
    if verdict not in OUTCOMES:
        return verdict
    css = verdict.replace(" ", "-")
    return f'<span class="verdict verdict-{css}">{verdict}</span>'


def _num(v, digits: int = 3) -> str:
    """A number for reading: ``digits`` significant digits, a true minus sign, no exponent where
    a plain form is as short; "" when missing."""
    try:
        x = float(v)
    except (TypeError, ValueError):
        return ""
    if x != x or x in (float("inf"), float("-inf")):
        return ""
    if x.is_integer() and abs(x) < 1e6:
        text = f"{int(x):,}"
    else:
        text = f"{x:.{digits}g}"
        if "e" in text:
            m, e = text.split("e")
            text = f"{m}\u00d710<sup>{int(e)}</sup>"
    return text.replace("-", "\u2212")


def _words(text) -> str:
    """Plain words for an HTML card: escaped, their notation typeset by MathJax."""
    return texify(html.escape(str(text), quote=False), HTML_MATH) if text else ""


def _present(v) -> bool:
    return v is not None and not (isinstance(v, float) and v != v) and v != ""


def statistic_html(r) -> str:
    """A row's evidence on one line, from its verdict's fields: ``statistic = value [lo, hi]``,
    p, n, the smallest effect that counts, and the expected value beside it. A verdict that
    carries no statistic (several measurements in one row) shows its measured and uncertainty
    words as the rule wrote them."""
    parts = []
    if r.get("statistic") and _present(r.get("value")):
        text = f"{_words(r['statistic'])} = <b>{_num(r['value'])}</b>"
        if _present(r.get("lo")) and _present(r.get("hi")):
            text += f" [{_num(r['lo'])}, {_num(r['hi'])}]"
        parts.append(text)
        if _present(r.get("p")):
            parts.append(f"p = {_num(r['p'], 2)}")
    else:
        parts.append(_words(r.get("measured", "")))
        if r.get("uncertainty"):
            parts.append(_words(r["uncertainty"]))
    if int(r.get("n") or 0):
        parts.append(f"n = {int(r['n']):,}")
    if _present(r.get("threshold")):
        parts.append(f"smallest effect that counts: {_num(r['threshold'])}")
    line = "; ".join(p for p in parts if p)
    if r.get("expected"):
        line += f' <span class="ev-expected">(expected: {_words(r["expected"])})</span>'
    return line


def _history_html(r) -> str:
    items = list(r.get("history") or [])
    timing = r.get("timing") or ""
    if not items and not timing:
        return ""
    out = "".join(f"<li>{_words(h)}</li>" for h in items)
    if timing:
        css = "before" if "before" in timing else "after"
        out += f'<li class="ev-timing ev-{css}">{html.escape(timing)}</li>'
    return f'<ul class="ev-history">{out}</ul>'


def evidence_card(r, chapter_link: str = "", note_ref: str = "", scales_html: str = "") -> str:
    """One claim's evidence as a card (HTML): its id as an anchor (linkable), the verdict badge and
    the claim; the paper's words with their text and place (declared rows); the statistic line;
    why; the history and whether the test was declared before the data; ``scales_html`` (the
    verdict at every scale, on the ledger)."""
    from igr_core.book.ledger import anchor

    cid = r["id"]
    head = (
        f'<a class="ev-id" href="#{anchor(cid)}" title="link to this claim">{html.escape(cid)}</a> '
        f'{verdict_badge(r["verdict"])} <span class="ev-claim">{_words(r["claim"])}</span>'
    )
    ref = f"{_words(r.get('reference', ''))}; {html.escape(r.get('kind', ''))}"
    if chapter_link:
        ref += f" · {chapter_link}"
    if note_ref:
        ref += f" · data {note_ref}"
    body = [f'<div class="ev-head">{head} <span class="ev-ref">({ref})</span></div>']
    if r.get("quote"):
        where = ", ".join(x for x in (r.get("source"), r.get("where")) if x)
        quote = f"\u201c{_words(r['quote'])}\u201d"
        body.append(f'<blockquote class="ev-quote">{quote} <cite>{html.escape(where)}</cite></blockquote>')
    body.append(f'<div class="ev-stat">{statistic_html(r)}</div>')
    if r.get("why"):
        body.append(f'<div class="ev-why">{_words(r["why"])}</div>')
    body.append(_history_html(r))
    if scales_html:
        body.append(scales_html)
    data = " ".join(
        f'data-{k}="{html.escape(str(v), quote=True)}"'
        for k, v in (("chapter", r["notebook"][:2]), ("kind", r.get("kind", "")), ("verdict", r["verdict"]))
    )
    return f'<div class="evidence mathjax_process" id="{anchor(cid)}" {data}>' + "".join(body) + "</div>"


def _notes(df: pd.DataFrame) -> tuple[list[str], dict]:
    """The distinct data-and-gates sentences of a chapter's rows (said once, above its evidence)
    and, per row id, the number of its sentence."""
    notes: list[str] = []
    ref = {}
    for _, r in df.iterrows():
        note = r.get("note") or ""
        if note:
            if note not in notes:
                notes.append(note)
            ref[r["id"]] = notes.index(note) + 1
    return notes, ref


def evidence_markdown(df: pd.DataFrame) -> str:
    """A chapter's evidence: the data-and-gates sentences once (numbered where there are several),
    then one card per row (:func:`evidence_card`), in a block a phone reads without scrolling
    sideways."""
    notes, ref = _notes(df)
    head = ""
    if len(notes) == 1:
        head = f'<p class="ev-data"><b>Data and gates.</b> {_words(notes[0])}</p>'
        ref = {}
    elif notes:
        items = "".join(f"<li>{_words(n)}</li>" for n in notes)
        head = f'<div class="ev-data"><b>Data and gates</b> (each card names its own):<ol>{items}</ol></div>'
    cards = "".join(evidence_card(r, note_ref=f"({ref[r['id']]})" if r["id"] in ref else "") for _, r in df.iterrows())
    return f'<div class="mathjax_process">{head}</div><div class="evidence-list">{cards}</div>'


def _filter_html(df: pd.DataFrame) -> str:
    """The ledger's filter: a choice of chapter, kind and verdict (``_static/ledger.js`` hides the
    cards that do not match; without scripts every card shows)."""

    def select(name: str, values) -> str:
        opts = "".join(f'<option value="{html.escape(v)}">{html.escape(v)}</option>' for v in values)
        return f'<label>{name} <select data-filter="{name}"><option value="">all</option>{opts}</select></label>'

    chapters = list(dict.fromkeys(n[:2] for n in df["notebook"]))
    kinds = list(dict.fromkeys(df["kind"]))
    verdicts = [v for v in OUTCOME_ORDER if v in set(df["verdict"])]
    return (
        '<form class="ledger-filter" onsubmit="return false">'
        + select("chapter", chapters)
        + select("kind", kinds)
        + select("verdict", verdicts)
        + ' <span class="ledger-count" aria-live="polite"></span></form>'
    )


def _scales_html(s) -> str:
    """The verdict of one claim at every scale computed, as one wrapping line."""
    got = [(q, s[q], s[q + ": n"]) for q in PROFILES if s[q] != "-"]
    items = "".join(f"<li>{q}: {verdict_badge(v)} <small>n = {n}</small></li>" for q, v, n in got)
    return f'<ul class="ev-scales"><li class="ev-scales-label">at every scale computed:</li>{items}</ul>'


def ledger_markdown(scales: pd.DataFrame, claims: pd.DataFrame | None = None) -> str:
    """The ledger as a reader needs it at any width: a filter (chapter, kind, verdict), then one
    card per claim (:func:`evidence_card`, its id an anchor), grouped by chapter, with the verdict
    at every scale computed under it and a link to the chapter's evidence."""
    claims = claims if claims is not None else pd.DataFrame()
    by_id = {(r["notebook"], r["id"]): r for _, r in claims.iterrows()} if len(claims) else {}
    cards = []
    for _, s in scales.iterrows():
        nb, published = s["notebook"], s["published"]
        r = by_id.get((nb, s["id"]))
        row = (
            dict(r)
            if r is not None
            else {
                "notebook": nb,
                "id": s["id"],
                "claim": s["claim"],
                "kind": s["kind"],
                "reference": s["reference"],
                "verdict": s[published] if published in PROFILES and s[published] != "-" else "inconclusive",
                "measured": s.get(f"{published}: measured", "") if published in PROFILES else "",
            }
        )
        link = f'<a href="{nb}.html#{_anchor(s["id"])}">its chapter</a>' if r is not None else ""
        cards.append((nb, row, evidence_card(row, chapter_link=link, scales_html=_scales_html(s))))
    parts, chapter = [_filter_html(pd.DataFrame([row for _, row, _ in cards]))], None
    for nb, _, card in cards:
        if nb != chapter:
            if chapter is not None:
                parts.append("</div>")
            chapter = nb
            title = html.escape(nb[3:].replace("_", " "))
            parts.append(
                f'<div class="ledger-chapter" data-chapter="{nb[:2]}"><p class="ledger-title">{nb[:2]}: '
                f'<a href="{nb}.html#verdict-{nb}">{title}</a></p>'
            )
        parts.append(card)
    if chapter is not None:
        parts.append("</div>")
    return '<div class="ledger">' + "".join(parts) + "</div>"


def _anchor(cid: str) -> str:
    from igr_core.book.ledger import anchor

    return anchor(cid)


def details_markdown(claims: pd.DataFrame) -> str:
    """Kept for old pages: the evidence is on the cards now (:func:`ledger_markdown`)."""
    return ""


def changed_verdicts(scales: pd.DataFrame) -> pd.DataFrame:
    """Rows whose verdict differs between two scales that both computed it: the claim and, one per
    line, each computed scale's verdict."""
    out = []
    for _, r in scales.iterrows():
        got = {p: r[p] for p in PROFILES if r[p] != "-"}
        if len(set(got.values())) > 1:
            out.append(
                {
                    "claim": f'<a href="#{_anchor(r["id"])}">{r["id"]}</a>: {r["claim"]}',
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


# The paper's headline claims, for the answer at the top of the book: (label in plain words,
# chapter, references the rows may carry, what n counts). Which rows are headlines is an editorial
# choice written once here; every verdict, scale and number in the box comes from the ledger.
HEADLINES = (
    (
        "Theorem 3.1 (gradient descent follows the modified flow)",
        "01_theorem_checks",
        ("01.local-error-orders", "Theorem 3.1, Eq. 7"),
        "fits",
    ),
    (
        "Prediction 2.1 (R_IG smaller for larger lambda)",
        "05_mnist",
        ("05.rig-falls-with-lambda", "Prediction 2.1, Fig. 2a"),
        "networks",
    ),
    (
        "Prediction 2.2 (a smaller slope for larger h)",
        "05_mnist",
        ("05.slope-falls-with-h", "Prediction 2.2, Fig. 3a"),
        "learning rates",
    ),
    (
        "Prediction 2.3 (higher test accuracy for larger lambda)",
        "05_mnist",
        ("05.test-acc-rises-with-lambda", "Prediction 2.3, Fig. 2b"),
        "networks",
    ),
    (
        "Prediction 2.4 (more robust under noise for larger h)",
        "05_mnist",
        ("05.robust-under-noise", "Prediction 2.4, Fig. 3b"),
        "learning rates",
    ),
    (
        "higher test accuracy for larger h",
        "06_resnet",
        ("06.max-acc-higher-for-larger-h", "Prediction 2.3, Figs. A.7a, A.8b"),
        "networks",
    ),
    (
        "R_IG smaller for larger h",
        "06_resnet",
        ("06.rig-smaller-for-larger-h", "Prediction 2.1, Figs. A.7b, A.8a"),
        "networks",
    ),
    (
        "explicit gradient regularization raising the test accuracy",
        "07_egr",
        ("07.egr-raises-max-test-acc", "Section 6, Fig. 3c"),
        "networks",
    ),
)  # fmt: skip  (each: the label, the chapter, the row's declared id or, before its declaration, its reference)

# names of the library's columns that a reader should not see (the statistic of a rule names them)
READABLE = {"slope_mean": "mean slope", "acc_mean": "mean test accuracy under noise", "test acc": "test accuracy"}

VERB = {
    "reproduced": "holds",
    "partly reproduced": "holds in part",
    "not reproduced": "does not hold",
    "inconclusive": "could not be decided",
    "erratum confirmed": "fails as printed (its corrected form holds)",
}


def readable(text: str) -> str:
    """A rule's words with the library's column names replaced by a reader's (:data:`READABLE`)."""
    for name, words in READABLE.items():
        text = re.sub(rf"(?<![\w]){re.escape(name)}(?![\w])", words, text)
    return text


def _headline_rows(claims: pd.DataFrame) -> list[dict]:
    out = []
    for label, chapter, refs, unit in HEADLINES:
        mine = claims[claims["notebook"] == chapter]
        hit = mine["reference"].isin(refs) | (mine["id"].isin(refs) if "id" in mine else False)
        if "where" in mine:
            hit |= mine["where"].isin(refs)
        rows = mine[hit]
        if len(rows):
            out.append({**rows.iloc[0].to_dict(), "label": label, "unit": unit})
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
    if h.get("statistic") and _present(h.get("value")):
        text = f"{readable(h['statistic'])} = {_num(h['value'], 2)}"
        if h["verdict"] != "reproduced" and _present(h.get("lo")) and _present(h.get("hi")):
            text += f", 95% interval {_num(h['lo'], 2)} to {_num(h['hi'], 2)}"
    else:
        text = f"measured {readable(h['measured'])}"
    if h.get("expected"):
        text += f", expected {h['expected']}"
    return "; ".join(x for x in (text, n) if x)


def _clause(h: dict) -> str:
    why = f" because {_first_clause(h['why'])}" if h["verdict"] == "inconclusive" and h.get("why") else ""
    return f"{h['label']} {VERB.get(h['verdict'], h['verdict'])} ({_evidence_words(h)}){why}"


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
    counted = [
        f"{paper.get('reproduced', 0)} hold",
        f"{paper.get('partly reproduced', 0)} hold in part",
        f"{paper.get('not reproduced', 0)} do not hold",
        f"{paper.get('inconclusive', 0)} could not be decided here",
    ]
    if paper.get("erratum confirmed", 0):
        counted.append(f"{paper.get('erratum confirmed', 0)} fail as printed and hold once corrected")
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
    every = ", ".join(f"{verdict_badge(v)} {counts.get(v, 0)}" for v in OUTCOME_ORDER if counts.get(v, 0))
    body = "\n\n".join(texify(public(x)) for x in sentences)
    body += f"\n\n<small>Every row of the [claims ledger](claims), all kinds together: {every}.</small>"
    return "```{admonition} Findings (generated from the claims ledger)\n:class: tip answer\n\n" + body + "\n```"


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
    "answer_sentences",
    "evidence_card",
    "evidence_markdown",
    "readable",
    "statistic_html",
    "paper_values_markdown",
]
