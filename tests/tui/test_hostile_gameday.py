"""Game-day screens build markup around names and titles others chose (the scenario's author,
the facilitator, the teams): that text is escaped and spelled out, never read as markup."""

from textual.content import Content

from dojo.tui.screens.gameday_console import header_text
from dojo.tui.screens.team_join import lobby_text

EVIL = "\x1b]0;PWNED\x07 [/b][link=https://evil.example]x[/link]\u202e"


def test_console_header_and_lobby_show_hostile_names_as_written():
    st = {"game": "g1", "title": f"Checkout {EVIL}", "phase": "running", "running_s": 60.0, "speed": 1.0}
    lobby = {"team": f"red {EVIL}", "member": "ann", "online": [f"bob {EVIL}"], "phase": "running"}
    away = {**lobby, "online": [], "away": [f"bob {EVIL}"]}
    down = {**st, "connection": "reconnecting"}
    for markup in (header_text(st), lobby_text(lobby), lobby_text(away, reconnecting=True), header_text(down)):
        shown = Content.from_markup(markup)  # as the Static shows it: an unbalanced [/b] would raise
        assert r"\e]0;PWNED\a [/b][link=https://evil.example]x[/link]\u202e" in shown.plain
        assert "\x1b" not in shown.plain and "\u202e" not in shown.plain
        assert not any("link" in str(span.style) for span in shown.spans)


def test_hostile_game_through_console_projector_and_lobby_with_pilot(tmp_path):
    """A hostile scenario, a team named with escapes and markup, and an inject written the same
    way, through the facilitator's console, the projector and a team's lobby: nothing raw reaches
    the terminal and the text shows as written."""
    import asyncio

    from dojo.gameday.game import Facilitator, create_game
    from dojo.scenario import load_scenario
    from dojo.store.games import GameStore
    from dojo.telemetry.synthesize import synthesize
    from dojo.tui.screens.gameday_console import ConsoleApp, ConsoleScreen
    from dojo.tui.screens.gameday_projector import ProjectorScreen
    from dojo.tui.screens.team_join import LobbyScreen, TeamApp
    from tests.hostile.scenario import write_hostile
    from tests.tui.test_hostile_text import assert_harmless, screen_text

    from .apps import until

    path = write_hostile(tmp_path)
    sc = load_scenario(path)
    telemetry = synthesize(sc)
    url = f"sqlite:///{tmp_path / 'g.sqlite3'}"
    team = "red \x1b[2J[/b][link=https://evil.example]x"
    with GameStore(url) as store:
        g = create_game(store, sc, path.read_text(encoding="utf-8"), [team], telemetry=telemetry)
        Facilitator(store, g.game_id, g.key).inject(f"look {EVIL}")

    async def console():
        app = ConsoleApp(lambda: GameStore(url), g.game_id, g.key)
        async with app.run_test(size=(140, 40)) as pilot:
            await until(pilot, lambda: isinstance(app.screen, ConsoleScreen) and "red" in screen_text(app))
            await pilot.pause(0.3)
            # The team column is narrow: the name's escapes show on the projector.
            assert_harmless(app, "console", r"Checkout \e[2J", "red", r"look \e]0;PWNED\a [/b][link=https://evil")
            await pilot.press("v")
            await until(pilot, lambda: isinstance(app.screen, ProjectorScreen), what="the projector")
            await pilot.pause(0.3)
            assert_harmless(app, "projector", r"red \e[2J[/b][link=https://evil")

    async def lobby():
        app = TeamApp(url, g.teams[0][1], "ann \x1b]0;X\x07[red]")
        async with app.run_test(size=(140, 40)) as pilot:
            await until(pilot, lambda: isinstance(app.screen, LobbyScreen) and "red" in screen_text(app), what="lobby")
            await pilot.pause(0.3)
            assert_harmless(app, "lobby", "Team red", r"\e[2J[/b][link=https://evil", r"ann \e]0;X\a[red]")

    asyncio.run(console())
    asyncio.run(lobby())


def test_safe_escapes_every_bracket_so_our_own_markup_stays_ours():
    """rich's escape() leaves `\\e[2J [/b]` half escaped for Textual (a stray backslash shows), and a
    trailing backslash would escape the closing tag that follows it."""
    from dojo.tui.plain import cell, safe

    for text in [
        r"\e[2J [/b]",
        "a\\[/b]",
        "[[b]]",
        "[/]",
        "x [@click=app.quit]y[/]",
        "ends with \\",
        "\x1b[5;41m[red]",
    ]:
        shown = Content.from_markup(f"[b]{safe(text)}[/b] tail")
        expected = text.replace("\x1b", r"\e") + (" " if text.endswith("\\") else "")
        assert shown.plain == expected + " tail", text
        assert [(s.start, s.end, str(s.style)) for s in shown.spans] == [(0, len(expected), "b")], text
    table_cell = cell("id [b]bold?[/b] \x07")
    assert table_cell.plain == r"id [b]bold?[/b] \a" and not table_cell.spans  # a Text: no markup read


def test_a_text_box_spells_out_what_is_pasted_or_prefilled():
    import asyncio

    from textual.app import App

    from dojo.tui.widgets.plain_input import PlainInput

    class Box(App):
        def compose(self):
            yield PlainInput("shared \x1b]0;X\x07 text")

    async def main():
        app = Box()
        async with app.run_test() as pilot:
            box = app.query_one(PlainInput)
            assert box.value == r"shared \e]0;X\a text"
            box.value = ""
            box.focus()
            await pilot.pause()
            from textual import events

            box.post_message(events.Paste("pasted \x1b[2J\u202e"))
            await pilot.pause()
            assert box.value == r"pasted \e[2J\u202e"

    asyncio.run(main())


def test_the_explanation_box_spells_out_a_paste_and_keeps_its_lines():
    import asyncio

    from textual import events
    from textual.app import App

    from dojo.tui.widgets.plain_input import PlainTextArea

    class Box(App):
        def compose(self):
            yield PlainTextArea("")

    async def main():
        app = Box()
        async with app.run_test() as pilot:
            box = app.query_one(PlainTextArea)
            box.focus()
            await pilot.pause()
            box.post_message(events.Paste("first \x1b[2J line\nsecond \u202e\x07"))
            await pilot.pause()
            assert box.text == "first \\e[2J line\nsecond \\u202e\\a"
            assert not any(ch in box.text for ch in "\x1b\x07\u202e")

    asyncio.run(main())
