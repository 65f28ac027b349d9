"""TracesPane: filters (service, status, minimum duration) over a TraceList.

Attributes (down): `now` (bound to the TraceList) and the engine's traces through `set_source`.
The filters are the headless `traces` query's: a trace is listed when one of its spans matches
the service, status and minimum duration together.
TraceList's messages bubble up through it; the screen opens the chosen trace in a Waterfall.
Messages (up): `Committed` when a picker changes or Enter is pressed in the duration box (not
on every digit typed): a screen records those.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Input, Select

from ..plain import plain
from .row_list import show_titles_on
from .trace_list import TraceList, TraceSource

if TYPE_CHECKING:  # pragma: no cover
    from dojo.engine.api import TraceQuery

MAX_MS = 1e12


class TracesPane(Vertical):
    now: reactive[float] = reactive(math.inf)

    class Committed(Message):
        def __init__(self, pane: TracesPane, query: TraceQuery):
            super().__init__()
            self.pane, self.query = pane, query

        @property
        def control(self) -> TracesPane:
            return self.pane

    def compose(self) -> ComposeResult:
        with Horizontal(classes="filter-bar"):
            yield Select([], prompt="any service", id="trace-filter-service", compact=True)
            yield Select(
                [("ok", "ok"), ("error", "error")], prompt="any status", id="trace-filter-status", compact=True
            )
            yield Input(placeholder="min ms", type="number", id="trace-filter-min", compact=True)
        yield TraceList(id="trace-list").data_bind(TracesPane.now)

    def on_mount(self) -> None:
        show_titles_on(self, self.trace_list)

    @property
    def trace_list(self) -> TraceList:
        return self.query_one(TraceList)

    def set_source(self, source: TraceSource, services: list[str], start: datetime) -> None:
        self.trace_list.set_source(source, start)
        with self.prevent(Select.Changed):
            self.query_one("#trace-filter-service", Select).set_options([(plain(s), s) for s in services])

    @on(Select.Changed)
    @on(Input.Changed)
    def _filter_changed(self, event: Select.Changed | Input.Changed) -> None:
        event.stop()
        service = self.query_one("#trace-filter-service", Select).value
        status = self.query_one("#trace-filter-status", Select).value
        try:
            min_ms = max(float(self.query_one("#trace-filter-min", Input).value or 0), 0.0)
        except ValueError:  # a lone "-" or "." while typing
            min_ms = 0.0
        if not math.isfinite(min_ms):  # "1e999": longer than any trace, not a crash
            min_ms = MAX_MS
        from dojo.engine.api import TraceQuery  # loaded by the time a filter is touched

        self.trace_list.trace_query = TraceQuery(
            service=service if isinstance(service, str) else None,
            status="error" if status == "error" else "ok" if status == "ok" else None,
            min_ms=min_ms or None,
        )
        if isinstance(event, Select.Changed):
            self.post_message(self.Committed(self, self.trace_list.listed_query))

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.trace_list.focus()
        self.post_message(self.Committed(self, self.trace_list.listed_query))
