"""When the database goes away mid-game: the facilitator's console and the members' screens say
they are reconnecting, the clock runs on from the last server time (a pause stays a pause), and
everything resyncs when it is back."""

import asyncio

import pytest

from dojo.gameday.game import Facilitator, create_game
from dojo.store.games import GameStore, Unavailable
from dojo.tui.screens.gameday_console import ConsoleApp, ConsoleScreen, header_text

from .pg import wait_until


def _down(monkeypatch, store_cls=GameStore):
    """Every facilitator read fails as a stopped server does."""

    def refuse(self, *a, **k):
        raise Unavailable("db: database unavailable (connection refused); try again when it is back")

    monkeypatch.setattr(store_cls, "facilitator_view", refuse)
    monkeypatch.setattr(store_cls, "facilitator_append", refuse)


async def until(pilot, check, seconds: float = 10.0) -> bool:
    """Wait for what the screen should come to show: as soon as it does (not a fixed pause, which
    is too long on a quiet machine and too short on a loaded one), or give up after `seconds`."""
    for _ in range(int(seconds / 0.05)):
        if check():
            return True
        await pilot.pause(0.05)
    return bool(check())


def _started_game(tmp_path, scenario, telemetry):
    """A one-team game on a SQLite file, started: (its URL, the created game)."""
    url = f"sqlite:///{tmp_path / 'g.sqlite3'}"
    with GameStore(url) as store:
        g = create_game(store, scenario[0], scenario[1], ["red"], telemetry=telemetry)
        Facilitator(store, g.game_id, g.key).start()
    return url, g


def test_live_status_runs_the_clock_on_while_unreachable_and_keeps_a_pause(store, game, monkeypatch):
    fac = Facilitator(store, game.game_id, game.key)
    fac.start()
    live = fac.live_status()
    assert live["connection"] == "live" and live["phase"] == "running"
    with monkeypatch.context() as m:
        _down(m)
        first = fac.live_status()
        assert first["connection"] == "reconnecting" and first["phase"] == "running"
        assert wait_until(lambda: fac.live_status()["running_s"] >= first["running_s"] + 0.3, timeout=2.0)
        assert fac.live_status()["lost_at"] == first["lost_at"]  # when it was lost, not "now"
        with pytest.raises(Unavailable):
            fac.pause()  # refused, not half done
    back = fac.live_status()
    assert back["connection"] == "live" and "lost_at" not in back
    fac.pause()
    with monkeypatch.context() as m:
        _down(m)
        a = fac.live_status()
        assert wait_until(lambda: fac.live_status()["running_s"] == a["running_s"], timeout=0.5)
        import time

        time.sleep(0.3)
        assert fac.live_status()["running_s"] == a["running_s"] and a["phase"] == "paused"


def test_presence_is_not_judged_while_nobody_can_be_seen(store, game, telemetry, monkeypatch):
    from dojo.gameday import presence
    from dojo.gameday.team import TeamSession

    fac = Facilitator(store, game.game_id, game.key)
    fac.start()
    TeamSession.join(store, game.teams[0][1], "ann", telemetry=telemetry)
    fac.live_status()
    monkeypatch.setattr(presence, "AWAY_S", 0.3)
    _down(monkeypatch)
    import time

    time.sleep(0.5)
    st = fac.live_status()
    assert st["connection"] == "reconnecting" and st["teams"][0]["online"] == ["ann"]


def test_the_console_header_says_reconnecting():
    st = {"game": "g1", "title": "t", "phase": "running", "running_s": 61.0, "speed": 1.0, "left_s": None}
    assert "reconnecting" not in header_text({**st, "connection": "live"})
    line = header_text({**st, "connection": "reconnecting"})
    assert "RUNNING" in line and "01:01" in line and "reconnecting" in line


def test_console_shows_reconnecting_with_a_running_clock_then_resyncs(tmp_path, scenario, telemetry, monkeypatch):
    url, g = _started_game(tmp_path, scenario, telemetry)

    async def drive():
        app = ConsoleApp(lambda: GameStore(url), g.game_id, g.key)
        told = []
        notify = app.notify
        app.notify = lambda message, **kw: (told.append(str(message)), notify(message, **kw))[1]  # type: ignore
        async with app.run_test(size=(140, 40)) as pilot:
            assert await until(pilot, lambda: isinstance(app.screen, ConsoleScreen) and app.screen.status is not None)
            header = app.screen.query_one("#console-header")
            assert "reconnecting" not in str(header.render())
            with monkeypatch.context() as m:
                _down(m)
                assert await until(pilot, lambda: app.screen.status["connection"] == "reconnecting")
                before = app.screen.status
                assert await until(pilot, lambda: "reconnecting" in str(header.render()))
                # the clock runs on
                assert await until(pilot, lambda: app.screen.status["running_s"] > before["running_s"])
                assert await until(pilot, lambda: header.size.height == 2)  # the warning line shows, not cut off
                # said once, not once a refresh (each of which fails again)
                assert await until(pilot, lambda: any("unreachable" in t for t in told))
                assert [t for t in told if "unreachable" in t] == [told[0]]
                assert not any("reconnected" in t for t in told)
                await pilot.press("space")  # a pause is refused, not half done
                await pilot.pause(0.2)
            assert await until(
                pilot, lambda: app.screen.status["connection"] == "live" and any("reconnected" in t for t in told)
            )
            assert await until(pilot, lambda: "reconnecting" not in str(header.render()) and header.size.height == 1)
            assert sum("reconnected" in t for t in told) == 1

    asyncio.run(drive())
    with GameStore(url) as store:
        assert Facilitator(store, g.game_id, g.key).status()["phase"] == "running"


def test_a_console_opened_while_the_database_is_down_connects_when_it_is_back(
    tmp_path, scenario, telemetry, monkeypatch
):
    url = f"sqlite:///{tmp_path / 'g.sqlite3'}"
    with GameStore(url) as store:
        g = create_game(store, scenario[0], scenario[1], ["red"], telemetry=telemetry)

    async def drive():
        app = ConsoleApp(lambda: GameStore(url), g.game_id, g.key)
        with monkeypatch.context() as m:
            _down(m)
            async with app.run_test(size=(140, 40)) as pilot:
                header = lambda: str(app.screen.query_one("#console-header").render())  # noqa: E731
                assert await until(pilot, lambda: "database unreachable: connecting" in header())
                assert app.facilitator is None
                await pilot.press("s")  # no crash: told it is not connected
                await pilot.pause(0.2)
                m.undo()
                assert await until(pilot, lambda: app.facilitator is not None and app.screen.status is not None)
                assert app.screen.status["phase"] == "waiting"

    asyncio.run(drive())


@pytest.mark.slow
def test_postgresql_stop_and_start_the_console_reconnects_and_resyncs(pg_server, scenario, telemetry):
    store = GameStore(pg_server.url)
    g = create_game(store, scenario[0], scenario[1], ["a"], telemetry=telemetry)
    fac = Facilitator(store, g.game_id, g.key)
    fac.start()
    assert fac.live_status()["connection"] == "live"
    pg_server.stop()
    try:
        down = fac.live_status()
        assert down["connection"] == "reconnecting" and down["phase"] == "running"
        with pytest.raises(Unavailable):
            fac.pause()
    finally:
        pg_server.start()
    assert wait_until(lambda: fac.live_status()["connection"] == "live", timeout=10.0)
    st = fac.pause()
    assert st["phase"] == "paused"
    store.close()


@pytest.mark.slow
def test_a_members_screen_shows_the_games_state_and_says_when_it_is_reconnecting(
    tmp_path, scenario, telemetry, monkeypatch
):
    """The clock bar's state is the game's (a pause by the facilitator shows ⏸, not ▶), and while
    the database is out of reach the bar and the title say so; the clock runs on meanwhile."""
    from dojo.tui.screens.team_join import LobbyScreen, TeamApp
    from dojo.tui.widgets.clock_bar import ClockBar

    url = f"sqlite:///{tmp_path / 'g.sqlite3'}"
    store = GameStore(url)
    g = create_game(store, scenario[0], scenario[1], ["red"], telemetry=telemetry)
    fac = Facilitator(store, g.game_id, g.key)

    async def until(pilot, check, seconds=3.0):
        for _ in range(int(seconds / 0.1)):
            if check():
                return True
            await pilot.pause(0.1)
        return check()

    async def drive():
        app = TeamApp(url, g.teams[0][1], "ann")
        async with app.run_test(size=(140, 45)) as pilot:
            assert await until(pilot, lambda: isinstance(app.screen, LobbyScreen), 10.0)
            fac.start()
            assert await until(pilot, lambda: type(app.screen).__name__ == "WorkspaceScreen")
            bar = app.screen.query_one(ClockBar)
            assert await until(pilot, lambda: bar.state().startswith("▶"))
            fac.pause()
            assert await until(pilot, lambda: bar.state() == "⏸ paused", 2.5)  # within 2 s of the pause
            assert await until(pilot, lambda: "paused" in app.sub_title)
            fac.resume()
            assert await until(pilot, lambda: bar.state().startswith("▶"), 2.5)
            with monkeypatch.context() as m:

                def refuse(self, *a, **k):
                    raise Unavailable("db: database unavailable (connection refused); try again when it is back")

                m.setattr(GameStore, "team_view", refuse)
                m.setattr(GameStore, "team_write", refuse)
                assert await until(pilot, lambda: bar.reconnecting)
                assert "reconnecting" in app.sub_title and "reconnecting" in str(bar.render())
                wall = bar.wall_elapsed
                await pilot.pause(1.1)
                assert bar.wall_elapsed > wall  # carried on from the last server time
            assert await until(pilot, lambda: not bar.reconnecting)
            assert "reconnecting" not in app.sub_title
            fac.end()
            assert await until(pilot, lambda: type(app.screen).__name__ == "DebriefScreen")
            await pilot.pause(0.5)

    asyncio.run(drive())
    store.close()


def test_the_projector_says_reconnecting_and_keeps_its_clock_running(tmp_path, scenario, telemetry, monkeypatch):
    from textual.widgets import Digits

    from dojo.tui.screens.gameday_projector import ProjectorScreen

    url, g = _started_game(tmp_path, scenario, telemetry)

    async def drive():
        app = ConsoleApp(lambda: GameStore(url), g.game_id, g.key)
        async with app.run_test(size=(140, 40)) as pilot:
            assert await until(pilot, lambda: isinstance(app.screen, ConsoleScreen) and app.screen.status is not None)
            await pilot.press("v")
            assert await until(pilot, lambda: isinstance(app.screen, ProjectorScreen))
            title = app.screen.query_one("#projector-title")
            with monkeypatch.context() as m:
                _down(m)
                assert await until(pilot, lambda: "reconnecting" in str(title.render()))
                shown = app.screen.query_one(Digits).value
                # the clock runs on
                assert await until(pilot, lambda: app.screen.query_one(Digits).value != shown)
            assert await until(pilot, lambda: "reconnecting" not in str(title.render()))

    asyncio.run(drive())
