"""Reading an attempt's stored events back, defensively.

The store is a file on the learner's disk: an older or newer dojo, a hand edit, a crash in the
middle of someone else's tool may leave an event whose data lacks a key, an unknown kind, a row
that is not JSON, or an attempt without its `started` event. Folding such a log must not end in a
traceback (and `dojo history` must still show every other attempt), so each log is checked here
first and refused with one line naming the attempt and the event.
"""

from __future__ import annotations

from numbers import Real

from pydantic import ValidationError

from dojo.store import Event

from . import events as ev
from .errors import EngineError
from .rules import Rules

_NUMBER = (Real,)
_TEXT = (str,)
# What the fold (attempt.py, journal.py, scoring.py, the debrief) reads from each kind's data.
_NEEDS: dict[str, dict[str, tuple[type, ...]]] = {
    ev.STARTED: {"rules": (dict,), "seed": (int,), "speed": _NUMBER, "mode": _TEXT, "clock": _TEXT, "start_t": _NUMBER},
    ev.RESUMED: {},
    ev.ENDED: {},
    ev.CLOCK: {"action": _TEXT},
    ev.QUERY: {},
    ev.HYPOTHESIS: {"id": _TEXT, "text": _TEXT},
    ev.HYPOTHESIS_UPDATE: {"id": _TEXT},
    ev.PIN: {"item": _TEXT, "kind": _TEXT},
    ev.UNPIN: {"item": _TEXT},
    ev.HINT: {"index": (int,)},
    ev.DIAGNOSIS: {},
    ev.GAVE_UP: {},
    ev.TIMED_OUT: {},
    ev.ACTION: {"kind": _TEXT, "service": _TEXT, "params": (dict,), "at": _NUMBER},
}


class MalformedAttempt(EngineError):
    """An attempt whose stored events cannot be folded; the message names attempt and event."""


def check_events(attempt_id: int, events: list[Event]) -> None:
    """Raise MalformedAttempt (one line) unless `events` fold into an attempt without surprises."""
    if not events:
        raise MalformedAttempt(f"attempt #{attempt_id}: it has no events")
    first = events[0]
    if first.kind != ev.STARTED or first.problem:
        raise MalformedAttempt(
            f"attempt #{attempt_id}: event #{first.seq} ({first.kind}) comes first, but an attempt begins with "
            f"'started'; it cannot be shown or resumed"
        )
    rules: Rules | None = None
    hypotheses: set[str] = set()
    for e in events:
        problem = _problem(e, rules, hypotheses)
        if problem is not None:
            raise MalformedAttempt(f"attempt #{attempt_id}: event #{e.seq} ({_kind(e)}): {problem}")
        if e.kind == ev.STARTED and rules is None:
            rules = Rules.model_validate(e.data["rules"])
        elif e.kind == ev.HYPOTHESIS:
            hypotheses.add(e.data["id"])


def readable(attempt_id: int, events: list[Event]) -> bool:
    """Whether the attempt folds; for lists that leave the unreadable out (their command names them)."""
    try:
        check_events(attempt_id, events)
    except MalformedAttempt:
        return False
    return True


def _kind(e: Event) -> str:
    return e.kind if isinstance(e.kind, str) and e.kind.isidentifier() else repr(e.kind)


def _problem(e: Event, rules: Rules | None, hypotheses: set[str]) -> str | None:
    if e.problem:
        return e.problem
    if e.kind not in _NEEDS:
        return "an event kind this dojo does not know"
    if not isinstance(e.wall_s, Real) or not isinstance(e.scenario_t, Real):
        return "its times are not numbers"
    if e.kind == ev.STARTED and rules is not None:
        return "a second 'started' event"
    for key, types in _NEEDS[e.kind].items():
        if key not in e.data:
            return f"its data has no {key!r}"
        value = e.data[key]
        if not isinstance(value, types) or isinstance(value, bool):
            return f"its {key!r} is {type(value).__name__}, not {types[0].__name__}"
    if e.kind == ev.STARTED:
        try:
            Rules.model_validate(e.data["rules"])
        except ValidationError as exc:
            return f"its rules do not read ({exc.error_count()} problem(s), first at {_loc(exc)})"
    elif e.kind == ev.HINT and rules is not None and not 0 <= e.data["index"] < len(rules.hint_costs):
        return f"hint {e.data['index']} does not exist (the scenario has {len(rules.hint_costs)})"
    elif e.kind == ev.HYPOTHESIS_UPDATE and e.data["id"] not in hypotheses:
        return f"it updates hypothesis {e.data['id']!r}, which was never made"
    elif e.kind == ev.CLOCK and e.data["action"] in ("speed", "advance") and not isinstance(e.data.get("value"), Real):
        return f"a clock {e.data['action']} without a numeric 'value'"
    return None


def _loc(exc: ValidationError) -> str:
    loc = exc.errors()[0].get("loc", ())
    return ".".join(str(p) for p in loc) or "the top"
