"""PlainInput and PlainTextArea: text boxes that never hold a control character.

A pasted line (terminals paste raw bytes) or a teammate's hypothesis opened for editing may carry
ESC, BEL or a bidi override; an Input paints its value as it is, so the box would send them to the
terminal. Every value is spelled out on its way in, as the rest of the TUI shows such text.
"""

from __future__ import annotations

from textual import events
from textual.widgets import Input, TextArea

from ..plain import visible, visible_line


class PlainInput(Input):
    def validate_value(self, value: str) -> str:
        return visible_line(value)


class PlainTextArea(TextArea):
    """The many-line box (a diagnosis's explanation): a paste is spelled out, new lines kept."""

    async def _on_paste(self, event: events.Paste) -> None:
        # TextArea inserts pasted text as it came; the same text, spelled out, goes in instead.
        event.prevent_default()
        event.stop()
        if self.read_only:
            return
        if result := self._replace_via_keyboard(visible(event.text), *self.selection):
            self.move_cursor(result.end_location)
            self.focus()
