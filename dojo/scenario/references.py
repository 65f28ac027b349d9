"""Checks that need the whole scenario or the fault library: names that must refer to something,
the call graph, fault parameters, times within the scenario, and a size the synthesizer can make.

They run after the model has validated, on a Scenario, and report the exact location of each
problem (("timeline", 2, "params", "factor")) so the loader can name its line.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import TYPE_CHECKING

from . import hooks
from .durations import format_duration
from .errors import Loc, Problem, suggest
from .model import CHANGE_KINDS, Scenario

if TYPE_CHECKING:  # pragma: no cover
    from .hooks import FaultSpec

# Above this many log lines a scenario is a mistake (rps 5000 for 24 hours), not a lesson.
MAX_LOG_LINES = 20_000_000


def check_references(scenario: Scenario, faults: Mapping[str, FaultSpec] | None = None) -> list[Problem]:
    """Every cross-reference problem in `scenario`. `faults` defaults to the fault library; when
    it is empty (no fault kinds registered) kinds and parameters cannot be judged and are skipped."""
    if faults is None:
        faults = _registry()
    out: list[Problem] = []
    names = _services(scenario, out)
    _calls(scenario, names, out)
    _consumers(scenario, names, out)
    _operations(scenario, out)
    _timeline(scenario, names, faults, out)
    _alerts(scenario, names, out)
    _answer(scenario, names, faults, out)
    _injects(scenario, out)
    _size(scenario, out)
    return out


def _injects(scenario: Scenario, out: list[Problem]) -> None:
    for i, inject in enumerate(scenario.injects):
        if inject.at >= scenario.duration:
            out.append(
                Problem(
                    ("injects", i, "at"),
                    f"{format_duration(inject.at)} is not before the end of the scenario "
                    f"({format_duration(scenario.duration)}); make it earlier or raise duration",
                )
            )


def _registry() -> Mapping[str, FaultSpec]:
    # The fault library lives above this package (dojo.telemetry) and lends itself: see hooks.
    return hooks.fault_library()


def _unknown(what: str, name: str, known: list[str], fix: str = "") -> str:
    """A closest match when there is one; else the short list of names, and how to fix it."""
    hint = suggest(name, known) or (f"; known: {', '.join(known)}" if 0 < len(known) <= 12 else "") + fix
    return f"no {what} named {name!r}{hint}"


def _services(scenario: Scenario, out: list[Problem]) -> list[str]:
    first: dict[str, int] = {}
    for i, svc in enumerate(scenario.services):
        if svc.name in first:
            out.append(
                Problem(
                    ("services", i, "name"),
                    f"service {svc.name!r} is already defined at services[{first[svc.name]}]; rename one",
                )
            )
        first.setdefault(svc.name, i)
    return list(first)


def _calls(scenario: Scenario, names: list[str], out: list[Problem]) -> None:
    called: set[str] = set()
    for i, svc in enumerate(scenario.services):
        seen: set[str] = set()
        for j, callee in enumerate(svc.calls):
            loc = ("services", i, "calls", j)
            if callee == svc.name:
                out.append(Problem(loc, "a service cannot call itself; remove it"))
            elif callee not in names:
                out.append(Problem(loc, _unknown("service", callee, names, "; add it to services or remove the call")))
            elif callee in seen:
                out.append(Problem(loc, f"{callee!r} is listed twice; remove one"))
            seen.add(callee)
            called.add(callee)
    for i, svc in enumerate(scenario.services):
        if svc.name not in called and svc.rps is None and svc.consumes is None:
            out.append(
                Problem(
                    ("services", i),
                    f"nobody calls {svc.name!r}, so it needs entry traffic: add rps (e.g. rps: 50) or have a service "
                    "call it",
                )
            )
    out.extend(_cycles(scenario))


def _consumers(scenario: Scenario, names: list[str], out: list[Problem]) -> None:
    """A worker consumes a queue: the queue exists, and the worker's calls never lead back to it
    (its jobs would feed themselves)."""
    by_name = {s.name: s for s in scenario.services}
    for i, svc in enumerate(scenario.services):
        if svc.consumes is None:
            continue
        loc = ("services", i, "consumes")
        queue = by_name.get(svc.consumes)
        if queue is None:
            out.append(Problem(loc, _unknown("service", svc.consumes, names, "; name a queue of services")))
        elif queue.kind != "queue":
            out.append(
                Problem(loc, f"{svc.consumes!r} is a {queue.kind}, not a queue; consume a service of kind queue")
            )
        elif svc.kind != "worker":
            out.append(Problem(loc, f"only a worker consumes a queue; make {svc.name!r} kind: worker"))
        else:
            seen, todo = set(), list(svc.calls)
            while todo:
                name = todo.pop()
                if name == svc.consumes:
                    out.append(
                        Problem(
                            loc,
                            f"{svc.name!r} calls on to {svc.consumes!r}, the queue it consumes; "
                            "its jobs would feed themselves: remove that call",
                        )
                    )
                    break
                if name not in seen and name in by_name:
                    seen.add(name)
                    todo.extend(by_name[name].calls)


def _operations(scenario: Scenario, out: list[Problem]) -> None:
    """Operations split a service's traffic (shares add up to at most 1) over its own callees."""
    for i, svc in enumerate(scenario.services):
        seen: dict[str, int] = {}
        total = 0.0
        for j, op in enumerate(svc.operations):
            loc: Loc = ("services", i, "operations", j)
            if op.name in seen:
                out.append(
                    Problem(
                        loc + ("name",),
                        f"operation {op.name!r} is already defined at operations[{seen[op.name]}]; rename one",
                    )
                )
            seen.setdefault(op.name, j)
            total += op.share
            for k, callee in enumerate(op.calls or []):
                if callee not in svc.calls:
                    out.append(
                        Problem(
                            loc + ("calls", k),
                            _unknown(
                                f"callee of {svc.name!r}",
                                callee,
                                list(svc.calls),
                                f"; add it to {svc.name}'s calls or remove it",
                            ),
                        )
                    )
        if total > 1.0 + 1e-9:
            shares = " + ".join(f"{op.share:g}" for op in svc.operations)
            out.append(
                Problem(
                    ("services", i, "operations"),
                    f"the shares add up to {total:g} ({shares}); they split the service's traffic, "
                    "so make them add up to at most 1",
                )
            )


def _cycles(scenario: Scenario) -> list[Problem]:
    """One problem per call that closes a loop, reported at that call: a -> b -> a."""
    calls = {s.name: s.calls for s in scenario.services}
    index = {s.name: i for i, s in enumerate(scenario.services)}
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []
    found: list[Problem] = []

    def visit(name: str) -> None:
        # The graph has at most 40 services, so recursion depth is bounded by the model.
        state[name] = 1
        path.append(name)
        for j, callee in enumerate(calls.get(name, [])):
            if callee == name or callee not in calls:
                continue  # reported as a self-call or an unknown service
            if state.get(callee) == 1:
                loop = path[path.index(callee) :] + [callee]
                found.append(
                    Problem(
                        ("services", index[name], "calls", j),
                        f"call cycle {' -> '.join(loop)}; the call graph must not loop",
                    )
                )
            elif callee not in state:
                visit(callee)
        path.pop()
        state[name] = 2

    for name in calls:
        if name not in state:
            visit(name)
    return found


def _timeline(scenario: Scenario, names: list[str], faults: Mapping[str, FaultSpec], out: list[Problem]) -> None:
    kinds = sorted(faults) + list(CHANGE_KINDS)
    first_id: dict[str, int] = {}
    end = scenario.duration
    for i, ev in enumerate(scenario.timeline):
        loc: Loc = ("timeline", i)
        if ev.service not in names:
            out.append(Problem(loc + ("service",), _unknown("service", ev.service, names)))
        elif ev.operation is not None:
            ops = [op.name for op in scenario.service(ev.service).operations]
            if ev.operation not in ops:
                extra = "" if ops else f"; {ev.service} declares no operations: add them or remove operation"
                out.append(
                    Problem(loc + ("operation",), _unknown(f"operation of {ev.service!r}", ev.operation, ops, extra))
                )
        if ev.kind in faults:
            out.extend(_params(loc, ev.params, faults[ev.kind]))
        elif ev.kind in CHANGE_KINDS and ev.params and faults:
            out.extend(_change_params(loc, ev.params, faults))
        elif faults and ev.kind not in CHANGE_KINDS:
            out.append(Problem(loc + ("kind",), _unknown("fault or change kind", ev.kind, kinds, "; see dojo faults")))
        if ev.id is not None:
            if ev.id in first_id:
                out.append(
                    Problem(
                        loc + ("id",),
                        f"id {ev.id!r} is already used by timeline[{first_id[ev.id]}]; ids must be unique",
                    )
                )
            first_id.setdefault(ev.id, i)
        if ev.at >= end:
            out.append(
                Problem(
                    loc + ("at",),
                    f"{format_duration(ev.at)} is not before the end of the scenario ({format_duration(end)}); make "
                    "it earlier or raise duration",
                )
            )
        elif ev.end is not None and ev.end > end:
            room = format_duration(end - ev.at)
            out.append(
                Problem(
                    loc + ("for",),
                    f"ends at {format_duration(ev.end)}, after the scenario ({format_duration(end)}); write at most "
                    f"{room}, or leave 'for' out to last until the end",
                )
            )


def _params(loc: Loc, given: Mapping[str, object], kind: FaultSpec) -> list[Problem]:
    found = []
    for key, value in given.items():
        param = kind.params.get(key)
        if param is None:
            known = list(kind.params)
            extra = f"; {kind.name} takes {', '.join(known)}" if known else f"; {kind.name} takes no parameters"
            found.append(Problem(loc + ("params", key), f"unknown parameter{suggest(key, known) or extra}"))
        elif (why := param.check(value)) is not None:
            found.append(Problem(loc + ("params", key), why))
    return found


def _change_params(loc: Loc, given: Mapping[str, object], faults: Mapping[str, FaultSpec]) -> list[Problem]:
    """A change's params: its own consequences, and those of the fault it sets off, if any."""
    CHANGE_PARAMS = hooks.change_params()
    carried = None if given.get("fault") is None else str(given.get("fault"))
    if carried is not None and carried not in faults:
        return [
            Problem(loc + ("params", "fault"), _unknown("fault kind", carried, sorted(faults), "; see dojo faults"))
        ]
    known = dict(CHANGE_PARAMS)
    if carried is not None:
        known.update(faults[carried].params)
    found = []
    for key, value in given.items():
        param = known.get(key)
        if param is None:
            extra = f"; a change takes {', '.join(CHANGE_PARAMS)}" + (
                f" and {carried}'s {', '.join(faults[carried].params)}" if carried else ""
            )
            found.append(Problem(loc + ("params", key), f"unknown parameter{suggest(key, list(known)) or extra}"))
        elif (why := param.check(value)) is not None:
            found.append(Problem(loc + ("params", key), why))
    return found


def _alerts(scenario: Scenario, names: list[str], out: list[Problem]) -> None:
    first: dict[str, int] = {}
    for i, alert in enumerate(scenario.alerts):
        if alert.service not in names:
            out.append(Problem(("alerts", i, "service"), _unknown("service", alert.service, names)))
        if alert.name in first:
            out.append(
                Problem(
                    ("alerts", i, "name"),
                    f"alert {alert.name!r} is already defined at alerts[{first[alert.name]}]; rename one",
                )
            )
        first.setdefault(alert.name, i)
    if scenario.page is not None and scenario.page not in first:
        out.append(Problem(("page",), _unknown("alert", scenario.page, list(first))))


def _answer(scenario: Scenario, names: list[str], faults: Mapping[str, FaultSpec], out: list[Problem]) -> None:
    ids = [ev.id for ev in scenario.timeline if ev.id is not None]
    for i, acc in enumerate(scenario.answer.accepted):
        loc: Loc = ("answer", "accepted", i)
        if acc.service not in names:
            out.append(Problem(loc + ("service",), _unknown("service", acc.service, names)))
        if faults and acc.fault not in faults:
            out.append(
                Problem(loc + ("fault",), _unknown("fault kind", acc.fault, sorted(faults), "; see dojo faults"))
            )
        if acc.trigger is not None and acc.trigger not in ids:
            extra = "" if ids else "; give the timeline event an id"
            out.append(Problem(loc + ("trigger",), _unknown("timeline id", acc.trigger, ids, extra)))
    if scenario.answer.require_trigger and not any(acc.trigger for acc in scenario.answer.accepted):
        out.append(
            Problem(
                ("answer", "require_trigger"),
                "true, but no accepted answer names a trigger; add trigger: <timeline id>",
            )
        )
    for i, sel in enumerate(scenario.answer.evidence):
        for key in ("logs", "metric", "trace"):
            part = getattr(sel, key)
            if part is not None and part.service is not None and part.service not in names:
                out.append(Problem(("answer", "evidence", i, key, "service"), _unknown("service", part.service, names)))


def estimate_log_lines(scenario: Scenario) -> tuple[float, int]:
    """Roughly how many log lines synthesis writes, and the index of the busiest entry service.

    Entry rps flows down every call edge once (retries and faults ignored: this is a guard
    against absurd sizes, not a forecast); each request writes a line with chance log_sample;
    background noise adds its own rate. Services on a call cycle or unknown callees (reported
    elsewhere) are left out rather than guessed at."""
    rps = {s.name: s.rps or 0.0 for s in scenario.services}
    calls = {s.name: s.calls for s in scenario.services}
    for name in _topological(scenario):
        for callee in calls[name]:
            if callee in rps and callee != name:
                rps[callee] += rps[name]
    noise_per_s = sum(n.per_min for s in scenario.services for n in s.noise) / 60.0
    lines = (sum(rps.values()) * scenario.log_sample + noise_per_s) * scenario.duration
    busiest = max(range(len(scenario.services)), key=lambda i: scenario.services[i].rps or 0.0)
    return lines, busiest


def _topological(scenario: Scenario) -> list[str]:
    """Service names, callers before callees; those on a cycle never become ready."""
    calls = {s.name: [c for c in s.calls if c != s.name] for s in scenario.services}
    indegree = Counter(c for cs in calls.values() for c in cs)
    ready = [name for name in calls if indegree[name] == 0]
    order = []
    while ready:
        name = ready.pop()
        order.append(name)
        for callee in calls.get(name, []):
            indegree[callee] -= 1
            if indegree[callee] == 0 and callee in calls:
                ready.append(callee)
    return order


def _size(scenario: Scenario, out: list[Problem]) -> None:
    lines, busiest = estimate_log_lines(scenario)
    if lines > MAX_LOG_LINES:
        out.append(
            Problem(
                ("services", busiest, "rps"),
                f"this scenario would write about {lines:,.0f} log lines (limit {MAX_LOG_LINES:,}); lower rps or "
                "log_sample, or shorten duration",
            )
        )
