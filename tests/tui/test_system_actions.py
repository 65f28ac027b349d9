"""Changing the system from the workspace (`a`, system.act), with Pilot: the dialog takes what the
headless `act` takes and gives the same attempt; the panes then read the changed incident and keep
what the learner had set up; a refused action says why; the key is listed; a game day refuses it."""

import asyncio
import dataclasses
import tempfile
import threading
from pathlib import Path

from textual.widgets import Input, Select, Static

from dojo.tui.data.units import offset
from dojo.tui.screens.act import ActionScreen
from dojo.tui.screens.debrief import DebriefScreen
from dojo.tui.screens.diagnosis import DiagnosisScreen
from dojo.tui.screens.help import binding_rows
from dojo.tui.widgets.clock_bar import ClockBar
from dojo.tui.widgets.footer import shown_keys
from dojo.tui.widgets.log_view import LogView
from dojo.tui.widgets.metrics_pane import MetricsPane
from dojo.tui.widgets.timeline import Timeline

from .apps import SCENARIO, SIZE, _telemetry, dojo_app, scenario, settled, to_workspace, until


def frames_equal(a, b) -> None:
    assert a.logs.combine_chunks().equals(b.logs.combine_chunks())
    for name in ("metrics", "spans", "events"):
        x, y = getattr(a, name).reset_index(drop=True), getattr(b, name).reset_index(drop=True)
        assert x.to_csv() == y.to_csv(), name


def headless_act(advance: float, kind: str, service: str, params: dict):
    """The same action through the engine alone, as the headless `act` takes it."""
    from dojo.engine.protocol import Protocol
    from dojo.engine.session import Session
    from dojo.store import Store

    with tempfile.TemporaryDirectory() as tmp, Store.open(Path(tmp) / "dojo.sqlite3") as store:
        p = Protocol(Session.start(scenario(), store, telemetry=_telemetry(None), clock="manual", speed=10.0))
        assert p.handle({"cmd": "advance", "seconds": advance})["ok"]
        reply = p.handle({"cmd": "act", "kind": kind, "service": service, "params": params})
        assert reply["ok"], reply
        return reply, p.session.signals.tel, [e.data for e in p.session.events if e.kind == "action"]


def shown_messages(view: LogView) -> list[str]:
    rows = view.table_rows(0, view.row_count)
    return view.columns.table.column("message").take(rows).to_pylist()


async def choose(pilot, kind: str, service: str, **params: str) -> None:
    screen = pilot.app.screen
    assert isinstance(screen, ActionScreen)
    screen.query_one("#action-kind", Select).value = kind
    await pilot.pause()
    screen.query_one("#action-service", Select).value = service
    for name, value in params.items():
        screen.query_one(f"#action-{name}", Input).value = value
    await pilot.pause()


def test_an_action_through_the_dialog_is_the_headless_act_and_the_panes_follow():
    async def main():
        app = dojo_app()
        async with app.run_test(size=SIZE) as pilot:
            await to_workspace(pilot, advance=2, direct=True)
            ws = app.screen
            view = ws.query_one(LogView)
            # The learner's set-up: a log filter (nothing matches it yet), a metric, a line selected.
            ws.query_one("#log-filter-text", Input).value = "scaled deployment"
            ws.query_one(MetricsPane).service = "payments"
            await until(pilot, lambda: view.filter.text == "scaled deployment", what="the filter")
            await settled(pilot)
            await app.workers.wait_for_complete()
            assert view.row_count == 0

            await pilot.press("a")
            await until(pilot, lambda: isinstance(app.screen, ActionScreen), what="the dialog")
            # Its service picker starts where the learner was looking, and offers only their own services.
            picker = app.screen.query_one("#action-service", Select)
            assert picker.value == "payments"
            assert "payment-provider" not in [v for _, v in picker._options]
            await choose(pilot, "scale", "checkout", replicas="8")
            await pilot.press("ctrl+s")
            await until(pilot, lambda: app.screen is ws, what="the dialog to close")
            bar = ws.query_one(ClockBar)
            await until(pilot, lambda: not bar.applying, what="the action to be applied")
            await settled(pilot)

            taken = [e.data for e in app.session.events if e.kind == "action"]
            reply, tel, headless = headless_act(120.0, "scale", "checkout", {"replicas": 8})
            assert (
                taken == headless == [{"kind": "scale", "service": "checkout", "params": {"replicas": 8}, "at": 1080.0}]
            )
            frames_equal(app.session.signals.tel, tel)
            assert ws.feeds.signals is app.session.signals  # every pane reads the new incident
            assert view.columns.table is app.session.signals.log_table
            assert any("action taken" in n.title.lower() for n in app._notifications)

            # What the learner set up is still there.
            assert view.filter.text == "scaled deployment" and ws.query_one(MetricsPane).service == "payments"
            # A minute on: the change's own line (after the action) is in the log pane, through the filter.
            await pilot.press("right_square_bracket")
            await settled(pilot)
            await app.workers.wait_for_complete()
            await until(pilot, lambda: view.row_count > 0, what="the action's line")
            assert any("scaled deployment checkout to 8 replicas" in m for m in shown_messages(view))
            # The timeline shows it as the learner's own change.
            timeline = ws.query_one(Timeline)
            mine = [e for e in timeline.entries[: timeline.row_count] if e.mine]
            assert [(e.t, e.kind, e.service) for e in mine] == [(1080.0, "scale", "checkout")]
            # Where a diagnosis names its trigger, the learner's own change is not offered as one.
            ws.briefing = dataclasses.replace(ws.briefing, require_trigger=True)
            await pilot.press("d")
            await until(pilot, lambda: isinstance(app.screen, DiagnosisScreen), what="the diagnosis form")
            offered = [label.plain for label, _ in app.screen.changes]
            assert any("deploy inventory" in x for x in offered) and not any("scale checkout" in x for x in offered)

    asyncio.run(main())


def test_the_panes_keep_the_cursor_and_hold_still_while_an_action_is_applied(monkeypatch):
    async def main():
        app = dojo_app()
        async with app.run_test(size=SIZE) as pilot:
            await to_workspace(pilot, advance=1, direct=True)
            ws = app.screen
            view = ws.query_one(LogView)
            view.focus()
            for _ in range(5):
                await pilot.press("up")
            selected, rows, top = view.selected_id, view.row_count, view.scroll_y
            assert selected is not None
            await pilot.press("a")
            await until(pilot, lambda: isinstance(app.screen, ActionScreen), what="the dialog")
            # The engine is kept busy with it while the clock runs on (3 s of a manual clock at 10x).
            gate, real_act = threading.Event(), app.session.act
            monkeypatch.setattr(app.session, "act", lambda *a, **k: gate.wait(10) and real_act(*a, **k))
            await choose(pilot, "restart", "checkout")
            await pilot.press("ctrl+s")
            await until(pilot, lambda: app.screen is ws, what="the dialog to close")
            bar = ws.query_one(ClockBar)
            held = ws.now
            app.session.clock.source.advance(3.0)
            ws.tick()
            # While the engine plays it in, the panes stay at the moment the action was asked; the bar says so.
            assert bar.applying == "restarted checkout" and bar.now == held + 30.0 and ws.now == held
            assert "applying restarted checkout…" in bar.render().plain
            gate.set()
            await until(pilot, lambda: not bar.applying, what="the action to be applied")
            await settled(pilot)
            assert ws.now == app.session.clock.now() == held + 30.0
            (taken,) = [e.data for e in app.session.events if e.kind == "action"]
            assert taken["at"] == held + 30.0  # the engine's moment: at or after the panes' hold

            # The debrief lists it beside the incident.
            await pilot.press("ctrl+g")
            await pilot.press("y")
            await until(pilot, lambda: isinstance(app.screen, DebriefScreen), what="the debrief")
            await pilot.pause()
            text = app.screen.query_one("#debrief-timeline", Static).render().plain
            assert f"◇ you restarted checkout · in effect from {offset(held + 30.0)}" in text
            assert view.selected_id == selected and view.scroll_y == top and view.row_count >= rows

    asyncio.run(main())


def test_a_refused_action_says_why_in_one_line_and_records_nothing():
    async def main():
        app = dojo_app()
        async with app.run_test(size=SIZE) as pilot:
            await to_workspace(pilot, direct=True)
            ws = app.screen
            # A few seconds before the end: no bucket is left for a change to land in.
            left = app.session.scenario.duration - app.session.clock.now() - 4.0
            await app.engine.call(app.session.advance, left)
            await ws.refresh_view()

            await pilot.press("a")
            await until(pilot, lambda: isinstance(app.screen, ActionScreen), what="the dialog")
            # The form's own check first: scale needs its replicas, and says so in the dialog.
            await choose(pilot, "scale", "checkout", replicas="lots")
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert isinstance(app.screen, ActionScreen)
            assert "replicas: must be a number, not 'lots'" in str(
                app.screen.query_one("#action-error", Static).content
            )
            await choose(pilot, "restart", "checkout")
            await pilot.press("ctrl+s")
            await until(pilot, lambda: app.screen is ws, what="the dialog to close")
            await until(pilot, lambda: not ws.query_one(ClockBar).applying, what="the refusal")
            await settled(pilot)
            refused = [n for n in app._notifications if n.title == "Action refused"]
            assert len(refused) == 1 and "\n" not in refused[0].message
            assert "the incident ends before a change made now could take effect" in refused[0].message
            assert "action" not in [e.kind for e in app.session.events]
            assert ws.now == app.session.clock.now()  # the panes run on with the clock again

    asyncio.run(main())


def test_the_key_is_listed_and_where_actions_are_not_taken_it_says_why(monkeypatch):
    async def main():
        app = dojo_app(play=SCENARIO)
        async with app.run_test(size=SIZE) as pilot:
            await to_workspace(pilot, direct=True)
            ws = app.screen
            assert ("a", "Act on the system", "system.act") in binding_rows(ws)
            assert any(action == "act" and words == "Act on the system" for _, action, words, *_ in shown_keys(ws))
            # A game day's team session refuses every action (dojo/gameday/team.py): the key says so.
            why = "in a game day every team plays the same incident"
            monkeypatch.setattr(app.session, "action_refusal", lambda: why)
            await pilot.press("a")
            await pilot.pause()
            assert app.screen is ws
            assert any(n.message == why for n in app._notifications)

    asyncio.run(main())


def test_a_resumed_attempt_shows_its_actions_as_the_learners():
    from dojo.engine.session import Session
    from dojo.store import Store

    with Store.open() as store:  # the learner's own store ($DOJO_HOME): the app resumes from it
        s = Session.start(scenario(), store, telemetry=_telemetry(None), clock="manual", speed=10.0)
        s.advance(120.0)
        s.act("restart", "payments")
        acted = s.signals.tel
        s.close()

    async def main():
        app = dojo_app(resume=s.attempt_id)
        async with app.run_test(size=SIZE) as pilot:
            await to_workspace(pilot, direct=True)
            ws = app.screen
            frames_equal(ws.feeds.signals.tel, acted)  # the incident as the learner left it
            timeline = ws.query_one(Timeline)
            await until(pilot, lambda: any(e.mine for e in timeline.entries), what="the learner's change")
            mine = [(e.t, e.kind, e.service) for e in timeline.entries if e.mine]
            assert mine == [(1080.0, "restart", "payments")]

    asyncio.run(main())
