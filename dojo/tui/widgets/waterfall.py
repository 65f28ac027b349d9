"""Waterfall: one trace as an indented span tree with time bars, on the Line API.

Each row is a span: indent by depth, service and operation, a bar placed on the trace's time
axis, and its duration. Failed spans are red; a repeated call under the same parent is marked
as a retry (↻2/4), so a retry storm reads as a column of red bars.

The tree is the engine's (`Signals.trace`: the `trace` query's answer), with its attempt
numbers; this widget only lays it out.

Attributes (down): the trace (a SpanNode root) through `show_trace`.
Messages (up): `SpanSelected` when the cursor lands on a span (with its pin id, S<trace>:<span>).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.strip import Strip

from dojo.scenario.vocabulary import DEFAULT_START
from dojo.terminal_text import visible_line

from ..data import units
from .row_list import RowList

if TYPE_CHECKING:  # pragma: no cover - annotations only: the pane is drawn before these load
    from dojo.engine.api import SpanNode

LABEL_MAX, DURATION_WIDTH = 44, 9
VALUE_MAX = 80  # an attribute's value in the span detail (a db.statement can be pages long)


class Waterfall(RowList):
    BINDINGS = [Binding("enter", "choose", "Pin span", id="waterfall.pin")]
    COMPONENT_CLASSES = {"waterfall--muted", "waterfall--ok", "waterfall--error", "waterfall--retry"}

    class SpanSelected(Message):
        def __init__(self, waterfall: Waterfall, item: str, span: SpanNode):
            super().__init__()
            self.waterfall, self.item, self.span = waterfall, item, span

        @property
        def control(self) -> Waterfall:
            return self.waterfall

    class PinRequested(SpanSelected):
        """The learner asked to pin the span under the cursor as evidence."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.trace_id = ""
        self.spans: list[SpanNode] = []
        self.depths: list[int] = []
        self._t0 = 0.0
        self._total_ms = 1.0
        self._origin = DEFAULT_START
        self.heading = "Waterfall"
        self.placeholder = "pick a trace in the trace list (↑↓) to see its spans"

    def show_trace(self, trace_id: str, root: SpanNode | None, start: datetime) -> None:
        """Show the engine's tree of `trace_id` (None: a trace with no spans to show)."""
        self.trace_id, self._origin = trace_id, start
        rows = list(root.walk()) if root is not None else []
        self.depths = [d for d, _ in rows]
        self.spans = [n for _, n in rows]
        if self.spans:
            self._t0 = min(s.t for s in self.spans)
            end = max(s.t + s.duration_ms / 1000 for s in self.spans)
            self._total_ms = max((end - self._t0) * 1000, 1e-3)
        self.cursor = None
        self._strips.clear()
        self.set_rows(len(self.spans))
        self.scroll_to(y=0, animate=False, force=True)
        errors = sum(s.status == "error" for s in self.spans)
        self.heading = (
            f"Trace {trace_id[:8]} · {root.service} {root.name} · {units.duration_ms(root.duration_ms)} · "
            f"{len(self.spans)} spans" + (f" · {errors} failed" if errors else "")
            if root
            else "Waterfall · no spans"
        )
        self.status = f"started {units.clock(start, self._t0)}" if root else ""

    def pin_id(self, row: int) -> str:
        return self.spans[row].id

    def cursor_moved(self, row: int | None) -> None:
        if row is None:
            return
        span = self.spans[row]
        self.status = span_detail(span)
        self.post_message(self.SpanSelected(self, span.id, span))

    def row_chosen(self, row: int) -> None:
        self.post_message(self.PinRequested(self, self.spans[row].id, self.spans[row]))

    def on_resize(self, event: events.Resize) -> None:
        self._strips.clear()  # bars are laid out on the width

    def build_row(self, row: int) -> Strip:
        span = self.spans[row]
        width = self.scrollable_content_region.width
        label_w = min(LABEL_MAX, max(12, width * 2 // 5))
        bar_w = max(width - label_w - DURATION_WIDTH - 2, 4)
        style = self.get_component_rich_style
        muted, ok, error, retry = (style(f"waterfall--{n}") for n in ("muted", "ok", "error", "retry"))
        failed = span.status == "error"
        colour = error if failed else retry if span.attempt > 1 else ok

        text = Text(no_wrap=True, end="")
        label = "  " * self.depths[row] + visible_line(f"{span.service} {span.name}")
        mark = f" ↻{span.attempt}/{span.attempts}" if span.attempts > 1 else ""
        label = label[: label_w - len(mark) - 1].ljust(label_w - len(mark) - 1)
        text.append(label + " ", error if failed else None)
        if mark:
            text.append(mark, retry)
        # The bar on the trace's axis: start and length in cells, at least one cell wide.
        start = int((span.t - self._t0) * 1000 / self._total_ms * bar_w)
        length = max(1, round(span.duration_ms / self._total_ms * bar_w))
        start = min(start, bar_w - 1)
        length = min(length, bar_w - start)
        text.append(" " + "·" * start, muted)
        text.append("█" * length, colour)
        text.append(" " * (bar_w - start - length))
        text.append(f" {units.duration_ms(span.duration_ms):>{DURATION_WIDTH}}", error if failed else muted)
        return self.text_strip(text)


def span_detail(span: SpanNode) -> str:
    """What the waterfall says of the span under the cursor: its service, status and message,
    then what an imported span carried (its attributes, its events with their offset into the
    span). Plain text, escaped where it is shown (RowList.status): an imported span's text is a
    stranger's."""
    parts = [span.service, span.status] + ([span.message] if span.message else [])
    if span.attributes:
        parts.append(_pairs(span.attributes))
    for e in span.events:
        attrs = _pairs(e.attributes)
        at = units.duration_ms(max(0.0, (e.t - span.t) * 1000))
        parts.append(f"⚑ {e.name} +{at}" + (f" ({attrs})" if attrs else ""))
    return " · ".join(parts)


def _pairs(values: dict) -> str:
    return " ".join(f"{k}={_short(v)}" for k, v in values.items())


def _short(value: object) -> str:
    text = str(value)
    return text if len(text) <= VALUE_MAX else text[: VALUE_MAX - 1] + "…"
