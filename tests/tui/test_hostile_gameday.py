"""Game-day screens build markup around names and titles others chose (the scenario's author,
the facilitator, the teams): that text is escaped and spelled out, never read as markup."""

from rich.text import Text

from dojo.tui.screens.gameday_console import header_text
from dojo.tui.screens.team_join import lobby_text

EVIL = "\x1b]0;PWNED\x07 [/b][link=https://evil.example]x[/link]\u202e"


def test_console_header_and_lobby_show_hostile_names_as_written():
    st = {"game": "g1", "title": f"Checkout {EVIL}", "phase": "running", "running_s": 60.0, "speed": 1.0}
    lobby = {"team": f"red {EVIL}", "member": "ann", "online": [f"bob {EVIL}"], "phase": "running"}
    for markup in (header_text(st), lobby_text(lobby)):
        shown = Text.from_markup(markup)  # an unbalanced [/b] read as markup would raise here
        assert r"\e]0;PWNED\a [/b][link=https://evil.example]x[/link]\u202e" in shown.plain
        assert "\x1b" not in shown.plain and "\u202e" not in shown.plain
        assert not any(span.style and "link" in str(span.style) for span in shown.spans)
