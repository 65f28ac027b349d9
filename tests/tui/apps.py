"""The whole app over the frozen built-in scenario, for Pilot and snapshot tests.

The incident is synthesized once per test process and handed to every app (the app takes its
telemetry maker as an argument); the clock is manual, so time moves only when a test presses
`]`, and every figure on screen is the same on every run.
"""

from __future__ import annotations

import time
from functools import lru_cache
from pathlib import Path

from dojo.scenario import load_scenario
from dojo.telemetry.synthesize import synthesize

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
SCENARIO = FIXTURES / "checkout-retry-storm.yaml"
SIZE = (120, 40)


@lru_cache(maxsize=1)
def scenario():
    return load_scenario(SCENARIO)


@lru_cache(maxsize=2)
def _telemetry(seed: int | None):
    return synthesize(scenario(), seed=seed)


def cached_synthesize(sc, seed=None, progress=None):
    if sc.id != scenario().id or sc != scenario():
        return synthesize(sc, seed=seed, progress=progress)
    return _telemetry(seed)


def dojo_app(play=None, **settings):
    from dojo.tui.app import DojoApp
    from dojo.tui.prepare import PlaySettings

    settings.setdefault("clock", "manual")
    settings.setdefault("speed", 10.0)
    return DojoApp(play=play, settings=PlaySettings(**settings), synthesize=cached_synthesize, scenarios=FIXTURES)


async def until(pilot, predicate, timeout: float = 30.0, what: str = "the condition") -> None:
    """Let the app run until `predicate()` holds (workers, the engine thread and messages)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.02)


async def settled(pilot) -> None:
    """Until the engine thread is idle and the messages it caused have landed."""
    app = pilot.app
    await until(pilot, lambda: not app.engine.busy, what="the engine thread")
    await pilot.pause()
    await pilot.pause()


async def to_briefing(pilot) -> None:
    from dojo.tui.screens.briefing import BriefingScreen

    await pilot.pause()
    if not isinstance(pilot.app.screen, BriefingScreen):
        await pilot.press("enter")
    await until(pilot, lambda: isinstance(pilot.app.screen, BriefingScreen) and pilot.app.screen.ready, what="the briefing")
    await settled(pilot)


async def to_workspace(pilot, advance: int = 0) -> None:
    """Through the briefing into the workspace, then `advance` minutes on the manual clock."""
    from dojo.tui.screens.workspace import WorkspaceScreen

    await to_briefing(pilot)
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(pilot.app.screen, WorkspaceScreen) and pilot.app.screen.briefing is not None, what="the workspace")
    for _ in range(advance):
        await pilot.press("right_square_bracket")
    await settled(pilot)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
