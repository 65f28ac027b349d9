"""The workspace's rules, with Pilot: the UI reads the attempt only from what the engine thread
returned; the briefing is a pager's card; the journal's pins read as what they hold and can be
taken back; the diagnosis form explains what is missing; a challenge's clock cannot be stopped;
feedback says the cost first."""

import asyncio
import threading
from types import SimpleNamespace

import pytest
from textual.widgets import Input, Select, Static, TextArea

from dojo.store import Store
from dojo.tui.screens.briefing import BriefingScreen
from dojo.tui.screens.diagnosis import DiagnosisScreen
from dojo.tui.screens.hypothesis import PLACEHOLDER, HypothesisScreen
from dojo.tui.screens.workspace import change_label, wrong_text
from dojo.tui.widgets.clock_bar import ClockBar
from dojo.tui.widgets.journal import JournalPanel
from dojo.tui.widgets.log_view import LogView
from dojo.tui.widgets.metric_chart import MetricChart

from .apps import SCENARIO, SIZE, dojo_app, settled, to_briefing, to_workspace, until


def run(script, app=None):
    async def main():
        the_app = app or dojo_app()
        async with the_app.run_test(size=SIZE) as pilot:
            return await script(the_app, pilot)

    return asyncio.run(main())


class Watched:
    """Stands in for the Session's attempt state and notes every read off the engine thread."""

    def __init__(self, inner, seen: list[str]):
        object.__setattr__(self, "_inner", inner)
        object.__setattr__(self, "_seen", seen)

    def __getattr__(self, name):
        if not threading.current_thread().name.startswith("dojo-engine"):
            self._seen.append(f"{name} on {threading.current_thread().name}")
        return getattr(self._inner, name)

    def __setattr__(self, name, value):
        setattr(self._inner, name, value)


def test_the_ui_reads_the_attempt_only_from_the_engine_thread():
    seen: list[str] = []

    async def script(app, pilot):
        await to_workspace(pilot, advance=1, direct=True)
        ws = app.screen
        session = app.session
        session.attempt = Watched(session.attempt, seen)
        ws.query_one(LogView).focus()
        await pilot.press("n")
        app.screen.query_one("#hypothesis-text", Input).value = "the storm"
        app.screen.query_one("#hypothesis-service", Select).value = "checkout"
        await pilot.press("ctrl+s")
        await settled(pilot)
        ws.query_one(LogView).focus()
        await pilot.press("up", "p", "space", "space", "plus", "right_square_bracket")
        await settled(pilot)
        await pilot.press("h", "y")
        await settled(pilot)
        await pilot.press("d")
        await settled(pilot)
        assert isinstance(app.screen, DiagnosisScreen)
        await pilot.press("escape")
        await pilot.press("u")
        await settled(pilot)
        assert isinstance(app.screen, HypothesisScreen)
        await pilot.press("escape")
        await settled(pilot)
        assert len(ws.view.journal.pins) == 1 and ws.view.hints_used == 1

    run(script)
    assert seen == []


def test_sqlites_thread_check_is_on(tmp_path):
    store = Store.open(tmp_path / "dojo.sqlite3")
    errors = []

    def elsewhere():
        try:
            store.attempts()
        except Exception as exc:  # noqa: BLE001 - the kind is what is checked
            errors.append(exc)

    t = threading.Thread(target=elsewhere)
    t.start()
    t.join()
    store.close()
    assert len(errors) == 1 and "thread" in str(errors[0])


def test_the_briefing_is_a_pagers_card_not_the_live_system():
    async def script(app, pilot):
        await to_briefing(pilot)
        screen = app.screen
        assert isinstance(screen, BriefingScreen)
        assert not screen.query("ServiceMap")  # no service map, no live numbers
        page = str(screen.query_one("#briefing-page", Static).render())
        assert "CheckoutP99High" in page and "latency_p99_ms > 1500" in page
        chart = screen.query_one(MetricChart)
        assert chart.display and chart.values.size and chart.t.max() + 10 <= 960.0
        assert "payments" not in page and "paged by **CheckoutP99High**" in screen.document

    run(script, dojo_app(play=SCENARIO))


def test_pins_from_logs_and_traces_read_as_what_they_hold_and_x_takes_one_back():
    """One workspace for both (an app start is the cost of a Pilot test): a log line pinned; the
    traces tab agreeing with the headless queries (the list is the `traces` query's answer as of
    the screen's now, the waterfall the `trace` query's tree), p on the list pinning the root
    span and Enter in the waterfall the span under the cursor; every pin in the journal reads as
    what it holds, and x takes one back."""
    from dojo.tui.widgets.trace_list import TraceList
    from dojo.tui.widgets.waterfall import Waterfall

    async def script(app, pilot):
        await to_workspace(pilot, advance=3, direct=True)
        ws = app.screen
        ws.query_one(LogView).focus()
        await pilot.press("up", "p")
        await settled(pilot)
        (line,) = [p.item for p in ws.view.journal.pins]

        await pilot.press("t")
        tl, wf = ws.query_one(TraceList), ws.query_one(Waterfall)
        await until(pilot, lambda: tl.listed is not None and tl.row_count > 0, what="the trace list")
        page = await app.engine.call(app.session.traces, limit=500, record=False)
        assert tl.row_count == page.count > 0
        rows = tl.shown.head(len(page.traces))
        for fact in ("trace_id", "spans", "errors", "retries", "duration_ms"):
            assert list(rows[fact]) == pytest.approx([getattr(t, fact) for t in page.traces]), fact
        storm = next(i for i, t in enumerate(page.traces) if t.retries and t.errors)
        tl.cursor = storm
        want = page.traces[storm].trace_id
        await until(pilot, lambda: wf.trace_id == want and len(wf.spans) > 1, what="the waterfall")
        tree = await app.engine.call(app.session.trace, want, record=False)
        assert [(n.id, n.attempt, n.attempts, d) for d, n in tree.walk()] == [
            (s.id, s.attempt, s.attempts, d) for s, d in zip(wf.spans, wf.depths)
        ]
        assert any("↻2/" in wf.render_line(y).text for y in range(wf.row_count))
        await pilot.press("p")
        await settled(pilot)
        wf.focus()
        await pilot.press("down", "down", "enter")
        await settled(pilot)
        assert [p.item for p in ws.view.journal.pins] == [line, tree.id, wf.spans[1].id]

        journal = ws.query_one(JournalPanel)
        rows = [r for r in journal.rows if r.kind == "pin"]
        assert [r.item for r in rows] == [p.item for p in ws.view.journal.pins]
        assert all(not r.text.startswith(r.item) for r in rows)
        journal.focus()
        journal.move_cursor([r.kind for r in journal.rows].index("pin"))
        await pilot.press("x")
        await settled(pilot)
        assert [p.item for p in ws.view.journal.pins] == [tree.id, wf.spans[1].id]
        assert [r.item for r in journal.rows if r.kind == "pin"] == [tree.id, wf.spans[1].id]
        assert [e.kind for e in app.session.events][-1] == "unpin"

    run(script)


def test_the_diagnosis_form_explains_an_empty_why():
    async def script(app, pilot):
        await to_workspace(pilot, direct=True)
        await pilot.press("d")
        modal = app.screen
        modal.query_one("#diagnosis-service", Select).value = "checkout"
        modal.query_one("#diagnosis-fault", Select).value = "retry_storm"
        modal.query_one(TextArea).text = "   "
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is modal
        assert "write why in a sentence or two" in str(modal.query_one("#diagnosis-error", Static).render())
        assert not [e for e in app.session.events if e.kind == "diagnosis"]

    run(script)


def test_the_hypothesis_placeholder_suggests_no_answer():
    assert "checkout" not in PLACEHOLDER and "e.g." not in PLACEHOLDER


def test_in_a_challenge_the_clock_cannot_be_paused_or_skipped():
    async def script(app, pilot):
        await to_workspace(pilot, direct=True)
        ws = app.screen
        before = ws.query_one(ClockBar).now
        await pilot.press("space", "right_square_bracket", "plus")
        await settled(pilot)
        assert not [e for e in app.session.events if e.kind == "clock"]
        assert ws.check_action("skip", ()) is None and ws.check_action("toggle_pause", ()) is None
        assert ws.query_one(ClockBar).now - before < 60

    run(script, dojo_app(mode="challenge", clock="real", speed=1.0))


@pytest.mark.parametrize(
    "message, penalty, text",
    [
        ("wrong diagnosis", 120.0, "Wrong diagnosis: +2:00 on your time."),
        (
            "wrong diagnosis: the service is right, the fault kind is not",
            120.0,
            "Wrong diagnosis: +2:00 on your time. The service is right, the fault kind is not.",
        ),
    ],
)
def test_wrong_feedback_says_the_cost_first(message, penalty, text):
    assert wrong_text(SimpleNamespace(message=message, penalty_s=penalty)) == text


def test_the_trigger_picker_shows_each_changes_note():
    e = SimpleNamespace(id="E0", t=720.0, name="deploy inventory v2.3.1", detail="bump logging library")
    assert change_label(e).endswith("deploy inventory v2.3.1 — bump logging library")


def test_o_on_a_traced_log_line_opens_its_trace_and_says_so_on_an_untraced_one():
    from dojo.tui.widgets.waterfall import Waterfall

    async def script(app, pilot):
        await to_workspace(pilot, advance=3, direct=True)
        ws = app.screen
        lv = ws.query_one(LogView)
        lv.focus()
        traced = lv._data.table.column("trace_id").to_pylist()[: lv.row_count]
        spans = ws.feeds.signals.spans
        ends = (spans["t"] + spans["duration_ms"] / 1000).groupby(spans["trace_id"]).max()
        row = next(i for i, x in enumerate(traced) if x and ends[x] <= ws.now)
        lv.cursor = lv._display_index(row)
        await pilot.press("o")
        await settled(pilot)
        wf = ws.query_one(Waterfall)
        assert wf.trace_id == traced[row] and wf.spans and wf.has_focus
        assert [e.kind for e in app.session.events][-1] == "query"
        lv.focus()
        lv.cursor = lv._display_index(traced.index(""))
        await pilot.press("o")
        await settled(pilot)
        assert wf.trace_id == traced[row]  # nothing else opened

    run(script)
