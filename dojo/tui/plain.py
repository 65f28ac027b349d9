"""Scenario and imported text on its way into a widget: shown as written, never acted on.

Controls and escape sequences are spelled out (dojo.terminal_text) and Rich/Textual markup in the
text is never interpreted: `plain()` for widgets and titles (a Content, no markup), `safe()` for
the few places that build markup of their own around such text.
"""

from __future__ import annotations

from rich.markup import escape
from textual.content import Content

from dojo.terminal_text import visible, visible_line

__all__ = ["plain", "plain_block", "safe", "visible", "visible_line"]


def plain(text: object) -> Content:
    """One line of scenario text as widget content: no markup read, controls spelled out."""
    return Content(visible_line(text))


def plain_block(text: object) -> Content:
    """Multi-line scenario text (a hint, an explanation): newlines kept, the rest as `plain`."""
    return Content(visible(text))


def safe(text: object) -> str:
    """Scenario text to put inside markup we write ourselves: escaped for markup and terminal."""
    return escape(visible_line(text))
