"""A figure's layout: panels in rows of at most three, and a check that no text collides.

Abstraction: :func:`panel_grid` is how a figure of the book lays out several panels;
:func:`overlaps` draws a finished figure and names every collision (tick labels, panels, the
figure title, anything outside the figure); :func:`layout_report` turns them into lines the page
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


def overlaps(fig, tolerance: float = 2.0) -> list[str]:
    """Text that collides once the figure is drawn: neighbouring tick labels of one axis, two
    panels whose extents (labels, title and legend included) intersect, the figure title over a
    panel, or any panel reaching outside the figure. ``tolerance`` pixels of contact are allowed.
    Returns one line per problem (empty when the layout is clean)."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()

    def hit(a, b) -> bool:
        w = min(a.x1, b.x1) - max(a.x0, b.x0)
        h = min(a.y1, b.y1) - max(a.y0, b.y0)
        return w > tolerance and h > tolerance

    def name(ax) -> str:
        return repr(ax.get_title() or ax.get_label() or "panel")

    out = []
    axes = [ax for ax in fig.axes if ax.get_visible() and ax.name != "3d"]  # 3-d panels lay out their own labels
    for ax in axes:
        for which, ticks in (("x", ax.get_xticklabels()), ("y", ax.get_yticklabels())):
            boxes = sorted((t.get_window_extent(renderer) for t in ticks if t.get_visible() and t.get_text()),
                           key=lambda b: (b.x0, b.y0))
            if any(hit(a, b) for a, b in zip(boxes, boxes[1:])):
                out.append(f"{name(ax)}: {which} tick labels overlap")
    boxes = [(ax, ax.get_tightbbox(renderer)) for ax in axes if not ax.get_label() == "<colorbar>"]
    for i, (a, ba) in enumerate(boxes):
        for b, bb in boxes[i + 1:]:
            if hit(ba, bb):
                out.append(f"panels {name(a)} and {name(b)} overlap")
        if ba.x0 < -tolerance or ba.y0 < -tolerance or ba.x1 > fig.bbox.x1 + tolerance or ba.y1 > fig.bbox.y1 + tolerance:
            out.append(f"{name(a)} reaches outside the figure")
    if fig._suptitle is not None:
        st = fig._suptitle.get_window_extent(renderer)
        out += [f"the figure title overlaps {name(ax)}" for ax, box in boxes if hit(st, box)]
    return out


LAYOUT_PROBLEM = "Figure layout problem"  # shown under a figure whose text collides; check-book fails the page


def layout_report(fig) -> str:
    """Markdown lines naming each collision of :func:`overlaps` (empty when there is none)."""
    return "".join(f"\n\n{LAYOUT_PROBLEM}: {p}." for p in overlaps(fig))


__all__ = ["LAYOUT_PROBLEM", "MAX_COLUMNS", "layout_report", "overlaps", "panel_grid"]
