"""What a scripted player sees: the signals gathered through the Session API, as of now.

Everything here is a query a learner could type (metrics, logs, traces, events, briefing); nothing
reads the scenario's timeline, answer key or telemetry. One `look` gathers:

- the page: which alerts fired at the start, on which service and metric;
- metric departures: for every service and metric, whether and when it left the range it held in
  the quiet first minutes (the baseline, before `cut`);
- signature lines: every fault kind's log templates searched for, per writer, before the cut and
  since, with the service each line implicates (its writer, or the peer a caller names);
- error traces: where sampled failing requests start failing (the deepest failing span), and the
  spans that carry a fault kind's own status message;
- ERROR lines per service before and since the cut, and the change events so far.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from dojo.engine.api import EventItem, MetricCatalog, MetricSeries, SpanNode
from dojo.engine.session import Session

from .series import Departure, departures
from .signatures import LinePattern, kind_of_span, line_patterns

BASELINE_MAX = 300.0  # at most the first five minutes are "normal": faults rarely start sooner
BASELINE_MIN = 60.0
SAMPLE = 1000  # lines per query; counts beyond it are scaled from the share in the sample
TRACE_SAMPLE = 12  # failing traces read in full


def baseline_cut(page_t: float, grid: float) -> float:
    """End of the quiet start used as "normal": a third of the history before the page, within
    one and five minutes, on the metric grid."""
    cut = min(BASELINE_MAX, max(BASELINE_MIN, 0.3 * page_t))
    return float(np.floor(cut / grid) * grid)


@dataclass(frozen=True)
class Page:
    alert: str
    service: str
    metric: str
    t: float


@dataclass(frozen=True)
class Change:
    """A metric departure on a service, with the pin id of a window that shows it whole."""

    service: str
    departure: Departure
    window: str


@dataclass
class Lines:
    """Lines of one signature pattern written by one service."""

    pattern: LinePattern
    writer: str
    suspect: str
    before: float  # lines in the baseline (estimated past one page of results)
    after: float  # lines since the cut
    first: float  # earliest since the cut
    example: str  # id of the earliest line since the cut: the one to pin


@dataclass(frozen=True)
class Origin:
    """Where a sampled failing request starts failing: the deepest error span of its trace."""

    service: str
    message: str
    unreached: tuple[str, ...]  # callees the briefing says it calls that the trace never reached


@dataclass(frozen=True)
class SpanHit:
    """Error spans carrying a fault kind's own status message, as the trace search finds them."""

    kind: str
    message: str
    service: str  # the service of the first matching span
    traces: int
    pin: str


@dataclass
class Observation:
    now: float
    start: float
    cut: float
    grid: float
    calls: dict[str, list[str]]
    kinds: dict[str, str]
    page: list[Page]
    metrics: dict[str, list[str]] = field(default_factory=dict)  # the catalog: metrics per service
    changes: list[Change] = field(default_factory=list)
    lines: list[Lines] = field(default_factory=list)
    origins: Counter = field(default_factory=Counter)  # Origin -> failing traces in the sample
    origin_pins: dict[Origin, str] = field(default_factory=dict)  # Origin -> one such span
    spans: list[SpanHit] = field(default_factory=list)
    errors: dict[str, tuple[float, float]] = field(default_factory=dict)  # ERROR lines/min before, since the cut
    events: list[EventItem] = field(default_factory=list)

    @property
    def closed(self) -> float:
        """End of the last metric bucket that has closed: where a window pinned now can end."""
        return float(np.floor(self.now / self.grid + 1e-9) * self.grid)

    def window(self, service: str, metric: str) -> str | None:
        """Pin id of a metric's whole history so far (it spans any change), if the metric exists."""
        if metric not in self.metrics.get(service, []) or self.closed <= 0:
            return None
        return f"M:{service}:{metric}:0:{self.closed:g}"

    @property
    def services(self) -> list[str]:
        return list(self.calls)

    def callers(self, service: str) -> list[str]:
        return [s for s, cs in self.calls.items() if service in cs]

    def changes_of(self, service: str) -> list[Change]:
        return [c for c in self.changes if c.service == service]


def metric_catalog(session: Session) -> MetricCatalog:
    """`metrics()` with no arguments: the catalog (the other shapes answer other arguments)."""
    catalog = session.metrics()
    assert isinstance(catalog, MetricCatalog)
    return catalog


def look(session: Session, cut: float | None = None) -> Observation:
    """Everything visible now, gathered through the session's queries."""
    brief = session.briefing()
    state = session.status()
    now, start = float(state.now), float(state.start)
    catalog = metric_catalog(session)
    grid = float(catalog.grid)
    cut = baseline_cut(start, grid) if cut is None else cut
    obs = Observation(
        now=now,
        start=start,
        cut=cut,
        grid=grid,
        calls={s.name: list(s.calls) for s in brief.services},
        kinds={s.name: s.kind for s in brief.services},
        page=_page(session, set(brief.page), start),
        metrics={s: list(ms) for s, ms in catalog.services.items()},
    )
    obs.changes = _changes(session, obs)
    obs.lines = _signature_lines(session, obs)
    obs.errors = _error_rates(session, obs)
    obs.origins, obs.origin_pins = _origins(session, obs)
    obs.spans = _span_hits(session, obs)
    obs.events = session.events_list(kind="changes", limit=1000).events
    return obs


def _page(session: Session, names: set[str], start: float) -> list[Page]:
    """The alerts firing at the start, those of severity page first (a ticket firing beside the
    page is context, not what woke the learner)."""
    pages: list[Page] = []
    tickets: list[Page] = []
    for ev in session.events_list(kind="alerts", until=start, limit=1000).events:
        if ev.kind == "alert_firing" and ev.name in names and all(p.alert != ev.name for p in pages + tickets):
            page = Page(ev.name, ev.service, ev.detail.split(" ", 1)[0], ev.t)
            (tickets if ev.detail.endswith("severity ticket") else pages).append(page)
    return pages or tickets


def _changes(session: Session, obs: Observation) -> list[Change]:
    out: list[Change] = []
    if obs.closed <= 0:
        return out  # not one bucket has closed yet
    for service, metrics in obs.metrics.items():
        for metric in metrics:
            series = session.metrics(service=service, metric=metric, since=0.0)
            if not isinstance(series, MetricSeries) or not series.points:
                continue
            pts = np.asarray(series.points, dtype=float)
            for dep in departures(metric, pts[:, 0], pts[:, 1], obs.cut, obs.grid):
                out.append(Change(service, dep, obs.window(service, metric) or ""))
    return sorted(out, key=lambda c: (c.departure.at, c.service, c.departure.metric))


def _signature_lines(session: Session, obs: Observation) -> list[Lines]:
    """Search the logs for every signature pattern, oldest first, and split what is found at the
    cut: a pattern that was as common before as since is background, not a fault."""
    found: dict[tuple[int, str, str], Lines] = {}
    for i, pattern in enumerate(line_patterns()):
        page = session.logs(regex=pattern.query, limit=SAMPLE, order="oldest")
        if page.count == 0:
            continue
        lines = page.lines
        before = [x for x in lines if x.t < obs.cut]
        after = [x for x in lines if x.t >= obs.cut]
        if len(lines) < page.count and not after:  # the sample never got past the cut
            n_before = session.logs(regex=pattern.query, until=obs.cut, limit=0).count
            after_total = page.count - n_before
            before_scale = n_before / max(len(before), 1)
        else:
            after_total = page.count - len(before)
            before_scale = 1.0
        after_scale = after_total / max(len(after), 1)
        for line, scale, since in [(x, before_scale, False) for x in before] + [(x, after_scale, True) for x in after]:
            suspect = pattern.suspect(line.service, line.message)
            if suspect is None or suspect not in obs.calls:
                continue
            key = (i, line.service, suspect)
            hit = found.get(key)
            if hit is None:
                hit = found[key] = Lines(pattern, line.service, suspect, 0.0, 0.0, np.inf, "")
            if not since:
                hit.before += scale
                continue
            hit.after += scale
            if line.t < hit.first:
                hit.first, hit.example = line.t, line.id
    return list(found.values())


def _error_rates(session: Session, obs: Observation) -> dict[str, tuple[float, float]]:
    out = {}
    for service, kind in obs.kinds.items():
        if kind == "external":
            continue  # another company's system writes no logs we can read
        before = session.logs(service=service, level="ERROR", until=obs.cut, limit=0).count
        after = session.logs(service=service, level="ERROR", since=obs.cut, limit=0).count
        out[service] = (before / max(obs.cut / 60.0, 1e-9), after / max((obs.now - obs.cut) / 60.0, 1e-9))
    return out


def _origins(session: Session, obs: Observation) -> tuple[Counter, dict[Origin, str]]:
    """Read a sample of failing traces in full and note where each starts failing."""
    out: Counter = Counter()
    pins: dict[Origin, str] = {}
    page = session.traces(status="error", since=obs.cut, limit=TRACE_SAMPLE)
    for summary in page.traces:
        root = session.trace(summary.trace_id)
        for node, unreached in _deepest_errors(root, obs.calls):
            origin = Origin(node.service, node.message, unreached)
            out[origin] += 1
            pins.setdefault(origin, node.id)
    return out, pins


def _deepest_errors(node: SpanNode, calls: dict[str, list[str]]) -> list[tuple[SpanNode, tuple[str, ...]]]:
    """Error spans none of whose children failed: where the failure starts. A span that failed
    while a callee it should have called is missing never reached that callee."""
    failing = [c for c in node.children if c.status == "error"]
    if failing:
        return [x for c in failing for x in _deepest_errors(c, calls)]
    if node.status != "error":
        return []
    reached = {c.service for c in node.children}
    unreached = tuple(c for c in calls.get(node.service, []) if c not in reached)
    return [(node, unreached)]


def _span_hits(session: Session, obs: Observation) -> list[SpanHit]:
    """For every span message a fault kind owns that the sampled traces show, search all traces."""
    messages = {o.message for o in obs.origins if kind_of_span(o.message)}
    out = []
    for message in sorted(messages):
        page = session.traces(status="error", contains=message, since=obs.cut, limit=1, order="oldest")
        if not page.traces or page.traces[0].match is None:
            continue
        pin = page.traces[0].match
        service = _span_service(session.trace(page.traces[0].trace_id), pin)
        out.append(SpanHit(kind_of_span(message) or "", message, service, page.count, pin))
    return out


def _span_service(node: SpanNode, span: str) -> str:
    if node.id == span:
        return node.service
    for child in node.children:
        found = _span_service(child, span)
        if found:
            return found
    return ""


def recent_lines(session: Session, lines: list[Lines], window: float) -> float:
    """Signature lines of these patterns and writers in the last `window` seconds."""
    since = max(0.0, float(session.now()) - window)
    return float(sum(session.logs(regex=x.pattern.query, service=x.writer, since=since, limit=0).count for x in lines))
