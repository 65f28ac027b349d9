"""Stable ids for things a learner can pin or name, and their parsing.

    L<id>                          a log line (its row id)
    S<trace_id>:<span_id>          a span
    M:<service>:<metric>:<t0>:<t1> a metric window: the buckets that lie wholly in [t0, t1)
    E<n>                           an alert or change event (its row in the events table)

Ids depend only on the scenario and seed, so they are the same in every session of an attempt.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from .errors import NotFound

# \Z, not $: "$" also matches before a final newline, and an id is the whole text.
_LOG = re.compile(r"^L(\d{1,12})\Z")
_SPAN = re.compile(r"^S([0-9a-f]{1,64}):([0-9a-f]{1,32})\Z")
_EVENT = re.compile(r"^E(\d{1,9})\Z")
_NUM = r"(\d+(?:\.\d+)?)"
_WINDOW = re.compile(rf"^M:([a-z][a-z0-9-]{{0,62}}):([a-z][a-z0-9_]{{0,62}}):{_NUM}[:-]{_NUM}\Z")


def fmt_t(t: float) -> str:
    """Seconds as they appear in ids: 960, 961.5 (milliseconds at most)."""
    t = math.floor(t * 1000 + 1e-6) / 1000
    return str(int(t)) if t == int(t) else f"{t:.3f}".rstrip("0")


def log_id(row: int) -> str:
    return f"L{row}"


def span_id(trace_id: str, span: str) -> str:
    return f"S{trace_id}:{span}"


def window_id(service: str, metric: str, t0: float, t1: float) -> str:
    return f"M:{service}:{metric}:{fmt_t(t0)}:{fmt_t(t1)}"


def event_id(row: int) -> str:
    return f"E{row}"


@dataclass(frozen=True)
class ParsedId:
    kind: str  # log | span | metric | event
    log: int = -1
    trace_id: str = ""
    span: str = ""
    service: str = ""
    metric: str = ""
    t0: float = 0.0
    t1: float = 0.0
    event: int = -1


def parse(item: str) -> ParsedId:
    if not isinstance(item, str):
        raise NotFound(f"{item!r} is not an id")
    if m := _LOG.match(item):
        return ParsedId("log", log=int(m.group(1)))
    if m := _SPAN.match(item):
        return ParsedId("span", trace_id=m.group(1), span=m.group(2))
    if m := _WINDOW.match(item):
        return ParsedId("metric", service=m.group(1), metric=m.group(2), t0=float(m.group(3)), t1=float(m.group(4)))
    if m := _EVENT.match(item):
        return ParsedId("event", event=int(m.group(1)))
    raise NotFound(
        f"{item!r} is not an id; ids look like L123 (log line), S<trace>:<span> (span), "
        f"M:<service>:<metric>:<t0>:<t1> (metric window) or E4 (event)"
    )
