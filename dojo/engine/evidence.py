"""Does a pinned item match an evidence selector of the answer key?

Judged on the pin's snapshot (stored in the event log), so scoring needs no telemetry:

- logs:   a pinned log line of that service / level whose message contains the text or matches
          the regex;
- metric: a pinned window of that service and metric whose own values show it: `rises: 3x` when
          some value is at least 3x an earlier value in the window (so pin a window that spans the
          change), `falls` likewise downwards, `above`/`below` when some value crosses the line;
- trace:  a pinned span of that service with that status, at least `min_ms` long, whose status
          message contains the text.
"""

from __future__ import annotations

import re

from dojo.scenario.model import EvidenceSelector, LogSelector, MetricSelector, TraceSelector


def matches(sel: EvidenceSelector, kind: str, snap: dict) -> bool:
    if sel.logs is not None:
        return kind == "log" and _log(sel.logs, snap)
    if sel.metric is not None:
        return kind == "metric" and _metric(sel.metric, snap)
    return kind == "span" and sel.trace is not None and _span(sel.trace, snap)


def _log(sel: LogSelector, s: dict) -> bool:
    message = s.get("message", "")
    return (
        (sel.service is None or s.get("service") == sel.service)
        and (sel.level is None or s.get("level") == sel.level)
        and (sel.contains is None or sel.contains in message)
        and (sel.regex is None or re.search(sel.regex, message) is not None)
    )


def _metric(sel: MetricSelector, s: dict) -> bool:
    if s.get("service") != sel.service or s.get("metric") != sel.name:
        return False
    values = [float(v) for v in s.get("values", [])]
    if not values:
        return False
    if sel.above is not None:
        return max(values) > sel.above
    if sel.below is not None:
        return min(values) < sel.below
    if sel.rises is not None:
        return max_rise(values) >= sel.rises
    return max_fall(values) >= sel.falls  # type: ignore[operator]


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


def _span(sel: TraceSelector, s: dict) -> bool:
    return (
        s.get("service") == sel.service
        and (sel.status is None or s.get("status") == sel.status)
        and (sel.min_ms is None or float(s.get("duration_ms", 0.0)) >= sel.min_ms)
        and (sel.contains is None or sel.contains in s.get("message", ""))
    )
