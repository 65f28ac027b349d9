"""Does a pinned item prove a fact of the answer key? Judged by the fact it shows, not its copy.

Judged on the pin's snapshot (stored in the event log), so scoring needs no telemetry. A
selector names a fact by one place it shows; the same fact shows elsewhere too:

- logs:   a pinned line whose level and text show it (`contains` / `regex`), from the named
          service or any service on the same failing path (its callers and callees, and the
          services that share a dependency with it: every caller of a dead kv-store says so);
          a selector without text stays with its service;
- metric: a pinned window of that service and metric whose own values show it: `rises: 3x` when
          some value is at least 3x an earlier value in the window (so pin a window that spans the
          change), `falls` likewise downwards, `above`/`below` when some value crosses the line;
- trace:  a pinned span of that service with that status, at least `min_ms` long, whose status
          message contains the text; or a span of a caller on the path to it, with that status and
          duration, whose message names the text or a service on the way down;
- change: the change event that set the incident off (the accepted answer's trigger, or the
          change a fault announces), when the scenario has one: an implicit fact of its own.

`explain` says why a pin proves nothing, for the score card.
"""

from __future__ import annotations

import re
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from dojo.scenario.model import (
    CHANGE_KINDS,
    EvidenceSelector,
    LogSelector,
    MetricSelector,
    Scenario,
    TimelineEvent,
    TraceSelector,
)

Callers = dict[str, list[str]]


def triggers_of(sc: Scenario) -> list[dict[str, Any]]:
    """The change events that set the incident off, as the event log shows them."""
    from dojo.telemetry.faults import FAULTS

    def change_kind(ev: TimelineEvent) -> str | None:
        if ev.kind in CHANGE_KINDS:
            return ev.kind
        return FAULTS[ev.kind].change_event if ev.kind in FAULTS else None

    by_id = {ev.id: ev for ev in sc.timeline if ev.id}
    out: list[dict[str, Any]] = []
    for a in sc.answer.accepted:
        ev = by_id.get(a.trigger) if a.trigger else None
        if ev is not None and change_kind(ev):
            out.append({"kind": change_kind(ev), "service": ev.service, "t": float(ev.at)})
        for ev in sc.timeline:
            if ev.kind == a.fault and ev.service == a.service and not ev.red_herring and change_kind(ev):
                out.append({"kind": change_kind(ev), "service": ev.service, "t": float(ev.at)})
    return [dict(t) for t in dict.fromkeys(tuple(sorted(d.items())) for d in out)]


def _up(callers: Callers, s: str) -> set[str]:
    """Every service that calls `s`, directly or not."""
    seen, todo = set(), list(callers.get(s, ()))
    while todo:
        c = todo.pop()
        if c not in seen:
            seen.add(c)
            todo += callers.get(c, ())
    return seen


def _calls(callers: Callers) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for callee, cs in callers.items():
        for c in cs:
            out.setdefault(c, set()).add(callee)
    return out


def related(callers: Callers, a: str, b: str) -> bool:
    """On one failing path: the same service, one calls the other (directly or not), or they
    share a dependency (two callers of one failing store tell the same story)."""
    if a == b:
        return True
    if a in _up(callers, b) or b in _up(callers, a):
        return True
    calls = _calls(callers)
    return bool(calls.get(a, set()) & calls.get(b, set()))


def matches(sel: EvidenceSelector, kind: str, snap: dict[str, Any], callers: Callers | None = None) -> bool:
    return explain(sel, kind, snap, callers) is None


def explain(sel: EvidenceSelector, kind: str, snap: dict[str, Any], callers: Callers | None = None) -> str | None:
    """None when the pin shows the selector's fact, else why not (one short clause)."""
    callers = callers or {}
    if sel.logs is not None:
        return f"a {kind}, not a log line" if kind != "log" else _log(sel.logs, snap, callers)
    if sel.metric is not None:
        return f"a {kind}, not a metric window" if kind != "metric" else _metric(sel.metric, snap)
    if sel.trace is None:
        return "an empty selector"
    return f"a {kind}, not a span" if kind != "span" else _span(sel.trace, snap, callers)


def trigger_explain(triggers: list[dict[str, Any]], kind: str, snap: dict[str, Any]) -> str | None:
    if kind != "event":
        return f"a {kind}, not a change event"
    for t in triggers:
        if (
            snap.get("kind") == t["kind"]
            and snap.get("service") == t["service"]
            and abs(float(snap.get("t", -1e9)) - t["t"]) < 1.0
        ):
            return None
    return "a change event that did not set the incident off"


def _text_ok(sel: LogSelector, message: str) -> bool:
    return (sel.contains is None or sel.contains in message) and (sel.regex is None or _re2_found(sel.regex, message))


def _re2_found(pattern: str, message: str) -> bool:
    # The author's pattern, checked as RE2 at validate: run by RE2 too (linear time). Python's
    # `re` backtracks, and `(a+)+$` on a pinned line of forty a's would never return.
    return bool(pc.match_substring_regex(pa.array([message]), pattern)[0].as_py())


def _log(sel: LogSelector, s: dict[str, Any], callers: Callers) -> str | None:
    message, service = s.get("message", ""), s.get("service")
    if sel.level is not None and s.get("level") != sel.level:
        return f"a {s.get('level')} line; the fact is a {sel.level} one"
    if not _text_ok(sel, message):
        return f"its text does not show {sel.contains or sel.regex!r}"
    if sel.service is None or service == sel.service:
        return None
    if (sel.contains or sel.regex) and callers and service is not None and related(callers, service, sel.service):
        return None  # the same fact, written by another service on the path
    return f"the text is there, but {service} is not on {sel.service}'s failing path"


def _metric(sel: MetricSelector, s: dict[str, Any]) -> str | None:
    if s.get("service") != sel.service or s.get("metric") != sel.name:
        return f"a window of {s.get('service')}/{s.get('metric')}; the fact is in {sel.service}/{sel.name}"
    values = [float(v) for v in s.get("values", []) if v == v]  # NaN: a bucket without traffic
    if not values:
        return "the window holds no value"
    if sel.above is not None:
        return None if max(values) > sel.above else f"it never goes above {sel.above:g} (max {max(values):g})"
    if sel.below is not None:
        return None if min(values) < sel.below else f"it never goes below {sel.below:g} (min {min(values):g})"
    if sel.rises is not None:
        r = max_rise(values)
        return None if r >= sel.rises else f"it rises {r:.1f}x at most; the fact is a {sel.rises:g}x rise"
    f = max_fall(values)
    return None if f >= sel.falls else f"it falls {f:.1f}x at most; the fact is a {sel.falls:g}x fall"  # type: ignore[operator]


def max_rise(values: list[float]) -> float:
    """The largest later/earlier ratio above 1 in a series (0 when it never rises from a positive value)."""
    best, low = 0.0, None
    for v in values:
        if low is not None and v > low:
            best = max(best, v / low)
        if v > 0:
            low = v if low is None else min(low, v)
    return best


def max_fall(values: list[float]) -> float:
    """The largest earlier/later ratio above 1 (0 when it never falls); a fall to 0 is infinite."""
    best, high = 0.0, 0.0
    for v in values:
        if v < high:
            best = max(best, float("inf") if v <= 0 else high / v)
        high = max(high, v)
    return best


def _span(sel: TraceSelector, s: dict[str, Any], callers: Callers) -> str | None:
    service, message = s.get("service"), s.get("message", "")
    if sel.status is not None and s.get("status") != sel.status:
        return f"status {s.get('status')}; the fact is a span with status {sel.status}"
    if sel.min_ms is not None and float(s.get("duration_ms", 0.0)) < sel.min_ms:
        return f"{float(s.get('duration_ms', 0.0)):g} ms; the fact is a span of at least {sel.min_ms:g} ms"
    if service == sel.service:
        if sel.contains is not None and sel.contains not in message:
            return f"its message does not show {sel.contains!r}"
        return None
    if not callers or service not in _up(callers, sel.service):
        return f"a span of {service}, which is not on the path to {sel.service}"
    # A caller's span: its message names the cause, or the next hop on the way down to it.
    below = {sel.service} | (_up(callers, sel.service) - _up(callers, service) - {service})
    if (
        sel.contains is None
        or sel.contains in message
        or any(re.search(rf"\b{re.escape(b)}\b", message) for b in below)
    ):
        return None
    return f"a span of {service} whose message does not lead to {sel.service}"
