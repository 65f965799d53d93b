r"""The plain-text notation of result tables and claims, rendered as math on the pages and in figures.

Abstraction: the library names its quantities in plain text (``R_IG``, ``||theta||``, ``lambda``,
``E~``, ``O(h^2)``, ``sqrt(1 + m R_IG)``: column names, claims, reasons), which reads well in a CSV
and a terminal. :func:`texify` wraps each such token in ``$...$`` as TeX, leaving code spans,
math already written, HTML tags and MyST roles alone, so the book's tables (MyST parses their
dollar math) and matplotlib (mathtext) typeset it. No ``|`` is produced (``\Vert``), so a table
cell cannot be split by a norm.
"""

from __future__ import annotations

import re

GREEK = "lambda|mu|rho|beta|theta|alpha|sigma|epsilon|eta|gamma"

# one token of plain-text notation (first match wins)
_TOKEN = re.compile(
    r"sqrt\([^()]*\)"
    r"|\|\|[^|]+\|\|(?:\^\d)?"
    r"|O\(h(?:\^\d)?\)"
    r"|\bR_IG\b"
    r"|(?<![\w~])E~(?:_\d)?"
    r"|\bgrad E(?:~(?:_\d)?|\b)"
    rf"|\b(?:{GREEK})(?:_[A-Za-z0-9]+)?\b"
    r"|\b[A-Za-z]_(?:\{[^}]*\}|[A-Za-z0-9]+)\b"
    r"|\bh\^\d\b"
)
# what is left alone: code spans, math, HTML tags, MyST roles with their content
_KEEP = re.compile(r"(\{[a-z:-]+\}`[^`]*`|`[^`]*`|\$[^$]*\$|</?[A-Za-z][^<>]*>)")  # a tag, not "rho < 0 ... >"


def _tex(token: str) -> str:
    """One token as TeX."""
    s = token
    s = re.sub(r"sqrt\(([^()]*)\)", lambda m: r"\sqrt{" + m.group(1) + "}", s)
    s = re.sub(r"\|\|([^|]+)\|\|", lambda m: r"\Vert " + m.group(1) + r"\Vert ", s)
    s = re.sub(r"\bR_IG\b", "R_{IG}", s)
    s = s.replace("E~", r"\widetilde E")
    s = re.sub(r"\bgrad\s+", r"\\nabla ", s)
    s = re.sub(rf"\b({GREEK})(?=_|\b)", r"\\\1", s)
    s = re.sub(r"(?<=[A-Za-z}])_([A-Za-z0-9]{2,})\b", r"_{\1}", s)
    return s.strip()


def texify(text: str, delimiters: tuple[str, str] = ("$", "$")) -> str:
    """``text`` with its plain-text notation as math between ``delimiters`` (``$...$`` for MyST
    markdown and matplotlib; ``("\\(", "\\)")`` for HTML, which MathJax reads); other types pass
    through."""
    if not isinstance(text, str) or not text:
        return text
    left, right = delimiters
    parts = _KEEP.split(text)
    return "".join(
        p if i % 2 else _TOKEN.sub(lambda m: f"{left}{_tex(m.group(0))}{right}", p) for i, p in enumerate(parts)
    )


HTML_MATH = ("\\(", "\\)")  # MathJax's inline delimiters in HTML outputs (the pages' tables of numbers)


def words_between(text: str) -> list[str]:
    """The plain words of ``text`` between its notation tokens (what a page shows verbatim)."""
    return [w.strip() for w in _TOKEN.split(text) if w.strip()]


def texify_figure(fig) -> None:
    """Every title, axis label, legend entry and figure title of ``fig`` through :func:`texify`
    (matplotlib's mathtext typesets them; tick labels are numbers and stay as they are)."""
    texts = [fig._suptitle] if fig._suptitle is not None else []
    for ax in fig.axes:
        texts += [ax.title, ax._left_title, ax._right_title, ax.xaxis.label, ax.yaxis.label]
        if getattr(ax, "zaxis", None) is not None:
            texts.append(ax.zaxis.label)
        legend = ax.get_legend()
        if legend is not None:
            texts += list(legend.get_texts())
            texts.append(legend.get_title())
    for legend in fig.legends:
        texts += list(legend.get_texts())
    for t in texts:
        if t is not None and t.get_text():
            t.set_text(texify(t.get_text()))


__all__ = ["GREEK", "HTML_MATH", "texify", "texify_figure", "words_between"]
