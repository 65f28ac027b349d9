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
    await until(
        pilot, lambda: isinstance(pilot.app.screen, BriefingScreen) and pilot.app.screen.ready, what="the briefing"
    )
    await settled(pilot)


async def to_workspace(pilot, advance: int = 0, direct: bool = False) -> None:
    """Through the briefing into the workspace (`direct`: straight in, as the briefing would
    have opened the attempt), then `advance` minutes on the manual clock."""
    from dojo.tui.prepare import open_attempt
    from dojo.tui.screens.workspace import WorkspaceScreen

    app = pilot.app
    if direct:
        await pilot.pause()
        session, feeds = await app.engine.call(
            lambda: open_attempt(scenario(), app.store(), app.settings, cached_synthesize)
        )
        await app.begin(session, feeds, replace=False)
    else:
        await to_briefing(pilot)
        await pilot.press("enter")
    await until(
        pilot,
        lambda: isinstance(pilot.app.screen, WorkspaceScreen) and pilot.app.screen.briefing is not None,
        what="the workspace",
    )
    for _ in range(advance):
        await pilot.press("right_square_bracket")
    await settled(pilot)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def played(script, **start) -> list:
    """The events of an attempt `script(session)` plays headless (manual clock) on a scratch store."""
    import tempfile

    from dojo.engine.session import Session
    from dojo.store import Store

    start.setdefault("clock", "manual")
    with tempfile.TemporaryDirectory() as tmp, Store.open(Path(tmp) / "dojo.sqlite3") as store:
        session = Session.start(scenario(), store, telemetry=_telemetry(None), **start)
        script(session)
        return session.events


def write_history(attempts: list[list], day: int = 1) -> None:
    """Put played attempts in the learner's store ($DOJO_HOME), dated one a day from
    2026-03-<day> 09:00 UTC, so that screens listing them look the same on every run."""
    from dataclasses import replace

    from dojo.store import Store

    with Store.open() as store:
        for i, events in enumerate(attempts):
            at = f"2026-03-{day + i:02d}T09:00:00.000Z"
            first, *rest = [replace(e, at=at) for e in events]
            attempt, _ = store.create_attempt(first.data["scenario_id"], first.data["title"], first)
            for e in rest:
                store.append(attempt, e)


def solve(after_s: float, wrong: int = 0, hints: int = 0):
    """A script: `wrong` wrong diagnoses and `hints` hints, then the right one after `after_s`."""

    def script(s) -> None:
        for _ in range(wrong):
            s.diagnose("payment-provider", "dependency_latency", "the provider is slow")
        for _ in range(hints):
            s.hint()
        s.advance(after_s)
        s.diagnose("checkout", "retry_storm", "checkout retries each failed call with no backoff")

    return script
