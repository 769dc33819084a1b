"""Place point labels on a drawn axes so that no label overlaps another, a marker or a title.

Every label has one or more texts, best first (say "Technology (XLK)", then "XLK"). Each text
is measured once on the figure's renderer; its candidate boxes sit beside, above, below and
diagonally off the anchor at growing gaps, each box's nearest point ``gap`` pixels from it. A
candidate is *allowed* when its box stays inside the axes and overlaps no blocked box
(quadrant titles, markers) and no label placed so far, all padded a little for the white
outline of the text, and when its leader line (if it needs one) crosses no blocked box and no
other label.
Among the allowed candidates a label takes the cheapest:

    cost = gap + FALLBACK_COST * text_rank + AWAY_FROM_HOME_COST * area outside its home region
           + sum(weight * overlap area with soft obstacles)

A label's longer texts (all but its last) may only sit within ``LONG_TEXT_MAX_GAP_PX`` of
their point: a name is shown where there is room for it beside its marker. Labels are placed
greedily, the most crowded first, then refined for a few passes: each is moved to its
cheapest allowed spot given all the others, and each pair of nearby labels is re-placed
together (in either order) when one of them is displaced and that costs less in sum. A move
keeps every constraint, so refining never makes an overlap. A label with no allowed spot near
its anchor searches a grid over the whole axes, and one placed farther than ``LEADER_FROM_PX``
gets a leader line to its point.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from matplotlib.axes import Axes
from matplotlib.backend_bases import RendererBase
from matplotlib.text import Annotation
from matplotlib.transforms import Bbox

FloatArray = npt.NDArray[np.float64]

#: Positions of a box slid along each side of the anchor, per gap.
SLIDES = 5
#: Gaps (pixels) between the anchor and the nearest edge of a candidate box.
GAPS_PX = (14.0, 20.0, 28.0, 38.0, 50.0, 64.0, 80.0, 100.0, 125.0)
#: Spacing (pixels) of the fallback grid over the whole axes.
GRID_STEP_PX = 12.0
#: Padding (pixels) kept between a label and anything it must not touch.
CLEARANCE_PX = 3.0
#: Cost (in pixels of gap) of each step down a label's list of texts.
FALLBACK_COST = 45.0
#: A label's longer texts are allowed only this close to their point; the last text anywhere.
LONG_TEXT_MAX_GAP_PX = 28.0
#: Cost per square pixel of a label outside its home region.
AWAY_FROM_HOME_COST = 0.01
#: Labels farther than this from their point get a leader line.
LEADER_FROM_PX = 26.0
REFINE_PASSES = 4
#: Labels whose points are this close (pixels) are also re-placed in pairs while refining.
NEIGHBOUR_PX = 220.0


@dataclass(frozen=True)
class LabelSpec:
    """A label to place: its texts (best first), the point it names and how it is drawn."""

    texts: tuple[str, ...]
    anchor: tuple[float, float]
    """The named point, in data coordinates."""
    color: str
    key: str
    """Names the drawn artists: gid ``label:KEY`` for the text, ``leader:KEY`` for its leader."""
    home: tuple[float, float, float, float] | None = None
    """A region (x0, y0, x1, y1 in data coordinates) the label should stay in if it can."""


@dataclass
class _Candidates:
    """One label's candidate boxes (display pixels) with their text rank and gap."""

    spec: LabelSpec
    anchor_px: tuple[float, float]
    sizes: list[tuple[float, float]]
    boxes: FloatArray = field(default_factory=lambda: np.zeros((0, 4)))
    ranks: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    gaps: FloatArray = field(default_factory=lambda: np.zeros(0))
    choice: int = -1


class LabelPlacer:
    """Place labels on ``axes`` (its layout final) and draw them as annotations."""

    def __init__(self, axes: Axes, style: Mapping[str, Any]) -> None:
        self.axes = axes
        self.style = dict(style)
        canvas = axes.figure.canvas
        self._renderer: RendererBase = canvas.get_renderer()  # type: ignore[attr-defined]
        self._blocked: list[tuple[float, float, float, float]] = []
        self._soft: list[tuple[float, float, float, float]] = []
        self._soft_weights: list[float] = []
        self._labels: list[_Candidates] = []

    def block(self, box: Bbox) -> None:
        """Forbid every label from overlapping ``box`` (display pixels)."""
        self._blocked.append((box.x0, box.y0, box.x1, box.y1))

    def block_point(self, xy: tuple[float, float], radius_px: float) -> None:
        """Forbid the square of ``radius_px`` around the data point ``xy``."""
        self.block(self._square(xy, radius_px))

    def discourage(self, box: Bbox, weight: float) -> None:
        """Charge ``weight`` per square pixel of a label overlapping ``box``."""
        self._soft.append((box.x0, box.y0, box.x1, box.y1))
        self._soft_weights.append(weight)

    def discourage_point(self, xy: tuple[float, float], radius_px: float, weight: float) -> None:
        """Charge ``weight`` per square pixel of overlap with the square around ``xy``."""
        self.discourage(self._square(xy, radius_px), weight)

    def add(self, spec: LabelSpec) -> None:
        """Queue a label; ``place`` chooses every queued label's spot and draws it."""
        px, py = (float(v) for v in self.axes.transData.transform(spec.anchor))
        sizes = [self._measure(text) for text in spec.texts]
        self._labels.append(_Candidates(spec, (px, py), sizes))

    def place(self) -> list[Annotation]:
        """Place the queued labels in the order added and draw them; return the labels."""
        for label in self._labels:
            self._near_candidates(label)
        fixed = [self._fixed_costs(label) for label in self._labels]
        for index, label in enumerate(self._labels):
            label.choice = self._best(index, fixed[index])
            if label.choice < 0:
                self._grid_candidates(label)
                fixed[index] = self._fixed_costs(label)
                label.choice = self._best(index, fixed[index])
            if label.choice < 0:  # nowhere free: least overlap, so the chart still draws
                every = np.ones(len(label.boxes), dtype=bool)
                own = np.where(np.isfinite(fixed[index]), fixed[index], 1e9)
                label.choice = int(np.argmin(own + 1e6 * self._violations(index, every)))
        for _ in range(REFINE_PASSES):
            moved = False
            for index, label in enumerate(self._labels):
                best = self._best(index, fixed[index])
                if best >= 0 and best != label.choice:
                    label.choice = best
                    moved = True
            moved |= self._replace_neighbours(fixed)
            if not moved:
                break
        return [self._draw(label) for label in self._labels]

    @staticmethod
    def _displaced(label: _Candidates) -> bool:
        """Return whether a label is off its point (it has a leader) or shows a shorter text."""
        return bool(label.gaps[label.choice] >= LEADER_FROM_PX or label.ranks[label.choice] > 0)

    def _replace_neighbours(self, fixed: list[FloatArray]) -> bool:
        """Re-place each pair of nearby labels together, in either order, when that is cheaper.

        One label at a time cannot give up its spot for a neighbour that has none as good; two
        at once can. Return whether any label moved.
        """
        moved = False
        anchors = np.array([label.anchor_px for label in self._labels]).reshape(-1, 2)
        for i in range(len(self._labels)):
            for j in range(i + 1, len(self._labels)):
                if float(np.hypot(*(anchors[i] - anchors[j]))) > NEIGHBOUR_PX:
                    continue
                first, second = self._labels[i], self._labels[j]
                if not (self._displaced(first) or self._displaced(second)):
                    continue  # both sit by their points with their best text: nothing to gain
                before = (first.choice, second.choice)
                cost = float(fixed[i][before[0]] + fixed[j][before[1]])
                for one, other in ((i, j), (j, i)):
                    first.choice = second.choice = -1
                    best_one = self._best(one, fixed[one])
                    self._labels[one].choice = best_one
                    best_other = self._best(other, fixed[other]) if best_one >= 0 else -1
                    self._labels[other].choice = best_other
                    if best_other >= 0:
                        new_cost = float(fixed[one][best_one] + fixed[other][best_other])
                        if new_cost < cost - 1e-6:
                            moved = True
                            break
                    first.choice, second.choice = before
        return moved

    # --- candidates ---------------------------------------------------------------------------

    def _measure(self, text: str) -> tuple[float, float]:
        probe = self._annotation(text, (0.0, 0.0), "black", "probe")
        extent = probe.get_window_extent(self._renderer)
        probe.remove()
        return float(extent.width), float(extent.height)

    def _near_candidates(self, label: _Candidates) -> None:
        """Set boxes whose nearest point lies ``gap`` from the anchor, for every gap.

        Per gap: beside the anchor (left or right edge at the gap) and above or below it (bottom
        or top edge at the gap), each slid through SLIDES positions along that edge, and the four
        diagonal corners.
        """
        px, py = label.anchor_px
        slide = np.linspace(0.0, 1.0, SLIDES)
        boxes, ranks = [], []
        for rank, (width, height) in enumerate(label.sizes):
            for gap in GAPS_PX:
                # Lower-left corners (x0, y0) of the boxes around the anchor.
                side_y = py - height * slide
                top_x = px - width * slide
                diagonal = gap / math.sqrt(2)
                x0 = np.concatenate(
                    [
                        np.full(SLIDES, px + gap),
                        np.full(SLIDES, px - gap - width),
                        top_x,
                        top_x,
                        [px + diagonal, px - diagonal - width] * 2,
                    ]
                )
                y0 = np.concatenate(
                    [
                        side_y,
                        side_y,
                        np.full(SLIDES, py + gap),
                        np.full(SLIDES, py - gap - height),
                        [py + diagonal] * 2 + [py - diagonal - height] * 2,
                    ]
                )
                boxes.append(np.column_stack([x0, y0, x0 + width, y0 + height]))
                ranks.append(np.full(len(x0), rank))
        label.boxes = np.vstack(boxes)
        label.ranks = np.concatenate(ranks).astype(np.int64)
        label.gaps = _distance_to_boxes(px, py, label.boxes)

    def _grid_candidates(self, label: _Candidates) -> None:
        """Replace a label's candidates with boxes centred on a grid over the whole axes."""
        frame = self.axes.get_window_extent(self._renderer)
        xs = np.arange(frame.x0, frame.x1, GRID_STEP_PX)
        ys = np.arange(frame.y0, frame.y1, GRID_STEP_PX)
        cx, cy = (grid.ravel() for grid in np.meshgrid(xs, ys))
        px, py = label.anchor_px
        boxes, ranks, gaps = [], [], []
        for rank, (width, height) in enumerate(label.sizes):
            box = _centred_boxes(cx, cy, width, height)
            boxes.append(box)
            ranks.append(np.full(len(cx), rank))
            gaps.append(_distance_to_boxes(px, py, box))
        label.boxes = np.vstack(boxes)
        label.ranks = np.concatenate(ranks).astype(np.int64)
        label.gaps = np.concatenate(gaps)

    # --- costs and constraints ----------------------------------------------------------------

    def _fixed_costs(self, label: _Candidates) -> FloatArray:
        """Return the costs that do not depend on other labels; inf where a box is not allowed."""
        cost = label.gaps + FALLBACK_COST * label.ranks
        last = len(label.sizes) - 1
        cost = np.where((label.ranks < last) & (label.gaps > LONG_TEXT_MAX_GAP_PX), np.inf, cost)
        if label.spec.home is not None:
            x0, y0, x1, y1 = label.spec.home
            (hx0, hy0), (hx1, hy1) = self.axes.transData.transform([(x0, y0), (x1, y1)])
            home = np.array([[min(hx0, hx1), min(hy0, hy1), max(hx0, hx1), max(hy0, hy1)]])
            boxes = label.boxes
            area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
            cost = cost + AWAY_FROM_HOME_COST * (area - _overlaps(boxes, home)[:, 0])
        if self._soft:
            soft = _overlaps(label.boxes, np.array(self._soft))
            cost = cost + soft @ np.array(self._soft_weights)
        frame = self.axes.get_window_extent(self._renderer)
        inside = (
            (label.boxes[:, 0] >= frame.x0 + CLEARANCE_PX)
            & (label.boxes[:, 1] >= frame.y0 + CLEARANCE_PX)
            & (label.boxes[:, 2] <= frame.x1 - CLEARANCE_PX)
            & (label.boxes[:, 3] <= frame.y1 - CLEARANCE_PX)
        )
        blocked_area = np.zeros(len(label.boxes))
        if self._blocked:
            padded = np.array(self._blocked) + np.array([-1, -1, 1, 1]) * CLEARANCE_PX
            blocked_area = _overlaps(label.boxes, padded).sum(axis=1)
            # A leader must not run across another marker or a title either (its own marker,
            # the one holding the anchor, it necessarily starts in).
            px, py = label.anchor_px
            blocked = np.array(self._blocked)
            around = (blocked[:, 0] <= px) & (px <= blocked[:, 2])
            around &= (blocked[:, 1] <= py) & (py <= blocked[:, 3])
            ends = _nearest_points(px, py, label.boxes)
            starts = np.broadcast_to(np.array([px, py]), ends.shape)
            crossing = _segments_cross_boxes(
                starts[:, None, :], ends[:, None, :], blocked[~around][None, :, :]
            )
            leads = label.gaps >= LEADER_FROM_PX
            blocked_area = blocked_area + np.where(leads, crossing.sum(axis=1), 0)
        result: FloatArray = np.where(inside & (blocked_area == 0), cost, np.inf)
        return result

    def _violations(self, index: int, candidates: npt.NDArray[np.bool_]) -> FloatArray:
        """Return, per candidate, how much it collides with the other labels as placed.

        A collision is a box overlapping another label's box (area, padded), the candidate's
        leader line crossing another label, or another label's leader crossing the candidate.
        Leaders are checked only for the ``candidates`` marked (the others are not allowed
        anyway).
        """
        label = self._labels[index]
        others = [
            other
            for position, other in enumerate(self._labels)
            if position != index and other.choice >= 0
        ]
        if not others:
            return np.zeros(len(label.boxes))
        padding = np.array([-1, -1, 1, 1]) * CLEARANCE_PX
        chosen = np.array([other.boxes[other.choice] for other in others]) + padding
        area: FloatArray = _overlaps(label.boxes, chosen).sum(axis=1)
        rows = np.flatnonzero(candidates & (area == 0))
        if not len(rows):
            return area
        leading = rows[label.gaps[rows] >= LEADER_FROM_PX]
        if len(leading):
            ends = _nearest_points(*label.anchor_px, label.boxes[leading])
            starts = np.broadcast_to(np.array(label.anchor_px), ends.shape)
            crossing = _segments_cross_boxes(
                starts[:, None, :], ends[:, None, :], chosen[None, :, :]
            )
            area[leading] += crossing.sum(axis=1)
        leaders = [other for other in others if other.gaps[other.choice] >= LEADER_FROM_PX]
        if leaders:
            their_starts = np.array([other.anchor_px for other in leaders])
            their_ends = np.vstack(
                [
                    _nearest_points(*other.anchor_px, other.boxes[other.choice : other.choice + 1])
                    for other in leaders
                ]
            )
            own = (label.boxes[rows] + padding)[:, None, :]
            crossed = _segments_cross_boxes(their_starts[None, :, :], their_ends[None, :, :], own)
            area[rows] += crossed.sum(axis=1)
        return area

    def _best(self, index: int, fixed: FloatArray) -> int:
        """Return the cheapest allowed candidate of label ``index``, or -1 if none is allowed."""
        allowed = np.isfinite(fixed)
        cost = np.where(self._violations(index, allowed) > 0, np.inf, fixed)
        best = int(np.argmin(cost))
        return best if math.isfinite(float(cost[best])) else -1

    # --- drawing ------------------------------------------------------------------------------

    def _square(self, xy: tuple[float, float], radius_px: float) -> Bbox:
        cx, cy = self.axes.transData.transform(xy)
        return Bbox.from_extents(cx - radius_px, cy - radius_px, cx + radius_px, cy + radius_px)

    def _annotation(
        self, text: str, offset_px: tuple[float, float], color: str, gid: str
    ) -> Annotation:
        return self.axes.annotate(
            text,
            (0.5, 0.5),
            xycoords="axes fraction",
            xytext=offset_px,
            textcoords="offset pixels",
            ha="center",
            va="center",
            multialignment="center",
            color=color,
            gid=gid,
            **self.style,
        )

    def _draw(self, label: _Candidates) -> Annotation:
        spec = label.spec
        x0, y0, x1, y1 = (float(v) for v in label.boxes[label.choice])
        px, py = label.anchor_px
        offset = ((x0 + x1) / 2 - px, (y0 + y1) / 2 - py)
        annotation = self.axes.annotate(
            spec.texts[int(label.ranks[label.choice])],
            spec.anchor,
            xytext=offset,
            textcoords="offset pixels",
            ha="center",
            va="center",
            multialignment="center",
            color=spec.color,
            gid=f"label:{spec.key}",
            **self.style,
        )
        if float(label.gaps[label.choice]) >= LEADER_FROM_PX:
            end = _nearest_point(px, py, (x0, y0, x1, y1))
            self.axes.annotate(
                "",
                spec.anchor,
                xytext=(end[0] - px, end[1] - py),
                textcoords="offset pixels",
                arrowprops={
                    "arrowstyle": "-",
                    "color": spec.color,
                    "linewidth": 1.0,
                    "shrinkA": 1,
                    "shrinkB": 5,
                },
                zorder=4,
                gid=f"leader:{spec.key}",
            )
        return annotation


def _centred_boxes(cx: FloatArray, cy: FloatArray, width: float, height: float) -> FloatArray:
    """Return boxes (x0, y0, x1, y1) of one size centred on each (cx, cy)."""
    return np.column_stack([cx - width / 2, cy - height / 2, cx + width / 2, cy + height / 2])


def _overlaps(boxes: FloatArray, others: FloatArray) -> FloatArray:
    """Return the overlap area (px²) of each box with each other box, shape (boxes, others)."""
    width = np.minimum(boxes[:, None, 2], others[None, :, 2]) - np.maximum(
        boxes[:, None, 0], others[None, :, 0]
    )
    height = np.minimum(boxes[:, None, 3], others[None, :, 3]) - np.maximum(
        boxes[:, None, 1], others[None, :, 1]
    )
    overlap: FloatArray = np.clip(width, 0.0, None) * np.clip(height, 0.0, None)
    return overlap


def _distance_to_boxes(px: float, py: float, boxes: FloatArray) -> FloatArray:
    """Return the distance (px) from a point to the nearest point of each box."""
    dx = np.maximum.reduce([boxes[:, 0] - px, np.zeros(len(boxes)), px - boxes[:, 2]])
    dy = np.maximum.reduce([boxes[:, 1] - py, np.zeros(len(boxes)), py - boxes[:, 3]])
    distance: FloatArray = np.hypot(dx, dy)
    return distance


def _nearest_point(
    px: float, py: float, box: tuple[float, float, float, float]
) -> tuple[float, float]:
    """Return the point of ``box`` nearest to (px, py)."""
    return min(max(px, box[0]), box[2]), min(max(py, box[1]), box[3])


def _nearest_points(px: float, py: float, boxes: FloatArray) -> FloatArray:
    """Return the point of each box nearest to (px, py), shape (boxes, 2)."""
    points: FloatArray = np.column_stack(
        [np.clip(px, boxes[:, 0], boxes[:, 2]), np.clip(py, boxes[:, 1], boxes[:, 3])]
    )
    return points


def _segments_cross_boxes(
    starts: FloatArray, ends: FloatArray, boxes: FloatArray
) -> npt.NDArray[np.bool_]:
    """Return whether each segment starts -> ends passes through each box (Liang-Barsky).

    Shapes broadcast: points (..., 2) against boxes (..., 4), e.g. (n, 1, 2) with (1, k, 4)
    for every segment against every box.
    """
    direction = ends - starts
    shape = np.broadcast_shapes(starts.shape[:-1], boxes.shape[:-1])
    low = np.zeros(shape)
    high = np.ones(shape)
    hit = np.ones(shape, dtype=bool)
    for axis in (0, 1):
        d = direction[..., axis]
        lower = boxes[..., axis] - starts[..., axis]
        upper = boxes[..., axis + 2] - starts[..., axis]
        flat = np.abs(d) < 1e-12
        hit &= ~flat | ((lower <= 0) & (upper >= 0))
        with np.errstate(divide="ignore", invalid="ignore"):
            t0 = np.where(flat, -np.inf, np.minimum(lower / d, upper / d))
            t1 = np.where(flat, np.inf, np.maximum(lower / d, upper / d))
        low = np.maximum(low, t0)
        high = np.minimum(high, t1)
    result: npt.NDArray[np.bool_] = hit & (low < high)
    return result


def boxes_overlap(first: Bbox, second: Bbox) -> bool:
    """Return whether two boxes share any area (touching edges do not count)."""
    width = min(first.x1, second.x1) - max(first.x0, second.x0)
    height = min(first.y1, second.y1) - max(first.y0, second.y0)
    return bool(width > 0 and height > 0)


def overlapping_pairs(boxes: Sequence[Bbox]) -> list[tuple[int, int]]:
    """Return the index pairs of boxes that overlap."""
    return [
        (i, j)
        for i in range(len(boxes))
        for j in range(i + 1, len(boxes))
        if boxes_overlap(boxes[i], boxes[j])
    ]
