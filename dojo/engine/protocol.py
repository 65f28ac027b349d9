"""The headless protocol: one JSON command per line in, one JSON reply per line out.

    {"cmd": "logs", "contains": "retrying", "limit": 5}
    {"ok": true, "cmd": "logs", "count": 812, ...}
    {"ok": false, "cmd": "logs", "error": "limit: Input should be a valid integer"}

Each command's arguments sit beside "cmd" and are validated by a strict pydantic model (no
unknown keys, no coercion of "10" to 10). An optional "id" (any JSON value) is echoed back, so a
client can match replies to requests. Every failure is a reply with "ok": false and a one-line
"error"; nothing a client sends can end the session except "quit" (or end of input).
See docs/headless.md.
"""

from __future__ import annotations

import json
import sys
import types
import typing
from dataclasses import asdict, dataclass
from typing import Any, Callable, Literal

from pydantic import BaseModel, Field, ValidationError

from dojo.store import StoreError
from dojo.terminal_text import visible_line

from .api import Args, EventQuery, LogQuery, MetricQuery, TraceQuery
from .errors import EngineError
from .journal import Status
from .session import CURRENT, Session, format_validation


class NoArgs(Args):
    pass


class TraceArgs(Args):
    trace_id: str = Field(min_length=1, max_length=64)


class ShowArgs(Args):
    item: str = Field(
        min_length=1, max_length=200, description="an id: L123, S<trace>:<span>, M:<service>:<metric>:<t0>:<t1>, E4"
    )


class HypothesisArgs(Args):
    hypothesis: str | None = Field(None, description="id of the hypothesis to update; omit to create one")
    text: str | None = Field(None, min_length=1, max_length=2000)
    service: str | None = None
    fault: str | None = None
    status: Status | None = None


class PinArgs(Args):
    item: str = Field(min_length=1, max_length=200)
    hypothesis: str | None = Field(
        None, description="omit: the current hypothesis (the open one written or changed last); null: none"
    )
    note: str = Field("", max_length=2000)


class UnpinArgs(Args):
    item: str = Field(min_length=1, max_length=200)
    hypothesis: str | None = Field(None, description="which pin of the item, when it is pinned to several")


class AdvanceArgs(Args):
    seconds: float = Field(gt=0, le=86400, allow_inf_nan=False, description="scenario seconds")


class SpeedArgs(Args):
    speed: float = Field(ge=1, le=60, allow_inf_nan=False)


class ActArgs(Args):
    kind: str = Field(description="deploy | config_change | feature_flag | scale | restart")
    service: str
    params: dict[str, str | int | float | bool] = Field({}, max_length=20)  # copied per request by pydantic


class DiagnoseArgs(Args):
    service: str
    fault: str
    explanation: str = Field(min_length=1, max_length=5000)
    trigger: str | None = Field(None, description="the change event (E<n>) that set it off, where the scenario asks")


@dataclass(frozen=True)
class Command:
    args: type[BaseModel]
    run: Callable[[Session, Any], dict[str, Any]]
    help: str


def _d(x: Any) -> dict[str, Any]:
    return x.to_dict() if hasattr(x, "to_dict") else asdict(x)


def _hypothesis(s: Session, a: HypothesisArgs) -> dict[str, Any]:
    if a.hypothesis is None:
        if a.status is not None:
            raise EngineError("a new hypothesis starts open; give 'hypothesis' to change the status of one")
        if a.text is None:
            raise EngineError("a new hypothesis needs 'text'")
        h = s.add_hypothesis(a.text, a.service, a.fault)
    else:
        h = s.update_hypothesis(a.hypothesis, status=a.status, text=a.text, service=a.service, fault=a.fault)
    return {"hypothesis": asdict(h)}


def _pin_dict(p: Any) -> dict[str, Any]:
    out = asdict(p)
    out.pop("snapshot")
    return out


def _pin(s: Session, a: PinArgs) -> dict[str, Any]:
    # An omitted hypothesis means the current one; an explicit null means none.
    hypothesis = a.hypothesis if "hypothesis" in a.model_fields_set else CURRENT
    return {"pin": _pin_dict(s.pin(a.item, hypothesis, a.note))}


def _unpin(s: Session, a: UnpinArgs) -> dict[str, Any]:
    hypothesis = a.hypothesis if "hypothesis" in a.model_fields_set else CURRENT
    return {"unpinned": _pin_dict(s.unpin(a.item, hypothesis))}


COMMANDS: dict[str, Command] = {
    "help": Command(NoArgs, lambda s, a: {"commands": describe()}, "List the commands and their arguments."),
    "status": Command(
        NoArgs,
        lambda s, a: s.status().to_dict(),
        "Clock, outcome, visible counts, firing alerts, hints and journal sizes.",
    ),
    "briefing": Command(
        NoArgs,
        lambda s, a: s.briefing().to_dict(),
        "What the pager shows (the alert, its graph up to the page, a runbook), the services and the fault kinds.",
    ),
    "now": Command(
        NoArgs,
        lambda s, a: s.overview().to_dict(),
        "Every service now: rate, errors, p99 and saturation in the last closed bucket, beside its baseline.",
    ),
    "logs": Command(
        LogQuery,
        lambda s, a: _d(s.logs(a)),
        "Log lines by substring/regex, service, host, level, trace, time window: count and a page.",
    ),
    "metrics": Command(
        MetricQuery,
        lambda s, a: _d(s.metrics(a)),
        "A metric series with window aggregates (and its pin id); a service's summary; or the catalog.",
    ),
    "traces": Command(
        TraceQuery,
        lambda s, a: _d(s.traces(a)),
        "Traces with a span matching service/status/min_ms/contains, or by trace_id; each with its spans, "
        "failed spans (errors), retries and when it finished.",
    ),
    "trace": Command(
        TraceArgs,
        lambda s, a: {"trace": _d(s.trace(a.trace_id))},
        "One trace as a span tree; a call's retries numbered (attempt of attempts); an imported span's "
        "attributes and events.",
    ),
    "events": Command(EventQuery, lambda s, a: _d(s.events_list(a)), "Alerts and change events so far."),
    "show": Command(
        ShowArgs, lambda s, a: {"item": _d(s.resolve(a.item))}, "What an id points at (if it has happened)."
    ),
    "journal": Command(NoArgs, lambda s, a: s.journal.to_dict(), "Hypotheses with their history, and pins."),
    "hypothesis": Command(
        HypothesisArgs,
        _hypothesis,
        "Create a hypothesis (text, optional service/fault) or update one (hypothesis, status/text/...).",
    ),
    "pin": Command(PinArgs, _pin, "Pin an id as evidence, to the current hypothesis unless told otherwise."),
    "unpin": Command(UnpinArgs, _unpin, "Take a pin back."),
    "hint": Command(NoArgs, lambda s, a: s.hint().to_dict(), "Reveal the next hint, at its cost."),
    "pause": Command(NoArgs, lambda s, a: s.pause().to_dict(), "Pause the replay (practice)."),
    "resume": Command(NoArgs, lambda s, a: s.resume_clock().to_dict(), "Resume the replay (practice)."),
    "speed": Command(
        SpeedArgs, lambda s, a: s.set_speed(a.speed).to_dict(), "Change the replay speed, 1..60 (practice)."
    ),
    "advance": Command(
        AdvanceArgs,
        lambda s, a: s.advance(a.seconds).to_dict(),
        "Move the replay N scenario seconds ahead (practice; a real clock's skip costs seconds / speed).",
    ),
    "act": Command(
        ActArgs,
        lambda s, a: s.act(a.kind, a.service, a.params).to_dict(),
        "Change the system now (restart, scale, deploy, config_change, feature_flag) on a service you operate (not an "
        "`external` one): it takes effect at the next time bucket (`at` in the reply) and the incident from then on "
        "is simulated again with it.",
    ),
    "diagnose": Command(
        DiagnoseArgs,
        lambda s, a: s.diagnose(a.service, a.fault, a.explanation, a.trigger).to_dict(),
        "Submit service + fault (+ trigger) + explanation.",
    ),
    "give_up": Command(
        NoArgs, lambda s, a: {"card": s.give_up().to_dict()}, "End the attempt unsolved; returns the card."
    ),
    "score": Command(NoArgs, lambda s, a: s.score().to_dict(), "The score card with every term."),
    "quit": Command(
        NoArgs,
        lambda s, a: {"bye": True, "attempt": s.attempt_id},
        "End the session (an unfinished attempt stays resumable).",
    ),
}


def _type_name(ann: Any) -> str:
    origin = typing.get_origin(ann)
    if origin is Literal:
        return "|".join(json.dumps(a) for a in typing.get_args(ann))
    if origin in (typing.Union, types.UnionType):
        return " | ".join(_type_name(a) for a in typing.get_args(ann))
    if origin is list:
        return f"list[{_type_name(typing.get_args(ann)[0])}]"
    if origin is typing.Annotated:
        return _type_name(typing.get_args(ann)[0])
    return {type(None): "null", str: "string", int: "integer", float: "number", bool: "boolean"}.get(
        ann, getattr(ann, "__name__", str(ann))
    )


def describe() -> list[dict[str, Any]]:
    out = []
    for name, c in COMMANDS.items():
        args = {}
        for field, info in c.args.model_fields.items():
            spec = _type_name(info.annotation)
            spec += " (required)" if info.is_required() else f" (default {json.dumps(info.default)})"
            args[field] = spec
        out.append({"cmd": name, "help": c.help, "args": args})
    return out


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


class DuplicateKey(ValueError):
    pass


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object whose keys are all different: with `{"cmd": "hint", "cmd": "diagnose"}` a client
    and the dojo could read different commands (JSON leaves it open; Python keeps the last)."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise DuplicateKey(f"key {key!r} appears twice in one object; send each key once")
        out[key] = value
    return out


# The longest input line read as a command: the largest real one (a diagnosis with its
# explanation) is a few kB.
MAX_COMMAND_CHARS = 1_000_000


class Protocol:
    """Drives a Session from JSON requests. Never raises for anything a client sends."""

    def __init__(self, session: Session):
        self.session = session
        self.done = False

    def handle_line(self, line: str) -> dict[str, Any] | None:
        """The reply to one input line, or None for a blank line."""
        if not line.strip():
            return None
        try:
            request = json.loads(line, parse_constant=_reject_constant, object_pairs_hook=_unique_keys)
        except DuplicateKey as exc:
            return {"ok": False, "error": f"protocol error: {exc}"}
        except ValueError as exc:
            return {"ok": False, "error": f"malformed JSON: {exc}"}
        except RecursionError:
            return {"ok": False, "error": "malformed JSON: nested too deeply; a command is a flat JSON object"}
        return self.handle(request)

    def handle(self, request: Any) -> dict[str, Any]:
        if not isinstance(request, dict):
            return {"ok": False, "error": 'a command is a JSON object like {"cmd": "status"}'}
        args = dict(request)
        rid = args.pop("id", None)
        name = args.pop("cmd", None)
        reply: dict[str, Any] = {}
        try:
            if not isinstance(name, str):
                reply = {"ok": False, "error": 'missing "cmd": a command is a JSON object like {"cmd": "status"}'}
            elif name not in COMMANDS:
                reply = {"ok": False, "cmd": name, "error": f"unknown command {name!r}; 'help' lists them"}
            else:
                reply = {"ok": True, "cmd": name, **self._run(name, args)}
                if name == "quit":
                    self.done = True
        except ValidationError as exc:
            reply = {"ok": False, "cmd": name, "error": format_validation(exc)}
        except (EngineError, StoreError) as exc:
            reply = {"ok": False, "cmd": name, "error": str(exc)}
        except Exception as exc:  # a bug must not end the learner's session
            # stderr is a terminal; the exception may quote what the command carried.
            print(visible_line(f"dojo: internal error in {name!r}: {type(exc).__name__}: {exc}"), file=sys.stderr)
            reply = {"ok": False, "cmd": name, "error": f"internal error: {type(exc).__name__}: {exc}"}
        if rid is not None:
            reply["id"] = rid
        return reply

    def _run(self, name: str, args: dict[str, Any]) -> dict[str, Any]:
        command = COMMANDS[name]
        parsed = command.args.model_validate(args)
        return command.run(self.session, parsed)


def encode(reply: dict[str, Any]) -> str:
    try:
        return json.dumps(reply, allow_nan=False)
    except (TypeError, ValueError) as exc:
        return json.dumps(
            {"ok": False, "cmd": reply.get("cmd"), "error": f"internal error: reply not encodable: {exc}"}
        )
