"""A scenario whose text tries to drive the terminal, played through the whole TUI: every screen
shows the sequences spelled out, none reaches the terminal, and no markup in it is read (an
unbalanced [/b] read as markup would crash the app)."""

from __future__ import annotations

import asyncio
import re

from dojo.telemetry.synthesize import synthesize
from tests.hostile.scenario import MARKUP, write_hostile

from .apps import SIZE, settled, until

# "\e[2J" and friends as they show; "\u202e" as the spelled-out override.
SHOWN = (r"\e[2J", r"\e]0;PWNED\a", r"\e[5;41m", r"\r", r"\b", r"\u202e")
RAW = ("\x1b", "\x07", "\x08", "\r", "\u202e", "\x9b")


def screen_text(app) -> str:
    """What the screen shows, line by line, from the compositor (what the terminal is sent),
    notifications and other layers included."""
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(seg.text for seg in strip) for strip in strips)


# What Textual itself writes: colours and styles (SGR) and cursor moves. Anything else starting
# with ESC or CSI in the output came from text.
OURS = re.compile(r"\x1b\[[0-9;:]*[mH]")


def terminal_output(app) -> str:
    """The bytes a full repaint of the current screen (modal backgrounds included) sends to the
    terminal, with Textual's own style and cursor sequences taken out."""
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    return OURS.sub("", update.render_segments(app.console))


def assert_harmless(app, where: str, *must_show: str) -> str:
    text = screen_text(app)
    sent = terminal_output(app)
    for ch in RAW:
        assert ch not in text, f"{where}: raw {ch!r} on screen"
        assert ch not in sent, f"{where}: raw {ch!r} sent to the terminal"
    for shown in must_show:
        assert shown in text, f"{where}: {shown!r} not shown in:\n{text}"
    return text


def test_hostile_scenario_text_is_shown_escaped_on_every_screen(tmp_path):
    from dojo.tui.app import DojoApp
    from dojo.tui.prepare import PlaySettings
    from dojo.tui.screens.briefing import BriefingScreen
    from dojo.tui.screens.debrief import DebriefScreen
    from dojo.tui.screens.workspace import WorkspaceScreen

    folder = tmp_path / "scenarios"
    folder.mkdir()
    write_hostile(folder)
    app = DojoApp(settings=PlaySettings(clock="manual", speed=10.0), synthesize=synthesize, scenarios=folder)

    async def script(pilot):
        await pilot.pause()
        await until(pilot, lambda: "Checkout" in screen_text(app), what="the library")
        assert_harmless(app, "library", r"\e[2J\e]0;PWNED\a", "[/b][link=https://evil.example]click[/link][red]")

        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, BriefingScreen) and app.screen.ready, what="the briefing")
        await settled(pilot)
        assert_harmless(app, "briefing", *SHOWN, "[/b][link=https://evil.example]click")

        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, WorkspaceScreen) and app.screen.briefing, what="workspace")
        await settled(pilot)
        await app.workers.wait_for_complete()
        await pilot.pause()
        # The red herring deploy at 12m is on the timeline, its version as written; the title on the bar.
        assert_harmless(app, "workspace", r"deploy inventory v2.3.1\e[2J", r"Checkout \e[2J\e]0;PWNED\a")
        await pilot.press("slash")
        await pilot.press(*"deprecated", "enter")
        await settled(pilot)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert_harmless(app, "logs", r"WARN  checkout deprecated header \e[2J\e]0;PWNED\a\e[5;4")

        from dojo.tui.widgets.log_view import LogView

        app.screen.query_one(LogView).focus()  # out of the filter box
        await pilot.pause()
        await pilot.press("h")
        await pilot.press("y")  # take the hint: its text comes up as a notification and on the timeline
        await settled(pilot)
        await pilot.pause(0.2)
        assert_harmless(app, "hint", r"hint 1: Compare \e[2J")  # on the timeline
        toast = list(app._notifications)[-1]  # and the notification: spelled out, read as plain text
        assert toast.message.startswith(r"Compare \e[2J\e]0;PWNED\a\e[5;41m\r\b\u202e [/b][link=") and not toast.markup

        await pilot.press("ctrl+g")
        await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, DebriefScreen), what="the debrief")
        await pilot.pause()
        text = assert_harmless(app, "debrief", r"\e[2J\e]0;PWNED")
        assert "Checkout \\e[2J" in text  # the title on the debrief's first line
        await pilot.press("w")
        await pilot.pause()
        assert_harmless(app, "debrief story", r"What happened \e[2J", MARKUP[:10])

    async def main():
        async with app.run_test(size=SIZE) as pilot:
            await script(pilot)

    asyncio.run(main())


def test_a_scenario_over_the_size_budget_is_refused_on_the_briefing(tmp_path):
    from dojo.tui.app import DojoApp
    from dojo.tui.prepare import PlaySettings
    from dojo.tui.screens.briefing import BriefingScreen
    from tests.hostile.test_budget import scenario

    folder = tmp_path / "scenarios"
    folder.mkdir()
    scenario(folder, surge=100)
    app = DojoApp(settings=PlaySettings(clock="manual"), synthesize=synthesize, scenarios=folder)

    async def main():
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, BriefingScreen) and app.screen.error, what="the refusal")
            assert app.screen.error.startswith("This scenario is too big to play:\n")
            assert "log lines, faults included (limit 5,000,000" in app.screen.error
            await pilot.pause()
            assert "This scenario is too big to play:" in screen_text(app)

    asyncio.run(main())


def test_hostile_text_is_harmless_in_help_pickers_dialogs_and_progress(tmp_path):
    """The screens the walk above does not open: help (on the library and the workspace), the
    briefing's runbook link, the metrics pickers and chart, traces, the hypothesis and diagnosis
    dialogs with their pickers open, and the progress screen."""
    from textual.widgets import Input

    from dojo.tui.app import DojoApp
    from dojo.tui.prepare import PlaySettings
    from dojo.tui.screens.briefing import BriefingScreen
    from dojo.tui.screens.diagnosis import DiagnosisScreen
    from dojo.tui.screens.help import HelpScreen
    from dojo.tui.screens.hypothesis import HypothesisScreen
    from dojo.tui.screens.progress import ProgressScreen
    from dojo.tui.screens.workspace import WorkspaceScreen

    folder = tmp_path / "scenarios"
    folder.mkdir()
    write_hostile(folder)
    app = DojoApp(
        settings=PlaySettings(clock="manual", speed=10.0),
        synthesize=synthesize,
        scenarios=folder,
        store_path=tmp_path / "dojo.db",
    )
    learner = "\x1b]0;MINE\x07 [/b][link=https://evil.example]mine[/link]\u202e"

    async def script(pilot):
        await until(pilot, lambda: "Checkout" in screen_text(app), what="the library")
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen), what="help")
        await pilot.pause()
        assert_harmless(app, "library help", "Keys")
        await pilot.press("escape")

        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, BriefingScreen) and app.screen.ready, what="the briefing")
        await settled(pilot)
        assert_harmless(app, "briefing runbook", r"https://wiki.example/\e[2J\e]0;PWNED\a\e[5;41m[/b][red]")

        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, WorkspaceScreen) and app.screen.briefing, what="workspace")
        await settled(pilot)
        await app.workers.wait_for_complete()
        await pilot.press("right_square_bracket", "right_square_bracket")  # some signals to look at
        await settled(pilot)
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen), what="workspace help")
        await pilot.pause()
        assert_harmless(app, "workspace help", "Skip 1 min")
        await pilot.press("escape")
        await pilot.pause()

        for picker in ("m", "M"):  # the metric and service pickers, open, then the chart
            await pilot.press(picker)
            await pilot.pause()
            assert_harmless(app, f"metrics picker {picker}")
            await pilot.press("escape")
            await settled(pilot)
        assert_harmless(app, "metrics chart", "Metrics ·")

        await pilot.press("t")  # traces
        await settled(pilot)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert_harmless(app, "traces")
        await pilot.press("down")  # the waterfall of the newest trace, and its first span's detail
        waterfall = app.screen.query_one("Waterfall")
        await until(pilot, lambda: waterfall.spans, what="the waterfall")
        waterfall.focus()
        await pilot.press("down")
        await settled(pilot)
        assert_harmless(app, "waterfall")

        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, HypothesisScreen), what="the hypothesis dialog")
        app.screen.query_one("#hypothesis-text", Input).value = learner
        app.screen.query_one("#hypothesis-service").focus()
        await pilot.press("enter")  # the service picker, open
        await pilot.pause()
        assert_harmless(app, "hypothesis pickers", "checkout")
        await pilot.press("escape")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, WorkspaceScreen), what="back from the dialog")
        await settled(pilot)
        await pilot.pause(0.2)
        assert_harmless(app, "journal", r"H1 \e]0;MINE\a [/b][link=https://evil")

        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, DiagnosisScreen), what="the diagnosis dialog")
        await pilot.press("enter")  # the service picker, open
        await pilot.pause()
        assert_harmless(app, "diagnosis pickers", "checkout")
        await pilot.press("escape", "escape")
        await until(pilot, lambda: isinstance(app.screen, WorkspaceScreen), what="back from the diagnosis")

        await pilot.press("q")  # leave: the attempt stays, resumable
        await pilot.pause()
        if not isinstance(app.screen, WorkspaceScreen) and not hasattr(app.screen, "cards"):
            await pilot.press("y")
        await until(pilot, lambda: hasattr(app.screen, "cards"), what="the library again")
        await pilot.press("P")
        await until(pilot, lambda: isinstance(app.screen, ProgressScreen), what="progress")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert_harmless(app, "progress", "Progress")

    async def main():
        async with app.run_test(size=SIZE) as pilot:
            await script(pilot)

    asyncio.run(main())
