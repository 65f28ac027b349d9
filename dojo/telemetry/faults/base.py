"""What a fault kind is, and the registry that collects them.

A fault kind is one module in this package that calls `register(FaultKind(...))`. Its `apply`
transforms the simulated state of the faulty service (and may touch its callers or callees)
while the fault is active; its templates give it a voice in the logs and traces. Everything else
(propagation through the call graph, sampling, export) is shared.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Literal

if TYPE_CHECKING:  # pragma: no cover
    from ..state import FaultContext

ParamType = type[float] | type[int] | type[str] | type[bool]


@dataclass(frozen=True)
class Param:
    name: str
    type: ParamType
    default: float | int | str | bool
    help: str
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] | None = None  # the only words a text parameter may take

    def check(self, value: object) -> str | None:
        """None when `value` is acceptable, else what is wrong with it."""
        if self.choices is not None and value not in self.choices:
            return f"must be one of {', '.join(self.choices)}, not {value!r}"
        if self.type is bool:
            return None if isinstance(value, bool) else f"must be true or false, not {value!r}"
        if self.type in (int, float):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                return f"must be a number, not {value!r}"
            if self.type is int and not float(value).is_integer():
                return f"must be a whole number, not {value!r}"
            if self.min is not None and value < self.min:
                return f"must be at least {self.min:g}, not {value!r}"
            if self.max is not None and value > self.max:
                return f"must be at most {self.max:g}, not {value!r}"
            return None
        return None if isinstance(value, str) else f"must be text, not {value!r}"


# Where a template's lines appear: on the faulty service itself, or on the services that call it
# (a certificate expiry is seen by the callers, not by the server that holds the old cert).
Side = Literal["self", "caller"]


# Placeholders a template may use. Drawn per line: pooled values, {n} a small count, {ms} a
# latency from the state, {attempt} up to the retry factor, {mem} {disk} {depth} the service's
# memory %, disk % and queue depth at that moment, {port} an ephemeral port, and {caller}
# {caller_ip} one pod of a service that calls this one (the same pod within a line), {query} a
# statement on a table the database owns and {write_query} a writing one.
LINE_FIELDS = frozenset(
    {
        "write_query",
        "user",
        "ip",
        "path",
        "id",
        "uuid",
        "query",
        "key",
        "agent",
        "n",
        "ms",
        "attempt",
        "mem",
        "disk",
        "depth",
        "port",
        "caller",
        "caller_ip",
    }
)
# Constant per group: {peer} the other service (the callee on a service's own lines, the faulty
# service on its callers' lines), {service} the service writing the line, {timeout_ms} its timeout.
GROUP_FIELDS = frozenset({"peer", "service", "timeout_ms"})


@dataclass(frozen=True)
class Template:
    """A log line a fault makes.

    Placeholders: LINE_FIELDS, GROUP_FIELDS, and any fault parameter by name ({factor},
    {pool_size}...). A parameter shadows a line field of the same name ({key} in a config fault
    is the config key, not a cache key)."""

    text: str
    level: Literal["INFO", "WARN", "ERROR"] = "ERROR"
    side: Side = "self"


@dataclass(frozen=True)
class FaultKind:
    name: str
    description: str
    apply: Callable[["FaultContext"], None]
    params: dict[str, Param] = field(default_factory=dict)
    # Lines written for failed requests attributed to this fault.
    error_logs: tuple[Template, ...] = ()
    # Lines written at a rate of their own while the fault is active (per minute at full strength).
    warn_logs: tuple[Template, ...] = ()
    warn_per_min: float = 0.0
    # Lines for moments the fault's apply() marks itself, keyed by the suffix of their source
    # ("ev3:oom" uses event_logs["oom"]): an OOM kill, a restart, a config reload.
    event_logs: dict[str, tuple[Template, ...]] = field(default_factory=dict)
    # Status message on error spans caused by this fault; by key for the sources keyed like
    # event_logs' ("ev3:stale"), where a fault fails in more than one way.
    span_message: str = "error"
    event_spans: dict[str, str] = field(default_factory=dict)
    # A change event the fault announces at onset (a bad config is, first of all, a config change).
    change_event: str | None = None
    taxonomy: str = ""

    def resolve_params(self, given: dict) -> dict:
        out = {name: p.default for name, p in self.params.items()}
        out.update(given)
        return out


FAULTS: dict[str, FaultKind] = {}


def register(kind: FaultKind) -> FaultKind:
    if kind.name in FAULTS:
        raise ValueError(f"fault kind {kind.name!r} registered twice")
    FAULTS[kind.name] = kind
    return kind
