"""What queries take and return: the query contract shared by Session, the headless protocol
and the TUI.

Arguments are pydantic models, strict and closed (no unknown keys, no coercion of "10" to 10),
so the protocol validates each command with the very model the engine uses. Results are plain
dataclasses with `to_dict()` for JSON.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from dojo.scenario.vocabulary import Level

from .journal import Journal

Time = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Order = Literal["newest", "oldest"]


class Args(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class LogQuery(Args):
    contains: str | None = Field(None, min_length=1, max_length=500, description="substring of the message")
    regex: str | None = Field(
        None, min_length=1, max_length=500, description="RE2 regular expression searched in the message"
    )
    ignore_case: bool = False
    service: str | list[str] | None = None
    host: str | list[str] | None = Field(None, description="a replica, e.g. checkout-7d9f8c6b5-x2k4p")
    level: Level | list[Level] | None = None
    trace_id: str | None = Field(None, max_length=64)
    since: Time | None = None
    until: Time | None = None
    limit: int = Field(50, ge=0, le=1000)
    offset: int = Field(0, ge=0)
    order: Order = "newest"


class MetricQuery(Args):
    service: str | None = Field(None, description="omit to list services and their metrics")
    metric: str | None = Field(None, description="omit for a summary of every metric of the service")
    since: Time | None = None
    until: Time | None = None
    points: bool = Field(True, description="include the series itself, not only the window aggregates")


class TraceQuery(Args):
    service: str | None = None
    status: Literal["ok", "error"] | None = None
    min_ms: float | None = Field(None, ge=0, allow_inf_nan=False)
    contains: str | None = Field(None, min_length=1, max_length=200, description="text in a span's status message")
    trace_id: str | None = Field(None, max_length=64)
    since: Time | None = None
    until: Time | None = None
    limit: int = Field(20, ge=0, le=500)
    offset: int = Field(0, ge=0)
    order: Order = "newest"


class EventQuery(Args):
    kind: Literal["all", "alerts", "changes"] = "all"
    service: str | None = None
    since: Time | None = None
    until: Time | None = None
    limit: int = Field(100, ge=0, le=1000)


# -- results ---------------------------------------------------------------------------------


class Result:
    """What a Session call returns: read by attribute; `to_dict()` for JSON."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)  # type: ignore[call-overload, no-any-return]


@dataclass
class LogLine(Result):
    id: str
    t: float
    service: str
    host: str
    level: str
    trace_id: str
    message: str
    text: str  # the whole plain-text line, as in logs.log


@dataclass
class LogPage(Result):
    count: int  # lines that match, of those visible
    offset: int
    order: str
    lines: list[LogLine]
    # Request and error lines are a sample: each request writes one with this chance (span lines:
    # one per sampled trace). Counts of lines are counts of requests times this.
    log_sample: float = 1.0


@dataclass
class WindowStats(Result):
    id: str  # pin id of this window
    service: str
    metric: str
    t0: float
    t1: float
    n: int
    mean: float | None
    min: float | None
    max: float | None
    p50: float | None
    p90: float | None
    p99: float | None
    first: float | None
    last: float | None


@dataclass
class MetricSeries(Result):
    service: str
    metric: str
    window: WindowStats
    points: list[list[float]]  # [[t, value], ...]: t is the bucket start


@dataclass
class MetricSummary(Result):
    service: str
    windows: list[WindowStats]


@dataclass
class MetricCatalog(Result):
    grid: float
    services: dict[str, list[str]]


@dataclass
class TraceSummary(Result):
    trace_id: str
    t: float
    service: str  # the root span's
    name: str
    duration_ms: float
    status: str  # error when any span failed
    spans: int
    match: str | None  # the first span that matched the filters (a pin id)
    errors: int = 0  # spans that failed
    # Spans that repeat a sibling's call (same parent, same service): the retries of that call.
    retries: int = 0
    finished: float = 0.0  # when its last span ended: the trace is listed from then on


@dataclass
class TracePage(Result):
    count: int
    offset: int
    order: str
    traces: list[TraceSummary]


@dataclass
class SpanEvent(Result):
    """Something a span recorded while it ran (an imported span's event: an exception, a retry)."""

    t: float
    name: str
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass
class SpanNode(Result):
    id: str
    service: str
    name: str
    t: float
    duration_ms: float
    status: str
    message: str
    # Calls from one parent to one service are attempts of one call: the first is attempt 1,
    # its retries 2.. of `attempts`.
    attempt: int = 1
    attempts: int = 1
    children: list["SpanNode"] = field(default_factory=list)
    # What an imported span carried (`http.status_code`, `db.statement`, an `exception` event with
    # its type and message); synthetic spans have none.
    attributes: dict[str, Any] = field(default_factory=dict)
    events: list[SpanEvent] = field(default_factory=list)

    def walk(self, depth: int = 0) -> Iterator[tuple[int, "SpanNode"]]:
        """The tree depth-first, children in start order, each span with its depth."""
        yield depth, self
        for child in self.children:
            yield from child.walk(depth + 1)


@dataclass
class EventItem(Result):
    id: str
    t: float
    kind: str
    service: str
    name: str
    detail: str


@dataclass
class EventList(Result):
    count: int
    events: list[EventItem]


@dataclass
class Item(Result):
    """A resolved id: what a pin holds. `data` is a snapshot of the item, so that scoring can
    judge the pin from the event log alone, without the telemetry."""

    id: str
    kind: str  # log | span | metric | event
    t: float  # when it happened (a window: its end)
    summary: str
    data: dict[str, Any]


# -- the Session's own results ---------------------------------------------------------------


@dataclass
class ClockState(Result):
    now: float  # scenario seconds that have happened
    wall_s: float  # learner seconds spent, over all sessions
    speed: float
    paused: bool
    start: float  # scenario time of the page
    end: float
    finished: bool


@dataclass
class ServiceInfo(Result):
    name: str
    kind: str
    calls: list[str]


@dataclass
class PageGraph(Result):
    """What the pager shows beside the alert: the alerting metric of the paged service up to
    the page, and the threshold it crossed. Nothing after the page, nothing of other services."""

    alert: str
    service: str
    metric: str
    threshold: float
    above: bool
    points: list[list[float]]  # [[t, value], ...] buckets closed by the page


@dataclass
class Briefing(Result):
    scenario: str
    title: str
    difficulty: int
    briefing: str
    page: list[str]  # alerts firing when the learner is paged
    services: list[ServiceInfo]
    faults: dict[str, str]
    par_s: float
    wrong_penalty_s: float
    hints: list[float]  # each hint's cost, in order
    require_trigger: bool
    graph: PageGraph | None = None
    runbook: str | None = None


@dataclass
class ActionResult(Result):
    """A learner's action taken: the incident is simulated again from `at` on."""

    kind: str
    service: str
    at: float  # scenario time the change took effect
    lines: int  # log lines of the incident as it now is


@dataclass
class HintResult(Result):
    index: int  # 1-based
    of: int
    text: str
    cost_s: float
    hints_left: int


@dataclass
class DiagnosisResult(Result):
    """A verdict. `service_ok`/`fault_ok`/`trigger_ok` are there only where the rules explain
    (practice); `penalty_s` only for a wrong one; `card` only for a correct one."""

    correct: bool
    message: str
    penalty_s: float | None = None
    service_ok: bool | None = None
    fault_ok: bool | None = None
    trigger_ok: bool | None = None
    card: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass
class Visible(Result):
    logs: int
    metric_points: int
    traces: int
    spans: int
    events: int


@dataclass
class Status(Result):
    attempt: int
    scenario: str
    outcome: str  # in_progress | solved | gave_up | timed_out
    mode: str
    clock: str
    now: float
    wall_s: float
    speed: float
    paused: bool
    start: float
    end: float
    finished: bool
    time_limit_s: float | None
    visible: Visible
    firing: list[str]
    hints_used: int
    hints_left: int
    wrong_diagnoses: int
    hypotheses: int
    pins: int
    log_sample: float = 1.0  # the chance a request writes its line (as in LogPage)


@dataclass
class AttemptView(Result):
    """A UI's copy of the attempt (see Session.view)."""

    attempt: int  # the store's id (what --resume takes)
    number: int  # which attempt of its scenario this is: "Attempt #2"
    outcome: str  # open | solved | gave_up | timed_out
    mode: str
    clock_kind: str  # real | manual
    practice: bool
    clock: ClockState
    time_limit_s: float | None
    hints_used: int
    hint_costs: list[float]
    wrong_diagnoses: int
    penalty_s: float  # wrong diagnoses, hints and skips so far
    journal: Journal
    sessions: int

    @property
    def hints_left(self) -> int:
        return len(self.hint_costs) - self.hints_used


@dataclass
class ServiceNow(Result):
    """One service now and against its baseline (the median before the first fault or page)."""

    service: str
    rps: float | None
    rps_baseline: float | None
    error_rate: float | None  # 0..1
    error_rate_baseline: float | None
    p99_ms: float | None
    p99_ms_baseline: float | None
    saturation_pct: float | None  # the fullest of cpu, memory and pool, in percent
    saturation_pct_baseline: float | None
    firing: list[str]


@dataclass
class Overview(Result):
    now: float
    t0: float  # the last closed bucket the figures come from
    baseline: list[float]  # [since, until] of the baseline window
    services: list[ServiceNow]
