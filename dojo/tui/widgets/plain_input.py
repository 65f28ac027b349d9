"""PlainInput: a one-line text box whose value never holds a control character.

A pasted line (terminals paste raw bytes) or a teammate's hypothesis opened for editing may carry
ESC, BEL or a bidi override; an Input paints its value as it is, so the box would send them to the
terminal. Every value is spelled out on its way in, as the rest of the TUI shows such text.
"""

from __future__ import annotations

from textual.widgets import Input

from ..plain import visible_line


class PlainInput(Input):
    def validate_value(self, value: str) -> str:
        return visible_line(value)
