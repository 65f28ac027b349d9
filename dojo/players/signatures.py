"""What each fault kind looks like from the outside, compiled from the fault library.

A scripted player must recognise a fault the way a learner does: by the words it writes and the
shape it leaves in the metrics, never by reading the answer key. The words come straight from the
registry (`FAULTS`): every log template becomes a regex, every telling span message a string to
look for. The metric shapes are the one piece of domain knowledge written here, because a fault
kind does not declare which saturation metric it moves; a kind without one is still recognised by
its words.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from functools import lru_cache

from dojo.engine.textsearch import re2_literal
from dojo.telemetry.faults import FAULTS, FaultKind, Template

UP, DOWN = 1, -1

# The saturation a kind moves on the service it strikes, beyond what its load explains (a leak
# fills memory at flat traffic; a surge fills cpu because traffic rose, which is not this).
SHAPES: dict[str, tuple[str, int]] = {
    "memory_leak": ("memory_pct", UP),
    "disk_full": ("disk_used_pct", UP),
    "cpu_saturation": ("cpu_pct", UP),
    "connection_pool_exhaustion": ("pool_used_pct", UP),
    "queue_lag": ("queue_depth", UP),
    "cache_failure": ("cache_hit_pct", DOWN),
}

# Placeholders that always render as digits, so a pattern can insist on them.
_NUMERIC = frozenset({"n", "ms", "attempt", "mem", "disk", "depth", "port"})
_NAME = r"[a-z][a-z0-9-]*"
_FORMATTER = string.Formatter()
# The engine refuses longer regexes in a log query; a prefix of the template is still telling.
MAX_QUERY_REGEX = 500
# A span message every fault kind shares by default says nothing about which one it is.
_DEFAULT_SPAN_MESSAGE = "error"


@dataclass(frozen=True)
class LinePattern:
    """One template of one fault kind, as something to search for and to recognise."""

    kind: str
    side: str  # self: the writer is the suspect; caller: the writer names the suspect as {peer}
    level: str
    text: str  # the template as written in the library
    query: str  # RE2 for a log query (anchored at the start, no groups)
    regex: re.Pattern[str]  # the full pattern, with a `peer` group where the template names one

    def suspect(self, service: str, message: str) -> str | None:
        """The service a matching line implicates, or None when the line does not match."""
        m = self.regex.match(message)
        if m is None:
            return None
        if self.side == "caller":
            return m.groupdict().get("peer") or None
        return service


@dataclass(frozen=True)
class Signature:
    kind: str
    description: str
    lines: tuple[LinePattern, ...]
    span_message: str | None  # None when it would not tell this kind apart
    shape: tuple[str, int] | None  # (metric, UP|DOWN) on the faulty service
    change_event: str | None  # the change it arrives with, if any (a deploy, a secret rotation)

    @property
    def telling(self) -> bool:
        return bool(self.lines or self.span_message or self.shape)


def _pattern(kind: FaultKind, tpl: Template) -> LinePattern:
    full, query = ["^"], ["^"]
    params = set(kind.params)
    peer_seen = False
    for literal, field, _, _ in _FORMATTER.parse(tpl.text):
        full.append(re.escape(literal))
        query.append(re2_literal(literal))
        if field is None:
            continue
        if field == "peer":
            full.append("(?P=peer)" if peer_seen else f"(?P<peer>{_NAME})")
            query.append(_NAME)
            peer_seen = True
        elif field in ("service", "caller"):
            full.append(_NAME)
            query.append(_NAME)
        elif field in _NUMERIC and field not in params:
            full.append(r"\d+")
            query.append(r"\d+")
        else:  # a parameter (a config key, a tenant) or a pooled value: anything on the line
            full.append(".+?")
            query.append(".+?")
    full.append("$")
    q = "".join(query)
    while len(q) > MAX_QUERY_REGEX:  # drop trailing pieces until it fits; still anchored at the start
        query.pop()
        q = "".join(query)
    return LinePattern(kind.name, tpl.side, tpl.level, tpl.text, q, re.compile("".join(full)))


def _span_messages() -> dict[str, int]:
    counts: dict[str, int] = {}
    for kind in FAULTS.values():
        counts[kind.span_message] = counts.get(kind.span_message, 0) + 1
    return counts


def _signature(kind: FaultKind, shared: dict[str, int]) -> Signature:
    templates = list(kind.error_logs) + list(kind.warn_logs) + [t for ts in kind.event_logs.values() for t in ts]
    span = kind.span_message
    telling_span = span if span != _DEFAULT_SPAN_MESSAGE and shared.get(span, 0) == 1 else None
    return Signature(
        kind=kind.name,
        description=kind.description,
        lines=tuple(_pattern(kind, t) for t in templates),
        span_message=telling_span,
        shape=SHAPES.get(kind.name),
        change_event=kind.change_event,
    )


@lru_cache(maxsize=1)
def _compiled(names: tuple[str, ...]) -> dict[str, Signature]:
    shared = _span_messages()
    return {name: _signature(FAULTS[name], shared) for name in names}


def signatures() -> dict[str, Signature]:
    """Every fault kind in the library, by name (recompiled if the library grows)."""
    return _compiled(tuple(sorted(FAULTS)))


def line_patterns() -> list[LinePattern]:
    return [p for sig in signatures().values() for p in sig.lines]


def kind_of_span(message: str) -> str | None:
    """The fault kind whose own span message this is, if exactly one kind writes it."""
    for sig in signatures().values():
        if sig.span_message is not None and message == sig.span_message:
            return sig.kind
    return None
