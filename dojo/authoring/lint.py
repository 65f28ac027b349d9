"""Is a scenario fair? Proves, on the synthesized signals, that it can be solved from evidence.

Rules:
- every evidence selector matches signals after the fault's onset, and is absent or much rarer
  before it (otherwise it is not evidence of the fault);
- every accepted answer names a service and a fault kind the scenario has;
- red herrings do not match the answer's evidence;
- every alert fires at least once, and the page arrives after the onset;
- a scenario tagged `postmortem` names its source: address, organisation, date and what the
  retelling changed (the learner is told, in the preview, the library and the debrief);
- the evidence holds up (dojo.authoring.realism): every line in its service's voice, SQL that
  parses on tables the database owns, routes the topology has, no success slower than every
  caller's timeout, no metric or traffic line without traffic;
- the debrief writes times with their clock (T+mm:ss or hh:mm UTC), and the latencies it states
  are ones the telemetry shows: errors for a built-in scenario (the library teaches from them),
  warnings for an author's own until they choose `strict_debrief`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dojo.scenario.errors import keypath
from dojo.scenario.model import CHANGE_KINDS, Scenario, TimelineEvent
from dojo.telemetry.faults import FAULTS, fault_of
from dojo.telemetry.model import Telemetry
from dojo.telemetry.selectors import describe, selector_hits

# Evidence must be at least this many times more frequent (per minute) after onset than before.
MIN_CONTRAST = 5.0
RED_HERRING_WINDOW = 300.0


@dataclass(frozen=True)
class Finding:
    keypath: str
    message: str
    severity: str = "error"  # error: unfair; warning: worth a look


def fault_events(sc: Scenario) -> list[tuple[int, TimelineEvent]]:
    """The timeline's faults, a change that sets one off counted as that fault (its kind)."""
    out: list[tuple[int, TimelineEvent]] = []
    for i, ev in enumerate(sc.timeline):
        kind = fault_of(ev)
        if kind is not None and kind != "no_fault":
            out.append((i, ev if kind == ev.kind else ev.model_copy(update={"kind": kind})))
    return out


def onset(sc: Scenario) -> float:
    """When the incident starts: the first real fault that is not a red herring."""
    times = [ev.at for _, ev in fault_events(sc) if not ev.red_herring]
    return min(times) if times else 0.0


def page_time(sc: Scenario, tel: Telemetry) -> float | None:
    fired = tel.events[tel.events["kind"] == "alert_firing"]
    if sc.page:
        fired = fired[fired["name"] == sc.page]
    else:
        pages = {a.name for a in sc.alerts if a.severity == "page"}
        if pages:
            fired = fired[fired["name"].isin(pages)]
    return float(fired["t"].min()) if len(fired) else None


def lint(
    sc: Scenario, tel: Telemetry, *, strict_debrief: bool = False, realism: list[Finding] | None = None
) -> list[Finding]:
    """Every finding on `sc` and its signals. `realism`: realism_findings(sc, tel) when the caller
    already has them (it depends on the services and the signals only)."""
    out: list[Finding] = []
    out += _answers(sc)
    start = onset(sc)
    control = not fault_events(sc)
    out += _evidence(sc, tel, start, control)
    out += _red_herrings(sc, tel, start)
    out += _alerts(sc, tel, start, control)
    out += source_findings(sc)
    out += realism_findings(sc, tel) if realism is None else realism
    out += _debrief(sc, tel, strict_debrief)
    return out


def _debrief(sc: Scenario, tel: Telemetry, strict: bool) -> list[Finding]:
    """The debrief's own times and numbers against the telemetry: errors where strict (the
    built-in library), else warnings (an author's draft: they judge)."""
    from .debrief import findings

    return [Finding("debrief", message, "error" if strict else "warning") for message in findings(sc, tel)]


def realism_findings(sc: Scenario, tel: Telemetry) -> list[Finding]:
    from .realism import check

    index = {s.name: i for i, s in enumerate(sc.services)}
    return [
        Finding(f"services[{index[f.service]}]" if f.service in index else "services", f"realism: {f.line()}")
        for f in check(sc, tel)
    ]


POSTMORTEM_TAG = "postmortem"


def source_findings(sc: Scenario) -> list[Finding]:
    """A retold incident must say whose it is and what the retelling changed: a learner who
    takes an invention for the public record learns the wrong lesson."""
    if POSTMORTEM_TAG not in sc.tags:
        return []
    if sc.source is None:
        return [
            Finding(
                "tags",
                "tagged postmortem but has no source: add source: {url, org, date, changes} naming the public report",
            )
        ]
    missing = [k for k in ("org", "date") if getattr(sc.source, k) is None]
    if not sc.source.changes:
        missing.append("changes")
    if not sc.source.url.startswith(("https://", "http://")):
        return [Finding("source.url", f"{sc.source.url!r} is not a web address; give the public report's URL")]
    if missing:
        return [
            Finding(
                "source",
                f"a retold postmortem needs source.{', source.'.join(missing)}: whose report, of when, and every "
                "change or invention in the retelling",
            )
        ]
    return []


def _answers(sc: Scenario) -> list[Finding]:
    out = []
    names = set(sc.service_names)
    faults_in_timeline = {(ev.service, ev.kind) for _, ev in fault_events(sc)}
    for i, acc in enumerate(sc.answer.accepted):
        where = f"answer.accepted[{i}]"
        if acc.service not in names:
            out.append(Finding(f"{where}.service", f"service {acc.service!r} is not in the scenario's services"))
        if acc.fault not in FAULTS:
            out.append(Finding(f"{where}.fault", f"fault kind {acc.fault!r} does not exist; see 'dojo faults'"))
        elif acc.fault != "no_fault" and (acc.service, acc.fault) not in faults_in_timeline:
            out.append(Finding(where, f"the timeline has no {acc.fault} on {acc.service}: the signals cannot show it"))
        if acc.fault == "no_fault" and fault_events(sc):
            out.append(Finding(where, "no_fault is accepted but the timeline has faults"))
    return out


def _rate(hits: np.ndarray, t0: float, t1: float) -> float:
    span = max(t1 - t0, 1.0) / 60.0
    return float(((hits >= t0) & (hits < t1)).sum()) / span


def _evidence(sc: Scenario, tel: Telemetry, start: float, control: bool) -> list[Finding]:
    out = []
    if not sc.answer.evidence and not control:
        out.append(
            Finding(
                "answer.evidence",
                "no evidence selectors: give at least one so learners can earn the bonus and lint can prove the "
                "scenario solvable",
                "warning",
            )
        )
    for i, sel in enumerate(sc.answer.evidence):
        where = f"answer.evidence[{i}]"
        hits = selector_hits(tel, sel, start)
        after = _rate(hits, start, sc.duration)
        before = _rate(hits, 0.0, start) if start > 0 else 0.0
        if control:
            if len(hits) == 0:
                out.append(Finding(where, f"{describe(sel)} matches nothing"))
            continue
        if after == 0:
            out.append(
                Finding(
                    where,
                    f"{describe(sel)} matches nothing after the onset at {start:g}s; loosen it or strengthen the fault",
                )
            )
        elif before > 0 and after < MIN_CONTRAST * before:
            out.append(
                Finding(
                    where,
                    f"{describe(sel)} is {after / before:.1f}x as frequent after onset as before (needs "
                    f"{MIN_CONTRAST:g}x): it is not evidence of the fault",
                )
            )
    return out


def _red_herrings(sc: Scenario, tel: Telemetry, start: float) -> list[Finding]:
    out = []
    for i, ev in enumerate(sc.timeline):
        if not ev.red_herring:
            continue
        t0, t1 = ev.at, ev.at + RED_HERRING_WINDOW
        if ev.at < start:
            t1 = min(t1, start)
        for j, sel in enumerate(sc.answer.evidence):
            hits = selector_hits(tel, sel, start)
            inside = ((hits >= t0) & (hits < t1)).sum()
            if ev.at < start and inside:
                out.append(
                    Finding(
                        f"timeline[{i}]",
                        f"red herring at {ev.at:g}s already shows answer.evidence[{j}] ({describe(sel)}): it would "
                        "give the answer away",
                    )
                )
        if (
            ev.kind not in CHANGE_KINDS
            and ev.kind in FAULTS
            and any(a.service == ev.service and a.fault == ev.kind for a in sc.answer.accepted)
        ):
            out.append(Finding(f"timeline[{i}]", "a red herring is also an accepted answer"))
    return out


def _alerts(sc: Scenario, tel: Telemetry, start: float, control: bool) -> list[Finding]:
    out = []
    fired = tel.events[tel.events["kind"] == "alert_firing"]
    for i, alert in enumerate(sc.alerts):
        if not (fired["name"] == alert.name).any():
            out.append(
                Finding(f"alerts[{i}]", f"alert {alert.name} never fires; lower its threshold or strengthen the fault")
            )
    if sc.page and sc.page not in {a.name for a in sc.alerts}:
        out.append(Finding("page", f"page names {sc.page!r}, which is not an alert"))
    page = page_time(sc, tel)
    if page is None:
        out.append(Finding("alerts", "nothing pages the learner: no alert of severity page fires"))
    elif not control and page < start:
        out.append(
            Finding(
                "alerts",
                f"the page arrives at {page:g}s, before the onset at {start:g}s: the learner would be paged by noise",
            )
        )
    return out


def hostile_text(data: object, loc: tuple = ()) -> list[tuple[tuple, Finding]]:
    """Control characters, escape sequences and bidi/format characters in the scenario's own
    text (keys and values): the dojo shows them escaped, but they are never what an author means
    and may be an attempt to drive a learner's terminal. Returned with their location, for lines."""
    from dojo.terminal_text import unsafe_characters

    out: list[tuple[tuple, Finding]] = []
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(key, str) and unsafe_characters(key, multiline=False):
                out.append((loc, _hostile(keypath(loc) or "(top level)", "a key", unsafe_characters(key))))
            out += hostile_text(value, (*loc, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            out += hostile_text(value, (*loc, i))
    elif isinstance(data, str):
        found = unsafe_characters(data)
        if found:
            out.append((loc, _hostile(keypath(loc), "the text", found)))
    return out


def _hostile(where: str, what: str, found: list[str]) -> Finding:
    return Finding(
        where,
        f"{what} holds terminal control or bidi characters ({', '.join(found[:6])}"
        f"{', ...' if len(found) > 6 else ''}); they are shown escaped: remove them",
        "warning",
    )
