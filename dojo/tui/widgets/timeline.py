"""Timeline: what happened up to now, oldest first: alerts firing and resolving, deploys and
config changes, and facilitator messages.

Attributes (down): `now`, the events frame through `set_events` (its row labels make the events'
pin ids, E<row>), messages through `add_note`.
Messages (up): `EventChosen` on Enter (a screen jumps the logs to that moment).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np
from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip

from dojo.scenario.vocabulary import DEFAULT_START
from dojo.terminal_text import visible_line

from ..data import units
from .row_list import RowList

if TYPE_CHECKING:  # pragma: no cover - annotations only: the pane is drawn before these load
    import pandas as pd

NOTE = "note"
# kind -> (mark, style class); any other kind is a change: a deploy, config or flag change, ...
KINDS = {
    "alert_firing": ("▲ FIRING", "timeline--alert"),
    "alert_resolved": ("▼ resolved", "timeline--resolved"),
    NOTE: ("✉", "timeline--note"),
}
CHANGE = ("◆", "timeline--change")


@dataclass(frozen=True)
class Entry:
    t: float
    kind: str
    service: str
    name: str
    detail: str
    ref: str = ""  # the event's pin id, E<row of the events frame>; notes have none
    mine: bool = False  # a change the learner made (an action), not the incident's own


EMPTY = "nothing has happened yet"


class Timeline(RowList):
    BINDINGS = [Binding("enter", "choose", "Jump to moment", id="timeline.jump")]
    COMPONENT_CLASSES = {
        "timeline--muted",
        "timeline--alert",
        "timeline--resolved",
        "timeline--change",
        "timeline--note",
    }

    now: reactive[float] = reactive(math.inf)

    class EventChosen(Message):
        def __init__(self, timeline: Timeline, entry: Entry):
            super().__init__()
            self.timeline, self.entry = timeline, entry

        @property
        def control(self) -> Timeline:
            return self.timeline

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.entries: list[Entry] = []
        self._times = np.zeros(0)
        self._origin = DEFAULT_START
        self.heading = "Timeline"
        self.placeholder = EMPTY

    def set_events(
        self, events: pd.DataFrame, start: datetime, mine: frozenset[tuple[float, str, str]] = frozenset()
    ) -> None:
        """`mine`: (t, kind, service) of the changes the learner made, marked as theirs. The
        cursor stays on the entry it was on (the frame is replaced whole after an action)."""
        self._origin = start
        was = self.selected
        keep = [e for e in self.entries if e.kind == NOTE]
        rows = zip(events.index, events.itertuples(index=False))
        self._set_entries(
            keep
            + [
                Entry(float(r.t), r.kind, r.service, r.name, r.detail, f"E{i}", (float(r.t), r.kind, r.service) in mine)
                for i, r in rows
            ]
        )
        if was is not None and self.cursor is not None:
            same = [
                i
                for i, e in enumerate(self.entries[: self.row_count])
                if (e.t, e.name, e.ref) == (was.t, was.name, was.ref)
            ]
            self.cursor = same[0] if same else None

    def add_note(self, t: float, text: str, author: str = "facilitator") -> None:
        """A message from the facilitator (or the game), shown at scenario time `t`."""
        self._set_entries([*self.entries, Entry(t, NOTE, author, text, "")])

    def _set_entries(self, entries: list[Entry]) -> None:
        self.entries = sorted(entries, key=lambda e: e.t)  # stable: notes keep their order
        self._times = np.array([e.t for e in self.entries], dtype=float)
        self._strips.clear()
        self._update_rows()

    def watch_now(self) -> None:
        self._update_rows()

    def _update_rows(self) -> None:
        count = int(np.searchsorted(self._times, self.now, side="right"))
        if count == self.row_count:
            return
        at_end = round(self.scroll_y) >= self.max_scroll_y
        self.set_rows(count)
        self.refresh()
        if at_end:  # newest at the bottom, kept in view unless the learner scrolled up
            self.scroll_to(y=self.max_scroll_y, animate=False, force=True)
        firing = self._firing()
        self.status = f"{firing} alert{'s' if firing != 1 else ''} firing" if firing else ""

    def _firing(self) -> int:
        state: dict[str, bool] = {}
        for e in self.entries[: self.row_count]:
            if e.kind in ("alert_firing", "alert_resolved"):
                state[e.name] = e.kind == "alert_firing"
        return sum(state.values())

    @property
    def selected(self) -> Entry | None:
        return self.entries[self.cursor] if self.cursor is not None and self.cursor < self.row_count else None

    def row_chosen(self, row: int) -> None:
        self.post_message(self.EventChosen(self, self.entries[row]))

    def build_row(self, row: int) -> Strip:
        e = self.entries[row]
        mark, cls = KINDS.get(e.kind, CHANGE)
        style = self.get_component_rich_style
        colour, muted = style(cls), style("timeline--muted")
        text = Text(no_wrap=True, end="")
        text.append(f"{units.offset(e.t):>9} ", muted)
        name, service = visible_line(e.name), visible_line(e.service)  # scenario or imported text
        if e.kind == NOTE:
            text.append(f"{mark} {service}: ", colour)
            text.append(name, colour)
        elif e.kind.startswith("alert"):
            text.append(f"{mark} {name}", colour)
            text.append(f" {service}", muted)
        elif e.mine:
            text.append(f"{mark} you: ", style("timeline--note"))
            text.append(name, colour)
        else:
            text.append(f"{mark} ", colour)
            text.append(name, colour)  # a change summary names its kind and service
        if e.detail:
            text.append(f" · {visible_line(e.detail)}", muted)
        return self.text_strip(text)
