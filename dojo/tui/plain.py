"""Scenario and imported text on its way into a widget: shown as written, never acted on.

Controls and escape sequences are spelled out (dojo.terminal_text) and Rich/Textual markup in the
text is never interpreted: `plain()` for widgets and titles (a Content, no markup), `safe()` for
the few places that build markup of their own around such text, `cell()` for a DataTable (which
reads its str cells as Rich markup, a dialect with other escaping rules than Textual's).
"""

from __future__ import annotations

from rich.text import Text
from textual.content import Content

from dojo.terminal_text import visible, visible_line

__all__ = ["cell", "plain", "plain_block", "safe", "visible", "visible_line"]


def plain(text: object) -> Content:
    """One line of scenario text as widget content: no markup read, controls spelled out."""
    return Content(visible_line(text))


def plain_block(text: object) -> Content:
    """Multi-line scenario text (a hint, an explanation): newlines kept, the rest as `plain`."""
    return Content(visible(text))


def safe(text: object) -> str:
    """Scenario text to put inside Textual markup we write ourselves: escaped for markup and
    terminal. Every `[` is escaped, not only tag-like ones (rich's escape() leaves `\\e[2J [/b]`
    half read: Textual then shows a stray backslash). A trailing backslash would escape the tag
    that follows it, and markup has no escaped backslash, so it gets a space after it."""
    s = visible_line(text).replace("[", "\\[")
    return s + " " if s.endswith("\\") else s


def cell(text: object) -> Text:
    """Scenario text as a DataTable cell: a Text, so the table reads no markup from it."""
    return Text(visible_line(text), end="")
