"""Draw chart data as phone-sized PNGs on matplotlib's Agg canvas.

No pyplot and no rcParams changes: every figure is a ``matplotlib.figure.Figure`` with its own
``FigureCanvasAgg`` and every style is passed explicitly, so renders can run in parallel threads.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import PurePath

import matplotlib.dates as mdates
import numpy as np
import numpy.typing as npt
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.patches import Rectangle
from matplotlib.text import Text
from matplotlib.ticker import MaxNLocator

from briefings import i18n
from briefings.charts.data import BarChart, Provenance, RatioChart, RRGChart, RRGTrail
from briefings.charts.fonts import chart_language, families
from briefings.charts.labels import LabelPlacer, LabelSpec
from briefings.i18n import DEFAULT_LANGUAGE
from briefings.render.templates import display_name, window_titles

FloatArray = npt.NDArray[np.float64]

DPI = 200
RRG_SIZE_PX = (1080, 1080)
RATIO_SIZE_PX = (1200, 1050)
BAR_SIZE_PX = (1200, 1050)

FONT = "DejaVu Sans"
TITLE_PT = 13.0
SUBTITLE_PT = 9.5
LABEL_PT = 10.0
TICK_PT = 9.0
FOOTER_PT = 9.0

INK = "#1f2328"
MUTED = "#57606a"
GRID = "#d8dee4"
WARNING = "#c62828"
GAIN = "#1a7f37"
LOSS = "#cf222e"

#: Distinct, dark enough to read on the pale quadrant fills; assigned in the order of the trails.
PALETTE: tuple[str, ...] = (
    "#1f5fbf",
    "#e07b00",
    "#2a9d4b",
    "#d1495b",
    "#7b3fb5",
    "#00838f",
    "#8c5a2b",
    "#d0458f",
    "#6c7a89",
    "#9a8300",
    "#141414",
    "#5e8c00",
)

#: Quadrant: (fill, label colour, corner in axes fraction, horizontal and vertical alignment).
QUADRANT_STYLE: dict[str, tuple[str, str, tuple[float, float], str, str]] = {
    "Leading": ("#e3f4e6", "#1a7f37", (0.985, 0.985), "right", "top"),
    "Weakening": ("#fff5d6", "#9a6700", (0.985, 0.015), "right", "bottom"),
    "Lagging": ("#fde8e8", "#b42318", (0.015, 0.015), "left", "bottom"),
    "Improving": ("#e4eefc", "#1f5fbf", (0.015, 0.985), "left", "top"),
}

#: RRG tails: opacity and line width (points) at the oldest and the newest end.
TAIL_ALPHA = (0.12, 0.9)
TAIL_WIDTH_PT = (0.4, 1.9)
#: Short pieces each week-to-week step of a tail is cut into, for a smooth fade.
TAIL_PIECES = 12
#: RRG heads: marker area (points²) and white edge width (points).
HEAD_SIZE_PT2 = 64.0
HEAD_EDGE_PT = 1.2

HEADER_IN = 0.62
FOOTER_IN = 0.34
FOOTER_LINE_IN = 0.2


def _figure(size_px: tuple[int, int]) -> Figure:
    """Return a figure of exactly ``size_px`` pixels at DPI, on its own Agg canvas."""
    figure = Figure(figsize=(size_px[0] / DPI, size_px[1] / DPI), dpi=DPI, facecolor="white")
    FigureCanvasAgg(figure)
    return figure


def _signed(value: float, decimals: int) -> str:
    """Format a percentage with its sign and a true minus, e.g. +1.2% or −0.4%; 0% unsigned."""
    if round(value, decimals) == 0:
        return f"{0:.{decimals}f}%"
    return f"{value:+.{decimals}f}%".replace("-", "\u2212")


def _tick_percent(value: float) -> str:
    """Format an axis tick in percent with as few digits as it needs, e.g. +0.25%, −1%, 0%."""
    if abs(value) < 1e-9:
        return "0%"
    return f"{value:+.4g}%".replace("-", "\u2212")


def translator(language: str) -> Callable[..., str]:
    """Return ``_(message, **values)``: the catalog's ``message`` in ``language``, filled in.

    Bound to the name ``_`` where used, so ``pybabel extract`` finds the chart's messages.
    """

    def translate(message: str, **values: object) -> str:
        translated = i18n.gettext(language, message)
        return translated % values if values else translated

    return translate


def _source_label(source: str, language: str = DEFAULT_LANGUAGE) -> str:
    """Return a source name fit for a shared image: a CSV directory by its name, not its path."""
    _ = translator(language)
    if source.startswith("csv:"):
        return _("CSV files (%(name)s)", name=PurePath(source.removeprefix("csv:")).name)
    return source


def _long_day(day: date, language: str = DEFAULT_LANGUAGE) -> str:
    """Format a date as e.g. Thu 20 Nov 2025 (2025年11月20日)."""
    if language != DEFAULT_LANGUAGE:
        return i18n.long_day(day, language)
    return f"{day:%a} {day.day} {day:%b %Y}"


def _frame(
    figure: Figure,
    title: str,
    subtitle: str,
    provenance: Provenance,
    missing: Sequence[str] = (),
    language: str = DEFAULT_LANGUAGE,
) -> None:
    """Write the title, subtitle, simulated badge and source footer; lay out the rest between.

    ``missing`` names what the chart leaves out for lack of history, on a line of its own.
    """
    font = families(language)
    _ = translator(language)
    width_in, height_in = figure.get_size_inches()
    left = 0.12 / width_in
    figure.text(
        left,
        1 - 0.10 / height_in,
        title,
        ha="left",
        va="top",
        fontsize=TITLE_PT,
        fontweight="bold",
        color=INK,
        family=font,
    )
    figure.text(
        left,
        1 - 0.38 / height_in,
        subtitle,
        ha="left",
        va="top",
        fontsize=SUBTITLE_PT,
        color=MUTED,
        family=font,
    )
    footer_y = 0.12 / height_in
    if provenance.simulated:
        figure.text(
            1 - left,
            1 - 0.10 / height_in,
            _("SIMULATED DATA"),
            ha="right",
            va="top",
            fontsize=LABEL_PT,
            fontweight="bold",
            color="white",
            family=font,
            bbox={"boxstyle": "round,pad=0.3", "facecolor": WARNING, "edgecolor": "none"},
        )
        source = _(
            "SIMULATED DATA (%(source)s market), not real prices",
            source=_("demo") if provenance.source == "demo" else provenance.source,
        )
    else:
        source = _("Source: %(source)s", source=_source_label(provenance.source, language))
    figure.text(
        left,
        footer_y,
        _(
            "%(source)s · close of %(day)s",
            source=source,
            day=provenance.as_of.isoformat(),
        ),
        ha="left",
        va="bottom",
        fontsize=FOOTER_PT,
        color=WARNING if provenance.simulated else MUTED,
        fontweight="bold" if provenance.simulated else "normal",
        family=font,
    )
    footer_in = FOOTER_IN
    if missing:
        figure.text(
            left,
            footer_y + FOOTER_LINE_IN / height_in,
            _("Not enough history for: %(names)s", names=", ".join(missing)),
            ha="left",
            va="bottom",
            fontsize=FOOTER_PT,
            style="italic",
            color=MUTED,
            family=font,
            wrap=True,
        )
        footer_in += FOOTER_LINE_IN
    bottom = footer_in / height_in
    top = 1 - HEADER_IN / height_in
    figure.set_layout_engine(
        ConstrainedLayoutEngine(rect=(0.01, bottom, 0.98, top - bottom), w_pad=0.06, h_pad=0.06)
    )


def _style_axes(axes: Axes) -> None:
    """Give an axes the common look: muted ticks, no top or right spine."""
    axes.set_facecolor("white")
    axes.tick_params(labelsize=TICK_PT, colors=MUTED, length=3)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        axes.spines[side].set_color(GRID)


def _watermark(axes: Axes, provenance: Provenance, language: str = DEFAULT_LANGUAGE) -> None:
    """Stamp a faint SIMULATED across the plot when the prices are simulated."""
    if provenance.simulated:
        font = families(language)
        _ = translator(language)
        axes.text(
            0.5,
            0.5,
            _("SIMULATED"),
            transform=axes.transAxes,
            ha="center",
            va="center",
            rotation=30,
            fontsize=44,
            fontweight="bold",
            color=WARNING,
            alpha=0.06,
            family=font,
            zorder=0.5,
        )


def _style_ticks(axes: Axes, font: str | list[str]) -> None:
    """Draw the tick labels in the chart's typeface (Chinese names on a Chinese chart)."""
    if font != FONT:  # English keeps matplotlib's default typeface, which is FONT already
        axes.tick_params(labelfontfamily=font)


def _png(figure: Figure) -> bytes:
    """Return the figure as PNG bytes."""
    buffer = io.BytesIO()
    # No software tag: the bytes then depend on the data alone, not on the matplotlib version.
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def _freeze_layout(figure: Figure) -> None:
    """Run the layout once and keep it, so text measured afterwards stays where it is drawn."""
    figure.draw_without_rendering()
    figure.set_layout_engine("none")


# ---------------------------------------------------------------------------------------------
# Relative rotation graph


def _limits(values: Sequence[float], minimum_span: float) -> tuple[float, float]:
    """Return axis limits holding every value and 100 (the neutral line), with some air."""
    low = min(min(values, default=100.0), 100.0)
    high = max(max(values, default=100.0), 100.0)
    if high - low < minimum_span:
        middle = (high + low) / 2
        low, high = middle - minimum_span / 2, middle + minimum_span / 2
    pad = 0.1 * (high - low)
    return low - pad, high + pad


def _draw_quadrants(
    axes: Axes,
    x_limits: tuple[float, float],
    y_limits: tuple[float, float],
    language: str = DEFAULT_LANGUAGE,
) -> list[Text]:
    """Shade and name the four quadrants; return the name labels."""
    font = families(language)
    _ = translator(language)
    labels = []
    for quadrant, (x0, y0, x1, y1) in _quadrant_spans(x_limits, y_limits).items():
        fill, ink, corner, ha, va = QUADRANT_STYLE[quadrant]
        axes.add_patch(
            Rectangle((x0, y0), x1 - x0, y1 - y0, facecolor=fill, edgecolor="none", zorder=0)
        )
        label = axes.text(
            *corner,
            i18n.gettext(language, quadrant),
            transform=axes.transAxes,
            ha=ha,
            va=va,
            fontsize=LABEL_PT + 1,
            fontweight="bold",
            color=ink,
            family=font,
            zorder=1,
            gid=f"quadrant:{quadrant}",
        )
        labels.append(label)
    axes.axhline(100.0, color="#8c959f", linewidth=0.9, zorder=1)
    axes.axvline(100.0, color="#8c959f", linewidth=0.9, zorder=1)
    return labels


def _quadrant_spans(
    x_limits: tuple[float, float], y_limits: tuple[float, float]
) -> dict[str, tuple[float, float, float, float]]:
    """Return each quadrant's (x0, y0, x1, y1) in data coordinates within the limits."""
    (x_low, x_high), (y_low, y_high) = x_limits, y_limits
    return {
        "Leading": (100.0, 100.0, x_high, y_high),
        "Weakening": (100.0, y_low, x_high, 100.0),
        "Lagging": (x_low, y_low, 100.0, 100.0),
        "Improving": (x_low, 100.0, 100.0, y_high),
    }


def _faded(color: str, alphas: FloatArray) -> FloatArray:
    """Return ``color`` as one RGBA row per alpha: one hue, fading opacity."""
    rgba = np.tile(np.array(to_rgba(color)), (len(alphas), 1))
    rgba[:, 3] = alphas
    return rgba


def _draw_trail(axes: Axes, trail: RRGTrail, color: str) -> None:
    """Draw a tail in its head's colour, fading and thinning toward its oldest week.

    Each week-to-week step is cut into short pieces whose opacity and width grow linearly with
    the position along the tail, so the fade is smooth; weekly points are small dots on it.
    """
    xs = np.array([p.rs_ratio for p in trail.points])
    ys = np.array([p.rs_momentum for p in trail.points])
    steps = len(xs) - 1
    if steps > 0:
        t = np.linspace(0.0, 1.0, TAIL_PIECES + 1)
        starts, ends, progress = [], [], []
        for step in range(steps):
            px = xs[step] + (xs[step + 1] - xs[step]) * t
            py = ys[step] + (ys[step + 1] - ys[step]) * t
            starts.append(np.column_stack([px[:-1], py[:-1]]))
            ends.append(np.column_stack([px[1:], py[1:]]))
            progress.append((step + (t[:-1] + t[1:]) / 2) / steps)
        where = np.concatenate(progress)
        axes.add_collection(
            LineCollection(
                list(np.stack([np.vstack(starts), np.vstack(ends)], axis=1)),
                colors=_faded(color, TAIL_ALPHA[0] + (TAIL_ALPHA[1] - TAIL_ALPHA[0]) * where),
                linewidths=TAIL_WIDTH_PT[0] + (TAIL_WIDTH_PT[1] - TAIL_WIDTH_PT[0]) * where,
                capstyle="butt",
                zorder=3,
                gid=f"tail:{trail.key}",
            )
        )
        weeks = np.arange(steps) / steps
        axes.scatter(
            xs[:-1],
            ys[:-1],
            s=5 + 9 * weeks,
            c=_faded(color, TAIL_ALPHA[0] + (TAIL_ALPHA[1] - TAIL_ALPHA[0]) * weeks),
            linewidths=0,
            zorder=3,
            gid=f"weeks:{trail.key}",
        )
    axes.scatter(
        xs[-1:],
        ys[-1:],
        s=HEAD_SIZE_PT2,
        color=color,
        edgecolors="white",
        linewidths=HEAD_EDGE_PT,
        zorder=5,
        gid=f"head:{trail.key}",
    )


def head_radius_px() -> float:
    """Return the radius (pixels) of a head marker, its white edge included."""
    return (math.sqrt(HEAD_SIZE_PT2) / 2 + HEAD_EDGE_PT / 2) * DPI / 72.0


def _label_texts(
    data: RRGChart, trail: RRGTrail, language: str = DEFAULT_LANGUAGE
) -> tuple[str, ...]:
    """Return a trail's label texts, best first: sector name and ticker, then the ticker alone.

    A pair's name comes whole on one line, then broken before "vs" onto two.
    """
    if data.kind == "sectors":
        return (f"{display_name(language, trail.name)} ({trail.label})", trail.label)
    if language != DEFAULT_LANGUAGE:
        return (display_name(language, trail.label),)
    lead, vs, lag = trail.label.partition(" vs ")
    return (trail.label, f"{lead}\nvs {lag}") if vs else (trail.label,)


def rrg_figure(data: RRGChart, language: str = DEFAULT_LANGUAGE) -> Figure:
    """Return the relative rotation graph as a drawn figure (``plot_rrg`` gives its PNG)."""
    language = chart_language(language)
    font = families(language)
    _ = translator(language)
    figure = _figure(RRG_SIZE_PX)
    if data.kind == "sectors":
        title = _("Sector rotation vs %(benchmark)s", benchmark=data.benchmark)
    else:
        title = _("Rotation pairs: lead vs lag")
    subtitle = _(
        "Relative rotation graph, weekly, last %(weeks)s weeks to %(day)s",
        weeks=data.tail_weeks,
        day=_long_day(data.provenance.as_of, language),
    )
    missing = [display_name(language, name) for name in data.missing] if data.trails else []
    _frame(figure, title, subtitle, data.provenance, missing, language)
    axes = figure.add_subplot()
    _style_axes(axes)
    points = [p for trail in data.trails for p in trail.points]
    x_limits = _limits([p.rs_ratio for p in points], minimum_span=3.0)
    y_limits = _limits([p.rs_momentum for p in points], minimum_span=2.0)
    axes.set_xlim(*x_limits)
    axes.set_ylim(*y_limits)
    quadrant_labels = _draw_quadrants(axes, x_limits, y_limits, language)
    _watermark(axes, data.provenance, language)
    colors = {trail.key: PALETTE[i % len(PALETTE)] for i, trail in enumerate(data.trails)}
    for trail in data.trails:
        _draw_trail(axes, trail, colors[trail.key])
    axes.set_xlabel(_("RS-Ratio (relative trend)"), fontsize=LABEL_PT, color=INK, family=font)
    axes.set_ylabel(
        _("RS-Momentum (its rate of change)"), fontsize=LABEL_PT, color=INK, family=font
    )
    axes.set_axisbelow(True)
    axes.grid(color="white", linewidth=0.8, alpha=0.7)
    if not data.trails:
        _no_data(axes, language=language)
    _style_ticks(axes, font)
    _freeze_layout(figure)
    _place_labels(axes, data, colors, quadrant_labels, (x_limits, y_limits), language)
    return figure


def _place_labels(
    axes: Axes,
    data: RRGChart,
    colors: dict[str, str],
    quadrant_labels: Sequence[Text],
    limits: tuple[tuple[float, float], tuple[float, float]],
    language: str = DEFAULT_LANGUAGE,
) -> None:
    """Label every head: clear of the other labels, every head and the quadrant titles."""
    placer = LabelPlacer(
        axes,
        {
            "fontsize": LABEL_PT,
            "fontweight": "bold",
            "family": families(language),
            "zorder": 6,
            "linespacing": 1.0,
            "path_effects": [patheffects.withStroke(linewidth=2.6, foreground="white")],
        },
    )
    renderer = axes.figure.canvas.get_renderer()  # type: ignore[attr-defined]
    for label in quadrant_labels:
        placer.block(label.get_window_extent(renderer))
    for trail in data.trails:
        placer.block_point((trail.head.rs_ratio, trail.head.rs_momentum), head_radius_px())
        for point in trail.points[:-1]:
            placer.discourage_point((point.rs_ratio, point.rs_momentum), 6.0, 0.3)
    spans = _quadrant_spans(*limits)
    (x_low, x_high), (y_low, y_high) = limits
    scale = (x_high - x_low, y_high - y_low)
    for trail in sorted(data.trails, key=lambda t: _crowding(t, data.trails, scale)):
        placer.add(
            LabelSpec(
                texts=_label_texts(data, trail, language),
                anchor=(trail.head.rs_ratio, trail.head.rs_momentum),
                color=colors[trail.key],
                key=trail.key,
                home=spans[trail.head.quadrant],
            )
        )
    placer.place()


def plot_rrg(data: RRGChart, language: str = DEFAULT_LANGUAGE) -> bytes:
    """Draw a relative rotation graph: weekly tails, shaded quadrants, labelled latest points."""
    return _png(rrg_figure(data, language))


def _crowding(trail: RRGTrail, trails: Sequence[RRGTrail], spans: tuple[float, float]) -> float:
    """Return minus the number of other heads near this one (sort key: crowded first)."""
    near = 0
    for other in trails:
        if other is trail:
            continue
        dx = (other.head.rs_ratio - trail.head.rs_ratio) / spans[0]
        dy = (other.head.rs_momentum - trail.head.rs_momentum) / spans[1]
        near += math.hypot(dx, dy) < 0.12
    return -near


def _no_data(
    axes: Axes,
    message: str | None = None,
    language: str = DEFAULT_LANGUAGE,
) -> None:
    """Say ``message`` (already in ``language``) or that there is too little history."""
    font = families(language)
    _ = translator(language)
    axes.set_xticks([])
    axes.set_yticks([])
    axes.text(
        0.5,
        0.5,
        message or _("Not enough history for this chart"),
        transform=axes.transAxes,
        ha="center",
        va="center",
        fontsize=LABEL_PT + 1,
        color=MUTED,
        family=font,
        zorder=7,
        bbox={"boxstyle": "round,pad=0.4", "facecolor": "white", "edgecolor": GRID},
    )


# ---------------------------------------------------------------------------------------------
# Relative performance of the rotation pairs


def plot_ratios(data: RatioChart, language: str = DEFAULT_LANGUAGE) -> bytes:
    """Draw each rotation pair's lead/lag price ratio rebased to 100 at the start date."""
    return _png(ratios_figure(data, language))


def ratios_figure(data: RatioChart, language: str = DEFAULT_LANGUAGE) -> Figure:
    """Return the pair ratios as a drawn figure (``plot_ratios`` gives its PNG)."""
    language = chart_language(language)
    font = families(language)
    _ = translator(language)
    figure = _figure(RATIO_SIZE_PX)
    title = _("Rotation pairs since %(day)s", day=_long_day(data.start, language))
    subtitle = _("Lead ÷ lag price ratio, rebased to 100. Rising: the lead leg outperforms.")
    missing = [display_name(language, name) for name in data.missing] if data.lines else []
    _frame(figure, title, subtitle, data.provenance, missing, language)
    axes = figure.add_subplot()
    _style_axes(axes)
    _watermark(axes, data.provenance, language)
    axes.axhline(100.0, color="#8c959f", linewidth=1.0, linestyle=(0, (4, 3)), zorder=1)
    axes.grid(axis="y", color=GRID, linewidth=0.6, zorder=0)
    ordered = sorted(data.lines, key=lambda line: line.values[-1], reverse=True)
    colors = {line.key: PALETTE[i % len(PALETTE)] for i, line in enumerate(data.lines)}
    for line in ordered:
        axes.plot(
            np.array(line.dates, dtype="datetime64[D]"),
            np.array(line.values),
            color=colors[line.key],
            linewidth=1.8,
            label=f"{display_name(language, line.name)}  {line.values[-1]:.1f}",
            zorder=3,
        )
        axes.scatter(
            np.array(line.dates[-1:], dtype="datetime64[D]"),
            np.array(line.values[-1:]),
            s=22,
            color=colors[line.key],
            zorder=4,
        )
    # matplotlib.dates ships without type hints for these two.
    locator = mdates.AutoDateLocator(minticks=4, maxticks=7)  # type: ignore[no-untyped-call]
    formatter = mdates.ConciseDateFormatter(locator, show_offset=False)  # type: ignore[no-untyped-call]
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(formatter)
    if language != DEFAULT_LANGUAGE:
        formatter.formats = ["%Y年", "%-m月", "%-d日", "%H:%M", "%H:%M", "%S.%f"]
        formatter.zero_formats = ["", "%Y年", "%-m月", "%-d日", "%H:%M", "%H:%M"]
    axes.set_ylabel(_("Ratio, start = 100"), fontsize=LABEL_PT, color=INK, family=font)
    axes.margins(x=0.01)
    if ordered:
        axes.legend(
            loc="upper center",
            bbox_to_anchor=(0.5, -0.08),
            ncols=2,
            fontsize=TICK_PT,
            frameon=False,
            handlelength=1.4,
            columnspacing=1.2,
            prop={"family": font, "size": TICK_PT},
        )
    else:
        _no_data(axes, language=language)
    _style_ticks(axes, font)
    return figure


# ---------------------------------------------------------------------------------------------
# Sector leaderboard


def plot_sector_bars(data: BarChart, language: str = DEFAULT_LANGUAGE) -> bytes:
    """Draw the sector leaderboard as horizontal bars, best on top, values on the bars."""
    return _png(sector_bars_figure(data, language))


def sector_bars_figure(data: BarChart, language: str = DEFAULT_LANGUAGE) -> Figure:
    """Return the sector bars as a drawn figure, the benchmark's return a dashed line."""
    language = chart_language(language)
    font = families(language)
    _ = translator(language)
    figure = _figure(BAR_SIZE_PX)
    title = _(
        "Sectors, %(title)s (%(window)s)",
        title=window_titles(language).get(data.window, data.window),
        window=data.window,
    )
    subtitle = _(
        "Return of the sector ETFs to the close of %(day)s",
        day=_long_day(data.provenance.as_of, language),
    )
    _frame(figure, title, subtitle, data.provenance, (), language)
    axes = figure.add_subplot()
    _style_axes(axes)
    axes.spines["left"].set_visible(False)
    _watermark(axes, data.provenance, language)
    rows = list(reversed(data.rows))  # barh draws bottom-up; the best goes on top
    values = [row.return_pct for row in rows]
    positions = list(range(len(rows)))
    axes.barh(
        positions,
        values,
        height=0.68,
        color=[GAIN if v >= 0 else LOSS for v in values],
        zorder=2,
    )
    axes.set_yticks(
        positions, [f"{display_name(language, row.name)} ({row.ticker})" for row in rows]
    )
    axes.tick_params(axis="y", length=0, labelsize=TICK_PT + 0.5, labelcolor=INK)
    axes.axvline(0.0, color="#6e7781", linewidth=0.9, zorder=3)
    axes.grid(axis="x", color=GRID, linewidth=0.6, zorder=0)
    axes.xaxis.set_major_locator(MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10]))
    axes.xaxis.set_major_formatter(lambda v, _pos: _tick_percent(v))
    _style_ticks(axes, font)
    if not values:
        _no_data(axes, language=language)
        return figure
    reference = data.benchmark_return_pct
    extent = [*values, 0.0] + ([] if reference is None else [reference])
    low, high = min(extent), max(extent)
    pad = 0.26 * max(high - low, 1.0)
    axes.set_xlim(low - (pad if low < 0 else 0.05 * pad), high + (pad if high > 0 else 0.05 * pad))
    top = len(rows) - 0.4 if reference is None else len(rows) + 0.3
    axes.set_ylim(-0.6, top)
    # A white box under each value keeps the reference line from running through its digits.
    backing = {"boxstyle": "square,pad=0.12", "facecolor": "white", "edgecolor": "none"}
    for position, value in zip(positions, values, strict=True):
        axes.annotate(
            _signed(value, 1),
            (value, position),
            xytext=(4 if value >= 0 else -4, 0),
            textcoords="offset points",
            ha="left" if value >= 0 else "right",
            va="center",
            fontsize=LABEL_PT,
            fontweight="bold",
            color=GAIN if value >= 0 else LOSS,
            family=font,
            zorder=5,
            bbox=backing,
        )
    if reference is not None:
        axes.axvline(
            reference,
            ymax=(len(rows) - 0.45 + 0.6) / (top + 0.6),
            color=INK,
            linewidth=1.3,
            linestyle=(0, (4, 2.5)),
            zorder=4,
            gid="benchmark",
        )
        axes.text(
            reference,
            len(rows) - 0.4,
            f"{data.benchmark} {_signed(reference, 1)}",
            ha="center",
            va="bottom",
            fontsize=LABEL_PT,
            fontweight="bold",
            color=INK,
            family=font,
            zorder=5,
            gid="benchmark-label",
            bbox={"boxstyle": "round,pad=0.25", "facecolor": "white", "edgecolor": "none"},
        )
    return figure
