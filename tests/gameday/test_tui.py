"""The console and the team's terminal UI, driven as a person would (Pilot), on SQLite."""

import asyncio

import pytest

from dojo.gameday.game import Facilitator
from dojo.gameday.team import TeamSession
from dojo.store.games import GameStore
from dojo.tui.screens.gameday_console import ConsoleApp, ConsoleScreen
from dojo.tui.screens.gameday_projector import ProjectorScreen, projector_lines
from dojo.tui.screens.team_join import LobbyScreen, TeamApp

from .pg import wait_until


def test_projector_lines_are_neutral_and_rank_only_when_on():
    teams = [
        {"team": "a", "progress": "building the case", "points": 10, "wrong_diagnoses": 3},
        {"team": "b", "progress": "solved", "points": 90, "wrong_diagnoses": 0},
    ]
    st = {"teams": teams, "ranking": False}
    assert projector_lines(st) == ["a  ·  building the case", "b  ·  solved"]
    ranked = projector_lines({**st, "ranking": True, "rank": ["b", "a"]})
    assert ranked[0].startswith("1. b") and "points" in ranked[0]


def test_console_starts_pauses_hints_and_shows_the_projector(tmp_path, scenario, telemetry):
    url = f"sqlite:///{tmp_path / 'g.sqlite3'}"
    from dojo.gameday.game import create_game

    with GameStore(url) as store:
        g = create_game(store, scenario[0], scenario[1], ["red", "blue"], telemetry=telemetry)

    async def drive():
        app = ConsoleApp(lambda: GameStore(url), g.game_id, g.key)
        async with app.run_test(size=(140, 40)) as pilot:
            await pilot.pause(0.5)
            assert isinstance(app.screen, ConsoleScreen)
            await pilot.press("s")
            await pilot.pause(0.3)
            await pilot.press("space")
            await pilot.pause(0.3)
            await pilot.press("h")  # the hint goes to the selected team (the first row)
            await pilot.pause(0.3)
            await pilot.press("v")
            await pilot.pause(0.3)
            assert isinstance(app.screen, ProjectorScreen)
            await pilot.press("escape")
            await pilot.pause(0.2)
            assert isinstance(app.screen, ConsoleScreen)
            assert {b.id for b in app.screen.BINDINGS} >= {"game.start", "game.pause", "hint.team", "view.projector"}

    asyncio.run(drive())
    with GameStore(url) as store:
        st = Facilitator(store, g.game_id, g.key).status()
    assert st["phase"] == "paused"
    assert [t["hints"] for t in st["teams"]] == [1, 0]


@pytest.mark.slow
def test_team_ui_waits_in_the_lobby_then_opens_the_workspace_with_shared_journal(tmp_path, scenario, telemetry):
    url = f"sqlite:///{tmp_path / 'g.sqlite3'}"
    from dojo.gameday.game import create_game

    store = GameStore(url)
    g = create_game(store, scenario[0], scenario[1], ["red"], telemetry=telemetry)
    fac = Facilitator(store, g.game_id, g.key)
    mate = TeamSession.join(store, g.teams[0][1], "mate", telemetry=telemetry)

    async def drive():
        app = TeamApp(url, g.teams[0][1], "ann")
        async with app.run_test(size=(140, 45)) as pilot:
            await pilot.pause(3.0)  # joining synthesizes the scenario's signals
            assert isinstance(app.screen, LobbyScreen)
            fac.start()
            for _ in range(40):
                await pilot.pause(0.1)
                if type(app.screen).__name__ == "WorkspaceScreen":
                    break
            assert type(app.screen).__name__ == "WorkspaceScreen"
            mate.add_hypothesis("payments is slow", "payments")
            for _ in range(30):  # within 2 s (the app syncs every second)
                await pilot.pause(0.1)
                if "H1" in app.session.journal.hypotheses:
                    break
            assert app.session.team_journal()["hypotheses"][0]["by"] == "mate"
            # Changing the system is not for a game day: the key says why, and no dialog opens.
            workspace = app.screen
            await pilot.press("a")
            await pilot.pause()
            assert app.screen is workspace
            assert any("every team plays the same incident" in n.message for n in app._notifications)
            assert "action" not in [e.kind for e in app.session.events]
            fac.end()
            for _ in range(30):
                await pilot.pause(0.1)
                if type(app.screen).__name__ == "DebriefScreen":
                    break
            assert type(app.screen).__name__ == "DebriefScreen"
            await pilot.pause(0.5)  # let it finish composing before the app closes

    asyncio.run(drive())
    assert wait_until(lambda: "ann" not in fac.status()["teams"][0]["online"], timeout=2)
    store.close()


def test_console_columns_widen_when_a_teams_status_grows(tmp_path, scenario, telemetry):
    """'getting ready' becomes 'exploring the signals' at the start: the column widens with it
    instead of cutting the words (seen in a played game)."""
    url = f"sqlite:///{tmp_path / 'g.sqlite3'}"
    from dojo.gameday.game import create_game

    with GameStore(url) as store:
        g = create_game(store, scenario[0], scenario[1], ["red"], telemetry=telemetry)

    async def drive():
        app = ConsoleApp(lambda: GameStore(url), g.game_id, g.key)
        async with app.run_test(size=(160, 40)) as pilot:
            await pilot.pause(0.6)
            await pilot.press("s")
            await pilot.pause(0.5)
            table = app.screen.query_one("#console-teams")
            assert table.get_row_at(0)[8].plain == "exploring the signals"
            assert table.columns["Status"].content_width >= len("exploring the signals")

    asyncio.run(drive())
