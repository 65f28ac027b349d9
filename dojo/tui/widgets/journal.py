"""JournalPanel: the learner's hypotheses with their status, and under each the evidence pinned to
it; evidence pinned to no hypothesis comes last.

The hypothesis under the cursor (or under the pin the cursor is on) is the *current* one: a pin
taken from any pane goes to it. With no cursor yet, the newest hypothesis not ruled out is. A pin
reads as what it holds (its summary), its id after it, dimmed; x on it takes it back.

Attributes (down): the journal through `show(hypotheses, pins)`, plain objects with the engine's
fields (id, text, service, fault, status; item, hypothesis, summary).
Messages (up): `HypothesisChosen` on Enter, to edit it.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.strip import Strip

from dojo.terminal_text import visible_line

from ..data.pins import pin_summary
from .row_list import RowList

STATUS_MARK = {
    "open": ("○", "journal--open"),
    "ruled_out": ("✗", "journal--ruled-out"),
    "confirmed": ("✓", "journal--confirmed"),
}
STATUS_WORD = {"open": "open", "ruled_out": "ruled out", "confirmed": "confirmed"}


@dataclass(frozen=True)
class JournalRow:
    kind: str  # hypothesis | pin | loose (the header of pins on no hypothesis)
    hypothesis: str | None
    text: str
    status: str = ""
    guess: str = ""
    item: str = ""  # a pin's id


def pin_text(pin) -> str:
    return pin_summary(pin.kind, pin.summary, getattr(pin, "snapshot", None))


class JournalPanel(RowList):
    BINDINGS = [Binding("enter", "choose", "Edit hypothesis", id="hypothesis.edit")]
    COMPONENT_CLASSES = {"journal--muted", "journal--open", "journal--ruled-out", "journal--confirmed", "journal--pin"}

    class HypothesisChosen(Message):
        def __init__(self, journal: JournalPanel, hypothesis: str):
            super().__init__()
            self.journal, self.hypothesis = journal, hypothesis

        @property
        def control(self) -> JournalPanel:
            return self.journal

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.rows: list[JournalRow] = []
        self._default: str | None = None
        self.heading = "Journal"
        self.placeholder = "n: a hypothesis · p: pin what you see"

    def show(self, hypotheses: list, pins: list) -> None:
        current = self.current
        rows: list[JournalRow] = []
        for h in hypotheses:
            guess = "/".join(x for x in (h.service, h.fault) if x)
            rows.append(JournalRow("hypothesis", h.id, h.text, h.status, guess))
            rows.extend(JournalRow("pin", h.id, pin_text(p), item=p.item) for p in pins if p.hypothesis == h.id)
        loose = [p for p in pins if p.hypothesis is None]
        if loose:
            rows.append(JournalRow("loose", None, "evidence on no hypothesis"))
            rows.extend(JournalRow("pin", None, pin_text(p), item=p.item) for p in loose)
        self.rows = rows
        live = [h.id for h in hypotheses if h.status != "ruled_out"]
        self._default = live[-1] if live else None
        self._strips.clear()
        self.set_rows(len(rows))
        if current is not None and self.cursor is not None:
            # Keep the cursor on the hypothesis it was on, wherever its row went.
            at = [i for i, r in enumerate(rows) if r.kind == "hypothesis" and r.hypothesis == current]
            self.cursor = at[0] if at else self.cursor
        self.heading = (
            f"Journal · {len(hypotheses)} hypothes{'is' if len(hypotheses) == 1 else 'es'} · {len(pins)} "
            f"pin{'s' * (len(pins) != 1)}"
        )
        self._update_status()
        self.refresh()

    @property
    def current(self) -> str | None:
        """The hypothesis new evidence goes to."""
        if self.cursor is not None and self.cursor < len(self.rows):
            return self.rows[self.cursor].hypothesis
        return self._default

    @property
    def selected_pin(self) -> tuple[str, str | None] | None:
        """(item, hypothesis) of the pin under the cursor, if the cursor is on one."""
        if self.cursor is not None and self.cursor < len(self.rows) and self.rows[self.cursor].kind == "pin":
            r = self.rows[self.cursor]
            return r.item, r.hypothesis
        return None

    def select(self, hypothesis: str) -> None:
        at = [i for i, r in enumerate(self.rows) if r.kind == "hypothesis" and r.hypothesis == hypothesis]
        if at:
            self.move_cursor(at[0])

    def cursor_moved(self, row: int | None) -> None:
        self._update_status()
        self.screen.refresh_bindings()  # unpin acts only on a pin

    def _update_status(self) -> None:
        current = self.current
        self.status = f"pins go to {current}" if current else ("pins go to no hypothesis" if self.rows else "")

    def row_chosen(self, row: int) -> None:
        hypothesis = self.rows[row].hypothesis
        if hypothesis is not None:
            self.post_message(self.HypothesisChosen(self, hypothesis))

    def build_row(self, row: int) -> Strip:
        r = self.rows[row]
        style = self.get_component_rich_style
        muted = style("journal--muted")
        text = Text(no_wrap=True, end="")
        if r.kind == "hypothesis":
            mark, cls = STATUS_MARK.get(r.status, ("?", "journal--muted"))
            colour = style(cls)
            text.append(f"{mark} {r.hypothesis} ", colour)
            text.append(visible_line(r.text), muted if r.status == "ruled_out" else None)
            if r.guess:
                text.append(f"  [{visible_line(r.guess)}]", muted)
            if r.status != "open":
                text.append(f"  {STATUS_WORD[r.status]}", colour)
        elif r.kind == "loose":
            text.append(r.text, muted)
        else:
            text.append("  ↳ ", style("journal--pin"))
            text.append(visible_line(r.text))
            text.append(f"  {r.item}", muted)
        return self.text_strip(text)
