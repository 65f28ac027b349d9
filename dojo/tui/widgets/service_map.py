"""ServiceMap: the call graph as an indented tree, each service painted by its health at now.

Entry points (services nobody calls) are the roots; a service reached again on another path is
shown once more as a leaf marked ↑ rather than expanded twice. Health comes from the metrics
known by `now` (data/health.py), so colours change as the incident unfolds.

Attributes (down): `now`, the graph through `set_services`, metrics through `set_metrics`.
Messages (up): `ServiceSelected` when the cursor lands on a service.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip

from dojo.terminal_text import visible_line

from ..data import units
from ..data.health import DEGRADED, FAILING, OK, UNKNOWN, Health, health_at
from .row_list import RowList

if TYPE_CHECKING:  # pragma: no cover - annotations only: the pane is drawn before these load
    from dojo.scenario.model import Service

    from ..data.metric_cube import MetricCube

STATS_WIDTH = 19  # " 12.5%  1.23s  1.2k" after the names, aligned in columns
HEALTH_CLASSES = {state: f"service-map--{state}" for state in (OK, DEGRADED, FAILING, UNKNOWN)}


@dataclass(frozen=True)
class MapRow:
    prefix: str  # tree drawing: "│ ├╴"
    service: str
    repeat: bool  # already drawn above


def tree_rows(services: list[Service]) -> list[MapRow]:
    calls = {s.name: [c for c in s.calls] for s in services}
    called = {c for s in services for c in s.calls}
    roots = [s.name for s in services if s.name not in called] or [services[0].name]
    rows: list[MapRow] = []
    drawn: set[str] = set()

    def walk(name: str, lead: str, branch: str) -> None:
        repeat = name in drawn
        rows.append(MapRow(lead + branch, name, repeat))
        if repeat:
            return
        drawn.add(name)
        children = calls.get(name, [])
        # Two cells a level: a deep graph still leaves room for the numbers.
        below = lead + ("" if not branch else "  " if branch.startswith("└") else "│ ")
        for i, child in enumerate(children):
            walk(child, below, "└╴" if i == len(children) - 1 else "├╴")

    for root in roots:
        walk(root, "", "")
    # A cycle can hide services from every root: list them too so none is missing.
    for s in services:
        if s.name not in drawn:
            walk(s.name, "", "")
    return rows


class ServiceMap(RowList):
    BINDINGS = [Binding("enter", "choose", "Focus service", id="service-map.focus")]
    COMPONENT_CLASSES = {"service-map--muted", "service-map--tree", *HEALTH_CLASSES.values()}

    now: reactive[float] = reactive(0.0)

    class ServiceSelected(Message):
        def __init__(self, service_map: ServiceMap, service: str):
            super().__init__()
            self.service_map, self.service = service_map, service

        @property
        def control(self) -> ServiceMap:
            return self.service_map

    class ServiceChosen(ServiceSelected):
        """Enter on a service: focus the investigation on it."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.rows: list[MapRow] = []
        self._name_width = 0
        self.cube: MetricCube | None = None
        self.health: dict[str, Health] = {}
        self.heading = "Service map · err · p99 · req/s"

    def set_services(self, services: list[Service]) -> None:
        self.rows = tree_rows(services)
        self._name_width = max((len(r.prefix) + 2 + len(r.service) for r in self.rows), default=0)
        self._strips.clear()
        self.set_rows(len(self.rows))

    def set_metrics(self, cube: MetricCube) -> None:
        self.cube = cube
        self._update_health()

    def watch_now(self) -> None:
        self._update_health()

    def state_of(self, service: str) -> str:
        health = self.health.get(service)
        return health.state if health else UNKNOWN

    def _update_health(self) -> None:
        if self.cube is None:
            return
        health = health_at(self.cube, self.now)
        if health != self.health:
            self.health = health
            self._strips.clear()
            self.refresh()
            failing = sum(h.state == FAILING for h in health.values())
            degraded = sum(h.state == DEGRADED for h in health.values())
            self.status = f"{failing} failing · {degraded} degraded" if failing or degraded else "all healthy"

    def cursor_moved(self, row: int | None) -> None:
        if row is not None:
            self.post_message(self.ServiceSelected(self, self.rows[row].service))

    def row_chosen(self, row: int) -> None:
        self.post_message(self.ServiceChosen(self, self.rows[row].service))

    def build_row(self, row: int) -> Strip:
        r = self.rows[row]
        style = self.get_component_rich_style
        state = self.state_of(r.service)
        colour = style(HEALTH_CLASSES[state])
        muted = style("service-map--muted")
        text = Text(no_wrap=True, end="")
        text.append(r.prefix, style("service-map--tree"))
        text.append("● " if state != UNKNOWN else "○ ", colour)
        text.append(visible_line(r.service), colour)
        if r.repeat:
            text.append(" ↑", muted)  # drawn in full above
            return self.text_strip(text)
        h = self.health.get(r.service)
        if h is not None and not math.isnan(h.rps):
            # The columns that fit, most telling first (errors, p99, rate); names give way last.
            width = self.scrollable_content_region.width or (self._name_width + STATS_WIDTH)
            columns = [
                (f" {units.metric_value('error_rate', h.error_rate):>5}", True),
                (f" {units.metric_value('latency_p99_ms', h.p99_ms):>6}", True),
                (f" {units.metric_value('rps', h.rps):>5}", False),
            ]
            while columns and min(self._name_width, 12) + sum(len(c) for c, _ in columns) > width:
                columns.pop()
            room = width - sum(len(c) for c, _ in columns)
            if text.cell_len > room:
                text.truncate(room, overflow="ellipsis")
            text.append(" " * max(0, min(self._name_width, room) - text.cell_len))
            stats = muted if h.state in (OK, UNKNOWN) else colour
            for cell, telling in columns:
                text.append(cell, stats if telling else muted)
        return self.text_strip(text)

    def on_resize(self) -> None:
        self._strips.clear()  # the columns that fit depend on the width
