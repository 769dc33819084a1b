"""Draw the sector breadth chart: one bar per GICS sector, widest breadth on top.

The share above the 50-day average as a mark on each bar, the index's share as a dashed line.
"""

from __future__ import annotations

from matplotlib.figure import Figure

from briefings.charts.data import (
    BreadthChart,
)
from briefings.charts.fonts import chart_language, families
from briefings.charts.plot import (
    BAR_SIZE_PX,
    GRID,
    INK,
    LABEL_PT,
    MUTED,
    TICK_PT,
    _figure,
    _frame,
    _long_day,
    _no_data,
    _png,
    _style_axes,
    _style_ticks,
    _watermark,
    translator,
)
from briefings.i18n import DEFAULT_LANGUAGE
from briefings.render.templates import display_name

WIDE = "#1a7f37"
NARROW = "#cf222e"
MIDDLE = "#8c959f"
INDEX_LINE = "#1f5fbf"
SHORT_MARK = "#1f2328"


def plot_breadth(data: BreadthChart, language: str = DEFAULT_LANGUAGE) -> bytes:
    """Draw the sectors' share of members above their 200-day average, widest on top."""
    return _png(breadth_figure(data, language))


def breadth_figure(data: BreadthChart, language: str = DEFAULT_LANGUAGE) -> Figure:
    """Return the sector breadth as a drawn figure (``plot_breadth`` gives its PNG)."""
    language = chart_language(language)
    font = families(language)
    _ = translator(language)
    figure = _figure(BAR_SIZE_PX)
    if data.bars:
        title = _("%(index)s: sector breadth", index=display_name(language, data.index_name))
    else:
        title = _("Index members: sector breadth")
    subtitle = _(
        "Members above their 200-day average, close of %(day)s",
        day=_long_day(data.provenance.as_of, language),
    )
    _frame(figure, title, subtitle, data.provenance, (), language)
    axes = figure.add_subplot()
    _style_axes(axes)
    axes.spines["left"].set_visible(False)
    _watermark(axes, data.provenance, language)
    if not data.bars:
        _no_data(axes, _("No index members are configured or stored"), language)
        return figure
    rows = list(reversed(data.bars))  # barh draws bottom-up; the widest goes on top
    positions = list(range(len(rows)))
    overall = data.index_pct_above_200d
    colors = [
        MIDDLE
        if overall is None or abs(bar.pct_above_200d - overall) < 5
        else (WIDE if bar.pct_above_200d > overall else NARROW)
        for bar in rows
    ]
    axes.barh(positions, [b.pct_above_200d for b in rows], height=0.66, color=colors, zorder=2)
    short = [(p, b.pct_above_50d) for p, b in zip(positions, rows, strict=True)]
    axes.scatter(
        [v for _, v in short if v is not None],
        [p for p, v in short if v is not None],
        marker="|",
        s=140,
        linewidths=2.2,
        color=SHORT_MARK,
        zorder=4,
        label=_("above 50-day"),
    )
    axes.set_yticks(
        positions, [f"{display_name(language, b.sector)} ({b.label_count})" for b in rows]
    )
    axes.tick_params(axis="y", length=0, labelsize=TICK_PT + 0.5, labelcolor=INK)
    axes.set_xlim(0, 115)
    axes.set_ylim(-0.6, len(rows) - 0.4)
    axes.set_xticks([0, 25, 50, 75, 100], ["0%", "25%", "50%", "75%", "100%"])
    axes.grid(axis="x", color=GRID, linewidth=0.6, zorder=0)
    _style_ticks(axes, font)
    for position, bar in zip(positions, rows, strict=True):
        # A column of figures right of the 100% line: no marker or index line can cover them.
        axes.text(
            114,
            position,
            f"{bar.pct_above_200d:.0f}%",
            ha="right",
            va="center",
            fontsize=LABEL_PT,
            fontweight="bold",
            color=INK,
            family=font,
            zorder=5,
        )
    if overall is not None:
        axes.axvline(overall, color=INDEX_LINE, linewidth=1.6, linestyle=(0, (5, 3)), zorder=3)
        axes.annotate(
            _("index %(share)s%%", share=f"{overall:.0f}"),
            (overall, len(rows) - 0.5),
            xytext=(3, 2),
            textcoords="offset points",
            ha="left",
            va="bottom",
            fontsize=TICK_PT,
            color=INDEX_LINE,
            family=font,
            annotation_clip=False,
        )
    axes.legend(
        handles=[axes.collections[0]],
        labels=[_("share above the 50-day average")],
        loc="upper center",
        bbox_to_anchor=(0.5, -0.06),
        frameon=False,
        prop={"family": font, "size": TICK_PT},
        handlelength=1.0,
        handletextpad=0.6,
        labelcolor=MUTED,
    )
    return figure
