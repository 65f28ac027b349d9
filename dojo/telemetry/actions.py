"""Actions mid-incident: a change inserted at a moment t, and the physics run again with it.

A learner's action (roll back, restart, scale, flip a flag, fail over) is a change event like
any other. The physics is causal: every bucket depends only on earlier buckets and on events
that have started, the random draws are made before any event applies, and the flow scan carries
state forwards only. So the run is resumed at the action's bucket (dojo.telemetry.resume): the
buckets before it are kept as they were, byte for byte, the state at that bucket is carried over,
and only the buckets from it on are solved again. `act` does the same for the signals: the rows
before the cut are the first run's (dojo.telemetry.splice), and only the buckets from t's on are
rendered again (dojo.telemetry.synthesize.resume_telemetry).
"""

from __future__ import annotations

import numpy as np

from dojo.scenario.model import Scenario, TimelineEvent

from .model import Telemetry
from .physics import apply_faults, propagate
from .pipeline import pipeline_outages
from .resume import fresh_inputs, stitch, window
from .state import State

# Arrays of the state a learner's view is derived from, compared bucket by bucket.
STATE_SERIES = (
    "rps",
    "p50",
    "p99",
    "err",
    "own_err",
    "cpu",
    "pool",
    "mem",
    "disk",
    "queue",
    "cache_hit",
    "overload",
    "wait_s",
    "capacity_t",
    "ready",
    "queue_age_s",
    "replication_lag_s",
    "packet_loss",
    "clock_skew_s",
)


class ActionError(ValueError):
    """The inserted event does not fit the scenario (unknown service or kind, bad params)."""


def insert_event(st: State, event: TimelineEvent | dict) -> tuple[State, list[dict]]:
    """The state of the same incident with `event` added to its timeline, and the new ground
    truth. Buckets that end before `event.at` are identical to `st`'s."""
    from dojo.scenario.references import check_references

    ev = event if isinstance(event, TimelineEvent) else TimelineEvent.model_validate(event)
    scenario = st.scenario.model_copy(update={"timeline": [*st.scenario.timeline, ev]})
    problems = [p for p in check_references(scenario) if p.loc[:2] == ("timeline", len(scenario.timeline) - 1)]
    if problems:
        where = ".".join(str(x) for x in problems[0].loc[2:])
        raise ActionError(f"the inserted {ev.kind}: {where + ': ' if where else ''}{problems[0].message}")
    if st.prepared is None or st.flow_out is None:
        raise ActionError("this state was not made by simulate(); run the scenario first")
    return resume(st, scenario, action_bucket(st, ev))


def action_bucket(st: State, ev: TimelineEvent) -> int:
    """The first bucket an event at `ev.at` can change (it may act from part-way through it)."""
    return int(min(max(ev.at // st.scenario.grid, 0), st.T - 1))


def resume(prev: State, scenario: Scenario, j: int) -> tuple[State, list[dict]]:
    """`scenario` (prev's with a changed timeline from bucket j on) solved again from bucket j only."""
    st = fresh_inputs(prev, scenario)
    truth = apply_faults(st, scenario.grid)
    win = window(st, j)
    carries = None
    if j > 0:  # each pass starts from what the same pass of the run carried into bucket j
        carries = [fl.carry(j - 1) for fl in prev.flow_passes]
        for k, pool in enumerate(prev.pool_passes):
            carries[k].pool_waiters = pool.waiters[:, j - 1].copy()
    propagate(win, carry=carries)
    pipeline_outages(win)
    return stitch(prev, win, j), truth


def act(tel: Telemetry, st: State, event: TimelineEvent | dict) -> tuple[Telemetry, State]:
    """The incident with `event` taken as an action: the state resumed at its bucket, and the
    signals before that bucket's start kept row for row, those after it rendered again."""
    from .synthesize import resume_telemetry

    after, truth = insert_event(st, event)
    return resume_telemetry(tel, after, after.scenario.timeline[-1].at, truth), after


def first_difference(a: State, b: State) -> int:
    """The first bucket where any state series of `a` and `b` differ (T when none does)."""
    first = a.T
    for name in STATE_SERIES:
        x, y = getattr(a, name), getattr(b, name)
        diff = np.nonzero(np.any(x != y, axis=0))[0]
        if len(diff):
            first = min(first, int(diff[0]))
    return first
