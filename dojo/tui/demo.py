"""The investigation workspace over a synthesized incident, on a simple advancing clock.

    python -m dojo.tui.demo [SCENARIO.yaml] [--speed 10] [--at 14m] [--paused]

A showcase of the panes before the engine exists: it synthesizes the scenario's telemetry in a
worker, then feeds every pane the same "now" from a DemoClock. Pins only notify: the journal
that keeps them belongs to the engine.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Callable

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Footer

from dojo.builtin import scenarios_dir
from dojo.scenario.durations import parse_duration
from dojo.scenario.loader import load_scenario
from dojo.telemetry.model import Telemetry
from dojo.telemetry.synthesize import synthesize

from . import WIDGETS_CSS
from .data.metric_cube import MetricCube
from .demo_clock import DemoClock
from .heap import settle_after_load
from .screens.help import HelpScreen, binding_rows
from .widgets.clock_bar import ClockBar
from .widgets.log_view import LogView
from .widgets.logs_pane import LogsPane
from .widgets.metrics_pane import MetricsPane
from .widgets.service_map import ServiceMap
from .widgets.timeline import Timeline
from .widgets.trace_list import TraceList
from .widgets.traces_pane import TracesPane
from .widgets.waterfall import Waterfall

DEFAULT_SCENARIO = scenarios_dir() / "checkout-retry-storm.yaml"
SPEEDS = [1, 2, 5, 10, 20, 30, 60]
TICK = 0.25  # seconds between clock reads: smooth enough, and each tick is a few ms of work


class DemoApp(App):
    CSS_PATH = [WIDGETS_CSS, "demo.tcss"]
    TITLE = "debugging dojo"
    SPEED = Binding.Group("Speed", compact=True)
    SEEK = Binding.Group("Seek", compact=True)
    BINDINGS = [
        Binding("space", "toggle_pause", "Pause", id="demo.pause"),
        Binding("minus", "speed(-1)", "Slower", key_display="-", group=SPEED, id="demo.slower"),
        Binding("plus,equals_sign", "speed(1)", "Faster", key_display="+", group=SPEED, id="demo.faster"),
        Binding("left_square_bracket", "seek(-60)", "Back 1 min", key_display="[", group=SEEK, id="demo.back"),
        Binding("right_square_bracket", "seek(60)", "Forward 1 min", key_display="]", group=SEEK, id="demo.forward"),
        Binding("slash", "focus_filter", "Filter", key_display="/", id="demo.filter"),
        Binding("ctrl+t", "toggle_theme", "Light/dark", id="demo.theme"),
        Binding("question_mark", "help", "Help", key_display="?", id="demo.help"),
        Binding("ctrl+q,q", "quit", "Quit", show=False, id="demo.quit"),
    ]

    now: reactive[float] = reactive(0.0, init=False)

    class Synthesized(Message):
        def __init__(self, telemetry: Telemetry, cube: MetricCube):
            super().__init__()
            self.telemetry, self.cube = telemetry, cube

    def __init__(
        self, scenario: str | Path = DEFAULT_SCENARIO, *, speed: float = 10.0, at: float = 0.0, paused: bool = False,
        wall: Callable[[], float] = time.monotonic, telemetry: Telemetry | None = None,
    ):  # fmt: skip
        """`telemetry`: the scenario's incident if it is already synthesized (tests share one)."""
        super().__init__()
        self.scenario_path = Path(scenario)
        self.scenario = load_scenario(self.scenario_path)
        self.clock = DemoClock(self.scenario.duration, speed=speed, at=at, wall=wall)
        self.clock.paused = paused
        self.now = self.clock.now()
        self.telemetry: Telemetry | None = None
        self._given = telemetry

    def compose(self) -> ComposeResult:
        yield ClockBar(id="clock")
        with Horizontal(id="workspace"):
            with Vertical(id="left"):
                yield ServiceMap(id="service-map").data_bind(DemoApp.now)
                yield Timeline(id="timeline").data_bind(DemoApp.now)
                yield TracesPane(id="traces").data_bind(DemoApp.now)
            with Vertical(id="right"):
                yield MetricsPane(id="metrics").data_bind(DemoApp.now)
                yield LogsPane(id="logs").data_bind(DemoApp.now)
                yield Waterfall(id="waterfall")
        yield Footer()

    def on_mount(self) -> None:
        self.title = self.scenario.title
        for pane in self.query("#workspace Vertical > *"):
            pane.loading = True
        self._synthesize()

    @work(thread=True, exclusive=True, group="synthesize")
    def _synthesize(self) -> None:
        telemetry = self._given if self._given is not None else synthesize(self.scenario)
        self.post_message(self.Synthesized(telemetry, MetricCube(telemetry.metrics, telemetry.grid)))

    def on_demo_app_synthesized(self, message: Synthesized) -> None:
        tel = self.telemetry = message.telemetry
        self.query_one(ServiceMap).set_services(tel.scenario.services)
        self.query_one(ServiceMap).set_metrics(message.cube)
        self.query_one(Timeline).set_events(tel.events, tel.start)
        self.query_one(TracesPane).set_spans(tel.spans, tel.start)
        self.query_one(MetricsPane).set_data(
            message.cube, tel.scenario.alerts, tel.duration, service=self._paged_service()
        )
        self.query_one(LogsPane).set_logs(tel.logs, tel.start)
        for pane in self.query("#workspace Vertical > *"):
            pane.loading = False
        clock = self.query_one(ClockBar)
        clock.duration, clock.start, clock.title = tel.duration, tel.start, self.scenario.title
        settle_after_load()
        self._tick()
        self.set_interval(TICK, self._tick)
        self.query_one(LogView).focus()

    def _paged_service(self) -> str | None:
        """The service of the alert that pages the learner: where an investigation starts."""
        alerts = self.scenario.alerts
        paged = next((a for a in alerts if a.name == self.scenario.page), alerts[0] if alerts else None)
        return paged.service if paged else None

    def _tick(self) -> None:
        self.now = self.clock.now()
        bar = self.query_one(ClockBar)
        bar.now, bar.speed, bar.paused = self.now, self.clock.speed, self.clock.paused
        bar.wall_elapsed = self.clock.wall_elapsed

    # -- messages up -------------------------------------------------------------------------------

    @on(ServiceMap.ServiceSelected)
    def _service_selected(self, message: ServiceMap.ServiceSelected) -> None:
        self.query_one(MetricsPane).service = message.service

    @on(ServiceMap.ServiceChosen)
    def _service_chosen(self, message: ServiceMap.ServiceChosen) -> None:
        self.query_one(LogsPane).show_service(message.service)

    @on(TraceList.TraceSelected)
    def _trace_selected(self, message: TraceList.TraceSelected) -> None:
        index = message.trace_list.index
        self.query_one(Waterfall).show_trace(message.trace_id, index.spans_of(message.trace_id), self.telemetry.start)

    @on(TraceList.TraceChosen)
    def _trace_chosen(self) -> None:
        self.query_one(Waterfall).focus()

    @on(Timeline.EventChosen)
    def _event_chosen(self, message: Timeline.EventChosen) -> None:
        view = self.query_one(LogView)
        view.jump_to_time(message.entry.t)
        view.focus()

    @on(LogView.PinRequested)
    @on(Waterfall.PinRequested)
    def _pin(self, message: LogView.PinRequested | Waterfall.PinRequested) -> None:
        pin = message.line_id if isinstance(message, LogView.PinRequested) else message.span_id
        self.notify(f"pinned {pin} (the journal keeps pins once the engine lands)", title="Evidence")

    # -- actions ---------------------------------------------------------------------------------

    def action_toggle_pause(self) -> None:
        self.clock.toggle_pause()
        self._tick()

    def action_speed(self, step: int) -> None:
        at = min(range(len(SPEEDS)), key=lambda i: abs(SPEEDS[i] - self.clock.speed))
        self.clock.set_speed(SPEEDS[max(0, min(len(SPEEDS) - 1, at + step))])
        self._tick()

    def action_seek(self, seconds: float) -> None:
        self.clock.seek(self.clock.now() + seconds)
        self._tick()

    def action_focus_filter(self) -> None:
        self.query_one("#log-filter-text").focus()

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.current_theme.dark else "textual-dark"

    def action_help(self) -> None:
        self.push_screen(HelpScreen(binding_rows(self.screen)))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m dojo.tui.demo", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "scenario", nargs="?", default=str(DEFAULT_SCENARIO), help="scenario YAML (default: checkout-retry-storm)"
    )
    parser.add_argument("--speed", type=float, default=10.0, help="scenario seconds per wall second (default 10)")
    parser.add_argument("--at", default="0s", help="scenario time to start at, e.g. 14m")
    parser.add_argument("--paused", action="store_true", help="start with the clock paused")
    args = parser.parse_args(argv)
    DemoApp(args.scenario, speed=args.speed, at=parse_duration(args.at), paused=args.paused).run()


if __name__ == "__main__":
    main()
