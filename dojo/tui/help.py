"""HelpScreen: every key binding active where help was asked, with what it does."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static


def binding_rows(screen) -> list[tuple[str, str, str]]:
    """(keys, description, id) of the bindings active on `screen`, focused widget first."""
    rows: dict[str, tuple[str, str, str]] = {}
    for key, active in screen.active_bindings.items():
        b = active.binding
        if not b.description:
            continue
        ident = b.id or b.action
        keys, desc, _ = rows.get(ident, ("", b.description, ident))
        shown = screen.app.get_key_display(b)
        rows[ident] = (f"{keys}, {shown}" if keys else shown, desc, ident)
    return list(rows.values())


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close help", id="help.close")]

    def __init__(self, rows: list[tuple[str, str, str]]):
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        width = max((len(k) for k, _, _ in self.rows), default=4)
        lines = [Content.assemble((f"{keys:>{width}}", "bold $text-accent"), "  ", desc) for keys, desc, _ in self.rows]
        with Vertical(id="help-box"):
            yield Static("Keys", id="help-title")
            with VerticalScroll():
                yield Static(Content("\n").join(lines), id="help-keys")
            yield Static("Esc closes", id="help-hint")
