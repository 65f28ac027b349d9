"""The whole app driven with Pilot, as a learner would: every assertion is on what a screen
shows (widget contents) or on what the engine recorded because of a key press."""

import asyncio

import pytest
from textual.widgets import DataTable, Input, Markdown, Select, TextArea

from dojo.tui.screens.debrief import DebriefScreen
from dojo.tui.screens.library import LibraryScreen
from dojo.tui.screens.progress import ProgressScreen
from dojo.tui.widgets.clock_bar import ClockBar
from dojo.tui.widgets.journal import JournalPanel
from dojo.tui.widgets.log_view import LogView
from dojo.tui.widgets.metrics_pane import MetricsPane
from dojo.tui.widgets.timeline import Timeline

from .apps import SIZE, dojo_app, settled, to_briefing, to_workspace, until


def text_of(widget) -> str:
    return str(widget.render())


def run(script, app=None):
    async def main():
        the_app = app or dojo_app()
        async with the_app.run_test(size=SIZE) as pilot:
            return await script(the_app, pilot)

    return asyncio.run(main())


def cells(row: list) -> list[str]:
    # Scenario text reaches DataTable cells as rich Text (never read as markup): compare the words.
    return [str(c) for c in row]


@pytest.mark.slow
def test_library_to_debrief_the_whole_attempt():
    async def script(app, pilot):
        # The library: the scenario, its difficulty, and no history yet.
        await pilot.pause()
        library = app.screen
        assert isinstance(library, LibraryScreen)
        table = library.query_one(DataTable)
        assert cells(table.get_row_at(0))[:3] == ["checkout-retry-storm", "Checkout latency after a payment-…", "★★★☆☆"]
        assert "not played yet" in text_of(library.query_one("#library-detail"))
        await pilot.press("slash")
        library.query_one("#library-filter", Input).value = "dns"
        await pilot.pause()
        assert table.row_count == 0 and table.border_title == "Scenarios · 0 of 1"
        library.query_one("#library-filter", Input).value = "retries"
        await pilot.press("enter")
        assert table.row_count == 1

        # The briefing: the page as Markdown, what done means, the rules; Enter starts.
        await to_briefing(pilot)
        briefing = app.screen
        doc = briefing.document
        assert "PAGE: CheckoutP99High" in doc and "## What done means" in doc
        assert "A wrong diagnosis adds 2:00" in doc and "2 hints**, taken in order, cost 1:00, 2:00" in doc
        assert "paged by **CheckoutP99High**" in doc

        # The workspace, paged at T+16:00; three minutes on.
        await to_workspace(pilot, advance=3)
        ws = app.screen
        bar = ws.query_one(ClockBar)
        assert (bar.now, bar.wall_elapsed, bar.penalties) == (1140.0, 18.0, 0.0)  # 3 x 60 s at 10x

        # Filter the logs: live while typing, recorded when committed with Enter.
        await pilot.press("slash")
        ws.query_one(
            "#log-filter-text", Input
        ).value = "retrying request to payments"  # as typed: each change filters live
        await pilot.press("enter")
        await settled(pilot)
        view = ws.query_one(LogView)
        await until(pilot, lambda: view._shown.text == "retrying request to payments", what="the filter")  # noqa: SLF001
        assert view.row_count > 0 and "retrying request to payments" in view.render_line(0).text
        queries = [e.data for e in app.session.events if e.kind == "query"]
        assert queries[-1]["what"] == "logs" and queries[-1]["args"]["contains"] == "retrying request to payments"
        assert queries[-1]["count"] == view.row_count

        # A hypothesis, then a line pinned to it with one key.
        await pilot.press("n")
        app.screen.query_one("#hypothesis-text", Input).value = "checkout retries hammer payments"
        app.screen.query_one("#hypothesis-service", Select).value = "checkout"
        app.screen.query_one("#hypothesis-fault", Select).value = "retry_storm"
        await pilot.press("ctrl+s")
        await settled(pilot)
        journal = ws.query_one(JournalPanel)
        assert journal.rows[0].text == "checkout retries hammer payments" and journal.status == "pins go to H1"
        view.focus()
        await pilot.press("down", "p")
        await settled(pilot)
        (pin,) = app.session.journal.pins
        assert pin.item == view.selected_id and pin.hypothesis == "H1"
        # The pin reads as what it holds, its id after it.
        assert journal.rows[1].kind == "pin" and journal.rows[1].item == pin.item
        assert journal.rows[1].text.startswith("checkout WARN retrying request to payments")

        # The metric window, widened to everything so far, pinned from the metrics pane.
        metrics = ws.query_one(MetricsPane)
        metrics.service, metrics.metric = "payments", "rps"
        ws.query_one("#metric-service").focus()
        await pilot.press("greater_than_sign", "greater_than_sign", "greater_than_sign", "p")
        await settled(pilot)
        assert [p.item for p in app.session.journal.pins][1] == "M:payments:rps:0:1140"
        assert metrics.border_subtitle == "pin window: all so far"

        # A wrong diagnosis costs its penalty, shown on the clock bar.
        await pilot.press("d")
        modal = app.screen
        modal.query_one("#diagnosis-service", Select).value = "payment-provider"
        modal.query_one("#diagnosis-fault", Select).value = "dependency_latency"
        modal.query_one(TextArea).text = "the provider is slow"
        await pilot.press("ctrl+s")
        await settled(pilot)
        assert app.screen is ws and bar.penalties == 120.0
        assert app.session.attempt.wrong_diagnoses == 1

        # A hint, with its cost in the confirmation; its text lands on the timeline.
        await pilot.press("h")
        assert "Hint 1 of 2 adds 1:00 to your time." in text_of(app.screen.query_one("#confirm-body"))
        await pilot.press("y")
        await settled(pilot)
        timeline = ws.query_one(Timeline)
        (note,) = [e for e in timeline.entries[: timeline.row_count] if e.kind == "note"]
        assert note.service == "hint 1" and note.name.startswith("Compare the request rate") and note.t == 1140.0
        assert bar.penalties == 180.0

        # The right diagnosis ends it: the debrief. The form starts from the guess of the
        # hypothesis under the journal's cursor, its text as the first words of why.
        await pilot.press("d")
        modal = app.screen
        assert modal.query_one("#diagnosis-service", Select).value == "checkout"
        assert modal.query_one("#diagnosis-fault", Select).value == "retry_storm"
        assert modal.query_one(TextArea).text == "checkout retries hammer payments"
        modal.query_one("#diagnosis-service", Select).value = "checkout"
        modal.query_one("#diagnosis-fault", Select).value = "retry_storm"
        modal.query_one(TextArea).text = "checkout retries each failed call with no backoff"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, DebriefScreen), what="the debrief")
        debrief = app.screen
        card = text_of(debrief.query_one("#debrief-card"))
        for line in ("ttcd_s          18", "wrong_s         1 x 120 = 120", "hints_s         60 = 60",
                     "penalty_s       180", "evidence        2 of 2 selectors matched",
                     "evidence_points 300 x 1 x 2/2 = 300"):  # fmt: skip
            assert line in card
        assert "points          round(245.9 + 300) = 546" in card
        timeline = text_of(debrief.query_one("#debrief-timeline"))
        for bit in ("retry_storm on checkout begins · the cause", "▲ CheckoutP99High fires",
                    "? H1: checkout retries hammer payments", f"pinned → H1 {pin.item}",
                    "✗ diagnosed payment-provider / dependency_latency: wrong", "! hint 1 (+1:00)",
                    "✓ diagnosed checkout / retry_storm: correct"):  # fmt: skip
            assert bit in timeline
        assert "checkout retries each failed call with no backoff" in text_of(
            debrief.query_one("#debrief-diagnoses Static")
        )
        assert "Checkout calls" in debrief.query_one("#debrief-text", Markdown).source
        assert app.session is None  # the session ended with the attempt

        # Back in the library, the record; progress lists the attempt.
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, LibraryScreen) and library.records, what="the records")
        await pilot.pause()
        assert cells(table.get_row_at(0))[4:] == ["18s", "1"]
        await pilot.press("P")
        await until(pilot, lambda: isinstance(app.screen, ProgressScreen) and app.screen.attempts, what="progress")
        await pilot.pause()
        row = cells(app.screen.query_one("#progress-attempts", DataTable).get_row_at(0))
        assert (row[0], row[1], row[3], row[4], row[5], row[6]) == (
            "1",
            "checkout-retry-storm",
            "solved",
            "18s",
            "+3:00",
            "546",
        )
        weak = cells(app.screen.query_one("#progress-weak", DataTable).get_row_at(0))
        assert weak[:3] == ["retry_storm", "1", "1 (100%)"]

    run(script)
