"""The book's figures: at most three panels per row, text that does not collide
(:func:`igr_core.book.layout.overlaps`, whose report makes check-book fail a page), and one
caption per figure a page draws, computed from the stored results."""

import re

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from igr_core import book  # noqa: E402
from igr_core.book import figures_networks, layout, ledger, plotting  # noqa: E402
from igr_core.experiments import registry  # noqa: E402


@pytest.mark.parametrize("n, shape", [(1, (1, 1)), (3, (1, 3)), (4, (2, 2)), (5, (2, 3)), (8, (3, 3))])
def test_panel_grid_keeps_at_most_three_panels_per_row(n, shape):
    fig, axes = layout.panel_grid(n, 3.0, 2.0)
    grid = fig.axes[0].get_subplotspec().get_gridspec()
    assert (grid.nrows, grid.ncols) == shape and len(axes) == n
    assert sum(ax.get_visible() for ax in fig.axes) == n
    plt.close(fig)


def test_overlaps_finds_colliding_tick_labels_and_panels_and_passes_a_clean_figure():
    fig, ax = plt.subplots(figsize=(2, 2))
    ticks = np.linspace(1, 2, 30)
    ax.set_xticks(ticks, [f"{t:.5f}" for t in ticks])
    assert any("x tick labels overlap" in p for p in layout.overlaps(fig))
    plt.close(fig)
    fig, axes = plt.subplots(1, 2, figsize=(4, 2))
    for a in axes:
        a.set_ylabel("a long label on the y axis")
    axes[0].legend(["a legend entry that reaches over the next panel"], loc="center left", bbox_to_anchor=(0.9, 0.5))
    assert any("overlap" in p for p in layout.overlaps(fig))
    assert layout.LAYOUT_PROBLEM in layout.layout_report(fig)
    plt.close(fig)
    fig, axes = layout.panel_grid(4, 4.6, 3.4)
    for a in axes:
        a.loglog([1e-4, 1e-1], [1e-9, 1e2])
        a.set_title("panel")
    plotting.label(fig, "a clean figure", "smoke")
    assert layout.overlaps(fig) == [] and layout.layout_report(fig) == ""
    plt.close(fig)


def _caption_keys(notebook: str) -> list[str]:
    text = (book.ROOT / "notebooks" / f"{notebook}.md").read_text()
    return re.findall(r"(?:C|page)\.figure\((?:plotting|figures_\w+)\.\w+,.*?caption='(\w+)'", text, flags=re.S)


@pytest.mark.parametrize("chapter", registry.CHAPTERS, ids=lambda c: c.name)
def test_every_figure_a_page_draws_has_a_caption_from_the_smoke_results(chapter):
    """The keys the notebook asks for exist, and each caption is a sentence with a number."""
    keys = _caption_keys(chapter.name)
    assert keys, f"{chapter.name}: no figure drawn through C.figure"
    got = ledger.stored("smoke", chapter.name)
    if got is None:
        pytest.skip("no smoke results stored here")
    captions = chapter.captions(got[0])
    optional = {"figure3", "figure3c", "a7_abc", "a7_def", "a8"}  # drawn only where the study was computed
    missing = [k for k in keys if k not in captions and k not in optional]
    assert not missing, f"{chapter.name}: no caption for {missing}; it has {sorted(captions)}"
    for key, text in captions.items():
        assert text.endswith(".") and re.search(r"\d", text), f"{chapter.name}/{key}: {text!r}"


def test_a_missing_caption_key_is_a_clear_error():
    chapter = registry.get("01_theorem_checks")
    got = ledger.stored("smoke", chapter.name)
    if got is None:
        pytest.skip("no smoke results stored here")
    with pytest.raises(KeyError, match="01_theorem_checks has no caption 'nope'; it has: local"):
        chapter.caption(got[0], "nope")


@pytest.mark.parametrize(
    "plain, tex",
    [
        ("rho(lambda, R_IG) = -0.78", r"$\rho$($\lambda$, $R_{IG}$) = -0.78"),
        ("flow of E + (h/4)||g||^2", r"flow of E + (h/4)$\Vert g\Vert ^2$"),
        ("slope = sqrt(m R_IG); E~_2; O(h^2)", r"slope = $\sqrt{m R_{IG}}$; $\widetilde E_2$; $O(h^2)$"),
        ("lambda_max at h_edge", r"$\lambda_{max}$ at $h_{edge}$"),
        ("`egr_mu` mnist_data batch_size mus", "`egr_mu` mnist_data batch_size mus"),  # identifiers stay
        ('<span class="verdict">x</span> {ref}`05 <verdict-05_mnist>` $a_b$', None),  # tags, roles, math stay
    ],
)
def test_texify_types_the_plain_text_notation_and_leaves_code_alone(plain, tex):
    from igr_core.book.notation import texify

    got = texify(plain)
    assert got == (plain if tex is None else tex)
    assert "|" not in got  # a norm never splits a table cell


def test_texified_figure_text_is_valid_mathtext():
    from igr_core.book.notation import texify_figure

    fig, axes = layout.panel_grid(2, 3.0, 2.5)
    for ax, col in zip(axes, ["||theta||", "lambda R_IG / E"]):
        ax.plot([1, 2], [1, 2], label="h = 0.1, mu = 0.01")
        ax.set_title(col)
        ax.set_xlabel("sqrt(1 + m R_IG)")
        ax.legend()
    plotting.label(fig, "Figure A.3: E~ and R_IG against lambda", "smoke")
    texify_figure(fig)
    assert axes[0].get_title() == r"$\Vert \theta\Vert$" and "$\\mu$" in axes[0].get_legend().get_texts()[0].get_text()
    fig.canvas.draw()  # raises on invalid mathtext
    plt.close(fig)


def test_a_wide_figure_is_narrowed_until_its_text_is_legible_on_the_page():
    fig, axes = layout.panel_grid(3, 4.6, 3.4)  # 13.8 inches: shown at the column's 7 inches, ticks under 8 px
    for ax in axes:
        ax.plot([1, 2], [1, 2])
    assert layout.smallest_text_px(fig) < layout.MIN_TEXT_PX
    assert any("px high on the page" in p for p in layout.overlaps(fig))
    layout.fit_to_page(fig)
    assert layout.smallest_text_px(fig) >= layout.MIN_TEXT_PX - 1e-9 and layout.overlaps(fig) == []
    plt.close(fig)


def test_crowded_minor_labels_of_a_log_axis_are_dropped():
    fig, ax = plt.subplots(figsize=(2.5, 2.0))
    ax.loglog([6e-4, 4e-3], [1e-8, 1e-2])
    fig.tight_layout()
    assert any("tick labels overlap" in p for p in layout.overlaps(fig))
    layout.fit_to_page(fig)
    assert not any("tick labels overlap" in p for p in layout.overlaps(fig))
    plt.close(fig)


def test_minor_labels_crowded_by_narrowing_are_dropped():
    """Figure A.6 at smoke scale: its width axes have room for ``2 x 10^1 ... 6 x 10^2`` at the
    size it is drawn, not once narrowed to the page; they go after the final layout."""
    from igr_core.book.notation import texify_figure

    got = ledger.stored("smoke", "05_mnist")
    if got is None:
        pytest.skip("no smoke results stored here")
    plotting.style()
    fig = figures_networks.figure_a6(got[0].selected, got[0].full_batch, "Figure A.6", "smoke")
    texify_figure(fig)
    layout.fit_to_page(fig)
    assert layout.overlaps(fig) == []
    plt.close(fig)


def _three_panels_with_legends():
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.9))
    x = np.linspace(0, 1, 50)
    for ax in axes:
        for k in range(6):
            ax.plot(x, x**k, label=f"h = {0.1 * k:g}")
        ax.set_xlabel("step")
        ax.set_ylabel("a long axis label of test accuracy")
        ax.legend(fontsize="x-small")
    fig.suptitle("Figure A.8: a title long enough to wrap on a phone  [paper profile]")
    return fig


def test_figures_are_drawn_at_reading_size_for_a_laptop_and_stacked_for_a_phone():
    """figure_html draws a figure twice: at the laptop column's width and, one panel per row, at the
    phone's; each image records its smallest text (at least 10 px at its own size, which the page
    shows it at), its legends sit under the panels, and neither drawing collides."""
    from igr_core.book import display

    shown, report = display.figure_html(_three_panels_with_legends())
    assert report == ""
    images = re.findall(
        r'<img class="(fig-\w+)" src="[^"]+" width="(\d+)" height="(\d+)" data-text-px="([\d.]+)"', shown
    )
    assert [i[0] for i in images] == ["fig-wide", "fig-narrow"]
    (_, w_wide, _, px_wide), (_, w_narrow, h_narrow, px_narrow) = images
    assert int(w_wide) <= 736 and int(w_narrow) <= 350  # the columns at 1,280 and 390 px: shown unscaled
    assert float(px_wide) >= layout.MIN_TEXT_PX and float(px_narrow) >= layout.MIN_TEXT_PX
    assert int(h_narrow) > 3 * 200  # three panels stacked


def test_legends_are_moved_under_their_panels():
    fig = _three_panels_with_legends()
    layout.prepare(fig, layout.NARROW_INCHES, 1)
    fig.canvas.draw()
    for ax in fig.axes:
        legend = ax.get_legend().get_window_extent()
        assert legend.y1 <= ax.bbox.y0 + 1  # below the data area: it covers no line
    plt.close(fig)


def test_a_diverged_run_is_dashed_and_clipped_on_a_linear_axis():
    import pandas as pd

    steps = np.arange(0, 100, 5)
    rows = [
        {"step": s, "h": h, "test E": (8e4 if h == 0.5 and s > 40 else 2.0 - s / 100)}
        for h in (0.1, 0.5)
        for s in steps
    ]
    fig = figures_networks.training_curves(pd.DataFrame(rows), ["test E"], "Figure A.4", profile="paper")
    ax = fig.axes[0]
    assert ax.get_ylim()[1] < 10  # the other curve is not flattened
    assert any("diverged" in t.get_text() for t in ax.texts)
    assert any(line.get_linestyle() == "--" for line in ax.get_lines())
    plt.close(fig)
