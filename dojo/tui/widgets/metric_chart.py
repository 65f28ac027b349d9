"""MetricChart: one metric of one service over the incident, in braille, on the Line API.

The x axis is the whole scenario, so the line grows to the right as the clock runs and the
"now" marker shows how much is still to come; an alert's threshold is a dashed line and the
part of the line past it takes the alert colour. A window (the span a pin would take) is shaded.

Attributes (down): `now`, and the series and window through `set_series`. It posts no messages.
"""

from __future__ import annotations

import math

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

from ..data import braille, units

GUTTER = 8  # value labels and the axis
THRESHOLD_CHAR, NOW_CHAR = "╌", "│"


def nice_ceiling(value: float) -> float:
    """The next 1, 2, 2.5 or 5 times a power of ten: axis tops people can read."""
    if not math.isfinite(value) or value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power


class MetricChart(Widget):
    COMPONENT_CLASSES = {
        "metric-chart--line",
        "metric-chart--over",
        "metric-chart--threshold",
        "metric-chart--now",
        "metric-chart--axis",
        "metric-chart--window",
    }

    now: reactive[float] = reactive(0.0)

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None):
        super().__init__(name=name, id=id, classes=classes)
        self.metric = ""
        self.t = np.zeros(0)
        self.values = np.zeros(0)
        self.duration = 1.0
        self.threshold: float | None = None
        self.above = True
        self.window: tuple[float, float] | None = None
        self._lines: list[Strip] = []
        self._key: tuple | None = None

    def set_series(
        self, t: np.ndarray, values: np.ndarray, *, metric: str, duration: float, threshold: float | None = None,
        above: bool = True,
        window: tuple[float, float] | None = None,
    ) -> None:  # fmt: skip
        """Show `values` at times `t` (seconds) on an axis from 0 to `duration`, with the
        `window` (t0, t1) shaded."""
        self.t, self.values, self.metric = np.asarray(t, float), np.asarray(values, float), metric
        self.duration, self.threshold, self.above, self.window = max(duration, 1.0), threshold, above, window
        self._key = None
        self.refresh()

    def watch_now(self) -> None:
        self._key = None
        self.refresh()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._key = None

    @property
    def y_top(self) -> float:
        peak = float(np.nanmax(self.values)) if len(self.values) and not np.isnan(self.values).all() else 0.0
        if self.threshold is not None:
            peak = max(peak, self.threshold * 1.2)
        return nice_ceiling(peak * 1.05)

    def render_line(self, y: int) -> Strip:
        width, height = self.content_region.width, self.content_region.height
        key = (width, height, len(self.t), self.window)
        if key != self._key:
            self._lines = self._draw(width, height)
            self._key = key
        return self._lines[y] if y < len(self._lines) else Strip.blank(width, self.rich_style)

    def _draw(self, width: int, height: int) -> list[Strip]:
        plot_w, plot_h = width - GUTTER, height - 1
        base = self.rich_style
        if plot_w < 4 or plot_h < 2:
            return [Strip.blank(width, base) for _ in range(height)]
        style = {
            name: self.get_component_rich_style(f"metric-chart--{name}")
            for name in ("line", "over", "threshold", "now", "axis", "window")
        }
        y_range, x_range = (0.0, self.y_top), (0.0, self.duration)
        cells = braille.plot(self.t, self.values, plot_w, plot_h, x_range, y_range)
        thr_row = None if self.threshold is None else braille.cell_row(self.threshold, y_range, plot_h)
        now_col = int(braille.scale(np.array([self.now]), *x_range, 2 * plot_w)[0]) // 2
        labels = {0: y_range[1], plot_h // 2: y_range[1] / 2, plot_h - 1: 0.0}
        shaded = range(0)
        if self.window is not None:
            lo, hi = (int(c) // 2 for c in braille.scale(np.array(self.window), *x_range, 2 * plot_w))
            shaded = range(lo, hi + 1)
        lines = []
        for y in range(plot_h):
            value = self.threshold if y == thr_row else labels.get(y)
            label = "" if value is None else units.metric_value(self.metric, value)
            tick = "┤" if value is not None else "│"
            segments = [
                Segment(f"{label:>{GUTTER - 2}} ", style["threshold"] if y == thr_row else style["axis"]),
                Segment(tick, style["axis"]),
            ]
            over = thr_row is not None and (y < thr_row if self.above else y > thr_row)
            segments += _runs(
                _shade(self._row_cells(cells[y], y == thr_row, now_col, over, style), shaded, style["window"])
            )
            lines.append(Strip(segments, width))
        lines.append(
            Strip([Segment(" " * (GUTTER - 1) + "└", style["axis"]), *self._x_axis(plot_w, now_col, style)], width)
        )
        return lines

    @staticmethod
    def _row_cells(row: np.ndarray, is_threshold: bool, now_col: int, over: bool, style: dict[str, Style]):
        for x, mask in enumerate(row):
            if mask:
                yield chr(braille.BRAILLE_BASE + int(mask)), style["over" if over else "line"]
            elif is_threshold:
                yield THRESHOLD_CHAR, style["threshold"]
            elif x == now_col:
                yield NOW_CHAR, style["now"]
            else:
                yield " ", style["line"]

    def _x_axis(self, plot_w: int, now_col: int, style: dict[str, Style]) -> list[Segment]:
        chars = [" "] * plot_w
        styles = [style["axis"]] * plot_w

        taken: list[range] = []

        def put(at: int, text: str, st: Style) -> None:
            at = max(0, min(at, plot_w - len(text)))
            span = range(at - 1, at + len(text) + 1)  # a cell of air on each side
            if any(span.start < t.stop and t.start < span.stop for t in taken):
                return  # the now label came first; an end label under it is dropped
            taken.append(span)
            for i, ch in enumerate(text):
                chars[at + i], styles[at + i] = ch, st

        mark = f"▲{units.offset(self.now)}"
        put(now_col if now_col + len(mark) <= plot_w else now_col - len(mark) + 1, mark, style["now"])
        put(0, "T+0", style["axis"])
        put(plot_w, units.offset(self.duration), style["axis"])
        return _runs(zip(chars, styles))


def _shade(cells, columns: range, window: Style):
    """The cells, with the window's background under those in `columns`."""
    if not columns:
        yield from cells
        return
    under = Style(bgcolor=window.bgcolor)
    combined: dict[int, Style] = {}  # one Style per colour, so neighbouring cells still join in runs
    for x, (ch, st) in enumerate(cells):
        if x in columns:
            st = combined.get(id(st)) or combined.setdefault(id(st), st + under)
        yield ch, st


def _runs(cells) -> list[Segment]:
    """Join neighbouring cells of one style into one segment."""
    out: list[Segment] = []
    text: list[str] = []
    current = None
    for ch, st in cells:
        if st is not current and text:
            out.append(Segment("".join(text), current))
            text = []
        current = st
        text.append(ch)
    if text:
        out.append(Segment("".join(text), current))
    return out
