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
    for active in screen.active_bindings.values():
        b = active.binding
        if not b.description:
            continue
        ident = b.id or b.action
        keys, desc, _ = rows.get(ident, ("", b.description, ident))
        shown = screen.app.get_key_display(b)
        if shown not in keys.split(", "):  # + and = both show as +
            rows[ident] = (f"{keys}, {shown}" if keys else shown, desc, ident)
    return list(rows.values())


# Keys every screen has: after the ones that act on the investigation.
GENERAL = ("app", "screen", "rows")


def grouped(rows: list[tuple[str, str, str]]) -> list[tuple[str, list[tuple[str, str, str]]]]:
    """Rows under the noun of their binding id (clock, logs, hypothesis, ...), in the order
    first met; the app's own keys and cursor movement after them; bindings without a
    `noun.verb` id (a Textual widget's own keys) last."""
    groups: dict[str, list[tuple[str, str, str]]] = {}
    for row in rows:
        noun, dot, _ = row[2].partition(".")
        groups.setdefault(noun if dot else "", []).append(row)
    named = [(noun, items) for noun, items in groups.items() if noun and noun not in GENERAL]
    general = [(noun, groups[noun]) for noun in GENERAL if noun in groups]
    return named + general + ([("moving around", groups[""])] if "" in groups else [])


class HelpScreen(ModalScreen[None]):
    CSS_PATH = "help.tcss"
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close help", id="help.close")]

    def __init__(self, rows: list[tuple[str, str, str]], title: str = "Keys"):
        super().__init__()
        self.rows, self.title_text = rows, title

    def compose(self) -> ComposeResult:
        width = min(max((len(k) for k, _, _ in self.rows), default=4), 14)
        lines = []
        for noun, rows in grouped(self.rows):
            lines.append(Content.styled(noun.replace("-", " "), "bold $text-primary"))
            lines.extend(
                Content.assemble((f"{keys:>{width}}", "bold $text-accent"), "  ", desc) for keys, desc, _ in rows
            )
        with Vertical(id="help-box"):
            yield Static(self.title_text, id="help-title")
            with VerticalScroll():
                yield Static(Content("\n").join(lines), id="help-keys")
            yield Static("Esc closes", id="help-hint")
