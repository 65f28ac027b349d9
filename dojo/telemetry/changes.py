"""Change events with consequences: what `scale`, `restart`, `feature_flag` and `config_change`
do to the state when their params say so, and the voice of whoever made the change.

A change without params does nothing but appear on the change feed (a good red herring). With
params it acts from `at` (until `for` ends, when given):

- `replicas`: the service runs that many instances (scale-in at once, scale-out after `warmup_s`);
- `restart`: instances go down (`share` of them) and come back over `warmup_s`, work in flight is
  dropped, a cache comes back cold and refills, so its database sees the misses;
- `shed`, `consumers`, `retries`, `retry_budget`, `max_queue_ms`: a flag or config that sheds
  load at the door, pauses or slows a queue's consumers, changes how callers retry or how long
  requests may queue;
- `fault`: the change sets off a fault of that kind (an operator command with a wrong argument,
  a flag that enables a broken code path); the other params go to the fault.

The change feed keeps a terse record; the detail is in the logs of the actor that made it.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from dojo.scenario.model import CHANGE_KINDS, TimelineEvent

from .faults import FAULTS, FaultKind, Param, Template
from .mechanics import restart
from .state import NO_RATE, FaultContext, State, combine, envelope

DEFAULT_ACTOR = {
    "scale": "kubectl",
    "restart": "deploy-bot",
    "feature_flag": "flagd",
    "config_change": "config-agent",
    "deploy": "deploy-bot",
}

CHANGE_PARAMS: dict[str, Param] = {
    p.name: p
    for p in (
        Param("replicas", int, 0, "instances the service runs from now on", 0, 256),
        Param("warmup_s", float, 120.0, "seconds a started instance takes to serve (and a cache to refill)", 0, 7200),
        Param("share", float, 1.0, "restart: share of instances restarted at once", 0.01, 1),
        Param(
            "keys",
            int,
            0,
            "restart of a cache: its key space; it refills as requests ask for keys (0: what warmup_s of normal "
            "traffic asks for)",
            0,
            10**9,
        ),
        Param("shed", float, 0.0, "share of arriving requests shed at the door (503)", 0, 1),
        Param("consumers", float, 1.0, "queue consumers' speed as a share of normal (0 pauses them)", 0, 10),
        Param("retries", int, 0, "retries per failed call from now on", 0, 10),
        Param("retry_budget", float, 0.0, "retries allowed per request from now on (0.1 = 10 %)", 0, 10),
        Param("max_queue_ms", float, 1000.0, "longest a request may wait for a worker from now on", 1, 600000),
        Param("flag", str, "", "the flag or config key changed (shown in the actor's log)"),
        Param("actor", str, "", "who made the change: a person or the automation (default by kind)"),
        Param("fault", str, "", "a fault kind this change sets off; its params go beside these"),
    )
}

_ACTOR_LINES = {
    "scale": Template("scaled deployment {service} to {replicas} replicas (by {actor})", "INFO"),
    "restart": Template(
        "rollout restart of {service}: terminating {n} pods, readiness gate {warmup_s}s (by {actor})", "INFO"
    ),
    "feature_flag": Template("flag {flag} updated for {service} (by {actor}); new evaluation in effect", "INFO"),
    "config_change": Template("config {flag} reloaded on {service} (by {actor})", "INFO"),
}


def _voice(kind: str) -> FaultKind:
    return FaultKind(
        name=kind,
        description=f"consequences of a {kind} change",
        apply=lambda ctx: None,
        params={
            **CHANGE_PARAMS,
            "actor": dataclasses.replace(CHANGE_PARAMS["actor"], default=DEFAULT_ACTOR.get(kind, "operator")),
            "flag": dataclasses.replace(CHANGE_PARAMS["flag"], default=kind.replace("_", "-")),
        },
        error_logs=(
            Template("request dropped: shutting down, in-flight work abandoned (request_id={id})"),
            Template("503 Service Unavailable: shed by {flag} (request_id={id})", "WARN"),
        ),
        event_logs={
            "actor": (_ACTOR_LINES.get(kind, _ACTOR_LINES["config_change"]),),
            "stop": (Template("received SIGTERM, draining connections; {n} requests in flight abandoned", "WARN"),),
            "ready": (Template("started {service}: readiness probe passed, serving traffic", "INFO"),),
        },
        span_message="shed at the door" if kind in ("feature_flag", "config_change") else "in-flight request dropped",
    )


CHANGE_VOICES: dict[str, FaultKind] = {k: _voice(k) for k in CHANGE_KINDS}


def voice(ev: TimelineEvent) -> FaultKind | None:
    """The templates that speak for a timeline event's consequences: a fault's own; a change's,
    merged with those of the fault it sets off."""
    if ev.kind in FAULTS:
        return FAULTS[ev.kind]
    change = CHANGE_VOICES.get(ev.kind)
    carried = FAULTS.get(str(ev.params.get("fault", "")))
    if change is None or carried is None:
        return change
    return dataclasses.replace(
        carried,
        params={**CHANGE_PARAMS, **carried.params},
        event_logs={**change.event_logs, **carried.event_logs},
    )


def change_params(ev: TimelineEvent) -> dict:
    """A change's params with defaults, the actor filled in by kind."""
    out = CHANGE_VOICES[ev.kind].resolve_params({})
    carried = FAULTS.get(str(ev.params.get("fault", "")))
    if carried is not None:
        out.update(carried.resolve_params({}))
    out.update(ev.params)
    return out


def apply_change(st: State, i: int, ev: TimelineEvent) -> dict | None:
    """Apply change `i` to the state; ground truth about a fault it set off, else None."""
    given = ev.params
    if not given and ev.kind != "restart":
        return None
    grid = st.scenario.grid
    s = st.index(ev.service)
    env, since = envelope(ev, st.t, grid, st.scenario.duration)
    on = env > 0
    params = change_params(ev)
    source = f"ev{i}"
    j0 = int(min(ev.at // grid, st.T - 1))
    onset = np.zeros(st.T)
    onset[j0] = 1.0
    st.warn_rate[(s, f"{source}:actor")] = st.warn_rate.get((s, f"{source}:actor"), 0.0) + onset * 60.0 / grid

    if "replicas" in given:
        before = float(st.instances[s][j0 - 1]) if j0 > 0 else float(st.instances[s][0])
        target = float(params["replicas"])
        if target < before:
            level = np.full(st.T, target)
        else:  # new instances serve once warm
            warm = np.clip(since / max(params["warmup_s"], 1e-9), 0.0, 1.0)
            level = before + (target - before) * warm
        st.instances[s] = np.where(on, level, st.instances[s])
        st.scaled_at.setdefault(s, set()).add(j0)  # an autoscaler starts over from the count set
    if ev.kind == "restart":
        restart(st, s, source, since, on, params["share"], params["warmup_s"], params["keys"])
    if "shed" in given:
        shed = params["shed"] * env
        st.shed[s] = combine(st.shed[s], shed)
        st.err_src[s][source] = combine(st.err_src[s].get(source, NO_RATE), shed)
    if "consumers" in given:
        st.consume[s] = np.where(on, st.consume[s] * params["consumers"], st.consume[s])
    if "retries" in given:
        st.retries[s] = np.where(on, params["retries"], st.retries[s])
    if "retry_budget" in given:
        st.retry_budget[s] = np.where(on, params["retry_budget"], st.retry_budget[s])
    if "max_queue_ms" in given:
        st.max_wait_s[s] = np.where(on, params["max_queue_ms"] / 1000.0, st.max_wait_s[s])
    carried = FAULTS.get(str(params.get("fault", "")))
    if carried is None:
        return None
    fault_params = {k: v for k, v in params.items() if k in carried.params}
    ctx = FaultContext(st=st, s=s, env=env, since=since, params=fault_params, source=source, kind=carried, event=ev)
    carried.apply(ctx)
    return {"event": i, "kind": carried.name, "service": ev.service, "at": ev.at, "end": ev.end, "via": ev.kind}
