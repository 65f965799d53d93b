"""One claim's evidence on the page: its verdict as a badge, its statistic in one line, its card,
a chapter's cards, and the claims ledger as filterable cards grouped by chapter.

Abstraction: every function takes verdict rows (dicts or the ledger's frames, with the fields of
:mod:`igr_core.verdicts`) and returns HTML for a markdown cell output, its notation typeset by
MathJax; nothing here reads the result store or displays anything itself.
"""

from __future__ import annotations

import html

import pandas as pd

from igr_core._src.verdicts import Outcome
from igr_core.book.notation import HTML_MATH, texify
from igr_core.book.verdict_style import ORDER, css_class, outcome
from igr_core.experiments._params import PROFILES


def section_id(label: str) -> str:
    """The HTML id Sphinx gives a MyST label ``(label)=`` (docutils' ``make_id``: lower case, every
    run of other characters than letters and digits one hyphen), so a raw link finds it."""
    import re

    return re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")


def verdict_badge(verdict: str) -> str:
    """A verdict as a coloured badge (CSS classes in ``_static/verdicts.css``; no emoji: without an
    emoji font those render as empty boxes); the words stay, for screen readers and search."""
    o = outcome(verdict)
    if o is None:
        return verdict
    return f'<span class="verdict {css_class(o)}">{o.value}</span>'


def number_html(v, digits: int = 3) -> str:
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


def has_value(v) -> bool:
    return v is not None and not (isinstance(v, float) and v != v) and v != ""


def statistic_html(r) -> str:
    """A row's evidence on one line, from its verdict's fields: ``statistic = value [lo, hi]``,
    p, n, the smallest effect that counts, and the expected value beside it. A verdict that
    carries no statistic (several measurements in one row) shows its measured and uncertainty
    words as the rule wrote them."""
    parts = []
    if r.get("statistic") and has_value(r.get("value")):
        text = f"{_words(r['statistic'])} = <b>{number_html(r['value'])}</b>"
        if has_value(r.get("lo")) and has_value(r.get("hi")):
            text += f" [{number_html(r['lo'])}, {number_html(r['hi'])}]"
        parts.append(text)
        if has_value(r.get("p")):
            parts.append(f"p = {number_html(r['p'], 2)}")
    else:
        parts.append(_words(r.get("measured", "")))
        if r.get("uncertainty"):
            parts.append(_words(r["uncertainty"]))
    if int(r.get("n") or 0):
        parts.append(f"n = {int(r['n']):,}")
    if has_value(r.get("threshold")):
        parts.append(f"smallest effect that counts: {number_html(r['threshold'])}")
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
    verdicts = [o.value for o in ORDER if o in set(df["verdict"])]
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
                "verdict": (
                    s[published] if published in PROFILES and s[published] != "-" else Outcome.INCONCLUSIVE.value
                ),
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
                f'<a href="{nb}.html#{section_id(f"verdict-{nb}")}">{title}</a></p>'
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


__all__ = [
    "verdict_badge",
    "number_html",
    "has_value",
    "statistic_html",
    "evidence_card",
    "evidence_markdown",
    "ledger_markdown",
    "details_markdown",
    "changed_verdicts",
]
