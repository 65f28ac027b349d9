"""A small incident and a host app for driving one widget with Pilot."""

from __future__ import annotations

import asyncio
from functools import lru_cache

from textual.app import App, ComposeResult
from textual.widget import Widget

from dojo.telemetry.model import Telemetry
from dojo.telemetry.synthesize import synthesize
from dojo.tui import WIDGETS_CSS
from tests.telemetry.scenarios import shop

FAULT_AT = 240.0  # the provider slows down and checkout starts its retry storm
FAULT_FOR = 180.0


@lru_cache(maxsize=1)
def incident() -> Telemetry:
    """Ten minutes of a six-service shop with a retry storm at 4m: about 30,000 log lines."""
    return synthesize(
        shop(
            timeline=[
                {
                    "at": FAULT_AT,
                    "kind": "dependency_latency",
                    "service": "provider",
                    "params": {"added_ms": 900},
                    "for": FAULT_FOR,
                },
                {"at": FAULT_AT, "kind": "retry_storm", "service": "checkout", "params": {"factor": 4}},
            ],
            duration="10m",
        )
    )


class Host(App):
    """Mounts one widget and records every message it and its parents see."""

    CSS_PATH = [WIDGETS_CSS]

    def __init__(self, widget: Widget):
        super().__init__()
        self.widget = widget
        self.seen: list = []

    def compose(self) -> ComposeResult:
        yield self.widget

    def of(self, kind: type) -> list:
        return [m for m in self.seen if isinstance(m, kind)]


def drive(widget: Widget, script, size: tuple[int, int] = (100, 20)):
    """Run `script(app, pilot)` (a coroutine function) against `widget` in a headless app."""

    async def main():
        app = Host(widget)
        async with app.run_test(size=size, message_hook=app.seen.append) as pilot:
            await pilot.pause()
            return await script(app, pilot)

    return asyncio.run(main())


async def settle(app: App, pilot) -> None:
    """Let workers finish and their messages land."""
    await app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


def matcher(tel: Telemetry):
    """The engine's log filter over `tel`, as the log pane asks it (no session, no engine thread)."""
    from dojo.tui.data.log_rows import signals_matcher

    return signals_matcher(_signals(id(tel), tel))


def signals(tel: Telemetry):
    """The engine's Signals over `tel`, built once per telemetry."""
    return _signals(id(tel), tel)


_SIGNALS: dict = {}


def _signals(key: int, tel: Telemetry):
    from dojo.engine.queries import Signals

    if key not in _SIGNALS:
        _SIGNALS.clear()
        _SIGNALS[key] = (tel, Signals(tel))  # the telemetry kept alive, so its id stays its own
    return _SIGNALS[key][1]
