"""MetricsPane: a service picker and a metric picker around a MetricChart.

Attributes (down): `now`, `service`, `metric`, `window` (how far back from now a pin of this
metric reaches, shaded on the chart; None: no pin window), and the data through `set_data`.
Messages (up): `Picked` when the learner picks another service or metric.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Select

from dojo.scenario.vocabulary import METRIC_NAMES

from ..data import units
from ..plain import plain
from .metric_chart import MetricChart

if TYPE_CHECKING:  # pragma: no cover - annotations only: the pane is drawn before these load
    from dojo.scenario.model import Alert

    from ..data.metric_cube import MetricCube

# The order a learner reaches for them: the golden signals first, then saturation and the rest
# of the vocabulary in its own order (a metric added there shows here with no edit).
GOLDEN = ("latency_p99_ms", "latency_p50_ms", "rps", "error_rate")
PREFERRED = [*GOLDEN, *(m for m in METRIC_NAMES if m not in GOLDEN)]


class Reading(Widget):
    """The latest value and the alert line, in a fixed-size cell. A Label's update lays out the
    whole screen (its size could change); this one only repaints, as it does on every tick."""

    text: reactive[str] = reactive("")

    def render(self) -> str:
        return self.text


class MetricsPane(Vertical):
    now: reactive[float] = reactive(0.0)
    service: reactive[str | None] = reactive(None)
    metric: reactive[str] = reactive("latency_p99_ms")
    window: reactive[float | None] = reactive(None)

    class Picked(Message):
        def __init__(self, pane: MetricsPane, service: str, metric: str):
            super().__init__()
            self.pane, self.service, self.metric = pane, service, metric

        @property
        def control(self) -> MetricsPane:
            return self.pane

    def __init__(self, *, id: str | None = None, classes: str | None = None):
        super().__init__(id=id, classes=classes)
        self.cube: MetricCube | None = None
        self.alerts: list[Alert] = []
        self.duration = 1.0

    def compose(self) -> ComposeResult:
        with Horizontal(classes="pickers"):
            yield Select([], prompt="service", allow_blank=True, id="metric-service", compact=True)
            yield Select([], prompt="metric", allow_blank=True, id="metric-name", compact=True)
            yield Reading(id="metric-reading")
        yield MetricChart(id="metric-chart")

    def set_data(self, cube: MetricCube, alerts: list[Alert], duration: float, service: str | None = None) -> None:
        self.cube, self.alerts, self.duration = cube, list(alerts), duration
        with self.prevent(Select.Changed):
            self.query_one("#metric-service", Select).set_options([(plain(s), s) for s in cube.services])
        self.service = service or (cube.services[0] if cube.services else None)
        self._sync_pickers()
        self._redraw()

    def threshold(self) -> tuple[float | None, bool]:
        """The alert line for this service and metric, and whether it fires above it."""
        for alert in self.alerts:
            if alert.service == self.service and alert.metric == self.metric:
                return (alert.above, True) if alert.above is not None else (alert.below, False)
        return None, True

    def watch_now(self) -> None:
        self._redraw()

    def watch_service(self) -> None:
        self._sync_pickers()
        self._redraw()

    def watch_metric(self) -> None:
        self._sync_pickers()
        self._redraw()

    def watch_window(self) -> None:
        self._redraw()

    def pin_window(self) -> tuple[str, str, float, float] | None:
        """(service, metric, t0, t1) of the window a pin takes: the closed buckets of the last
        `window` seconds (all of them for an infinite window)."""
        cube = self.cube
        if cube is None or self.service is None or self.window is None:
            return None
        known = cube.known(self.now)
        if known == 0:
            return None
        t1 = float(cube.t[known - 1]) + cube.grid
        return self.service, self.metric, max(float(cube.t[0]), t1 - self.window), t1

    def _sync_pickers(self) -> None:
        if self.cube is None or self.service is None or not self.is_mounted:
            return
        available = [m for m in PREFERRED if self.cube.has(self.service, m)]
        # Then each operation's golden signals (`error_rate{op=write}`), for services that declare them.
        available += [m for m in self.cube.metrics_of(self.service) if m not in PREFERRED]
        if available and self.metric not in available:
            self.metric = available[0]
            return
        names = self.query_one("#metric-name", Select)
        with self.prevent(Select.Changed):  # echoing our own state is not a pick
            names.set_options([(plain(units.metric_label(m)), m) for m in available])
            self.query_one("#metric-service", Select).value = self.service
            if self.metric in available:
                names.value = self.metric

    @on(Select.Changed, "#metric-service")
    def _service_picked(self, event: Select.Changed) -> None:
        event.stop()
        if isinstance(event.value, str) and event.value != self.service:
            self.service = event.value
            self.post_message(self.Picked(self, self.service, self.metric))

    @on(Select.Changed, "#metric-name")
    def _metric_picked(self, event: Select.Changed) -> None:
        event.stop()
        if isinstance(event.value, str) and event.value != self.metric and self.service is not None:
            self.metric = event.value
            self.post_message(self.Picked(self, self.service, self.metric))

    def _redraw(self) -> None:
        if self.cube is None or self.service is None or not self.is_mounted:
            return
        t, values = self.cube.series(self.service, self.metric, self.now)
        threshold, above = self.threshold()
        chart = self.query_one(MetricChart)
        pin = self.pin_window()
        window = None if pin is None else pin[2:]
        chart.set_series(
            t, values, metric=self.metric, duration=self.duration, threshold=threshold, above=above, window=window
        )
        chart.now = self.now
        latest = units.metric_value(self.metric, values[-1]) if len(values) else "–"
        alert = (
            "" if threshold is None else f" · alert {'>' if above else '<'}{units.metric_value(self.metric, threshold)}"
        )
        self.query_one(Reading).text = f"{latest}{alert}"
        if self.window is not None:
            reach = "all so far" if self.window == float("inf") else f"last {self.window / 60:g}m"
            self.border_subtitle = f"pin window: {reach}" if window is not None else ""
        self.border_title = plain(f"Metrics · {self.service} · {units.metric_label(self.metric)}")
