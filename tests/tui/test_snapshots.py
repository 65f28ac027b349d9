"""Snapshots of the demo workspace at 120x40 (update with --snapshot-update after a change
that is meant to show). The clock is paused and wall time frozen, so runs are identical."""

from functools import lru_cache

import pytest

pytest.importorskip("pytest_textual_snapshot")  # the snap_compare fixture comes from it

from dojo.tui.demo import DemoApp  # noqa: E402
from dojo.tui.widgets.trace_list import TraceList  # noqa: E402

SIZE = (120, 40)


@lru_cache(maxsize=1)
def incident():
    """The built-in scenario's incident, synthesized once for every snapshot."""
    from dojo.scenario import load_scenario
    from dojo.telemetry.synthesize import synthesize
    from dojo.tui.demo import DEFAULT_SCENARIO

    return synthesize(load_scenario(DEFAULT_SCENARIO))


def workspace(at: float) -> DemoApp:
    return DemoApp(at=at, paused=True, wall=lambda: 0.0, telemetry=incident())


async def ready(pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


def test_workspace_before_the_fault(snap_compare):
    assert snap_compare(workspace(12 * 60 + 30), terminal_size=SIZE, run_before=ready)


def test_workspace_mid_incident(snap_compare):
    assert snap_compare(workspace(19 * 60), terminal_size=SIZE, run_before=ready)


def test_workspace_investigating_in_the_light_theme(snap_compare):
    async def investigate(pilot) -> None:
        await ready(pilot)
        pilot.app.theme = "textual-light"
        await pilot.press("slash", *"retrying", "enter")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        pilot.app.query_one(TraceList).focus()
        await pilot.press("down", "down")
        await pilot.pause()

    assert snap_compare(workspace(19 * 60), terminal_size=SIZE, run_before=investigate)


def test_help_lists_the_keys(snap_compare):
    async def help_screen(pilot) -> None:
        await ready(pilot)
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(workspace(60), terminal_size=SIZE, run_before=help_screen)
