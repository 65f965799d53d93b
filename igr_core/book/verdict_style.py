"""How each verdict reads and looks on the page, keyed by :class:`~igr_core.verdicts.Outcome`.

Abstraction: :data:`STYLES` gives every outcome its words and colours (one :class:`Style` each),
:data:`ORDER` the order in which the pages list them (what holds first). The badges' stylesheet
(``_static/verdicts.css``) is written from :func:`badge_css` and a test holds it to it; the
ledger's legend (:func:`legend_markdown`), the findings' sentences and the verdict-count figure
read their words and colours here. Nothing else types a verdict's words, order or colour.
"""

from __future__ import annotations

from typing import NamedTuple

from igr_core._src.verdicts import Outcome


class Style(NamedTuple):
    """One outcome's look and words."""

    badge: str  # the badge's background (white words on it; a test holds the contrast to WCAG AA, 4.5:1)
    chart: str  # its fill in the verdict-count figure (lighter than the badge where the bars need it)
    verb: str  # a claim "{verb}": the findings' sentence for one claim
    plural: str  # "n claims {plural}": the findings' count
    meaning: str  # what the verdict means, for the ledger's legend ("" where its name says it all)


STYLES: dict[Outcome, Style] = {
    Outcome.REPRODUCED: Style("#237f23", "#2ca02c", "holds", "hold", "the measurement passes its rule"),
    Outcome.PARTLY: Style(
        "#6f6f00", "#bcbd22", "holds in part", "hold in part",
        "the effect has the claimed sign but is smaller than the claim's smallest effect, "
        "or holds for some of its parts",
    ),
    Outcome.ERRATUM: Style(
        "#1f77b4", "#1f77b4", "fails as printed (its corrected form holds)", "fail as printed and hold once corrected",
        "the paper's printed statement fails where the corrected one holds; see the [errata](errata)",
    ),
    Outcome.INCONCLUSIVE: Style(
        "#6b6b6b", "#9e9e9e", "could not be decided", "could not be decided here",
        "the data cannot decide (not trained to a plateau, too few runs, ...); the details say why",
    ),
    Outcome.NOT_REPRODUCED: Style(
        "#d62728", "#d62728", "does not hold", "do not hold",
        "the rule fails: a wrong sign, a slope off, an identity broken, or an interval that excludes the effect",
    ),
}  # fmt: skip

ORDER: tuple[Outcome, ...] = (
    Outcome.REPRODUCED,
    Outcome.PARTLY,
    Outcome.ERRATUM,
    Outcome.INCONCLUSIVE,
    Outcome.NOT_REPRODUCED,
)  # the order of every list of verdicts on the pages: what holds first


def outcome(verdict) -> Outcome | None:
    """The outcome a ledger cell names, or None for any other text ("-", a store error)."""
    try:
        return Outcome(verdict)
    except ValueError:
        return None


def css_class(o: Outcome) -> str:
    """The badge's CSS class of an outcome (``verdict-partly-reproduced``)."""
    return "verdict-" + o.value.replace(" ", "-")


def badge_css() -> str:
    """The badges' colour rules of ``_static/verdicts.css``, one line per outcome in :data:`ORDER`."""
    return "\n".join(f".{css_class(o)} {{ background: {STYLES[o].badge}; }}" for o in ORDER)


def legend_markdown() -> str:
    """The ledger's legend: every verdict in :data:`ORDER`, bold, with what it means."""
    items = [f"**{o.value}**" + (f" ({STYLES[o].meaning})" if STYLES[o].meaning else "") for o in ORDER]
    return "Verdicts: " + ", ".join(items[:-1]) + " and " + items[-1] + "."


def contrast(foreground: str, background: str) -> float:
    """WCAG 2 contrast ratio of two ``#rrggbb`` colours (1 to 21)."""

    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    hi, lo = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


__all__ = ["ORDER", "STYLES", "Style", "badge_css", "contrast", "css_class", "legend_markdown", "outcome"]
