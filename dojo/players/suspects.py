"""From what was seen to who did it: suspects, the trail down the call graph, and their ranking.

Pure functions of an `Observation`; no queries. A suspect is a (service, fault kind) pair that some
evidence implicates:

- signature lines: a fault kind's own log lines, far more frequent since the cut than before it
  (a line as common in the quiet start is background, whatever it says). A line written on the
  faulty service implicates its writer; a caller-side line (a TLS, DNS or 429 failure) names the
  callee it could not use;
- span messages: failing traces whose deepest failing span carries a fault kind's own status
  message, on the suspect or on a caller that never reached it;
- metric shapes: the saturation metric a kind moves (memory for a leak, disk for a full volume),
  departed on the service while its request rate did not rise (so load does not explain it).

The trail walks from the paged service down the calls while some callee is sick (its errors or
latency rose, its traffic fell, or evidence points at it); where it stops is where the failures
start. Suspects on the page's path, still active, on the trail and corroborated by more than one
kind of signal rank first.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .observe import Change, Lines, Observation, Origin, SpanHit
from .signatures import DOWN, UP, signatures

CONTRAST = 5.0  # signature lines per minute since they began vs in the baseline (lint's rule too)
MIN_LINES = 3.0  # fewer lines than this prove nothing yet
ENDED = 0.1  # recent lines below this share of what the suspect's own rate predicts: it has stopped
# A service is sick when one of these moved the bad way.
SICK = {("error_rate", UP), ("latency_p99_ms", UP), ("latency_p50_ms", UP), ("rps", DOWN)}


@dataclass
class Suspect:
    service: str
    kind: str
    lines: list[Lines] = field(default_factory=list)
    spans: list[SpanHit] = field(default_factory=list)
    origins: list[Origin] = field(default_factory=list)
    shape: Change | None = None
    related: bool = True  # on the page's path (see page_path)
    on_trail: bool = False
    recent: float | None = None  # signature lines in the latest window (None: not checked)
    expected: float = 0.0  # what its rate since it began predicts for that window

    @property
    def line_count(self) -> float:
        return sum(x.after for x in self.lines)

    @property
    def first(self) -> float:
        times = [x.first for x in self.lines]
        if self.shape is not None:
            times.append(self.shape.departure.at)
        return min(times) if times else float("inf")

    @property
    def telling(self) -> bool:
        """Its own words say so: enough signature lines, or error spans in its own message."""
        return self.line_count >= MIN_LINES or len(self.spans) > 0

    @property
    def corroboration(self) -> int:
        """How many kinds of signal agree: lines, spans, metric shape."""
        return int(self.line_count >= MIN_LINES) + int(bool(self.spans or self.origins)) + int(self.shape is not None)

    @property
    def ended(self) -> bool:
        return self.recent is not None and self.expected >= 2 * MIN_LINES and self.recent < ENDED * self.expected

    def rank_key(self) -> tuple:
        # Python sorts ascending: negate what should come first.
        return (
            not self.related,
            self.ended,
            not self.telling,
            not self.on_trail,
            -self.corroboration,
            self.first,
            -self.line_count,
            self.service,
            self.kind,
        )

    def describe(self) -> str:
        parts = []
        for x in sorted(self.lines, key=lambda x: -x.after)[:3]:
            where = x.writer if x.writer == self.service else f"{x.writer} (about {self.service})"
            parts.append(f"{x.after:.0f} lines on {where} like '{x.pattern.text[:60]}' since {x.first:.0f}s")
        for s in self.spans[:1]:
            parts.append(f"{s.traces} failing traces end in '{s.message}' on {s.service}")
        if self.shape is not None:
            d = self.shape.departure
            parts.append(
                f"{self.service} {d.metric} {'rose' if d.direction == UP else 'fell'} from {d.baseline:.3g} to "
                f"{d.level:.3g} at {d.at:.0f}s"
            )
        if self.ended:
            parts.append(f"but it has stopped ({self.recent:.0f} lines lately, {self.expected:.0f} expected)")
        return f"{self.service}/{self.kind}: " + "; ".join(parts)


def suspects(obs: Observation) -> list[Suspect]:
    """Every suspect the evidence names, best first."""
    sigs = signatures()
    found: dict[tuple[str, str], Suspect] = {}

    def get(service: str, kind: str) -> Suspect:
        if (service, kind) not in found:
            found[(service, kind)] = Suspect(service, kind)
        return found[(service, kind)]

    minutes_before = max(obs.cut / 60.0, 1.0)
    for x in obs.lines:
        if x.after < 1:
            continue
        since = max((obs.now - x.first) / 60.0, 1.0)
        rate_before = x.before / minutes_before
        if x.after / since < CONTRAST * rate_before:
            continue  # as common in the quiet start: background noise that happens to match
        get(x.suspect, x.pattern.kind).lines.append(x)

    for hit in obs.spans:
        for origin in [o for o in obs.origins if o.message == hit.message]:
            for service in _implicated(origin, hit.kind, obs):
                s = get(service, hit.kind)
                s.origins.append(origin)
                if hit not in s.spans:
                    s.spans.append(hit)

    for change in obs.changes:
        for sig in sigs.values():
            if sig.shape == (change.departure.metric, change.departure.direction) and not _load_explains(change, obs):
                s = get(change.service, sig.kind)
                if s.shape is None or change.departure.at < s.shape.departure.at:
                    s.shape = change

    path = page_path(obs)
    trail = {s for t in walk(obs) for s in t}
    for s in found.values():
        s.related = not path or s.service in path
        s.on_trail = s.service in trail
    return sorted(found.values(), key=Suspect.rank_key)


def _implicated(origin: Origin, kind: str, obs: Observation) -> list[str]:
    """A span message of a kind whose failures happen on the caller's side (it has caller-side
    lines and no line of its own for failed requests) implicates the callee the span never
    reached; any other implicates the span's own service."""
    sig = signatures()[kind]
    caller_side = any(p.side == "caller" for p in sig.lines)
    if caller_side and origin.unreached:
        return list(origin.unreached)
    return [origin.service]


def _load_explains(change: Change, obs: Observation) -> bool:
    """Saturation that rose with the service's own traffic is load, not a fault of its own."""
    if change.departure.direction != UP:
        return False
    return any(
        c.departure.metric == "rps" and c.departure.direction == UP and c.departure.at <= change.departure.at + obs.grid
        for c in obs.changes_of(change.service)
    )


def page_path(obs: Observation) -> set[str]:
    """Services that can explain the page: everything that calls a paged service (load comes
    from above) and everything those call, directly or not (a failing callee, or a sibling that
    shares a caller: a dead cache sends its misses to the database beside it)."""
    out: set[str] = set()
    up = {s: obs.callers(s) for s in obs.calls}
    for page in obs.page:
        for ancestor in _reach(page.service, up):
            out |= _reach(ancestor, obs.calls)
    return out


def _reach(start: str, edges: dict[str, list[str]]) -> set[str]:
    seen, todo = {start}, [start]
    while todo:
        for nxt in edges.get(todo.pop(), []):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def sick(service: str, obs: Observation) -> float | None:
    """When a service started to look unwell (errors, latency up; traffic gone), or None."""
    times = [c.departure.at for c in obs.changes_of(service) if (c.departure.metric, c.departure.direction) in SICK]
    times += [x.first for x in obs.lines if x.suspect == service and x.after >= MIN_LINES]
    return min(times) if times else None


def walk(obs: Observation) -> list[list[str]]:
    """One trail per paged service: down the calls to the sick callee that went first, until no
    callee is sick. A caller failing because its callee fails points down the graph."""
    trails: list[list[str]] = []
    for page in obs.page:
        here = page.service
        trail = [here]
        while True:
            ill = [(t, c) for c in obs.calls.get(here, []) if c not in trail and (t := sick(c, obs)) is not None]
            if not ill:
                break
            here = min(ill)[1]
            trail.append(here)
        if trail not in trails:
            trails.append(trail)
    return trails


def quiet(obs: Observation) -> bool:
    """Nothing on the page's path changed in a sustained way: the page looks like noise."""
    path = page_path(obs) or set(obs.services)
    return not any(c.service in path for c in obs.changes)
