"""The debrief's timeline: what really happened and what the learner did, on one scenario clock.

The incident side is the truth the learner could not see while playing: every fault's onset and
end (the accepted cause marked), the changes (red herrings marked), and the alerts as they fired
and resolved. The learner's side is folded from the attempt's events: the page, hypotheses and
their changes of status, pins, hints, the changes they made to the system (when they acted, what
they did, and the moment it took effect), diagnoses right and wrong, giving up. Each row carries the
scenario time and, for the learner's rows, learner (wall) time too.
"""

from __future__ import annotations

from dataclasses import dataclass

from .pins import pin_label
from .units import offset

INCIDENT, YOU = "incident", "you"
STATUS_WORDS = {"open": "reopened", "ruled_out": "ruled out", "confirmed": "confirmed"}


@dataclass(frozen=True)
class Moment:
    t: float  # scenario seconds
    side: str  # incident | you
    # fault | fault_end | change | alert | resolved | paged | hypothesis | update | pin | hint | wrong | correct
    # | action | gave_up | timed_out | resumed
    kind: str
    text: str
    wall_s: float | None = None  # learner time, for the learner's rows
    cause: bool = False  # the fault the answer key accepts


def incident_moments(scenario, events) -> list[Moment]:
    """`events`: the alert and change events frame (t, kind, service, name, detail)."""
    from dojo.scenario.model import CHANGE_KINDS

    accepted = {(a.service, a.fault) for a in scenario.answer.accepted}
    out: list[Moment] = []
    for ev in scenario.timeline:
        if ev.kind in CHANGE_KINDS:
            what = (
                f"{ev.kind.replace('_', ' ')} {ev.service}"
                + (f" {ev.version}" if ev.version else "")
                + (f" ({ev.note})" if ev.note else "")
            )
            out.append(Moment(float(ev.at), INCIDENT, "change", what + (" · red herring" if ev.red_herring else "")))
        elif ev.kind != "no_fault":
            cause = (ev.service, ev.kind) in accepted
            tail = " · the cause" if cause else " · red herring" if ev.red_herring else ""
            out.append(Moment(float(ev.at), INCIDENT, "fault", f"{ev.kind} on {ev.service} begins{tail}", cause=cause))
            if ev.end is not None:
                out.append(Moment(float(ev.end), INCIDENT, "fault_end", f"{ev.kind} on {ev.service} ends"))
    for t, kind, service, name in zip(events["t"], events["kind"], events["service"], events["name"]):
        if kind == "alert_firing":
            out.append(Moment(float(t), INCIDENT, "alert", f"{name} fires ({service})"))
        elif kind == "alert_resolved":
            out.append(Moment(float(t), INCIDENT, "resolved", f"{name} resolves ({service})"))
    return out


def learner_moments(events, hint_texts: list[str] | None = None) -> list[Moment]:
    """`events`: the attempt's store events, in order."""
    hint_texts = hint_texts or []
    out: list[Moment] = []
    for e in events:
        d, t, wall = e.data, float(e.scenario_t), float(e.wall_s)

        def add(kind: str, text: str, t: float = t, wall: float = wall) -> None:
            out.append(Moment(t, YOU, kind, text, wall))

        if e.kind == "started":
            add("paged", "paged: the attempt begins")
        elif e.kind == "resumed":
            add("resumed", f"resumed (session {d.get('session', '?')})")
        elif e.kind == "hypothesis":
            guess = "/".join(x for x in (d.get("service"), d.get("fault")) if x)
            add("hypothesis", f"{d['id']}: {d['text']}" + (f" [{guess}]" if guess else ""))
        elif e.kind == "hypothesis_update":
            changes = ", ".join(
                STATUS_WORDS.get(v, v) if k == "status" else f"{k} → {v}" for k, v in d.items() if k != "id"
            )
            add("update", f"{d['id']} {changes}")
        elif e.kind == "pin":
            to = f" → {d['hypothesis']}" if d.get("hypothesis") else ""
            add("pin", f"pinned{to} {pin_label(d['item'], d.get('kind', ''), d.get('summary', ''), d.get('snapshot'))}")
        elif e.kind == "hint":
            i = int(d["index"])
            text = hint_texts[i] if i < len(hint_texts) else ""
            add("hint", f"hint {i + 1} (+{_mmss(d['cost'])})" + (f": {text}" if text else ""))
        elif e.kind == "action":
            add("action", action_text(d))
        elif e.kind == "diagnosis":
            what = f"{d['service']} / {d['fault']}" + (f" / {d['trigger']}" if d.get("trigger") else "")
            if d.get("correct"):
                add("correct", f"diagnosed {what}: correct")
            else:
                add("wrong", f"diagnosed {what}: wrong")
        elif e.kind == "gave_up":
            add("gave_up", "gave up")
        elif e.kind == "timed_out":
            add("timed_out", "out of time")
    return out


def action_text(d: dict) -> str:
    """A learner's action as the debrief tells it: what they did, and when it took effect (the
    next time bucket: Session.act)."""
    from dojo.engine.actions import describe_action

    what = describe_action(str(d["kind"]), str(d["service"]), dict(d.get("params") or {}))
    return f"you {what} · in effect from {offset(float(d['at']))}"


def debrief_timeline(scenario, events, attempt_events) -> list[Moment]:
    """Both sides, in scenario time; at one instant the incident comes first (it is what the
    learner was reacting to), then the learner's actions in the order they were taken."""
    both = incident_moments(scenario, events) + learner_moments(attempt_events, [h.text for h in scenario.hints])
    order = {INCIDENT: 0, YOU: 1}
    return sorted(both, key=lambda m: (m.t, order[m.side]))  # stable: the learner's own order stays


def _mmss(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 60}:{s % 60:02d}"
