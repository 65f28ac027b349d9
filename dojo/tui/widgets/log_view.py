"""LogView: a million log lines on the Line API, painted a page at a time.

Rows are display indices into the log table: every row, or only the rows a filter matched (a
numpy array computed in a worker). Only rows with t <= `now` exist on screen; as `now` advances
the view follows the tail, unless the learner has scrolled back, in which case it counts the
lines that arrived meanwhile. Text is built only for pages that are painted, and kept as Strips.

A filter is matched in two passes: the rows that have happened (and a little beyond), whose
result is shown at once, then the rest of the incident, which extends it. Early in an incident
most of a million lines are still in the future, and the learner waits only for what is visible.

Attributes (down): `now`, `filter`, and the table itself through `set_logs`.
Messages (up): `Filtered`, `LineSelected` (cursor moved), `PinRequested` (Enter or p).
"""

from __future__ import annotations

import math
import time
from datetime import datetime

import numpy as np
import pyarrow as pa
from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import work
from textual.binding import Binding
from textual.cache import LRUCache
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip
from textual.worker import get_current_worker

from dojo.engine.textsearch import match_spans
from dojo.scenario.vocabulary import DEFAULT_START, LEVELS
from dojo.telemetry.arrays import indices
from dojo.telemetry.text import plain_lines, sample_note
from dojo.terminal_text import visible_line

from ..data.log_rows import FilterError, LogColumns, LogFilter, Matcher
from .row_list import RowList

PAGE = 64  # rows rendered together: one take() and one plain_lines() per page, not per row
LOOKAHEAD_S = 300.0  # the first pass of a filter covers this much scenario time past now
PAINT_FIRST_S = 0.15
TIME_WIDTH = len("2026-03-10T14:00:00.000Z")
CLOCK = slice(11, 23)  # the time of day within the ISO timestamp: 14:00:00.000
LEVEL_WIDTH = 5
LEVEL_CLASSES = [f"log-view--{name.lower()}" for name in LEVELS]


class LogView(RowList):
    BINDINGS = [
        Binding("enter,p", "choose", "Pin line", id="logs.pin"),
        Binding("end,G", "follow", "Follow tail", id="logs.follow"),
        Binding("o", "open_trace", "Open trace", id="logs.open-trace"),
        Binding("w", "toggle_wide", "Wide lines", show=False, id="logs.wide"),
    ]
    COMPONENT_CLASSES = {"log-view--time", "log-view--service", "log-view--host", "log-view--match", *LEVEL_CLASSES}

    now: reactive[float] = reactive(math.inf)
    """Scenario time: only lines with t <= now are shown."""
    filter: reactive[LogFilter] = reactive(LogFilter, init=False)
    """What to show; a change starts a filter worker."""
    follow: reactive[bool] = reactive(True, init=False)
    """Whether the view sticks to the newest line (False once the learner scrolls back)."""
    pending: reactive[int] = reactive(0, init=False)
    """Lines that arrived while the learner was scrolled back."""
    filter_error: reactive[str] = reactive("", init=False)
    wide: reactive[bool] = reactive(False, init=False)
    _sample: float | None = None  # the chance a request writes its line, when known
    """Lines as in logs.log (date and host included); narrow, they start with the time of day
    and skip the host, so the message fits a pane."""

    class Filtered(Message):
        """A filter pass finished: `rows` are the matching table rows among the first `covered`
        (None: all rows); a first pass is followed by the full one."""

        def __init__(
            self,
            log_view: LogView,
            filter: LogFilter,
            rows: np.ndarray | None,
            seconds: float,
            error: str = "",
            covered: int | None = None,
            table: LogColumns | None = None,
        ):
            super().__init__()
            self.log_view, self.filter, self.rows, self.seconds, self.error = log_view, filter, rows, seconds, error
            self.covered = covered  # None: the whole table
            self.table = table  # the columns the rows index (None: not said)

        @property
        def control(self) -> LogView:
            return self.log_view

    class LineSelected(Message):
        """The cursor is on a line; `line_id` is its stable pin id (L<id>)."""

        def __init__(self, log_view: LogView, line_id: str, t: float):
            super().__init__()
            self.log_view, self.line_id, self.t = log_view, line_id, t

        @property
        def control(self) -> LogView:
            return self.log_view

    class TraceRequested(Message):
        """The learner asked to open the trace the line under the cursor belongs to."""

        def __init__(self, log_view: LogView, trace_id: str):
            super().__init__()
            self.log_view, self.trace_id = log_view, trace_id

        @property
        def control(self) -> LogView:
            return self.log_view

    class PinRequested(Message):
        """The learner asked to pin the line under the cursor as evidence."""

        def __init__(self, log_view: LogView, line_id: str, t: float, text: str):
            super().__init__()
            self.log_view, self.line_id, self.t, self.text = log_view, line_id, t, text

        @property
        def control(self) -> LogView:
            return self.log_view

    def __init__(
        self, logs: pa.Table | None = None, start: datetime = DEFAULT_START, matcher: Matcher | None = None, **kwargs
    ):
        super().__init__(**kwargs)
        self._cols: LogColumns | None = None
        self._matcher = matcher
        self._origin = start
        self._match: np.ndarray | None = None  # table rows shown, ascending; None: all
        self._covered: int | None = None  # _match holds the matches among rows [0, _covered); None: all rows
        self._pages: LRUCache[int, list[Strip]] = LRUCache(16)  # 1,024 rows: many screens, few survivors for the GC
        self._cursor_row: int | None = None  # table row under the cursor, stable across filters
        self._announced: str | None = None
        self._shown = LogFilter()  # the filter whose rows are on screen (a newer one may be running)
        self._initial = logs
        self.last_filter_seconds = 0.0

    def on_mount(self) -> None:
        if self._initial is not None:
            self.set_logs(self._initial, self._origin, self._matcher)
            self._initial = None

    # -- data in -------------------------------------------------------------------------------

    def set_logs(
        self,
        logs: pa.Table,
        start: datetime,
        matcher: Matcher | None,
        sample: float | None = None,
        widths: tuple[int, int, int] | None = None,
    ) -> None:
        """Show `logs`; `matcher` is the engine's filter over the same table (data.log_rows).
        Request lines are a sample of the requests: the title says how big (`sample`; None: not known).
        `widths`: the table's field_widths, if known (a briefing card keeps them)."""
        self._sample = sample
        self._cols = LogColumns(logs, widths)
        self._matcher = matcher
        self._origin = start
        self._match = None
        self._covered = None
        self._cursor_row = None
        self.cursor = None
        self._pages.clear()
        self._width = _widest_line(self._cols, self.wide)
        self._refilter()
        self._update_rows()
        self._update_titles()

    def replace_logs(self, logs: pa.Table, matcher: Matcher | None, columns: LogColumns | None = None) -> None:
        """The same incident with its future changed (a learner's action): the rows that have
        happened by `now` are the same rows at the same places in `logs`, so the cursor, the
        scroll position, following and the filter all stay; what the filter matches after them
        is matched again on the new table. `columns`: LogColumns(logs), made off the UI thread
        (a tenth of a second on a million lines)."""
        if self._cols is None:
            self.set_logs(logs, self._origin, matcher, self._sample)
            return
        self._cols = columns if columns is not None else LogColumns(logs)
        self._matcher = matcher
        self._pages.clear()
        self._width = _widest_line(self._cols, self.wide)
        if self._match is not None:
            seen = self._data.visible(self.now) if math.isfinite(self.now) else 0
            self._match = self._match[: int(np.searchsorted(self._match, seen))]
            self._covered = seen  # known up to here; the filter worker brings the rest
        self._refilter()
        self._update_rows()
        self._update_titles()

    @property
    def columns(self) -> LogColumns | None:
        return self._cols

    @property
    def _data(self) -> LogColumns:
        assert self._cols is not None  # rows, a cursor and pages exist only once set_logs has run
        return self._cols

    @property
    def match_count(self) -> int:
        """Rows passing the filter over the whole incident, future included (once the second
        pass is in)."""
        if self._cols is None:
            return 0
        return len(self._cols) if self._match is None else len(self._match)

    def table_rows(self, lo: int, hi: int) -> np.ndarray:
        """Table row of each display row in [lo, hi)."""
        if self._match is None:
            return np.arange(lo, min(hi, len(self._data)), dtype=np.int64)
        return self._match[lo:hi]

    # -- the horizon: rows with t <= now ---------------------------------------------------------

    def _visible_count(self) -> int:
        if self._cols is None:
            return 0
        n = self._data.visible(self.now)
        if self._match is None:
            return n
        if self._covered is not None:
            n = min(n, self._covered)  # past the first pass nothing is known yet
        return int(np.searchsorted(self._match, n))

    def watch_now(self) -> None:
        self._update_rows()

    def _update_rows(self) -> None:
        count, old = self._visible_count(), self.row_count
        if count == old:
            return
        following = self.follow
        self.set_rows(count)
        if following:
            self.scroll_to(y=self.max_scroll_y, animate=False, force=True)
        elif count > old:
            self.pending += count - old
        self._update_titles()

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        at_end = round(new) >= self.max_scroll_y
        self.follow = at_end
        if at_end:
            self.pending = 0

    def watch_wide(self) -> None:
        self._pages.clear()
        if self._cols is not None:
            self.set_rows(self.row_count, width=_widest_line(self._data, self.wide))

    def action_toggle_wide(self) -> None:
        self.wide = not self.wide

    def watch_follow(self) -> None:
        self._update_titles()

    def watch_pending(self) -> None:
        self._update_titles()

    def watch_filter_error(self) -> None:
        self._update_titles()

    def action_follow(self) -> None:
        self.follow = True
        self.pending = 0
        self.scroll_to(y=self.max_scroll_y, animate=False, force=True)

    def jump_to_time(self, t: float) -> None:
        """Put the cursor on the first shown line at or after `t` (the last one before now)."""
        if self._cols is None or self.row_count == 0:
            return
        times = self._data.t if self._match is None else self._data.t[self._match]
        row = min(int(np.searchsorted(times, t, side="left")), self.row_count - 1)
        self.cursor = row
        self.scroll_to(y=max(0, row - self.scrollable_content_region.height // 3), animate=False, force=True)

    # -- filtering -------------------------------------------------------------------------------

    def watch_filter(self) -> None:
        self._refilter()

    def _refilter(self) -> None:
        if self._cols is None:
            return
        if self.filter.is_empty:
            # No work to do: apply at once rather than through a worker and a message.
            self._apply_match(self.filter, None)
            return
        first = self._data.visible(self.now + LOOKAHEAD_S) if math.isfinite(self.now) else len(self._cols)
        self._filter_worker(self._cols, self._matcher, self.filter, first)

    @work(thread=True, exclusive=True, group="log-filter")
    def _filter_worker(self, cols: LogColumns, matcher: Matcher | None, flt: LogFilter, first: int) -> None:
        started = time.perf_counter()
        worker = get_current_worker()
        try:
            if matcher is None:
                raise FilterError("no engine to filter with")
            head = matcher(flt, 0, first)
            if first < len(cols):
                if worker.is_cancelled:
                    return
                self.post_message(
                    self.Filtered(self, flt, head, time.perf_counter() - started, covered=first, table=cols)
                )
                time.sleep(PAINT_FIRST_S)  # the UI paints what is visible before this thread takes the CPU again
                if worker.is_cancelled:
                    return
                tail = matcher(flt, first, len(cols))
                head = np.concatenate([head, tail])
            rows, error = head, ""
        except FilterError as exc:
            rows, error = None, str(exc)
        if not worker.is_cancelled:
            self.post_message(self.Filtered(self, flt, rows, time.perf_counter() - started, error, table=cols))

    def on_log_view_filtered(self, message: Filtered) -> None:
        if message.log_view is not self:
            return
        if message.filter != self.filter or self._cols is None:
            message.stop()  # a result for a filter the learner has already changed
            return
        if message.table is not None and message.table is not self._cols:
            message.stop()  # rows of the incident before an action changed its future (replace_logs)
            return
        if (
            message.covered is None
            and self._shown == message.filter
            and self._covered is not None
            and not message.error
        ):
            assert message.rows is not None  # a pass without an error has rows
            self._extend_match(message.rows)  # the second pass: the future, after what is shown
            return
        self.last_filter_seconds = message.seconds
        self.filter_error = message.error
        if not message.error:
            self._apply_match(message.filter, message.rows, message.covered)

    def _extend_match(self, rows: np.ndarray) -> None:
        """The full match of the filter on screen: the rows shown keep their display indices
        (the new ones all come after them), so only the count changes."""
        self._match, self._covered = rows, None
        self._update_rows()

    def _apply_match(self, flt: LogFilter, rows: np.ndarray | None, covered: int | None = None) -> None:
        top_row = self._row_at(round(self.scroll_y))
        self._match = rows
        self._covered = None if rows is None else covered
        self._shown = flt
        self._pages.clear()
        self.filter_error = ""
        count_before_follow = self.follow
        self.cursor = None  # its display index means another line now; _restore_cursor finds it
        self.set_rows(self._visible_count())
        self.pending = 0
        self._restore_cursor()
        if count_before_follow:
            self.scroll_to(y=self.max_scroll_y, animate=False, force=True)
        elif self.cursor is not None:
            self.scroll_to_row(self.cursor)
        elif top_row is not None:
            # Keep the learner's place in time: the first matching line at or after the old top.
            self.scroll_to(y=self._display_index(top_row), animate=False, force=True)
        self.refresh()
        self._update_titles()

    def _row_at(self, display: int) -> int | None:
        rows = self.table_rows(display, display + 1)
        return int(rows[0]) if len(rows) else None

    def _display_index(self, table_row: int) -> int:
        return table_row if self._match is None else int(np.searchsorted(self._match, table_row))

    def _restore_cursor(self) -> None:
        row = self._cursor_row
        if row is None:
            return
        i = self._display_index(row)
        self.cursor = i if i < self.row_count and self._row_at(i) == row else None

    # -- cursor ------------------------------------------------------------------------------

    @property
    def selected_id(self) -> str | None:
        """Pin id of the line under the cursor."""
        row = self._cursor_row if self.cursor is not None else None
        return None if row is None else f"L{int(self._data.ids[row])}"

    @property
    def selected_text(self) -> str | None:
        """The whole line under the cursor, as in logs.log (date, level, service, host, message)."""
        row = self._cursor_row if self.cursor is not None and self._cols is not None else None
        if row is None:
            return None
        return plain_lines(self._data.table.slice(row, 1), self._origin)[0].as_py()

    @property
    def selected_trace(self) -> str | None:
        """The trace id of the line under the cursor, if its request was traced."""
        row = self._cursor_row if self.cursor is not None and self._cols is not None else None
        if row is None or "trace_id" not in self._data.table.column_names:
            return None
        return self._data.table.column("trace_id")[row].as_py() or None

    def action_open_trace(self) -> None:
        trace_id = self.selected_trace
        if trace_id is None:
            self.notify("This line's request was not traced (traces are sampled).", timeout=4)
            return
        self.post_message(self.TraceRequested(self, trace_id))

    def cursor_moved(self, row: int | None) -> None:
        if row is None or self._cols is None:
            return
        self._cursor_row = self._row_at(row)
        line_id = self.selected_id
        if line_id is not None and self._cursor_row is not None and line_id != self._announced:
            self._announced = line_id
            self.post_message(self.LineSelected(self, line_id, float(self._data.t[self._cursor_row])))

    def row_chosen(self, row: int) -> None:
        table_row = self._row_at(row)
        if table_row is None:
            return
        text = plain_lines(self._data.table.slice(table_row, 1), self._origin)[0].as_py()
        self.post_message(
            self.PinRequested(self, f"L{int(self._data.ids[table_row])}", float(self._data.t[table_row]), text)
        )

    # -- painting ----------------------------------------------------------------------------

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._pages.clear()

    def row_strip(self, row: int) -> Strip:
        page = row // PAGE
        strips = self._pages.get(page)
        if strips is None:
            strips = self._pages[page] = self._build_page(page)
        return strips[row - page * PAGE]

    def _build_page(self, page: int) -> list[Strip]:
        cols = self._data
        rows = self.table_rows(page * PAGE, (page + 1) * PAGE)
        sub = cols.table.take(indices(rows))
        lines = plain_lines(sub, self._origin).to_pylist()
        messages = sub.column("message").to_pylist()
        marks = (
            match_spans([visible_line(m) for m in messages], self._shown.pattern, self._shown.ignore_case)
            if self._shown.text
            else [[]] * len(messages)
        )
        style = self.get_component_rich_style
        base = self.base_style
        time_style, service_style, host_style, match_style = (
            style(f"log-view--{part}") for part in ("time", "service", "host", "match")
        )
        level_styles = [style(name) for name in LEVEL_CLASSES]
        space = Segment(" ", base)
        strips = []
        # Segments are cut straight from the plain line at its known field widths: building a
        # rich Text and rendering it cost three times as much, and a page is built mid-scroll.
        for full, message, rank, code, spans in zip(
            lines, messages, cols.level_ranks(rows), cols.service_codes(rows), marks
        ):
            level_at = TIME_WIDTH + 1
            service_at = level_at + LEVEL_WIDTH + 1
            service_end = service_at + len(cols.services[code])
            message_at = len(full) - len(message)
            level_style = level_styles[rank]
            segments = [
                Segment(full[:TIME_WIDTH] if self.wide else full[CLOCK], time_style),
                space,
                Segment(full[level_at : service_at - 1], level_style),
                space,
                Segment(visible_line(full[service_at:service_end]), service_style),
            ]
            if self.wide:
                segments.append(Segment(visible_line(full[service_end : message_at - 1]), host_style))
            segments.append(space)
            # Imported (and scenario) text: controls and escape sequences spelled out, never sent.
            message = visible_line(message)
            # WARN and ERROR: the message itself carries the level's colour.
            segments.extend(_marked(message, level_style if rank >= 2 else base, match_style, spans))
            strips.append(Strip(segments, sum(cell_len(seg.text) for seg in segments)))
        return strips

    def _update_titles(self) -> None:
        shown = f"{self.row_count:,} lines"
        flt = "" if self._shown.is_empty else f" · {self._shown.describe()}"
        note = f" · {sample_note(self._sample)}" if self._sample is not None else ""
        self.heading = f"Logs · {shown}{flt}{note}"
        if self.filter_error:
            self.status = f"filter error: {self.filter_error}"
        elif self.pending:
            self.status = f"▼ {self.pending:,} new lines · End to follow"
        elif self.follow:
            self.status = "following"
        else:
            self.status = "scrolled back · End to follow"


def _marked(message: str, style: Style, match_style: Style, spans: list[tuple[int, int]]) -> list[Segment]:
    """The message, with the filter's matches (`spans`, from the engine's RE2) in the match style."""
    if not spans:
        return [Segment(message, style)]
    out, at = [], 0
    for start, end in spans:
        if start > at:
            out.append(Segment(message[at:start], style))
        out.append(Segment(message[start:end], match_style))
        at = end
    if at < len(message):
        out.append(Segment(message[at:], style))
    return out


def _widest_line(cols: LogColumns, wide: bool) -> int:
    """An upper bound of the line width, for the horizontal scrollbar, without building lines
    (LogColumns.widths)."""
    service, host, message = cols.widths
    if not len(cols):
        return 0
    if wide:
        return TIME_WIDTH + 1 + LEVEL_WIDTH + 1 + service + 1 + host + 1 + message
    return CLOCK.stop - CLOCK.start + 1 + LEVEL_WIDTH + 1 + service + 1 + message
