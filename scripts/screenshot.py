"""The README's screenshot: the workspace mid-incident on the built-in checkout-retry-storm,
saved as SVG by Textual itself.

    python scripts/screenshot.py [docs/images/workspace.svg]

It plays the way a learner would (through the briefing, three minutes past the page, a filter,
a hypothesis, a pinned line, the payments request rate), on a manual clock and a scratch store,
so the picture is the same on every run and the learner's history is left alone.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

DEFAULT_OUT = Path("docs/images/workspace.svg")
SIZE = (120, 40)


async def _until(pilot, predicate, timeout: float = 60.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise SystemExit("the app did not get there in time")
        await pilot.pause(0.05)


async def _shoot(out: Path) -> None:
    from textual.widgets import Input, Select

    from dojo.tui.app import DojoApp
    from dojo.tui.prepare import PlaySettings
    from dojo.tui.screens.briefing import BriefingScreen
    from dojo.tui.screens.workspace import WorkspaceScreen
    from dojo.tui.widgets.metrics_pane import MetricsPane

    app = DojoApp(play="checkout-retry-storm", settings=PlaySettings(clock="manual", speed=10.0))
    async with app.run_test(size=SIZE) as pilot:
        await _until(pilot, lambda: isinstance(app.screen, BriefingScreen) and app.screen.ready)
        await pilot.press("enter")
        await _until(pilot, lambda: isinstance(app.screen, WorkspaceScreen) and app.screen.briefing is not None)
        ws = app.screen
        await pilot.press("right_square_bracket", "right_square_bracket", "right_square_bracket")
        await pilot.press("slash")
        ws.query_one("#log-filter-text", Input).value = "retrying request"
        await pilot.press("enter")
        await pilot.press("n")
        app.screen.query_one("#hypothesis-text", Input).value = "checkout retries turn a slow provider into a storm"
        app.screen.query_one("#hypothesis-service", Select).value = "checkout"
        app.screen.query_one("#hypothesis-fault", Select).value = "retry_storm"
        await pilot.press("ctrl+s")
        await _until(pilot, lambda: not app.engine.busy and app.session.journal.hypotheses)
        ws.query_one("#log-view").focus()
        await pilot.press("up", "up", "p")
        await _until(pilot, lambda: not app.engine.busy and app.session.journal.pins)
        metrics = ws.query_one(MetricsPane)
        metrics.service, metrics.metric = "payments", "rps"
        await app.workers.wait_for_complete()
        app.clear_notifications()
        await pilot.pause(0.3)
        ws.query_one("#log-view").focus()
        await pilot.pause()
        out.parent.mkdir(parents=True, exist_ok=True)
        app.save_screenshot(out.name, str(out.parent))


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0]) if args else DEFAULT_OUT
    with tempfile.TemporaryDirectory() as home:
        os.environ["DOJO_HOME"] = home  # a scratch store: the screenshot's attempt is nobody's
        asyncio.run(_shoot(out))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
