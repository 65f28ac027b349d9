"""The scenario model: what an instructor writes in YAML, validated once at the edge.

Field-level rules live here (types, ranges, shapes). Rules that need the whole scenario or the
fault library (references, cycles, fault parameters) live in `references.py`, so each error can
point at the exact key that is wrong.
"""

from __future__ import annotations

import re
from datetime import date as date_type
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from .durations import parse_duration
from .vocabulary import DEFAULT_START, Level, MetricName

SLUG_PATTERN = r"^[a-z][a-z0-9-]{0,62}$"
Slug = Annotated[str, Field(pattern=SLUG_PATTERN)]
Duration = Annotated[float, BeforeValidator(parse_duration), Field(ge=0)]

SERVICE_KINDS = ("http", "worker", "db", "cache", "queue", "lb", "external")
ServiceKind = Literal["http", "worker", "db", "cache", "queue", "lb", "external"]

# Timeline kinds that are changes, not faults: they appear as change events and do no harm
# by themselves (which is what makes them good red herrings).
CHANGE_KINDS = ("deploy", "config_change", "feature_flag", "scale", "restart")


def regex_problem(pattern: str) -> str | None:
    """None when `pattern` works with the log search engine (RE2 syntax, as pyarrow runs it),
    else what is wrong. Python's `re` would accept lookarounds and backreferences RE2 cannot run."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        pc.match_substring_regex(pa.array([""]), pattern)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        reason = str(exc).split(":", 1)[-1].strip() or "invalid"
        return f"regex {pattern!r} does not compile ({reason}); use RE2 syntax: no lookarounds or backreferences"
    return None


_RATIO = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*x\s*$")


def _parse_ratio(value: object) -> object:
    if isinstance(value, str):
        m = _RATIO.match(value)
        if not m:
            raise ValueError(f"{value!r} is not a ratio; write 3x or 1.5x")
        return float(m.group(1))
    return value


Ratio = Annotated[float, BeforeValidator(_parse_ratio), Field(gt=0, le=1000)]


class Model(BaseModel):
    # allow_inf_nan=False: YAML reads `.inf` and `.nan` as floats, and no rate, limit or threshold
    # in a scenario means anything as infinity or NaN.
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)


class NoiseLine(Model):
    """A background log line that is always there: harmless noise, or a red herring."""

    text: str = Field(min_length=1, max_length=500)
    level: Level = "WARN"
    per_min: float = Field(1.0, gt=0, le=6000)


class Operation(Model):
    """One operation (route) a service serves, with its own share of traffic, callees and cost.

    A service without `operations` serves one implicit operation that calls every callee. Logs,
    traces and metrics name operations by `name`; `route` is what an access log or span shows
    (default derived from the service kind and name)."""

    name: Slug
    route: str | None = Field(None, max_length=120, description="e.g. 'GET /api/v1/orders/{id}'; default by kind")
    share: float = Field(1.0, gt=0, le=1, description="fraction of the service's requests that are this operation")
    calls: list[Slug] | None = Field(None, max_length=12, description="callees of this operation; default all")
    latency_ms: float | None = Field(None, gt=0, le=60000, description="own median latency; default the service's")
    writes: bool = Field(False, description="a write (mutating) operation rather than a read")


class Autoscale(Model):
    """A horizontal autoscaler on the service: it reacts to the cpu it sees, late, and can make
    things worse (scale in while an upstream failure hides the load, then lack capacity)."""

    min: int = Field(1, ge=0, le=256)
    max: int = Field(12, ge=1, le=256)
    target_cpu: float = Field(60.0, gt=0, le=100, description="cpu % the autoscaler sizes for")
    every: Duration = Field(60.0, ge=1, le=3600, description="how often it decides")
    warmup: Duration = Field(60.0, ge=0, le=3600, description="how long a new instance takes to serve")

    @model_validator(mode="after")
    def _range(self) -> "Autoscale":
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) is above max ({self.max}); swap them")
        return self


class Pool(Model):
    """A client connection pool the service holds to its callees (a database pool, an HTTP client
    pool), per instance. Each call holds a connection for as long as the callee takes; when the
    callee slows, connections stay out longer and the pool runs dry (Little's law)."""

    size: int = Field(20, ge=1, le=10000, description="connections per instance")
    timeout_ms: float = Field(
        1000, gt=0, le=600000, description="how long a request waits for a free connection before it fails"
    )


class Pipeline(Model):
    """The service is part of the telemetry pipeline (a metrics backend, a log shipper's sink):
    while it fails, for whatever reason, what it carries for the other services is lost."""

    carries: Literal["metrics", "logs"] = Field("metrics", description="what it carries for the others")
    mode: Literal["blank", "stale"] = Field(
        "blank", description="metrics: 'blank' no points, 'stale' the last value repeats (logs are always lost)"
    )
    fails_above: float = Field(
        0.5, gt=0, lt=1, description="share of its requests failing above which the pipeline loses data"
    )


class Service(Model):
    name: Slug
    kind: ServiceKind = "http"
    calls: list[Slug] = Field(default_factory=list, max_length=12)
    rps: float | None = Field(None, gt=0, le=5000, description="entry traffic; only for services nobody calls")
    latency_ms: float | None = Field(None, gt=0, le=60000, description="own median latency; default by kind")
    error_rate: float = Field(0.002, ge=0, le=0.5)
    replicas: int = Field(3, ge=1, le=64)
    timeout_ms: float = Field(3000, gt=0, le=600000)
    retries: int = Field(0, ge=0, le=10, description="retries per failed call to each dependency")
    capacity_rps: float | None = Field(None, gt=0, le=100000, description="above this the service saturates")
    version: str = Field("v1.0.0", max_length=64)
    zone_count: int = Field(3, ge=1, le=6)
    noise: list[NoiseLine] = Field(default_factory=list, max_length=20)
    operations: list[Operation] = Field(default_factory=list, max_length=12)
    retry_budget: float | None = Field(
        None, ge=0, le=10, description="retries allowed per request across all calls (e.g. 0.1); default unlimited"
    )
    max_queue_ms: float | None = Field(
        None,
        gt=0,
        le=600000,
        description="longest a request may wait for a worker before it is rejected; default a tenth of the "
        "shortest caller timeout. Longer than the callers' timeouts lets a retry storm sustain itself",
    )
    autoscale: Autoscale | None = None
    consumes: Slug | None = Field(
        None,
        description="a worker's queue: it takes its jobs from that queue as fast as its ready instances can, so "
        "restarting, pausing or scaling the worker changes how fast the queue drains",
    )
    pool: Pool | None = None
    pipeline: Pipeline | None = None


ParamValue = float | int | str | bool


class TimelineEvent(Model):
    at: Duration
    kind: Slug | Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,62}$")]
    service: Slug
    id: str | None = Field(None, pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    for_: Duration | None = Field(None, alias="for")
    params: dict[str, ParamValue] = Field(default_factory=dict, max_length=20)
    version: str | None = Field(None, max_length=64)
    note: str | None = Field(None, max_length=500)
    red_herring: bool = False
    operation: Slug | None = Field(None, description="the one operation of the service a fault hits; default all")

    @property
    def end(self) -> float | None:
        return None if self.for_ is None else self.at + self.for_


class Alert(Model):
    name: Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")]
    service: Slug
    metric: MetricName
    above: float | None = None
    below: float | None = None
    for_: Duration = Field(0.0, alias="for")
    severity: Literal["page", "ticket"] = "page"
    runbook: str | None = Field(
        None, max_length=500, pattern=r"^https?://\S+$", description="the runbook link the page carries"
    )

    @model_validator(mode="after")
    def _one_threshold(self) -> "Alert":
        if (self.above is None) == (self.below is None):
            raise ValueError("give exactly one of 'above' or 'below'")
        return self


class LogSelector(Model):
    service: Slug | None = None
    contains: str | None = Field(None, min_length=1, max_length=200)
    regex: str | None = Field(None, min_length=1, max_length=200)
    level: Level | None = None

    @model_validator(mode="after")
    def _check(self) -> "LogSelector":
        if self.regex is not None:
            problem = regex_problem(self.regex)
            if problem:
                raise ValueError(problem)
        if self.contains is None and self.regex is None and self.level is None:
            raise ValueError("a log selector needs 'contains', 'regex' or 'level'")
        return self


class MetricSelector(Model):
    service: Slug
    name: MetricName
    rises: Ratio | None = None
    falls: Ratio | None = None
    above: float | None = None
    below: float | None = None

    @model_validator(mode="after")
    def _check(self) -> "MetricSelector":
        given = [k for k in ("rises", "falls", "above", "below") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("a metric selector needs exactly one of rises, falls, above, below")
        return self


class TraceSelector(Model):
    service: Slug
    status: Literal["ok", "error"] | None = None
    min_ms: float | None = Field(None, ge=0)
    contains: str | None = Field(None, min_length=1, max_length=200, description="text in the span's status message")


class EvidenceSelector(Model):
    logs: LogSelector | None = None
    metric: MetricSelector | None = None
    trace: TraceSelector | None = None
    why: str | None = Field(None, max_length=500)

    @model_validator(mode="after")
    def _one(self) -> "EvidenceSelector":
        if sum(x is not None for x in (self.logs, self.metric, self.trace)) != 1:
            raise ValueError("an evidence selector needs exactly one of 'logs', 'metric', 'trace'")
        return self


class AcceptedAnswer(Model):
    service: Slug
    fault: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,62}$")]
    trigger: str | None = Field(None, description="id of the timeline event that set it off")


class Answer(Model):
    accepted: list[AcceptedAnswer] = Field(min_length=1, max_length=20)
    evidence: list[EvidenceSelector] = Field(default_factory=list, max_length=30)
    require_trigger: bool = False
    partial_feedback: bool = Field(True, description="a wrong diagnosis says which part was right")


class Hint(Model):
    text: str = Field(min_length=1, max_length=2000)
    cost: Duration = 60.0


class Inject(Model):
    """A message a game day's clock releases to every team, as if from outside the incident: "Support:
    EU customers report failed checkouts". Solo play ignores injects."""

    at: Duration = Field(
        description="scenario time it arrives, like a timeline 'at'; one before the page arrives at the game's start"
    )
    text: str = Field(min_length=1, max_length=1000, description="what every team reads, one or two sentences")


def _change_list(value: object) -> object:
    # One paragraph (the older form) is one change.
    return [value] if isinstance(value, str) else value


class Source(Model):
    """Where a retold real incident came from, shown to the learner with what the retelling changed."""

    url: str = Field(max_length=500)
    org: str | None = Field(None, min_length=1, max_length=100, description="whose report it is: 'Cloudflare'")
    date: date_type | None = Field(None, description="the date of the incident the report describes (its first day)")
    changes: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=600)]],
        BeforeValidator(_change_list),
        Field(max_length=30, description="what the retelling changed, left out or invented, one item each"),
    ]


SIGNAL_KINDS = ("logs", "metrics", "traces", "events")
SignalKind = Literal["logs", "metrics", "traces", "events"]


class Imports(Model):
    """Real signals stored beside the scenario (in the formats `dojo generate` writes), replayed
    like synthetic ones. Paths are relative to the scenario file."""

    logs: str | None = Field(None, max_length=500, description="JSON lines: ts, level, service, host, trace_id, msg")
    metrics: str | None = Field(None, max_length=500, description="CSV: timestamp,service,metric,value")
    traces: str | None = Field(None, max_length=500, description="OTLP JSON traces")
    events: str | None = Field(None, max_length=500, description="JSON lines: ts, kind, service, name, detail")
    replace: list[SignalKind] = Field(
        default_factory=list, description="signals that replace the synthetic ones; the others are mixed in"
    )

    def files(self) -> dict[str, str]:
        return {k: getattr(self, k) for k in SIGNAL_KINDS if getattr(self, k)}


class Scenario(Model):
    id: Slug
    title: str = Field(min_length=1, max_length=200)
    difficulty: int = Field(ge=1, le=5)
    tags: list[Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,40}$")]] = Field(default_factory=list, max_length=20)
    duration: Duration = Field(gt=60, le=86400)
    seed: int = Field(0, ge=0, le=2**32 - 1)
    start: datetime = DEFAULT_START
    grid: Duration = Field(10.0, ge=1, le=300)
    log_sample: float = Field(0.05, gt=0, le=1, description="fraction of requests that write an access log line")
    traces_per_min: float = Field(6.0, gt=0, le=600)
    briefing: str = Field(min_length=1, max_length=20000)
    services: list[Service] = Field(min_length=1, max_length=40)
    timeline: list[TimelineEvent] = Field(default_factory=list, max_length=200)
    alerts: list[Alert] = Field(default_factory=list, max_length=100)
    page: str | None = Field(None, description="the alert that pages the learner; default the first to fire")
    answer: Answer
    hints: list[Hint] = Field(default_factory=list, max_length=10)
    injects: list[Inject] = Field(
        default_factory=list, max_length=50, description="game days: messages released to every team at a scenario time"
    )
    par: Duration = Field(900.0, gt=0, le=86400)
    wrong_penalty: Duration = Field(120.0, ge=0, le=3600)
    objectives: list[str] = Field(default_factory=list, max_length=20)
    debrief: str = Field("", max_length=50000)
    source: Source | None = None
    imports: Imports | None = None
    # The folder of the file the scenario came from, for its imports; set by the loader.
    _base_dir: Path | None = PrivateAttr(default=None)
    # The file itself, as given, so problems found after loading (the size budget) can name it.
    _file: str | None = PrivateAttr(default=None)

    @property
    def base_dir(self) -> Path | None:
        return self._base_dir

    @property
    def file(self) -> str | None:
        return self._file

    @field_validator("start")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)

    def service(self, name: str) -> Service:
        for s in self.services:
            if s.name == name:
                return s
        raise KeyError(name)

    @property
    def service_names(self) -> list[str]:
        return [s.name for s in self.services]
