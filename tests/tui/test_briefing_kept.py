"""A scenario opened before shows its briefing at once, from the card kept beside its cached
incident, while the attempt opens behind it; Enter pressed meanwhile starts once it is open.
And `dojo play` hands such a scenario to the app without loading it first."""

from __future__ import annotations

import asyncio
import shutil
import sys
import threading

from click.testing import CliRunner

from dojo.cli import cli
from dojo.telemetry import cache
from dojo.telemetry.fastopen import CARD_DIR
from dojo.tui import prepare
from dojo.tui.app import DojoApp
from dojo.tui.prepare import PlaySettings
from dojo.tui.screens.briefing import BriefingScreen
from dojo.tui.screens.workspace import WorkspaceScreen

from .apps import SCENARIO, SIZE, settled, until


def _kept_once(tmp_path) -> tuple:
    """A scenario file opened once (its card kept) and the document its briefing showed."""
    sc = tmp_path / "mine.yaml"
    shutil.copy(SCENARIO, sc)
    settings = PlaySettings(clock="manual")

    async def first():
        app = DojoApp(play=sc, settings=settings)
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: isinstance(app.screen, BriefingScreen) and app.screen.ready, what="the open")
            await until(pilot, lambda: not app.engine.busy, what="the card kept")
            return app.screen.document

    document = asyncio.run(first())
    assert list((cache.cache_dir() / CARD_DIR).iterdir())
    return sc, settings, document


def _held_open(monkeypatch) -> threading.Event:
    """The model is held back on the engine thread until the test sets the event."""
    go = threading.Event()
    real_load = prepare.load_or_problem

    def held_load(ref):
        go.wait(30)
        return real_load(ref)

    monkeypatch.setattr(prepare, "load_or_problem", held_load)
    return go


def test_the_second_open_reads_first_and_enter_shows_the_logs_before_the_attempt_is_open(tmp_path, monkeypatch):
    from dojo.tui.widgets.clock_bar import ClockBar
    from dojo.tui.widgets.log_view import LogView
    from dojo.tui.widgets.timeline import Timeline

    sc, settings, document = _kept_once(tmp_path)
    go = _held_open(monkeypatch)

    async def second():
        app = DojoApp(play=sc, settings=settings)
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: isinstance(app.screen, BriefingScreen) and app.screen.readable, what="the card")
            screen = app.screen
            assert not screen.ready and screen.session is None  # nothing is open yet: it is the kept card
            assert screen.document.startswith("Attempt · paged by **CheckoutP99High**")
            assert screen.document.split("\n", 1)[1] == document.split("\n", 1)[1]  # all but the attempt's number
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, WorkspaceScreen), what="the early workspace")
            ws = app.screen
            assert not ws.attached and ws.early is not None
            view = ws.query_one(LogView)
            await until(pilot, lambda: bool(view._pages), what="the log pane's first page")
            # The lines up to the page, read from the cached incident: the same the attempt shows.
            t = view.columns.t
            assert view.row_count == int((t <= ws.early.now).sum()) > 0
            # The fields' widths came with the card: the million rows' offsets are not read for them.
            from dojo.tui.data.log_rows import field_widths

            assert view.columns.known_widths == ws.early.widths == field_widths(view.columns.table)
            assert ws.query_one(ClockBar).opening
            assert "opening the incident" in str(ws.query_one(ClockBar).render())
            assert ws.query_one(Timeline).placeholder == "opening the incident…"  # not "nothing has happened"
            # Keys that need the attempt wait for it rather than being lost: ] moves the manual clock.
            await pilot.press("right_square_bracket")
            await pilot.pause()
            assert ws._waiting and ws.now == ws.early.now
            # A call queued on the engine thread now runs after the whole open: the attempt is there.
            queued = app.engine.submit(lambda: app.session.logs(contains="timeout", limit=5))
            go.set()
            await until(pilot, lambda: ws.attached and ws.briefing is not None, what="the attempt handed over")
            await settled(pilot)
            assert not ws._waiting and not ws.query_one(ClockBar).opening
            assert ws.query_one(Timeline).placeholder == "nothing has happened yet"
            await until(pilot, lambda: ws.now == ws.early.now + 60, what="the waiting key's minute")
            assert app.session is ws.session and ws.session.attempt_id == 2
            assert queued.result(timeout=30).count > 0
            # The pane keeps the very table it painted, and now filters with the engine.
            assert view.columns.table is ws.feeds.logs
            ws.query_one("#log-filter-text").value = "timeout"
            await until(pilot, lambda: view._shown.text == "timeout", what="the engine's filter")
            assert 0 < view.row_count < int((t <= ws.now).sum())

    asyncio.run(second())


def test_without_early_logs_enter_waits_for_the_attempt(tmp_path, monkeypatch):
    """A card kept by an older dojo has no workspace part: Enter then starts once it is open."""
    sc, settings, document = _kept_once(tmp_path)
    go = _held_open(monkeypatch)
    monkeypatch.setattr(prepare, "early_logs", lambda card, entry: None)

    async def second():
        app = DojoApp(play=sc, settings=settings)
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: isinstance(app.screen, BriefingScreen) and app.screen.readable, what="the card")
            screen = app.screen
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, BriefingScreen) and screen.start_when_open
            go.set()
            await until(
                pilot, lambda: isinstance(app.screen, WorkspaceScreen) and app.screen.briefing is not None,
                what="the workspace",
            )  # fmt: skip
            await settled(pilot)
            assert screen.document.startswith("Attempt #2 · paged by")

    asyncio.run(second())


def test_play_hands_a_kept_scenario_over_without_loading_it(tmp_path, monkeypatch):
    sc = tmp_path / "mine.yaml"
    sc.write_text(SCENARIO.read_text() + "# bytes no other test has kept a card for\n")
    handed = []

    def run(play=None, settings=PlaySettings()):
        handed.append((play, [m for m in ("pydantic", "numpy", "pandas") if m in sys.modules]))

    monkeypatch.setattr("dojo.tui.launch.run", run)
    monkeypatch.setattr("dojo.interactive.can_draw", lambda: True)

    def play():
        res = CliRunner().invoke(cli, ["play", str(sc)], catch_exceptions=False)
        assert res.exit_code == 0, res.output
        return handed.pop()[0]

    assert type(play()).__name__ == "Scenario"  # no card yet: loaded and checked on the command line
    # Kept by an open of the attempt (what the briefing does once it is open).
    loaded = prepare.load(sc)
    session, _ = prepare.open_attempt(loaded, _store(tmp_path), PlaySettings(clock="manual"))
    prepare.keep_card(prepare.card_source(sc, PlaySettings()), PlaySettings(), loaded, prepare.briefing_card(session))
    assert play() == str(sc)  # the reference itself: the briefing loads it behind the card
    sc.write_text(sc.read_text().replace("Checkout latency", "Checkout slowness"))
    assert type(play()).__name__ == "Scenario"  # edited since: loaded (and checked) again


def _store(tmp_path):
    from dojo.store import Store

    return Store.open(tmp_path / "home")
