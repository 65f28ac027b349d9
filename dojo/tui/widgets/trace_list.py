"""TraceList: the traces finished by now, newest first, filtered by service, status and duration.

The traces and their facts (spans, failed spans, retries, when each finished) are the engine's:
`source(query)` is the engine's `Signals.trace_matches`, called from a worker (on the engine
thread in the app) once per filter; each clock tick then only shows the rows finished by `now`.

Attributes (down): `now`, `trace_query` (the engine's TraceQuery), and the source through
`set_source`.
Messages (up): `TraceSelected` when the cursor lands on a trace, `TraceChosen` on Enter.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np
from rich.text import Text
from textual import work
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip

from dojo.scenario.vocabulary import DEFAULT_START
from dojo.terminal_text import visible_line

from ..data import units
from .row_list import RowList

if TYPE_CHECKING:  # pragma: no cover - the list is drawn (empty) before pandas and the engine's API load
    import pandas as pd

    from dojo.engine.api import TraceQuery

# The engine's traces matching a query, each with when it finished (Signals.trace_matches).
TraceSource = Callable[["TraceQuery"], "pd.DataFrame"]

BAR_WIDTH = 8


EMPTY = "no finished trace matches yet"


class TraceList(RowList):
    BINDINGS = [Binding("enter", "choose", "Open trace", id="traces.open")]
    COMPONENT_CLASSES = {
        "trace-list--muted",
        "trace-list--error",
        "trace-list--ok",
        "trace-list--bar",
        "trace-list--retry",
    }

    now: reactive[float] = reactive(math.inf)
    # Not `query`: that is every widget's DOM query method.
    trace_query: reactive[TraceQuery | None] = reactive(None, init=False)
    """None: every trace (the engine's TraceQuery(), made when first asked: `query`)."""

    class TraceSelected(Message):
        def __init__(self, trace_list: TraceList, trace_id: str):
            super().__init__()
            self.trace_list, self.trace_id = trace_list, trace_id

        @property
        def control(self) -> TraceList:
            return self.trace_list

    class TraceChosen(TraceSelected):
        """Enter on a trace: open it."""

    class Listed(Message):
        """The worker has the engine's traces for a query."""

        def __init__(self, query: TraceQuery | None, traces: pd.DataFrame, source: TraceSource | None = None):
            super().__init__()
            self.query, self.traces = query, traces
            self.source = source  # the source that answered (None: not said)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.source: TraceSource | None = None
        self.listed: pd.DataFrame | None = None  # every trace matching trace_query, by start time
        self._finished = np.zeros(0)
        self.shown: pd.DataFrame | None = None  # none listed yet
        self._origin = DEFAULT_START
        self._selected: str | None = None
        self._longest = 1.0
        self.heading = "Traces"
        self.placeholder = EMPTY

    def set_source(self, source: TraceSource, start: datetime) -> None:
        self.source, self._origin = source, start
        self._fetch(self.trace_query)

    @property
    def listed_query(self) -> TraceQuery:
        """The engine's query for what is listed."""
        return self.trace_query if self.trace_query is not None else any_trace()

    @work(thread=True, exclusive=True, group="trace-list")
    def _fetch(self, query: TraceQuery | None) -> None:
        source = self.source
        if source is not None:
            self.post_message(self.Listed(query, source(query if query is not None else any_trace()), source))

    def on_trace_list_listed(self, message: Listed) -> None:
        message.stop()
        if message.query != self.trace_query:
            return  # the learner has moved on to another filter; its answer is on its way
        if message.source is not None and message.source is not self.source:
            return  # the incident before an action changed its future: the new source's answer follows
        self.listed = message.traces
        self._finished = message.traces["finished"].to_numpy(dtype=float)
        self._reselect(force=True)

    def watch_now(self) -> None:
        self._reselect()

    def watch_trace_query(self) -> None:
        if self.source is not None:
            self._fetch(self.trace_query)

    @property
    def selected_trace(self) -> str | None:
        return self._selected

    @property
    def selected_root(self) -> str | None:
        """The pin id of the selected trace's root span."""
        if self._selected is None or self.shown is None or self.shown.empty:
            return None
        at = np.flatnonzero(self.shown["trace_id"].to_numpy() == self._selected)
        return str(self.shown["root"].iat[at[0]]) if len(at) else None

    def _reselect(self, force: bool = False) -> None:
        if self.listed is None:
            return
        # A tracer exports a trace when it finishes: newest first, as the engine pages them.
        shown = self.listed[self._finished <= self.now].iloc[::-1].reset_index(drop=True)
        if (
            not force
            and self.shown is not None
            and len(shown) == len(self.shown)
            and (len(shown) == 0 or shown["trace_id"].iat[0] == self.shown["trace_id"].iat[0])
        ):
            return  # nothing new finished, nothing to repaint
        self.shown = shown
        self._longest = float(shown["duration_ms"].max()) if len(shown) else 1.0
        self._strips.clear()
        self.set_rows(len(shown))
        if self._selected is not None:
            # Newer traces push the selected one down: keep the cursor on it, not on its row.
            at = np.flatnonzero(shown["trace_id"].to_numpy() == self._selected)
            self.cursor = int(at[0]) if len(at) else None
        self.heading = f"Traces · {len(shown):,} finished"

    def cursor_moved(self, row: int | None) -> None:
        if row is None:
            return
        assert self.shown is not None  # rows exist only once traces are listed
        trace_id = str(self.shown["trace_id"].iat[row])
        if trace_id != self._selected:
            self._selected = trace_id
            self.post_message(self.TraceSelected(self, trace_id))

    def row_chosen(self, row: int) -> None:
        assert self.shown is not None
        self.post_message(self.TraceChosen(self, str(self.shown["trace_id"].iat[row])))

    def build_row(self, row: int) -> Strip:
        assert self.shown is not None
        r = self.shown.iloc[row]
        style = self.get_component_rich_style
        muted, error, ok, bar_style, retry = (
            style(f"trace-list--{n}") for n in ("muted", "error", "ok", "bar", "retry")
        )
        failed = r["errors"] > 0
        # Fixed columns first, the root operation last: on a narrow pane only the name is cut.
        text = Text(no_wrap=True, end="")
        text.append(units.clock(self._origin, r["t"]) + " ", muted)
        text.append("✗" if failed else "✓", error if failed else ok)
        text.append(f"{units.duration_ms(r['duration_ms']):>7} ", error if failed else None)
        # Linear against the longest trace listed: in an incident the slow ones stand out.
        filled = max(1, round(BAR_WIDTH * r["duration_ms"] / max(self._longest, 1e-3)))
        text.append("▆" * filled, error if failed else bar_style)
        text.append(" " * (BAR_WIDTH - filled + 1))
        text.append(f"{r['spans']:>3}sp", muted)
        text.append(f" ↻{r['retries']:<2}" if r["retries"] else "    ", retry)
        text.append(f" ✗{r['errors']:<2}" if r["errors"] else "    ", error)
        text.append(visible_line(f" {r['service']} {r['name']}"), muted)
        return self.text_strip(text)


def any_trace() -> TraceQuery:
    """The engine's query for every trace (its model loads with the engine, after the first paint)."""
    from dojo.engine.api import TraceQuery

    return TraceQuery()
