"""A figure's layout: panels in rows of at most three, the page's width, and a check that no text
collides or shrinks below legibility.

Abstraction: :func:`panel_grid` is how a figure of the book lays out several panels;
:func:`overlaps` draws a finished figure and names every collision (tick labels, panels, the
figure title, anything outside the figure, text smaller than :data:`MIN_TEXT_PX` on the page;
:func:`fit_to_page` narrows a figure until its text is legible); :func:`layout_report` turns them into lines the page
shows under the figure, which ``make check-book`` fails.
"""

from __future__ import annotations

import matplotlib.pyplot as plt

MAX_COLUMNS = 3  # panels per row: more and the tick labels are unreadable at the page's width


def panel_grid(n: int, width: float, height: float):
    """A figure with ``n`` panels, at most :data:`MAX_COLUMNS` per row and the rows balanced (``width`` x ``height``
    inches each); the unused cells of the last row are hidden. Returns the figure and the ``n``
    axes in reading order."""
    rows = -(-n // MAX_COLUMNS)
    cols = -(-n // rows)  # balanced: four panels as two rows of two
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows), squeeze=False)
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    return fig, list(axes.ravel()[:n])


PAGE_INCHES = 7.0  # the book's content column at 1,280 px is about 700 px: a wider figure is shown shrunk
MIN_TEXT_PX = 8.0  # the smallest text a reader can read, in pixels on the page


def _hit(a, b, tolerance: float = 2.0) -> bool:
    """Two boxes (display pixels) intersect by more than ``tolerance`` in both directions."""
    return min(a.x1, b.x1) - max(a.x0, b.x0) > tolerance and min(a.y1, b.y1) - max(a.y0, b.y0) > tolerance


def _crowded(labels, renderer) -> bool:
    boxes = sorted(
        (t.get_window_extent(renderer) for t in labels if t.get_visible() and t.get_text()), key=lambda b: (b.x0, b.y0)
    )
    return any(_hit(a, b) for a, b in zip(boxes, boxes[1:]))


def _thin_log_ticks(fig) -> None:
    """Drop the minor tick labels of a log axis (``3 x 10^-3`` between the decades) where they run
    into each other or into the decades' labels."""
    from matplotlib.ticker import NullFormatter

    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes:
        for axis, scale in ((ax.xaxis, ax.get_xscale()), (ax.yaxis, ax.get_yscale())):
            if scale == "log" and _crowded(axis.get_ticklabels(which="both"), renderer):
                axis.set_minor_formatter(NullFormatter())


def _relayout(fig) -> None:
    if not any(ax.get_label() == "<colorbar>" for ax in fig.axes):  # colour bars lay themselves out
        fig.tight_layout()


def fit_to_page(fig) -> None:
    """Narrow a figure so wide that the page would shrink its smallest text below
    :data:`MIN_TEXT_PX`: to the widest width at which that text stays legible (its height in
    proportion), laid out again; then drop the minor labels of log axes that the final layout
    crowds."""
    width, height = fig.get_size_inches()
    widest = PAGE_INCHES * smallest_text_px(fig, shrink=1.0) / MIN_TEXT_PX
    if width > widest:
        fig.set_size_inches(widest, height * widest / width)
        _relayout(fig)
    _thin_log_ticks(fig)
    _relayout(fig)


def smallest_text_px(fig, shrink: float | None = None) -> float:
    """The smallest visible text of ``fig`` (tick labels included), in pixels on the page: its size
    at the figure's dpi, times the shrink of an image wider than the column (or ``shrink``)."""
    shrink = min(1.0, PAGE_INCHES / fig.get_size_inches()[0]) if shrink is None else shrink
    sizes = [
        t.get_fontsize()
        for ax in fig.axes
        if ax.get_visible()
        for t in [*ax.get_xticklabels(), *ax.get_yticklabels(), ax.title, ax.xaxis.label, ax.yaxis.label]
        if t.get_visible() and t.get_text()
    ]
    return min(sizes, default=float("inf")) * fig.dpi / 72 * shrink


def overlaps(fig, tolerance: float = 2.0) -> list[str]:
    """Text that collides once the figure is drawn: neighbouring tick labels of one axis, two
    panels whose extents (labels, title and legend included) intersect, the figure title over a
    panel, or any panel reaching outside the figure. ``tolerance`` pixels of contact are allowed.
    Returns one line per problem (empty when the layout is clean)."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()

    def hit(a, b) -> bool:
        return _hit(a, b, tolerance)

    def name(ax) -> str:
        return repr(ax.get_title() or ax.get_label() or "panel")

    out = []
    axes = [ax for ax in fig.axes if ax.get_visible() and ax.name != "3d"]  # 3-d panels lay out their own labels
    for ax in axes:
        for which, ticks in (("x", ax.get_xticklabels(which="both")), ("y", ax.get_yticklabels(which="both"))):
            if _crowded(ticks, renderer):
                out.append(f"{name(ax)}: {which} tick labels overlap")
    boxes = [(ax, ax.get_tightbbox(renderer)) for ax in axes if not ax.get_label() == "<colorbar>"]
    for i, (a, ba) in enumerate(boxes):
        for b, bb in boxes[i + 1:]:
            if hit(ba, bb):
                out.append(f"panels {name(a)} and {name(b)} overlap")
        if ba.x0 < -tolerance or ba.y0 < -tolerance or ba.x1 > fig.bbox.x1 + tolerance or ba.y1 > fig.bbox.y1 + tolerance:
            out.append(f"{name(a)} reaches outside the figure")
    small = smallest_text_px(fig)
    if small < MIN_TEXT_PX:
        out.append(f"text {small:.1f} px high on the page (at least {MIN_TEXT_PX:g}: enlarge it or narrow the figure)")
    if fig._suptitle is not None:
        st = fig._suptitle.get_window_extent(renderer)
        out += [f"the figure title overlaps {name(ax)}" for ax, box in boxes if hit(st, box)]
    return out


LAYOUT_PROBLEM = "Figure layout problem"  # shown under a figure whose text collides; check-book fails the page


def layout_report(fig) -> str:
    """Markdown lines naming each collision of :func:`overlaps` (empty when there is none)."""
    return "".join(f"\n\n{LAYOUT_PROBLEM}: {p}." for p in overlaps(fig))


__all__ = [
    "LAYOUT_PROBLEM",
    "MAX_COLUMNS",
    "MIN_TEXT_PX",
    "PAGE_INCHES",
    "fit_to_page",
    "layout_report",
    "overlaps",
    "panel_grid",
    "smallest_text_px",
]
