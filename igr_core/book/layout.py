"""A figure's layout: panels in rows of at most three, the page's width, and a check that no text
collides or shrinks below legibility.

Abstraction: :func:`panel_grid` is how a figure of the book lays out several panels;
:func:`overlaps` draws a finished figure and names every collision (tick labels, panels, the
figure title, anything outside the figure, text smaller than :data:`MIN_TEXT_PX` on the page;
:func:`fit_to_page` narrows a figure until its text is legible); :func:`layout_report` turns them into lines the page
shows under the figure, which ``make check-book`` fails.
"""

from __future__ import annotations

import warnings

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
MIN_TEXT_PX = 10.0  # the smallest text a reader can read, in pixels on the page (at 1,280 and at 390 px)
DPI = 100  # the figures' resolution: a figure WIDE_INCHES wide is WIDE_INCHES * DPI pixels, shown at that size
WIDE_INCHES = 7.0  # the figure for a laptop: the content column at 1,280 px (about 736 px)
NARROW_INCHES = 3.4  # the figure for a phone: the content column at 390 px (about 350 px), panels stacked
MIN_PANEL_INCHES = 3.2  # a panel narrower than this crowds its tick labels: fewer panels per row
MIN_ROW_INCHES = 2.6  # a row of panels lower than this has no room for its titles and tick labels
FLOOR_PT = 8.5  # every text of a figure at least this size (11.8 px at DPI): legible at both widths


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
    """``tight_layout``, leaving room at the top for the figure's title (colour bars lay themselves out)."""
    if any(ax.get_label() == "<colorbar>" for ax in fig.axes):  # colour bars lay themselves out: room at the
        lines = max((ax.get_title().count("\n") + 1 for ax in fig.axes if ax.get_title()), default=0)  # top
        h = fig.get_size_inches()[1]
        fig.subplots_adjust(top=min(0.9, 1.0 - (lines * FLOOR_PT * 1.5 / 72 + 0.15) / h))
        return
    top = 1.0
    if fig._suptitle is not None and fig._suptitle.get_text():
        lines = fig._suptitle.get_text().count("\n") + 1
        top = 1.0 - (fig._suptitle.get_fontsize() * 1.45 * lines / 72 + 0.08) / fig.get_size_inches()[1]
    with warnings.catch_warnings():  # a layout tight_layout cannot fit is left as it is: check_layout reports it
        warnings.simplefilter("ignore", UserWarning)
        fig.tight_layout(rect=(0, 0, 1, top))


def _wrap(text: str, chars: int) -> str:
    """``text`` broken into lines of at most about ``chars`` characters, never inside math."""
    if len(text) <= chars or "\n" in text:
        return text
    words, lines, line, inside = text.split(" "), [], "", False
    for w in words:
        if line and len(line) + 1 + len(w) > chars and not inside:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}" if line else w
        inside ^= w.count("$") % 2 == 1
    lines.append(line)
    return "\n".join(lines)


def wrap_labels(fig, shrink: float = 1.0) -> None:
    """The figure's title and its panels' axis labels broken into lines that fit their width
    (``shrink`` < 1 wraps them narrower than that, where a first wrap still collides)."""
    width = fig.get_size_inches()[0] * 72 * shrink
    if fig._suptitle is not None:
        t = fig._suptitle
        t.set_text(_wrap(t.get_text(), int(width / (t.get_fontsize() * 0.55))))
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        pos = ax.get_position()
        for t, span in (
            (ax.yaxis.label, pos.height * fig.get_size_inches()[1] * 72),
            (ax.xaxis.label, pos.width * width),
            (ax.title, pos.width * width),
        ):
            if t.get_text():
                chars = max(12, int(shrink * span / (t.get_fontsize() * 0.6)))
                t.set_text(_wrap(t.get_text().replace("\n", " "), chars))


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


def overlaps(fig, tolerance: float = 2.0, own_size: bool = False) -> list[str]:
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
        for b, bb in boxes[i + 1 :]:
            if hit(ba, bb):
                out.append(f"panels {name(a)} and {name(b)} overlap")
        if (
            ba.x0 < -tolerance
            or ba.y0 < -tolerance
            or ba.x1 > fig.bbox.x1 + tolerance
            or ba.y1 > fig.bbox.y1 + tolerance
        ):
            out.append(f"{name(a)} reaches outside the figure")
    small = smallest_text_px(fig, shrink=1.0 if own_size else None)
    if small < MIN_TEXT_PX:
        out.append(f"text {small:.1f} px high on the page (at least {MIN_TEXT_PX:g}: enlarge it or narrow the figure)")
    if fig._suptitle is not None:
        st = fig._suptitle.get_window_extent(renderer)
        out += [f"the figure title overlaps {name(ax)}" for ax, box in boxes if hit(st, box)]
    return out


LAYOUT_PROBLEM = "Figure layout problem"  # shown under a figure whose text collides; check-book fails the page


def layout_report(fig, own_size: bool = False) -> str:
    """Markdown lines naming each collision of :func:`overlaps` (empty when there is none);
    ``own_size``: the page shows the image at its own size (in a box that scrolls), not shrunk."""
    return "".join(f"\n\n{LAYOUT_PROBLEM}: {p}." for p in overlaps(fig, own_size=own_size))


def _panels(fig):
    """The figure's panels as (top-level cell, its axes) in reading order, or None where some
    visible axes is not in a grid cell (an inset, a colour bar placed by hand): such a figure keeps
    its layout."""
    groups: dict = {}
    for ax in fig.axes:
        ss = ax.get_subplotspec()
        if ss is None:
            if ax.get_visible():
                return None
            continue
        top = ss.get_topmost_subplotspec()
        key = (id(top.get_gridspec()), top.rowspan.start, top.colspan.start)
        groups.setdefault(key, (top, []))[1].append(ax)
    cells = [(k, v) for k, v in groups.items() if any(a.get_visible() for a in v[1])]
    if not cells or len({k[0] for k, _ in cells}) > 1:
        return None
    cells.sort(key=lambda kv: (kv[0][1], kv[0][2]))
    return [v for _, v in cells]


def grid_shape(fig) -> tuple[int, int]:
    """(rows, columns) of the figure's panels."""
    panels = _panels(fig)
    if not panels:
        return 1, 1
    rows = {top.rowspan.start for top, _ in panels}
    cols = {top.colspan.start for top, _ in panels}
    return len(rows), len(cols)


def _title_inches(fig, width: float) -> float:
    """Room for the figure's title once wrapped to ``width`` inches (about 0.075 inch a character at
    the floor size, a line 0.2 inch and a margin), 0 without one."""
    title = fig._suptitle.get_text() if fig._suptitle is not None else ""
    if not title:
        return 0.0
    lines = sum(-(-len(part) * 0.075 // width) or 1 for part in title.split("\n"))
    return 0.25 + 0.2 * lines


def restack(fig, cols: int, width: float) -> bool:
    """Lay the figure's panels out again, ``cols`` per row, the figure ``width`` inches wide and each
    panel as tall, in proportion, as it was (between 2.2 and 3.4 inches): for a phone, one column
    (panels stacked). False (nothing changed) where the panels are not a plain grid."""
    from matplotlib.gridspec import GridSpec

    panels = _panels(fig)
    if not panels:
        return False
    rows0, cols0 = grid_shape(fig)
    w0, h0 = fig.get_size_inches()
    panel_w = width / cols
    panel_h = min(3.4, max(2.6, (h0 / rows0) * panel_w / (w0 / cols0)))
    rows = -(-len(panels) // cols)
    extra = _title_inches(fig, width)
    for _, axes in panels:  # room for the legends that go under their panels (legends_outside)
        for ax in axes:
            if ax.get_legend() is not None:
                extra += 0.3 + 0.17 * -(-len(ax.get_legend().get_texts()) // 2) * (2 if cols == 1 else 1) / rows
    fig.set_size_inches(width, panel_h * rows + extra)
    gs = GridSpec(rows, cols, figure=fig)
    for i, (top, axes) in enumerate(panels):
        cell = gs[i // cols, i % cols]
        for ax in axes:
            ss = ax.get_subplotspec()
            if ss.get_gridspec() is top.get_gridspec():
                ax.set_subplotspec(cell)
            else:  # a cell split for a colour bar: its sub-grid moves with the cell
                ss.get_gridspec()._subplot_spec = cell
                ax.set_subplotspec(ss)
    for ax in fig.axes:
        if not ax.get_visible() and ax.get_subplotspec() is not None and not any(ax in a for _, a in panels):
            ax.set_position((0, 0, 0, 0))
    return True


def _texts(fig):
    """Every text of a figure a reader reads: titles, labels, tick labels, legends, annotations."""
    out = [fig._suptitle] if fig._suptitle is not None else []
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        out += [ax.title, ax._left_title, ax._right_title, ax.xaxis.label, ax.yaxis.label]
        out += list(ax.get_xticklabels(which="both")) + list(ax.get_yticklabels(which="both"))
        out += list(ax.texts)
        legend = ax.get_legend()
        if legend is not None:
            out += list(legend.get_texts()) + [legend.get_title()]
    for legend in fig.legends:
        out += list(legend.get_texts())
    return [t for t in out if t is not None]


def floor_text(fig, points: float = FLOOR_PT) -> None:
    """Every text of the figure at least ``points`` high (tick labels set through their axis, so
    that ticks made at draw time follow)."""
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            for which in ("major", "minor"):
                ticks = axis.get_ticklabels(which=which)
                size = min((t.get_fontsize() for t in ticks), default=points)
                if size < points:
                    axis.set_tick_params(which=which, labelsize=points)
    for t in _texts(fig):
        if t.get_fontsize() < points:
            t.set_fontsize(points)


def legends_outside(fig) -> None:
    """Every legend of a panel moved under the panel, below its axis label, so that it covers no
    data (two columns where it has several entries)."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes:
        legend = ax.get_legend()
        if legend is None or not ax.get_visible():
            continue
        handles, labels = legend.legend_handles, [t.get_text() for t in legend.get_texts()]
        title = legend.get_title().get_text()
        size = legend.get_texts()[0].get_fontsize() if legend.get_texts() else FLOOR_PT
        legend.remove()
        box = ax.get_tightbbox(renderer)
        y = (box.y0 - ax.bbox.y0) / max(ax.bbox.height, 1.0) if box is not None else -0.2
        for ncol in dict.fromkeys((2 if len(labels) > 2 else len(labels) or 1, 1)):  # one column if two overflow
            new = ax.legend(
                handles,
                labels,
                title=title or None,
                loc="upper center",
                bbox_to_anchor=(0.5, y - 0.03),
                ncol=ncol,
                fontsize=size,
                frameon=False,
                handlelength=1.6,
                columnspacing=1.0,
            )
            if new.get_window_extent(renderer).width <= ax.bbox.width * 1.05:
                break


def prepare(fig, width: float, cols: int | None = None) -> None:
    """The figure laid out for a column ``width`` inches wide: its panels ``cols`` per row (default:
    as many as fit at :data:`MIN_PANEL_INCHES` each, no more than it had), its text at least
    :data:`FLOOR_PT`, its legends under their panels, laid out, crowded minor labels dropped."""
    rows0, cols0 = grid_shape(fig)
    if cols is None:
        cols = max(1, min(cols0, int(width // MIN_PANEL_INCHES)))
    if not restack(fig, cols, width):  # not a plain grid: scaled, each row at least a readable height
        w, h = fig.get_size_inches()
        fig.set_size_inches(width, max(h * width / w, rows0 * MIN_ROW_INCHES + _title_inches(fig, width)))
    fig.set_dpi(DPI)
    floor_text(fig)
    wrap_labels(fig)
    _relayout(fig)
    wrap_labels(fig)  # again, at the panels' laid-out sizes
    _relayout(fig)
    legends_outside(fig)
    _relayout(fig)
    _thin_log_ticks(fig)
    _relayout(fig)


def prepare_fitting(fig, width: float, cols: int | None = None, tries: int = 4) -> None:
    """:func:`prepare`, then, while some text still collides or leaves the figure, the figure made
    taller (by 30%: room for the legends under the panels and their titles), from the second try on
    with its titles wrapped narrower, laid out again each time (what still collides after ``tries``
    is left for :func:`layout_report`)."""
    prepare(fig, width, cols)
    for k in range(tries):
        if not overlaps(fig, own_size=width > WIDE_INCHES):
            return
        w, h = fig.get_size_inches()
        fig.set_size_inches(w, h * 1.3)
        if k:
            wrap_labels(fig, shrink=0.85**k)
        _relayout(fig)


def own_size(fig) -> None:
    """The figure as its drawing function sized it (shown at that size, in a box that scrolls
    sideways where it is wider than the column): its text at least :data:`FLOOR_PT`, laid out,
    crowded minor labels dropped; its legends where the drawing put them."""
    fig.set_dpi(DPI)
    floor_text(fig)
    _relayout(fig)
    _thin_log_ticks(fig)
    _relayout(fig)
    small = smallest_text_px(fig, shrink=1.0)
    if small < MIN_TEXT_PX:  # text the drawing keeps smaller than the floor: the image drawn at a finer dpi
        fig.set_dpi(DPI * MIN_TEXT_PX / small * 1.01)


def text_px(fig) -> float:
    """The smallest visible text of the figure in pixels of its image (at :data:`DPI`)."""
    sizes = [t.get_fontsize() for t in _texts(fig) if t.get_visible() and t.get_text()]
    return min(sizes, default=float("inf")) * fig.dpi / 72


__all__ = [
    "DPI",
    "FLOOR_PT",
    "NARROW_INCHES",
    "WIDE_INCHES",
    "floor_text",
    "grid_shape",
    "legends_outside",
    "prepare",
    "prepare_fitting",
    "own_size",
    "restack",
    "text_px",
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
