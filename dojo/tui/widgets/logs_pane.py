"""LogsPane: a filter bar (text or /regex/, service, level) over a LogView.

Attributes (down): `now` (bound to the LogView), the table through `set_logs`, and `show_service`
to narrow the filter from elsewhere (the service map). LogView's messages bubble up through it.
Messages (up): `Committed` when the learner settles on a filter (Enter in the text box, or a
pick in a picker), as opposed to the live filtering while typing: a screen records those.
"""

from __future__ import annotations

import math
from datetime import datetime

import pyarrow as pa
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Input, Select, Static

from dojo.scenario.vocabulary import LEVELS

from ..data.log_rows import LogColumns, LogFilter, Matcher
from ..plain import plain
from .log_view import LogView
from .row_list import show_titles_on


def parse_filter_text(raw: str) -> tuple[str, bool]:
    """`/pattern/` is a regular expression; anything else is a plain substring."""
    if len(raw) >= 2 and raw.startswith("/") and raw.endswith("/"):
        return raw[1:-1], True
    return raw, False


class LogsPane(Vertical):
    BINDINGS = [Binding("escape", "clear_filter", "Clear filter", show=False, id="logs.clear-filter")]

    now: reactive[float] = reactive(math.inf)

    class Committed(Message):
        def __init__(self, pane: LogsPane, filter: LogFilter):
            super().__init__()
            self.pane, self.filter = pane, filter

        @property
        def control(self) -> LogsPane:
            return self.pane

    def compose(self) -> ComposeResult:
        with Horizontal(classes="filter-bar"):
            yield Input(placeholder="filter: text or /regex/  (smart case)", id="log-filter-text", compact=True)
            yield Select([], prompt="any service", id="log-filter-service", compact=True)
            yield Select(
                [(f"{name}+", name) for name in LEVELS[1:]], prompt="any level", id="log-filter-level", compact=True
            )
        yield LogView(id="log-view").data_bind(LogsPane.now)
        # The selected line in full, wrapped: a long line is read here, not scrolled to.
        yield Static("", id="log-line", markup=False)

    def on_mount(self) -> None:
        self.query_one("#log-line", Static).display = False
        show_titles_on(self, self.log_view)

    @property
    def log_view(self) -> LogView:
        return self.query_one(LogView)

    def set_logs(
        self,
        logs: pa.Table,
        start: datetime,
        matcher: Matcher | None,
        sample: float | None = None,
        widths: tuple[int, int, int] | None = None,
    ) -> None:
        view = self.log_view
        view.set_logs(logs, start, matcher, sample, widths)
        services = view.columns.services if view.columns is not None else []
        with self.prevent(Select.Changed):
            self.query_one("#log-filter-service", Select).set_options([(plain(s), s) for s in services])

    def replace_logs(self, logs: pa.Table, matcher: Matcher | None, columns: LogColumns | None = None) -> None:
        """The incident's lines after a learner's action: the same services, so the pickers and
        the filter stay as the learner left them (LogView.replace_logs)."""
        self.log_view.replace_logs(logs, matcher, columns)

    def show_service(self, service: str | None) -> None:
        self.query_one("#log-filter-service", Select).value = service if service else Select.NULL

    @on(Input.Changed, "#log-filter-text")
    @on(Select.Changed, "#log-filter-service")
    @on(Select.Changed, "#log-filter-level")
    def _filter_changed(self, event: Input.Changed | Select.Changed) -> None:
        event.stop()
        text, regex = parse_filter_text(self.query_one("#log-filter-text", Input).value)
        service = self.query_one("#log-filter-service", Select).value
        level = self.query_one("#log-filter-level", Select).value
        self.log_view.filter = LogFilter(
            text=text,
            regex=regex,
            service=service if isinstance(service, str) else None,
            level=level if isinstance(level, str) else None,
        )
        if isinstance(event, Select.Changed):
            self.post_message(self.Committed(self, self.log_view.filter))

    @on(Input.Submitted, "#log-filter-text")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.log_view.focus()  # Enter hands the keys to the lines: the filter is live already
        self.post_message(self.Committed(self, self.log_view.filter))

    def on_log_view_line_selected(self, message: LogView.LineSelected) -> None:
        text = self.log_view.selected_text
        line = self.query_one("#log-line", Static)
        line.update(text or "")
        line.display = bool(text)

    def on_log_view_filtered(self, message: LogView.Filtered) -> None:
        self.query_one("#log-filter-text", Input).set_class(bool(message.error), "-invalid")

    def action_clear_filter(self) -> None:
        self.query_one("#log-filter-text", Input).value = ""
        self.query_one("#log-filter-service", Select).value = Select.NULL
        self.query_one("#log-filter-level", Select).value = Select.NULL
