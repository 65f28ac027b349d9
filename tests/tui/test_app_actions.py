"""The app's other paths, with Pilot: a real clock moving the panes, the command palette's
"noun: verb" commands, the theme toggle, leaving an attempt and resuming it from the library,
and giving up."""

import asyncio

import pytest
from textual.widgets import DataTable

from dojo.tui.commands import binding_commands, command_name
from dojo.tui.screens.briefing import BriefingScreen
from dojo.tui.screens.debrief import DebriefScreen
from dojo.tui.screens.library import LibraryScreen
from dojo.tui.screens.workspace import WorkspaceScreen
from dojo.tui.widgets.clock_bar import ClockBar
from dojo.tui.widgets.log_view import LogView

from .apps import SCENARIO, SIZE, dojo_app, settled, to_workspace, until


@pytest.mark.slow
def test_a_real_clock_moves_the_panes_and_the_palette_pauses_it():
    async def main():
        app = dojo_app(play=SCENARIO, clock="real", speed=60.0)
        async with app.run_test(size=SIZE) as pilot:
            await to_workspace(pilot, direct=True)
            ws = app.screen
            bar, view = ws.query_one(ClockBar), ws.query_one(LogView)
            lines = view.row_count
            await until(
                pilot, lambda: bar.now >= 960.0 + 30, what="the clock to move"
            )  # 30 s of incident: half a second
            await until(pilot, lambda: view.row_count > lines, what="new lines")

            names = [name for name, *_ in binding_commands(ws)]
            for name in (
                "clock: pause",
                "hypothesis: add",
                "diagnosis: submit",
                "hint: take",
                "evidence: pin",
                "logs: filter",
                "attempt: give up",
            ):
                assert name in names
            await pilot.press("ctrl+p")
            await pilot.press(*"pause")
            await until(
                pilot,
                lambda: "clock: pause" in str(app.screen.query("CommandList").first().get_option_at_index(0).prompt),
                what="the palette",
            )
            await pilot.press("enter")
            await until(pilot, lambda: bar.paused, what="the pause")
            await settled(pilot)
            held = bar.now
            await pilot.pause(0.3)
            assert bar.now == held and app.session.clock.paused
            assert [e.data["action"] for e in app.session.events if e.kind == "clock"] == ["pause"]

            assert app.current_theme.dark
            await pilot.press("T")  # the key that works in a browser too
            assert not app.current_theme.dark and app.theme == "textual-light"
            await pilot.press("ctrl+t")
            assert app.current_theme.dark

    asyncio.run(main())


@pytest.mark.slow
def test_leave_resume_from_the_library_then_give_up():
    async def main():
        app = dojo_app()
        async with app.run_test(size=SIZE) as pilot:
            await to_workspace(pilot, advance=2, direct=True)
            first = app.session.attempt_id
            await pilot.press("n")
            app.screen.query_one("#hypothesis-text").value = "payments is overloaded"
            await pilot.press("ctrl+s")
            await settled(pilot)
            await pilot.press("q")
            assert "stays unfinished" in str(app.screen.query_one("#confirm-body").render())
            await pilot.press("y")
            await until(pilot, lambda: isinstance(app.screen, LibraryScreen) and app.screen.records, what="the library")
            assert app.session is None and app.left_open == ("checkout-retry-storm", first)
            library = app.screen
            assert "r resumes your unfinished attempt" in str(library.query_one("#library-detail").render())

            await pilot.press("r")
            await until(pilot, lambda: isinstance(app.screen, BriefingScreen) and app.screen.ready, what="the briefing")
            assert app.screen.document.startswith("Resuming #1")
            await pilot.press("enter")
            await until(
                pilot,
                lambda: isinstance(app.screen, WorkspaceScreen) and app.screen.briefing is not None,
                what="the workspace",
            )
            await settled(pilot)
            ws = app.screen
            assert app.session.attempt_id == first and ws.query_one(ClockBar).now == 960.0 + 120
            assert ws.query_one("#journal").rows[0].text == "payments is overloaded"

            await pilot.press("ctrl+g")
            await pilot.press("y")
            await until(pilot, lambda: isinstance(app.screen, DebriefScreen), what="the debrief")
            assert app.screen.card["outcome"] == "gave_up"
            assert "given up after 12s" in str(app.screen.query_one("#debrief-title").render())
            await pilot.press("escape")
            await until(
                pilot,
                lambda: (
                    isinstance(app.screen, LibraryScreen)
                    and app.screen.records["checkout-retry-storm"].resumable is None
                ),
                what="the records",
            )
            assert app.screen.query_one(DataTable).get_row_at(0)[4:] == ["–", "1"]

    asyncio.run(main())


def test_command_names():
    assert command_name("clock.pause") == "clock: pause"
    assert command_name("attempt.give-up") == "attempt: give up"


def test_out_of_time_ends_in_the_debrief():
    async def main():
        app = dojo_app(time_limit=60.0)  # a manual clock at 10x: each ] costs 6 s of the learner's time
        async with app.run_test(size=SIZE) as pilot:
            await to_workspace(pilot, direct=True)
            for _ in range(10):
                await pilot.press("right_square_bracket")
            await until(pilot, lambda: isinstance(app.screen, DebriefScreen), what="the debrief")
            assert app.screen.card["outcome"] == "timed_out"
            assert "out of time after 1:00" in str(app.screen.query_one("#debrief-title").render())

    asyncio.run(main())
